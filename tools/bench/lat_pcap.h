// SPDX-License-Identifier: BSD-3-Clause
// The latency generator's frames: read once from a classic pcap file (what molt-bench's
// bench_traffic.py writes), each checked to have room for a stamp (tools/bench/lat_stamp.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LAT_FRAME_MAX 2048 // fits a default mbuf's data room
#define LAT_FRAMES_MAX (1u << 20)

struct lat_frame {
	const uint8_t *data;
	uint16_t len;
	uint16_t stamp_off; // lat_stamp_offset() of the frame
};

struct lat_frames {
	struct lat_frame *frame;
	unsigned n;
	uint8_t *file; // the pcap's contents; frame[i].data points into it
};

// Reads every frame of path. 0, or -errno with a message naming the file (and the frame) in
// err.
int lat_pcap_load(const char *path, struct lat_frames *out, char *err, size_t errlen);
void lat_pcap_free(struct lat_frames *f);
