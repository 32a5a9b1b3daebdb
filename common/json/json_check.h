// SPDX-License-Identifier: BSD-3-Clause
// Typed checks of a jansson tree, shared by moltd's config loader and both daemons' JSON-RPC
// methods: one wording for every mistake, and every message names where it is, as a JSON path
// ("ports[1].ipv4[0]: ...", "params: ..."), so the user can fix it from the message alone.
// Each check returns 0 (or a count) on success, or -EINVAL with the message written.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jcheck {
	const char *file; // config: "FILE: " starts every message; NULL for RPC params
	const char *member; // what an object member is called: "key" (config), "parameter"
	char *msg; // where the message goes
	size_t msglen;
	int *code; // when set, *code = fail_code on a failure (an RPC error code)
	int fail_code;
};

#define JCHECK_PATH_MAX 128

// Writes "[FILE: ]PATH: message" (no "PATH: " when path is empty). Returns -EINVAL.
int jcheck_fail(struct jcheck *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Joins a parent path and a key ("fib" + "driver" -> "fib.driver"; "" + "ports" -> "ports").
const char *jcheck_key(char buf[JCHECK_PATH_MAX], const char *parent, const char *key);
// Joins a parent path and an index ("ports" + 1 -> "ports[1]").
const char *jcheck_index(char buf[JCHECK_PATH_MAX], const char *parent, size_t i);

// What v is, for messages: "an object", "a string", "an integer", ... ("none" for NULL).
const char *jcheck_type_name(const json_t *v);

// A short JSON rendering of v for messages (strings keep their quotes). Returns buf.
const char *jcheck_show(const json_t *v, char *buf, size_t len);

// v is an object whose keys are all in allowed (NULL-terminated).
int jcheck_object(struct jcheck *c, const char *path, const json_t *v, const char *const *allowed);

// v is an array of min..max elements; returns its size.
int jcheck_array(struct jcheck *c, const char *path, const json_t *v, size_t min, size_t max);

// Copies a non-empty string without NUL characters of at most size-1 bytes.
int jcheck_string(struct jcheck *c, const char *path, const json_t *v, char *out, size_t size);

// An integer in min..max.
int jcheck_uint(struct jcheck *c, const char *path, const json_t *v, uint32_t min, uint32_t max,
		uint32_t *out);

// true or false.
int jcheck_bool(struct jcheck *c, const char *path, const json_t *v, bool *out);
