// SPDX-License-Identifier: BSD-3-Clause
// The slots' page MACs and the auditor (integrity.h).
//
// Where it runs: on the control thread, from metabolism_poll. Every legitimate change to a live
// slot (journal entries, neighbour rewrites of next-hop words, seal) is made by that thread, so
// an audit step and a change never interleave, and the begin/end calls need no lock against
// the auditor. The build thread only creates records (integrity_slot_new), under `lock`.
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/events/events.h"
#include "control/integrity/integrity.h"
#include "control/integrity/page_mac.h"
#include "drivers/prefix.h"

#define SUB "integrity"
#define PAGE 4096u
#define MAX_REGIONS 12 // per slot: each FIB's regions, the next-hop and group tables
#define MAX_RECORDS 32 // > SLOT_SET_MAX: a slot built while its predecessor is still erased
#define SLICE_PAGES 64u // pages per poll at most: 256 KiB, well under 100 us of MAC work
// Pages one legitimate change may list (a /8 with its groups is a few thousand); past that the
// change is taken as touching everything.
#define CHANGE_PAGES 65536u

struct region {
	const uint8_t *addr;
	size_t len;
	size_t first; // index of its first page in the record's tags
	char name[24];
};

struct record {
	const struct slot *s; // NULL: free
	uint64_t generation;
	struct pmac_key key;
	struct region r[MAX_REGIONS];
	unsigned n_regions;
	size_t pages;
	uint8_t (*tags)[PMAC_TAG_LEN];
	// on[pg]: page pg holds memory lookups can reach (fib_ops.reachable), so it has a MAC and
	// is audited. A page of free tbl8 groups has no effect on forwarding until an add takes a
	// group there, which writes all of the group and MACs the page (change_end).
	uint8_t *on;
	size_t n_on; // pages on
	uint64_t bytes_on;
	size_t cursor; // next page the auditor checks
	bool tainted; // a page did not match: no longer audited, waits to be handed over
	bool reported;
	// pages a change in progress checked (begin) and will MAC again (end)
	size_t *pend;
	size_t n_pend, cap_pend;
	bool pend_all;
};

static struct {
	bool on;
	enum pmac_alg alg;
	uint64_t period_ns;
	uint64_t budget; // bytes per period
	uint64_t allowance; // bytes the auditor may still MAC (token bucket)
	uint64_t slice; // bytes one poll MACs at most
	uint64_t last_ns;
	uint64_t period_start_ns, period_bytes, period_ns_spent;
	unsigned next; // record the auditor turns to next
	unsigned standby; // the standby record audited last
	uint64_t tamper_ns;
	uint64_t lat[INTEGRITY_LATENCY_SAMPLES]; // detection latencies, a ring
	uint64_t n_lat, lat_max;
	pthread_mutex_t lock; // records[] slots taken by the build thread
	struct record rec[MAX_RECORDS];
	struct integrity_status st;
} ig = { .lock = PTHREAD_MUTEX_INITIALIZER };

// --- MACs of a record's pages ------------------------------------------------------------------

static void page_of(const struct record *rc, size_t pg, const struct region **r, size_t *off,
		    size_t *len)
{
	unsigned i = 0;

	while (i + 1 < rc->n_regions && pg >= rc->r[i + 1].first)
		i++;
	*r = &rc->r[i];
	*off = (pg - rc->r[i].first) * PAGE;
	*len = rc->r[i].len - *off < PAGE ? rc->r[i].len - *off : PAGE;
}

// MACs pages pg[0..n) into out (or into the record's tags when out is NULL).
static int mac_pages(const struct record *rc, const size_t *pg, size_t n,
		     uint8_t (*out)[PMAC_TAG_LEN])
{
	const void *p[SLICE_PAGES];
	size_t len[SLICE_PAGES];
	uint8_t(*dst)[PMAC_TAG_LEN];
	int ret;

	for (size_t i = 0; i < n; i += SLICE_PAGES) {
		size_t m = n - i < SLICE_PAGES ? n - i : SLICE_PAGES;
		uint8_t tmp[SLICE_PAGES][PMAC_TAG_LEN];

		for (size_t j = 0; j < m; j++) {
			const struct region *r;
			size_t off;

			page_of(rc, pg[i + j], &r, &off, &len[j]);
			p[j] = r->addr + off;
		}
		dst = out != NULL ? out + i : tmp;
		if ((ret = pmac_run(&rc->key, p, len, dst, (unsigned)m)) < 0)
			return ret;
		if (out == NULL)
			for (size_t j = 0; j < m; j++)
				memcpy(rc->tags[pg[i + j]], tmp[j], PMAC_TAG_LEN);
	}
	return 0;
}

