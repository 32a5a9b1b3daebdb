// SPDX-License-Identifier: BSD-3-Clause
// Set-up of the sequence bitmap (tools/bench/lat_seq.h). Plain heap: it is read and written by
// the generator lcore only, and not worth DPDK memory under --no-huge.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lat_seq.h"

int lat_seq_init(struct lat_seq *s, uint64_t capacity)
{
	memset(s, 0, sizeof(*s));
	s->seen = calloc((capacity + 63) / 64, sizeof(uint64_t));
	if (s->seen == NULL)
		return -ENOMEM;
	s->capacity = capacity;
	return 0;
}

void lat_seq_fini(struct lat_seq *s)
{
	free(s->seen);
	s->seen = NULL;
	s->capacity = 0;
}
