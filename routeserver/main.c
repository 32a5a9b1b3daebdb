// SPDX-License-Identifier: BSD-3-Clause
// molt-routeserver: loads a route file, publishes it into the shared-memory feed, keeps the
// feed's heartbeat until SIGINT/SIGTERM, reloads on SIGHUP.
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "common/feed.h"
#include "common/log.h"
#include "routeserver/rib.h"
#include "routeserver/route_file.h"

#define SUB "routeserver"
#define HEARTBEAT_MS 100

struct options {
	const char *shm;
	const char *routes;
	uint64_t capacity;
	uint64_t journal;
	bool once;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: molt-routeserver --shm NAME [--routes FILE] [options]\n"
		"\n"
		"  -s, --shm NAME       shared-memory feed to create (moltd's feed.shm)\n"
		"  -r, --routes FILE    route file of PREFIX via GW | dev PORT | blackhole\n"
		"  -c, --capacity N     routes per snapshot buffer (default 4000000)\n"
		"  -j, --journal N      journal ring entries, a power of two or 0 (default 65536)\n"
		"  -1, --once           load, publish, print timing, remove the feed and exit\n"
		"      --socket PATH    JSON-RPC control socket (not implemented yet: ignored)\n"
		"  -v, --verbose        more log output (repeat for debug)\n"
		"  -h, --help           this help\n"
		"\n"
		"SIGHUP reloads the route file (a bad file keeps the current table).\n"
		"SIGINT/SIGTERM mark the feed dead, remove it and exit.\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*v = n;
	return 0;
}

// Returns 0 to run, 1 after --help, -EINVAL on a bad command line (already reported).
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "shm", required_argument, NULL, 's' },
		{ "routes", required_argument, NULL, 'r' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "journal", required_argument, NULL, 'j' },
		{ "once", no_argument, NULL, '1' },
		{ "socket", required_argument, NULL, 'S' },
		{ "fpm", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct options){ .capacity = 4000000, .journal = 65536 };
	while ((c = getopt_long(argc, argv, "s:r:c:j:1vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->shm = optarg;
			break;
		case 'r':
			o->routes = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, &o->capacity) < 0 || o->capacity == 0 ||
			    o->capacity > 0xfffffffe) {
				fprintf(stderr, "--capacity: '%s' is not a number 1-4294967294\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'j':
			if (parse_u64(optarg, &o->journal) < 0 || o->journal > (1ULL << 32) ||
			    (o->journal & (o->journal - 1)) != 0) {
				fprintf(stderr, "--journal: '%s' is not a power of two (or 0)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case '1':
			o->once = true;
			break;
		case 'S':
			LOG_NOTICE(SUB, "--socket %s: the control socket is not implemented yet, "
					"ignoring it", optarg);
			break;
		case 'F':
			fprintf(stderr, "--fpm: FPM input is not implemented yet\n");
			return -EINVAL;
		case 'v':
			molt_log_level++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (o->shm == NULL) {
		fprintf(stderr, "--shm NAME is required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

// Loads the route file into a fresh rib; on error the rib is freed and nothing changes.
static int load(const struct options *o, struct rib *rib)
{
	struct route_file_stats st = { 0 };
	struct timespec t0;
	struct stat sb;
	char err[512];
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = rib_init(rib, o->routes && stat(o->routes, &sb) == 0 ?
				    route_file_size_hint((uint64_t)sb.st_size) : 0);
	if (ret < 0)
		return errno_log(-ret, SUB, "no memory for the route table");
	if (o->routes == NULL) {
		LOG_NOTICE(SUB, "no --routes file: publishing an empty table");
		return 0;
	}
	ret = route_file_load(o->routes, rib, &st, err, sizeof(err));
	if (ret == 0 && rib->count > o->capacity) {
		snprintf(err, sizeof(err), "%s: %u routes exceed --capacity %llu", o->routes,
			 rib->count, (unsigned long long)o->capacity);
		ret = -ENOSPC;
	}
	if (ret < 0) {
		rib_free(rib);
		LOG_ERR(SUB, "%s", err);
		LOG_ERR(SUB, "route file refused, nothing loaded");
		return ret;
	}
	LOG_NOTICE(SUB, "loaded %s: %u routes from %llu lines (%llu replaced) in %.1f ms",
		   o->routes, rib->count, (unsigned long long)st.lines,
		   (unsigned long long)st.replaced, elapsed_ms(&t0));
	return 0;
}

static int publish(struct feed_writer *w, const struct rib *rib)
{
	const struct feed_header *h = w->hdr;
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = feed_writer_publish(w, rib->routes, rib->count,
				  atomic_load_explicit(&h->journal_head, memory_order_relaxed));
	if (ret < 0)
		return errno_log(-ret, SUB, "publishing %u routes into %s: %s", rib->count,
				 w->name, strerror(-ret));
	LOG_NOTICE(SUB, "published %u routes (v4 %u, v6 %u) in %.1f ms, generation %016llx",
		   rib->count, rib->count_v4, rib->count - rib->count_v4, elapsed_ms(&t0),
		   (unsigned long long)h->generation);
	return 0;
}

static void report_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	LOG_NOTICE(SUB, "cpu: user %.1f ms, sys %.1f ms, max rss %ld MiB",
		   (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3,
		   (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3,
		   ru.ru_maxrss / 1024);
}

static void reload(const struct options *o, struct feed_writer *w, struct rib *rib)
{
	struct rib fresh;

	LOG_NOTICE(SUB, "SIGHUP: reloading %s", o->routes ? o->routes : "(no file)");
	if (load(o, &fresh) < 0) {
		LOG_WARN(SUB, "keeping the current table of %u routes", rib->count);
		return;
	}
	if (publish(w, &fresh) < 0) {
		rib_free(&fresh);
		return;
	}
	rib_free(rib);
	*rib = fresh;
}

static void heartbeat(struct feed_writer *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	atomic_store_explicit(&w->hdr->heartbeat_ns,
			      (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec,
			      memory_order_release);
}

// Signals are blocked from the start and taken synchronously here, so the heartbeat, a
// reload and shutdown all run in one thread with no async-signal-safety concerns.
static void serve(const struct options *o, struct feed_writer *w, struct rib *rib,
		  const sigset_t *set)
{
	struct timespec tick = { 0, HEARTBEAT_MS * 1000000L };
	int sig;

	for (;;) {
		heartbeat(w);
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGHUP)
			reload(o, w, rib);
		else if (sig == SIGINT || sig == SIGTERM) {
			LOG_NOTICE(SUB, "%s: shutting down", strsignal(sig));
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct feed_writer w;
	struct options o;
	struct rib rib;
	char err[512];
	sigset_t set;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret != 0)
		return ret > 0 ? 0 : 2;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);

	// The file is checked before the feed exists: a bad file leaves no object behind.
	if (load(&o, &rib) < 0)
		return 1;
	ret = feed_writer_create(&w, o.shm, o.capacity, o.journal, err, sizeof(err));
	if (ret < 0) {
		LOG_ERR(SUB, "%s", err);
		rib_free(&rib);
		return 1;
	}
	if (publish(&w, &rib) < 0) {
		feed_writer_close(&w, 1);
		rib_free(&rib);
		return 1;
	}
	if (o.once)
		report_cpu();
	else
		serve(&o, &w, &rib, &set);
	feed_writer_close(&w, 1);
	rib_free(&rib);
	return 0;
}
