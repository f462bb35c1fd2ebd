#ifndef CUSTODY_SHA256X2_H
#define CUSTODY_SHA256X2_H
#include <stddef.h>
#include <stdint.h>

/* SHA-256 compression with the x86 SHA extensions, two states over the same blocks at once (and
 * four: two states each over two streams of blocks).
 *
 * custody hashes every byte it receives twice: into the recording's SHA-256 and into the SHA-256 of
 * the chunk it belongs to. One SHA-256 stream is bound by the latency of SHA256RNDS2; two
 * independent streams interleaved round by round run in nearly the time of one. OpenSSL offers no
 * such interface, hence this file: compression only (padding and the API are Swift, in Crypto's
 * SHA256Pair), checked against OpenSSL by CryptoTests. Used only when the CPU reports the
 * extensions; elsewhere Crypto hashes twice through OpenSSL. */

/* 1 when this CPU has SHA, SSSE3 and SSE4.1 (and this is an x86 build), else 0. */
int custody_sha256x2_available(void);

/* Compresses `blocks` 64-byte blocks at `data` into `state` (a..h, host order). Only when available. */
void custody_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/* The same blocks compressed into two states at once. Only when available. */
void custody_sha256x2_blocks(uint32_t a[8], uint32_t b[8], const uint8_t *data, size_t blocks);

/* Two streams at once: `a` and `b` over the blocks at `p`, `c` and `d` over as many blocks at `q`.
 * Only when available. */
void custody_sha256x2x2_blocks(uint32_t a[8], uint32_t b[8], const uint8_t *p,
                               uint32_t c[8], uint32_t d[8], const uint8_t *q, size_t blocks);

/* Each kernel exists twice, as SSE code and with AVX (VEX encodings, faster); the AVX one runs
 * where the CPU and OS allow. For tests: choose (on = 0: SSE); returns whether AVX is now used. */
int custody_sha256x2_choose_avx(int on);

#endif
