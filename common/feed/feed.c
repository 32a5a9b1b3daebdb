// SPDX-License-Identifier: BSD-3-Clause
// Route feed: the writer (molt-routeserver) and the read-only reader (moltd).
// Layout and publication protocol: common/feed/feed_format.h.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/errmsg.h"
#include "common/feed/feed.h"

// A reader that keeps losing the race against a republishing writer gives up after this many
// tries instead of spinning forever on the control thread.
#define SNAPSHOT_TRIES 1000

static int shm_name(char *out, size_t len, const char *name)
{
	int n = snprintf(out, len, "%s%s", name[0] == '/' ? "" : "/", name);

	if (n < 0 || (size_t)n >= len || strchr(out + 1, '/') != NULL || out[1] == '\0')
		return -EINVAL;
	return 0;
}

// Where buffer i starts: right after the header page, one capacity-sized buffer after another.
static uint64_t snap_offset(uint64_t capacity, unsigned i)
{
	return FEED_HEADER_SIZE + i * capacity * sizeof(struct molt_route);
}

// The journal starts on a cache line so entries do not straddle two of them needlessly.
static uint64_t journal_offset(uint64_t capacity)
{
	return (snap_offset(capacity, 2) + 63) & ~63ULL;
}

// What a snapshot's MAC covers (feed_format.h), laid out without holes.
struct snap_mac_msg {
	uint64_t generation;
	uint32_t buffer;
	uint32_t zero;
	uint64_t seq;
	uint64_t count;
	uint64_t covers_seq;
	uint64_t digest;
	uint64_t count_v4;
	uint64_t count_v6;
	uint64_t published_ns;
};

// The MAC of descriptor d (its fields as given, seq the even value it has when complete) for
// buffer b of generation gen holding `routes` (through the chunk tree of feed_key_mac_bulk).
// Returns 0 or -ENOMEM.
static int snap_mac(struct feed_key *key, uint64_t gen, unsigned b, uint64_t seq,
		    const struct feed_snapshot_desc *d, const struct molt_route *routes,
		    uint8_t mac[FEED_MAC_LEN])
{
	struct snap_mac_msg m;

	memset(&m, 0, sizeof(m));
	m.generation = gen;
	m.buffer = b;
	m.seq = seq;
	m.count = d->count;
	m.covers_seq = d->covers_seq;
	m.digest = d->digest;
	m.count_v4 = d->count_v4;
	m.count_v6 = d->count_v6;
	m.published_ns = d->published_ns;
	return feed_key_mac_bulk(key, FEED_MAC_SNAPSHOT, &m, sizeof(m), routes,
				 d->count * sizeof(*routes), mac);
}

static void key_check_mac(struct feed_key *key, uint64_t gen, uint8_t mac[FEED_MAC_LEN])
{
	feed_key_mac(key, FEED_MAC_CHECK, &gen, sizeof(gen), mac);
}