// Whether pages pg[0..n) MAC as their stored tags, computed again.
static bool same_tags(const struct record *rc, const size_t *pg, size_t n)
{
	uint8_t tags[SLICE_PAGES][PMAC_TAG_LEN];

	for (size_t i = 0; i < n; i += SLICE_PAGES) {
		size_t m = n - i < SLICE_PAGES ? n - i : SLICE_PAGES;

		if (mac_pages(rc, pg + i, m, tags) < 0)
			return false;
		for (size_t j = 0; j < m; j++)
			if (memcmp(tags[j], rc->tags[pg[i + j]], PMAC_TAG_LEN) != 0)
				return false;
	}
	return true;
}

// MACs every page, then checks the tags by computing them again: a tag stored wrong would be
// a false alarm for the slot's whole life, and ipsec-mb has been seen to give wrong tags from
// a manager in a bad state (page_mac.c). On a disagreement the thread's manager is replaced
// and the pages MACed again.
static int mac_all(struct record *rc)
{
	size_t batch[SLICE_PAGES * 16];
	int ret;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool ok = true;

		for (size_t pg = 0; pg < rc->pages;) {
			size_t n = 0;

			for (; n < sizeof(batch) / sizeof(batch[0]) && pg < rc->pages; pg++)
				if (rc->on[pg])
					batch[n++] = pg;
			if ((ret = mac_pages(rc, batch, n, NULL)) < 0)
				return ret;
			ok = ok && same_tags(rc, batch, n);
		}
		if (ok)
			return 0;
		LOG_WARN(SUB, "ipsec-mb gave two tags for one page: a new manager, and MACs again");
		ig.st.engine_retries++;
		pmac_fini();
		if ((ret = pmac_init()) < 0)
			return ret;
	}
	return -EIO;
}

static int add_region(struct record *rc, const char *prefix, const void *addr, size_t len,
		      const char *name)
{
	struct region *r;

	if (rc->n_regions == MAX_REGIONS)
		return -ENOSPC;
	if (len == 0)
		return 0;
	r = &rc->r[rc->n_regions++];
	r->addr = addr;
	r->len = len;
	r->first = rc->pages;
	snprintf(r->name, sizeof(r->name), "%s%s", prefix, name);
	rc->pages += (len + PAGE - 1) / PAGE;
	return 0;
}

static int fib_regions(struct record *rc, const char *prefix, const struct fib_ops *ops,
		       const struct fib *f)
{
	struct fib_region fr[MAX_REGIONS];
	int n, ret;

	if (ops->regions == NULL)
		return -ENOTSUP;
	if ((n = ops->regions(f, fr, MAX_REGIONS)) < 0)
		return n;
	for (int i = 0; i < n; i++)
		if ((ret = add_region(rc, prefix, fr[i].addr, fr[i].len, fr[i].name)) < 0)
			return ret;
	return 0;
}

static const struct region *region_of(const struct record *rc, const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	for (unsigned i = 0; i < rc->n_regions; i++)
		if (a >= (uintptr_t)rc->r[i].addr && a < (uintptr_t)rc->r[i].addr + rc->r[i].len)
			return &rc->r[i];
	return NULL;
}

static void turn_on(struct record *rc, size_t pg)
{
	const struct region *r;
	size_t off, len;

	if (rc->on[pg])
		return;
	page_of(rc, pg, &r, &off, &len);
	rc->on[pg] = 1;
	rc->n_on++;
	rc->bytes_on += len;
}

