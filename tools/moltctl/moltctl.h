// SPDX-License-Identifier: BSD-3-Clause
// moltctl: the operator CLI. main.c holds the noun table (wg-style); each noun is one file
// (molt.c, port.c, route.c, ...) that parses its verbs' arguments, calls one JSON-RPC method
// and prints the answer as a table, or as JSON with --json.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rpc_client;

#define MOLTD_SOCKET "/run/molt/moltd.sock"
#define ROUTESERVER_SOCKET "/run/molt/routeserver.sock"

// Exit codes (documented in moltctl --help).
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1, // the server answered with an error (message on stderr)
	EXIT_USAGE = 2, // bad command line
	EXIT_CONNECT = 3, // no answer: cannot connect, timeout, broken reply
};

struct ctl {
	const char *socket;
	bool json; // print results as JSON
	int timeout_ms;
	struct rpc_client *client; // NULL until the first call
	char last_error[512]; // the server's message of the last failed call
};

// One verb of a noun. fn gets the arguments after the verb (argv[0] is the verb itself).
struct ctl_verb {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *args; // synopsis after "moltctl NOUN VERB"
	const char *help; // one line
};

// Runs the verb named argv[1] of noun (argv[0]), or prints the noun's help. verbs ends with
// a zeroed entry. Returns an exit code.
int ctl_dispatch(struct ctl *c, const char *noun, const struct ctl_verb *verbs, int argc,
		 char **argv);

// True when argv has -h/--help after the verb: the caller prints the verb's help and exits 0.
bool ctl_wants_help(int argc, char **argv);
int ctl_verb_usage(const char *noun, const struct ctl_verb *v, FILE *f, int code);
// "moltctl: MESSAGE (see --help)" on stderr; returns EXIT_USAGE.
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Calls method with params (stolen; NULL for none). On success *result is the result (caller
// decrefs) and EXIT_OK is returned. A server error is printed to stderr (EXIT_FAILED); a
// connection problem too (EXIT_CONNECT).
int ctl_call(struct ctl *c, const char *method, json_t *params, json_t **result);
void ctl_close(struct ctl *c);

// Calls method and prints the result with --json, or with print (NULL: the generic printer).
int ctl_run(struct ctl *c, const char *method, json_t *params, void (*print)(const json_t *));

// Printing (print.c). JSON as returned, pretty.
void ctl_print_json(const json_t *v);
// Any result, readably: arrays of objects as tables, objects as aligned "key  value" lines.
void ctl_print_generic(const json_t *v);
// As ctl_print_generic, with byte counts ("memory", "*_bytes") shown in MiB.
void ctl_print_mib(const json_t *v);
// A scalar as text: strings bare, integers with thousands separators, true/false as yes/no.
void ctl_scalar(const json_t *v, char *buf, size_t len);
// 1234567 -> "1,234,567".
const char *ctl_count(uint64_t n, char *buf, size_t len);

// Aligned tables (text_table.c): cells are added row by row; numeric columns are right-aligned.
// headers NULL: no header row (key/value lists).
struct table;
struct table *table_new(unsigned ncols, const char *const *headers);
void table_add(struct table *t, const char *cell);
void table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

// The nouns (one file each).
int noun_molt(struct ctl *c, int argc, char **argv);
int noun_port(struct ctl *c, int argc, char **argv);
int noun_worker(struct ctl *c, int argc, char **argv);
int noun_neigh(struct ctl *c, int argc, char **argv);
int noun_route(struct ctl *c, int argc, char **argv);
int noun_slot(struct ctl *c, int argc, char **argv);
int noun_feed(struct ctl *c, int argc, char **argv);
int noun_metabolism(struct ctl *c, int argc, char **argv);
int noun_integrity(struct ctl *c, int argc, char **argv);
int noun_control_plane(struct ctl *c, int argc, char **argv);
int ctl_slot_metabolize(struct ctl *c, int argc, char **argv); // metabolism.c
int noun_rpc(struct ctl *c, int argc, char **argv);
int noun_call(struct ctl *c, int argc, char **argv);