int feed_writer_create(struct feed_writer *w, const char *name, uint64_t snap_capacity,
		       uint64_t journal_size, struct feed_key *key, char *err, size_t errlen)
{
	struct feed_header *h;
	uint64_t gen, size;
	void *p;
	int ret;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (shm_name(w->name, sizeof(w->name), name) < 0)
		return molt_errf(-EINVAL, err, errlen,
				 "invalid shared-memory name '%s' (want /NAME, no other '/')",
				 name);
	if (journal_size & (journal_size - 1))
		return molt_errf(-EINVAL, err, errlen, "journal size %llu is not a power of two",
				 (unsigned long long)journal_size);
	if (snap_capacity == 0 || snap_capacity > (1ULL << 32))
		return molt_errf(-EINVAL, err, errlen, "snapshot capacity %llu out of range 1-2^32",
				 (unsigned long long)snap_capacity);
	size = journal_offset(snap_capacity) + journal_size * sizeof(struct feed_journal_entry);

	// Unlink, then create exclusively: a reader still mapping the previous object keeps a
	// valid (orphaned) mapping. Truncating the object in place would make its next access
	// fault with SIGBUS, and moltd must keep forwarding when the route server restarts.
	if (shm_unlink(w->name) < 0 && errno != ENOENT)
		return molt_errf(-errno, err, errlen, "cannot remove old %s: %s", w->name,
				 strerror(errno));
	w->fd = shm_open(w->name, O_CREAT | O_EXCL | O_RDWR, 0644);
	if (w->fd < 0)
		return molt_errf(-errno, err, errlen, "shm_open %s: %s", w->name, strerror(errno));
	// The umask may have removed read access for moltd's user.
	if (fchmod(w->fd, 0644) < 0 || ftruncate(w->fd, (off_t)size) < 0) {
		ret = molt_errf(-errno, err, errlen, "sizing %s to %llu bytes: %s", w->name,
				(unsigned long long)size, strerror(errno));
		goto fail;
	}
	// Allocate the header and journal now so a full /dev/shm is an error here, not a SIGBUS
	// later. Snapshot pages are allocated on publish, for the routes actually written.
	if ((ret = posix_fallocate(w->fd, 0, FEED_HEADER_SIZE)) != 0 ||
	    (journal_size > 0 &&
	     (ret = posix_fallocate(w->fd, (off_t)journal_offset(snap_capacity),
				    (off_t)(size - journal_offset(snap_capacity)))) != 0)) {
		ret = molt_errf(-ret, err, errlen, "allocating %s: %s", w->name, strerror(ret));
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
	if (p == MAP_FAILED) {
		ret = molt_errf(-errno, err, errlen, "mmap %s: %s", w->name, strerror(errno));
		goto fail;
	}
	if (getrandom(&gen, sizeof(gen), 0) != sizeof(gen)) {
		ret = molt_errf(-EIO, err, errlen, "getrandom failed: %s", strerror(errno));
		munmap(p, size);
		goto fail;
	}

	w->hdr = h = p;
	w->size = size;
	w->generation = gen;
	w->key = key;
	h->version = FEED_VERSION;
	h->header_size = FEED_HEADER_SIZE;
	h->total_size = size;
	h->generation = gen;
	h->route_size = sizeof(struct molt_route);
	h->journal_entry_size = sizeof(struct feed_journal_entry);
	h->snap_capacity = snap_capacity;
	h->journal_offset = journal_offset(snap_capacity);
	h->journal_size = journal_size;
	h->snap[0].offset = snap_offset(snap_capacity, 0);
	h->snap[1].offset = snap_offset(snap_capacity, 1);
	h->auth = key != NULL ? FEED_AUTH_HMAC_SHA256 : FEED_AUTH_NONE;
	if (key != NULL)
		key_check_mac(key, gen, h->key_check);
	atomic_store_explicit(&h->heartbeat_ns, molt_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&h->alive, 1, memory_order_relaxed);
	// Magic last: a reader that sees it also sees every field above.
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&h->magic, FEED_MAGIC, __ATOMIC_RELEASE);
	return 0;

fail:
	close(w->fd);
	shm_unlink(w->name);
	w->fd = -1;
	return ret;
}

int feed_writer_publish(struct feed_writer *w, const struct molt_route *routes, uint64_t count,
			uint64_t covers_seq)
{
	struct feed_header *h = w->hdr;
	struct feed_snapshot_desc *d, nd;
	uint64_t digest = 0, v4 = 0, seq, i;
	struct molt_route *dst;
	unsigned b;
	int ret;

	if (count > h->snap_capacity)
		return -ENOSPC;
	for (i = 0; i < count; i++) {
		digest += molt_route_hash(&routes[i]);
		v4 += routes[i].family == 4;
	}
	// The spare buffer: readers of the current one are never disturbed by this publish.
	b = atomic_load_explicit(&h->current, memory_order_relaxed) ^ 1;
	d = &h->snap[b];
	if (count > 0) {
		ret = posix_fallocate(w->fd, (off_t)d->offset,
				      (off_t)(count * sizeof(struct molt_route)));
		if (ret != 0)
			return -ret;
	}

	// The descriptor is made here, MAC included, before the buffer is touched: a failure
	// leaves the spare buffer as it was. The MAC is of the caller's routes, not of the shared
	// copy another process could change meanwhile.
	seq = atomic_load_explicit(&d->seq, memory_order_relaxed);
	memset(&nd, 0, sizeof(nd));
	nd.count = count;
	nd.covers_seq = covers_seq;
	nd.digest = digest;
	nd.count_v4 = v4;
	nd.count_v6 = count - v4;
	nd.published_ns = molt_wall_ns();
	if (w->key != NULL &&
	    (ret = snap_mac(w->key, w->generation, b, seq + 2, &nd, routes, nd.mac)) < 0)
		return ret;

	atomic_store_explicit(&d->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);

	dst = (struct molt_route *)((uint8_t *)h + d->offset);
	if (count > 0) // an empty table may come as routes == NULL
		memcpy(dst, routes, count * sizeof(*routes));
	d->count = nd.count;
	d->covers_seq = nd.covers_seq;
	d->digest = nd.digest;
	d->count_v4 = nd.count_v4;
	d->count_v6 = nd.count_v6;
	d->published_ns = nd.published_ns;
	memcpy(d->mac, nd.mac, sizeof(d->mac));

	atomic_store_explicit(&d->seq, seq + 2, memory_order_release);
	atomic_store_explicit(&h->current, b, memory_order_release);
	return 0;
}

