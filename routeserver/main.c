// SPDX-License-Identifier: BSD-3-Clause
// molt-routeserver: loads a route file, publishes it into the shared-memory feed, serves the
// JSON-RPC control socket (methods in rpc_*.c) and keeps the feed's heartbeat until
// SIGINT/SIGTERM, reloads on SIGHUP.
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "common/feed/feed.h"
#include "common/log.h"
#include "common/cli.h"
#include "common/rpc/rpc.h"
#include "routeserver/fpm_server.h"
#include "routeserver/rs_table.h"

#define SUB "routeserver"
#define HEARTBEAT_MS 100
#define DEFAULT_SOCKET "/run/molt/routeserver.sock"

struct options {
	const char *shm;
	const char *routes;
	uint64_t capacity;
	uint64_t group_records; // UINT64_MAX: not given (a quarter of capacity, at least 4096)
	uint64_t journal;
	bool once;
	const char *socket; // NULL: no control socket
	bool socket_given; // --socket on the command line (else the default path)
	const char *socket_group;
	const char *feed_key; // --feed-key FILE, NULL: unauthenticated feed
	const char *fpm; // --fpm [ADDR:]PORT, NULL: no FPM listener
	uint64_t fpm_hold; // --fpm-stale-hold seconds
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: molt-routeserver --shm NAME [--routes FILE] [options]\n"
		"\n"
		"  -s, --shm NAME       shared-memory feed to create (moltd's feed.shm)\n"
		"  -r, --routes FILE    route file of PREFIX via GW | dev PORT | blackhole\n"
		"  -c, --capacity N     routes the table may hold (default 4000000)\n"
		"      --group-records N  next-hop group records it may hold besides, one per\n"
		"                       path of each multipath group (default a quarter of\n"
		"                       --capacity, at least 4096)\n"
		"  -j, --journal N      journal ring entries, a power of two or 0 (default 65536)\n"
		"  -1, --once           load, publish, print timing, remove the feed and exit\n"
		"      --socket PATH    JSON-RPC control socket (default " DEFAULT_SOCKET ";\n"
		"                       'none': no socket). A live socket at an explicit PATH is\n"
		"                       an error; at the default path only a warning\n"
		"      --socket-group G group owning the socket (mode 0660)\n"
		"      --feed-key FILE  MAC the feed under the key in FILE (root-only, 32 bytes or\n"
		"                       64 hex digits); moltd needs the same file (feed.key_file)\n"
		"      --fpm [ADDR:]PORT  accept FRR zebra's FPM (dplane_fpm_nl) connection; ADDR\n"
		"                       defaults to 127.0.0.1, PORT is usually 2620 (docs/routing.md)\n"
		"      --fpm-stale-hold SEC  after zebra reconnects, routes its resend did not\n"
		"                       refresh are removed after SEC seconds (default 5)\n"
		"  -v, --verbose        more log output (repeat for debug)\n"
		"  -h, --help           this help\n"
		"\n"
		"SIGHUP reloads the route file (a bad file keeps the current table).\n"
		"SIGINT/SIGTERM mark the feed dead, remove it and exit.\n");
}

