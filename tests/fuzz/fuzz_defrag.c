/* fuzz_defrag.c - libFuzzer harness for defrag (src/decode/defrag*.c).
 *
 * The input is a 4-byte configuration followed by 8-byte fragment records:
 *
 *   config: [0] policy (% 6) | bit 3: stress mode | bit 4: keep_frames
 *           [1] stress: max_bytes = 1024 + 64 * b
 *           [2] stress: max_datagrams = b % 16, max_tombstones = b >> 4
 *           [3] stress: timeout = (b + 1) * 10 ms
 *   record: [0] bit 0 IPv6, bit 1 MF, bit 2 IPv4 options / IPv6 ext headers,
 *               bit 3 vlan, bit 4 proto 17, bit 5 DF, bit 6 clipped (with [1] bit 7),
 *               bit 7 stress: call defrag_expire first
 *           [1] id (& 7)
 *           [2..3] offset in 8-byte units: small (& 63), or 13 bits when [2] bit 7
 *           [4..5] data length: (& 31) * 8; raw [5] when [4] bit 6; 15 bits when [4] bit 7
 *           [6] fill seed: byte at datagram offset x is seed ^ (x >> 3)
 *           [7] TTL / hop limit; stress: time step in ms
 *
 * Shadow mode (caps that cannot bind, time standing still) runs a byte-level
 * model of the documented semantics next to defrag, tombstones included:
 * every counter change, every frame handed back, the datagram count and
 * every output byte must match.  A fragment's bytes are a function of
 * (seed, offset), so the model tells fragments apart by (offset, length, MF,
 * seed) where defrag uses a hash of the bytes.  Stress mode (small caps,
 * moving time, expiry) checks invariants: held + tombstone bytes <=
 * max_bytes, datagrams <= max_datagrams, outputs well formed.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_defrag.c
 *        src/decode/defrag*.c src/util/counters.c src/util/htab.c src/util/xalloc.c
 * (about 5 times faster: compile this file with -fsanitize=address,undefined
 * only, defrag.c with -fsanitize=fuzzer-no-link,address,undefined, and link
 * with -fsanitize=fuzzer, so the model's byte loops are not instrumented).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/defrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); abort(); } } while (0)

#define NKEYS 64
#define MAXD 65536
#define TMAX 64                      /* fragments remembered per key */

struct mrec {                        /* a fragment, as far as tombstones care */
    uint32_t off, len;
    bool more;
    uint8_t seed;
};

struct sdg {                         /* the model of one datagram */
    uint16_t owner[MAXD];            /* 0: byte not held; else fragment number */
    uint8_t data[MAXD];
    uint32_t bseq[MAXD];             /* source's fragment count when the byte came */
    bool active, end_known;
    uint32_t end, max_end, held, nframes;
    uint8_t hdr[64];
    size_t hdrlen, nh_off;
    uint8_t frag_nh;
    struct mrec rec[TMAX];           /* distinct fragments accepted */
    uint32_t nrec;
    bool rec_over;
    uint32_t src_seq;                /* source's fragment count at its last one */
    uint32_t nfrags;                 /* fragments accepted */
    bool late;                       /* a late join happened: */
    uint32_t gen_seq, gen_nfrags;    /* its source count, fragments before it */
    uint32_t end_seq;                /* source count of the fragment that fixed the end */
};

static struct mrec tomb[NKEYS][TMAX];   /* per key, oldest first */
static uint32_t ntomb[NKEYS];
static struct sdg pool[NKEYS];      /* static: only the bytes used are cleared */
static struct sdg *shadow[NKEYS];
static uint64_t cb_frames;
static uint32_t src_ctr[2];          /* fragments per source (v4, v6) */

static struct sdg *sget(unsigned key)
{
    struct sdg *g = &pool[key];
    CHECK(!g->active);
    g->active = true;
    shadow[key] = g;
    return g;
}

