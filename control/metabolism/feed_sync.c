// SPDX-License-Identifier: BSD-3-Clause
// The mirror follows the feed: snapshot, then journal entries in sequence order. Resync is
// always "load the current snapshot, continue from its covers_seq"; what triggers it is
// counted separately (overruns, corrupt entries, new generations).
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/metabolism/feed_sync.h"

// After a refused journal entry only a snapshot that includes it can move the mirror on. The
// descriptor is read unverified here, as a hint: a snapshot that claims to be recent enough is
// copied and checked like any other.
static bool snapshot_too_old(const struct feed_sync *fs, char *err, size_t errlen)
{
	const struct feed_header *h = fs->rd.hdr;
	unsigned b = atomic_load_explicit(&h->current, memory_order_acquire) & 1;

	if (!fs->refused_entry || h->snap[b].covers_seq > fs->refused_seq)
		return false;
	snprintf(err, errlen, "waiting for a snapshot past refused journal entry %" PRIu64,
		 fs->refused_seq);
	return true;
}

static int load_snapshot(struct feed_sync *fs, char *err, size_t errlen)
{
	struct feed_snapshot_desc desc;
	struct molt_route *routes = NULL;
	struct rib fresh;
	int ret;

	if (snapshot_too_old(fs, err, errlen))
		return -EAGAIN;
	ret = feed_reader_snapshot(&fs->rd, &routes, &desc, err, errlen);
	if (ret < 0)
		return ret;
	// A valid MAC proves the route server wrote it, not that it is its latest: within one
	// generation covers_seq only grows, so an older snapshot put back is refused too.
	if (fs->key != NULL && fs->generation == fs->rd.generation && fs->mirror.routes != NULL &&
	    desc.covers_seq < fs->snap_seq) {
		free(routes);
		snprintf(err, errlen,
			 "feed %s: snapshot covers sequence %" PRIu64 ", older than the %" PRIu64
			 " already loaded (an old copy put back): refused",
			 fs->rd.name, desc.covers_seq, fs->snap_seq);
		return -EKEYREJECTED;
	}
	if (desc.count > UINT32_MAX - 2 || rib_init(&fresh, (uint32_t)desc.count) < 0) {
		free(routes);
		snprintf(err, errlen, "feed %s: no memory for a mirror of %" PRIu64 " routes",
			 fs->rd.name, desc.count);
		return -ENOMEM;
	}
	ret = rib_add_bulk(&fresh, routes, (uint32_t)desc.count);
	free(routes);
	if (ret < 0) {
		rib_free(&fresh);
		snprintf(err, errlen, "feed %s: cannot load the snapshot: %s", fs->rd.name,
			 strerror(-ret));
		return ret;
	}
	// Duplicate keys would make the snapshot's digest differ from the table's.
	if (fresh.digest != desc.digest || fresh.count != desc.count) {
		snprintf(err, errlen,
			 "feed %s: snapshot of %" PRIu64 " records (digest %016" PRIx64
			 ") is a table of %u records (digest %016" PRIx64 "): refused",
			 fs->rd.name, desc.count, desc.digest, fresh.count, fresh.digest);
		rib_free(&fresh);
		return -EBADMSG;
	}
	rib_free(&fs->mirror);
	fs->mirror = fresh;
	fs->generation = fs->rd.generation;
	fs->next_seq = desc.covers_seq;
	fs->snap_seq = desc.covers_seq;
	fs->snap_digest = desc.digest;
	fs->need_resync = false;
	fs->refused_entry = false;
	fs->refusal[0] = '\0';
	return 0;
}

// The key, read once: a key file that changes under a running moltd is taken at its restart,
// as the route server takes it.
static int load_key(struct feed_sync *fs, const char *key_file, char *err, size_t errlen)
{
	int ret;

	if (key_file == NULL || key_file[0] == '\0') {
		LOG_WARN("feed",
			 "%s: the feed is unauthenticated: any process that can write the shared "
			 "memory can change the routes (configure feed.key_file and "
			 "molt-routeserver --feed-key)",
			 fs->name);
		return 0;
	}
	ret = feed_key_load(key_file, &fs->key, err, errlen);
	if (ret < 0)
		return ret;
	LOG_NOTICE("feed", "%s: authenticated with the key in %s (HMAC-SHA-256, ipsec-mb %s)",
		   fs->name, key_file, feed_key_arch(fs->key));
	return 0;
}

