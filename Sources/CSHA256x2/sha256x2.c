#include "custody_sha256x2.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

int custody_sha256x2_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

/* AVX with the vector state saved by the OS (XCR0 bits 1 and 2). Atom-class chips (Goldmont,
 * Tremont) have the SHA extensions but no AVX: they run the SSE variant. */
static int avx_usable(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!((c >> 27) & 1) || !((c >> 28) & 1)) return 0; /* OSXSAVE, AVX */
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

/* -1 until first asked; then whether the AVX variant runs. */
static int avx_chosen = -1;

static int use_avx(void) {
    int v = __atomic_load_n(&avx_chosen, __ATOMIC_RELAXED);
    if (v < 0) {
        v = avx_usable();
        __atomic_store_n(&avx_chosen, v, __ATOMIC_RELAXED);
    }
    return v;
}

int custody_sha256x2_choose_avx(int on) {
    const int v = on && avx_usable();
    __atomic_store_n(&avx_chosen, v, __ATOMIC_RELAXED);
    return v;
}

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define TARGET __attribute__((target("sha,ssse3,sse4.1")))
#define NAME(f) f##_sse
#include "sha256x2_kernels.h"
#undef TARGET
#undef NAME

/* With AVX the compiler emits VEX forms of the shuffles and adds, and needs fewer register copies
 * around SHA256RNDS2's fixed xmm0 operand: 13% faster for two lanes and about 30% for four on
 * Zen 3 (clang). */
#define TARGET __attribute__((target("sha,ssse3,sse4.1,avx")))
#define NAME(f) f##_avx
#include "sha256x2_kernels.h"
#undef TARGET
#undef NAME

void custody_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (use_avx()) sha256_blocks_avx(state, data, blocks);
    else sha256_blocks_sse(state, data, blocks);
}

void custody_sha256x2_blocks(uint32_t a[8], uint32_t b[8], const uint8_t *data, size_t blocks) {
    if (use_avx()) sha256x2_blocks_avx(a, b, data, blocks);
    else sha256x2_blocks_sse(a, b, data, blocks);
}

void custody_sha256x2x2_blocks(uint32_t a[8], uint32_t b[8], const uint8_t *p,
                               uint32_t c[8], uint32_t d[8], const uint8_t *q, size_t blocks) {
    if (use_avx()) sha256x2x2_blocks_avx(a, b, p, c, d, q, blocks);
    else sha256x2x2_blocks_sse(a, b, p, c, d, q, blocks);
}

#else
#include <stdlib.h>

int custody_sha256x2_available(void) { return 0; }
void custody_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) { (void)state; (void)data; (void)blocks; abort(); }
void custody_sha256x2_blocks(uint32_t a[8], uint32_t b[8], const uint8_t *data, size_t blocks) {
    (void)a; (void)b; (void)data; (void)blocks;
    abort();
}
void custody_sha256x2x2_blocks(uint32_t a[8], uint32_t b[8], const uint8_t *p,
                               uint32_t c[8], uint32_t d[8], const uint8_t *q, size_t blocks) {
    (void)a; (void)b; (void)p; (void)c; (void)d; (void)q; (void)blocks;
    abort();
}
int custody_sha256x2_choose_avx(int on) { (void)on; return 0; }
#endif