void feed_writer_close(struct feed_writer *w, int unlink)
{
	if (w->hdr != NULL) {
		atomic_store_explicit(&w->hdr->alive, 0, memory_order_release);
		munmap(w->hdr, w->size);
		w->hdr = NULL;
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (unlink && w->name[0] != '\0')
		shm_unlink(w->name);
}

static int reader_check_layout(const struct feed_header *h, uint64_t size, char *err, size_t errlen)
{
	uint64_t cap = h->snap_capacity;
	unsigned i;

	if (h->header_size != FEED_HEADER_SIZE || h->route_size != sizeof(struct molt_route) ||
	    h->journal_entry_size != sizeof(struct feed_journal_entry))
		return molt_errf(
			-EBADMSG, err, errlen,
			"feed element sizes differ (header %u, route %u, journal entry %u)",
			h->header_size, h->route_size, h->journal_entry_size);
	if (h->total_size != size)
		return molt_errf(-EBADMSG, err, errlen,
				 "feed is %llu bytes but its header says %llu (truncated?)",
				 (unsigned long long)size, (unsigned long long)h->total_size);
	// Bound capacity before multiplying so the checks below cannot overflow.
	if (cap == 0 || cap > size / sizeof(struct molt_route))
		return molt_errf(-EBADMSG, err, errlen, "feed snapshot capacity %llu does not fit",
				 (unsigned long long)cap);
	for (i = 0; i < 2; i++)
		if (h->snap[i].offset != snap_offset(cap, i))
			return molt_errf(-EBADMSG, err, errlen,
					 "feed snapshot %u at a wrong offset", i);
	if (snap_offset(cap, 2) > size)
		return molt_errf(-EBADMSG, err, errlen, "feed snapshot buffers exceed the object");
	if (h->journal_size & (h->journal_size - 1))
		return molt_errf(-EBADMSG, err, errlen, "feed journal size is not a power of two");
	if (h->journal_offset < snap_offset(cap, 2) || h->journal_offset > size ||
	    h->journal_size > (size - h->journal_offset) / sizeof(struct feed_journal_entry))
		return molt_errf(-EBADMSG, err, errlen, "feed journal lies outside the object");
	return 0;
}

// Both sides must agree on authentication, and on the key when there is one.
static int reader_check_auth(struct feed_reader *r, char *err, size_t errlen)
{
	const struct feed_header *h = r->hdr;

	if (h->auth != FEED_AUTH_NONE && h->auth != FEED_AUTH_HMAC_SHA256)
		return molt_errf(-EBADMSG, err, errlen, "route feed %s: unknown authentication %u",
				 r->name, h->auth);
	if (r->key == NULL) {
		if (h->auth == FEED_AUTH_NONE)
			return 0;
		return molt_errf(
			-ENOKEY, err, errlen,
			"route feed %s is authenticated (molt-routeserver --feed-key) but no "
			"feed key is configured here (feed.key_file): refused",
			r->name);
	}
	if (h->auth == FEED_AUTH_NONE)
		return molt_errf(-EKEYREJECTED, err, errlen,
				 "route feed %s is unauthenticated (molt-routeserver runs without "
				 "--feed-key) but a feed key is configured here: refused",
				 r->name);
	if (feed_key_verify(r->key, FEED_MAC_CHECK, &r->generation, sizeof(r->generation),
			    h->key_check) < 0)
		return molt_errf(
			-EKEYREJECTED, err, errlen,
			"route feed %s was made under another key than this one (key check "
			"mismatch): refused",
			r->name);
	return 0;
}

int feed_reader_open(struct feed_reader *r, const char *name, struct feed_key *key, char *err,
		     size_t errlen)
{
	const struct feed_header *h;
	uint64_t magic;
	struct stat st;
	void *p;
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->key = key;
	if (shm_name(r->name, sizeof(r->name), name) < 0)
		return molt_errf(-EINVAL, err, errlen, "invalid shared-memory name '%s'", name);
	r->fd = shm_open(r->name, O_RDONLY, 0);
	if (r->fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			return molt_errf(
				ret, err, errlen,
				"no route feed %s (is molt-routeserver running with --shm %s?)",
				r->name, r->name + 1);
		return molt_errf(ret, err, errlen, "cannot open route feed %s: %s", r->name,
				 strerror(-ret));
	}
	if (fstat(r->fd, &st) < 0) {
		ret = molt_errf(-errno, err, errlen, "fstat %s: %s", r->name, strerror(errno));
		goto fail;
	}
	if ((uint64_t)st.st_size < FEED_HEADER_SIZE) {
		ret = molt_errf(-EBADMSG, err, errlen, "route feed %s is truncated (%lld bytes)",
				r->name, (long long)st.st_size);
		goto fail;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED) {
		ret = molt_errf(-errno, err, errlen, "mmap %s: %s", r->name, strerror(errno));
		goto fail;
	}
	r->hdr = h = p;
	r->size = (size_t)st.st_size;

	magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic != FEED_MAGIC) {
		ret = molt_errf(-EPROTO, err, errlen, "%s is not a molt feed (bad magic%s)",
				r->name, magic == 0 ? ", or still being created" : "");
		goto fail;
	}
	if (h->version != FEED_VERSION) {
		ret = molt_errf(-EPROTONOSUPPORT, err, errlen,
				"route feed %s has format version %u, this moltd reads version %u",
				r->name, h->version, FEED_VERSION);
		goto fail;
	}
	ret = reader_check_layout(h, r->size, err, errlen);
	if (ret < 0)
		goto fail;
	r->generation = h->generation;
	ret = reader_check_auth(r, err, errlen);
	if (ret < 0)
		goto fail;
	return 0;

fail:
	feed_reader_close(r);
	return ret;
}

