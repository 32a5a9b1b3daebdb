// SPDX-License-Identifier: BSD-3-Clause
// IPv4 bulk lookup. A burst goes through the trie one level at a time, in batches of 64: every
// address of the batch takes its step at a level (a top-level code, then a node per 6 bits)
// while the loads of the next step, prefetched one pass earlier, arrive. So the cache misses
// of a batch overlap, as dir24_8's prefetch ahead overlaps its tbl24 misses, but for every
// level.
//
// The common paths do not branch on the data: the top pass answers every address whose /20
// has a code for its value (from the L2 cache: the codes are 512 KiB) and notes the others in
// a 64-bit mask; the node pass walks that mask, finds each one's node from its /14's rank
// record and answers it from the node's inline words (nearly every node at depth 20 is
// inline). The few addresses whose node is not inline (rules longer than /26, or more than
// MOLT_INLINE_MAX runs under one /20) take a branch, rare enough to be predicted, onto the
// lists of a last, general pass.
//
// On a CPU with AVX2 (and BMI1/2), an image built without MOLT_BUILD_NO_AVX2 takes a second
// form of the coded path (coded_batch_avx2): the same passes, the top one 8 addresses a step.

#include "drivers/molt/molt_lookup.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MOLT4_AVX2 1
#endif

// IPv4 goes at most two nodes past the top level, the second one covering the address's last
// bits: its children are never nodes.
#define DEPTH1 MOLT4_TOP_BITS
#define DEPTH2 (MOLT4_TOP_BITS + MOLT_STRIDE)
static_assert(DEPTH2 + MOLT_STRIDE == 32, "two levels of nodes end IPv4's 32 bits");
static_assert(MOLT_BATCH == 64, "a batch's nodes are noted in a 64-bit mask");

// The 6 bits of a after its first off bits.
static inline unsigned chunk4(uint32_t a, unsigned off)
{
	return (a >> (32 - MOLT_STRIDE - off)) & ((1u << MOLT_STRIDE) - 1);
}

// Child c's value in node d if d is inline; in a node that is not, any word of the node (read,
// unused).
static inline uint32_t inline_value(const struct molt_node *d, unsigned c, uint32_t key)
{
	// Runs that start at or before child c: bits 0..c of leafvec, shifted to the top.
	unsigned runs = (unsigned)__builtin_popcountll(d->leafvec << (63 - c));

	return d->words[(runs - 1) & 7] ^ key;
}

// Where an address's /20 code is: in codes[a >> CODE_WORD], at bit 4 * (its /20's number mod
// 8), which is (a >> CODE_BIT) & 28.
#define CODE_WORD (32 - MOLT4_TOP_BITS + 3)
#define CODE_BIT (32 - MOLT4_TOP_BITS - 2)

#ifdef __SSE4_1__
// The codes of a[i..i+3] (as 32-bit lanes), and their values in out[i..i+3]; *node: bit k set
// if address i + k has code 0.
static inline void top4(const uint32_t *codes, __m128i ckey, const uint32_t *val, const uint32_t *a,
			unsigned i, uint32_t *out, unsigned *node)
{
	__m128i addr = _mm_loadu_si128((const __m128i *)(a + i));
	__m128i wi = _mm_srli_epi32(addr, CODE_WORD);
	__m128i w = _mm_set_epi32((int)codes[(uint32_t)_mm_extract_epi32(wi, 3)],
				  (int)codes[(uint32_t)_mm_extract_epi32(wi, 2)],
				  (int)codes[(uint32_t)_mm_extract_epi32(wi, 1)],
				  (int)codes[(uint32_t)_mm_cvtsi128_si32(wi)]);
	// SSE has no shift by a count per lane: the code goes to the top bits by a multiply with
	// 2^(28 - bit), made as a float from its exponent.
	__m128i bit = _mm_and_si128(_mm_srli_epi32(addr, CODE_BIT), _mm_set1_epi32(28));
	__m128i pow = _mm_slli_epi32(_mm_sub_epi32(_mm_set1_epi32(127 + 28), bit), 23);
	__m128i mul = _mm_cvttps_epi32(_mm_castsi128_ps(pow));
	__m128i code = _mm_srli_epi32(_mm_mullo_epi32(_mm_xor_si128(w, ckey), mul), 28);

	*node = (unsigned)_mm_movemask_ps(
		_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_setzero_si128())));
	out[i] = val[_mm_cvtsi128_si32(code)];
	out[i + 1] = val[_mm_extract_epi32(code, 1)];
	out[i + 2] = val[_mm_extract_epi32(code, 2)];
	out[i + 3] = val[_mm_extract_epi32(code, 3)];
}
#endif

