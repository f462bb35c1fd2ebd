#ifndef CUSTODY_CRC32_H
#define CUSTODY_CRC32_H
#include <stddef.h>
#include <stdint.h>

/* CRC-32 (ISO-HDLC, reflected 0xEDB88320) by carry-less multiplication: 64 bytes folded per step
 * with PCLMULQDQ (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", 2009),
 * as zlib-ng and Chromium's zlib do; ten times the table method. Zip's CRC32 calls it for the
 * bulk of long inputs and keeps its tables for the rest and for CPUs without it; ZipTests check
 * the two agree. */

/* 1 when this CPU has PCLMULQDQ and SSE4.1 (and this is an x86 build), else 0. */
int custody_crc32_clmul_available(void);

/* The CRC register (the inverted CRC, as the table method keeps it) after `len` more bytes at `data`.
 * `len` must be at least 64 and a multiple of 16. Only when available. */
uint32_t custody_crc32_clmul(uint32_t state, const uint8_t *data, size_t len);

#endif
