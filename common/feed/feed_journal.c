// SPDX-License-Identifier: BSD-3-Clause
// The feed's journal ring: single producer (the route server), any number of read-only
// consumers that never write anything back. Each entry is a tiny seqlock keyed by its own
// sequence number, so a consumer detects being lapped without any shared consumer state.
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/feed/feed.h"

// Marks an entry as being rewritten; no real sequence number reaches it.
#define SEQ_WRITING UINT64_MAX

// What an entry's MAC covers (feed_format.h).
struct entry_mac_msg {
	uint64_t generation;
	uint64_t seq;
	uint32_t op;
	uint32_t reserved;
	struct molt_route route;
};

static void entry_mac(struct feed_key *key, uint64_t gen, uint64_t seq,
		      const struct feed_journal_entry *e, uint8_t mac[FEED_MAC_LEN])
{
	struct entry_mac_msg m;

	memset(&m, 0, sizeof(m)); // the tail padding too: it is hashed
	m.generation = gen;
	m.seq = seq;
	m.op = e->op;
	m.reserved = e->reserved;
	m.route = e->route;
	feed_key_mac(key, FEED_MAC_JOURNAL, &m, sizeof(m), mac);
}

static struct feed_journal_entry *entry_at(const struct feed_header *h, uint64_t seq)
{
	uint8_t *base = (uint8_t *)h + h->journal_offset;

	return (struct feed_journal_entry *)base + (seq & (h->journal_size - 1));
}

uint64_t feed_writer_append(struct feed_writer *w, enum feed_op op, const struct molt_route *r)
{
	struct feed_header *h = w->hdr;
	struct feed_journal_entry *e;
	uint64_t seq = w->next_seq;

	if (h->journal_size == 0)
		return UINT64_MAX;
	e = entry_at(h, seq);
	// Invalidate first: a reader copying the old entry must not see old seq around a
	// half-written body. The fence orders this store before the body's stores.
	atomic_store_explicit(&e->seq, SEQ_WRITING, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	e->op = op;
	e->reserved = 0;
	e->route = *r;
	if (w->key != NULL) {
		// MACed from the caller's route, not from the shared copy.
		struct feed_journal_entry local = { .op = op, .route = *r };

		entry_mac(w->key, w->generation, seq, &local, e->mac);
	}
	atomic_store_explicit(&e->seq, seq, memory_order_release);
	w->next_seq = seq + 1;
	return seq;
}

void feed_writer_commit(struct feed_writer *w)
{
	atomic_store_explicit(&w->hdr->journal_head, w->next_seq, memory_order_release);
}

uint64_t feed_reader_head(const struct feed_reader *r)
{
	return atomic_load_explicit(&((struct feed_header *)r->hdr)->journal_head,
				    memory_order_acquire);
}

int feed_reader_entry(const struct feed_reader *r, uint64_t seq, struct feed_journal_entry *e,
		      char *err, size_t errlen)
{
	const struct feed_header *h = r->hdr;
	struct feed_journal_entry *src;
	uint64_t head = feed_reader_head(r), s1, s2;
	uint8_t mac[FEED_MAC_LEN];

	if (h->journal_size == 0) {
		snprintf(err, errlen, "feed %s has no journal", r->name);
		return -ERANGE;
	}
	if (seq >= head)
		return -EAGAIN;
	if (head - seq > h->journal_size)
		return -ERANGE;
	src = entry_at(h, seq);
	s1 = atomic_load_explicit(&src->seq, memory_order_acquire);
	e->op = src->op;
	e->reserved = src->reserved;
	memcpy(&e->route, &src->route, sizeof(e->route));
	memcpy(e->mac, src->mac, sizeof(e->mac));
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&src->seq, memory_order_relaxed);
	if (s1 != seq || s2 != seq)
		return -ERANGE;
	atomic_store_explicit(&e->seq, seq, memory_order_relaxed);
	if (r->key != NULL) {
		entry_mac(r->key, r->generation, seq, e, mac);
		if (!feed_mac_equal(mac, e->mac)) {
			snprintf(err, errlen,
				 "journal entry %llu: MAC mismatch, changed by a process without "
				 "the feed key: refused",
				 (unsigned long long)seq);
			return -EKEYREJECTED;
		}
	}
	if (e->op != FEED_OP_ADD && e->op != FEED_OP_DEL) {
		snprintf(err, errlen, "journal entry %llu has unknown op %u",
			 (unsigned long long)seq, e->op);
		return -EBADMSG;
	}
	if (molt_route_validate(&e->route, err, errlen) < 0)
		return -EBADMSG;
	return 0;
}
