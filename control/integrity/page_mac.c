// SPDX-License-Identifier: BSD-3-Clause
// ipsec-mb's burst API: up to BURST jobs handed over at once, each one page; the library runs
// them over its multi-buffer lanes (AES-CMAC: several AES streams in parallel; HMAC-SHA-256:
// SHA-NI or several SHA lanes), so pages cost what the lanes do, not one call each.
#include <errno.h>
#include <intel-ipsec-mb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "control/integrity/page_mac.h"

#define BURST 64

// One manager per thread (a manager is not thread safe), and per algorithm: ipsec-mb 1.3 on
// this AVX512 CPU corrupts a manager that runs AES-CMAC bursts, then HMAC-SHA-256 ones, then
// AES-CMAC again (wrong tags, then a crash inside the library; measured). A thread whose key
// is of another algorithm than its manager last ran gets a new manager.
static __thread IMB_MGR *mgr;
static __thread int mgr_alg = -1;
static __thread IMB_ARCH arch;
// A thread that exits (the build thread) frees its manager through this key's destructor.
static pthread_key_t mgr_key;
static pthread_once_t mgr_once = PTHREAD_ONCE_INIT;

static void mgr_free(void *m)
{
	free_mb_mgr(m);
}

static void mgr_key_init(void)
{
	pthread_key_create(&mgr_key, mgr_free);
}

int pmac_init(void)
{
	if (mgr != NULL)
		return 0;
	mgr = alloc_mb_mgr(0);
	if (mgr == NULL)
		return -ENOMEM;
	init_mb_mgr_auto(mgr, &arch);
	if (imb_get_errno(mgr) != 0) {
		free_mb_mgr(mgr);
		mgr = NULL;
		return -ENOTSUP;
	}
	pthread_once(&mgr_once, mgr_key_init);
	pthread_setspecific(mgr_key, mgr);
	return 0;
}

void pmac_fini(void)
{
	if (mgr != NULL) {
		pthread_once(&mgr_once, mgr_key_init);
		pthread_setspecific(mgr_key, NULL);
		free_mb_mgr(mgr);
	}
	mgr = NULL;
	mgr_alg = -1;
}

// This thread's manager, for alg only.
static int use_alg(enum pmac_alg alg)
{
	if (mgr != NULL && mgr_alg != (int)alg)
		pmac_fini();
	if (pmac_init() < 0)
		return -ENODEV;
	mgr_alg = (int)alg;
	return 0;
}

const char *pmac_alg_name(enum pmac_alg a)
{
	return a == PMAC_AES_CMAC ? "aes-cmac" : "hmac-sha256";
}

const char *pmac_version(void)
{
	return imb_get_version_str();
}

const char *pmac_arch(void)
{
	switch (arch) {
	case IMB_ARCH_SSE:
		return "SSE";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX512:
		return "AVX512";
	default:
		return "none";
	}
}

static int random_bytes(uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(b, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int pmac_key_new(struct pmac_key *k, enum pmac_alg alg)
{
	uint8_t raw[32], block[64];
	int ret;

	memset(k, 0, sizeof(*k));
	k->alg = alg;
	if ((ret = use_alg(alg)) < 0)
		return ret;
	if ((ret = random_bytes(raw, sizeof(raw))) < 0)
		return ret;
	if (alg == PMAC_AES_CMAC) {
		IMB_AES_KEYEXP_128(mgr, raw, k->enc, k->dec);
		IMB_AES_CMAC_SUBKEY_GEN_128(mgr, k->enc, k->k1, k->k2);
	} else {
		// RFC 2104 with a 32-byte key: the key padded to a block, xor ipad / opad, hashed.
		memset(block, 0x36, sizeof(block));
		for (size_t i = 0; i < sizeof(raw); i++)
			block[i] ^= raw[i];
		IMB_SHA256_ONE_BLOCK(mgr, block, k->ipad);
		memset(block, 0x5c, sizeof(block));
		for (size_t i = 0; i < sizeof(raw); i++)
			block[i] ^= raw[i];
		IMB_SHA256_ONE_BLOCK(mgr, block, k->opad);
		explicit_bzero(block, sizeof(block));
	}
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

void pmac_key_wipe(struct pmac_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

static void fill(IMB_JOB *j, const struct pmac_key *k, const void *p, size_t len, uint8_t *tag)
{
	j->cipher_mode = IMB_CIPHER_NULL;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->chain_order = IMB_ORDER_HASH_CIPHER;
	j->src = p;
	j->dst = NULL;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = 0;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = PMAC_TAG_LEN;
	if (k->alg == PMAC_AES_CMAC) {
		j->hash_alg = IMB_AUTH_AES_CMAC;
		j->u.CMAC._key_expanded = k->enc;
		j->u.CMAC._skey1 = k->k1;
		j->u.CMAC._skey2 = k->k2;
	} else {
		j->hash_alg = IMB_AUTH_HMAC_SHA_256;
		j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
		j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	}
}

static int done(IMB_JOB **jobs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (jobs[i]->status != IMB_STATUS_COMPLETED)
			return -EIO;
	return 0;
}

int pmac_run(const struct pmac_key *k, const void *const *p, const size_t *len,
	     uint8_t (*tags)[PMAC_TAG_LEN], unsigned n)
{
	IMB_JOB *jobs[BURST];
	unsigned i = 0;
	int ret = 0;

	if (use_alg(k->alg) < 0)
		return -ENODEV;
	while (i < n) {
		uint32_t want = n - i < BURST ? n - i : BURST, got, c;

		got = IMB_GET_NEXT_BURST(mgr, want, jobs);
		if (got == 0) { // the queue is full: finish what it holds
			c = IMB_FLUSH_BURST(mgr, BURST, jobs);
			if (c == 0)
				return -EIO;
			ret |= done(jobs, c);
			continue;
		}
		for (uint32_t j = 0; j < got; j++)
			fill(jobs[j], k, p[i + j], len[i + j], tags[i + j]);
		c = IMB_SUBMIT_BURST(mgr, got, jobs);
		if (c == 0 && imb_get_errno(mgr) != 0)
			return -EIO;
		ret |= done(jobs, c);
		i += got;
	}
	for (uint32_t c; (c = IMB_FLUSH_BURST(mgr, BURST, jobs)) > 0;)
		ret |= done(jobs, c);
	return ret != 0 ? -EIO : 0;
}

double pmac_measure(enum pmac_alg alg, size_t bytes)
{
	size_t pages = bytes / 4096 ? bytes / 4096 : 1;
	uint8_t *mem = malloc(pages * 4096);
	uint8_t(*tags)[PMAC_TAG_LEN] = malloc(pages * PMAC_TAG_LEN);
	const void **p = malloc(pages * sizeof(*p));
	size_t *len = malloc(pages * sizeof(*len));
	struct pmac_key k;
	struct timespec t0, t1;
	double best = 0;

	if (mem == NULL || tags == NULL || p == NULL || len == NULL || pmac_key_new(&k, alg) < 0)
		goto out;
	for (size_t i = 0; i < pages; i++) {
		p[i] = mem + i * 4096;
		len[i] = 4096;
	}
	memset(mem, 0xa5, pages * 4096);
	// Best of two: the machine may be shared, the other run measures the neighbours.
	for (int r = 0; r < 2; r++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (pmac_run(&k, p, len, tags, (unsigned)pages) < 0)
			goto out;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

		if (s > 0 && pages * 4096 / s > best)
			best = pages * 4096 / s;
	}
out:
	pmac_key_wipe(&k);
	free(mem);
	free(tags);
	free(p);
	free(len);
	return best;
}
