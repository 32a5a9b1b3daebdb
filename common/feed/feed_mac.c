// SPDX-License-Identifier: BSD-3-Clause
// The feed's keyed MAC: key file, per-use keys, HMAC-SHA-256 through ipsec-mb's job API.
// HMAC rather than AES-CMAC: the key file holds 32 bytes, which HMAC-SHA-256 takes as they
// are, and no subkeys are needed. Two managers, measured on this project's VM (AVX-512 and
// SHA-NI, loaded): a single small message (a journal entry) takes 0.3-0.5 us on the SSE manager,
// which uses SHA-NI, and ~2 us on the AVX-512 one, whose 16 lanes are flushed for one job; bulk
// data (a snapshot, cut in 16 KiB chunks) hashes at 2.7-3.8 GB/s on the AVX-512 lanes and ~0.9
// GB/s with SHA-NI. ipsec-mb's one-shot IMB_SHA256() ran at 0.07 GB/s and is not used; an HMAC
// job takes less than 64 KiB.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>

#include "common/errmsg.h"
#include "common/feed/feed_mac.h"

#define SHA256_BLOCK 64

// The inner and outer hash states of one HMAC key, as ipsec-mb's HMAC jobs take them.
struct hmac_pads {
	uint8_t ipad[32];
	uint8_t opad[32];
};

struct feed_key {
	IMB_MGR *one; // single messages: SSE with SHA-NI when the CPU has it, else = bulk
	IMB_MGR *bulk; // many chunks at once: the widest architecture
	struct hmac_pads raw; // the file's key itself (derivation, tests)
	struct hmac_pads use[FEED_MAC_USES];
};

// Labels the per-use keys are derived from (HMAC of the label under the file's key).
static const char *const use_label[FEED_MAC_USES] = {
	[FEED_MAC_CHECK] = "molt feed key check v1",
	[FEED_MAC_SNAPSHOT] = "molt feed snapshot v1",
	[FEED_MAC_JOURNAL] = "molt feed journal entry v1",
	[FEED_MAC_CHUNK] = "molt feed chunk v1",
};

static void erase(void *p, size_t len)
{
	explicit_bzero(p, len);
}

// ipsec-mb wants the states after one block of (key ^ ipad) and (key ^ opad); keys of at most
// one block are padded with zeros (RFC 2104), which is all this file needs.
static void pads_init(IMB_MGR *mgr, struct hmac_pads *p, const uint8_t *key, size_t len)
{
	uint8_t block[SHA256_BLOCK];
	size_t i;

	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)((i < len ? key[i] : 0) ^ 0x36);
	IMB_SHA256_ONE_BLOCK(mgr, block, p->ipad);
	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)((i < len ? key[i] : 0) ^ 0x5c);
	IMB_SHA256_ONE_BLOCK(mgr, block, p->opad);
	erase(block, sizeof(block));
}

static void job_init(IMB_JOB *job, const struct hmac_pads *p, const void *msg, size_t len,
		     uint8_t *out)
{
	memset(job, 0, sizeof(*job));
	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = IMB_AUTH_HMAC_SHA_256;
	job->src = msg;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->auth_tag_output = out;
	job->auth_tag_output_len_in_bytes = FEED_MAC_LEN;
	job->u.HMAC._hashed_auth_key_xor_ipad = p->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = p->opad;
}

// One HMAC job, submitted and flushed until it comes back: the manager holds no other job, so
// the one returned is this one.
static void hmac(IMB_MGR *mgr, const struct hmac_pads *p, const void *msg, size_t len,
		 uint8_t out[FEED_MAC_LEN])
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	job_init(job, p, msg, len, out);
	job = IMB_SUBMIT_JOB(mgr);
	while (job == NULL)
		job = IMB_FLUSH_JOB(mgr);
	// A job refused by ipsec-mb (it validates lengths and pointers) leaves out as it was: fill
	// it with something no MAC equals by chance, so verification fails instead of passing.
	if (job->status != IMB_STATUS_COMPLETED)
		memset(out, 0xa5, FEED_MAC_LEN);
}