// Copies buffer `b` under its seqlock. Returns 0, -EAGAIN when the writer reused it meanwhile
// (retry), -ENODATA when it was never written, -EBADMSG, -ENOMEM.
static int copy_buffer(struct feed_reader *r, unsigned b, struct molt_route **routes,
		       uint64_t *alloc, struct feed_snapshot_desc *desc, char *err, size_t errlen)
{
	const struct feed_snapshot_desc *d = &r->hdr->snap[b];
	uint64_t s1, s2, count, cap, off;

	s1 = atomic_load_explicit(&d->seq, memory_order_acquire);
	if (s1 == 0)
		return -ENODATA;
	if (s1 & 1)
		return -EAGAIN;
	count = d->count;
	// Capacity was checked at open, but the header is the writer's to change: bound the copy
	// by this mapping, whatever the header says now.
	cap = r->hdr->snap_capacity;
	off = cap <= r->size / sizeof(struct molt_route) ? snap_offset(cap, b) : r->size;
	if (count > cap || off > r->size || count > (r->size - off) / sizeof(struct molt_route)) {
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&d->seq, memory_order_relaxed) != s1)
			return -EAGAIN;
		return molt_errf(-EBADMSG, err, errlen, "snapshot count %llu exceeds capacity %llu",
				 (unsigned long long)count, (unsigned long long)cap);
	}
	if (count > *alloc || *routes == NULL) {
		struct molt_route *n = realloc(*routes, (count ? count : 1) * sizeof(**routes));

		if (n == NULL)
			return molt_errf(-ENOMEM, err, errlen, "no memory for %llu routes",
					 (unsigned long long)count);
		*routes = n;
		*alloc = count;
	}
	// The buffer's place follows from the capacity; the offset field is not trusted.
	memcpy(*routes, (const uint8_t *)r->hdr + off, count * sizeof(**routes));
	desc->offset = off;
	desc->count = count;
	desc->covers_seq = d->covers_seq;
	desc->digest = d->digest;
	desc->count_v4 = d->count_v4;
	desc->count_v6 = d->count_v6;
	desc->published_ns = d->published_ns;
	memcpy(desc->mac, d->mac, sizeof(desc->mac));
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&d->seq, memory_order_relaxed);
	if (s1 != s2)
		return -EAGAIN;
	atomic_store_explicit(&desc->seq, s1, memory_order_relaxed);
	return 0;
}

