// SPDX-License-Identifier: BSD-3-Clause
// Feed authentication: the key file's checks, HMAC-SHA-256 against reference vectors, writer and
// reader agreeing (or not) on the key, and a one-byte change anywhere in a snapshot or a journal
// entry refused by the reader, while the untouched feed still reads.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/feed/feed.h"

static char name[64];
static char keypath[64];

static int setup(void **state)
{
	static int n;

	snprintf(name, sizeof(name), "/molt-authtest-%d-%d", (int)getpid(), n);
	snprintf(keypath, sizeof(keypath), "/tmp/molt-authtest-%d-%d.key", (int)getpid(), n++);
	return 0;
}

static int teardown(void **state)
{
	shm_unlink(name);
	unlink(keypath);
	return 0;
}

static void material(uint8_t *m, uint8_t first)
{
	for (unsigned i = 0; i < FEED_KEY_LEN; i++)
		m[i] = (uint8_t)(first + i);
}

static struct feed_key *key_n(uint8_t first)
{
	uint8_t m[FEED_KEY_LEN];
	struct feed_key *k;
	char err[256];

	material(m, first);
	if (feed_key_from_bytes(m, sizeof(m), &k, err, sizeof(err)) < 0)
		fail_msg("key: %s", err);
	return k;
}

static void write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

// Reference values from Python's hmac and hashlib.
static void test_hmac_vectors(void **state)
{
	struct feed_key *k = key_n(1);
	uint8_t mac[FEED_MAC_LEN], *zeros = calloc(1, 1000);
	char h[2 * FEED_MAC_LEN + 1];

	feed_key_hmac_raw(k, "molt feed", 9, mac);
	hex(mac, sizeof(mac), h);
	assert_string_equal(h, "2d0047b2786b289f710e5be3c19e85d66c5dbe908d7316c684669bb68f832978");
	feed_key_hmac_raw(k, zeros, 1000, mac);
	hex(mac, sizeof(mac), h);
	assert_string_equal(h, "f11a5f30a63048991cfe58bd7faff93b87940e50a6bf05d35e638c490f594202");

	// Each use has its own key: the same message MACs differently.
	uint8_t a[FEED_MAC_LEN], b[FEED_MAC_LEN];

	feed_key_mac(k, FEED_MAC_SNAPSHOT, "x", 1, a);
	feed_key_mac(k, FEED_MAC_JOURNAL, "x", 1, b);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(feed_key_verify(k, FEED_MAC_SNAPSHOT, "x", 1, a), 0);
	assert_int_equal(feed_key_verify(k, FEED_MAC_JOURNAL, "x", 1, a), -EKEYREJECTED);
	free(zeros);
	feed_key_free(k);
}

// The bulk MAC (a tree of 16 KiB chunk MACs on the multi-buffer lanes): deterministic, the same
// as the single-message MAC when everything fits in one chunk, and changed by one bit anywhere,
// by a length that differs by one byte, and by the head.
static void test_bulk_mac(void **state)
{
	struct feed_key *k = key_n(5), *k2 = key_n(6);
	size_t len = 3 * FEED_MAC_CHUNK_BYTES * 600 + 77,
	       offs[] = { 0, 1, FEED_MAC_CHUNK_BYTES - 1, FEED_MAC_CHUNK_BYTES, len / 2, len - 1 };
	uint8_t *buf = malloc(len), *one = malloc(100 + 1000), a[FEED_MAC_LEN], b[FEED_MAC_LEN];
	const char head[] = "descriptor";

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head), buf, len, a),
			 0);
	assert_int_equal(feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head), buf, len, b),
			 0);
	assert_memory_equal(a, b, sizeof(a));
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		buf[offs[i]] ^= 0x40;
		feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head), buf, len, b);
		if (memcmp(a, b, sizeof(a)) == 0)
			fail_msg("a change at byte %zu of %zu went unnoticed", offs[i], len);
		buf[offs[i]] ^= 0x40;
	}
	feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head), buf, len - 1, b);
	assert_memory_not_equal(a, b, sizeof(a));
	feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head) - 1, buf, len, b);
	assert_memory_not_equal(a, b, sizeof(a));
	feed_key_mac_bulk(k, FEED_MAC_JOURNAL, head, sizeof(head), buf, len, b);
	assert_memory_not_equal(a, b, sizeof(a));
	feed_key_mac_bulk(k2, FEED_MAC_SNAPSHOT, head, sizeof(head), buf, len, b);
	assert_memory_not_equal(a, b, sizeof(a));

	// Up to one chunk: the MAC of head || data.
	memcpy(one, head, sizeof(head));
	memcpy(one + sizeof(head), buf, 1000);
	feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head), buf, 1000, a);
	feed_key_mac(k, FEED_MAC_SNAPSHOT, one, sizeof(head) + 1000, b);
	assert_memory_equal(a, b, sizeof(a));
	feed_key_mac_bulk(k, FEED_MAC_SNAPSHOT, head, sizeof(head), NULL, 0, a);
	feed_key_mac(k, FEED_MAC_SNAPSHOT, head, sizeof(head), b);
	assert_memory_equal(a, b, sizeof(a));
	free(buf);
	free(one);
	feed_key_free(k);
	feed_key_free(k2);
}

