// SPDX-License-Identifier: BSD-3-Clause
// Aligned text tables: headers, then rows; a column whose cells all look like numbers is
// right-aligned, like the counters of `ip -s link`.
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/moltctl/moltctl.h"

struct table {
	unsigned ncols;
	char **cells; // row-major, headers first
	size_t n, cap;
	bool header; // the first row holds headers
};

struct table *table_new(unsigned ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));
	unsigned i;

	if (t == NULL)
		abort();
	t->ncols = ncols;
	t->header = headers != NULL;
	for (i = 0; headers != NULL && i < ncols; i++)
		table_add(t, headers[i]);
	return t;
}

void table_add(struct table *t, const char *cell)
{
	if (t->n == t->cap) {
		t->cap = t->cap * 2 + 64;
		t->cells = realloc(t->cells, t->cap * sizeof(*t->cells));
		if (t->cells == NULL)
			abort();
	}
	t->cells[t->n] = strdup(cell != NULL ? cell : "-");
	if (t->cells[t->n] == NULL)
		abort();
	t->n++;
}

void table_addf(struct table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_add(t, buf);
}

// 1 a number, 0 not, -1 "-" (no value: fits either kind of column).
static int numeric(const char *s)
{
	if (*s == '-' && s[1] == '\0')
		return -1;
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s != '\0'; s++)
		if ((*s < '0' || *s > '9') && *s != ',' && *s != '.')
			return 0;
	return 1;
}

void table_print(struct table *t, FILE *f)
{
	size_t *width = calloc(t->ncols, sizeof(*width)), i, rows = t->n / t->ncols, w;
	bool *right = calloc(t->ncols, sizeof(*right)), *text = calloc(t->ncols, sizeof(*text));
	unsigned col;
	int kind;

	if (width == NULL || right == NULL || text == NULL)
		abort();
	for (i = 0; i < t->n; i++) {
		col = (unsigned)(i % t->ncols);
		w = strlen(t->cells[i]);
		if (w > width[col])
			width[col] = w;
		if (i < t->ncols && t->header)
			continue;
		kind = numeric(t->cells[i]);
		if (kind == 1)
			right[col] = true;
		else if (kind == 0)
			text[col] = true;
	}
	for (col = 0; col < t->ncols; col++)
		right[col] = right[col] && !text[col];
	for (i = 0; i < rows * t->ncols; i++) {
		col = (unsigned)(i % t->ncols);
		if (col + 1 == t->ncols && !right[col])
			fprintf(f, "%s\n", t->cells[i]); // no trailing blanks
		else
			fprintf(f, right[col] ? "%*s%s" : "%-*s%s", (int)width[col], t->cells[i],
				col + 1 == t->ncols ? "\n" : "  ");
	}
	free(width);
	free(right);
	free(text);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