static int check_snapshot(const struct molt_route *routes, const struct feed_snapshot_desc *d,
			  char *err, size_t errlen)
{
	uint64_t digest = 0, v4 = 0, i;
	char why[128];

	for (i = 0; i < d->count; i++) {
		if (molt_route_validate(&routes[i], why, sizeof(why)) < 0)
			return molt_errf(-EBADMSG, err, errlen,
					 "snapshot route %llu is corrupt: %s",
					 (unsigned long long)i, why);
		digest += molt_route_hash(&routes[i]);
		v4 += routes[i].family == 4;
	}
	if (digest != d->digest)
		return molt_errf(-EBADMSG, err, errlen,
				 "snapshot digest mismatch (computed %016llx, published %016llx)",
				 (unsigned long long)digest, (unsigned long long)d->digest);
	if (v4 != d->count_v4 || d->count - v4 != d->count_v6)
		return molt_errf(-EBADMSG, err, errlen, "snapshot per-family counts do not add up");
	return 0;
}

int feed_reader_snapshot(struct feed_reader *r, struct molt_route **routes,
			 struct feed_snapshot_desc *desc, char *err, size_t errlen)
{
	struct molt_route *buf = NULL;
	uint64_t alloc = 0;
	int tries, ret = -EAGAIN;
	uint8_t mac[FEED_MAC_LEN];
	unsigned b = 0;

	for (tries = 0; tries < SNAPSHOT_TRIES; tries++) {
		b = atomic_load_explicit(&r->hdr->current, memory_order_acquire);
		if (b > 1) {
			ret = molt_errf(-EBADMSG, err, errlen, "feed buffer index %u is invalid",
					b);
			break;
		}
		ret = copy_buffer(r, b, &buf, &alloc, desc, err, errlen);
		if (ret != -EAGAIN)
			break;
	}
	if (ret == -ENODATA)
		ret = molt_errf(-EAGAIN, err, errlen, "route server has not published a table yet");
	else if (ret == -EAGAIN)
		molt_errf(ret, err, errlen, "route server republished %d times during the copy",
			  SNAPSHOT_TRIES);
	else if (ret == 0 && r->key != NULL) {
		// The copy is checked, not the shared buffer: what passes is what gets loaded.
		ret = snap_mac(r->key, r->generation, b,
			       atomic_load_explicit(&desc->seq, memory_order_relaxed), desc, buf,
			       mac);
		if (ret < 0)
			molt_errf(ret, err, errlen, "no memory to check the snapshot's MAC");
		else if (!feed_mac_equal(mac, desc->mac))
			ret = molt_errf(
				-EKEYREJECTED, err, errlen,
				"snapshot buffer %u (%llu routes, covers sequence %llu): MAC "
				"mismatch, changed by a process without the feed key: refused",
				b, (unsigned long long)desc->count,
				(unsigned long long)desc->covers_seq);
	}
	if (ret == 0)
		ret = check_snapshot(buf, desc, err, errlen);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*routes = buf;
	return 0;
}

