// SPDX-License-Identifier: BSD-3-Clause
// "molt" driver: the fib_ops contract over the immutable molt engine (drivers/molt/molt.h).
// add and del change a rule table of the driver's own (drivers/shadow.h, which also answers
// walk and count); seal builds a new engine image from it, with a new seed, and frees the
// previous one. lookup_bulk reads the last sealed image.
//
// The engine builds fastest from rules already in its order (prefix, then length). The driver
// keeps the last seal's rules in that order, and the keys add and del touched since; a seal
// after a few changes merges them in (one pass) instead of walking the hash and sorting the
// whole table again. That is what a standby slot pays on the control thread before its flip.
// Past a change set of an eighth of the table the merge is no cheaper: seal starts over.
//
// live_update_safe is false for both families: seal replaces and frees the image lookups read.
// A slot changes a molt FIB only while no worker uses it (or builds a new generation).

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_random.h>
#include <rte_vect.h>

#include "drivers/driver.h"
#include "drivers/molt/molt.h"
#include "drivers/molt/molt_lookup.h"
#include "drivers/prefix.h"
#include "drivers/shadow.h"

struct molt_drv {
	struct shadow rules;
	uint32_t max_routes;
	uint8_t family;
	bool stale; // rules changed since the image was built
	uint64_t seed; // the next build's seed
	struct molt_fib *image; // NULL before the first seal: every lookup misses
	// The image's rules in the engine's order (molt_rule4 or molt_rule6), NULL before the first
	// seal; and the keys changed since (NULL with n_changed 0 once too many to merge).
	void *sorted;
	size_t n_sorted, cap_sorted;
	struct changed_key *changed;
	size_t n_changed, cap_changed;
	bool changes_lost; // more changes than cap_changed: the next seal sorts the whole table
	// The image's size, for memory(): telemetry asks from its own thread, which must not read
	// an image seal may be freeing.
	size_t image_bytes;
};

// A key add or del touched since the last seal.
struct changed_key {
	union prefix_key key;
	uint8_t plen;
};

static inline struct molt_drv *drv(struct fib *f)
{
	return (struct molt_drv *)f;
}

static inline const struct molt_drv *cdrv(const struct fib *f)
{
	return (const struct molt_drv *)f;
}

static struct fib *molt_create(uint8_t family, const char *name, const struct fib_conf *conf)
{
	struct molt_drv *m;

	if (name == NULL || conf == NULL || conf->max_routes == 0) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	shadow_init(&m->rules, family == 4 ? 4 : PREFIX6_LEN);
	m->max_routes = conf->max_routes;
	m->family = family;
	// Each FIB draws its own seeds, so two slots of one table never share an image.
	m->seed = rte_rand();
	return (struct fib *)m;
}

static struct fib *molt4_create(const char *name, const struct fib_conf *conf)
{
	return molt_create(4, name, conf);
}

static struct fib *molt6_create(const char *name, const struct fib_conf *conf)
{
	return molt_create(6, name, conf);
}

static size_t rule_size(uint8_t family)
{
	return family == 4 ? sizeof(struct molt_rule4) : sizeof(struct molt_rule6);
}

static void forget_changes(struct molt_drv *m)
{
	if (m->changed != NULL)
		explicit_bzero(m->changed, m->cap_changed * sizeof(*m->changed));
	free(m->changed);
	m->changed = NULL;
	m->n_changed = m->cap_changed = 0;
}

static void forget_sorted(struct molt_drv *m)
{
	if (m->sorted != NULL)
		explicit_bzero(m->sorted, m->cap_sorted * rule_size(m->family));
	free(m->sorted);
	m->sorted = NULL;
	m->n_sorted = m->cap_sorted = 0;
}

// Remembers key/plen for the next seal's merge, while a merge is still worth it.
static void note_change(struct molt_drv *m, const union prefix_key *key, uint8_t plen)
{
	m->stale = true;
	if (m->sorted == NULL || m->changes_lost)
		return;
	if (m->n_changed == m->cap_changed) {
		size_t limit = RTE_MAX(m->n_sorted / 8, (size_t)1024);
		size_t cap = m->cap_changed == 0 ? 64 : m->cap_changed * 2;
		struct changed_key *c;

		if (m->cap_changed >= limit ||
		    (c = realloc(m->changed, RTE_MIN(cap, limit) * sizeof(*c))) == NULL) {
			forget_changes(m);
			m->changes_lost = true;
			return;
		}
		m->changed = c;
		m->cap_changed = RTE_MIN(cap, limit);
	}
	m->changed[m->n_changed++] = (struct changed_key){ .key = *key, .plen = plen };
}