// Address a's /20 code, one address at a time (the vector passes' tails).
static inline unsigned top_code(const struct molt_fib *f, uint32_t a)
{
	return ((f->codes[a >> CODE_WORD] ^ f->code_key) >> ((a >> CODE_BIT) & 28)) & 15;
}

// The top level for a[0..m): out[i] is the value of the address's /20 where it has a code
// (and code 0's value, unused, where not). Returns the mask of the addresses whose /20 has a
// node. The codes are in the L2 cache: no prefetch.
static inline uint64_t coded_top_pass(const struct molt_fib *f, const uint32_t *val,
				      const uint32_t *a, uint32_t *out, unsigned m)
{
	uint64_t live = 0;
	unsigned i = 0;

#ifdef __SSE4_1__
	__m128i ckey = _mm_set1_epi32((int)f->code_key);

	for (; i + 4 <= m; i += 4) {
		unsigned node;

		top4(f->codes, ckey, val, a, i, out, &node);
		live |= (uint64_t)node << i;
	}
#endif
	for (; i < m; i++) {
		unsigned code = top_code(f, a[i]);

		out[i] = val[code];
		live |= (uint64_t)(code == 0) << i;
	}
	return live;
}

// Addresses whose node is not inline: those that go on to a node at depth DEPTH2, and those
// that end in a leaf.
struct rest4 {
	uint32_t next[MOLT_BATCH];
	uint8_t next_lane[MOLT_BATCH];
	uint32_t leaf[MOLT_BATCH];
	uint8_t leaf_lane[MOLT_BATCH];
	unsigned n_next, n_leaf;
};

// Address i's step through node d, which is not inline, at child c.
static inline void plain_step(const struct molt_fib *f, const struct molt_node *d, unsigned c,
			      unsigned i, struct rest4 *r)
{
	struct molt_step st = molt_step(d, c, f->node_key);

	if (st.is_node) {
		r->next[r->n_next] = st.next;
		r->next_lane[r->n_next++] = (uint8_t)i;
	} else {
		r->leaf[r->n_leaf] = st.leaf;
		r->leaf_lane[r->n_leaf++] = (uint8_t)i;
	}
}

// The addresses of r: the nodes at depth DEPTH2 (inline, or not: then to a leaf), then the
// leaves.
static void rest_pass(const struct molt_fib *f, const uint32_t *a, uint32_t *out, struct rest4 *r)
{
	const struct molt_node *nodes = f->nodes;
	const uint32_t key = f->key, plain = MOLT_PLAIN ^ f->key;

	for (unsigned j = 0; j < r->n_next; j++)
		__builtin_prefetch(&nodes[r->next[j]]);
	for (unsigned j = 0; j < r->n_leaf; j++)
		__builtin_prefetch(&f->leaves[r->leaf[j]]);
	for (unsigned j = 0; j < r->n_next; j++) {
		unsigned i = r->next_lane[j], c = chunk4(a[i], DEPTH2);
		const struct molt_node *d = &nodes[r->next[j]];

		out[i] = inline_value(d, c, key);
		if (d->mark == plain) {
			plain_step(f, d, c, i, r);
			__builtin_prefetch(&f->leaves[r->leaf[r->n_leaf - 1]]);
		}
	}
	for (unsigned j = 0; j < r->n_leaf; j++)
		out[r->leaf_lane[j]] = f->leaves[r->leaf[j]] ^ key;
}

// The addresses of x from their node at depth 20 on: out[i] is the node's index (bit 31 aside).
static inline void node_pass(const struct molt_fib *f, const uint32_t *a, uint32_t *out, uint64_t x)
{
	const struct molt_node *nodes = f->nodes;
	const uint32_t key = f->key, plain = MOLT_PLAIN ^ f->key;
	struct rest4 r;

	for (uint64_t y = x; y != 0; y &= y - 1)
		__builtin_prefetch(&nodes[out[__builtin_ctzll(y)] & ~MOLT_NODE]);
	r.n_next = r.n_leaf = 0;
	for (; x != 0; x &= x - 1) {
		unsigned i = (unsigned)__builtin_ctzll(x), c = chunk4(a[i], DEPTH1);
		const struct molt_node *d = &nodes[out[i] & ~MOLT_NODE];

		out[i] = inline_value(d, c, key);
		if (__builtin_expect(d->mark == plain, 0))
			plain_step(f, d, c, i, &r);
	}
	if (r.n_next + r.n_leaf > 0)
		rest_pass(f, a, out, &r);
}

