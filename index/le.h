/* le.h: little-endian fixed-width loads and stores, and LEB128 varints.
 * Every integer on disk goes through these (never a struct write), so the format is the same on
 * any host. Loads take unaligned pointers. vs_varint_get() is bounds-checked: it returns the number
 * of bytes read, or 0 when the varint runs past `end` or is longer than 10 bytes. */
#ifndef VS_LE_H
#define VS_LE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void vs_le_put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}
static inline void vs_le_put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;         p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void vs_le_put64(uint8_t *p, uint64_t v) {
    vs_le_put32(p, (uint32_t)v); vs_le_put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint16_t vs_le_get16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t vs_le_get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t vs_le_get64(const uint8_t *p) {
    return (uint64_t)vs_le_get32(p) | ((uint64_t)vs_le_get32(p + 4) << 32);
}

/* Writes v as LEB128 into p (room for 10 bytes needed); returns bytes written. */
static inline size_t vs_varint_put(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) { p[n++] = (uint8_t)(v | 0x80); v >>= 7; }
    p[n++] = (uint8_t)v;
    return n;
}
static inline size_t vs_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (size_t i = 0; i < 10 && p + i < end; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) { *out = v; return i + 1; }
    }
    return 0;
}

#endif