static void expect_load(int want, const char *msg)
{
	struct feed_key *k = NULL;
	char err[256] = "";
	int ret = feed_key_load(keypath, &k, err, sizeof(err));

	if (ret != want || (msg != NULL && strstr(err, msg) == NULL))
		fail_msg("load: got %d '%s', want %d '%s'", ret, err, want, msg ? msg : "");
	if (want == 0)
		assert_non_null(k);
	else
		assert_null(k);
	feed_key_free(k);
}

static void test_key_file(void **state)
{
	uint8_t m[FEED_KEY_LEN], mac1[FEED_MAC_LEN], mac2[FEED_MAC_LEN];
	char h[2 * FEED_KEY_LEN + 2];
	struct feed_key *k1, *k2;
	char err[256];

	material(m, 7);
	expect_load(-ENOENT, "No such file");
	write_file(keypath, m, sizeof(m), 0600);
	expect_load(0, NULL);
	write_file(keypath, m, sizeof(m), 0400);
	expect_load(0, NULL);
	write_file(keypath, m, sizeof(m), 0640);
	expect_load(-EPERM, "mode 640: group and other must have no access (chmod 600)");
	write_file(keypath, m, sizeof(m), 0604);
	expect_load(-EPERM, "chmod 600");
	if (geteuid() == 0) {
		write_file(keypath, m, sizeof(m), 0600);
		assert_int_equal(chown(keypath, 1, 0), 0);
		expect_load(-EPERM, "owned by uid 1, not root");
	}
	write_file(keypath, m, sizeof(m) - 1, 0600);
	expect_load(-EINVAL, "want 32 raw bytes or 64 hex digits");
	write_file(keypath, "", 0, 0600);
	expect_load(-EINVAL, "found 0 bytes");
	memset(m, 0, sizeof(m));
	write_file(keypath, m, sizeof(m), 0600);
	expect_load(-EINVAL, "all zero");

	// Hex (with or without a newline) is the same key as its raw bytes.
	material(m, 7);
	write_file(keypath, m, sizeof(m), 0600);
	assert_int_equal(feed_key_load(keypath, &k1, err, sizeof(err)), 0);
	hex(m, sizeof(m), h);
	strcat(h, "\n");
	write_file(keypath, h, strlen(h), 0600);
	assert_int_equal(feed_key_load(keypath, &k2, err, sizeof(err)), 0);
	feed_key_mac(k1, FEED_MAC_JOURNAL, "route", 5, mac1);
	feed_key_mac(k2, FEED_MAC_JOURNAL, "route", 5, mac2);
	assert_memory_equal(mac1, mac2, sizeof(mac1));
	feed_key_free(k2);
	write_file(keypath, h, strlen(h) - 1, 0600);
	assert_int_equal(feed_key_load(keypath, &k2, err, sizeof(err)), 0);
	feed_key_free(k2);
	h[5] = 'g';
	write_file(keypath, h, strlen(h), 0600);
	expect_load(-EINVAL, "hex digits");
	feed_key_free(k1);
	unlink(keypath);
	assert_int_equal(mkdir(keypath, 0700), 0);
	expect_load(-EINVAL, "not a regular file");
	rmdir(keypath);
}

static struct molt_route route_n(unsigned n)
{
	struct molt_route r;

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.plen = 24;
	r.type = MOLT_RT_VIA;
	r.prefix[0] = 10;
	r.prefix[1] = (uint8_t)(n >> 8);
	r.prefix[2] = (uint8_t)n;
	r.gateway[0] = 192;
	r.gateway[1] = 0;
	r.gateway[2] = 2;
	r.gateway[3] = (uint8_t)(1 + n % 200);
	return r;
}

