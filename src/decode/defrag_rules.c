/* defrag_rules.c - what tells two uses of one fragment id apart: the
 * records of the fragments that made a datagram, the tombstones they leave
 * when it completes, and the generations inside a datagram after a late
 * join.  See defrag_priv.h and docs/internals/defrag.md ("Late duplicates",
 * "Stale datagrams").
 *
 * Each datagram records (offset, length|MF, hash) of the distinct fragments
 * that made it (at most TOMB_MAX_ENTRIES); when it completes they become the
 * key's tombstone (struct tomb: own hash table, own age list), which lets a
 * late duplicate of one of them be recognised and dropped.
 */
#include "decode/defrag_priv.h"

#include <string.h>

#include "util/xalloc.h"

/* ---- fragment records and tombstones ---- */

/* Hash of a fragment's data, its length and MF bit (seeded like the keys). */
uint64_t frag_hash(const struct defrag *d, const uint8_t *p, uint32_t n, bool more)
{
    const uint64_t K = 0x9E3779B97F4A7C15u;
    uint64_t h = (d->seed ^ 0x243F6A8885A308D3u) + ((uint64_t)n << 1 | more) * K;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

/* How long a tombstone entry lives; <= 0: tombstones are off. */
static int64_t tomb_life(const struct defrag *d)
{
    if (d->cfg.max_tombstones == 0 || d->cfg.tombstone_us <= 0)
        return 0;
    int64_t a = d->cfg.tombstone_us;
    if (d->cfg.timeout_us > 0 && d->cfg.timeout_us < a)
        a = d->cfg.timeout_us;
    return a;
}

static size_t tomb_cost(uint32_t n) { return sizeof(struct tomb) + (size_t)n * sizeof(struct tent); }

static struct tomb *tomb_lookup(const struct defrag *d, const struct dg_key *k, uint64_t h)
{
    for (struct hnode *n = htab_bucket(&d->tombs, h); n; n = n->next) {
        struct tomb *t = container_of(n, struct tomb, hn);
        if (n->hash == h && memcmp(&t->key, k, sizeof *k) == 0)
            return t;
    }
    return NULL;
}

void tomb_drop(struct defrag *d, struct tomb *t)
{
    htab_remove(&d->tombs, &t->hn);
    dlist_unlink(&d->tage, &t->age);
    d->tbytes -= tomb_cost(t->n);
    free(t->e);
    free(t);
}

void tomb_expire(struct defrag *d)
{
    int64_t life = tomb_life(d);
    while (d->tage.head && (life <= 0 || d->clock - tomb_oldest(d)->ts > life))
        tomb_drop(d, tomb_oldest(d));
}

static bool frec_eq(const struct frec *a, const struct frec *b)
{
    return a->off == b->off && a->lm == b->lm && a->hash == b->hash;
}

/* Is r one of the fragments of a datagram completed under key lately? */
bool tomb_match(const struct defrag *d, const struct dg_key *k, uint64_t h,
                       const struct frec *r)
{
    if (!d->tombs.n)
        return false;
    const struct tomb *t = tomb_lookup(d, k, h);
    if (!t)
        return false;
    int64_t life = tomb_life(d);
    for (uint32_t i = 0; i < t->n; i++)
        if (frec_eq(&t->e[i].r, r) && d->clock - t->e[i].ts <= life)
            return true;
    return false;
}

/* The datagram under key completed with the n distinct fragments r: add
 * them to the key's tombstone (creating it), newest last, keeping the newest
 * TOMB_MAX_ENTRIES.  Other tombstones are evicted, oldest first, for the
 * count cap and for max_bytes (counting the datagrams in progress); when it
 * still does not fit, the key keeps no tombstone. */
void tomb_add(struct defrag *d, const struct dg_key *k, uint64_t h,
                     const struct frec *r, uint32_t n)
{
    int64_t life = tomb_life(d);
    if (life <= 0 || n == 0 || n > TOMB_MAX_ENTRIES)
        return;
    struct tomb *t = tomb_lookup(d, k, h);
    struct tent tmp[2 * TOMB_MAX_ENTRIES];
    uint32_t m = 0;
    if (t)
        for (uint32_t i = 0; i < t->n; i++) {
            if (d->clock - t->e[i].ts > life)
                continue;
            bool again = false;
            for (uint32_t j = 0; j < n && !again; j++)
                again = frec_eq(&t->e[i].r, &r[j]);
            if (!again)
                tmp[m++] = t->e[i];
        }
    for (uint32_t j = 0; j < n; j++) {
        tmp[m].r = r[j];
        tmp[m].ts = d->clock;
        m++;
    }
    uint32_t first = m > TOMB_MAX_ENTRIES ? m - TOMB_MAX_ENTRIES : 0;
    uint32_t nn = m - first;
    size_t oldcost = t ? tomb_cost(t->n) : 0, newcost = tomb_cost(nn);

    if (!t)
        while (d->tombs.n >= d->cfg.max_tombstones)
            tomb_drop(d, tomb_oldest(d));
    while ((uint64_t)d->held + d->tbytes - oldcost + newcost > (uint64_t)d->cfg.max_bytes) {
        struct tomb *v = tomb_oldest(d);
        if (v && v == t)
            v = dlist_entry(v->age.next, struct tomb, age);
        if (!v) {
            if (t)
                tomb_drop(d, t);
            return;
        }
        tomb_drop(d, v);
    }
    if (!t) {
        t = xcalloc(1, sizeof *t);
        t->key = *k;
        htab_insert(&d->tombs, &t->hn, h);
        dlist_append(&d->tage, &t->age);
    } else {
        dlist_move_tail(&d->tage, &t->age);
    }
    t->ts = d->clock;
    t->e = xreallocarray(t->e, nn, sizeof *t->e);
    memcpy(t->e, tmp + first, nn * sizeof *t->e);
    t->n = nn;
    d->tbytes += newcost - oldcost;
}

/* Bytes that recording one more fragment in g can add (upper bound). */
static uint32_t rec_grow(uint32_t alloc)
{
    uint32_t n = alloc ? alloc * 2 : 4;
    return n < TOMB_MAX_ENTRIES ? n : TOMB_MAX_ENTRIES;
}

size_t rec_need(const struct dg *g)
{
    if (!g)
        return rec_grow(0) * sizeof(struct frec);
    if (g->rec_over || g->nrec < g->recalloc || g->recalloc >= TOMB_MAX_ENTRIES)
        return 0;
    return (rec_grow(g->recalloc) - g->recalloc) * sizeof(struct frec);
}

static void rec_release(struct defrag *d, struct dg *g)
{
    g->cost -= g->recalloc * sizeof(struct frec);
    d->held -= g->recalloc * sizeof(struct frec);
    free(g->rec);
    g->rec = NULL;
    g->nrec = g->recalloc = 0;
}

/* Remember that fragment r went into g (once per distinct fragment). */
void rec_add(struct defrag *d, struct dg *g, const struct frec *r)
{
    if (g->rec_over)
        return;
    for (uint32_t i = 0; i < g->nrec; i++)
        if (frec_eq(&g->rec[i], r))
            return;
    if (g->nrec == TOMB_MAX_ENTRIES) {
        g->rec_over = true;
        rec_release(d, g);
        return;
    }
    if (g->nrec == g->recalloc) {
        uint32_t n = rec_grow(g->recalloc);
        g->rec = xreallocarray(g->rec, n, sizeof *g->rec);
        g->cost += (n - g->recalloc) * sizeof(struct frec);
        d->held += (n - g->recalloc) * sizeof(struct frec);
        g->recalloc = n;
    }
    g->rec[g->nrec++] = *r;
}

/* ---- generations ---- */

/* The TCP checksum of a whole datagram o[0..n) built from g: 1 right, 0
 * wrong, -1 cannot tell (not TCP, no whole TCP header, or IPv6 with
 * extension headers, where a routing header would change the pseudo-header). */
int tcp_checksum_ok(const struct dg *g, const uint8_t *o, size_t n)
{
    size_t hl = g->hdrlen;
    uint32_t sum;                      /* the pseudo-header's addresses */
    if (g->key.family == 4) {
        if (g->key.proto != 6 || hl < 20)
            return -1;
        sum = sum16(o + 12, 8, 0);
    } else {
        if (g->frag_nh != 6 || hl != 40)
            return -1;
        sum = sum16(o + 8, 32, 0);
    }
    if (n < hl + 20)
        return -1;
    size_t tl = n - hl;
    return sum16(o + hl, tl, sum + 6 + (uint32_t)tl) == 0xFFFF;
}

static bool seq_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

/* g completed with a wrong TCP checksum after a late join: drop what came
 * before the late join (an older datagram that used the same id), keep the
 * newer generation waiting for the rest.  Returns false (and changes
 * nothing) when there is nothing older to drop. */
bool split_generation(struct defrag *d, struct dg *g)
{
    bool any = false;
    for (struct piece *p = piece_first(g); p && !any; p = piece_next(p))
        any = seq_before(p->seq, g->gen_seq);
    if (!any)
        return false;
    for (struct piece *p = piece_first(g), *next; p; p = next) {
        next = piece_next(p);
        if (seq_before(p->seq, g->gen_seq)) {
            g->held -= p->len;
            piece_free(d, g, p);
        }
    }
    for (struct dlnode *n = g->frames.head, *next; n; n = next) {
        next = n->next;
        struct kframe *k = container_of(n, struct kframe, node);
        if (seq_before(k->seq, g->gen_seq)) {
            dlist_unlink(&g->frames, n);
            if (d->drop_cb)
                d->drop_cb(d->drop_arg, &k->f);
            g->cost -= sizeof *k + k->f.caplen;
            d->held -= sizeof *k + k->f.caplen;
            free(k);
        }
    }
    g->nfrags -= g->gen_nfrags;
    g->gen_nfrags = 0;
    g->max_end = g->pieces.tail ? pend(piece_last(g)) : 0;
    if (g->end_known && seq_before(g->end_seq, g->gen_seq))
        g->end_known = false;
    if (!g->pieces.head || piece_first(g)->off != 0) {
        if (g->hdr) {
            g->cost -= g->hdrlen;
            d->held -= g->hdrlen;
            free(g->hdr);
        }
        g->hdr = NULL;
        g->hdrlen = 0;
    }
    return true;
}

/* Does [s,e) share bytes with a piece from before g's late join? */
bool overlaps_older(const struct dg *g, uint32_t s, uint32_t e)
{
    struct piece *q = piece_before(g, s);
    for (struct piece *p = q ? piece_next(q) : piece_first(g); p && p->off < e; p = piece_next(p))
        if (seq_before(p->seq, g->gen_seq))
            return true;
    return false;
}