void feed_reader_close(struct feed_reader *r)
{
	if (r->hdr != NULL)
		munmap((void *)r->hdr, r->size);
	r->hdr = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

// A next-hop group's path record (common/route.h).
static int group_path_validate(const struct molt_route *r, char *err, size_t errlen)
{
	unsigned n = r->prefix[8], fam = r->prefix[9];
	size_t devlen = strnlen(r->dev, sizeof(r->dev)), i;

	if (r->type != MOLT_RT_GROUP_PATH || n < 2 || n > MOLT_MAX_PATHS || r->plen >= n ||
	    (fam != 4 && fam != 6) || !all_zero(r->prefix + 10, 6) || molt_route_group_id(r) == 0)
		return molt_errf(-EINVAL, err, errlen, "malformed next-hop group record");
	if (all_zero(r->gateway, 16) || (fam == 4 && !all_zero(r->gateway + 4, 12)))
		return molt_errf(-EINVAL, err, errlen, "next-hop group path with a bad gateway");
	if (devlen == sizeof(r->dev))
		return molt_errf(-EINVAL, err, errlen, "port name is not NUL-terminated");
	for (i = devlen; i < sizeof(r->dev); i++)
		if (r->dev[i] != '\0')
			return molt_errf(-EINVAL, err, errlen, "port name has bytes after its end");
	return 0;
}

int molt_route_validate(const struct molt_route *r, char *err, size_t errlen)
{
	unsigned bits = r->family == 4 ? 32 : 128;
	uint8_t masked[16];
	size_t devlen, i;

	if (r->family == MOLT_FAMILY_GROUP)
		return group_path_validate(r, err, errlen);
	if (r->family != 4 && r->family != 6)
		return molt_errf(-EINVAL, err, errlen, "family %u is neither 4 nor 6", r->family);
	if (r->plen > bits)
		return molt_errf(-EINVAL, err, errlen, "prefix length %u too long for IPv%u",
				 r->plen, r->family);
	if (r->reserved != 0)
		return molt_errf(-EINVAL, err, errlen, "reserved byte is not zero");
	// Canonical form: a byte-exact representation keeps the content digest meaningful.
	memcpy(masked, r->prefix, sizeof(masked));
	for (i = 0; i < 16; i++) {
		unsigned keep = r->plen > 8 * i ? r->plen - 8 * i : 0; // bits of byte i kept

		if (keep < 8)
			masked[i] &= (uint8_t)(0xff00 >> keep);
	}
	if (memcmp(masked, r->prefix, sizeof(masked)) != 0)
		return molt_errf(-EINVAL, err, errlen, "prefix has host bits set beyond /%u",
				 r->plen);
	devlen = strnlen(r->dev, sizeof(r->dev));
	if (devlen == sizeof(r->dev))
		return molt_errf(-EINVAL, err, errlen, "port name is not NUL-terminated");
	for (i = devlen; i < sizeof(r->dev); i++)
		if (r->dev[i] != '\0')
			return molt_errf(-EINVAL, err, errlen, "port name has bytes after its end");
	for (i = r->family == 4 && r->type != MOLT_RT_MULTIPATH ? 4 : 16; i < 16; i++)
		if (r->gateway[i] != 0)
			return molt_errf(-EINVAL, err, errlen, "IPv4 gateway has bytes beyond 4");
	switch (r->type) {
	case MOLT_RT_VIA:
		for (i = 0; i < 16 && r->gateway[i] == 0; i++)
			;
		if (i == 16)
			return molt_errf(-EINVAL, err, errlen, "'via' route without a gateway");
		break;
	case MOLT_RT_DEV:
		if (devlen == 0)
			return molt_errf(-EINVAL, err, errlen, "'dev' route without a port name");
		for (i = 0; i < 16; i++)
			if (r->gateway[i] != 0)
				return molt_errf(-EINVAL, err, errlen,
						 "'dev' route with a gateway");
		break;
	case MOLT_RT_MULTIPATH:
		if (molt_route_group_id(r) == 0 || r->gateway[8] < 2 ||
		    r->gateway[8] > MOLT_MAX_PATHS || !all_zero(r->gateway + 9, 7) || devlen != 0)
			return molt_errf(-EINVAL, err, errlen, "malformed multipath route");
		break;
	case MOLT_RT_BLACKHOLE:
		for (i = 0; i < 16; i++)
			if (r->gateway[i] != 0)
				return molt_errf(-EINVAL, err, errlen,
						 "blackhole route with a gateway");
		if (devlen != 0)
			return molt_errf(-EINVAL, err, errlen, "blackhole route with a port");
		break;
	default:
		return molt_errf(-EINVAL, err, errlen, "unknown route type %u", r->type);
	}
	return 0;
}
