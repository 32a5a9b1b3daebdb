// SPDX-License-Identifier: BSD-3-Clause
// Sequence accounting of the latency generator: which frames came back, which twice, and which
// after a frame sent later had already come out of the same stream (egress port and address
// family: moltd keeps each family's order in a burst, but sends a burst's IPv4 frames before its
// IPv6 ones, which reorders no flow). One bit per frame sent.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define LAT_SEQ_MAX_STREAMS 16 // egress ports x 2 families

enum lat_seq_verdict {
	LAT_SEQ_NEW, // first copy of a frame that was sent
	LAT_SEQ_DUPLICATE, // that frame came back before
	LAT_SEQ_FOREIGN, // beyond anything sent: not one of ours
};

struct lat_seq {
	uint64_t *seen; // bitmap over sequence numbers
	uint64_t capacity; // sequence numbers the bitmap covers
	uint64_t received, duplicated, reordered;
	uint64_t next[LAT_SEQ_MAX_STREAMS]; // per stream: one past the highest seen
};

// 0, or -ENOMEM.
int lat_seq_init(struct lat_seq *s, uint64_t capacity);
void lat_seq_fini(struct lat_seq *s);

// Records frame seq (sent so far: < sent) as seen in stream (< LAT_SEQ_MAX_STREAMS); order is
// judged per stream, also because the generator reads the ports one after the other.
static inline enum lat_seq_verdict lat_seq_mark(struct lat_seq *s, unsigned stream, uint64_t seq,
						uint64_t sent)
{
	uint64_t bit = 1ull << (seq & 63);

	if (seq >= sent || seq >= s->capacity)
		return LAT_SEQ_FOREIGN;
	if (s->seen[seq >> 6] & bit) {
		s->duplicated++;
		return LAT_SEQ_DUPLICATE;
	}
	s->seen[seq >> 6] |= bit;
	s->received++;
	if (seq < s->next[stream])
		s->reordered++;
	else
		s->next[stream] = seq + 1;
	return LAT_SEQ_NEW;
}