/* Forget a datagram: clear what it used. */
static void sfree(unsigned key)
{
    struct sdg *g = shadow[key];
    memset(g->owner, 0, g->max_end * sizeof g->owner[0]);
    g->active = g->end_known = false;
    g->end = g->max_end = g->held = g->nframes = 0;
    g->hdrlen = 0;
    g->nrec = 0;
    g->rec_over = false;
    g->nfrags = g->gen_nfrags = 0;
    g->late = false;
    shadow[key] = NULL;
}

static bool mrec_eq(const struct mrec *a, const struct mrec *b)
{
    return a->off == b->off && a->len == b->len && a->more == b->more && a->seed == b->seed;
}

static bool tomb_has(unsigned key, const struct mrec *r)
{
    for (uint32_t i = 0; i < ntomb[key]; i++)
        if (mrec_eq(&tomb[key][i], r))
            return true;
    return false;
}

/* The datagram under key completed: its fragments join the tombstone. */
static void tomb_add(unsigned key, const struct sdg *g)
{
    if (g->rec_over || g->nrec == 0)
        return;
    struct mrec tmp[2 * TMAX];
    uint32_t m = 0;
    for (uint32_t i = 0; i < ntomb[key]; i++) {
        bool again = false;
        for (uint32_t j = 0; j < g->nrec; j++)
            again |= mrec_eq(&tomb[key][i], &g->rec[j]);
        if (!again)
            tmp[m++] = tomb[key][i];
    }
    for (uint32_t j = 0; j < g->nrec; j++)
        tmp[m++] = g->rec[j];
    uint32_t first = m > TMAX ? m - TMAX : 0;
    memcpy(tomb[key], tmp + first, (m - first) * sizeof tmp[0]);
    ntomb[key] = m - first;
}

static void count_cb(void *arg, const struct defrag_frame *f)
{
    (void)arg;
    volatile uint8_t x = 0;
    for (uint32_t i = 0; i < f->caplen; i++)   /* must be readable */
        x ^= f->data[i];
    (void)x;
    cb_frames++;
}

struct rec {
    int family;
    bool more, alt, clipped, df, expire;
    uint16_t vlan;
    uint8_t proto, ttl, seed;
    uint32_t id, off, len;
    unsigned key;
};

static void parse(const uint8_t *r, struct rec *x)
{
    x->family = (r[0] & 1) ? 6 : 4;
    x->more = r[0] & 2;
    x->alt = r[0] & 4;
    x->vlan = (r[0] & 8) ? 5 : 0;
    x->proto = (r[0] & 16) ? 17 : 6;
    x->df = r[0] & 32;
    x->clipped = (r[0] & 64) && (r[1] & 128);
    x->expire = r[0] & 128;
    x->id = r[1] & 7;
    uint32_t units = (r[2] & 0x80) ? (uint32_t)((r[2] & 0x1F) << 8 | r[3]) : (r[3] & 63u);
    x->off = units * 8;
    if (r[4] & 0x80)
        x->len = (uint32_t)((r[4] & 0x7F) << 8 | r[5]);
    else if (r[4] & 0x40)
        x->len = r[5];
    else
        x->len = (r[5] & 31u) * 8;
    x->seed = r[6];
    x->ttl = r[7];
    x->key = (x->family == 6) << 5 | (x->vlan != 0) << 4 | (x->proto == 17) << 3 | x->id;
}