static int snapshot(struct feed_reader *rd, uint64_t *count, char *err, size_t errlen)
{
	struct feed_snapshot_desc desc;
	struct molt_route *got = NULL;
	int ret = feed_reader_snapshot(rd, &got, &desc, err, errlen);

	free(got);
	if (ret == 0)
		*count = desc.count;
	return ret;
}

static void test_agreement(void **state)
{
	struct feed_key *a = key_n(1), *b = key_n(2);
	struct feed_writer w;
	struct feed_reader rd;
	char err[256];

	assert_int_equal(feed_writer_create(&w, name, 100, 16, a, err, sizeof(err)), 0);
	assert_int_equal(w.hdr->auth, FEED_AUTH_HMAC_SHA256);
	assert_int_equal(feed_reader_open(&rd, name, b, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "another key"));
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), -ENOKEY);
	assert_non_null(strstr(err, "no feed key is configured here"));
	assert_int_equal(feed_reader_open(&rd, name, a, err, sizeof(err)), 0);
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);

	assert_int_equal(feed_writer_create(&w, name, 100, 16, NULL, err, sizeof(err)), 0);
	assert_int_equal(w.hdr->auth, FEED_AUTH_NONE);
	assert_int_equal(feed_reader_open(&rd, name, a, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "unauthenticated"));
	assert_int_equal(feed_reader_open(&rd, name, NULL, err, sizeof(err)), 0);
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	feed_key_free(a);
	feed_key_free(b);
}

// Every byte of a snapshot's routes and MACed descriptor fields, changed by one bit, is refused;
// put back, the snapshot reads again.
static void test_tampered_snapshot(void **state)
{
	struct feed_key *k = key_n(3);
	struct molt_route routes[8];
	struct feed_writer w;
	struct feed_reader rd;
	struct feed_snapshot_desc *d;
	uint64_t count;
	uint8_t *p;
	size_t off;
	char err[256];
	int ret;

	for (unsigned i = 0; i < 8; i++)
		routes[i] = route_n(i);
	assert_int_equal(feed_writer_create(&w, name, 100, 16, k, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, routes, 8, 0), 0);
	assert_int_equal(feed_reader_open(&rd, name, k, err, sizeof(err)), 0);
	assert_int_equal(snapshot(&rd, &count, err, sizeof(err)), 0);
	assert_int_equal(count, 8);

	d = &w.hdr->snap[w.hdr->current];
	p = (uint8_t *)w.hdr + d->offset;
	for (off = 0; off < sizeof(routes); off++) {
		p[off] ^= 0x10;
		ret = snapshot(&rd, &count, err, sizeof(err));
		if (ret != -EKEYREJECTED || strstr(err, "MAC mismatch") == NULL)
			fail_msg("route byte %zu: got %d '%s'", off, ret, err);
		p[off] ^= 0x10;
	}
	// The descriptor after seq and offset: count, covers_seq, digest, counts, time, MAC.
	p = (uint8_t *)d;
	for (off = offsetof(struct feed_snapshot_desc, count); off < sizeof(*d); off++) {
		p[off] ^= 0x01;
		ret = snapshot(&rd, &count, err, sizeof(err));
		// A count beyond the capacity is refused before any MAC is computed.
		bool big_count = off > offsetof(struct feed_snapshot_desc, count) &&
				 off < offsetof(struct feed_snapshot_desc, covers_seq);

		if (ret != -EKEYREJECTED && !(big_count && ret == -EBADMSG))
			fail_msg("descriptor byte %zu: got %d '%s'", off, ret, err);
		p[off] ^= 0x01;
	}
	assert_int_equal(snapshot(&rd, &count, err, sizeof(err)), 0);

	// A valid snapshot of buffer 0 copied into buffer 1 (descriptor and routes) is refused:
	// the MAC binds the buffer and its seq.
	assert_int_equal(feed_writer_publish(&w, routes, 4, 1), 0);
	assert_int_equal(snapshot(&rd, &count, err, sizeof(err)), 0);
	assert_int_equal(count, 4);
	{
		unsigned cur = w.hdr->current, old = cur ^ 1;
		struct feed_snapshot_desc *dc = &w.hdr->snap[cur], *dold = &w.hdr->snap[old];

		memcpy((uint8_t *)w.hdr + dc->offset, (uint8_t *)w.hdr + dold->offset,
		       8 * sizeof(routes[0]));
		dc->count = dold->count;
		dc->covers_seq = dold->covers_seq;
		dc->digest = dold->digest;
		dc->count_v4 = dold->count_v4;
		dc->count_v6 = dold->count_v6;
		dc->published_ns = dold->published_ns;
		memcpy(dc->mac, dold->mac, sizeof(dc->mac));
		assert_int_equal(snapshot(&rd, &count, err, sizeof(err)), -EKEYREJECTED);
		// The older buffer itself, untouched, still verifies: putting back a whole older
		// snapshot is caught by moltd's feed mirror (covers_seq never goes back).
		atomic_store(&w.hdr->current, old);
		assert_int_equal(snapshot(&rd, &count, err, sizeof(err)), 0);
		assert_int_equal(count, 8);
	}
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	feed_key_free(k);
}

