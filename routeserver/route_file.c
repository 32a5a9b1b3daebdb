// SPDX-License-Identifier: BSD-3-Clause
// Route file loader: the whole file in one buffer, one parse per line, no per-line allocation.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "routeserver/route_file.h"

#define ROUTE_BATCH 64

static uint64_t line_of(const char *buf, const char *at)
{
	uint64_t line = 1;

	for (; buf < at; buf++)
		line += *buf == '\n';
	return line;
}

// Routes go to the RIB in batches so it can prefetch their hash slots (rib_add_bulk). A batch
// holds group records too: the counts are of routes (a record of a group another line already
// brought is no route replaced).
static int add_batch(struct rib *rib, const struct molt_route *batch, uint32_t *n,
		     struct route_file_stats *st, const char *name, char *err, size_t errlen)
{
	uint32_t before = rib_routes(rib), routes = 0, i;
	int ret = rib_add_bulk(rib, batch, *n);

	if (ret < 0) {
		snprintf(err, errlen, "%s: cannot add route %llu: %s", name,
			 (unsigned long long)st->routes + 1, strerror(-ret));
		return ret;
	}
	for (i = 0; i < *n; i++)
		routes += batch[i].family != MOLT_FAMILY_GROUP;
	st->routes += routes;
	st->replaced += routes - (rib_routes(rib) - before);
	*n = 0;
	return 0;
}

int route_file_parse(const char *name, const char *buf, size_t len, struct rib *rib,
		     struct route_file_stats *stats, char *err, size_t errlen)
{
	struct route_file_stats st = { 0 };
	const char *p = buf, *end = buf + len, *nl, *nul;
	struct molt_route batch[ROUTE_BATCH];
	uint32_t n = 0;
	char why[256];
	int ret;

	// molt_route_parse stops at a NUL: one inside the file would hide the rest of its line.
	nul = memchr(buf, '\0', len);
	if (nul != NULL) {
		snprintf(err, errlen, "%s:%llu: NUL byte in the file (is it a text file?)", name,
			 (unsigned long long)line_of(buf, nul));
		return -EINVAL;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		st.lines++;
		// A multipath line gives its group's records and then the route.
		ret = molt_route_parse_multi(p, &batch[n], why, sizeof(why));
		if (ret < 0) {
			snprintf(err, errlen, "%s:%llu: %s", name, (unsigned long long)st.lines,
				 why);
			return ret;
		}
		n += (uint32_t)ret;
		if (n > ROUTE_BATCH - MOLT_ROUTE_RECS_MAX) {
			ret = add_batch(rib, batch, &n, &st, name, err, errlen);
			if (ret < 0)
				return ret;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	ret = add_batch(rib, batch, &n, &st, name, err, errlen);
	if (ret < 0)
		return ret;
	if (stats != NULL)
		*stats = st;
	return 0;
}

uint32_t route_file_size_hint(uint64_t bytes)
{
	uint64_t n = bytes / 20;

	return n > 0x7fffffff ? 0x7fffffff : (uint32_t)n;
}

static int read_all(int fd, char **out, size_t *len, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t size, got = 0;
	ssize_t n;
	char *buf;

	if (fstat(fd, &st) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: no memory for %zu bytes", path, size);
		return -ENOMEM;
	}
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			snprintf(err, errlen, "%s: read: %s", path,
				 n < 0 ? strerror(e) : "file shrank while reading");
			free(buf);
			return -e;
		}
		got += (size_t)n;
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	return 0;
}

int route_file_load(const char *path, struct rib *rib, struct route_file_stats *stats, char *err,
		    size_t errlen)
{
	size_t len = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = read_all(fd, &buf, &len, path, err, errlen);
	close(fd);
	if (ret < 0)
		return ret;
	ret = route_file_parse(path, buf, len, rib, stats, err, errlen);
	free(buf);
	return ret;
}