int feed_key_from_bytes(const uint8_t *material, size_t len, struct feed_key **out, char *err,
			size_t errlen)
{
	uint8_t derived[FEED_MAC_LEN];
	struct feed_key *k;
	size_t i;
	int u;

	*out = NULL;
	if (len != FEED_KEY_LEN)
		return molt_errf(-EINVAL, err, errlen, "a feed key is %d bytes, not %zu",
				 FEED_KEY_LEN, len);
	for (i = 0; i < len && material[i] == 0; i++)
		;
	if (i == len)
		return molt_errf(-EINVAL, err, errlen, "the feed key is all zero bytes");
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return molt_errf(-ENOMEM, err, errlen, "no memory for the feed key");
	k->bulk = alloc_mb_mgr(0);
	if (k->bulk == NULL) {
		free(k);
		return molt_errf(-ENOMEM, err, errlen, "ipsec-mb: cannot allocate a manager");
	}
	init_mb_mgr_auto(k->bulk, NULL);
	if ((u = imb_get_errno(k->bulk)) != 0) {
		feed_key_free(k);
		return molt_errf(-ENOTSUP, err, errlen, "ipsec-mb: %s", imb_get_strerror(u));
	}
	k->one = k->bulk;
	if ((k->bulk->features & IMB_FEATURE_SHANI) && k->bulk->used_arch != IMB_ARCH_SSE) {
		k->one = alloc_mb_mgr(0);
		if (k->one == NULL) {
			feed_key_free(k);
			return molt_errf(-ENOMEM, err, errlen,
					 "ipsec-mb: cannot allocate a manager");
		}
		init_mb_mgr_sse(k->one);
		if ((u = imb_get_errno(k->one)) != 0) {
			feed_key_free(k);
			return molt_errf(-ENOTSUP, err, errlen, "ipsec-mb: %s",
					 imb_get_strerror(u));
		}
	}
	pads_init(k->one, &k->raw, material, len);
	for (u = 0; u < FEED_MAC_USES; u++) {
		hmac(k->one, &k->raw, use_label[u], strlen(use_label[u]), derived);
		pads_init(k->one, &k->use[u], derived, sizeof(derived));
	}
	erase(derived, sizeof(derived));
	*out = k;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// The file's content as key material: raw bytes, or hex digits and an optional newline.
static int parse_key(const uint8_t *buf, size_t n, uint8_t *material)
{
	size_t i;
	int hi, lo;

	if (n == FEED_KEY_LEN) {
		memcpy(material, buf, FEED_KEY_LEN);
		return 0;
	}
	if (n == 2 * FEED_KEY_LEN + 1 && buf[n - 1] == '\n')
		n--;
	if (n != 2 * FEED_KEY_LEN)
		return -EINVAL;
	for (i = 0; i < FEED_KEY_LEN; i++) {
		hi = hexval(buf[2 * i]);
		lo = hexval(buf[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		material[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int feed_key_load(const char *path, struct feed_key **out, char *err, size_t errlen)
{
	uint8_t buf[2 * FEED_KEY_LEN + 2], material[FEED_KEY_LEN];
	struct stat st;
	ssize_t n;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return molt_errf(-errno, err, errlen, "feed key file %s: %s", path,
				 strerror(errno));
	// The checks are on the file opened, not on the name: nothing can swap it in between.
	if (fstat(fd, &st) < 0) {
		ret = molt_errf(-errno, err, errlen, "feed key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = molt_errf(-EINVAL, err, errlen, "feed key file %s is not a regular file",
				path);
		goto out;
	}
	if (st.st_uid != 0) {
		ret = molt_errf(
			-EPERM, err, errlen,
			"feed key file %s is owned by uid %u, not root: refused (chown root)", path,
			(unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ret = molt_errf(
			-EPERM, err, errlen,
			"feed key file %s has mode %03o: group and other must have no access "
			"(chmod 600)",
			path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		ret = molt_errf(-errno, err, errlen, "feed key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (parse_key(buf, (size_t)n, material) < 0) {
		ret = molt_errf(
			-EINVAL, err, errlen,
			"feed key file %s: want %d raw bytes or %d hex digits (and a newline), "
			"found %lld bytes of something else",
			path, FEED_KEY_LEN, 2 * FEED_KEY_LEN, (long long)st.st_size);
		goto out;
	}
	ret = feed_key_from_bytes(material, sizeof(material), out, err, errlen);
	if (ret < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s", err != NULL && errlen > 0 ? err : "");
		molt_errf(ret, err, errlen, "feed key file %s: %s", path, why);
	}
out:
	erase(buf, sizeof(buf));
	erase(material, sizeof(material));
	close(fd);
	return ret;
}

void feed_key_free(struct feed_key *k)
{
	if (k == NULL)
		return;
	if (k->one != NULL && k->one != k->bulk)
		free_mb_mgr(k->one);
	if (k->bulk != NULL)
		free_mb_mgr(k->bulk);
	erase(k, sizeof(*k));
	free(k);
}

void feed_key_mac(struct feed_key *k, enum feed_mac_use use, const void *msg, size_t len,
		  uint8_t mac[FEED_MAC_LEN])
{
	hmac(k->one, &k->use[use], msg, len, mac);
}

int feed_key_verify(struct feed_key *k, enum feed_mac_use use, const void *msg, size_t len,
		    const uint8_t mac[FEED_MAC_LEN])
{
	uint8_t want[FEED_MAC_LEN];

	feed_key_mac(k, use, msg, len, want);
	return feed_mac_equal(want, mac) ? 0 : -EKEYREJECTED;
}

bool feed_mac_equal(const uint8_t a[FEED_MAC_LEN], const uint8_t b[FEED_MAC_LEN])
{
	uint8_t diff = 0;
	size_t i;

	for (i = 0; i < FEED_MAC_LEN; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

// MACs `len` bytes chunk by chunk into out (one MAC per chunk, in order) on the bulk manager:
// jobs are submitted as fast as the lanes take them.
static int mac_chunks(struct feed_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	size_t n = (len + FEED_MAC_CHUNK_BYTES - 1) / FEED_MAC_CHUNK_BYTES, i, done = 0;
	IMB_MGR *m = k->bulk;
	bool ok = true;
	IMB_JOB *job;

	for (i = 0; i < n; i++) {
		size_t off = i * FEED_MAC_CHUNK_BYTES;

		job = IMB_GET_NEXT_JOB(m);
		job_init(job, &k->use[FEED_MAC_CHUNK], data + off,
			 len - off < FEED_MAC_CHUNK_BYTES ? len - off : FEED_MAC_CHUNK_BYTES,
			 out + i * FEED_MAC_LEN);
		for (job = IMB_SUBMIT_JOB(m); job != NULL; job = IMB_GET_COMPLETED_JOB(m)) {
			ok &= job->status == IMB_STATUS_COMPLETED;
			done++;
		}
	}
	while ((job = IMB_FLUSH_JOB(m)) != NULL) {
		ok &= job->status == IMB_STATUS_COMPLETED;
		done++;
	}
	return ok && done == n ? 0 : -EIO;
}

int feed_key_mac_bulk(struct feed_key *k, enum feed_mac_use use, const void *head, size_t head_len,
		      const void *data, size_t len, uint8_t mac[FEED_MAC_LEN])
{
	const uint8_t *cur = data;
	uint8_t *owned = NULL, *next, *msg;
	int ret;

	memset(mac, 0xa5, FEED_MAC_LEN); // what an error leaves: matches no real MAC
	if (head_len > FEED_MAC_CHUNK_BYTES)
		return -EINVAL;
	while (len > FEED_MAC_CHUNK_BYTES) {
		size_t n = (len + FEED_MAC_CHUNK_BYTES - 1) / FEED_MAC_CHUNK_BYTES;

		next = malloc(n * FEED_MAC_LEN);
		if (next == NULL) {
			free(owned);
			return -ENOMEM;
		}
		ret = mac_chunks(k, cur, len, next);
		free(owned);
		owned = next;
		cur = next;
		len = n * FEED_MAC_LEN;
		if (ret < 0) {
			free(owned);
			return ret;
		}
	}
	msg = malloc(head_len + len + 1);
	if (msg == NULL) {
		free(owned);
		return -ENOMEM;
	}
	memcpy(msg, head, head_len);
	if (len > 0)
		memcpy(msg + head_len, cur, len);
	hmac(k->one, &k->use[use], msg, head_len + len, mac);
	free(msg);
	free(owned);
	return 0;
}

void feed_key_hmac_raw(struct feed_key *k, const void *msg, size_t len, uint8_t mac[FEED_MAC_LEN])
{
	hmac(k->one, &k->raw, msg, len, mac);
}

static const char *arch_name(const IMB_MGR *m)
{
	static const char *const names[] = {
		[IMB_ARCH_NOAESNI] = "no-AESNI", [IMB_ARCH_SSE] = "SSE",
		[IMB_ARCH_AVX] = "AVX",          [IMB_ARCH_AVX2] = "AVX2",
		[IMB_ARCH_AVX512] = "AVX-512",
	};
	uint32_t a = m->used_arch;

	if (a == IMB_ARCH_SSE && (m->features & IMB_FEATURE_SHANI))
		return "SSE+SHA-NI";
	return a < IMB_ARCH_NUM && names[a] != NULL ? names[a] : "unknown";
}

const char *feed_key_arch(const struct feed_key *k)
{
	static __thread char buf[64];

	snprintf(buf, sizeof(buf), "%s / %s", arch_name(k->one), arch_name(k->bulk));
	return buf;
}