static void on_span(const void *addr, size_t len, void *arg)
{
	struct record *rc = arg;
	const struct region *r = region_of(rc, addr);

	if (r == NULL || len == 0)
		return;
	size_t a = (size_t)((const uint8_t *)addr - r->addr), last = a + len - 1;

	if (last >= r->len)
		last = r->len - 1;
	for (size_t pg = a / PAGE; pg <= last / PAGE; pg++)
		turn_on(rc, r->first + pg);
}

static void on_region(struct record *rc, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++)
		on_span(rc->r[i].addr, rc->r[i].len, rc);
}

// The pages of one FIB's regions [from, to) that are audited: what lookups can reach, or all.
static int fib_on(struct record *rc, const struct fib_ops *ops, const struct fib *f, unsigned from,
		  unsigned to)
{
	if (ops->reachable == NULL) {
		on_region(rc, from, to);
		return 0;
	}
	return ops->reachable(f, on_span, rc);
}

// Reads s's regions into rc and MACs every page lookups can reach (rc->key set).
static int layout(struct record *rc, const struct slot *s)
{
	unsigned n4, n6;
	int ret;

	rc->n_regions = 0;
	rc->pages = 0;
	rc->cursor = 0;
	if ((ret = fib_regions(rc, "fib4.", s->ops4, s->fib4)) < 0)
		return ret;
	n4 = rc->n_regions;
	if ((ret = fib_regions(rc, "fib6.", s->ops6, s->fib6)) < 0)
		return ret;
	n6 = rc->n_regions;
	if ((ret = add_region(rc, "", s->nh, (size_t)s->nh_capacity * sizeof(*s->nh), "nexthops")) <
	    0)
		return ret;
	if (s->grp != NULL &&
	    (ret = add_region(rc, "", s->grp, (size_t)s->grp_capacity * sizeof(*s->grp),
			      "nhgroups")) < 0)
		return ret;
	free(rc->tags);
	free(rc->on);
	rc->tags = malloc((rc->pages ? rc->pages : 1) * PMAC_TAG_LEN);
	rc->on = calloc(rc->pages ? rc->pages : 1, 1);
	rc->n_on = 0;
	rc->bytes_on = 0;
	if (rc->tags == NULL || rc->on == NULL)
		return -ENOMEM;
	if ((ret = fib_on(rc, s->ops4, s->fib4, 0, n4)) < 0 ||
	    (ret = fib_on(rc, s->ops6, s->fib6, n4, n6)) < 0)
		return ret;
	on_region(rc, n6, rc->n_regions);
	return mac_all(rc);
}

static void record_free(struct record *rc)
{
	pmac_key_wipe(&rc->key);
	if (rc->tags != NULL)
		explicit_bzero(rc->tags, rc->pages * PMAC_TAG_LEN);
	free(rc->tags);
	free(rc->on);
	free(rc->pend);
	memset(rc, 0, sizeof(*rc));
}

static struct record *find(const struct slot *s)
{
	for (unsigned i = 0; i < MAX_RECORDS; i++)
		if (ig.rec[i].s == s && ig.rec[i].generation == s->generation)
			return &ig.rec[i];
	return NULL;
}

static uint64_t tracked(void)
{
	uint64_t b = 0, n = 0;

	for (unsigned i = 0; i < MAX_RECORDS; i++) {
		if (ig.rec[i].s == NULL)
			continue;
		n++;
		b += ig.rec[i].bytes_on;
	}
	ig.st.slots = n;
	return b;
}

int integrity_slot_new(const struct slot *s)
{
	struct record tmp, *rc = NULL;
	int ret;

	if (!ig.on)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	if ((ret = pmac_key_new(&tmp.key, ig.alg)) < 0 || (ret = layout(&tmp, s)) < 0) {
		LOG_ERR(SUB, "slot generation %" PRIu64 " (%s): no page MACs (%s): not audited",
			s->generation, s->driver->name, strerror(-ret));
		record_free(&tmp);
		return ret;
	}
	tmp.s = s;
	tmp.generation = s->generation;
	pthread_mutex_lock(&ig.lock);
	for (unsigned i = 0; i < MAX_RECORDS && rc == NULL; i++)
		if (ig.rec[i].s == NULL)
			rc = &ig.rec[i];
	if (rc != NULL)
		*rc = tmp;
	pthread_mutex_unlock(&ig.lock);
	if (rc == NULL) {
		record_free(&tmp);
		return -ENOSPC;
	}
	return 0;
}

