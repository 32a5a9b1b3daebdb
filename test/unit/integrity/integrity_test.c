// SPDX-License-Identifier: BSD-3-Clause
// The page-MAC audit (control/integrity/integrity.h) on real slots of every driver moltd
// rotates through: keys differ per generation; a one-bit change in any region is found, in the
// right region; thousands of live updates under a running auditor raise no alarm; the auditor
// spends its budget in bytes per period, no more.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/integrity/integrity.h"
#include "control/slot/slot_build.h"
#include "control/slot/slot_plan.h"
#include "control/slot/slot_update.h"
#include "test/unit/control/slot_test_env.h"

#define KEYS 400
#define PERIOD_NS 1000000000ull

static struct molt_config cfg;
static const char *const drivers[] = { "molt", "fib", "lpm", "fib-lpm6" };
static uint64_t gen = 1000;
static uint64_t now = 1;

static int setup(void **state)
{
	(void)state;
	if (slot_test_eal("molt-test-integrity", "1536") < 0)
		return -1;
	slot_test_config(&cfg);
	cfg.fib_max_routes_v4 = 4096;
	cfg.fib_max_routes_v6 = 4096;
	cfg.fib_headroom_percent = 200; // room for the live updates' tbl8 groups and gateways
	cfg.integrity_budget_percent = 5;
	cfg.integrity_period_ms = 1000;
	snprintf(cfg.integrity_alg, sizeof(cfg.integrity_alg), "auto");
	return integrity_init(&cfg) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	integrity_fini();
	return 0;
}

static struct molt_route route(unsigned k)
{
	struct molt_route r;

	memset(&r, 0, sizeof(r));
	r.type = MOLT_RT_VIA;
	if (k % 2 == 0) {
		r.family = 4;
		r.plen = (uint8_t)(16 + k % 17);
		r.prefix[0] = (uint8_t)(20 + k % 7);
		r.prefix[1] = (uint8_t)k;
		r.prefix[2] = (uint8_t)(k * 7);
		r.prefix[3] = (uint8_t)(k * 13);
		addr(k % 3 ? "10.0.1.7" : "10.0.2.9", r.gateway);
	} else {
		r.family = 6;
		r.plen = (uint8_t)(40 + k % 25); // byte 4 (k / 2, < 200) inside: keys unique
		addr("2001:db8::", r.prefix);
		r.prefix[4] = (uint8_t)(k / 2);
		r.prefix[5] = (uint8_t)(k * 3);
		r.prefix[6] = (uint8_t)(k * 11);
		r.prefix[7] = (uint8_t)(k * 17);
		addr(k % 3 ? "fd00:1::2" : "fd00:1::3", r.gateway);
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = r.plen > i * 8 ? r.plen - i * 8 : 0;

		r.prefix[i] = bits >= 8 ? r.prefix[i] : (uint8_t)(r.prefix[i] & (0xff00 >> bits));
	}
	return r;
}

static struct slot *build(const char *driver, struct slot_build_stats *st)
{
	struct molt_route r[KEYS];
	char err[256];
	struct slot *s;

	for (unsigned k = 0; k < KEYS; k++)
		r[k] = route(k);
	s = slot_build(&cfg, fib_driver_find(driver), gen++, r, KEYS, st, err, sizeof(err));
	if (s == NULL)
		fail_msg("slot_build(%s): %s", driver, err);
	assert_int_equal(integrity_slot_new(s), 0);
	s->state = SLOT_READY; // audited from now on
	return s;
}

static void drop(struct slot *s)
{
	integrity_slot_forget(s);
	slot_free_scrub(s);
}

// Polls as a control loop would, a period at a time, until a detection or n polls.
static struct slot *run(unsigned n)
{
	struct slot *bad = NULL;

	for (unsigned i = 0; i < n && bad == NULL; i++) {
		now += PERIOD_NS;
		bad = integrity_poll(now);
	}
	return bad;
}

static void keys_differ(void **state)
{
	struct slot_build_stats st;
	uint8_t a[16], b[16];

	(void)state;
	for (unsigned d = 0; d < 4; d++) {
		struct slot *s1 = build(drivers[d], &st), *s2 = build(drivers[d], &st);

		// Same routes, same next-hop table bytes; different generations, different MACs.
		assert_memory_equal(s1->nh, s2->nh, s1->nh_count * sizeof(*s1->nh));
		assert_int_equal(integrity_page_tag(s1, "nexthops", 0, a), 0);
		assert_int_equal(integrity_page_tag(s2, "nexthops", 0, b), 0);
		assert_memory_not_equal(a, b, 16);
		drop(s1);
		drop(s2);
	}
}