/* Build the packet for x; fill *ip as ip_decode would. */
static uint8_t *build(const struct rec *x, struct ip_pkt *ip, size_t *n)
{
    size_t hl = x->family == 4 ? (x->alt ? 24 : 20) : (x->alt ? 64 : 40);
    size_t fh = x->family == 4 ? 0 : 8;
    size_t tot = hl + fh + x->len;
    uint8_t *b = calloc(1, tot);
    CHECK(b);
    memset(ip, 0, sizeof *ip);
    if (x->family == 4) {
        uint16_t fl = (uint16_t)((x->df ? 0x4000 : 0) | (x->more ? 0x2000 : 0) | x->off / 8);
        b[0] = (uint8_t)(0x40 | hl / 4);
        b[2] = (uint8_t)(tot >> 8);
        b[3] = (uint8_t)tot;
        b[5] = (uint8_t)x->id;
        b[6] = (uint8_t)(fl >> 8);
        b[7] = (uint8_t)fl;
        b[8] = x->ttl;
        b[9] = x->proto;
        b[12] = 10; b[15] = 1; b[16] = 10; b[19] = 2;
        if (x->alt)
            b[20] = b[21] = b[22] = 1;
        ip->src[0] = 10; ip->src[3] = 1; ip->dst[0] = 10; ip->dst[3] = 2;
    } else {
        b[0] = 0x60;
        b[4] = (uint8_t)((tot - 40) >> 8);
        b[5] = (uint8_t)(tot - 40);
        b[6] = x->alt ? 0 : 44;
        b[7] = x->ttl;
        b[8] = 0x20; b[23] = 1; b[24] = 0x20; b[39] = 2;
        if (x->alt) {
            const uint8_t ext[24] = { 60, 0, 1, 4, 0, 0, 0, 0, 43, 0, 1, 4, 0, 0, 0, 0,
                                      44, 0, 0, 0, 0, 0, 0, 0 };
            memcpy(b + 40, ext, 24);
        }
        b[hl] = x->proto;
        b[hl + 2] = (uint8_t)(x->off >> 8);
        b[hl + 3] = (uint8_t)((x->off & 0xF8) | x->more);
        b[hl + 7] = (uint8_t)x->id;
        ip->src[0] = 0x20; ip->src[15] = 1; ip->dst[0] = 0x20; ip->dst[15] = 2;
        ip->v6_nh_off = x->alt ? 56 : 6;
        ip->v6_frag_nh = x->proto;
    }
    for (uint32_t i = 0; i < x->len; i++)
        b[hl + fh + i] = (uint8_t)(x->seed ^ ((x->off + i) >> 3));
    ip->family = x->family;
    ip->proto = x->proto;
    ip->frag = true;
    ip->frag_more = x->more;
    ip->frag_off = x->off;
    ip->frag_id = x->id;
    ip->hdr = b;
    ip->hdrlen = hl;
    ip->l4 = b + hl + fh;
    ip->l4len = x->len;
    ip->clipped = x->clipped;
    *n = tot;
    return b;
}

/* ---- the model ---- */

static size_t hdr_extra(int family, size_t hl) { return family == 4 ? hl : hl - 40; }

