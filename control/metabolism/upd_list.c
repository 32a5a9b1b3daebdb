// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/metabolism/upd_list.h"

int upd_push(struct upd_list *l, const struct molt_route *old, const struct molt_route *new_,
	     uint64_t seq)
{
	struct upd *u;

	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 256;
		// Bounded: a slot that falls this far behind (builds failing with two slots) is
		// cheaper to rebuild than to catch up.
		struct upd *v = cap > l->cap && cap <= UPD_MAX
					? realloc(l->v, (size_t)cap * sizeof(*v))
					: NULL;

		if (v == NULL) {
			// The slot can no longer be brought up to date: it will be retired.
			l->overflow = true;
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	u = &l->v[l->n++];
	u->has_old = old != NULL;
	u->has_new = new_ != NULL;
	if (old != NULL)
		u->old = *old;
	if (new_ != NULL)
		u->new_ = *new_;
	u->seq = seq;
	return 0;
}

void upd_clear(struct upd_list *l)
{
	l->n = 0;
	l->overflow = false;
}

void upd_free(struct upd_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
