// SPDX-License-Identifier: BSD-3-Clause
// Fault injection (rpc_debug.c): methods that exist only when moltd runs with
// --enable-fault-injection.
#pragma once

// Registers debug.tamper. Called once, by moltd, before the control socket is served; without
// it the method does not exist (-32601).
void mrpc_debug_enable(void);