// A flat top level (f->top, 2^20 entries): the top entries, then the nodes.
static void flat_batch(const struct molt_fib *f, const uint32_t *a, uint32_t *out, unsigned m)
{
	const uint32_t *top = f->top;
	const uint32_t key = f->key;
	const unsigned shift = 32 - MOLT4_TOP_BITS;
	uint64_t live = 0;
	unsigned i = 0;

	molt_top_prefetch(top, a, shift, m);
#ifdef __SSE4_1__
	__m128i vkey = _mm_set1_epi32((int)key);

	for (; i + 4 <= m; i += 4) {
		unsigned mask;

		molt_top4_vals(top, vkey, a, shift, i, out, &mask);
		live |= (uint64_t)mask << i;
	}
#endif
	for (; i < m; i++) {
		uint32_t v = top[a[i] >> shift] ^ key;

		out[i] = v;
		live |= (uint64_t)molt_top_is_node(v) << i;
	}
	if (live != 0)
		node_pass(f, a, out, live);
}

// A coded top level: the codes, then the sub[] codes of the /20s with code 0, then the nodes
// of the /24s with sub[] code 0.
static void coded_batch(const struct molt_fib *f, const uint32_t *a, uint32_t *out, unsigned m)
{
	const uint64_t *sub = f->sub, sub_key = f->sub_key;
	const uint32_t base_key = (uint32_t)f->node_key;
	uint32_t val[MOLT4_CODES];
	uint64_t deep = 0;

	for (unsigned c = 0; c < MOLT4_CODES; c++)
		val[c] = f->code_val[c] ^ f->key;
	uint64_t live = coded_top_pass(f, val, a, out, m);

	// Each node's index, from its /14's rank record (in the L2 cache too: 192 KiB).
	for (uint64_t x = live; x != 0; x &= x - 1) {
		unsigned i = (unsigned)__builtin_ctzll(x), t = a[i] >> (32 - MOLT4_TOP_BITS);
		const struct molt_rank *rk = &f->rank[t >> MOLT_STRIDE];
		uint64_t below = (rk->map << 1) << (63 - (t & 63));

		out[i] = (rk->base ^ base_key) + (uint32_t)__builtin_popcountll(below);
		__builtin_prefetch(&sub[out[i]]);
	}
	// The /24's code; only code 0 goes on to the node (out[i] keeps its index).
	for (uint64_t x = live; x != 0; x &= x - 1) {
		unsigned i = (unsigned)__builtin_ctzll(x);
		uint64_t w = sub[out[i]] ^ sub_key;
		unsigned code = (unsigned)(w >> ((a[i] >> (32 - MOLT4_SUB_BITS - 2)) & 60)) & 15;

		out[i] = code != 0 ? val[code] : out[i];
		deep |= (uint64_t)(code == 0) << i;
	}
	if (deep != 0)
		node_pass(f, a, out, deep);
}

#ifdef MOLT4_AVX2
#ifdef __clang__
#define AVX2_FN __attribute__((target("avx2,bmi,bmi2")))
#else
// Without a tuning of its own, gcc keeps corei7's (DPDK's baseline), which splits every
// unaligned 256-bit load and store in two.
#define AVX2_FN __attribute__((target("avx2,bmi,bmi2,tune=generic")))
#endif

// val[c] for the code c (0..15) of each lane: val[0..7] in lo, val[8..15] in hi.
AVX2_FN static inline __m256i val16(__m256i lo, __m256i hi, __m256i c)
{
	__m256 a = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(lo, c));
	__m256 b = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(hi, c));

	// Bit 3 of c, moved to the sign bit, picks hi.
	return _mm256_castps_si256(
		_mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(c, 28))));
}

// The words t[x[0..3]]. Scalar loads: a gather instruction took longer than the loads it
// stands for on the development machine (~4 ns for 8 words from the L1, AMD EPYC).
AVX2_FN static inline __m128i load4(const uint32_t *t, __m128i x)
{
	return _mm_setr_epi32((int)t[(uint32_t)_mm_cvtsi128_si32(x)],
			      (int)t[(uint32_t)_mm_extract_epi32(x, 1)],
			      (int)t[(uint32_t)_mm_extract_epi32(x, 2)],
			      (int)t[(uint32_t)_mm_extract_epi32(x, 3)]);
}

// What the rank and sub passes need of each address, worked out 8 at a time by the top pass.
struct lanes4 {
	uint32_t rank[MOLT_BATCH]; // the /14's rank record, in uint32_t from f->rank
	uint32_t rshift[MOLT_BATCH]; // ~(the /20's number): mod 64, 63 - its bit in the map
	uint32_t sshift[MOLT_BATCH]; // the /24's code's bit in the sub[] word
};

