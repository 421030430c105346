/* reasm.c - byte placement for one TCP direction (see reasm.h). */
#include "flow/reasm.h"
#include "util/xalloc.h"
#include <string.h>

void reasm_init(struct reasm *rs, uint32_t isn, bool syn)
{
    memset(rs, 0, sizeof *rs);
    rs->isn = isn;
    rs->syn_seen = syn;
}

void reasm_release(struct reasm *rs)
{
    free(rs->r);
    rs->r = NULL;
    rs->nr = rs->cap = 0;
}

int64_t reasm_offset(const struct reasm *rs, uint32_t seq)
{
    /* Sequence number of offset hi, then a signed 32-bit step from there. */
    uint32_t ref = rs->isn + 1u + (uint32_t)rs->hi;
    return (int64_t)rs->hi + (int32_t)(seq - ref);
}

void reasm_prepend(struct reasm *rs, uint64_t n)
{
    rs->isn -= (uint32_t)n;
    rs->hi += n;
    rs->pos += n;
    if (rs->fin_seen)
        rs->fin_off += n;
    for (uint32_t i = 0; i < rs->nr; i++) {
        rs->r[i].start += n;
        rs->r[i].end += n;
    }
}

/* Index of the first range whose end >= off (ranges touching off included). */
static uint32_t first_touching(const struct reasm *rs, uint64_t off)
{
    uint32_t lo = 0, hi = rs->nr;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rs->r[mid].end < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Forget the smallest range to make room (bytes may be rewritten later). */
static void forget_smallest(struct reasm *rs)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < rs->nr; i++)
        if (rs->r[i].end - rs->r[i].start < rs->r[best].end - rs->r[best].start)
            best = i;
    memmove(&rs->r[best], &rs->r[best + 1], (rs->nr - best - 1) * sizeof rs->r[0]);
    rs->nr--;
    rs->forgotten++;
}

/* Add [s, e) to the range set, merging what it touches. */
static void insert_range(struct reasm *rs, uint64_t s, uint64_t e)
{
    uint32_t i = first_touching(rs, s);
    uint32_t j = i;
    while (j < rs->nr && rs->r[j].start <= e) {
        if (rs->r[j].start < s) s = rs->r[j].start;
        if (rs->r[j].end > e) e = rs->r[j].end;
        j++;
    }
    if (j > i) {                     /* replace r[i..j) by one range */
        rs->r[i].start = s;
        rs->r[i].end = e;
        memmove(&rs->r[i + 1], &rs->r[j], (rs->nr - j) * sizeof rs->r[0]);
        rs->nr -= j - i - 1;
        return;
    }
    if (rs->nr == REASM_MAX_RANGES) {
        forget_smallest(rs);
        i = first_touching(rs, s);
    }
    if (rs->nr == rs->cap) {
        uint32_t nc = rs->cap ? rs->cap * 2 : 2;
        rs->r = xreallocarray(rs->r, nc, sizeof rs->r[0]);
        rs->cap = nc;
    }
    memmove(&rs->r[i + 1], &rs->r[i], (rs->nr - i) * sizeof rs->r[0]);
    rs->r[i].start = s;
    rs->r[i].end = e;
    rs->nr++;
}

void reasm_add(struct reasm *rs, uint64_t off, const uint8_t *p, size_t len,
               enum reasm_policy policy, reasm_emit_fn emit, void *arg,
               struct reasm_result *res)
{
    memset(res, 0, sizeof *res);
    if (len == 0)
        return;
    uint64_t end = off + len;
    res->out_of_order = off < rs->pos;
    rs->pos = end;

    if (policy == REASM_LAST) {
        /* count what was already there, then write everything */
        uint64_t dup = 0;
        for (uint32_t i = first_touching(rs, off); i < rs->nr && rs->r[i].start < end; i++) {
            uint64_t s = rs->r[i].start > off ? rs->r[i].start : off;
            uint64_t e = rs->r[i].end < end ? rs->r[i].end : end;
            if (e > s) dup += e - s;
        }
        res->dup_bytes = dup;
        res->new_bytes = len;
        emit(arg, off, p, len);
    } else {
        /* emit the holes of the range set inside [off, end) */
        uint64_t cur = off;
        for (uint32_t i = first_touching(rs, off); i < rs->nr && cur < end; i++) {
            const struct reasm_range *r = &rs->r[i];
            if (r->start >= end)
                break;
            if (r->start > cur) {
                emit(arg, cur, p + (cur - off), (size_t)(r->start - cur));
                res->new_bytes += r->start - cur;
            }
            if (r->end > cur) {
                uint64_t e = r->end < end ? r->end : end;
                res->dup_bytes += e - (r->start > cur ? r->start : cur);
                cur = e;
            }
        }
        if (cur < end) {
            emit(arg, cur, p + (cur - off), (size_t)(end - cur));
            res->new_bytes += end - cur;
        }
    }
    insert_range(rs, off, end);
    if (end > rs->hi)
        rs->hi = end;
}

bool reasm_covered(const struct reasm *rs, uint64_t upto)
{
    if (upto == 0)
        return true;
    return rs->nr > 0 && rs->r[0].start == 0 && rs->r[0].end >= upto;
}

uint64_t reasm_gap_bytes(const struct reasm *rs)
{
    uint64_t have = 0;
    for (uint32_t i = 0; i < rs->nr; i++)
        have += rs->r[i].end - rs->r[i].start;
    return rs->hi > have ? rs->hi - have : 0;
}
