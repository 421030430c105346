/* defrag.c - IPv4 and IPv6 fragment reassembly.  See defrag.h and
 * docs/internals/defrag.md.
 *
 * Each datagram in progress is a struct dg: found through a chained hash
 * table, linked into an age list (oldest first fragment first), holding a
 * sorted list of non-overlapping pieces of data.  A new fragment is first
 * surveyed (read only: duplicate? how many pieces does it touch?), room is
 * made under the caps, then the overlap policy carves the bytes the new
 * fragment wins out of the held pieces and the new bytes fill the gaps.
 *
 * Each datagram also records (offset, length|MF, hash) of the distinct
 * fragments that made it (at most TOMB_MAX_ENTRIES); when it completes they
 * become the key's tombstone (struct tomb: own hash table, own age list),
 * which lets a late duplicate of one of them be recognised and dropped.
 */
#include "decode/defrag.h"

#include <string.h>
#include <time.h>

#include "util/xalloc.h"

#define IP_MAXPACKET 65535u
#define FRAG_MAXOFF  65528u            /* 13-bit offset field * 8 */
#define TOMB_MAX_ENTRIES 64u           /* fragments remembered per key */
#define LM_MORE 0x80000000u            /* MF bit in frec.lm */

struct dg_key {
    uint8_t family, proto;
    uint16_t vlan;
    uint32_t id;
    uint8_t src[16], dst[16];
};

/* Bytes [off, off+len) of the datagram; they live at data[skip..]. */
struct piece {
    struct piece *prev, *next;
    uint32_t off, len;
    uint32_t skip;                     /* bytes trimmed from the front */
    uint32_t alloc;                    /* bytes allocated in data[] */
    uint32_t seq;                      /* source's fragment count when its bytes came */
    uint8_t data[];
};

/* One fragment that went into a datagram: what a late duplicate of it
 * would look like. */
struct frec {
    uint32_t off;
    uint32_t lm;                       /* length | LM_MORE */
    uint64_t hash;                     /* of the fragment's data bytes */
};

/* A tombstone: the fragments of the datagrams completed lately under key,
 * oldest first, each with the time its datagram completed. */
struct tent {
    struct frec r;
    int64_t ts;
};

struct tomb {
    struct tomb *hnext, **hpprev;      /* hash chain */
    struct tomb *older, *newer;        /* age list (last update) */
    uint64_t hash;
    struct dg_key key;
    int64_t ts;                        /* last update */
    uint32_t n;
    struct tent *e;                    /* n entries, exactly allocated */
};

struct kframe {
    struct kframe *next;
    uint32_t seq;                      /* source's fragment count when it came */
    struct defrag_frame f;
    uint8_t data[];
};

/* Like Linux's ipfrag_max_dist: a datagram in progress that has not seen a
 * fragment while MAX_DIST other fragments came from its source, and now gets
 * one that contradicts what it holds, is a stale datagram whose id is being
 * reused: it is dropped and the new fragment starts afresh. */
#define SRC_SLOTS 4096
#define MAX_DIST 64

struct dg {
    struct dg *hnext, **hpprev;        /* hash chain */
    struct dg *older, *newer;          /* age list */
    uint64_t hash;
    struct dg_key key;
    int64_t first_ts;
    struct piece *head, *tail;
    uint32_t held;                     /* data bytes held (sum of piece lengths) */
    uint32_t max_end;                  /* highest byte end held */
    uint32_t end;                      /* data length, once end_known */
    bool end_known;
    uint8_t *hdr;                      /* header of the fragment holding byte 0 */
    size_t hdrlen;
    size_t nh_off;                     /* IPv6: see struct ip_pkt */
    uint8_t frag_nh;
    uint32_t nfrags;                   /* fragments accepted (duplicates too) */
    struct frec *rec;                  /* distinct fragments accepted */
    uint32_t nrec, recalloc;
    bool rec_over;                     /* more than TOMB_MAX_ENTRIES: no tombstone */
    uint32_t src_seq;                  /* the source's fragment count at our last fragment */
    /* Late join (see "Stale datagrams" in docs/internals/defrag.md): a fragment
     * that filled a gap more than MAX_DIST fragments of the source after the
     * datagram's previous one.  What came before it is an older generation. */
    bool late;
    uint32_t gen_seq;                  /* src count of the latest late join */
    uint32_t gen_nfrags;               /* nfrags before it */
    uint32_t end_seq;                  /* src count of the fragment that fixed the end */
    size_t cost;                       /* bytes charged to defrag_held_bytes */
    struct kframe *frames, **frames_tail;
};

