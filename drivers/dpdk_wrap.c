// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/dpdk_wrap.h"
#include "drivers/prefix.h"
#include "drivers/util.h"

struct wrap_fib *wrap_alloc(const struct wrap_engine *ops, const struct fib_conf *conf,
			    uint32_t max_routes_limit, const char *tag, const char *name,
			    char *dname, size_t dname_len)
{
	struct wrap_fib *w;

	if (conf == NULL || conf->max_routes == 0 || conf->max_routes > max_routes_limit ||
	    drv_dpdk_name(dname, dname_len, tag, name) < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->ops = ops;
	w->max_routes = conf->max_routes;
	atomic_init(&w->default_nh, FIB_NH_MISS);
	shadow_init(&w->rules, ops->family == 4 ? 4 : PREFIX6_LEN);
	return w;
}

struct fib *wrap_create_failed(struct wrap_fib *w)
{
	int err = drv_create_errno();

	free(w);
	errno = err;
	return NULL;
}

void wrap_free(struct wrap_fib *w)
{
	shadow_scrub_free(&w->rules);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

size_t wrap_memory(const struct wrap_fib *w)
{
	return sizeof(*w) + shadow_memory(&w->rules);
}

int wrap_add(struct fib *f, const void *prefix, uint8_t plen, uint32_t nh)
{
	struct wrap_fib *w = wrap(f);
	union prefix_key key;
	int ret;

	if (nh >= FIB_NH_MAX || prefix_key(w->ops->family, prefix, plen, &key) < 0)
		return -EINVAL;
	if ((ret = shadow_admit(&w->rules, w->max_routes, &key, plen)) < 0)
		return ret;
	if (plen == 0 && w->ops->no_depth0)
		atomic_store_explicit(&w->default_nh, nh, memory_order_release);
	else if ((ret = w->ops->add(w->engine, &key, plen, nh)) < 0)
		return ret; // -ENOSPC (rules, tbl8 groups or RIB nodes exhausted), -ENOMEM
	shadow_set(&w->rules, &key, plen, nh);
	return 0;
}

int wrap_del(struct fib *f, const void *prefix, uint8_t plen)
{
	struct wrap_fib *w = wrap(f);
	union prefix_key key;
	int ret;

	if ((ret = prefix_key(w->ops->family, prefix, plen, &key)) < 0)
		return ret;
	if (!shadow_get(&w->rules, &key, plen, NULL))
		return -ENOENT;
	if (plen == 0 && w->ops->no_depth0)
		atomic_store_explicit(&w->default_nh, FIB_NH_MISS, memory_order_release);
	else if ((ret = w->ops->del(w->engine, &key, plen)) < 0)
		return ret;
	shadow_del(&w->rules, &key, plen);
	return 0;
}

int wrap_reserve(struct fib *f, uint64_t n)
{
	return shadow_reserve_n(&wrap(f)->rules, wrap(f)->max_routes, n);
}

void wrap_prefetch(const struct fib *f, const void *prefix, uint8_t plen)
{
	shadow_prefetch(&cwrap(f)->rules, prefix, plen);
}

int wrap_walk(const struct fib *f, fib_walk_cb cb, void *arg)
{
	return shadow_walk(&cwrap(f)->rules, cb, arg);
}

uint64_t wrap_count(const struct fib *f)
{
	return cwrap(f)->rules.count;
}