// Flips one bit of every region of every driver's slot in turn, in a page lookups can reach:
// each is found, in that region, at that page.
static void one_bit(void **state)
{
	const struct integrity_status *is = integrity_status();
	struct slot_build_stats st;

	(void)state;
	for (unsigned d = 0; d < 4; d++) {
		struct slot *s = build(drivers[d], &st);
		struct fib_region r[16];
		unsigned n = 0;
		int k;

		for (int fam = 4; fam <= 6; fam += 2) {
			const struct fib_ops *ops = fam == 4 ? s->ops4 : s->ops6;

			k = ops->regions(fam == 4 ? s->fib4 : s->fib6, r + n, 16 - n);
			assert_true(k > 0);
			for (int i = 0; i < k; i++) {
				char name[32];

				snprintf(name, sizeof(name), "fib%d.%s", fam, r[n + i].name);
				r[n + i].name = strdup(name);
			}
			n += (unsigned)k;
		}
		r[n++] = (struct fib_region){ s->nh, s->nh_capacity * sizeof(*s->nh), "nexthops" };
		for (unsigned i = 0; i < n; i++) {
			size_t off;
			uint8_t tag[16];

			// A page lookups can reach (the others are not audited: free tbl8 groups).
			do
				off = (size_t)rand() % r[i].len;
			while (integrity_page_tag(s, r[i].name, off / 4096, tag) != 0);
			uint8_t *p = (uint8_t *)(uintptr_t)r[i].addr + off;
			long pg = sysconf(_SC_PAGESIZE);
			void *page = (void *)((uintptr_t)p & ~((uintptr_t)pg - 1));
			uint64_t before = is->detections;
			struct slot *bad;

			// molt's image is read-only: a tamper lifts that as an implant would.
			mprotect(page, (size_t)pg, PROT_READ | PROT_WRITE);
			*p ^= 0x10;
			bad = run(100000);
			*p ^= 0x10;
			if (bad != s)
				fail_msg("%s: a bit flipped in %s at %zu was not found", drivers[d],
					 r[i].name, off);
			assert_int_equal(is->detections, before + 1);
			assert_string_equal(is->last.region, r[i].name);
			assert_int_equal(is->last.offset, off / 4096 * 4096);
			assert_string_equal(is->last.driver, drivers[d]);
			assert_int_equal(is->last.generation, s->generation);
			// A fresh record for the next region (the tainted one is no longer audited).
			integrity_slot_forget(s);
			assert_int_equal(integrity_slot_new(s), 0);
		}
		for (unsigned i = 0; i + 1 < n; i++)
			free((void *)(uintptr_t)r[i].name);
		drop(s);
	}
}

// Thousands of journal entries into READY slots, each bracketed as slot_set.c brackets them,
// with the auditor running between them: no alarm, and the auditor covered the slots.
static void live_updates(void **state)
{
	const struct integrity_status *is = integrity_status();
	uint64_t det = is->detections, audits = is->audits;
	struct slot_planner *p = slot_planner_create(&cfg);
	struct slot_build_stats st;

	(void)state;
	assert_non_null(p);
	srand(7);
	for (unsigned d = 0; d < 4; d++) {
		struct slot *s = build(drivers[d], &st);
		struct slot_books books;
		struct molt_route cur[KEYS];
		bool present[KEYS];
		char err[256];

		slot_books_init(&books, &st);
		for (unsigned k = 0; k < KEYS; k++) {
			present[k] = true;
			cur[k] = route(k);
		}
		for (unsigned u = 0; u < 1500; u++) {
			unsigned k = (unsigned)rand() % KEYS;
			struct molt_route r = cur[k], nr = route(k);
			bool added;

			if (rand() % 2)
				addr(r.family == 4 ? "10.0.2.10" : "fd00:1::3", nr.gateway);
			const struct molt_route *o = present[k] ? &r : NULL;
			const struct molt_route *n = (rand() % 3 != 0 || !present[k]) ? &nr : NULL;

			integrity_route_begin(s, o, n);
			int ret = slot_update_apply(s, &books, p, o, n, &added);

			if (ret != 0)
				fail_msg("%s: update %u (key %u): %s", drivers[d], u, k,
					 strerror(-ret));
			integrity_route_end(s, o, n);
			present[k] = n != NULL;
			cur[k] = nr;
			// A neighbour resolving a gateway rewrites its word, bracketed likewise.
			if (u % 100 == 0) {
				uint64_t l2 = nh_l2_make(
					NH_FORWARD, 3,
					&(struct rte_ether_addr){
						.addr_bytes = { 2, 0, 0, 0, 0, (uint8_t)u } });

				integrity_write_begin(s, &s->nh[0].l2, 8);
				atomic_store(&s->nh[0].l2, l2);
				integrity_write_end(s, &s->nh[0].l2, 8);
			}
			if (u % 250 == 0) { // a standby is sealed before its flip
				assert_int_equal(slot_seal(s, err, sizeof(err)), 0);
				integrity_slot_resealed(s);
			}
			now += PERIOD_NS / 100;
			assert_null(integrity_poll(now));
		}
		assert_int_equal(slot_seal(s, err, sizeof(err)), 0);
		integrity_slot_resealed(s);
		assert_null(run(2000)); // a full pass over whatever the updates left
		drop(s);
	}
	assert_int_equal(is->detections, det);
	assert_true(is->audits > audits);
	slot_planner_destroy(p);
}

// The auditor spends budget_bytes per period: over 10 periods of 1 ms polls, between 90 % and
// 100 % of 10 budgets (plus a page), however many polls there were.
static void budget(void **state)
{
	const struct integrity_status *is = integrity_status();
	struct slot_build_stats st;
	struct slot *s = build("fib", &st); // ~130 MB of pages: more than 10 budgets

	(void)state;
	run(3); // the bucket full
	uint64_t before = is->bytes_audited;

	for (unsigned i = 0; i < 10000; i++) {
		now += PERIOD_NS / 1000;
		assert_null(integrity_poll(now));
	}
	uint64_t spent = is->bytes_audited - before;

	print_message("budget %.1f MB per period (%u%% of %.2f GB/s %s): spent %.1f MB in 10\n",
		      is->budget_bytes / 1e6, is->budget_percent,
		      is->rate[strcmp(is->alg, "aes-cmac") == 0 ? 0 : 1] / 1e9, is->alg,
		      spent / 1e6);
	assert_true(spent <= 11 * is->budget_bytes + 4096); // the bucket starts full
	assert_true(spent >= 9 * is->budget_bytes);
	assert_true(is->bytes_last_period <= 2 * is->budget_bytes);
	drop(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_differ),
		cmocka_unit_test(one_bit),
		cmocka_unit_test(live_updates),
		cmocka_unit_test(budget),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
