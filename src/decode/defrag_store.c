/* defrag_store.c - the datagrams in progress: table, age list, pieces,
 * the overlap policy, the bytes held, the output.  See defrag_priv.h and
 * docs/internals/defrag.md.
 *
 * Each datagram in progress is a struct dg: found through a chained hash
 * table, linked into an age list (oldest first fragment first), holding a
 * sorted list of non-overlapping pieces of data.  A new fragment is first
 * surveyed (read only: duplicate? how many pieces does it touch?), room is
 * made under the caps, then the overlap policy carves the bytes the new
 * fragment wins out of the held pieces and the new bytes fill the gaps.
 */
#include "decode/defrag_priv.h"

#include <string.h>

#include "util/xalloc.h"

/* ---- table and age list ---- */

uint64_t dg_key_hash(const struct defrag *d, const struct dg_key *k)
{
    return hash_bytes(k, sizeof *k, d->seed);
}

struct dg *dg_lookup(const struct defrag *d, const struct dg_key *k, uint64_t h)
{
    for (struct hnode *n = htab_bucket(&d->dgs, h); n; n = n->next) {
        struct dg *g = container_of(n, struct dg, hn);
        if (n->hash == h && memcmp(&g->key, k, sizeof *k) == 0)
            return g;
    }
    return NULL;
}

struct dg *dg_create(struct defrag *d, const struct dg_key *k, uint64_t h)
{
    struct dg *g = xcalloc(1, sizeof *g);
    g->key = *k;
    g->first_ts = d->clock;
    g->cost = sizeof *g;
    d->held += g->cost;
    htab_insert(&d->dgs, &g->hn, h);
    dlist_append(&d->age, &g->age);
    return g;
}

void dg_drop(struct defrag *d, struct dg *g, defrag_frame_cb cb, void *arg)
{
    htab_remove(&d->dgs, &g->hn);
    dlist_unlink(&d->age, &g->age);
    d->held -= g->cost;

    for (struct dlnode *n = g->frames.head, *next; n; n = next) {
        next = n->next;
        struct kframe *f = container_of(n, struct kframe, node);
        if (cb)
            cb(arg, &f->f);
        free(f);
    }
    for (struct dlnode *n = g->pieces.head, *next; n; n = next) {
        next = n->next;
        free(container_of(n, struct piece, node));
    }
    free(g->rec);
    free(g->hdr);
    free(g);
}

/* ---- pieces ---- */

size_t piece_cost(uint32_t alloc) { return sizeof(struct piece) + alloc; }

static struct piece *piece_new(struct defrag *d, struct dg *g, uint32_t off,
                               const uint8_t *src, uint32_t len, uint32_t seq)
{
    struct piece *p = xmalloc(sizeof *p + len);
    p->node.prev = p->node.next = NULL;
    p->off = off;
    p->len = len;
    p->skip = 0;
    p->alloc = len;
    p->seq = seq;
    memcpy(p->data, src, len);
    g->cost += piece_cost(len);
    d->held += piece_cost(len);
    return p;
}

/* Link p after `after` (NULL: at the head). */
static void piece_link(struct dg *g, struct piece *after, struct piece *p)
{
    dlist_insert_after(&g->pieces, after ? &after->node : NULL, &p->node);
}

void piece_free(struct defrag *d, struct dg *g, struct piece *p)
{
    dlist_unlink(&g->pieces, &p->node);
    g->cost -= piece_cost(p->alloc);
    d->held -= piece_cost(p->alloc);
    free(p);
}

/* Walks from the nearer end, so in-order and reverse-order arrival cost O(1). */
struct piece *piece_before(const struct dg *g, uint32_t s)
{
    if (s < g->max_end / 2) {
        struct piece *q = NULL;
        for (struct piece *p = piece_first(g); p && pend(p) <= s; p = piece_next(p))
            q = p;
        return q;
    }
    struct piece *q = piece_last(g);
    while (q && pend(q) > s)
        q = piece_prev(q);
    return q;
}

/* Does the new fragment [s,e) win the bytes it shares with held piece p?
 * Decided on p's current extent (after earlier trimming), as the stacks do. */
static bool new_wins(enum defrag_policy pol, uint32_t s, uint32_t e, const struct piece *p)
{
    uint32_t po = p->off, pe = pend(p);
    switch (pol) {
    case DEFRAG_FIRST:   return false;
    case DEFRAG_LAST:    return true;
    case DEFRAG_BSD:     return s < po;
    case DEFRAG_LINUX:   return s <= po;
    case DEFRAG_WINDOWS: return s < po && e > pe;
    case DEFRAG_SOLARIS: return s < po && e >= pe;
    }
    return false;
}

void survey(const struct dg *g, enum defrag_policy pol, uint32_t s, uint32_t e,
            const uint8_t *src, struct survey *sv)
{
    memset(sv, 0, sizeof *sv);
    struct piece *q = piece_before(g, s);
    uint32_t cur = s;
    bool covered = true, equal = true;
    for (struct piece *p = q ? piece_next(q) : piece_first(g); p && p->off < e; p = piece_next(p)) {
        uint32_t a = p->off > s ? p->off : s;
        uint32_t b = pend(p) < e ? pend(p) : e;
        sv->noverlap++;
        if (p->off > cur)
            covered = false;
        if (equal && memcmp(pdata(p) + (a - p->off), src + (a - s), b - a) != 0)
            equal = false;
        cur = b;
        if (p->off < s && pend(p) > e && new_wins(pol, s, e, p))
            sv->split_tail = pend(p) - e;
    }
    sv->dup = sv->noverlap > 0 && covered && cur == e && equal;
}

