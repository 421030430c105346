/* http_repair.c - late bytes that fill a hole of the in-order view.  See
 * http_repair.h.
 *
 * The bytes from lo to hi are in buf[start ..] (a hole's bytes as zeros
 * until filled); miss[] lists the ranges still missing, sorted, disjoint,
 * all inside [lo, hi). */
#include "scan/http_repair.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct range { uint64_t lo, hi; };

struct http_repair {
    uint64_t lo, hi;
    uint8_t *buf;                       /* buf[start + i] is the byte at lo + i */
    size_t start, cap;
    struct range miss[HTTP_REPAIR_RANGES];
    unsigned nmiss;
};

struct http_repair *http_repair_new(uint64_t at)
{
    struct http_repair *r = xcalloc(1, sizeof *r);
    r->lo = r->hi = at;
    return r;
}

size_t http_repair_bytes(const struct http_repair *r)
{
    return (size_t)(r->hi - r->lo);
}

/* Room for the bytes up to hi (zeros): false past cap. */
static bool grow(struct http_repair *r, uint64_t hi, size_t cap)
{
    if (hi - r->lo > cap)
        return false;
    size_t need = (size_t)(hi - r->lo);
    if (r->start && r->start + need > r->cap) {     /* move the bytes down first */
        memmove(r->buf, r->buf + r->start, (size_t)(r->hi - r->lo));
        r->start = 0;
    }
    r->buf = xgrow(r->buf, &r->cap, r->start + need, 64 * 1024);
    memset(r->buf + r->start + (r->hi - r->lo), 0, (size_t)(hi - r->hi));
    r->hi = hi;
    return true;
}

static bool add_miss(struct http_repair *r, uint64_t lo, uint64_t hi)
{
    if (lo >= hi)
        return true;
    if (r->nmiss && r->miss[r->nmiss - 1].hi == lo) {
        r->miss[r->nmiss - 1].hi = hi;
        return true;
    }
    if (r->nmiss == HTTP_REPAIR_RANGES)
        return false;
    r->miss[r->nmiss++] = (struct range){ lo, hi };
    return true;
}

bool http_repair_gap(struct http_repair *r, uint64_t off, uint64_t len, size_t cap)
{
    if (off < r->hi) {                  /* (what overlaps what it holds is not new) */
        if (off + len <= r->hi)
            return true;
        len = off + len - r->hi;
        off = r->hi;
    }
    uint64_t end = off + len;
    /* refused: nothing recorded (the caller gives the hole on itself) */
    if (end < off || end - r->lo > cap || !add_miss(r, r->hi, end))
        return false;
    return grow(r, end, cap);
}

/* Copy what of [off, off + n) falls in the missing ranges, and take those
 * bytes out of them. */
static void fill(struct http_repair *r, uint64_t off, const uint8_t *p, size_t n)
{
    uint64_t end = off + n;
    for (unsigned i = 0; i < r->nmiss;) {
        struct range *m = &r->miss[i];
        uint64_t a = m->lo > off ? m->lo : off, b = m->hi < end ? m->hi : end;
        if (a >= b) {
            i++;
            continue;
        }
        memcpy(r->buf + r->start + (a - r->lo), p + (a - off), (size_t)(b - a));
        if (a == m->lo && b == m->hi) {             /* filled */
            memmove(m, m + 1, (r->nmiss - i - 1) * sizeof *m);
            r->nmiss--;
        } else if (a == m->lo) {
            m->lo = b;
            i++;
        } else if (b == m->hi) {
            m->hi = a;
            i++;
        } else {                                    /* a piece in the middle: split */
            if (r->nmiss == HTTP_REPAIR_RANGES) {
                i++;                                /* (no room: it stays missing, as a hole) */
                continue;
            }
            memmove(m + 2, m + 1, (r->nmiss - i - 1) * sizeof *m);
            r->miss[i + 1] = (struct range){ b, m->hi };
            m->hi = a;
            r->nmiss++;
            i += 2;
        }
    }
}

bool http_repair_data(struct http_repair *r, uint64_t off, const uint8_t *p, size_t n, size_t cap)
{
    if (off + n <= r->lo)
        return true;
    if (off < r->lo) {
        p += r->lo - off;
        n -= (size_t)(r->lo - off);
        off = r->lo;
    }
    if (off < r->hi) {                  /* late bytes: into the holes */
        size_t k = off + n <= r->hi ? n : (size_t)(r->hi - off);
        fill(r, off, p, k);
        p += k;
        n -= k;
        off += k;
    }
    if (n == 0)
        return true;
    if (off + n - r->lo > cap || (off > r->hi && !add_miss(r, r->hi, off)))
        return false;
    uint64_t at = r->hi > off ? r->hi : off;
    if (!grow(r, off + n, cap))
        return false;
    memcpy(r->buf + r->start + (at - r->lo), p + (at - off), (size_t)(off + n - at));
    return true;
}

/* Give [lo, to) (no hole in it) and move lo there. */
static void give(struct http_repair *r, uint64_t to, const struct http_repair_out *out)
{
    if (to > r->lo)
        out->data(out->arg, r->lo, r->buf + r->start, (size_t)(to - r->lo));
    r->start += (size_t)(to - r->lo);
    r->lo = to;
}

bool http_repair_drain(struct http_repair *r, const struct http_repair_out *out, bool all)
{
    while (r->nmiss && all) {
        struct range m = r->miss[0];
        give(r, m.lo, out);
        out->gap(out->arg, m.lo, m.hi - m.lo);
        r->start += (size_t)(m.hi - m.lo);
        r->lo = m.hi;
        memmove(r->miss, r->miss + 1, (r->nmiss - 1) * sizeof r->miss[0]);
        r->nmiss--;
    }
    give(r, r->nmiss ? r->miss[0].lo : r->hi, out);
    if (r->lo == r->hi) {
        r->start = 0;
        return r->nmiss == 0;
    }
    return false;
}

void http_repair_shift(struct http_repair *r, uint64_t n)
{
    r->lo += n;
    r->hi += n;
    for (unsigned i = 0; i < r->nmiss; i++) {
        r->miss[i].lo += n;
        r->miss[i].hi += n;
    }
}

void http_repair_free(struct http_repair *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}