static void test_tampered_entry(void **state)
{
	struct feed_key *k = key_n(4);
	struct feed_journal_entry e, *ring;
	struct molt_route r0 = route_n(1), r1 = route_n(2);
	struct feed_writer w;
	struct feed_reader rd;
	uint8_t *p, save[sizeof(struct feed_journal_entry)];
	size_t off;
	char err[256];
	int ret;

	assert_int_equal(feed_writer_create(&w, name, 16, 16, k, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, NULL, 0, 0), 0);
	assert_int_equal(feed_writer_append(&w, FEED_OP_ADD, &r0), 0);
	assert_int_equal(feed_writer_append(&w, FEED_OP_DEL, &r1), 1);
	feed_writer_commit(&w);
	assert_int_equal(feed_reader_open(&rd, name, k, err, sizeof(err)), 0);
	assert_int_equal(feed_reader_entry(&rd, 0, &e, err, sizeof(err)), 0);
	assert_memory_equal(&e.route, &r0, sizeof(r0));
	assert_int_equal(feed_reader_entry(&rd, 1, &e, err, sizeof(err)), 0);
	assert_int_equal(e.op, FEED_OP_DEL);

	ring = (struct feed_journal_entry *)((uint8_t *)w.hdr + w.hdr->journal_offset);
	p = (uint8_t *)&ring[1];
	// Every byte after seq (op, reserved, route, MAC): a changed entry is refused, named.
	for (off = offsetof(struct feed_journal_entry, op);
	     off < offsetof(struct feed_journal_entry, mac) + FEED_MAC_LEN; off++) {
		p[off] ^= 0x80;
		ret = feed_reader_entry(&rd, 1, &e, err, sizeof(err));
		if (ret != -EKEYREJECTED || strstr(err, "journal entry 1: MAC mismatch") == NULL)
			fail_msg("entry byte %zu: got %d '%s'", off, ret, err);
		p[off] ^= 0x80;
	}
	assert_int_equal(feed_reader_entry(&rd, 1, &e, err, sizeof(err)), 0);

	// Entry 0's valid body moved to sequence 1: the MAC binds the sequence number.
	memcpy(save, p, sizeof(save));
	ring[1].op = ring[0].op;
	ring[1].route = ring[0].route;
	memcpy(ring[1].mac, ring[0].mac, sizeof(ring[1].mac));
	assert_int_equal(feed_reader_entry(&rd, 1, &e, err, sizeof(err)), -EKEYREJECTED);
	memcpy(p, save, sizeof(save));
	assert_int_equal(feed_reader_entry(&rd, 1, &e, err, sizeof(err)), 0);
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);

	// The same content under another generation (a new route server) does not verify.
	assert_int_equal(feed_writer_create(&w, name, 16, 16, k, err, sizeof(err)), 0);
	assert_int_equal(feed_writer_publish(&w, NULL, 0, 0), 0);
	assert_int_equal(feed_writer_append(&w, FEED_OP_ADD, &r0), 0);
	feed_writer_commit(&w);
	assert_int_equal(feed_reader_open(&rd, name, k, err, sizeof(err)), 0);
	ring = (struct feed_journal_entry *)((uint8_t *)w.hdr + w.hdr->journal_offset);
	assert_int_equal(feed_reader_entry(&rd, 0, &e, err, sizeof(err)), 0);
	memcpy(ring[0].mac, save + offsetof(struct feed_journal_entry, mac), FEED_MAC_LEN);
	ring[0].op = FEED_OP_DEL;
	ring[0].route = r1;
	assert_int_equal(feed_reader_entry(&rd, 0, &e, err, sizeof(err)), -EKEYREJECTED);
	feed_reader_close(&rd);
	feed_writer_close(&w, 1);
	feed_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_bulk_mac),
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agreement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_entry, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