struct defrag {
    struct defrag_config cfg;
    struct counters *c;
    struct dg **buckets;
    size_t nbuckets;                   /* power of two */
    size_t count;
    struct dg *oldest, *newest;
    size_t held;
    uint32_t src_ctr[SRC_SLOTS];       /* fragments seen per source (hashed) */
    int64_t clock;                     /* capture time, never going back */
    bool clock_set;
    uint64_t seed;
    defrag_frame_cb drop_cb;
    void *drop_arg;
    uint8_t *out;
    size_t outcap;
    struct tomb **tbuckets;
    size_t ntbuckets;                  /* power of two */
    size_t ntomb;
    struct tomb *toldest, *tnewest;
    size_t tbytes;                     /* bytes charged for tombstones */
};

#define MIN_BUCKETS 64u
#define MAX_BUCKETS ((size_t)1 << 22)

void defrag_config_default(struct defrag_config *cfg)
{
    cfg->timeout_us = 60 * (int64_t)1000000;
    cfg->max_bytes = (size_t)64 << 20;
    cfg->max_datagrams = 65536;
    cfg->policy = DEFRAG_FIRST;
    cfg->keep_frames = false;
    cfg->max_tombstones = 8192;
    cfg->tombstone_us = 10 * (int64_t)1000000;
}

bool defrag_policy_parse(const char *name, enum defrag_policy *out)
{
    static const struct { const char *name; enum defrag_policy p; } tab[] = {
        { "first", DEFRAG_FIRST }, { "last", DEFRAG_LAST }, { "bsd", DEFRAG_BSD },
        { "linux", DEFRAG_LINUX }, { "windows", DEFRAG_WINDOWS },
        { "solaris", DEFRAG_SOLARIS },
    };
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(name, tab[i].name) == 0) {
            *out = tab[i].p;
            return true;
        }
    return false;
}

