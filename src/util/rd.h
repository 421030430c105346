/* rd.h - bounds-checked reader over an untrusted byte range.
 *
 * A short read sets a sticky error and yields zeros, so a header can be
 * parsed straight through and checked once with rd_ok().  Nothing here ever
 * reads outside [p, p+len).
 */
#ifndef TCPFLOW_RD_H
#define TCPFLOW_RD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct rd {
    const uint8_t *p;   /* start of the range (borrowed) */
    size_t len;         /* bytes in the range */
    size_t off;         /* cursor */
    bool err;           /* sticky: a read went past the end */
};

static inline struct rd rd_make(const uint8_t *p, size_t len)
{
    struct rd r = { p, len, 0, false };
    return r;
}

static inline bool rd_ok(const struct rd *r) { return !r->err; }
static inline size_t rd_left(const struct rd *r) { return r->err ? 0 : r->len - r->off; }

/* true when n more bytes can be read */
static inline bool rd_has(const struct rd *r, size_t n)
{
    return !r->err && n <= r->len - r->off;
}

static inline const uint8_t *rd_ptr(struct rd *r, size_t n)
{
    if (!rd_has(r, n)) { r->err = true; return NULL; }
    const uint8_t *q = r->p + r->off;
    r->off += n;
    return q;
}

static inline void rd_skip(struct rd *r, size_t n) { (void)rd_ptr(r, n); }

static inline uint8_t rd_u8(struct rd *r)
{
    const uint8_t *q = rd_ptr(r, 1);
    return q ? q[0] : 0;
}

static inline uint16_t rd_be16(struct rd *r)
{
    const uint8_t *q = rd_ptr(r, 2);
    return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

static inline uint16_t rd_le16(struct rd *r)
{
    const uint8_t *q = rd_ptr(r, 2);
    return q ? (uint16_t)((q[1] << 8) | q[0]) : 0;
}

static inline uint32_t rd_be32(struct rd *r)
{
    const uint8_t *q = rd_ptr(r, 4);
    return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}

static inline uint32_t rd_le32(struct rd *r)
{
    const uint8_t *q = rd_ptr(r, 4);
    return q ? ((uint32_t)q[3] << 24) | ((uint32_t)q[2] << 16) | ((uint32_t)q[1] << 8) | q[0] : 0;
}

/* Peek without moving; 0 (and no error) when not available. */
static inline uint8_t rd_peek_u8(const struct rd *r, size_t at)
{
    return (!r->err && at < r->len - r->off) ? r->p[r->off + at] : 0;
}

static inline uint16_t rd_peek_be16(const struct rd *r, size_t at)
{
    if (r->err || r->len - r->off < 2 || at > r->len - r->off - 2) return 0;
    const uint8_t *q = r->p + r->off + at;
    return (uint16_t)((q[0] << 8) | q[1]);
}

/* Load helpers for already-validated buffers. */
static inline uint16_t ld_be16(const uint8_t *q) { return (uint16_t)((q[0] << 8) | q[1]); }
static inline uint32_t ld_be32(const uint8_t *q)
{
    return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
}
static inline void st_be16(uint8_t *q, uint16_t v) { q[0] = (uint8_t)(v >> 8); q[1] = (uint8_t)v; }
static inline void st_be32(uint8_t *q, uint32_t v)
{
    q[0] = (uint8_t)(v >> 24); q[1] = (uint8_t)(v >> 16); q[2] = (uint8_t)(v >> 8); q[3] = (uint8_t)v;
}

#endif
