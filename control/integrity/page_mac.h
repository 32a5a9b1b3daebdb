// SPDX-License-Identifier: BSD-3-Clause
// Keyed MACs of memory pages with Intel ipsec-mb's multi-buffer burst API: AES-128-CMAC or
// HMAC-SHA-256 (truncated to 128 bits), whichever measured faster on this CPU at start. Keys
// come from getrandom() and live in this process's ordinary heap, never in DPDK memory.
// One thread at a time (the control thread; the build thread through integrity.c's lock).
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PMAC_TAG_LEN 16

enum pmac_alg { PMAC_AES_CMAC = 0, PMAC_HMAC_SHA256, PMAC_ALGS };

struct pmac_key {
	enum pmac_alg alg;
	// AES-CMAC: the expanded AES-128 key and the two CMAC subkeys.
	uint32_t enc[4 * 15] __attribute__((aligned(16)));
	uint32_t dec[4 * 15] __attribute__((aligned(16))); // unused by CMAC, written by the keyexp
	uint8_t k1[16] __attribute__((aligned(16)));
	uint8_t k2[16] __attribute__((aligned(16)));
	// HMAC-SHA-256: the inner and outer states after the padded key block.
	uint8_t ipad[32] __attribute__((aligned(16)));
	uint8_t opad[32] __attribute__((aligned(16)));
};

// Sets up the ipsec-mb manager (the best code path this CPU has). 0 or -errno.
int pmac_init(void);
void pmac_fini(void);
const char *pmac_alg_name(enum pmac_alg a);
// ipsec-mb's version ("1.3.0").
const char *pmac_version(void);
// ipsec-mb's code path ("SSE", "AVX2", "AVX512").
const char *pmac_arch(void);

// A fresh random key for alg. 0 or -errno (getrandom failed).
int pmac_key_new(struct pmac_key *k, enum pmac_alg alg);
// Erases k (explicit_bzero).
void pmac_key_wipe(struct pmac_key *k);

// MACs n buffers (p[i], len[i] bytes) into tags[i]. 0, or -EIO when ipsec-mb refused a job.
int pmac_run(const struct pmac_key *k, const void *const *p, const size_t *len,
	     uint8_t (*tags)[PMAC_TAG_LEN], unsigned n);

// Bytes per second alg MACs here, in 4 KiB pages, over about `bytes` of memory. 0 on failure.
double pmac_measure(enum pmac_alg alg, size_t bytes);
