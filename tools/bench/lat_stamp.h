// SPDX-License-Identifier: BSD-3-Clause
// What the latency generator writes at the start of each frame's UDP payload: a tagged 64-bit
// sequence number and the TSC when the frame was enqueued towards moltd. moltd rewrites MACs,
// TTL and the IPv4 checksum, never the payload, so the stamp comes back as it left.
#pragma once

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#define LAT_STAMP_TAG (UINT64_C(0x4d4c) << 48) // "ML": tells our frames from others
#define LAT_STAMP_SEQ_MASK ((UINT64_C(1) << 48) - 1)
#define LAT_STAMP_LEN 16u

// Offset of the stamp in an Ethernet frame (IPv4 or IPv6, UDP), or -1 if the frame has no room
// for one or is something else. IPv6 extension headers are not followed: the generator's
// templates have none.
static inline int lat_stamp_offset(const uint8_t *p, uint32_t len)
{
	uint16_t type;
	uint32_t off;

	if (len < 14 + 40)
		return -1;
	memcpy(&type, p + 12, 2);
	if (type == rte_cpu_to_be_16(0x0800)) {
		if (p[14 + 9] != 17)
			return -1;
		off = 14 + (p[14] & 0xfu) * 4u + 8;
	} else if (type == rte_cpu_to_be_16(0x86dd)) {
		if (p[14 + 6] != 17)
			return -1;
		off = 14 + 40 + 8;
	} else {
		return -1;
	}
	return off + LAT_STAMP_LEN <= len ? (int)off : -1;
}

static inline void lat_stamp_write(uint8_t *p, uint64_t seq, uint64_t tsc)
{
	uint64_t tag_seq = LAT_STAMP_TAG | seq;

	memcpy(p, &tag_seq, 8);
	memcpy(p + 8, &tsc, 8);
}

// 0 and the stamp's fields, or -1 if the tag is not ours.
static inline int lat_stamp_read(const uint8_t *p, uint64_t *seq, uint64_t *tsc)
{
	uint64_t tag_seq;

	memcpy(&tag_seq, p, 8);
	if ((tag_seq & ~LAT_STAMP_SEQ_MASK) != LAT_STAMP_TAG)
		return -1;
	*seq = tag_seq & LAT_STAMP_SEQ_MASK;
	memcpy(tsc, p + 8, 8);
	return 0;
}