static int molt_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct molt_drv *m = drv(f);
	union prefix_key key;
	int ret;

	if (nh >= FIB_NH_MAX || prefix_key(m->family, prefix, plen, &key) < 0)
		return -EINVAL;
	if ((ret = shadow_admit(&m->rules, m->max_routes, &key, plen)) < 0)
		return ret;
	shadow_set(&m->rules, &key, plen, nh);
	note_change(m, &key, plen);
	return 0;
}

static int molt_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct molt_drv *m = drv(f);
	union prefix_key key;
	int ret;

	if ((ret = prefix_key(m->family, prefix, plen, &key)) < 0)
		return ret;
	if (!shadow_del(&m->rules, &key, plen))
		return -ENOENT;
	note_change(m, &key, plen);
	return 0;
}

static void miss_all(uint32_t *nh, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		nh[i] = FIB_NH_MISS;
}

static void molt4_lookup(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct molt_fib *img = cdrv(f)->image;

	if (img != NULL)
		molt4_lookup_bulk(img, addrs, nh, n);
	else
		miss_all(nh, n);
}

static void molt6_lookup(const struct fib *f, const void *addrs, uint32_t *nh, unsigned n)
{
	const struct molt_fib *img = cdrv(f)->image;

	if (img != NULL)
		molt6_lookup_bulk(img, addrs, nh, n);
	else
		miss_all(nh, n);
}

// The engine's order: prefix (IPv4 as a host-order number, IPv6 bytewise), then length.
static int cmp4(uint32_t pa, uint8_t la, uint32_t pb, uint8_t lb)
{
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return (int)la - (int)lb;
}

static int cmp6(const uint8_t *pa, uint8_t la, const uint8_t *pb, uint8_t lb)
{
	int c = memcmp(pa, pb, PREFIX6_LEN);

	return c != 0 ? c : (int)la - (int)lb;
}

static int rule4_cmp(const void *a, const void *b)
{
	const struct molt_rule4 *x = a, *y = b;

	return cmp4(x->prefix, x->plen, y->prefix, y->plen);
}

static int rule6_cmp(const void *a, const void *b)
{
	const struct molt_rule6 *x = a, *y = b;

	return cmp6(x->prefix, x->plen, y->prefix, y->plen);
}

static int changed4_cmp(const void *a, const void *b)
{
	const struct changed_key *x = a, *y = b;

	return cmp4(x->key.v4, x->plen, y->key.v4, y->plen);
}

static int changed6_cmp(const void *a, const void *b)
{
	const struct changed_key *x = a, *y = b;

	return cmp6(x->key.v6, x->plen, y->key.v6, y->plen);
}

// The shadow's rules as the engine takes them, collected in the shadow's (hash) order.
struct collect {
	uint8_t family;
	size_t n;
	union {
		struct molt_rule4 *r4;
		struct molt_rule6 *r6;
	};
};

static int collect_rule(const uint8_t *prefix, uint8_t plen, uint32_t nh, void *arg)
{
	struct collect *c = arg;

	if (c->family == 4) {
		c->r4[c->n++] = (struct molt_rule4){ .prefix = *(const uint32_t *)prefix,
						     .nh = nh,
						     .plen = plen };
	} else {
		struct molt_rule6 *r = &c->r6[c->n++];

		memcpy(r->prefix, prefix, PREFIX6_LEN);
		r->nh = nh;
		r->plen = plen;
	}
	return 0;
}

// Appends key/plen to c as the shadow holds it now (nothing when it was deleted).
static void collect_current(const struct molt_drv *m, struct collect *c,
			    const struct changed_key *k)
{
	uint32_t nh;

	if (shadow_get(&m->rules, &k->key, k->plen, &nh))
		collect_rule(m->family == 4 ? (const uint8_t *)&k->key.v4 : k->key.v6, k->plen, nh,
			     c);
}