// The coded path of coded_batch, with the top pass 8 addresses a step: the shift per lane is
// an instruction and the 16 values are in two registers. The rank and sub passes are
// coded_batch's, less what the top pass worked out for them; the rank pass counts the map's
// bits up to and including the /20's own (set: its code is 0), one more than below it.
AVX2_FN static void coded_batch_avx2(const struct molt_fib *f, const uint32_t *a, uint32_t *out,
				     unsigned m)
{
	const uint32_t *codes = f->codes;
	const __m256i key = _mm256_set1_epi32((int)f->key);
	const __m256i lo = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)f->code_val), key);
	const __m256i hi = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(f->code_val + 8)),
					    key);
	const __m256i ckey = _mm256_set1_epi32((int)f->code_key);
	const __m256i c15 = _mm256_set1_epi32(15), c28 = _mm256_set1_epi32(28);
	const __m256i c60 = _mm256_set1_epi32(60), ones = _mm256_set1_epi32(-1);
	struct lanes4 ln __attribute__((aligned(32)));
	uint32_t val[MOLT4_CODES] __attribute__((aligned(32)));
	uint64_t live = 0;
	size_t i = 0;

	for (; i + 8 <= m; i += 8) {
		__m256i ad = _mm256_loadu_si256((const __m256i *)(a + i));
		__m256i wi = _mm256_srli_epi32(ad, CODE_WORD);
		__m256i w = _mm256_set_m128i(load4(codes, _mm256_extracti128_si256(wi, 1)),
					     load4(codes, _mm256_castsi256_si128(wi)));
		__m256i bit = _mm256_and_si256(_mm256_srli_epi32(ad, CODE_BIT), c28);
		__m256i code = _mm256_and_si256(_mm256_srlv_epi32(_mm256_xor_si256(w, ckey), bit),
						c15);
		__m256i node = _mm256_cmpeq_epi32(code, _mm256_setzero_si256());

		_mm256_storeu_si256((__m256i *)(out + i), val16(lo, hi, code));
		live |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(node)) << i;
		// A rank record is 3 uint32_t.
		__m256i r = _mm256_srli_epi32(ad, 32 - MOLT4_BLOCK_BITS);
		_mm256_store_si256((__m256i *)(ln.rank + i),
				   _mm256_add_epi32(r, _mm256_add_epi32(r, r)));
		_mm256_store_si256(
			(__m256i *)(ln.rshift + i),
			_mm256_xor_si256(_mm256_srli_epi32(ad, 32 - MOLT4_TOP_BITS), ones));
		_mm256_store_si256(
			(__m256i *)(ln.sshift + i),
			_mm256_and_si256(_mm256_srli_epi32(ad, 32 - MOLT4_SUB_BITS - 2), c60));
	}
	_mm256_store_si256((__m256i *)val, lo);
	_mm256_store_si256((__m256i *)(val + 8), hi);
	for (; i < m; i++) {
		unsigned code = top_code(f, a[i]);

		out[i] = val[code];
		live |= (uint64_t)(code == 0) << i;
		ln.rank[i] = (a[i] >> (32 - MOLT4_BLOCK_BITS)) * 3;
		ln.rshift[i] = ~(a[i] >> (32 - MOLT4_TOP_BITS));
		ln.sshift[i] = (a[i] >> (32 - MOLT4_SUB_BITS - 2)) & 60;
	}

	const uint32_t *rank = (const uint32_t *)f->rank;
	const uint64_t *sub = f->sub, sub_key = f->sub_key;
	const uint32_t base_key = (uint32_t)f->node_key;
	uint64_t deep = 0;

	for (uint64_t x = live; x != 0; x &= x - 1) {
		size_t k = (size_t)__builtin_ctzll(x);
		const struct molt_rank *rk = (const struct molt_rank *)(rank + ln.rank[k]);
		uint64_t upto = rk->map << (ln.rshift[k] & 63);

		out[k] = (rk->base ^ base_key) + (uint32_t)__builtin_popcountll(upto) - 1;
		__builtin_prefetch(&sub[out[k]]);
	}
	for (uint64_t x = live; x != 0; x &= x - 1) {
		size_t k = (size_t)__builtin_ctzll(x);
		size_t code = (size_t)((sub[out[k]] ^ sub_key) >> (ln.sshift[k] & 63)) & 15;

		if (code != 0)
			out[k] = val[code];
		else
			deep |= UINT64_C(1) << k;
	}
	if (deep != 0)
		node_pass(f, a, out, deep);
}
#endif

bool molt4_avx2_usable(void)
{
#ifdef MOLT4_AVX2
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	       __builtin_cpu_supports("bmi2");
#else
	return false;
#endif
}

void molt4_lookup_bulk(const struct molt_fib *f, const uint32_t *addrs, uint32_t *nh, unsigned n)
{
	while (n > 0) {
		unsigned m = n < MOLT_BATCH ? n : MOLT_BATCH;

		if (f->codes == NULL)
			flat_batch(f, addrs, nh, m);
#ifdef MOLT4_AVX2
		else if (f->avx2)
			coded_batch_avx2(f, addrs, nh, m);
#endif
		else
			coded_batch(f, addrs, nh, m);
		addrs += m;
		nh += m;
		n -= m;
	}
}