static bool wins(enum defrag_policy pol, uint32_t s, uint32_t e, uint32_t po, uint32_t pe)
{
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

/* TCP checksum of the datagram o[0..n): 1 right, 0 wrong, -1 not checked
 * (not TCP, IPv6 extension headers, no whole TCP header). */
static int tcp_sum(int family, uint8_t proto, const struct sdg *g, const uint8_t *o, size_t n)
{
    size_t hl = g->hdrlen;
    if (family == 4 ? proto != 6 : (g->frag_nh != 6 || hl != 40))
        return -1;
    if (n < hl + 20)
        return -1;
    uint64_t sum = 6 + (n - hl);
    for (size_t i = family == 4 ? 12 : 8; i < (family == 4 ? 20u : 40u); i += 2)
        sum += (uint32_t)o[i] << 8 | o[i + 1];
    for (size_t i = hl; i < n; i++)
        sum += (i - hl) % 2 ? o[i] : (uint32_t)o[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return sum == 0xFFFF;
}

static bool older_in(const struct sdg *g, uint32_t s, uint32_t e)
{
    for (uint32_t i = s; i < e && i < g->max_end; i++)
        if (g->owner[i] && (int32_t)(g->bseq[i] - g->gen_seq) < 0)
            return true;
    return false;
}

struct expect {
    uint64_t n[C__COUNT];
    uint64_t frames;
    bool done;
    uint8_t *out;
    size_t outlen;
};

static void sdrop(unsigned key, struct expect *ex)
{
    ex->frames += shadow[key]->nframes;
    sfree(key);
}

/* Set aside the bytes from before the late join (the caller checked that
 * there are some); a datagram left with none is dropped. */
static void split(unsigned key, bool keep, struct expect *ex)
{
    struct sdg *g = shadow[key];
    uint32_t top = 0;
    for (uint32_t i = 0; i < g->max_end; i++) {
        if (g->owner[i] && (int32_t)(g->bseq[i] - g->gen_seq) < 0) {
            g->owner[i] = 0;
            g->held--;
        }
        if (g->owner[i])
            top = i + 1;
    }
    g->max_end = top;
    if (g->end_known && (int32_t)(g->end_seq - g->gen_seq) < 0)
        g->end_known = false;
    if (!g->owner[0])
        g->hdrlen = 0;
    ex->n[C_FRAG_STALE_SPLIT] += g->gen_nfrags;
    if (keep) {
        ex->frames += g->gen_nfrags;
        g->nframes -= g->gen_nfrags;
    }
    g->nfrags -= g->gen_nfrags;
    g->gen_nfrags = 0;
    if (top == 0)
        sdrop(key, ex);
}

static void model(const struct rec *x, const struct ip_pkt *ip, enum defrag_policy pol,
                  bool keep, uint16_t fragno, struct expect *ex)
{
    memset(ex, 0, sizeof *ex);
    struct sdg *g = shadow[x->key];
    if (x->clipped || x->len == 0 || (x->more && x->len % 8)) {
        ex->n[C_FRAG_BAD_LENGTH] = 1;
        ex->frames = keep;
        return;
    }
    uint32_t s = x->off, e = s + x->len;
    uint32_t src_now = ++src_ctr[x->family == 6];
    if (hdr_extra(x->family, ip->hdrlen) + e > 65535) {
        if (g)
            sdrop(x->key, ex);
        ex->n[C_FRAG_OVERSIZE] = 1;
        ex->frames += keep;
        return;
    }
    bool dup = g != NULL, any = false;
    for (uint32_t i = s; g && i < e; i++) {
        if (g->owner[i])
            any = true;
        if (!g->owner[i] || g->data[i] != ip->l4[i - s])
            dup = false;
    }
    bool conflict = g && ((!x->more && g->end_known && e != g->end) ||
                          (!x->more && !g->end_known && g->max_end > e) ||
                          (x->more && g->end_known && e > g->end));
    struct mrec r = { s, x->len, x->more, x->seed };
    /* stale: a contradicting fragment more than 64 of its source's
     * fragments after the datagram's last one (not a late duplicate) */
    if (g && any && !dup && src_now - g->src_seq > 64 && !tomb_has(x->key, &r)) {
        ex->n[C_FRAG_STALE] = 1;
        sdrop(x->key, ex);
        g = NULL;
        any = dup = conflict = false;
    }
    /* after a late join: a contradiction of the older bytes or end sets them aside */
    if (g && g->late && ((any && !dup && older_in(g, s, e)) || conflict) &&
        !tomb_has(x->key, &r) && older_in(g, 0, g->max_end)) {
        split(x->key, keep, ex);
        g = shadow[x->key];
        dup = g != NULL;
        any = false;
        for (uint32_t i = s; g && i < e; i++) {
            if (g->owner[i])
                any = true;
            if (!g->owner[i] || g->data[i] != ip->l4[i - s])
                dup = false;
        }
        conflict = g && ((!x->more && g->end_known && e != g->end) ||
                         (!x->more && !g->end_known && g->max_end > e) ||
                         (x->more && g->end_known && e > g->end));
    }
    if ((!g || conflict || (any && !dup)) && tomb_has(x->key, &r)) {
        ex->n[C_FRAG_DUPLICATE] = 1;             /* late duplicate */
        ex->frames = keep;
        return;
    }
    if (conflict) {
        sdrop(x->key, ex);
        ex->n[C_FRAG_CONFLICT_LAST] = 1;
        ex->frames += keep;
        return;
    }
    if (!g)
        g = sget(x->key);
    if (g->nfrags && !dup && src_now - g->src_seq > 64) {
        g->late = true;                          /* a late join */
        g->gen_seq = src_now;
        g->gen_nfrags = g->nfrags;
    }
    g->nfrags++;
    g->src_seq = src_now;
    g->nframes += keep;
    if (!g->rec_over) {
        bool known = false;
        for (uint32_t i = 0; i < g->nrec && !known; i++)
            known = mrec_eq(&g->rec[i], &r);
        if (!known && g->nrec == TMAX)
            g->rec_over = true;
        else if (!known)
            g->rec[g->nrec++] = r;
    }
    if (dup) {
        ex->n[C_FRAG_DUPLICATE] = 1;
    } else {
        if (any)
            ex->n[C_FRAG_OVERLAP] = 1;
        /* decide for every held piece (maximal run of one owner) first */
        static uint8_t newwins[MAXD];
        uint32_t i = s;
        while (i < e) {
            if (!g->owner[i]) {
                newwins[i++] = 1;
                continue;
            }
            uint32_t o = g->owner[i], po = i, pe = i;
            while (po > 0 && g->owner[po - 1] == o)
                po--;
            while (pe < MAXD && g->owner[pe] == o)
                pe++;
            bool w = wins(pol, s, e, po, pe);
            for (; i < e && i < pe; i++)
                newwins[i] = w;
        }
        for (i = s; i < e; i++)
            if (newwins[i]) {
                if (!g->owner[i])
                    g->held++;
                g->owner[i] = fragno;
                g->data[i] = ip->l4[i - s];
                g->bseq[i] = src_now;
            }
        if (s == 0 && g->owner[0] == fragno) {
            memcpy(g->hdr, ip->hdr, ip->hdrlen);
            g->hdrlen = ip->hdrlen;
            g->nh_off = ip->v6_nh_off;
            g->frag_nh = ip->v6_frag_nh;
        }
        if (e > g->max_end)
            g->max_end = e;
    }
    if (!x->more) {
        g->end_known = true;
        g->end = e;
        g->end_seq = src_now;
    }
    if (!g->end_known || g->held != g->end)
        return;
    CHECK(g->hdrlen);
    if (hdr_extra(x->family, g->hdrlen) + g->end > 65535) {
        ex->n[C_FRAG_OVERSIZE] = 1;
        sdrop(x->key, ex);
        return;
    }
    ex->done = true;
    ex->outlen = g->hdrlen + g->end;
    ex->out = malloc(ex->outlen);
    CHECK(ex->out);
    memcpy(ex->out, g->hdr, g->hdrlen);
    memcpy(ex->out + g->hdrlen, g->data, g->end);
    uint8_t *o = ex->out;
    if (x->family == 4) {
        o[2] = (uint8_t)(ex->outlen >> 8);
        o[3] = (uint8_t)ex->outlen;
        o[6] &= 0xC0;
        o[7] = 0;
        o[10] = o[11] = 0;
        uint32_t sum = 0;
        for (size_t k = 0; k < g->hdrlen; k += 2)
            sum += (uint32_t)o[k] << 8 | o[k + 1];
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        o[10] = (uint8_t)(~sum >> 8);
        o[11] = (uint8_t)~sum;
    } else {
        o[4] = (uint8_t)((ex->outlen - 40) >> 8);
        o[5] = (uint8_t)(ex->outlen - 40);
        o[g->nh_off] = g->frag_nh;
    }
    /* A late join whose datagram fails the TCP checksum: the bytes that came
     * before it are set aside, the rest waits. */
    if (g->late && older_in(g, 0, g->max_end) &&
        tcp_sum(x->family, x->proto, g, o, ex->outlen) == 0) {
        free(ex->out);
        ex->out = NULL;
        ex->outlen = 0;
        ex->done = false;
        split(x->key, keep, ex);
        return;
    }
    ex->n[C_FRAG_REASSEMBLED] = 1;
    tomb_add(x->key, g);
    sfree(x->key);
}

/* Invariants of any output (stress mode). */
static void check_output(const uint8_t *o, size_t n)
{
    CHECK(n >= 20);
    if ((o[0] >> 4) == 4) {
        size_t hl = (size_t)(o[0] & 15) * 4;
        CHECK(hl >= 20 && hl <= n && n <= 65535);
        CHECK((size_t)(o[2] << 8 | o[3]) == n);
        CHECK((o[6] & 0x3F) == 0 && o[7] == 0);
        uint32_t sum = 0;
        for (size_t k = 0; k < hl; k += 2)
            sum += (uint32_t)o[k] << 8 | o[k + 1];
        while (sum >> 16)
            sum = (sum & 0xFFFF) + (sum >> 16);
        CHECK(sum == 0xFFFF);
    } else {
        CHECK((o[0] >> 4) == 6 && n >= 40);
        CHECK((size_t)(o[4] << 8 | o[5]) == n - 40);
        CHECK(n - 40 <= 65535);
        CHECK(o[6] != 44);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    enum defrag_policy pol = (enum defrag_policy)(data[0] % 6);
    bool stress = data[0] & 8;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.policy = pol;
    cfg.keep_frames = data[0] & 16;
    if (stress) {
        cfg.max_bytes = 1024 + 64 * (size_t)data[1];
        cfg.max_datagrams = data[2] % 16;
        cfg.max_tombstones = data[2] >> 4;
        cfg.timeout_us = ((int64_t)data[3] + 1) * 10000;
    } else {
        cfg.max_bytes = (size_t)1 << 30;
        cfg.max_datagrams = 1 << 20;
    }
    struct counters c;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    defrag_set_drop_cb(d, count_cb, NULL);
    cb_frames = 0;
    memset(ntomb, 0, sizeof ntomb);
    memset(src_ctr, 0, sizeof src_ctr);
    int64_t now = 1000000;
    uint16_t fragno = 0;
    size_t live = 0;

    for (size_t p = 4; p + 8 <= size && fragno < 60000; p += 8) {
        struct rec x;
        parse(data + p, &x);
        struct ip_pkt ip;
        size_t n;
        uint8_t *b = build(&x, &ip, &n);
        struct defrag_frame fr = { now, (uint32_t)n, b, (uint32_t)n, 101 };
        const uint8_t *out;
        size_t outlen;
        if (stress) {
            now += (int64_t)x.ttl * 1000;
            if (x.expire)
                defrag_expire(d, now, count_cb, NULL);
            bool done = defrag_add(d, &ip, x.vlan, now, &fr, &out, &outlen);
            CHECK(defrag_held_bytes(d) + defrag_tombstone_bytes(d) <= cfg.max_bytes);
            CHECK(defrag_datagrams(d) <= cfg.max_datagrams);
            CHECK(defrag_tombstones(d) <= cfg.max_tombstones);
            if (done)
                check_output(out, outlen);
            else
                CHECK(out == NULL && outlen == 0);
        } else {
            struct counters before = c;
            uint64_t fb = cb_frames;
            struct expect ex;
            model(&x, &ip, pol, cfg.keep_frames, ++fragno, &ex);
            bool done = defrag_add(d, &ip, x.vlan, now, &fr, &out, &outlen);
            for (int i = 0; i < C__COUNT; i++)
                CHECK(c.n[i] - before.n[i] == ex.n[i]);
            CHECK(cb_frames - fb == ex.frames);
            CHECK(done == ex.done);
            if (done) {
                CHECK(outlen == ex.outlen);
                CHECK(memcmp(out, ex.out, outlen) == 0);
            }
            free(ex.out);
            live = 0;
            for (int k = 0; k < NKEYS; k++)
                live += shadow[k] != NULL;
            CHECK(defrag_datagrams(d) == live);
        }
        free(b);
    }

    uint64_t fb = cb_frames, expect_frames = 0;
    for (int k = 0; k < NKEYS; k++)
        if (shadow[k]) {
            expect_frames += shadow[k]->nframes;
            sfree((unsigned)k);
        }
    uint64_t pending = defrag_datagrams(d), before_end = c.n[C_FRAG_END_INCOMPLETE];
    defrag_finish(d, count_cb, NULL);
    CHECK(c.n[C_FRAG_END_INCOMPLETE] - before_end == pending);
    if (!stress)
        CHECK(cb_frames - fb == expect_frames);
    CHECK(defrag_held_bytes(d) == 0 && defrag_datagrams(d) == 0);
    CHECK(defrag_tombstone_bytes(d) == 0 && defrag_tombstones(d) == 0);
    defrag_free(d);
    (void)live;
    return 0;
}