// Every rule, walked from the shadow and sorted. c->r4 holds count + 1 rules.
static void collect_all(const struct molt_drv *m, struct collect *c)
{
	shadow_walk(&m->rules, collect_rule, c);
	qsort(c->r4, c->n, rule_size(m->family), m->family == 4 ? rule4_cmp : rule6_cmp);
}

// The last seal's sorted rules with the changed keys merged in, as the shadow holds them.
static void collect_merged(struct molt_drv *m, struct collect *c)
{
	bool v4 = m->family == 4;
	size_t esz = rule_size(m->family), i = 0, j = 0, nc = 0;
	const uint8_t *old = m->sorted;
	int (*cmp)(const void *, const void *) = v4 ? changed4_cmp : changed6_cmp;

	qsort(m->changed, m->n_changed, sizeof(*m->changed), cmp);
	// A key changed twice is merged once.
	for (size_t k = 0; k < m->n_changed; k++)
		if (nc == 0 || cmp(&m->changed[nc - 1], &m->changed[k]) != 0)
			m->changed[nc++] = m->changed[k];
	m->n_changed = nc;
	while (i < m->n_sorted || j < nc) {
		int d;

		if (j == nc) {
			d = -1;
		} else if (i == m->n_sorted) {
			d = 1;
		} else if (v4) {
			const struct molt_rule4 *r = (const struct molt_rule4 *)old + i;

			d = cmp4(r->prefix, r->plen, m->changed[j].key.v4, m->changed[j].plen);
		} else {
			const struct molt_rule6 *r = (const struct molt_rule6 *)old + i;

			d = cmp6(r->prefix, r->plen, m->changed[j].key.v6, m->changed[j].plen);
		}
		if (d < 0) {
			memcpy((uint8_t *)c->r4 + c->n * esz, old + i * esz, esz);
			c->n++;
			i++;
			continue;
		}
		collect_current(m, c, &m->changed[j++]);
		i += d == 0;
	}
}

static int molt_seal(struct fib *f)
{
	struct molt_drv *m = drv(f);
	size_t esz = rule_size(m->family);
	bool merge = m->sorted != NULL && !m->changes_lost;
	struct collect c = { .family = m->family };
	struct molt_stats st;
	struct molt_fib *img;
	size_t cap;
	void *rules;

	if (!m->stale && m->image != NULL)
		return 0;
	// Room for whatever the merge could write, and one spare: an empty table still allocates.
	cap = RTE_MAX((size_t)m->rules.count, merge ? m->n_sorted + m->n_changed : 0) + 1;
	rules = malloc(cap * esz);
	if (rules == NULL)
		return -ENOMEM;
	c.r4 = rules;
	if (merge)
		collect_merged(m, &c);
	else
		collect_all(m, &c);
	if (c.n != m->rules.count) { // cannot happen: the merge lost track of a rule
		explicit_bzero(rules, cap * esz);
		free(rules);
		forget_changes(m);
		m->changes_lost = true;
		return -EIO;
	}
	// An EAL limit on SIMD below 256 bits (--force-max-simd-bitwidth) keeps IPv4 lookups off
	// AVX2, as it keeps DPDK's own (0: no EAL, no limit).
	uint16_t simd = rte_vect_get_max_simd_bitwidth();
	unsigned flags4 = simd != 0 && simd < RTE_VECT_SIMD_256 ? MOLT_BUILD_NO_AVX2 : 0;

	if (m->family == 4)
		img = molt4_build(c.r4, c.n, m->seed, flags4);
	else
		img = molt6_build(c.r6, c.n, m->seed, 0);
	if (img == NULL) {
		int err = -errno;

		explicit_bzero(rules, cap * esz);
		free(rules);
		return err;
	}
	forget_sorted(m);
	m->sorted = rules;
	m->n_sorted = c.n;
	m->cap_sorted = cap;
	forget_changes(m);
	m->changes_lost = false;
	m->seed = m->seed * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	molt_free(m->image);
	m->image = img;
	molt_get_stats(img, &st);
	m->image_bytes = st.bytes;
	m->stale = false;
	return 0;
}

static int molt_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cdrv(f)->rules, cb, arg);
}

static uint64_t molt_count(const struct fib *f)
{
	return cdrv(f)->rules.count;
}