/* Phase 1 of apply: carve what the new fragment [s,e) wins out of the held
 * pieces after q. */
static void carve(struct defrag *d, struct dg *g, struct piece *q, uint32_t s, uint32_t e)
{
    enum defrag_policy pol = d->cfg.policy;
    struct piece *p = q ? piece_next(q) : piece_first(g);
    while (p && p->off < e) {
        struct piece *next = piece_next(p);
        uint32_t po = p->off, pe = pend(p);
        if (new_wins(pol, s, e, p)) {
            if (s <= po && e >= pe) {
                g->held -= p->len;
                piece_free(d, g, p);
            } else if (s <= po) {              /* new covers p's front */
                uint32_t k = e - po;
                g->held -= k;
                p->off += k;
                p->skip += k;
                p->len -= k;
            } else if (e >= pe) {              /* new covers p's back */
                g->held -= pe - s;
                p->len = s - po;
            } else {                           /* new inside p: split */
                struct piece *t = piece_new(d, g, e, pdata(p) + (e - po), pe - e, p->seq);
                g->held -= e - s;
                p->len = s - po;
                piece_link(g, p, t);
                next = piece_next(t);
            }
        }
        p = next;
    }
}

bool apply(struct defrag *d, struct dg *g, uint32_t s, uint32_t e, const uint8_t *src,
           uint32_t seq)
{
    struct piece *q = piece_before(g, s);
    carve(d, g, q, s, e);

    /* Phase 2: the new bytes fill every gap left in [s,e). */
    bool byte0 = false;
    struct piece *after = q;                   /* untouched: ends at or before s */
    uint32_t cur = s;
    while (cur < e) {
        struct piece *nx = after ? piece_next(after) : piece_first(g);
        uint32_t gap_end = (nx && nx->off < e) ? nx->off : e;
        if (gap_end > cur) {
            struct piece *np = piece_new(d, g, cur, src + (cur - s), gap_end - cur, seq);
            piece_link(g, after, np);
            g->held += gap_end - cur;
            if (cur == 0)
                byte0 = true;
            after = np;
        }
        if (gap_end < e) {                     /* skip the held piece nx */
            after = nx;
            cur = pend(nx);
        } else {
            cur = e;
        }
    }
    if (e > g->max_end)
        g->max_end = e;
    return byte0;
}

/* ---- caps ---- */

uint64_t frame_cost(const struct defrag_frame *f)
{
    return sizeof(struct kframe) + (uint64_t)(f->data ? f->caplen : 0);
}

bool make_room(struct defrag *d, struct dg *keep, uint64_t need)
{
    while ((uint64_t)d->held + d->tbytes + need > (uint64_t)d->cfg.max_bytes) {
        if (d->tage.head) {                    /* tombstones go first */
            tomb_drop(d, tomb_oldest(d));
            continue;
        }
        struct dg *v = dg_oldest(d);
        if (v && v == keep)
            v = dlist_entry(v->age.next, struct dg, age);
        if (!v)
            return false;
        dfg_count(d, C_FRAG_MEMCAP, v->nfrags);
        dg_drop(d, v, d->drop_cb, d->drop_arg);
    }
    return true;
}

void keep_frame(struct defrag *d, struct dg *g, const struct defrag_frame *f, uint32_t seq)
{
    uint32_t n = f->data ? f->caplen : 0;
    struct kframe *k = xmalloc(sizeof *k + n);
    k->seq = seq;
    k->f = *f;
    k->f.caplen = n;
    if (n)
        memcpy(k->data, f->data, n);
    k->f.data = k->data;
    dlist_append(&g->frames, &k->node);
    g->cost += sizeof *k + n;
    d->held += sizeof *k + n;
}

/* ---- output ---- */

uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n)
        sum += (uint32_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return sum;
}

static uint16_t ipv4_cksum(const uint8_t *h, size_t n) { return (uint16_t)~sum16(h, n, 0); }

size_t hdr_extra(int family, size_t hdrlen)
{
    return family == 4 ? hdrlen : hdrlen - 40;
}

void build_output(struct defrag *d, const struct dg *g, size_t *outlen)
{
    size_t n = g->hdrlen + g->end;
    if (n > d->outcap) {
        d->out = xreallocarray(d->out, n, 1);
        d->outcap = n;
    }
    uint8_t *o = d->out;
    memcpy(o, g->hdr, g->hdrlen);
    for (const struct piece *p = piece_first(g); p; p = piece_next(p))
        memcpy(o + g->hdrlen + p->off, pdata(p), p->len);
    if (g->key.family == 4) {
        o[2] = (uint8_t)(n >> 8);
        o[3] = (uint8_t)n;
        o[6] &= 0xC0;                          /* keep RF and DF; clear MF, offset */
        o[7] = 0;
        o[10] = o[11] = 0;
        uint16_t ck = ipv4_cksum(o, g->hdrlen);
        o[10] = (uint8_t)(ck >> 8);
        o[11] = (uint8_t)ck;
    } else {
        size_t plen = n - 40;
        o[4] = (uint8_t)(plen >> 8);
        o[5] = (uint8_t)plen;
        o[g->nh_off] = g->frag_nh;
    }
    *outlen = n;
}
