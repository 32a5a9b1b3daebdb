// SPDX-License-Identifier: BSD-3-Clause
// RIB hash table: random adds, replaces and deletes checked against a plain array.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/rib/rib.h"

#define N 50000

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

// A route from a small key space (id < N), so adds collide with existing keys and deletes hit.
static struct molt_route make(uint64_t *s, uint32_t *id)
{
	struct molt_route r = { 0 };
	uint64_t x = rnd(s);
	uint32_t k = (uint32_t)(x % (N / 2));

	r.family = x & (1ULL << 40) ? 6 : 4;
	*id = k * 2 + (r.family == 6);
	if (r.family == 4) {
		r.prefix[0] = 100 + (uint8_t)(k >> 16);
		r.prefix[1] = (uint8_t)(k >> 8);
		r.prefix[2] = (uint8_t)k;
		r.plen = 24;
	} else {
		r.prefix[0] = 0x20;
		r.prefix[3] = (uint8_t)(k >> 16);
		r.prefix[4] = (uint8_t)(k >> 8);
		r.prefix[5] = (uint8_t)k;
		r.plen = 48;
	}
	r.type = MOLT_RT_BLACKHOLE;
	if (x & (1ULL << 41)) {
		r.type = MOLT_RT_DEV;
		r.dev[0] = (char)('a' + (x >> 42) % 26);
	}
	return r;
}

static void check(const struct rib *rib, const struct molt_route *ref, const bool *present)
{
	uint64_t digest = 0;
	uint32_t count = 0, v4 = 0;

	for (uint32_t i = 0; i < N; i++) {
		const struct molt_route *r;

		if (!present[i]) {
			if (ref[i].family != 0)
				assert_null(rib_find(rib, &ref[i]));
			continue;
		}
		r = rib_find(rib, &ref[i]);
		assert_non_null(r);
		assert_memory_equal(r, &ref[i], sizeof(*r));
		digest += molt_route_hash(r);
		count++;
		v4 += r->family == 4;
	}
	assert_int_equal(rib->count, count);
	assert_int_equal(rib->count_v4, v4);
	assert_int_equal(rib->digest, digest);
}

static void test_random_ops(void **state)
{
	struct molt_route *ref = calloc(N, sizeof(*ref));
	bool *present = calloc(N, sizeof(*present));
	uint64_t seed = 0x1234567;
	struct rib rib;
	uint32_t i, id;

	assert_int_equal(rib_init(&rib, 0), 0); // start small: exercises growth
	for (i = 0; i < 200000; i++) {
		struct molt_route r = make(&seed, &id);

		if (rnd(&seed) % 4 == 0) {
			assert_int_equal(rib_del(&rib, &r), present[id] ? 0 : -ENOENT);
			present[id] = false;
			ref[id] = r;
			continue;
		}
		assert_int_equal(rib_add(&rib, &r), present[id] ? 1 : 0);
		ref[id] = r;
		present[id] = true;
		if (i % 50000 == 0)
			check(&rib, ref, present);
	}
	check(&rib, ref, present);

	// Delete everything: the table must end empty with a zero digest.
	for (id = 0; id < N; id++)
		if (present[id])
			assert_int_equal(rib_del(&rib, &ref[id]), 0);
	assert_int_equal(rib.count, 0);
	assert_int_equal(rib.digest, 0);
	for (id = 0; id < N; id++)
		if (ref[id].family != 0)
			assert_null(rib_find(&rib, &ref[id]));
	rib_free(&rib);
	free(ref);
	free(present);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