int feed_sync_open(struct feed_sync *fs, const char *name, const char *key_file, char *err,
		   size_t errlen)
{
	int ret;

	if (fs->rd.hdr == NULL) {
		if (fs->name[0] == '\0') {
			snprintf(fs->name, sizeof(fs->name), "%s", name);
			ret = load_key(fs, key_file, err, errlen);
			if (ret < 0)
				return ret;
		}
		ret = feed_reader_open(&fs->rd, name, fs->key, err, errlen);
		if (ret < 0)
			return ret;
	}
	ret = load_snapshot(fs, err, errlen);
	if (ret == 0)
		LOG_NOTICE("feed",
			   "%s: mirror of %u routes at sequence %" PRIu64 " (generation "
			   "%016" PRIx64 ")",
			   fs->rd.name, rib_routes(&fs->mirror), fs->next_seq, fs->generation);
	return ret;
}

static bool producer_alive(const struct feed_sync *fs, uint64_t now)
{
	uint64_t hb = atomic_load_explicit(&fs->rd.hdr->heartbeat_ns, memory_order_acquire);

	if (atomic_load_explicit(&fs->rd.hdr->alive, memory_order_acquire) == 0)
		return false;
	return !(now > hb && now - hb > FEED_SYNC_DEAD_NS);
}

// The route server is gone or restarted: look for the object by name again. It recreates
// the object on restart, so only a new generation means there is a new table to load.
static void reopen(struct feed_sync *fs, uint64_t now)
{
	struct feed_reader fresh;
	char err[256];
	int ret;

	fs->next_try_ns = now + FEED_SYNC_REOPEN_NS;
	ret = feed_reader_open(&fresh, fs->name, fs->key, err, sizeof(err));
	if (ret == -ENOKEY || ret == -EKEYREJECTED) {
		// A route server back with another key, or none: nothing it publishes is taken.
		// Said once per reason; the mirror keeps the slots forwarding meanwhile.
		if (strcmp(err, fs->refusal) != 0) {
			fs->refused++;
			snprintf(fs->refusal, sizeof(fs->refusal), "%s", err);
			snprintf(fs->last_error, sizeof(fs->last_error), "%s", err);
			LOG_ERR("feed", "%s; keeping the mirror of %u routes", err,
				rib_routes(&fs->mirror));
		}
		return;
	}
	if (ret < 0)
		return;
	if (fresh.generation == fs->generation) {
		feed_reader_close(&fresh);
		if (producer_alive(fs, now)) {
			fs->lost = false;
			LOG_NOTICE("feed", "%s: route server is alive again (same generation)",
				   fs->rd.name);
		}
		return;
	}
	fs->reopens++;
	LOG_NOTICE("feed",
		   "%s: route server is back with generation %016" PRIx64 " (was %016" PRIx64
		   "): resyncing",
		   fresh.name, fresh.generation, fs->generation);
	feed_reader_close(&fs->rd);
	fs->rd = fresh;
	fs->lost = false;
	fs->need_resync = true;
	fs->refused_entry = false;
	fs->next_try_ns = now;
}

static int resync(struct feed_sync *fs, uint64_t now, bool *resynced)
{
	char err[256];
	int ret;

	fs->next_try_ns = now + FEED_SYNC_RETRY_NS;
	ret = load_snapshot(fs, err, sizeof(err));
	if (ret == -EAGAIN)
		return 0;
	if (ret == -EKEYREJECTED) {
		// Never built from. The route server's next publish goes to the other buffer;
		// until then the same copy would be refused again, so retry slowly and say it
		// once.
		fs->next_try_ns = now + FEED_SYNC_REFUSED_NS;
		if (strcmp(err, fs->refusal) == 0)
			return ret;
		fs->refused++;
		snprintf(fs->refusal, sizeof(fs->refusal), "%s", err);
	}
	if (ret < 0) {
		snprintf(fs->last_error, sizeof(fs->last_error), "%s", err);
		LOG_ERR("feed", "%s: resync failed, keeping the mirror of %u routes: %s",
			fs->rd.name, rib_routes(&fs->mirror), err);
		return ret;
	}
	fs->resyncs++;
	*resynced = true;
	LOG_NOTICE("feed", "%s: resynced: mirror of %u routes at sequence %" PRIu64, fs->rd.name,
		   rib_routes(&fs->mirror), fs->next_seq);
	return 0;
}

