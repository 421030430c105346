/* defrag.c - IPv4 and IPv6 fragment reassembly: the interface, and the
 * decisions taken for each fragment.  The datagrams in progress are kept by
 * defrag_store.c; records, tombstones and generations by defrag_rules.c.
 * See defrag.h and docs/internals/defrag.md.
 */
#include "decode/defrag_priv.h"

#include <string.h>

#include "util/xalloc.h"

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
    htab_init(&d->dgs, MIN_BUCKETS, MAX_BUCKETS);
    htab_init(&d->tombs, MIN_BUCKETS, MAX_BUCKETS);
    /* Seed the hash so that fragment ids chosen by a sender cannot pile up
     * in one chain; results never depend on it. */
    d->seed = hash_seed();
    return d;
}

void defrag_set_drop_cb(struct defrag *d, defrag_frame_cb cb, void *arg)
{
    d->drop_cb = cb;
    d->drop_arg = arg;
}

size_t defrag_held_bytes(const struct defrag *d) { return d->held; }
size_t defrag_datagrams(const struct defrag *d) { return d->age.n; }
size_t defrag_tombstone_bytes(const struct defrag *d) { return d->tbytes; }
size_t defrag_tombstones(const struct defrag *d) { return d->tage.n; }

/* Refuse a fragment that is not held: count it, hand its frame on. */
static bool refuse(struct defrag *d, enum counter_id why, const struct defrag_frame *frame)
{
    dfg_count(d, why, 1);
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
    while (d->age.head && d->clock - dg_oldest(d)->first_ts > d->cfg.timeout_us) {
        dfg_count(d, C_FRAG_TIMEOUT, 1);
        dg_drop(d, dg_oldest(d), cb, arg);
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
        while (d->age.n >= d->cfg.max_datagrams) {
            dfg_count(d, C_FRAG_TOO_MANY, dg_oldest(d)->nfrags);
            dg_drop(d, dg_oldest(d), d->drop_cb, d->drop_arg);
        }
    }
    if (make_room(d, g, need))
        return true;
    if (g) {
        dfg_count(d, C_FRAG_MEMCAP, g->nfrags);
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

static void make_key(struct dg_key *k, const struct ip_pkt *ip, uint64_t zone)
{
    memset(k, 0, sizeof *k);
    k->family = (uint8_t)ip->family;
    k->proto = ip->proto;
    k->zone = zone;
    k->id = ip->frag_id;
    memcpy(k->src, ip->src, 16);
    memcpy(k->dst, ip->dst, 16);
}

/* One fragment on its way in: what defrag_add's steps share. */
struct arrival {
    const struct ip_pkt *ip;
    const struct defrag_frame *frame;
    struct dg_key k;
    uint64_t h;
    uint32_t s, e, len;                /* bytes [s, e) of the datagram */
    bool last;                         /* no MF / M */
    uint32_t src_now;                  /* the source's fragment count, this one included */
    struct frec r;
    struct survey sv;
};

/* The fragment's source's count of fragments (hashed slots). */
static uint32_t src_tick(struct defrag *d, const struct ip_pkt *ip)
{
    uint32_t slot = 2166136261u;
    for (int i = 0; i < 16; i++)
        slot = (slot ^ ip->src[i]) * 16777619u;
    return ++d->src_ctr[slot % SRC_SLOTS];
}

/* Before g takes the fragment: is g a stale datagram, or an older
 * generation of itself, that the fragment shows to be over?  Returns g, or
 * NULL when it was dropped. */
static struct dg *check_stale(struct defrag *d, struct dg *g, struct arrival *a)
{
    if (g && a->sv.noverlap && !a->sv.dup && a->src_now - g->src_seq > MAX_DIST &&
        !tomb_match(d, &a->k, a->h, &a->r)) {
        dfg_count(d, C_FRAG_STALE, 1);
        dg_drop(d, g, d->drop_cb, d->drop_arg);
        memset(&a->sv, 0, sizeof a->sv);
        return NULL;
    }
    /* After a late join, a fragment that contradicts what came before it (other
     * bytes, another end) shows that the older fragments belong to a datagram
     * that used the id before: they are set aside (see split_generation). */
    if (g && g->late && ((a->sv.noverlap && !a->sv.dup && overlaps_older(g, a->s, a->e)) ||
                         end_conflict(g, a->e, a->last)) && !tomb_match(d, &a->k, a->h, &a->r)) {
        uint32_t before = g->nfrags;
        if (split_generation(d, g)) {
            dfg_count(d, C_FRAG_STALE_SPLIT, before - g->nfrags);
            if (!g->pieces.head) {
                dg_drop(d, g, d->drop_cb, d->drop_arg);
                g = NULL;
            }
            memset(&a->sv, 0, sizeof a->sv);
            if (g)
                survey(g, d->cfg.policy, a->s, a->e, a->ip->l4, &a->sv);
        }
    }
    return g;
}

/* An upper bound of the bytes the fragment can add to g (NULL: new). */
static uint64_t need_bytes(const struct defrag *d, const struct dg *g, const struct arrival *a)
{
    uint64_t need = rec_need(g) + (uint64_t)(a->sv.noverlap + 1) * sizeof(struct piece) + a->len;
    if (a->sv.split_tail)
        need += piece_cost(a->sv.split_tail);
    if (a->s == 0)
        need += a->ip->hdrlen;
    if (d->cfg.keep_frames && a->frame)
        need += frame_cost(a->frame);
    if (!g)
        need += sizeof(struct dg);
    return need;
}

/* The fragment goes into g (room already made). */
static void take(struct defrag *d, struct dg *g, const struct arrival *a)
{
    if (g->nfrags && !a->sv.dup && a->src_now - g->src_seq > MAX_DIST) {
        g->late = true;                        /* a late join: see split_generation */
        g->gen_seq = a->src_now;
        g->gen_nfrags = g->nfrags;
    }
    g->nfrags++;
    g->src_seq = a->src_now;
    if (d->cfg.keep_frames && a->frame)
        keep_frame(d, g, a->frame, a->src_now);
    rec_add(d, g, &a->r);
    if (a->sv.dup) {
        dfg_count(d, C_FRAG_DUPLICATE, 1);
    } else {
        if (a->sv.noverlap)
            dfg_count(d, C_FRAG_OVERLAP, 1);
        if (apply(d, g, a->s, a->e, a->ip->l4, a->src_now))
            set_header(d, g, a->ip);
    }
    if (a->last) {
        g->end = a->e;
        g->end_known = true;
        g->end_seq = a->src_now;
    }
}

/* g holds every byte: build the datagram, leave a tombstone.  Returns
 * false when it is not complete after all (oversize, a generation split). */
static bool complete(struct defrag *d, struct dg *g, const struct arrival *a,
                     const uint8_t **out, size_t *outlen)
{
    /* The header that came with byte 0 may be longer than the ones checked
     * so far. */
    if (hdr_extra(g->key.family, g->hdrlen) + g->end > IP_MAXPACKET) {
        dfg_count(d, C_FRAG_OVERSIZE, 1);
        dg_drop(d, g, d->drop_cb, d->drop_arg);
        return false;
    }
    build_output(d, g, outlen);
    uint32_t before = g->nfrags;
    if (g->late && tcp_checksum_ok(g, d->out, *outlen) == 0 && split_generation(d, g)) {
        dfg_count(d, C_FRAG_STALE_SPLIT, before - g->nfrags);
        *outlen = 0;
        if (!g->pieces.head)
            dg_drop(d, g, d->drop_cb, d->drop_arg);
        return false;
    }
    *out = d->out;
    dfg_count(d, C_FRAG_REASSEMBLED, 1);
    struct frec *recs = g->rec;
    uint32_t nrec = g->rec_over ? 0 : g->nrec;
    g->cost -= g->recalloc * sizeof(struct frec);      /* recs outlive g */
    d->held -= g->recalloc * sizeof(struct frec);
    g->rec = NULL;
    while (g->frames.head) {                           /* kept aside: defrag_take_done */
        struct dlnode *n = g->frames.head;
        struct kframe *k = container_of(n, struct kframe, node);
        dlist_unlink(&g->frames, n);
        g->cost -= sizeof *k + k->f.caplen;
        d->held -= sizeof *k + k->f.caplen;
        dlist_append(&d->done, n);
    }
    dg_drop(d, g, NULL, NULL);
    tomb_add(d, &a->k, a->h, recs, nrec);
    free(recs);
    return true;
}

bool defrag_add(struct defrag *d, const struct ip_pkt *ip, uint64_t zone,
                int64_t now_us, const struct defrag_frame *frame,
                const uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    defrag_take_done(d, NULL, NULL);
    advance_clock(d, now_us);
    expire(d, d->drop_cb, d->drop_arg);

    /* Lengths: a fragment carries data; all but the last a multiple of 8. */
    if (!frag_valid(ip) || ip->l4len == 0 || (ip->frag_more && ip->l4len % 8 != 0) ||
        ip->frag_off % 8 != 0)
        return refuse(d, C_FRAG_BAD_LENGTH, frame);

    struct arrival a;
    memset(&a, 0, sizeof a);
    a.ip = ip;
    a.frame = frame;
    make_key(&a.k, ip, zone);
    a.h = dg_key_hash(d, &a.k);
    struct dg *g = dg_lookup(d, &a.k, a.h);
    a.src_now = src_tick(d, ip);

    /* Past 65,535 bytes no stack accepts the datagram. */
    if (ip->frag_off > FRAG_MAXOFF || ip->l4len > IP_MAXPACKET ||
        hdr_extra(ip->family, ip->hdrlen) + ip->frag_off + ip->l4len > IP_MAXPACKET) {
        if (g)
            dg_drop(d, g, d->drop_cb, d->drop_arg);
        return refuse(d, C_FRAG_OVERSIZE, frame);
    }
    a.s = ip->frag_off;
    a.len = (uint32_t)ip->l4len;
    a.e = a.s + a.len;
    a.last = !ip->frag_more;
    a.r.off = a.s;
    a.r.lm = a.len | (a.last ? 0 : LM_MORE);
    a.r.hash = frag_hash(d, ip->l4, a.len, !a.last);
    if (g)
        survey(g, d->cfg.policy, a.s, a.e, ip->l4, &a.sv);
    g = check_stale(d, g, &a);
    bool conflict = g && end_conflict(g, a.e, a.last);

    /* A late duplicate of a fragment of a datagram completed lately: drop it
     * rather than start a datagram with it, or let it contradict the one in
     * progress (a new datagram reusing the id).  One that fits the datagram
     * in progress without conflict may be that datagram's own fragment
     * carrying the same bytes: it goes on. */
    if ((!g || conflict || (a.sv.noverlap && !a.sv.dup)) && tomb_match(d, &a.k, a.h, &a.r))
        return refuse(d, C_FRAG_DUPLICATE, frame);
    if (conflict) {
        dg_drop(d, g, d->drop_cb, d->drop_arg);
        return refuse(d, C_FRAG_CONFLICT_LAST, frame);
    }
    if (!reserve(d, g, need_bytes(d, g, &a), frame))
        return false;
    if (!g)
        g = dg_create(d, &a.k, a.h);
    take(d, g, &a);
    if (!g->end_known || g->held != g->end)
        return false;
    return complete(d, g, &a, out, outlen);
}

void defrag_take_done(struct defrag *d, defrag_frame_cb cb, void *arg)
{
    while (d->done.head) {
        struct dlnode *n = d->done.head;
        struct kframe *k = container_of(n, struct kframe, node);
        dlist_unlink(&d->done, n);
        if (cb)
            cb(arg, &k->f);
        free(k);
    }
}

void defrag_expire(struct defrag *d, int64_t now_us, defrag_frame_cb cb, void *arg)
{
    defrag_take_done(d, NULL, NULL);
    advance_clock(d, now_us);
    expire(d, cb, arg);
}

void defrag_finish(struct defrag *d, defrag_frame_cb cb, void *arg)
{
    defrag_take_done(d, NULL, NULL);
    while (d->age.head) {
        dfg_count(d, C_FRAG_END_INCOMPLETE, 1);
        dg_drop(d, dg_oldest(d), cb, arg);
    }
    while (d->tage.head)
        tomb_drop(d, tomb_oldest(d));
}

void defrag_free(struct defrag *d)
{
    if (!d)
        return;
    while (d->age.head)
        dg_drop(d, dg_oldest(d), NULL, NULL);
    while (d->tage.head)
        tomb_drop(d, tomb_oldest(d));
    defrag_take_done(d, NULL, NULL);
    htab_release(&d->tombs);
    htab_release(&d->dgs);
    free(d->out);
    free(d);
}
