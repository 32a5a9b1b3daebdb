// SPDX-License-Identifier: BSD-3-Clause
// The integrity audit of live slots (docs/integrity.md). Every slot gets a random key of its
// own (getrandom, kept in this process's heap: never in slot memory or the feed, erased with
// the slot) and a keyed MAC (page_mac.h) of every 4 KiB page workers read: each FIB's lookup
// memory (fib_ops.regions) and the next-hop table. The control thread re-MACs the pages of
// the ACTIVE and READY slots round robin, within a budget of bytes per period, and compares.
// Legitimate changes go through the begin/end calls below, which check the pages a change
// will write before it and re-MAC them after it, on the same thread, so the audit never sees
// a change half made. A mismatch is a detection: logged (slot, generation, driver, region,
// offset), counted, published as the "integrity.detection" event, and handed to metabolism,
// which replaces the slot and quarantines it. Control thread, except integrity_slot_new.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/route.h"
#include "control/config/config.h"
#include "dataplane/slot.h"

struct integrity_detection {
	uint32_t slot; // position
	uint64_t generation;
	char driver[16];
	char region[24]; // "fib4.tbl24", "fib6.image", "nexthops", ...
	uint64_t offset; // of the page in the region
	uint64_t at_ns; // when it was found
	uint64_t latency_ns; // since the last debug.tamper (0: none noted)
};

struct integrity_status {
	bool enabled;
	const char *alg; // "aes-cmac" or "hmac-sha256"
	const char *arch; // ipsec-mb's code path
	double rate[2]; // measured bytes/s: aes-cmac, hmac-sha256
	uint32_t budget_percent, period_ms;
	uint64_t budget_bytes; // per period
	uint64_t audits; // pages re-MACed and compared
	uint64_t bytes_audited; // their bytes, in total
	uint64_t bytes_last_period; // in the last whole period
	uint64_t ns_last_period; // control thread time the auditor took in it (wall clock)
	uint64_t passes; // complete rounds over one slot's pages
	uint64_t remacs; // pages MACed again after a legitimate change
	uint64_t checks; // pages checked before a legitimate change
	uint64_t slots; // slots under audit
	uint64_t bytes_tracked; // their pages' bytes
	uint64_t engine_retries; // MAC passes done again because two disagreed (see integrity.c)
	uint64_t detections;
	struct integrity_detection last; // valid when detections > 0
};

// Reads integrity.* from cfg, measures both MACs and picks the faster. 0 or -errno.
int integrity_init(const struct molt_config *cfg);
void integrity_fini(void);

// The slot is built and verified: a fresh key, and every page MACed. Any thread (the build
// thread calls it); the slot joins the audit once it is READY or ACTIVE. 0 or -errno (the slot
// is then not audited, which the log says).
int integrity_slot_new(const struct slot *s);
// s was sealed (its lookup memory may have been rebuilt): regions read again, pages MACed.
void integrity_slot_resealed(const struct slot *s);
// s is being erased: its key and MACs are wiped.
void integrity_slot_forget(const struct slot *s);

// A route change into s (slot_update_apply): begin checks the pages it may write (a mismatch is
// a detection) and end MACs them again, with the pages the change reached.
void integrity_route_begin(const struct slot *s, const struct molt_route *old,
			   const struct molt_route *new_);
void integrity_route_end(const struct slot *s, const struct molt_route *old,
			 const struct molt_route *new_);
// A store of len bytes at addr into s (a next-hop entry): the same, for those bytes' pages.
void integrity_write_begin(const struct slot *s, const void *addr, size_t len);
void integrity_write_end(const struct slot *s, const void *addr, size_t len);

// The auditor's turn: re-MACs what the budget allows since the last call (at most a bounded
// slice per call, so the control loop stays responsive). Returns a slot found tampered (once
// per slot), or NULL. Begin/end calls may also find one: it is returned by the next poll.
struct slot *integrity_poll(uint64_t now_ns);

// debug.tamper changed a slot at now_ns: the next detection reports its latency from then.
void integrity_tamper_noted(uint64_t now_ns);

const struct integrity_status *integrity_status(void);
// The same counters without recounting the slots (slots, bytes_tracked as of the last
// integrity_status): for another thread (telemetry), each word read racily.
const struct integrity_status *integrity_status_racy(void);

// Detection latency (debug.tamper to detection) percentile p (0-100) over the last
// INTEGRITY_LATENCY_SAMPLES detections that had one, in ns; 0 without samples.
#define INTEGRITY_LATENCY_SAMPLES 1024
uint64_t integrity_latency_pct(unsigned p, uint64_t *samples, uint64_t *max);

// The MAC of page `page` of s's region `region` ("fib4.tbl24", "nexthops", ...), for tests.
// 0, or -ENOENT.
int integrity_page_tag(const struct slot *s, const char *region, size_t page, uint8_t tag[16]);