void integrity_slot_resealed(const struct slot *s)
{
	struct record *rc;
	int ret;

	pthread_mutex_lock(&ig.lock);
	rc = find(s);
	pthread_mutex_unlock(&ig.lock);
	if (rc == NULL || rc->tainted)
		return;
	// A seal that changed nothing left the same regions: nothing to do.
	struct record probe = { 0 };
	bool same = fib_regions(&probe, "", s->ops4, s->fib4) == 0 &&
		    fib_regions(&probe, "", s->ops6, s->fib6) == 0 &&
		    probe.n_regions + 1 == rc->n_regions;

	for (unsigned i = 0; same && i < probe.n_regions; i++)
		same = probe.r[i].addr == rc->r[i].addr && probe.r[i].len == rc->r[i].len;
	if (same)
		return;
	if ((ret = layout(rc, s)) < 0) {
		LOG_ERR(SUB, "slot %u: page MACs after its seal failed (%s): not audited", s->id,
			strerror(-ret));
		pthread_mutex_lock(&ig.lock);
		record_free(rc);
		pthread_mutex_unlock(&ig.lock);
		return;
	}
	ig.st.remacs += rc->n_on;
}

void integrity_slot_forget(const struct slot *s)
{
	struct record *rc;

	pthread_mutex_lock(&ig.lock);
	if ((rc = find(s)) != NULL)
		record_free(rc);
	pthread_mutex_unlock(&ig.lock);
}

// --- detections --------------------------------------------------------------------------------

static void detected(struct record *rc, size_t pg, uint64_t now)
{
	struct integrity_detection *d = &ig.st.last;
	const struct region *r;
	size_t off, len;

	page_of(rc, pg, &r, &off, &len);
	rc->tainted = true;
	ig.st.detections++;
	d->slot = rc->s->id;
	d->generation = rc->generation;
	snprintf(d->driver, sizeof(d->driver), "%s", rc->s->driver->name);
	snprintf(d->region, sizeof(d->region), "%s", r->name);
	d->offset = off;
	d->at_ns = now;
	// The clock now, not the poll's: debug.tamper may have run in this very loop turn.
	uint64_t t = molt_now_ns();

	d->latency_ns = ig.tamper_ns != 0 && t > ig.tamper_ns ? t - ig.tamper_ns : 0;
	if (d->latency_ns != 0) {
		ig.lat[ig.n_lat++ % INTEGRITY_LATENCY_SAMPLES] = d->latency_ns;
		if (d->latency_ns > ig.lat_max)
			ig.lat_max = d->latency_ns;
	}
	ig.tamper_ns = 0;
	LOG_ERR(SUB,
		"TAMPERING DETECTED: slot %u (generation %" PRIu64
		", driver %s): %s page at offset "
		"%zu does not match its MAC; replacing the slot",
		d->slot, d->generation, d->driver, d->region, off);
	json_t *p = json_pack("{s:I, s:I, s:s, s:s, s:I, s:I, s:I}", "slot", (json_int_t)d->slot,
			      "generation", (json_int_t)d->generation, "driver", d->driver,
			      "region", d->region, "offset", (json_int_t)d->offset, "latency_ns",
			      (json_int_t)d->latency_ns, "detections",
			      (json_int_t)ig.st.detections);

	if (p != NULL)
		molt_event_publish("integrity.detection", p);
}