static void apply(struct feed_sync *fs, const struct feed_journal_entry *e, feed_sync_cb cb,
		  void *arg)
{
	const struct molt_route *cur = rib_find(&fs->mirror, &e->route);
	struct molt_route old;
	bool had = cur != NULL;

	if (had)
		old = *cur;
	if (e->op == FEED_OP_ADD) {
		if (rib_add(&fs->mirror, &e->route) < 0) {
			// Out of memory: the mirror can no longer follow; reload it later.
			fs->need_resync = true;
			return;
		}
		cb(arg, had ? &old : NULL, &e->route);
	} else if (had) {
		rib_del(&fs->mirror, &e->route);
		cb(arg, &old, NULL);
	}
	// A DEL for a key the mirror lacks changes nothing (the route server never sends one).
}

int feed_sync_poll(struct feed_sync *fs, uint64_t now, unsigned max, feed_sync_cb cb, void *arg,
		   bool *resynced)
{
	struct feed_journal_entry e;
	char err[256];
	int n = 0, ret;

	*resynced = false;
	if (fs->rd.hdr == NULL)
		return 0;
	if (!fs->lost && !producer_alive(fs, now)) {
		fs->lost = true;
		fs->losses++;
		fs->next_try_ns = now;
		LOG_WARN("feed",
			 "%s: route server gone; forwarding and metabolism continue from "
			 "the mirror of %u routes",
			 fs->rd.name, rib_routes(&fs->mirror));
	}
	if (fs->lost && now >= fs->next_try_ns)
		reopen(fs, now);
	// After a resync the caller must see *resynced before any entry of the new table: the
	// entries follow on the next call.
	if (fs->need_resync) {
		if (now >= fs->next_try_ns)
			resync(fs, now, resynced);
		return 0;
	}
	while ((unsigned)n < max) {
		ret = feed_reader_entry(&fs->rd, fs->next_seq, &e, err, sizeof(err));
		if (ret == -EAGAIN)
			break;
		if (ret == -EKEYREJECTED) {
			// Like an overrun: the mirror stops before it and waits for a snapshot
			// that includes it (the route server publishes one within a second).
			fs->refused++;
			fs->refused_entry = true;
			fs->refused_seq = fs->next_seq;
			snprintf(fs->last_error, sizeof(fs->last_error), "%s", err);
			LOG_ERR("feed",
				"%s: %s; keeping the mirror of %u routes, resyncing from a "
				"snapshot that includes it",
				fs->rd.name, err, rib_routes(&fs->mirror));
			fs->need_resync = true;
			fs->next_try_ns = now;
			break;
		}
		if (ret == -ERANGE || ret == -EBADMSG) {
			if (ret == -ERANGE)
				fs->overruns++;
			else
				fs->corrupt++;
			LOG_WARN("feed",
				 "%s: journal entry %" PRIu64 " %s: resyncing from the "
				 "snapshot",
				 fs->rd.name, fs->next_seq,
				 ret == -ERANGE ? "was overwritten (this reader was lapped)" : err);
			fs->need_resync = true;
			fs->next_try_ns = now;
			break;
		}
		apply(fs, &e, cb, arg);
		fs->next_seq++;
		fs->applied++;
		n++;
	}
	if (n > 0)
		fs->last_batch_ns = now;
	return n;
}

uint64_t feed_sync_lag(const struct feed_sync *fs)
{
	uint64_t head;

	if (fs->rd.hdr == NULL || fs->need_resync)
		return 0;
	head = feed_reader_head(&fs->rd);
	return head > fs->next_seq ? head - fs->next_seq : 0;
}

void feed_sync_close(struct feed_sync *fs)
{
	if (fs->rd.hdr != NULL)
		feed_reader_close(&fs->rd);
	memset(&fs->rd, 0, sizeof(fs->rd));
	rib_free(&fs->mirror);
	memset(&fs->mirror, 0, sizeof(fs->mirror));
	feed_key_free(fs->key);
	fs->key = NULL;
	fs->name[0] = '\0';
}
