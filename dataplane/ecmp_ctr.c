// SPDX-License-Identifier: BSD-3-Clause
// ECMP per-path counter storage and its rows (ecmp.h). Rows are handed out by group id under a
// mutex: slots are built on the build thread and freed on either thread, and this is never on
// a worker's path.
#include <pthread.h>
#include <string.h>

#include "dataplane/ecmp.h"

struct ecmp_path_ctr molt_ecmp_ctr[MOLT_MAX_WORKERS][ECMP_CTR_ROWS][MOLT_MAX_PATHS];

static struct {
	uint64_t id;
	uint32_t refs;
	uint8_t n_paths;
} rows[ECMP_CTR_ROWS];
static pthread_mutex_t rows_lock = PTHREAD_MUTEX_INITIALIZER;

uint16_t ecmp_ctr_acquire(uint64_t id, unsigned n_paths)
{
	uint16_t row = 0, free_row = 0;

	pthread_mutex_lock(&rows_lock);
	for (uint16_t r = 1; r < ECMP_CTR_ROWS; r++) {
		if (rows[r].refs > 0 && rows[r].id == id) {
			row = r;
			break;
		}
		if (rows[r].refs == 0 && free_row == 0)
			free_row = r;
	}
	if (row == 0 && free_row != 0) {
		// No slot holds this row, so no worker writes it: zeroed, it starts afresh.
		row = free_row;
		rows[row].id = id;
		rows[row].n_paths = (uint8_t)(n_paths <= MOLT_MAX_PATHS ? n_paths : MOLT_MAX_PATHS);
		for (unsigned w = 0; w < MOLT_MAX_WORKERS; w++)
			memset(molt_ecmp_ctr[w][row], 0, sizeof(molt_ecmp_ctr[w][row]));
	}
	if (row != 0)
		rows[row].refs++;
	pthread_mutex_unlock(&rows_lock);
	return row;
}

void ecmp_ctr_release(uint16_t row)
{
	if (row == 0 || row >= ECMP_CTR_ROWS)
		return;
	pthread_mutex_lock(&rows_lock);
	if (rows[row].refs > 0)
		rows[row].refs--;
	pthread_mutex_unlock(&rows_lock);
}

void ecmp_ctr_sum(uint16_t row, unsigned n, struct ecmp_path_ctr *out)
{
	memset(out, 0, n * sizeof(*out));
	if (row >= ECMP_CTR_ROWS || n > MOLT_MAX_PATHS)
		return;
	for (unsigned w = 0; w < MOLT_MAX_WORKERS; w++) {
		// Plain stores by the workers; volatile reads so that none is cached across calls.
		const volatile struct ecmp_path_ctr *c = molt_ecmp_ctr[w][row];

		for (unsigned p = 0; p < n; p++) {
			out[p].packets += c[p].packets;
			out[p].bytes += c[p].bytes;
		}
	}
}

unsigned ecmp_ctr_rows(struct ecmp_ctr_row *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&rows_lock);
	for (uint16_t r = 1; r < ECMP_CTR_ROWS && n < max; r++)
		if (rows[r].refs > 0)
			out[n++] = (struct ecmp_ctr_row){ .row = r,
							  .n_paths = rows[r].n_paths,
							  .id = rows[r].id };
	pthread_mutex_unlock(&rows_lock);
	return n;
}
