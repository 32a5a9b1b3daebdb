// SPDX-License-Identifier: BSD-3-Clause
// The feed's keyed MAC: HMAC-SHA-256 (Intel ipsec-mb) under a key both molt-routeserver and
// moltd read from a root-only file at start. Every use has a key of its own, derived from the
// file's key, so a MAC made for one purpose (a journal entry) is never valid for another (a
// snapshot). A feed_key is used by one thread at a time: it owns its ipsec-mb managers.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FEED_KEY_LEN 32 // bytes of key material in the key file
#define FEED_MAC_LEN 32 // HMAC-SHA-256, not truncated

enum feed_mac_use {
	FEED_MAC_CHECK, // the header's key check: proves both sides hold the same key
	FEED_MAC_SNAPSHOT, // a snapshot descriptor and the SHA-256 of its routes
	FEED_MAC_JOURNAL, // one journal entry: generation, sequence, op, route
	FEED_MAC_CHUNK, // the chunks of feed_key_mac_bulk's data (and of their MACs)
	FEED_MAC_USES,
};

struct feed_key;

// Reads a key file: exactly FEED_KEY_LEN raw bytes, or 2 * FEED_KEY_LEN hex digits with an
// optional trailing newline. The file must be a regular file owned by root with no access for
// group or other (a key others can read authenticates nothing). Returns 0 and a new key in
// *out, or -errno with the reason in err.
int feed_key_load(const char *path, struct feed_key **out, char *err, size_t errlen);

// A key from FEED_KEY_LEN bytes of material (tests; the file loader ends here). All-zero
// material is refused: it is what an empty or unwritten key file would give.
int feed_key_from_bytes(const uint8_t *material, size_t len, struct feed_key **out, char *err,
			size_t errlen);

// Erases the key material and frees the key. NULL is allowed.
void feed_key_free(struct feed_key *k);

// mac = HMAC-SHA-256(key for `use`, msg), msg shorter than 64 KiB (ipsec-mb's limit for one
// job; longer data goes through feed_key_mac_bulk): a longer one gets a MAC that matches nothing.
void feed_key_mac(struct feed_key *k, enum feed_mac_use use, const void *msg, size_t len,
		  uint8_t mac[FEED_MAC_LEN]);

// Recomputes the MAC of msg and compares it with `mac` in constant time: 0 when it matches,
// -EKEYREJECTED when it does not.
int feed_key_verify(struct feed_key *k, enum feed_mac_use use, const void *msg, size_t len,
		    const uint8_t mac[FEED_MAC_LEN]);

// Compares two MACs in constant time: true when equal.
bool feed_mac_equal(const uint8_t a[FEED_MAC_LEN], const uint8_t b[FEED_MAC_LEN]);

// mac = HMAC(key for `use`, head || T(data)), where T is a tree of chunk MACs: data is cut
// into FEED_MAC_CHUNK_BYTES chunks, each MACed (under FEED_MAC_CHUNK's key) on the multi-buffer
// lanes, and their MACs, in order, are the next level, until a level fits in one chunk. For a
// whole snapshot: ipsec-mb's HMAC jobs take less than 64 KiB each, and the lanes of the widest
// architecture hash many chunks at once. head_len is at most FEED_MAC_CHUNK_BYTES.
// Returns 0, or -ENOMEM / -EIO (mac then matches nothing).
int feed_key_mac_bulk(struct feed_key *k, enum feed_mac_use use, const void *head, size_t head_len,
		      const void *data, size_t len, uint8_t mac[FEED_MAC_LEN]);

#define FEED_MAC_CHUNK_BYTES 16384

// Plain HMAC-SHA-256 under the file's key itself, for tests against reference vectors.
void feed_key_hmac_raw(struct feed_key *k, const void *msg, size_t len, uint8_t mac[FEED_MAC_LEN]);

// The ipsec-mb architectures in use, single messages / bulk ("SSE+SHA-NI / AVX-512"), for the
// start-up log line.
const char *feed_key_arch(const struct feed_key *k);