static bool tags_equal(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;

	for (unsigned i = 0; i < PMAC_TAG_LEN; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

// Checks pages pg[0..n) of rc; a mismatch is a detection. Returns false on a mismatch.
static bool check(struct record *rc, const size_t *pg, size_t n, uint64_t now)
{
	uint8_t tags[SLICE_PAGES][PMAC_TAG_LEN];

	for (size_t i = 0; i < n; i += SLICE_PAGES) {
		size_t m = n - i < SLICE_PAGES ? n - i : SLICE_PAGES;

		if (mac_pages(rc, pg + i, m, tags) < 0)
			return true; // ipsec-mb refused: not evidence of tampering
		for (size_t j = 0; j < m; j++) {
			if (tags_equal(tags[j], rc->tags[pg[i + j]]))
				continue;
			// Computed once more before it counts (see mac_all): memory that was
			// written stays written; a tag the engine got wrong does not repeat.
			if (same_tags(rc, &pg[i + j], 1)) {
				ig.st.engine_retries++;
				continue;
			}
			detected(rc, pg[i + j], now);
			return false;
		}
	}
	return true;
}

// --- legitimate changes ------------------------------------------------------------------------

static void pend_page(struct record *rc, size_t pg)
{
	if (rc->pend_all)
		return;
	for (size_t i = rc->n_pend; i > 0 && i + 8 > rc->n_pend; i--) // recent duplicates
		if (rc->pend[i - 1] == pg)
			return;
	if (rc->n_pend == rc->cap_pend) {
		size_t cap = rc->cap_pend ? rc->cap_pend * 2 : 64;
		size_t *p = cap <= CHANGE_PAGES ? realloc(rc->pend, cap * sizeof(*p)) : NULL;

		if (p == NULL) {
			rc->pend_all = true;
			return;
		}
		rc->pend = p;
		rc->cap_pend = cap;
	}
	rc->pend[rc->n_pend++] = pg;
}

static void pend_span(const void *addr, size_t len, void *arg)
{
	struct record *rc = arg;
	uintptr_t a = (uintptr_t)addr;

	for (unsigned i = 0; i < rc->n_regions; i++) {
		const struct region *r = &rc->r[i];
		uintptr_t b = (uintptr_t)r->addr;

		if (a < b || a >= b + r->len)
			continue;
		size_t last = a + len > b + r->len ? r->len - 1 : a + len - 1 - b;

		for (size_t pg = (a - b) / PAGE; pg <= last / PAGE; pg++)
			pend_page(rc, r->first + pg);
		return;
	}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static size_t pend_unique(struct record *rc)
{
	size_t n = 0;

	qsort(rc->pend, rc->n_pend, sizeof(*rc->pend), cmp_size);
	for (size_t i = 0; i < rc->n_pend; i++)
		if (n == 0 || rc->pend[n - 1] != rc->pend[i])
			rc->pend[n++] = rc->pend[i];
	return rc->n_pend = n;
}

static struct record *live_record(const struct slot *s)
{
	struct record *rc;

	if (!ig.on)
		return NULL;
	pthread_mutex_lock(&ig.lock);
	rc = find(s);
	pthread_mutex_unlock(&ig.lock);
	return rc != NULL && !rc->tainted ? rc : NULL;
}

// The pages the route may write in its family's FIB, and the next-hop table (a change moves
// reference counts and may append a gateway) and group table (nh_pages).
static void route_pages(struct record *rc, const struct slot *s, const struct molt_route *r)
{
	const struct fib_ops *ops = r->family == 4 ? s->ops4 : s->ops6;
	const struct fib *f = r->family == 4 ? s->fib4 : s->fib6;
	uint32_t ip4;
	const void *key = prefix_driver_key(r->family, r->prefix, &ip4);

	if (ops->touched == NULL || ops->touched(f, key, r->plen, pend_span, rc) < 0)
		rc->pend_all = true;
}

static void nh_pages(struct record *rc, const struct slot *s)
{
	pend_span(s->nh, (size_t)s->nh_capacity * sizeof(*s->nh), rc);
	// A multipath route may append one next-hop group; the groups before it never change.
	if (s->grp != NULL && s->grp_count < s->grp_capacity)
		pend_span(&s->grp[s->grp_count], sizeof(*s->grp), rc);
}

// Checks the pages a change may write that have a MAC (the others reach nothing yet).
static void change_begin(struct record *rc)
{
	size_t n = pend_unique(rc), k = 0;
	size_t on[SLICE_PAGES];

	if (rc->pend_all) // more than CHANGE_PAGES: every page with a MAC is checked first
		n = rc->pages;
	for (size_t i = 0; i < n; i++) {
		size_t pg = rc->pend_all ? i : rc->pend[i];

		if (rc->on[pg])
			on[k++] = pg;
		if (k == SLICE_PAGES || (i + 1 == n && k > 0)) {
			ig.st.checks += k;
			if (!check(rc, on, k, molt_now_ns()))
				return;
			k = 0;
		}
	}
}

static void change_end(struct record *rc)
{
	size_t n = pend_unique(rc);

	if (rc->pend_all) {
		// The change may have written anywhere: every page MACed again, all audited.
		for (size_t pg = 0; pg < rc->pages; pg++)
			turn_on(rc, pg);
		mac_all(rc);
		ig.st.remacs += rc->pages;
	} else {
		for (size_t i = 0; i < n; i++)
			turn_on(rc, rc->pend[i]);
		mac_pages(rc, rc->pend, n, NULL);
		ig.st.remacs += n;
	}
	rc->n_pend = 0;
	rc->pend_all = false;
}

void integrity_route_begin(const struct slot *s, const struct molt_route *old,
			   const struct molt_route *new_)
{
	struct record *rc = live_record(s);

	if (rc == NULL)
		return;
	rc->n_pend = 0;
	rc->pend_all = false;
	if (old != NULL)
		route_pages(rc, s, old);
	if (new_ != NULL)
		route_pages(rc, s, new_);
	nh_pages(rc, s);
	change_begin(rc);
}

void integrity_route_end(const struct slot *s, const struct molt_route *old,
			 const struct molt_route *new_)
{
	struct record *rc = live_record(s);

	if (rc == NULL)
		return;
	if (old != NULL)
		route_pages(rc, s, old);
	if (new_ != NULL)
		route_pages(rc, s, new_);
	change_end(rc);
}

void integrity_write_begin(const struct slot *s, const void *addr, size_t len)
{
	struct record *rc = live_record(s);

	if (rc == NULL)
		return;
	rc->n_pend = 0;
	rc->pend_all = false;
	pend_span(addr, len, rc);
	change_begin(rc);
}

void integrity_write_end(const struct slot *s, const void *addr, size_t len)
{
	struct record *rc = live_record(s);

	if (rc == NULL)
		return;
	pend_span(addr, len, rc);
	change_end(rc);
}

// --- the auditor -------------------------------------------------------------------------------

static bool audited(const struct record *rc)
{
	return rc->s != NULL && !rc->tainted && rc->pages > 0 &&
	       (rc->s->state == SLOT_ACTIVE || rc->s->state == SLOT_READY);
}

// The record the auditor turns to after a pass over rc: the ACTIVE slot's after any standby's,
// so the slot workers read takes at least every other pass however many standbys there are.
static unsigned next_after(const struct record *rc)
{
	unsigned i = (unsigned)(rc - ig.rec);

	if (rc->s->state != SLOT_ACTIVE) {
		ig.standby = i;
		for (unsigned k = 0; k < MAX_RECORDS; k++)
			if (audited(&ig.rec[k]) && ig.rec[k].s->state == SLOT_ACTIVE)
				return k;
	}
	// After the ACTIVE slot: the standby after the last one audited, in record order.
	for (unsigned k = 1; k <= MAX_RECORDS; k++) {
		unsigned j = (ig.standby + k) % MAX_RECORDS;

		if (audited(&ig.rec[j]) && ig.rec[j].s->state != SLOT_ACTIVE)
			return j;
	}
	return i;
}

static struct slot *poll_locked(uint64_t now);

// Under the lock: the build thread may be filling a free record meanwhile (the only thing it
// does), and a half-copied record must not be audited.
struct slot *integrity_poll(uint64_t now)
{
	struct slot *s;

	if (!ig.on)
		return NULL;
	uint64_t spent = ig.period_bytes, t = molt_now_ns();

	pthread_mutex_lock(&ig.lock);
	s = poll_locked(now);
	pthread_mutex_unlock(&ig.lock);
	// Timed only when it did work: the CPU share integrity.status reports.
	if (ig.period_bytes != spent)
		ig.period_ns_spent += molt_now_ns() - t;
	return s;
}

static struct slot *poll_locked(uint64_t now)
{
	size_t pg[SLICE_PAGES];
	uint64_t spent = 0;

	// A detection made by a begin call, not reported yet.
	for (unsigned i = 0; i < MAX_RECORDS; i++) {
		if (ig.rec[i].s != NULL && ig.rec[i].tainted && !ig.rec[i].reported) {
			ig.rec[i].reported = true;
			return (struct slot *)(uintptr_t)ig.rec[i].s;
		}
	}
	if (ig.last_ns == 0)
		ig.last_ns = ig.period_start_ns = now;
	if (now > ig.last_ns) {
		uint64_t add = (uint64_t)((double)ig.budget * (double)(now - ig.last_ns) /
					  (double)ig.period_ns);

		ig.allowance = ig.allowance + add > ig.budget ? ig.budget : ig.allowance + add;
		ig.last_ns = now;
	}
	if (now - ig.period_start_ns >= ig.period_ns) {
		ig.st.bytes_last_period = ig.period_bytes;
		ig.st.ns_last_period = ig.period_ns_spent;
		ig.period_bytes = 0;
		ig.period_ns_spent = 0;
		ig.period_start_ns = now;
	}
	for (unsigned tries = 0; tries < MAX_RECORDS && ig.allowance >= PAGE; tries++) {
		struct record *rc = &ig.rec[ig.next % MAX_RECORDS];
		size_t n = 0, bytes = 0;

		if (!audited(rc)) {
			ig.next++;
			continue;
		}
		while (n < SLICE_PAGES && rc->cursor < rc->pages && bytes + PAGE <= ig.allowance) {
			const struct region *r;
			size_t off, len;

			if (!rc->on[rc->cursor]) {
				rc->cursor++;
				continue;
			}
			page_of(rc, rc->cursor, &r, &off, &len);
			pg[n++] = rc->cursor++;
			bytes += len;
		}
		if (rc->cursor == rc->pages) { // a whole pass: the next slot's turn
			rc->cursor = 0;
			ig.st.passes++;
			ig.next = next_after(rc);
		}
		if (n == 0)
			break;
		ig.allowance -= bytes;
		ig.period_bytes += bytes;
		ig.st.audits += n;
		ig.st.bytes_audited += bytes;
		spent += bytes;
		if (!check(rc, pg, n, now)) {
			rc->reported = true;
			return (struct slot *)(uintptr_t)rc->s;
		}
		if (spent >= ig.slice)
			break;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t integrity_latency_pct(unsigned p, uint64_t *samples, uint64_t *max)
{
	uint64_t v[INTEGRITY_LATENCY_SAMPLES];
	size_t n = ig.n_lat < INTEGRITY_LATENCY_SAMPLES ? ig.n_lat : INTEGRITY_LATENCY_SAMPLES;

	*samples = ig.n_lat;
	*max = ig.lat_max;
	if (n == 0)
		return 0;
	memcpy(v, ig.lat, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return v[(n - 1) * (p > 100 ? 100 : p) / 100];
}

int integrity_page_tag(const struct slot *s, const char *region, size_t page, uint8_t tag[16])
{
	const struct record *rc = find(s);

	for (unsigned i = 0; rc != NULL && i < rc->n_regions; i++) {
		if (strcmp(rc->r[i].name, region) == 0 && page * PAGE < rc->r[i].len &&
		    rc->on[rc->r[i].first + page]) {
			memcpy(tag, rc->tags[rc->r[i].first + page], PMAC_TAG_LEN);
			return 0;
		}
	}
	return -ENOENT;
}

void integrity_tamper_noted(uint64_t now_ns)
{
	ig.tamper_ns = now_ns;
}

const struct integrity_status *integrity_status_racy(void)
{
	return &ig.st;
}

const struct integrity_status *integrity_status(void)
{
	pthread_mutex_lock(&ig.lock);
	ig.st.bytes_tracked = tracked();
	pthread_mutex_unlock(&ig.lock);
	return &ig.st;
}

// --- start and stop ----------------------------------------------------------------------------

int integrity_init(const struct molt_config *cfg)
{
	int ret;

	memset(&ig.st, 0, sizeof(ig.st));
	ig.on = false;
	ig.st.enabled = false;
	ig.st.alg = "none";
	ig.st.arch = "none";
	ig.st.budget_percent = cfg->integrity_budget_percent;
	ig.st.period_ms = cfg->integrity_period_ms;
	if (cfg->integrity_budget_percent == 0) {
		LOG_WARN(SUB, "integrity.budget_percent is 0: slots are not audited");
		return 0;
	}
	if ((ret = pmac_init()) < 0) {
		LOG_ERR(SUB,
			"ipsec-mb: no usable code path on this CPU (%s): slots are not audited",
			strerror(-ret));
		return ret;
	}
	ig.st.arch = pmac_arch();
	// Over 64 MiB, past the last-level cache, as a slot's tables are: the audit reads memory,
	// and measured on 32 MiB the rate came out up to 3-4 times what the audit achieves, which
	// would have let it spend that much more than its share of the core.
	ig.st.rate[PMAC_AES_CMAC] = pmac_measure(PMAC_AES_CMAC, 64u << 20);
	ig.st.rate[PMAC_HMAC_SHA256] = pmac_measure(PMAC_HMAC_SHA256, 64u << 20);
	if (strcmp(cfg->integrity_alg, "aes-cmac") == 0)
		ig.alg = PMAC_AES_CMAC;
	else if (strcmp(cfg->integrity_alg, "hmac-sha256") == 0)
		ig.alg = PMAC_HMAC_SHA256;
	else
		ig.alg = ig.st.rate[PMAC_HMAC_SHA256] > ig.st.rate[PMAC_AES_CMAC] ? PMAC_HMAC_SHA256
										  : PMAC_AES_CMAC;
	if (ig.st.rate[ig.alg] <= 0) {
		LOG_ERR(SUB, "ipsec-mb: %s failed its measurement: slots are not audited",
			pmac_alg_name(ig.alg));
		return -EIO;
	}
	ig.st.alg = pmac_alg_name(ig.alg);
	ig.period_ns = (uint64_t)cfg->integrity_period_ms * 1000000ull;
	// The budget is a share of one core's time, turned into bytes with the measured rate:
	// counting bytes keeps it exact under load (a slow poll does not earn more work).
	ig.budget = (uint64_t)(ig.st.rate[ig.alg] * cfg->integrity_budget_percent / 100.0 *
			       (double)cfg->integrity_period_ms / 1000.0);
	if (ig.budget < PAGE)
		ig.budget = PAGE;
	ig.st.budget_bytes = ig.budget;
	// Per poll: what 5 ms of the period earn, at least SLICE_PAGES pages: well under a
	// millisecond of MAC work, and enough to keep up with the budget when a loaded machine
	// wakes the control loop every few milliseconds only (measured: at 2 ms worth per poll it
	// audited a third of its budget there).
	ig.slice = 5 * ig.budget * 1000000ull / ig.period_ns;
	if (ig.slice < (uint64_t)SLICE_PAGES * PAGE)
		ig.slice = (uint64_t)SLICE_PAGES * PAGE;
	ig.allowance = 0;
	ig.last_ns = 0;
	ig.next = 0;
	ig.tamper_ns = 0;
	ig.on = ig.st.enabled = true;
	LOG_NOTICE(SUB,
		   "page MACs with %s (ipsec-mb %s, %s): measured aes-cmac %.2f GB/s, "
		   "hmac-sha256 %.2f GB/s; audit budget %u%% = %.1f MB per %u ms",
		   ig.st.alg, pmac_version(), ig.st.arch, ig.st.rate[PMAC_AES_CMAC] / 1e9,
		   ig.st.rate[PMAC_HMAC_SHA256] / 1e9, cfg->integrity_budget_percent,
		   ig.budget / 1e6, cfg->integrity_period_ms);
	return 0;
}

void integrity_fini(void)
{
	pthread_mutex_lock(&ig.lock);
	for (unsigned i = 0; i < MAX_RECORDS; i++)
		if (ig.rec[i].s != NULL || ig.rec[i].tags != NULL)
			record_free(&ig.rec[i]);
	pthread_mutex_unlock(&ig.lock);
	ig.on = false;
	pmac_fini();
}
