// SPDX-License-Identifier: BSD-3-Clause
// moltd as a function: the daemon's whole life (EAL, config, ports, workers, control loop,
// shutdown) behind one call, so that a harness runs the same code operators run and adds to it
// only through these hooks. moltd's own main() passes no hooks.
#pragma once

#include <stdbool.h>

// Every callback is optional and runs on the control thread (the main lcore).
struct moltd_hooks {
	void *arg; // passed to every callback
	// Keep the last enabled lcore (moltd_reserved_lcore()) out of the workers, for the
	// harness to launch its own loop on.
	bool reserve_lcore;
	// EAL is up and the config loaded; ports are not probed yet (create devices here that
	// the config names: ports_init uses an existing ethdev of that name). Non-zero: moltd
	// exits with status 1.
	int (*before_ports)(void *arg);
	// Ports started, workers forwarding. Non-zero: moltd stops at once.
	int (*running)(void *arg);
	// The control loop has ended; workers still forward. Called only after running().
	// Every lcore the harness launched must have returned when this returns: moltd waits for
	// all of them before it stops its ports.
	void (*stopping)(void *arg);
	// moltd is torn down (workers stopped, ports stopped and those it probed closed, its
	// pools freed); EAL is still up. Called whenever before_ports() was.
	void (*stopped)(void *arg);
};

// Runs moltd: `argv` is moltd's command line ([EAL options] -- -c CONFIG.json). Returns the
// process exit status (0, or 1 on any error).
int moltd_main(int argc, char **argv, const struct moltd_hooks *hooks);

// Ends the control loop as SIGINT does; safe from any thread.
void moltd_stop(void);

// The lcore hooks->reserve_lcore keeps from the workers: the highest enabled lcore other than
// the main one, or RTE_MAX_LCORE if there is none. EAL must be initialised.
unsigned moltd_reserved_lcore(void);
