// SPDX-License-Identifier: BSD-3-Clause
// A pcap reader for the latency generator: the classic format only (microsecond or nanosecond
// magic, either byte order), Ethernet link type. No libpcap: this is all the format it takes.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lat_pcap.h"
#include "lat_stamp.h"

#define PCAP_GLOBAL_LEN 24
#define PCAP_RECORD_LEN 16
#define LINKTYPE_ETHERNET 1

static uint32_t get32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: cannot size: %s", path, strerror(errno));
		fclose(f);
		return -EIO;
	}
	*buf = malloc(n > 0 ? (size_t)n : 1);
	if (*buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: no memory for %ld bytes", path, n);
		return -ENOMEM;
	}
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: short read", path);
		fclose(f);
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

// Byte order from the magic: 0 native, 1 swapped, -1 not a classic pcap.
static int pcap_order(uint32_t magic)
{
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		return 0;
	if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		return 1;
	return -1;
}

static int parse(const char *path, struct lat_frames *out, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = out->file;
	size_t off = PCAP_GLOBAL_LEN, cap = 0;
	int swap;

	if (len < PCAP_GLOBAL_LEN || (swap = pcap_order(get32(p, 0))) < 0) {
		snprintf(err, errlen,
			 "%s: not a pcap file (pcapng is not read: convert it with "
			 "editcap -F pcap)",
			 path);
		return -EINVAL;
	}
	if (get32(p + 20, swap) != LINKTYPE_ETHERNET) {
		snprintf(err, errlen, "%s: link type %u, not Ethernet", path, get32(p + 20, swap));
		return -EINVAL;
	}
	while (off + PCAP_RECORD_LEN <= len) {
		uint32_t incl = get32(p + off + 8, swap);
		const uint8_t *data = p + off + PCAP_RECORD_LEN;
		int stamp;

		if (incl > len - off - PCAP_RECORD_LEN) {
			snprintf(err, errlen, "%s: frame %u is cut short", path, out->n + 1);
			return -EINVAL;
		}
		stamp = lat_stamp_offset(data, incl);
		if (incl > LAT_FRAME_MAX || stamp < 0) {
			snprintf(err, errlen,
				 "%s: frame %u (%u bytes) is not an IPv4/IPv6 UDP frame "
				 "of at most %u bytes with %u bytes of payload for the stamp "
				 "(IPv6 needs 82-byte frames, FCS included)",
				 path, out->n + 1, incl, LAT_FRAME_MAX, LAT_STAMP_LEN);
			return -EINVAL;
		}
		if (out->n == LAT_FRAMES_MAX) {
			snprintf(err, errlen, "%s: more than %u frames", path, LAT_FRAMES_MAX);
			return -E2BIG;
		}
		if (out->n == cap) {
			struct lat_frame *f;

			cap = cap ? 2 * cap : 1024;
			f = realloc(out->frame, cap * sizeof(*f));
			if (f == NULL) {
				snprintf(err, errlen, "%s: no memory for %zu frames", path, cap);
				return -ENOMEM;
			}
			out->frame = f;
		}
		out->frame[out->n++] = (struct lat_frame){ .data = data,
							   .len = (uint16_t)incl,
							   .stamp_off = (uint16_t)stamp };
		off += PCAP_RECORD_LEN + incl;
	}
	if (out->n == 0) {
		snprintf(err, errlen, "%s: no frames", path);
		return -EINVAL;
	}
	return 0;
}

int lat_pcap_load(const char *path, struct lat_frames *out, char *err, size_t errlen)
{
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_file(path, &out->file, &len, err, errlen);
	if (ret == 0)
		ret = parse(path, out, len, err, errlen);
	if (ret < 0)
		lat_pcap_free(out);
	return ret;
}

void lat_pcap_free(struct lat_frames *f)
{
	free(f->frame);
	free(f->file);
	memset(f, 0, sizeof(*f));
}