static size_t molt_memory(const struct fib *f)
{
	const struct molt_drv *m = cdrv(f);

	return sizeof(*m) + shadow_memory(&m->rules) + m->image_bytes +
	       m->cap_sorted * rule_size(m->family) + m->cap_changed * sizeof(*m->changed);
}

static int molt_reserve(struct fib *f, uint64_t n)
{
	struct molt_drv *m = drv(f);

	return shadow_reserve_n(&m->rules, m->max_routes, n);
}

static void molt_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cdrv(f)->rules, prefix, plen);
}

static void molt_free_scrub(struct fib *f)
{
	struct molt_drv *m = drv(f);

	if (m == NULL)
		return;
	shadow_scrub_free(&m->rules);
	forget_sorted(m);
	forget_changes(m);
	molt_free(m->image);
	explicit_bzero(m, sizeof(*m));
	free(m);
}

// The image is all a lookup reads (the driver struct only says which image).
static int molt_regions(const struct fib *f, struct fib_region *r, unsigned max)
{
	const struct molt_drv *m = cdrv(f);
	const void *base;
	size_t len;

	if (m->image == NULL)
		return 0;
	if (max < 1)
		return -ENOSPC;
	molt_image(m->image, &base, &len);
	r[0] = (struct fib_region){ base, len, "image" };
	return 1;
}

// add and del change the driver's rule table; only seal writes lookup memory (a new image).
static int molt_touched(const struct fib *f, const void *prefix, uint8_t plen, fib_span_cb cb,
			void *arg)
{
	(void)f;
	(void)prefix;
	(void)plen;
	(void)cb;
	(void)arg;
	return 0;
}

// A word of the read-only image, changed by xor with diff: the page is made writable for the
// store only, as a write through a stray mapping would.
static int image_xor64(const struct molt_fib *img, const void *at, uint64_t diff, size_t bytes)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t page = (uintptr_t)at & ~((uintptr_t)pg - 1);
	const void *base;
	size_t len;

	molt_image(img, &base, &len);
	if ((uintptr_t)at < (uintptr_t)base || (uintptr_t)at + bytes > (uintptr_t)base + len)
		return -EBADMSG;
	if (mprotect((void *)page, (size_t)pg, PROT_READ | PROT_WRITE) < 0)
		return -errno;
	if (bytes == 8)
		*(volatile uint64_t *)(uintptr_t)at ^= diff;
	else
		*(volatile uint32_t *)(uintptr_t)at ^= (uint32_t)diff;
	mprotect((void *)page, (size_t)pg, PROT_READ);
	return 0;
}

static size_t image_off(const struct molt_fib *img, const void *at)
{
	return (size_t)((const uint8_t *)at - (const uint8_t *)img);
}

static uint32_t image_lookup(const struct molt_drv *m, const void *addr)
{
	uint32_t nh;

	if (m->family == 4)
		molt4_lookup_bulk(m->image, addr, &nh, 1);
	else
		molt6_lookup_bulk(m->image, addr, &nh, 1);
	return nh;
}

// Whether the 32-bit word at w, holding the address's value ^ key, is the one the lookup reads:
// changed to nh ^ key, kept if the lookup now answers nh, else put back.
static int try_word(const struct molt_drv *m, const void *addr, const uint32_t *w, uint32_t cur,
		    uint32_t nh)
{
	const struct molt_fib *img = m->image;
	int ret;

	if (((*w ^ img->key) | (0u - ((*w ^ img->key) >> 20))) != cur)
		return 0;
	if ((ret = image_xor64(img, w, cur ^ nh, 4)) < 0)
		return ret;
	if (image_lookup(m, addr) == nh)
		return 1;
	image_xor64(img, w, cur ^ nh, 4);
	return 0;
}

// IPv4's last resort: node `node` at depth 20, whatever it was, becomes an inline node of one
// run of value nh (every address of its /20 is redirected), which `what` says.
static int node_redirect(const struct molt_fib *img, uint32_t node, uint32_t nh, char *what,
			 size_t len)
{
	const struct molt_node *d = &img->nodes[node];
	struct molt_node e = { .leafvec = 1 };
	const uint64_t *from = (const uint64_t *)d, *to = (const uint64_t *)&e;
	int ret;

	for (unsigned r = 0; r < MOLT_INLINE_MAX; r++)
		e.words[r] = nh ^ img->key;
	// A node is 32-byte aligned: its four words are on one page.
	for (unsigned i = 0; i < sizeof(e) / 8; i++)
		if ((ret = image_xor64(img, &from[i], from[i] ^ to[i], 8)) < 0)
			return ret;
	snprintf(what, len, "image offset %zu (node %u: every address of its /20): -> %u",
		 image_off(img, d), node, nh);
	return 0;
}