// Returns 0 to run, 1 after --help, -EINVAL on a bad command line (already reported).
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "shm", required_argument, NULL, 's' },
		{ "routes", required_argument, NULL, 'r' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "group-records", required_argument, NULL, 'g' },
		{ "journal", required_argument, NULL, 'j' },
		{ "once", no_argument, NULL, '1' },
		{ "socket", required_argument, NULL, 'S' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "feed-key", required_argument, NULL, 'K' },
		{ "fpm", required_argument, NULL, 'F' },
		{ "fpm-stale-hold", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct options){ .capacity = 4000000,
			       .group_records = UINT64_MAX,
			       .journal = 65536,
			       .socket = DEFAULT_SOCKET,
			       .fpm_hold = FPM_DEFAULT_HOLD_S };
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
		case 'g':
			if (parse_u64(optarg, &o->group_records) < 0 ||
			    o->group_records > 0xfffffffe) {
				fprintf(stderr,
					"--group-records: '%s' is not a number 0-4294967294\n",
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
			o->socket = strcmp(optarg, "none") == 0 ? NULL : optarg;
			o->socket_given = true;
			break;
		case 'G':
			o->socket_group = optarg;
			break;
		case 'K':
			o->feed_key = optarg;
			break;
		case 'F':
			o->fpm = optarg;
			break;
		case 'H':
			if (parse_u64(optarg, &o->fpm_hold) < 0 || o->fpm_hold == 0 ||
			    o->fpm_hold > 3600) {
				fprintf(stderr, "--fpm-stale-hold: '%s' is not a number 1-3600\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			molt_log_level++;
			break;
		default:
			return cli_other_option(c, usage);
		}
	}
	if (cli_no_operands("molt-routeserver", argc, argv, optind) < 0)
		return -EINVAL;
	if (o->group_records == UINT64_MAX)
		o->group_records = o->capacity / 4 > 4096 ? o->capacity / 4 : 4096;
	// One snapshot buffer holds both, and a table at most 2^32 - 2 records.
	if (o->capacity + o->group_records > 0xfffffffe) {
		fprintf(stderr,
			"--capacity %llu and --group-records %llu: together at most 4294967294\n",
			(unsigned long long)o->capacity, (unsigned long long)o->group_records);
		return -EINVAL;
	}
	if (o->shm == NULL) {
		fprintf(stderr, "--shm NAME is required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static double elapsed_ms(uint64_t t0)
{
	return (double)(molt_now_ns() - t0) / 1e6;
}

// Loads the route file into a fresh rib; on error nothing is kept and the reason is logged.
static int load(const struct options *o, struct rib *rib)
{
	struct route_file_stats st = { 0 };
	uint64_t t0 = molt_now_ns();
	char err[512];
	int ret;

	ret = rs_table_load(&rs_table, o->routes, rib, &st, err, sizeof(err));
	if (ret < 0) {
		LOG_ERR(SUB, "%s", err);
		LOG_ERR(SUB, "route file refused, nothing loaded");
		return ret;
	}
	if (o->routes == NULL) {
		LOG_NOTICE(SUB, "no --routes file: publishing an empty table");
		return 0;
	}
	LOG_NOTICE(SUB,
		   "loaded %s: %u routes (%u next-hop groups) from %llu lines (%llu replaced) in "
		   "%.1f ms",
		   o->routes, rib_routes(rib), rib->count_group_ids, (unsigned long long)st.lines,
		   (unsigned long long)st.replaced, elapsed_ms(t0));
	return 0;
}

static void log_published(const struct rs_table *t, uint64_t t0)
{
	LOG_NOTICE(SUB,
		   "published %u routes (v4 %u, v6 %u; %u next-hop groups) in %.1f ms, generation "
		   "%016llx",
		   rib_routes(&t->rib), t->rib.count_v4, rib_routes(&t->rib) - t->rib.count_v4,
		   t->rib.count_group_ids, elapsed_ms(t0),
		   (unsigned long long)t->feed.hdr->generation);
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

static void reload(const struct options *o, struct rs_table *t)
{
	struct rib fresh;
	char err[512];
	uint64_t t0;

	LOG_NOTICE(SUB, "SIGHUP: reloading %s", o->routes ? o->routes : "(no file)");
	if (load(o, &fresh) < 0) {
		LOG_WARN(SUB, "keeping the current table of %u routes", rib_routes(&t->rib));
		return;
	}
	t0 = molt_now_ns();
	if (rs_table_replace(t, &fresh, err, sizeof(err)) < 0) {
		LOG_ERR(SUB, "%s", err);
		LOG_WARN(SUB, "keeping the current table of %u routes", rib_routes(&t->rib));
		return;
	}
	log_published(t, t0);
}

static void heartbeat(struct feed_writer *w)
{
	atomic_store_explicit(&w->hdr->heartbeat_ns, molt_now_ns(), memory_order_release);
}

// Signals are blocked from the start and taken synchronously here, so the heartbeat, a
// reload, RPC methods and shutdown all run in one thread with no async-signal-safety concerns.
// rpc_server_poll is the idle wait: requests are answered at once, the heartbeat is refreshed
// at least every HEARTBEAT_MS, and a signal waits at most that long.
static void serve(const struct options *o, struct rs_table *t, struct rpc_server *rpc,
		  const sigset_t *set)
{
	static const struct timespec zero = { 0, 0 };
	struct timespec tick = { 0, HEARTBEAT_MS * 1000000L };
	struct pollfd pfd[2];
	uint64_t next_beat = 0, now;
	unsigned npfd = 0;
	int sig, ret;

	for (;;) {
		now = molt_now_ms();
		if (now >= next_beat) {
			heartbeat(&t->feed);
			rs_table_flush(t, now);
			next_beat = now + HEARTBEAT_MS;
			if (fpm_server != NULL)
				fpm_server_tick(fpm_server, now);
		}
		if (fpm_server != NULL)
			npfd = fpm_server_pollfds(fpm_server, pfd);
		if (rpc != NULL) {
			ret = rpc_server_poll_fds(rpc, pfd, npfd, (int)(next_beat - now));
			if (ret < 0) {
				LOG_ERR(SUB, "control socket: %s; serving without it",
					strerror(-ret));
				rpc_server_destroy(rpc);
				rpc = NULL;
			}
			sig = sigtimedwait(set, NULL, &zero);
		} else if (npfd > 0) {
			if (poll(pfd, npfd, (int)(next_beat - now)) < 0)
				for (unsigned i = 0; i < npfd; i++)
					pfd[i].revents = 0;
			sig = sigtimedwait(set, NULL, &zero);
		} else {
			sig = sigtimedwait(set, NULL, &tick);
		}
		if (npfd > 0)
			fpm_server_handle(fpm_server, pfd, npfd);
		if (sig == SIGHUP) {
			reload(o, t);
		} else if (sig == SIGINT || sig == SIGTERM) {
			LOG_NOTICE(SUB, "%s: shutting down", strsignal(sig));
			break;
		}
	}
	if (rpc != NULL)
		rpc_server_destroy(rpc);
}

// The control socket. A failure is fatal for an explicit --socket; at the default path (often
// not writable, or held by another route server on a test machine) the feed is the job, so it
// runs without a socket and says so.
static int open_socket(const struct options *o, struct rpc_server **out)
{
	struct rpc_server_conf conf = { .path = o->socket, .group = o->socket_group };
	char err[512];

	*out = NULL;
	if (o->once || o->socket == NULL)
		return 0;
	*out = rpc_server_create(&conf, err, sizeof(err));
	if (*out != NULL) {
		LOG_NOTICE(SUB, "control socket %s", o->socket);
		return 0;
	}
	if (o->socket_given) {
		LOG_ERR(SUB, "control socket: %s", err);
		return -1;
	}
	LOG_WARN(SUB, "control socket: %s; running without one (give --socket PATH)", err);
	return 0;
}

// The feed's MAC key, read once at start (a changed key file takes a restart, on both sides).
static int open_key(const struct options *o, struct feed_key **key)
{
	char err[512];

	*key = NULL;
	if (o->feed_key == NULL) {
		LOG_WARN(SUB,
			 "the feed is unauthenticated: any process that can write %s can change "
			 "the routes moltd loads (give --feed-key FILE)",
			 o->shm);
		return 0;
	}
	if (feed_key_load(o->feed_key, key, err, sizeof(err)) < 0) {
		LOG_ERR(SUB, "%s", err);
		return -1;
	}
	LOG_NOTICE(SUB, "feed authenticated with the key in %s (HMAC-SHA-256, ipsec-mb %s)",
		   o->feed_key, feed_key_arch(*key));
	return 0;
}

int main(int argc, char **argv)
{
	struct feed_key *key = NULL;
	struct rs_table *t = &rs_table;
	struct rpc_server *rpc;
	struct options o;
	uint64_t t0;
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
	// A client that disconnects while its reply is being written must not kill the server.
	signal(SIGPIPE, SIG_IGN);

	// The file is checked before the feed exists: a bad file leaves no object behind.
	t->capacity = o.capacity;
	t->group_capacity = o.group_records;
	if (rs_table_init(t) < 0) {
		LOG_ERR(SUB, "no memory for the route table");
		return 1;
	}
	rib_free(&t->src[RS_SRC_FILE]);
	if (load(&o, &t->src[RS_SRC_FILE]) < 0 || rs_table_rebuild(t) < 0) {
		rs_table_free(t);
		return 1;
	}
	if (open_key(&o, &key) < 0) {
		rs_table_free(t);
		return 1;
	}
	ret = feed_writer_create(&t->feed, o.shm, o.capacity + o.group_records, o.journal, key, err,
				 sizeof(err));
	if (ret < 0) {
		LOG_ERR(SUB, "%s", err);
		rs_table_free(t);
		feed_key_free(key);
		return 1;
	}
	t0 = molt_now_ns();
	if (rs_table_publish(t, err, sizeof(err)) < 0) {
		LOG_ERR(SUB, "%s", err);
		feed_writer_close(&t->feed, 1);
		rs_table_free(t);
		feed_key_free(key);
		return 1;
	}
	log_published(t, t0);
	ret = 0;
	if (o.once) {
		report_cpu();
	} else if (open_socket(&o, &rpc) < 0) {
		ret = 1;
	} else if (o.fpm != NULL && (fpm_server = fpm_server_create(o.fpm, (unsigned)o.fpm_hold,
								    err, sizeof(err))) == NULL) {
		LOG_ERR(SUB, "%s", err);
		rpc_server_destroy(rpc);
		ret = 1;
	} else {
		serve(&o, t, rpc, &set);
		fpm_server_destroy(fpm_server);
		fpm_server = NULL;
	}
	feed_writer_close(&t->feed, 1);
	rs_table_free(t);
	feed_key_free(key);
	return ret;
}