struct defrag *defrag_new(const struct defrag_config *cfg, struct counters *counters)
{
    struct defrag *d = xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    d->c = counters;
    d->nbuckets = MIN_BUCKETS;
    d->buckets = xcalloc(d->nbuckets, sizeof *d->buckets);
    d->ntbuckets = MIN_BUCKETS;
    d->tbuckets = xcalloc(d->ntbuckets, sizeof *d->tbuckets);
    /* Seed the hash so that fragment ids chosen by a sender cannot pile up
     * in one chain; results never depend on it. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    d->seed = (uint64_t)(uintptr_t)d * 0x9E3779B97F4A7C15u ^ (uint64_t)ts.tv_nsec << 20 ^
              (uint64_t)ts.tv_sec;
    return d;
}

void defrag_set_drop_cb(struct defrag *d, defrag_frame_cb cb, void *arg)
{
    d->drop_cb = cb;
    d->drop_arg = arg;
}

size_t defrag_held_bytes(const struct defrag *d) { return d->held; }
size_t defrag_datagrams(const struct defrag *d) { return d->count; }
size_t defrag_tombstone_bytes(const struct defrag *d) { return d->tbytes; }
size_t defrag_tombstones(const struct defrag *d) { return d->ntomb; }

static void count(struct defrag *d, enum counter_id id, uint64_t n)
{
    if (d->c)
        d->c->n[id] += n;
}

/* ---- hash table and age list ---- */

static uint64_t key_hash(const struct defrag *d, const struct dg_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 0xcbf29ce484222325u ^ d->seed;
    for (size_t i = 0; i < sizeof *k; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

static void bucket_insert(struct dg **buckets, size_t nbuckets, struct dg *g)
{
    struct dg **b = &buckets[g->hash & (nbuckets - 1)];
    g->hnext = *b;
    if (*b)
        (*b)->hpprev = &g->hnext;
    g->hpprev = b;
    *b = g;
}

static void table_grow(struct defrag *d)
{
    size_t n = d->nbuckets * 2;
    struct dg **nb = xcalloc(n, sizeof *nb);
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct dg *g = d->buckets[i];
        while (g) {
            struct dg *next = g->hnext;
            bucket_insert(nb, n, g);
            g = next;
        }
    }
    free(d->buckets);
    d->buckets = nb;
    d->nbuckets = n;
}

static struct dg *lookup(struct defrag *d, const struct dg_key *k, uint64_t h)
{
    for (struct dg *g = d->buckets[h & (d->nbuckets - 1)]; g; g = g->hnext)
        if (g->hash == h && memcmp(&g->key, k, sizeof *k) == 0)
            return g;
    return NULL;
}

static struct dg *dg_create(struct defrag *d, const struct dg_key *k, uint64_t h)
{
    if (d->count >= d->nbuckets && d->nbuckets < MAX_BUCKETS)
        table_grow(d);
    struct dg *g = xcalloc(1, sizeof *g);
    g->key = *k;
    g->hash = h;
    g->first_ts = d->clock;
    g->frames_tail = &g->frames;
    g->cost = sizeof *g;
    d->held += g->cost;
    bucket_insert(d->buckets, d->nbuckets, g);
    g->older = d->newest;
    if (d->newest)
        d->newest->newer = g;
    else
        d->oldest = g;
    d->newest = g;
    d->count++;
    return g;
}

/* Unlink g, hand its kept frames to cb (if any), free it. */
static void dg_drop(struct defrag *d, struct dg *g, defrag_frame_cb cb, void *arg)
{
    *g->hpprev = g->hnext;
    if (g->hnext)
        g->hnext->hpprev = g->hpprev;
    if (g->older)
        g->older->newer = g->newer;
    else
        d->oldest = g->newer;
    if (g->newer)
        g->newer->older = g->older;
    else
        d->newest = g->older;
    d->count--;
    d->held -= g->cost;

    for (struct kframe *f = g->frames, *next; f; f = next) {
        next = f->next;
        if (cb)
            cb(arg, &f->f);
        free(f);
    }
    for (struct piece *p = g->head, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    free(g->rec);
    free(g->hdr);
    free(g);
}

/* ---- tombstones ---- */

/* Hash of a fragment's data, its length and MF bit (seeded like the keys). */
static uint64_t frag_hash(const struct defrag *d, const uint8_t *p, uint32_t n, bool more)
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
    for (struct tomb *t = d->tbuckets[h & (d->ntbuckets - 1)]; t; t = t->hnext)
        if (t->hash == h && memcmp(&t->key, k, sizeof *k) == 0)
            return t;
    return NULL;
}

static void tbucket_insert(struct tomb **buckets, size_t nbuckets, struct tomb *t)
{
    struct tomb **b = &buckets[t->hash & (nbuckets - 1)];
    t->hnext = *b;
    if (*b)
        (*b)->hpprev = &t->hnext;
    t->hpprev = b;
    *b = t;
}

static void ttable_grow(struct defrag *d)
{
    size_t n = d->ntbuckets * 2;
    struct tomb **nb = xcalloc(n, sizeof *nb);
    for (size_t i = 0; i < d->ntbuckets; i++) {
        struct tomb *t = d->tbuckets[i];
        while (t) {
            struct tomb *next = t->hnext;
            tbucket_insert(nb, n, t);
            t = next;
        }
    }
    free(d->tbuckets);
    d->tbuckets = nb;
    d->ntbuckets = n;
}

static void tomb_unlink_age(struct defrag *d, struct tomb *t)
{
    if (t->older)
        t->older->newer = t->newer;
    else
        d->toldest = t->newer;
    if (t->newer)
        t->newer->older = t->older;
    else
        d->tnewest = t->older;
    t->older = t->newer = NULL;
}

static void tomb_link_newest(struct defrag *d, struct tomb *t)
{
    t->older = d->tnewest;
    t->newer = NULL;
    if (d->tnewest)
        d->tnewest->newer = t;
    else
        d->toldest = t;
    d->tnewest = t;
}

static void tomb_drop(struct defrag *d, struct tomb *t)
{
    *t->hpprev = t->hnext;
    if (t->hnext)
        t->hnext->hpprev = t->hpprev;
    tomb_unlink_age(d, t);
    d->ntomb--;
    d->tbytes -= tomb_cost(t->n);
    free(t->e);
    free(t);
}

static void tomb_expire(struct defrag *d)
{
    int64_t life = tomb_life(d);
    while (d->toldest && (life <= 0 || d->clock - d->toldest->ts > life))
        tomb_drop(d, d->toldest);
}

static bool frec_eq(const struct frec *a, const struct frec *b)
{
    return a->off == b->off && a->lm == b->lm && a->hash == b->hash;
}

/* Is r one of the fragments of a datagram completed under key lately? */
static bool tomb_match(const struct defrag *d, const struct dg_key *k, uint64_t h,
                       const struct frec *r)
{
    if (!d->ntomb)
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
static void tomb_add(struct defrag *d, const struct dg_key *k, uint64_t h,
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
        while (d->ntomb >= d->cfg.max_tombstones)
            tomb_drop(d, d->toldest);
    while ((uint64_t)d->held + d->tbytes - oldcost + newcost > (uint64_t)d->cfg.max_bytes) {
        struct tomb *v = d->toldest;
        if (v && v == t)
            v = v->newer;
        if (!v) {
            if (t)
                tomb_drop(d, t);
            return;
        }
        tomb_drop(d, v);
    }
    if (!t) {
        if (d->ntomb >= d->ntbuckets && d->ntbuckets < MAX_BUCKETS)
            ttable_grow(d);
        t = xcalloc(1, sizeof *t);
        t->key = *k;
        t->hash = h;
        tbucket_insert(d->tbuckets, d->ntbuckets, t);
        d->ntomb++;
    } else {
        tomb_unlink_age(d, t);
    }
    tomb_link_newest(d, t);
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

static size_t rec_need(const struct dg *g)
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
static void rec_add(struct defrag *d, struct dg *g, const struct frec *r)
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

/* ---- pieces ---- */

static size_t piece_cost(uint32_t alloc) { return sizeof(struct piece) + alloc; }

static struct piece *piece_new(struct defrag *d, struct dg *g, uint32_t off,
                               const uint8_t *src, uint32_t len, uint32_t seq)
{
    struct piece *p = xmalloc(sizeof *p + len);
    p->prev = p->next = NULL;
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
    p->prev = after;
    p->next = after ? after->next : g->head;
    if (p->next)
        p->next->prev = p;
    else
        g->tail = p;
    if (after)
        after->next = p;
    else
        g->head = p;
}

static void piece_free(struct defrag *d, struct dg *g, struct piece *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        g->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        g->tail = p->prev;
    g->cost -= piece_cost(p->alloc);
    d->held -= piece_cost(p->alloc);
    free(p);
}

static uint32_t pend(const struct piece *p) { return p->off + p->len; }
static const uint8_t *pdata(const struct piece *p) { return p->data + p->skip; }

/* The last piece that ends at or before s (NULL: none).  Walks from the
 * nearer end, so in-order and reverse-order arrival cost O(1). */
static struct piece *piece_before(const struct dg *g, uint32_t s)
{
    if (s < g->max_end / 2) {
        struct piece *q = NULL;
        for (struct piece *p = g->head; p && pend(p) <= s; p = p->next)
            q = p;
        return q;
    }
    struct piece *q = g->tail;
    while (q && pend(q) > s)
        q = q->prev;
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

struct survey {
    uint32_t noverlap;                 /* held pieces sharing bytes with [s,e) */
    bool dup;                          /* every byte of [s,e) held, all equal */
    uint32_t split_tail;               /* LAST: bytes copied when splitting a piece */
};

static void survey(const struct dg *g, enum defrag_policy pol, uint32_t s, uint32_t e,
                   const uint8_t *src, struct survey *sv)
{
    memset(sv, 0, sizeof *sv);
    struct piece *q = piece_before(g, s);
    uint32_t cur = s;
    bool covered = true, equal = true;
    for (struct piece *p = q ? q->next : g->head; p && p->off < e; p = p->next) {
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

/* Place the new fragment [s,e) (bytes src) into g under the policy.
 * Returns true when it supplied byte 0. */
static bool apply(struct defrag *d, struct dg *g, uint32_t s, uint32_t e, const uint8_t *src,
                  uint32_t seq)
{
    enum defrag_policy pol = d->cfg.policy;
    struct piece *q = piece_before(g, s);

    /* Phase 1: carve what the new fragment wins out of the held pieces. */
    struct piece *p = q ? q->next : g->head;
    while (p && p->off < e) {
        struct piece *next = p->next;
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
                next = t->next;
            }
        }
        p = next;
    }

    /* Phase 2: the new bytes fill every gap left in [s,e). */
    bool byte0 = false;
    struct piece *after = q;                   /* untouched: ends at or before s */
    uint32_t cur = s;
    while (cur < e) {
        struct piece *nx = after ? after->next : g->head;
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

static uint64_t frame_cost(const struct defrag_frame *f)
{
    return sizeof(struct kframe) + (uint64_t)(f->data ? f->caplen : 0);
}

/* Evict all tombstones, then the oldest datagrams other than keep, until
 * `need` more bytes fit.
 * Returns false when they cannot fit even with only keep left. */
static bool make_room(struct defrag *d, struct dg *keep, uint64_t need)
{
    while ((uint64_t)d->held + d->tbytes + need > (uint64_t)d->cfg.max_bytes) {
        if (d->toldest) {                      /* tombstones go first */
            tomb_drop(d, d->toldest);
            continue;
        }
        struct dg *v = d->oldest;
        if (v && v == keep)
            v = v->newer;
        if (!v)
            return false;
        count(d, C_FRAG_MEMCAP, v->nfrags);
        dg_drop(d, v, d->drop_cb, d->drop_arg);
    }
    return true;
}

static void keep_frame(struct defrag *d, struct dg *g, const struct defrag_frame *f,
                       uint32_t seq)
{
    uint32_t n = f->data ? f->caplen : 0;
    struct kframe *k = xmalloc(sizeof *k + n);
    k->next = NULL;
    k->seq = seq;
    k->f = *f;
    k->f.caplen = n;
    if (n)
        memcpy(k->data, f->data, n);
    k->f.data = k->data;
    *g->frames_tail = k;
    g->frames_tail = &k->next;
    g->cost += sizeof *k + n;
    d->held += sizeof *k + n;
}

/* ---- output ---- */

/* sum plus the 16-bit one's-complement sum of p[0..n) (an odd last byte
 * padded with zero), folded to 16 bits. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
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

/* Bytes of header that count toward the 65,535 limit. */
static size_t hdr_extra(int family, size_t hdrlen)
{
    return family == 4 ? hdrlen : hdrlen - 40;
}

static void build_output(struct defrag *d, const struct dg *g, size_t *outlen)
{
    size_t n = g->hdrlen + g->end;
    if (n > d->outcap) {
        d->out = xreallocarray(d->out, n, 1);
        d->outcap = n;
    }
    uint8_t *o = d->out;
    memcpy(o, g->hdr, g->hdrlen);
    for (const struct piece *p = g->head; p; p = p->next)
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

/* The TCP checksum of a whole datagram o[0..n) built from g: 1 right, 0
 * wrong, -1 cannot tell (not TCP, no whole TCP header, or IPv6 with
 * extension headers, where a routing header would change the pseudo-header). */
static int tcp_checksum_ok(const struct dg *g, const uint8_t *o, size_t n)
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
static bool split_generation(struct defrag *d, struct dg *g)
{
    bool any = false;
    for (struct piece *p = g->head; p && !any; p = p->next)
        any = seq_before(p->seq, g->gen_seq);
    if (!any)
        return false;
    for (struct piece *p = g->head, *next; p; p = next) {
        next = p->next;
        if (seq_before(p->seq, g->gen_seq)) {
            g->held -= p->len;
            piece_free(d, g, p);
        }
    }
    for (struct kframe **pp = &g->frames, *k; (k = *pp) != NULL;) {
        if (seq_before(k->seq, g->gen_seq)) {
            *pp = k->next;
            if (d->drop_cb)
                d->drop_cb(d->drop_arg, &k->f);
            g->cost -= sizeof *k + k->f.caplen;
            d->held -= sizeof *k + k->f.caplen;
            free(k);
        } else {
            pp = &k->next;
        }
    }
    g->frames_tail = &g->frames;
    while (*g->frames_tail)
        g->frames_tail = &(*g->frames_tail)->next;
    g->nfrags -= g->gen_nfrags;
    g->gen_nfrags = 0;
    g->max_end = g->tail ? pend(g->tail) : 0;
    if (g->end_known && seq_before(g->end_seq, g->gen_seq))
        g->end_known = false;
    if (!g->head || g->head->off != 0) {
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
static bool overlaps_older(const struct dg *g, uint32_t s, uint32_t e)
{
    struct piece *q = piece_before(g, s);
    for (struct piece *p = q ? q->next : g->head; p && p->off < e; p = p->next)
        if (seq_before(p->seq, g->gen_seq))
            return true;
    return false;
}

/* ---- entry points ---- */

/* Refuse a fragment that is not held: count it, hand its frame on. */
static bool refuse(struct defrag *d, enum counter_id why, const struct defrag_frame *frame)
{
    count(d, why, 1);
    if (d->cfg.keep_frames && frame && d->drop_cb)
        d->drop_cb(d->drop_arg, frame);
    return false;
}

static void advance_clock(struct defrag *d, int64_t now_us)
{
    if (!d->clock_set || now_us > d->clock) {
        d->clock = now_us;
        d->clock_set = true;
    }
}

static void expire(struct defrag *d, defrag_frame_cb cb, void *arg)
{
    tomb_expire(d);
    if (d->cfg.timeout_us <= 0)
        return;
    while (d->oldest && d->clock - d->oldest->first_ts > d->cfg.timeout_us) {
        count(d, C_FRAG_TIMEOUT, 1);
        dg_drop(d, d->oldest, cb, arg);
    }
}

/* Is the decoded fragment self-consistent enough to hold? */
static bool frag_valid(const struct ip_pkt *ip)
{
    if (ip->clipped || (ip->l4len && !ip->l4) || !ip->hdr)
        return false;
    if (ip->family == 4)
        return ip->hdrlen >= 20 && ip->hdrlen <= 60;
    if (ip->family == 6)
        return ip->hdrlen >= 40 && ip->v6_nh_off < ip->hdrlen &&
               ip->hdrlen - 40 <= IP_MAXPACKET;
    return false;
}

/* Room under the caps for `need` more bytes for datagram g (NULL: a new
 * one), evicting the oldest datagrams.  On failure the fragment is refused
 * (and g, which can never fit, dropped). */
static bool reserve(struct defrag *d, struct dg *g, uint64_t need,
                    const struct defrag_frame *frame)
{
    if (!g) {
        if (d->cfg.max_datagrams == 0)
            return refuse(d, C_FRAG_TOO_MANY, frame);
        while (d->count >= d->cfg.max_datagrams) {
            count(d, C_FRAG_TOO_MANY, d->oldest->nfrags);
            dg_drop(d, d->oldest, d->drop_cb, d->drop_arg);
        }
    }
    if (make_room(d, g, need))
        return true;
    if (g) {
        count(d, C_FRAG_MEMCAP, g->nfrags);
        dg_drop(d, g, d->drop_cb, d->drop_arg);
    }
    return refuse(d, C_FRAG_MEMCAP, frame);
}

/* The fragment that supplied byte 0 gives the datagram its header. */
static void set_header(struct defrag *d, struct dg *g, const struct ip_pkt *ip)
{
    uint8_t *nh = xmalloc(ip->hdrlen);
    memcpy(nh, ip->hdr, ip->hdrlen);
    if (g->hdr) {
        g->cost -= g->hdrlen;
        d->held -= g->hdrlen;
        free(g->hdr);
    }
    g->hdr = nh;
    g->hdrlen = ip->hdrlen;
    g->nh_off = ip->v6_nh_off;
    g->frag_nh = ip->v6_frag_nh;
    g->cost += g->hdrlen;
    d->held += g->hdrlen;
}

/* Does a fragment [s,e) contradict the end of g, once known? */
static bool end_conflict(const struct dg *g, uint32_t e, bool last)
{
    if (last)
        return g->end_known ? e != g->end : g->max_end > e;
    return g->end_known && e > g->end;
}

static void make_key(struct dg_key *k, const struct ip_pkt *ip, uint16_t vlan)
{
    memset(k, 0, sizeof *k);
    k->family = (uint8_t)ip->family;
    k->proto = ip->proto;
    k->vlan = vlan;
    k->id = ip->frag_id;
    memcpy(k->src, ip->src, 16);
    memcpy(k->dst, ip->dst, 16);
}

bool defrag_add(struct defrag *d, const struct ip_pkt *ip, uint16_t vlan,
                int64_t now_us, const struct defrag_frame *frame,
                const uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    advance_clock(d, now_us);
    expire(d, d->drop_cb, d->drop_arg);

    /* Lengths: a fragment carries data; all but the last a multiple of 8. */
    if (!frag_valid(ip) || ip->l4len == 0 || (ip->frag_more && ip->l4len % 8 != 0) ||
        ip->frag_off % 8 != 0)
        return refuse(d, C_FRAG_BAD_LENGTH, frame);

    struct dg_key k;
    make_key(&k, ip, vlan);
    uint64_t h = key_hash(d, &k);
    struct dg *g = lookup(d, &k, h);
    uint32_t slot = 2166136261u;
    for (int i = 0; i < 16; i++)
        slot = (slot ^ ip->src[i]) * 16777619u;
    uint32_t src_now = ++d->src_ctr[slot % SRC_SLOTS];

    /* Past 65,535 bytes no stack accepts the datagram. */
    if (ip->frag_off > FRAG_MAXOFF || ip->l4len > IP_MAXPACKET ||
        hdr_extra(ip->family, ip->hdrlen) + ip->frag_off + ip->l4len > IP_MAXPACKET) {
        if (g)
            dg_drop(d, g, d->drop_cb, d->drop_arg);
        return refuse(d, C_FRAG_OVERSIZE, frame);
    }
    uint32_t s = ip->frag_off, len = (uint32_t)ip->l4len, e = s + len;
    bool last = !ip->frag_more;
    struct frec r = { s, len | (last ? 0 : LM_MORE), frag_hash(d, ip->l4, len, !last) };
    struct survey sv = { 0, false, 0 };
    if (g)
        survey(g, d->cfg.policy, s, e, ip->l4, &sv);
    if (g && sv.noverlap && !sv.dup && src_now - g->src_seq > MAX_DIST &&
        !tomb_match(d, &k, h, &r)) {
        count(d, C_FRAG_STALE, 1);
        dg_drop(d, g, d->drop_cb, d->drop_arg);
        g = NULL;
        memset(&sv, 0, sizeof sv);
    }
    /* After a late join, a fragment that contradicts what came before it (other
     * bytes, another end) shows that the older fragments belong to a datagram
     * that used the id before: they are set aside (see split_generation). */
    if (g && g->late && ((sv.noverlap && !sv.dup && overlaps_older(g, s, e)) ||
                         end_conflict(g, e, last)) && !tomb_match(d, &k, h, &r)) {
        uint32_t before = g->nfrags;
        if (split_generation(d, g)) {
            count(d, C_FRAG_STALE_SPLIT, before - g->nfrags);
            if (!g->head) {
                dg_drop(d, g, d->drop_cb, d->drop_arg);
                g = NULL;
            }
            memset(&sv, 0, sizeof sv);
            if (g)
                survey(g, d->cfg.policy, s, e, ip->l4, &sv);
        }
    }
    bool conflict = g && end_conflict(g, e, last);

    /* A late duplicate of a fragment of a datagram completed lately: drop it
     * rather than start a datagram with it, or let it contradict the one in
     * progress (a new datagram reusing the id).  One that fits the datagram
     * in progress without conflict may be that datagram's own fragment
     * carrying the same bytes: it goes on. */
    if ((!g || conflict || (sv.noverlap && !sv.dup)) && tomb_match(d, &k, h, &r))
        return refuse(d, C_FRAG_DUPLICATE, frame);
    if (conflict) {
        dg_drop(d, g, d->drop_cb, d->drop_arg);
        return refuse(d, C_FRAG_CONFLICT_LAST, frame);
    }

    /* An upper bound of the bytes this fragment can add. */
    uint64_t need = rec_need(g) + (uint64_t)(sv.noverlap + 1) * sizeof(struct piece) + len;
    if (sv.split_tail)
        need += piece_cost(sv.split_tail);
    if (s == 0)
        need += ip->hdrlen;
    if (d->cfg.keep_frames && frame)
        need += frame_cost(frame);
    if (!g)
        need += sizeof(struct dg);
    if (!reserve(d, g, need, frame))
        return false;
    if (!g)
        g = dg_create(d, &k, h);

    if (g->nfrags && !sv.dup && src_now - g->src_seq > MAX_DIST) {
        g->late = true;                        /* a late join: see split_generation */
        g->gen_seq = src_now;
        g->gen_nfrags = g->nfrags;
    }
    g->nfrags++;
    g->src_seq = src_now;
    if (d->cfg.keep_frames && frame)
        keep_frame(d, g, frame, src_now);
    rec_add(d, g, &r);
    if (sv.dup) {
        count(d, C_FRAG_DUPLICATE, 1);
    } else {
        if (sv.noverlap)
            count(d, C_FRAG_OVERLAP, 1);
        if (apply(d, g, s, e, ip->l4, src_now))
            set_header(d, g, ip);
    }
    if (last) {
        g->end = e;
        g->end_known = true;
        g->end_seq = src_now;
    }
    if (!g->end_known || g->held != g->end)
        return false;

    /* Complete.  The header that came with byte 0 may be longer than the
     * ones checked so far. */
    if (hdr_extra(g->key.family, g->hdrlen) + g->end > IP_MAXPACKET) {
        count(d, C_FRAG_OVERSIZE, 1);
        dg_drop(d, g, d->drop_cb, d->drop_arg);
        return false;
    }
    build_output(d, g, outlen);
    uint32_t before = g->nfrags;
    if (g->late && tcp_checksum_ok(g, d->out, *outlen) == 0 && split_generation(d, g)) {
        count(d, C_FRAG_STALE_SPLIT, before - g->nfrags);
        *outlen = 0;
        if (!g->head)
            dg_drop(d, g, d->drop_cb, d->drop_arg);
        return false;
    }
    *out = d->out;
    count(d, C_FRAG_REASSEMBLED, 1);
    struct frec *recs = g->rec;
    uint32_t nrec = g->rec_over ? 0 : g->nrec;
    g->cost -= g->recalloc * sizeof(struct frec);      /* recs outlive g */
    d->held -= g->recalloc * sizeof(struct frec);
    g->rec = NULL;
    dg_drop(d, g, NULL, NULL);
    tomb_add(d, &k, h, recs, nrec);
    free(recs);
    return true;
}

void defrag_expire(struct defrag *d, int64_t now_us, defrag_frame_cb cb, void *arg)
{
    advance_clock(d, now_us);
    expire(d, cb, arg);
}

void defrag_finish(struct defrag *d, defrag_frame_cb cb, void *arg)
{
    while (d->oldest) {
        count(d, C_FRAG_END_INCOMPLETE, 1);
        dg_drop(d, d->oldest, cb, arg);
    }
    while (d->toldest)
        tomb_drop(d, d->toldest);
}

void defrag_free(struct defrag *d)
{
    if (!d)
        return;
    while (d->oldest)
        dg_drop(d, d->oldest, NULL, NULL);
    while (d->toldest)
        tomb_drop(d, d->toldest);
    free(d->tbuckets);
    free(d->buckets);
    free(d->out);
    free(d);
}
