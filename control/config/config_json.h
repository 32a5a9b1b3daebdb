// SPDX-License-Identifier: BSD-3-Clause
// Typed access to a jansson tree for the config loader. Every failure writes one message of the
// form `FILE: JSON.PATH: problem` and returns -EINVAL, so callers just propagate.
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cj_ctx {
	const char *file;	// as given on the command line: the user knows it by that name
	char *err;
	size_t errlen;
};

#define CJ_PATH_MAX 128

// Writes "FILE: PATH: message" (or "FILE: message" when path is empty). Returns -EINVAL.
int cj_fail(struct cj_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

// Joins a parent path and a key ("fib" + "driver" -> "fib.driver"; "" + "ports" -> "ports").
const char *cj_key(char buf[CJ_PATH_MAX], const char *parent, const char *key);
// Joins a parent path and an index ("ports" + 1 -> "ports[1]").
const char *cj_index(char buf[CJ_PATH_MAX], const char *parent, size_t i);

// A short JSON rendering of v for messages (strings keep their quotes). Returns buf.
const char *cj_show(const json_t *v, char *buf, size_t len);

// Checks v is an object whose keys are all in allowed (NULL-terminated).
int cj_object(struct cj_ctx *c, const char *path, const json_t *v, const char *const *allowed);

// Checks v is an array of min..max elements; returns its size or -EINVAL.
int cj_array(struct cj_ctx *c, const char *path, const json_t *v, size_t min, size_t max);

// Copies a non-empty string of at most size-1 bytes.
int cj_string(struct cj_ctx *c, const char *path, const json_t *v, char *out, size_t size);

// Reads an integer in min..max.
int cj_uint(struct cj_ctx *c, const char *path, const json_t *v, uint32_t min, uint32_t max,
	    uint32_t *out);