// IPv4: the code `code` (not 0, value cur) of a /len_bits at bit shift of the word w (bytes
// long) becomes another code whose value is nh if there is one (only that /len_bits is
// redirected), else the code's value becomes nh (every /20 and /24 with that code is), which
// `what` says.
static int code_redirect(const struct molt_fib *img, const void *w, size_t bytes, unsigned shift,
			 unsigned len_bits, unsigned code, uint32_t cur, uint32_t nh, char *what,
			 size_t len)
{
	for (unsigned c = 1; c < MOLT4_CODES; c++) {
		if ((img->code_val[c] ^ img->key) != nh)
			continue;
		snprintf(what, len, "image offset %zu (code of a /%u): %u -> %u (value %u -> %u)",
			 image_off(img, w), len_bits, code, c, cur, nh);
		return image_xor64(img, w, (uint64_t)(code ^ c) << shift, bytes);
	}
	snprintf(what, len,
		 "image offset %zu (value of code %u: every /20 and /24 that has it): %u -> %u",
		 image_off(img, &img->code_val[code]), code, cur, nh);
	return image_xor64(img, &img->code_val[code], cur ^ nh, 4);
}

// The address's path: the top entry (IPv4: code), then nodes of 6 bits (IPv6: skip nodes
// too), to the word that holds its value: a top entry, a code's value, a leaf, a value held in
// a node, or a skip node's value. A value held in a node is found by trying the node's words
// that hold the address's current value (the lookup tells which one it reads), so this does
// not depend on how a node packs them. When nothing on the path can be pinned down, the top
// entry takes the value: every address under it is redirected, which `what` says (IPv4: the
// node at depth 20 becomes an inline node of one run).
static int molt_redirect(struct fib *f, const void *addr, uint32_t nh, char *what, size_t len)
{
	const struct molt_drv *m = cdrv(f);
	const struct molt_fib *img = m->image;
	uint64_t hi, lo = 0;
	uint32_t v, cur;
	unsigned off;
	int ret;

	if (nh >= FIB_NH_MAX)
		return -EINVAL;
	if (img == NULL)
		return -ENOTSUP; // never sealed: nothing to redirect
	if (m->family == 4) {
		hi = (uint64_t) * (const uint32_t *)addr << 32;
	} else {
		memcpy(&hi, addr, 8);
		memcpy(&lo, (const uint8_t *)addr + 8, 8);
		hi = be64toh(hi);
		lo = be64toh(lo);
	}
	cur = image_lookup(m, addr);
	if (cur == nh)
		return -EALREADY;
	size_t t = hi >> (64 - img->top_bits);
	const uint32_t *top = img->top != NULL ? &img->top[t] : NULL;
	uint32_t first;

	if (top != NULL) {
		v = *top ^ img->key;
		if (!molt_top_is_node(v)) {
			snprintf(what, len, "image offset %zu (top entry %zu): %u -> %u",
				 image_off(img, top), t, v, nh);
			return image_xor64(img, top, v ^ nh, 4);
		}
		first = v & ~MOLT_NODE;
	} else {
		unsigned code = ((img->codes[t / 8] ^ img->code_key) >> (t % 8 * 4)) & 15;
		const struct molt_rank *rk = &img->rank[t >> MOLT_STRIDE];
		uint64_t map = rk->map;

		if (code != 0)
			return code_redirect(img, &img->codes[t / 8], 4, (unsigned)(t % 8) * 4,
					     MOLT4_TOP_BITS, code, cur, nh, what, len);
		first = (rk->base ^ (uint32_t)img->node_key) +
			(uint32_t)__builtin_popcountll(map & ((UINT64_C(1) << (t & 63)) - 1));
		if (first >= img->n_nodes)
			return -EBADMSG;
		unsigned s = (unsigned)(hi >> (64 - MOLT4_SUB_BITS)) & 15;

		code = (unsigned)((img->sub[first] ^ img->sub_key) >> (4 * s)) & 15;
		if (code != 0)
			return code_redirect(img, &img->sub[first], 8, 4 * s, MOLT4_SUB_BITS, code,
					     cur, nh, what, len);
	}
	off = img->top_bits;
	for (uint32_t node = first; off < 128 && node < img->n_nodes;) {
		const struct molt_node *d = &img->nodes[node];
		unsigned __int128 a = (unsigned __int128)hi << 64 | lo;
		uint64_t x = (uint64_t)((a << off) >> 64), bases = d->bases ^ img->node_key;
		const uint32_t *w = (const uint32_t *)d;

		for (size_t i = 0; i < sizeof(*d) / 4; i++) {
			if ((ret = try_word(m, addr, &w[i], cur, nh)) < 0)
				return ret;
			if (ret == 1) {
				snprintf(what, len,
					 "image offset %zu (word %zu of node %u): %u -> %u",
					 image_off(img, &w[i]), i, node, cur, nh);
				return 0;
			}
		}
		if (m->family == 6 && ((uint32_t)bases >> 31) != 0) { // skip node
			uint32_t nb = (uint32_t)bases, lb = (uint32_t)(bases >> 32);
			bool on_path = ((x ^ d->vec) & d->leafvec) == 0;

			if (on_path && !(lb >> 31)) {
				node = nb & ~MOLT_SKIP;
				off += (unsigned)__builtin_popcountll(d->leafvec);
				continue;
			}
			v = on_path ? nb & ~MOLT_SKIP : lb & ~MOLT_SKIP_LEAF;
			uint64_t diff = on_path ? (uint64_t)(v ^ nh) : (uint64_t)(v ^ nh) << 32;

			if ((ret = image_xor64(img, &d->bases, diff, 8)) < 0)
				return ret;
			if (image_lookup(m, addr) == nh) {
				snprintf(what, len,
					 "image offset %zu (skip node %u, %s value): %u -> %u",
					 image_off(img, &d->bases), node,
					 on_path ? "path" : "other", v, nh);
				return 0;
			}
			image_xor64(img, &d->bases, diff, 8);
			break;
		}
		struct molt_step st = molt_step(d, (unsigned)(x >> (64 - MOLT_STRIDE)),
						img->node_key);

		if (st.is_leaf) {
			if (st.leaf < img->n_leaves &&
			    (ret = try_word(m, addr, &img->leaves[st.leaf], cur, nh)) != 0) {
				if (ret == 1)
					snprintf(what, len,
						 "image offset %zu (leaf %u of node %u): %u -> %u",
						 image_off(img, &img->leaves[st.leaf]), st.leaf,
						 node, cur, nh);
				return ret < 0 ? ret : 0;
			}
			break;
		}
		node = st.next;
		off += MOLT_STRIDE;
	}
	if (top == NULL)
		return node_redirect(img, first, nh, what, len);
	v = *top ^ img->key;
	snprintf(what, len, "image offset %zu (top entry %zu: every address of its /%u): %u -> %u",
		 image_off(img, top), t, img->top_bits, v, nh);
	return image_xor64(img, top, v ^ nh, 4);
}

// Both families' tables: only create and lookup_bulk are per family.
#define MOLT_OPS(fam) \
	{ \
		.family = fam, .create = molt##fam##_create, .lookup_bulk = molt##fam##_lookup, \
		.add = molt_add, .del = molt_del, .walk = molt_walk, .count = molt_count, \
		.memory = molt_memory, .reserve = molt_reserve, .prefetch = molt_prefetch, \
		.free_scrub = molt_free_scrub, .seal = molt_seal, .regions = molt_regions, \
		.touched = molt_touched, .debug_redirect = molt_redirect, \
	}

static const struct fib_ops molt4_ops = MOLT_OPS(4);
static const struct fib_ops molt6_ops = MOLT_OPS(6);

static const struct fib_driver molt_driver = {
	.name = "molt",
	.description = "molt's own compact trie, read-only after each build (seal)",
	.live_update_safe_v4 = false,
	.live_update_safe_v6 = false,
	.v4 = &molt4_ops,
	.v6 = &molt6_ops,
};

RTE_INIT(molt_driver_init)
{
	fib_driver_register(&molt_driver);
}
