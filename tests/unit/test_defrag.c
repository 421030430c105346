/* test_defrag.c - IPv4 and IPv6 fragment reassembly.
 *
 * Packets are built by hand and struct ip_pkt is filled as ip_decode would,
 * so these tests depend on defrag.c alone.  Each packet is built in a heap
 * buffer freed right after defrag_add, so keeping a pointer into it would
 * show under ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/defrag.h"

#define SEC 1000000LL

static const uint8_t V6SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t V6DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static const enum defrag_policy POLICIES[6] = {
    DEFRAG_FIRST, DEFRAG_LAST, DEFRAG_BSD, DEFRAG_LINUX, DEFRAG_WINDOWS, DEFRAG_SOLARIS,
};
static const char *const PNAMES[6] = { "first", "last", "bsd", "linux", "windows", "solaris" };

/* What varies between the datagrams of a test. */
struct fk {
    int family;             /* 4 or 6 */
    uint32_t id;
    uint8_t proto;
    uint8_t ttl;            /* IPv4 TTL / IPv6 hop limit: tells headers apart */
    unsigned v4opt;         /* IPv4 option bytes (multiple of 4, <= 40) */
    bool v6ext;             /* IPv6: HBH, DestOpts, Routing before the Fragment header */
    uint8_t src0;           /* first source address byte */
};

static struct fk v4k(uint32_t id) { return (struct fk){ 4, id, 6, 64, 0, false, 10 }; }
static struct fk v6k(uint32_t id, bool ext) { return (struct fk){ 6, id, 6, 64, 0, ext, 0x20 }; }

/* Build the fragment (hdr + data) into a new heap buffer; fill *ip as
 * ip_decode would.  Returns the buffer and its length in *n. */
static uint8_t *build(const struct fk *k, uint32_t off, bool more, const uint8_t *data,
                      size_t len, struct ip_pkt *ip, size_t *n)
{
    size_t hl = k->family == 4 ? 20 + k->v4opt : 40 + (k->v6ext ? 24 : 0);
    size_t fh = k->family == 4 ? 0 : 8;
    size_t tot = hl + fh + len;
    uint8_t *b = calloc(1, tot);
    assert_non_null(b);
    memset(ip, 0, sizeof *ip);
    if (k->family == 4) {
        uint16_t fl = (uint16_t)((more ? 0x2000 : 0) | ((off / 8) & 0x1FFF));
        b[0] = (uint8_t)(0x40 | hl / 4);
        b[2] = (uint8_t)(tot >> 8);
        b[3] = (uint8_t)tot;
        b[4] = (uint8_t)(k->id >> 8);
        b[5] = (uint8_t)k->id;
        b[6] = (uint8_t)(fl >> 8);
        b[7] = (uint8_t)fl;
        b[8] = k->ttl;
        b[9] = k->proto;
        b[10] = 0xAB;                       /* wrong checksum: must be recomputed */
        b[11] = 0xCD;
        uint8_t src[4] = { k->src0, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
        memcpy(b + 12, src, 4);
        memcpy(b + 16, dst, 4);
        for (size_t i = 20; i < hl; i++)
            b[i] = 1;                       /* NOP options */
        memcpy(ip->src, src, 4);
        memcpy(ip->dst, dst, 4);
        ip->frag_id = k->id & 0xFFFF;
    } else {
        size_t plen = tot - 40;
        b[0] = 0x60;
        b[4] = (uint8_t)(plen >> 8);
        b[5] = (uint8_t)plen;
        b[6] = k->v6ext ? 0 : 44;
        b[7] = k->ttl;
        memcpy(b + 8, V6SRC, 16);
        b[8] = k->src0;
        memcpy(b + 24, V6DST, 16);
        if (k->v6ext) {
            const uint8_t ext[24] = { 60, 0, 1, 4, 0, 0, 0, 0,     /* HBH -> DestOpts */
                                      43, 0, 1, 4, 0, 0, 0, 0,     /* DestOpts -> Routing */
                                      44, 0, 0, 0, 0, 0, 0, 0 };   /* Routing -> Fragment */
            memcpy(b + 40, ext, 24);
        }
        uint8_t *f = b + hl;
        f[0] = k->proto;
        f[2] = (uint8_t)(off >> 8);
        f[3] = (uint8_t)((off & 0xF8) | (more ? 1 : 0));
        f[4] = (uint8_t)(k->id >> 24);
        f[5] = (uint8_t)(k->id >> 16);
        f[6] = (uint8_t)(k->id >> 8);
        f[7] = (uint8_t)k->id;
        memcpy(ip->src, b + 8, 16);
        memcpy(ip->dst, V6DST, 16);
        ip->frag_id = k->id;
        ip->v6_nh_off = k->v6ext ? 56 : 6;
        ip->v6_frag_nh = k->proto;
    }
    if (len)
        memcpy(b + hl + fh, data, len);
    ip->family = k->family;
    ip->proto = k->proto;
    ip->l4 = b + hl + fh;
    ip->l4len = len;
    ip->frag = true;
    ip->frag_more = more;
    ip->frag_off = off;
    ip->hdr = b;
    ip->hdrlen = hl;
    *n = tot;
    return b;
}

/* The reassembled packet, copied out of defrag's buffer. */
static uint8_t *got;
static size_t gotlen;

/* Offer one fragment; returns defrag_add's result, the output in got. */
static bool add_t(struct defrag *d, const struct fk *k, uint32_t off, bool more,
                  const uint8_t *data, size_t len, int64_t t)
{
    struct ip_pkt ip;
    size_t n;
    uint8_t *b = build(k, off, more, data, len, &ip, &n);
    struct defrag_frame fr = { t, (uint32_t)n + 14, b, (uint32_t)n, 101 };
    const uint8_t *out = (const uint8_t *)1;
    size_t outlen = 12345;
    bool done = defrag_add(d, &ip, 0, t, &fr, &out, &outlen);
    free(b);
    if (done) {
        assert_non_null(out);
        free(got);
        got = malloc(outlen);
        assert_non_null(got);
        memcpy(got, out, outlen);
        gotlen = outlen;
    } else {
        assert_null(out);
        assert_int_equal(outlen, 0);
    }
    return done;
}

static bool add(struct defrag *d, const struct fk *k, uint32_t off, bool more,
                const uint8_t *data, size_t len)
{
    return add_t(d, k, off, more, data, len, 1000 * SEC);
}

/* got must be the datagram k carrying data[0..len). */
static void check_out(const struct fk *k, const uint8_t *data, size_t len)
{
    assert_non_null(got);
    if (k->family == 4) {
        size_t hl = 20 + k->v4opt;
        assert_int_equal(gotlen, hl + len);
        assert_int_equal(got[0], 0x40 | hl / 4);
        assert_int_equal(got[2] << 8 | got[3], hl + len);
        assert_int_equal(got[4] << 8 | got[5], k->id & 0xFFFF);
        assert_int_equal(got[6], 0);
        assert_int_equal(got[7], 0);
        assert_int_equal(got[8], k->ttl);
        assert_int_equal(got[9], k->proto);
        assert_int_equal(got[12], k->src0);
        uint32_t sum = 0;
        for (size_t i = 0; i < hl; i += 2)
            sum += (uint32_t)got[i] << 8 | got[i + 1];
        while (sum >> 16)
            sum = (sum & 0xFFFF) + (sum >> 16);
        assert_int_equal(sum, 0xFFFF);
        for (size_t i = 20; i < hl; i++)
            assert_int_equal(got[i], 1);
        assert_memory_equal(got + hl, data, len);
    } else {
        size_t hl = 40 + (k->v6ext ? 24 : 0);
        assert_int_equal(gotlen, hl + len);
        assert_int_equal(got[0], 0x60);
        assert_int_equal(got[4] << 8 | got[5], hl - 40 + len);
        assert_int_equal(got[7], k->ttl);
        assert_int_equal(got[8], k->src0);
        assert_memory_equal(got + 9, V6SRC + 1, 15);
        assert_memory_equal(got + 24, V6DST, 16);
        if (k->v6ext) {
            const uint8_t ext[24] = { 60, 0, 1, 4, 0, 0, 0, 0, 43, 0, 1, 4, 0, 0, 0, 0,
                                      6, 0, 0, 0, 0, 0, 0, 0 };
            assert_int_equal(got[6], 0);
            assert_memory_equal(got + 40, ext, 24);
        } else {
            assert_int_equal(got[6], k->proto);
        }
        assert_memory_equal(got + hl, data, len);
    }
}

/* Frames handed to a callback. */
struct frames {
    size_t n;
    size_t bytes;
    int64_t ts[64];
    uint32_t caplen[64];
    uint8_t first4[64][4];       /* fragment-offset bytes tell frames apart */
};

static void frame_cb(void *arg, const struct defrag_frame *f)
{
    struct frames *fs = arg;
    assert_non_null(f->data);
    assert_int_equal(f->dlt, 101);
    assert_int_equal(f->wirelen, f->caplen + 14);
    if (fs->n < 64) {
        fs->ts[fs->n] = f->ts_us;
        fs->caplen[fs->n] = f->caplen;
        memcpy(fs->first4[fs->n], f->data + 4, 4);
    }
    fs->n++;
    fs->bytes += f->caplen;
}

static struct defrag *mk(enum defrag_policy pol, struct counters *c)
{
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.policy = pol;
    memset(c, 0, sizeof *c);
    return defrag_new(&cfg, c);
}

/* mk() with kept frames or not, the drop callback counting into fs. */
static struct defrag *mk_frames(enum defrag_policy pol, bool keep, struct counters *c,
                                struct frames *fs)
{
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.policy = pol;
    cfg.keep_frames = keep;
    memset(c, 0, sizeof *c);
    memset(fs, 0, sizeof *fs);
    struct defrag *d = defrag_new(&cfg, c);
    defrag_set_drop_cb(d, frame_cb, fs);
    return d;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static int teardown_got(void **state)
{
    (void)state;
    free(got);
    got = NULL;
    gotlen = 0;
    return 0;
}

/* ---- basics ---- */

static void test_config_and_parse(void **state)
{
    (void)state;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    assert_int_equal(cfg.timeout_us, 60 * SEC);
    assert_int_equal(cfg.max_bytes, 64u << 20);
    assert_int_equal(cfg.max_datagrams, 65536);
    assert_int_equal(cfg.policy, DEFRAG_FIRST);
    assert_false(cfg.keep_frames);
    for (int i = 0; i < 6; i++) {
        enum defrag_policy p = DEFRAG_FIRST;
        assert_true(defrag_policy_parse(PNAMES[i], &p));
        assert_int_equal(p, POLICIES[i]);
    }
    enum defrag_policy p = DEFRAG_LAST;
    assert_false(defrag_policy_parse("Linux", &p));
    assert_false(defrag_policy_parse("", &p));
    assert_false(defrag_policy_parse("bsd-right", &p));
    assert_false(defrag_policy_parse(NULL, &p));
    assert_int_equal(p, DEFRAG_LAST);
    defrag_free(NULL);
}

/* ---- orders: in order, reversed, shuffled; v4, v6, v6 with ext headers ---- */

enum order { IN_ORDER, REVERSED, SHUFFLED, LAST_FIRST };

static void run_order(const struct fk *k, enum defrag_policy pol, enum order ord,
                      size_t total, size_t fsz)
{
    struct counters c;
    struct defrag *d = mk(pol, &c);
    uint8_t *data = malloc(total);
    assert_non_null(data);
    fill_pattern(data, total, (uint32_t)total);
    size_t nf = (total + fsz - 1) / fsz;
    size_t *idx = malloc(nf * sizeof *idx);
    assert_non_null(idx);
    for (size_t i = 0; i < nf; i++)
        idx[i] = ord == REVERSED ? nf - 1 - i : i;
    if (ord == SHUFFLED) {
        uint32_t r = 7;
        for (size_t i = nf - 1; i > 0; i--) {
            r = r * 1103515245u + 12345u;
            size_t j = (r >> 8) % (i + 1);
            size_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
    } else if (ord == LAST_FIRST) {             /* last, then the rest in order */
        for (size_t i = 0; i < nf; i++)
            idx[i] = (i + nf - 1) % nf;
    }
    for (size_t i = 0; i < nf; i++) {
        size_t off = idx[i] * fsz;
        size_t len = off + fsz <= total ? fsz : total - off;
        bool done = add(d, k, (uint32_t)off, idx[i] != nf - 1, data + off, len);
        assert_int_equal(done, i == nf - 1);
        if (!done)
            assert_int_equal(defrag_datagrams(d), 1);
    }
    check_out(k, data, total);
    assert_int_equal(c.n[C_FRAG_REASSEMBLED], 1);
    assert_int_equal(c.n[C_FRAG_OVERLAP] + c.n[C_FRAG_DUPLICATE], 0);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(defrag_held_bytes(d), 0);
    free(idx);
    free(data);
    defrag_free(d);
}

static void test_orders(void **state)
{
    (void)state;
    struct fk ks[4] = { v4k(0x1234), v6k(0xdeadbeef, false), v6k(7, true), v4k(9) };
    ks[3].v4opt = 12;
    for (int ki = 0; ki < 4; ki++)
        for (int pi = 0; pi < 6; pi++)
            for (int o = IN_ORDER; o <= LAST_FIRST; o++) {
                run_order(&ks[ki], POLICIES[pi], (enum order)o, 1000, 96);
                run_order(&ks[ki], POLICIES[pi], (enum order)o, 4003, 1480);
                run_order(&ks[ki], POLICIES[pi], (enum order)o, 16, 8);
            }
}

/* ---- duplicates ---- */

static void test_duplicates(void **state)
{
    (void)state;
    uint8_t data[400];
    fill_pattern(data, sizeof data, 3);
    for (int pi = 0; pi < 6; pi++) {
        struct counters c;
        struct defrag *d = mk(POLICIES[pi], &c);
        struct fk k = v4k(77);
        /* fragments 1..4 twice each, then fragment 0 completes */
        for (uint32_t f = 1; f < 5; f++)
            for (int rep = 0; rep < 2; rep++)
                assert_false(add(d, &k, f * 80, f != 4, data + f * 80, 80));
        /* a duplicate spanning two held fragments */
        assert_false(add(d, &k, 160, true, data + 160, 160));
        size_t held = defrag_held_bytes(d);
        assert_false(add(d, &k, 80, true, data + 80, 80));
        assert_int_equal(defrag_held_bytes(d), held);   /* frames not kept */
        assert_true(add(d, &k, 0, true, data, 80));
        check_out(&k, data, sizeof data);
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 6);
        assert_int_equal(c.n[C_FRAG_OVERLAP], 0);
        assert_int_equal(c.n[C_FRAG_REASSEMBLED], 1);
        assert_int_equal(defrag_held_bytes(d), 0);
        defrag_free(d);
    }
}

/* A duplicate of bytes already held that carries the end completes. */
static void test_duplicate_last_completes(void **state)
{
    (void)state;
    uint8_t data[32];
    fill_pattern(data, sizeof data, 5);
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    struct fk k = v6k(1, false);
    assert_false(add(d, &k, 0, true, data, 32));
    assert_true(add(d, &k, 16, false, data + 16, 16));
    check_out(&k, data, 32);
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
    defrag_free(d);
}

/* ---- overlaps under each policy ---- */

struct uf {                     /* a fragment in 8-byte units, filled with one letter */
    uint8_t off, units, more;
    char fill;
};

static bool add_units(struct defrag *d, const struct fk *k, const struct uf *f)
{
    uint8_t buf[256];
    assert_true(f->units * 8u <= sizeof buf);
    memset(buf, f->fill, f->units * 8u);
    return add(d, k, f->off * 8u, f->more, buf, f->units * 8u);
}

/* got's data must be the letters of want, 8 bytes each. */
static void check_units(const struct fk *k, const char *want, const char *what)
{
    size_t n = strlen(want);
    size_t hl = k->family == 4 ? 20 : 40 + (k->v6ext ? 24 : 0);
    uint8_t exp[256];
    for (size_t i = 0; i < n * 8; i++)
        exp[i] = (uint8_t)want[i / 8];
    char have[33] = { 0 };
    for (size_t i = 0; i < n && i < 32 && hl + i * 8 < gotlen; i++)
        have[i] = (char)got[hl + i * 8];
    if (gotlen != hl + n * 8 || memcmp(got + hl, exp, n * 8) != 0)
        fail_msg("%s: want %s, have %s (len %zu)", what, want, have, gotlen);
    check_out(k, exp, n * 8);
}

struct pair_case {
    const char *name;
    struct uf f[3];
    const char *want[6];        /* first, last, bsd, linux, windows, solaris */
};

static const struct pair_case PAIRS[] = {
    { "new starts inside old, ends after",
      { { 0, 2, 1, 'A' }, { 1, 2, 1, 'B' }, { 3, 1, 0, 'Z' } },
      { "AABZ", "ABBZ", "AABZ", "AABZ", "AABZ", "AABZ" } },
    { "new starts before old, ends inside",
      { { 1, 2, 1, 'A' }, { 0, 2, 1, 'B' }, { 3, 1, 0, 'Z' } },
      { "BAAZ", "BBAZ", "BBAZ", "BBAZ", "BAAZ", "BAAZ" } },
    { "same start, new longer",
      { { 0, 1, 1, 'A' }, { 0, 2, 1, 'B' }, { 2, 2, 0, 'Z' } },
      { "ABZZ", "BBZZ", "ABZZ", "BBZZ", "ABZZ", "ABZZ" } },
    { "same start, new shorter",
      { { 0, 2, 1, 'A' }, { 0, 1, 1, 'B' }, { 2, 2, 0, 'Z' } },
      { "AAZZ", "BAZZ", "AAZZ", "BAZZ", "AAZZ", "AAZZ" } },
    { "new strictly contains old",
      { { 1, 1, 1, 'A' }, { 0, 3, 1, 'B' }, { 3, 1, 0, 'Z' } },
      { "BABZ", "BBBZ", "BBBZ", "BBBZ", "BBBZ", "BBBZ" } },
    { "new strictly inside old",
      { { 0, 3, 1, 'A' }, { 1, 1, 1, 'B' }, { 3, 1, 0, 'Z' } },
      { "AAAZ", "ABAZ", "AAAZ", "AAAZ", "AAAZ", "AAAZ" } },
    { "new starts before, same end",
      { { 1, 2, 1, 'A' }, { 0, 3, 1, 'B' }, { 3, 1, 0, 'Z' } },
      { "BAAZ", "BBBZ", "BBBZ", "BBBZ", "BAAZ", "BBBZ" } },
    { "new starts after, same end",
      { { 0, 3, 1, 'A' }, { 1, 2, 1, 'B' }, { 3, 1, 0, 'Z' } },
      { "AAAZ", "ABBZ", "AAAZ", "AAAZ", "AAAZ", "AAAZ" } },
    { "same extent, other bytes",
      { { 0, 2, 1, 'A' }, { 0, 2, 1, 'B' }, { 2, 2, 0, 'Z' } },
      { "AAZZ", "BBZZ", "AAZZ", "BBZZ", "AAZZ", "AAZZ" } },
    { "last fragment spans two held ones and the gap",
      { { 0, 1, 1, 'A' }, { 2, 1, 1, 'C' }, { 0, 4, 0, 'B' } },
      { "ABCB", "BBBB", "ABBB", "BBBB", "ABBB", "ABBB" } },
    { "new overlaps the front of the last fragment",
      { { 2, 2, 0, 'A' }, { 1, 2, 1, 'B' }, { 0, 1, 1, 'Z' } },
      { "ZBAA", "ZBBA", "ZBBA", "ZBBA", "ZBAA", "ZBAA" } },
    { "two last fragments, same extent, other bytes",
      { { 2, 2, 0, 'A' }, { 2, 2, 0, 'B' }, { 0, 2, 1, 'Z' } },
      { "ZZAA", "ZZBB", "ZZAA", "ZZBB", "ZZAA", "ZZAA" } },
};

static void test_overlap_pairs(void **state)
{
    (void)state;
    struct fk ks[2] = { v4k(500), v6k(500, true) };
    for (size_t ci = 0; ci < sizeof PAIRS / sizeof PAIRS[0]; ci++)
        for (int pi = 0; pi < 6; pi++)
            for (int ki = 0; ki < 2; ki++) {
                struct counters c;
                struct defrag *d = mk(POLICIES[pi], &c);
                const struct pair_case *pc = &PAIRS[ci];
                assert_false(add_units(d, &ks[ki], &pc->f[0]));
                assert_false(add_units(d, &ks[ki], &pc->f[1]));
                assert_true(add_units(d, &ks[ki], &pc->f[2]));
                char what[128];
                snprintf(what, sizeof what, "%s / %s / v%d", pc->name, PNAMES[pi],
                         ks[ki].family);
                check_units(&ks[ki], pc->want[pi], what);
                assert_int_equal(c.n[C_FRAG_OVERLAP], 1);
                assert_int_equal(c.n[C_FRAG_DUPLICATE], 0);
                assert_int_equal(defrag_held_bytes(d), 0);
                defrag_free(d);
            }
}

/* The classic target-based test pattern: nine original fragments, then
 * eight overlapping ones, the last of them ending the datagram (offsets in
 * 8-byte units). */
static const struct uf NOVAK[17] = {
    { 0, 3, 1, 'A' },  { 4, 2, 1, 'B' },  { 6, 3, 1, 'C' },  { 10, 1, 1, 'D' },
    { 13, 2, 1, 'E' }, { 15, 3, 1, 'F' }, { 18, 2, 1, 'G' }, { 20, 2, 1, 'H' },
    { 22, 1, 1, 'I' },
    { 1, 4, 1, 'J' },  { 6, 3, 1, 'K' },  { 9, 3, 1, 'L' },  { 12, 3, 1, 'M' },
    { 16, 1, 1, 'N' }, { 19, 1, 1, 'O' }, { 20, 1, 1, 'P' }, { 22, 2, 0, 'Q' },
};
static const char *const NOVAK_WANT[6] = {
    /* first   */ "AAAJBBCCCLDLMEEFFFGGHHIQ",
    /* last    */ "AJJJJBKKKLLLMMMFNFGOPHQQ",
    /* bsd     */ "AAAJJBCCCLLLMMMFFFGGHHIQ",
    /* linux   */ "AAAJJBKKKLLLMMMFFFGGPHQQ",
    /* windows */ "AAAJBBCCCLLLMEEFFFGGHHIQ",
    /* solaris */ "AAAJBBCCCLLLMMMFFFGGHHIQ",
};

static void test_novak_pattern(void **state)
{
    (void)state;
    struct fk ks[2] = { v4k(1), v6k(1, false) };
    for (int pi = 0; pi < 6; pi++)
        for (int ki = 0; ki < 2; ki++) {
            struct counters c;
            struct defrag *d = mk(POLICIES[pi], &c);
            for (int i = 0; i < 17; i++)
                assert_int_equal(add_units(d, &ks[ki], &NOVAK[i]), i == 16);
            char what[64];
            snprintf(what, sizeof what, "novak / %s / v%d", PNAMES[pi], ks[ki].family);
            check_units(&ks[ki], NOVAK_WANT[pi], what);
            assert_int_equal(c.n[C_FRAG_OVERLAP], 8);
            assert_int_equal(defrag_held_bytes(d), 0);
            defrag_free(d);
        }
}

/* The header comes from the fragment whose bytes hold offset 0. */
static void test_header_follows_byte0(void **state)
{
    (void)state;
    for (int pi = 0; pi < 6; pi++) {
        struct counters c;
        struct defrag *d = mk(POLICIES[pi], &c);
        struct fk k1 = v4k(3), k2 = v4k(3);
        k2.ttl = 99;
        k2.v4opt = 8;
        uint8_t a[16], b[16];
        memset(a, 'a', 16);
        memset(b, 'b', 16);
        assert_false(add(d, &k1, 0, true, a, 16));
        assert_false(add(d, &k2, 0, true, b, 16));
        assert_true(add(d, &k1, 16, false, a, 8));
        /* linux and last let the second offset-0 fragment win */
        bool second = POLICIES[pi] == DEFRAG_LAST || POLICIES[pi] == DEFRAG_LINUX;
        uint8_t want[24];
        memset(want, second ? 'b' : 'a', 16);
        memset(want + 16, 'a', 8);
        check_out(second ? &k2 : &k1, want, 24);
        defrag_free(d);
    }
}

/* ---- incomplete datagrams, timeouts, frames ---- */

static void test_missing_middle_finish(void **state)
{
    (void)state;
    struct counters c;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.keep_frames = true;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    uint8_t data[240];
    fill_pattern(data, sizeof data, 9);
    struct fk k = v4k(42);
    assert_false(add_t(d, &k, 0, true, data, 80, 1 * SEC));
    assert_false(add_t(d, &k, 160, false, data + 160, 80, 2 * SEC));
    assert_false(add_t(d, &k, 160, false, data + 160, 80, 3 * SEC));   /* dup: kept too */
    assert_int_equal(defrag_datagrams(d), 1);
    assert_true(defrag_held_bytes(d) >= 3 * (20 + 80) + 160);
    struct frames fs = { 0 };
    defrag_finish(d, frame_cb, &fs);
    assert_int_equal(c.n[C_FRAG_END_INCOMPLETE], 1);
    assert_int_equal(c.n[C_FRAG_TIMEOUT], 0);
    assert_int_equal(fs.n, 3);
    assert_int_equal(fs.bytes, 3 * 100);
    assert_int_equal(fs.ts[0], 1 * SEC);
    assert_int_equal(fs.ts[1], 2 * SEC);
    assert_int_equal(fs.ts[2], 3 * SEC);
    assert_int_equal(fs.first4[0][2], 0x20);   /* MF, offset 0 */
    assert_int_equal(fs.first4[1][3], 20);     /* offset 160 / 8 */
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(defrag_held_bytes(d), 0);
    defrag_finish(d, frame_cb, &fs);           /* nothing left */
    assert_int_equal(c.n[C_FRAG_END_INCOMPLETE], 1);
    defrag_free(d);
}

static void test_missing_last_expires(void **state)
{
    (void)state;
    struct counters c;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.keep_frames = true;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    uint8_t data[160];
    fill_pattern(data, sizeof data, 11);
    struct fk k1 = v6k(1, true), k2 = v6k(2, true);
    int64_t t0 = 5000 * SEC;
    assert_false(add_t(d, &k1, 0, true, data, 80, t0));
    assert_false(add_t(d, &k2, 0, true, data, 80, t0 + 10 * SEC));
    assert_false(add_t(d, &k1, 80, true, data + 80, 80, t0 + 30 * SEC));
    struct frames fs = { 0 };
    defrag_expire(d, t0 + 60 * SEC, frame_cb, &fs);        /* exactly 60 s: kept */
    assert_int_equal(defrag_datagrams(d), 2);
    defrag_expire(d, t0 + 60 * SEC + 1, frame_cb, &fs);
    assert_int_equal(c.n[C_FRAG_TIMEOUT], 1);
    assert_int_equal(defrag_datagrams(d), 1);
    assert_int_equal(fs.n, 2);
    assert_int_equal(fs.ts[0], t0);
    assert_int_equal(fs.ts[1], t0 + 30 * SEC);
    assert_int_equal(fs.caplen[0], 64 + 8 + 80);
    defrag_expire(d, t0, frame_cb, &fs);                   /* time going back: nothing */
    assert_int_equal(defrag_datagrams(d), 1);
    /* A fragment arriving after k2's timeout starts a new datagram; the old
     * one expires (frames to the drop callback) on the way. */
    struct frames dropped = { 0 };
    defrag_set_drop_cb(d, frame_cb, &dropped);
    assert_false(add_t(d, &k2, 80, false, data + 80, 80, t0 + 71 * SEC));
    assert_int_equal(c.n[C_FRAG_TIMEOUT], 2);
    assert_int_equal(dropped.n, 1);
    assert_int_equal(defrag_datagrams(d), 1);
    defrag_free(d);
}

static void test_completes_before_timeout(void **state)
{
    (void)state;
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    uint8_t data[16];
    fill_pattern(data, sizeof data, 1);
    struct fk k = v4k(5);
    assert_false(add_t(d, &k, 8, false, data + 8, 8, 10 * SEC));
    assert_true(add_t(d, &k, 0, true, data, 8, 70 * SEC));     /* age exactly 60 s */
    check_out(&k, data, 16);
    assert_false(add_t(d, &k, 8, false, data + 8, 8, 100 * SEC));
    assert_false(add_t(d, &k, 0, true, data, 8, 160 * SEC + 1));
    assert_int_equal(c.n[C_FRAG_TIMEOUT], 1);
    assert_int_equal(c.n[C_FRAG_REASSEMBLED], 1);
    defrag_free(d);
}

/* ---- tiny fragments splitting the TCP header ---- */

static void test_tiny_fragments(void **state)
{
    (void)state;
    /* TCP header (20 bytes) + "GET / HTTP/1.0\r\n\r\n" in 8-byte fragments */
    uint8_t seg[20 + 18] = { 0x04, 0xd2, 0x00, 0x50, 1, 2, 3, 4, 5, 6, 7, 8,
                             0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0 };
    memcpy(seg + 20, "GET / HTTP/1.0\r\n\r\n", 18);
    struct fk ks[2] = { v4k(0xbeef), v6k(0xbeef, true) };
    for (int ki = 0; ki < 2; ki++)
        for (int pi = 0; pi < 6; pi++) {
            struct counters c;
            struct defrag *d = mk(POLICIES[pi], &c);
            /* reverse order: the first fragment (8 bytes: ports + seq) last */
            for (int off = 32; off >= 0; off -= 8) {
                size_t len = off + 8 <= 38 ? 8 : 38 - (size_t)off;
                bool done = add(d, &ks[ki], (uint32_t)off, off != 32, seg + off, len);
                assert_int_equal(done, off == 0);
            }
            check_out(&ks[ki], seg, sizeof seg);
            defrag_free(d);
        }
}

/* ---- the 65,535-byte limit ---- */

static void send_big(struct defrag *d, const struct fk *k, const uint8_t *data, size_t total,
                     bool expect_done)
{
    size_t fsz = 1480;
    for (size_t off = 0; off < total; off += fsz) {
        size_t len = off + fsz <= total ? fsz : total - off;
        bool last = off + len == total;
        assert_int_equal(add(d, k, (uint32_t)off, !last, data + off, len), last && expect_done);
    }
}

static void test_size_limit(void **state)
{
    (void)state;
    uint8_t *data = malloc(70000);
    assert_non_null(data);
    fill_pattern(data, 70000, 13);
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);

    struct fk k4 = v4k(1);
    send_big(d, &k4, data, 65535 - 20, true);                /* total 65,535 */
    check_out(&k4, data, 65535 - 20);
    assert_int_equal(gotlen, 65535);
    assert_int_equal(got[2], 0xFF);
    assert_int_equal(got[3], 0xFF);
    send_big(d, &k4, data, 65536 - 20, false);               /* 65,536 */
    assert_int_equal(c.n[C_FRAG_OVERSIZE], 1);
    assert_int_equal(defrag_datagrams(d), 0);

    struct fk k6 = v6k(1, true);                              /* 24 ext bytes count */
    send_big(d, &k6, data, 65535 - 24, true);
    check_out(&k6, data, 65535 - 24);
    assert_int_equal(got[4] << 8 | got[5], 65535);
    send_big(d, &k6, data, 65536 - 24, false);
    assert_int_equal(c.n[C_FRAG_OVERSIZE], 2);
    assert_int_equal(defrag_datagrams(d), 0);

    struct fk k6b = v6k(2, false);
    send_big(d, &k6b, data, 65535, true);
    check_out(&k6b, data, 65535);
    assert_int_equal(gotlen, 65575);

    /* Offset 65528 with 8 bytes: past the limit whatever came before. */
    struct fk k = v4k(3);
    assert_false(add(d, &k, 0, true, data, 1480));
    assert_int_equal(defrag_datagrams(d), 1);
    assert_false(add(d, &k, 65528, false, data, 8));
    assert_int_equal(c.n[C_FRAG_OVERSIZE], 3);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(defrag_held_bytes(d), 0);

    /* The first fragment's options make it too long: found at completion
     * when the first fragment comes last. */
    struct fk kopt = v4k(4), kplain = v4k(4);
    kopt.v4opt = 40;
    size_t total = 65535 - 40;                                 /* 20 + total fits */
    for (size_t off = 1480; off < total; off += 1480) {
        size_t len = off + 1480 <= total ? 1480 : total - off;
        assert_false(add(d, &kplain, (uint32_t)off, off + len != total, data + off, len));
    }
    assert_false(add(d, &kopt, 0, true, data, 1480));
    assert_int_equal(c.n[C_FRAG_OVERSIZE], 4);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(c.n[C_FRAG_REASSEMBLED], 3);
    free(data);
    defrag_free(d);
}

/* ---- lengths ---- */

static void test_bad_length(void **state)
{
    (void)state;
    uint8_t data[200];
    fill_pattern(data, sizeof data, 17);
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    struct fk k = v4k(8);
    assert_false(add(d, &k, 0, true, data, 100));            /* not a multiple of 8 */
    assert_int_equal(c.n[C_FRAG_BAD_LENGTH], 1);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(defrag_held_bytes(d), 0);
    assert_false(add(d, &k, 104, false, data + 104, 96));
    size_t held = defrag_held_bytes(d);
    assert_false(add(d, &k, 96, true, data + 96, 0));         /* empty */
    assert_false(add(d, &k, 96, true, data + 96, 7));
    assert_int_equal(c.n[C_FRAG_BAD_LENGTH], 3);
    assert_int_equal(defrag_held_bytes(d), held);

    /* a clipped fragment (capture cut it) is not held */
    struct ip_pkt ip;
    size_t n;
    uint8_t *b = build(&k, 0, true, data, 104, &ip, &n);
    ip.clipped = true;
    const uint8_t *out;
    size_t outlen;
    assert_false(defrag_add(d, &ip, 0, 0, NULL, &out, &outlen));
    free(b);
    assert_int_equal(c.n[C_FRAG_BAD_LENGTH], 4);
    assert_int_equal(defrag_held_bytes(d), held);

    assert_true(add(d, &k, 0, true, data, 104));
    check_out(&k, data, 200);
    defrag_free(d);
}

/* ---- the last fragment ---- */

static void test_conflict_last(void **state)
{
    (void)state;
    uint8_t data[256];
    fill_pattern(data, sizeof data, 19);
    struct counters c;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.keep_frames = true;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    struct frames fs = { 0 };
    defrag_set_drop_cb(d, frame_cb, &fs);
    struct fk k = v4k(21);

    /* two last fragments with different ends */
    assert_false(add(d, &k, 0, true, data, 64));
    assert_false(add(d, &k, 128, false, data + 128, 64));
    assert_false(add(d, &k, 128, false, data + 128, 72));
    assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 1);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(fs.n, 3);                  /* two held + the offending one */

    /* data beyond a known end */
    assert_false(add(d, &k, 64, false, data + 64, 64));
    assert_false(add(d, &k, 120, true, data + 120, 16));
    assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 2);
    assert_int_equal(defrag_datagrams(d), 0);

    /* a last fragment ending before data already held */
    struct fk k6 = v6k(21, false);
    assert_false(add(d, &k6, 64, true, data + 64, 64));
    assert_false(add(d, &k6, 0, false, data, 64));
    assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 3);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(fs.n, 7);

    /* a second last fragment with the same end is fine; a non-last one
     * reaching exactly to the end too */
    assert_false(add(d, &k, 64, false, data + 64, 64));
    assert_false(add(d, &k, 64, false, data + 64, 64));
    assert_false(add(d, &k, 32, true, data + 32, 96));
    assert_true(add(d, &k, 0, true, data, 32));
    check_out(&k, data, 128);
    assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 3);
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
    assert_int_equal(c.n[C_FRAG_OVERLAP], 1);
    assert_int_equal(fs.n, 7);                  /* completed: frames not handed on */
    assert_int_equal(defrag_held_bytes(d), 0);
    defrag_free(d);
}

/* ---- keys ---- */

static void test_key_fields(void **state)
{
    (void)state;
    uint8_t data[16];
    fill_pattern(data, sizeof data, 23);
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    struct fk base = v4k(9), other_id = v4k(10), other_proto = v4k(9), other_src = v4k(9);
    other_proto.proto = 17;
    other_src.src0 = 11;
    struct fk v6 = v6k(9, false);
    struct fk *ks[5] = { &base, &other_id, &other_proto, &other_src, &v6 };
    for (int i = 0; i < 5; i++)
        assert_false(add(d, ks[i], 0, true, data, 8));
    /* other vlan */
    struct ip_pkt ip;
    size_t n;
    const uint8_t *out;
    size_t outlen;
    uint8_t *b = build(&base, 0, true, data, 8, &ip, &n);
    assert_false(defrag_add(d, &ip, 7, 1000 * SEC, NULL, &out, &outlen));
    free(b);
    assert_int_equal(defrag_datagrams(d), 6);
    b = build(&base, 8, false, data + 8, 8, &ip, &n);
    assert_true(defrag_add(d, &ip, 7, 1000 * SEC, NULL, &out, &outlen));
    assert_int_equal(outlen, 36);
    free(b);
    for (int i = 0; i < 5; i++) {
        assert_true(add(d, ks[i], 8, false, data + 8, 8));
        check_out(ks[i], data, 16);
    }
    assert_int_equal(c.n[C_FRAG_REASSEMBLED], 6);
    assert_int_equal(defrag_datagrams(d), 0);
    defrag_free(d);
}

/* ---- caps ---- */

static void test_datagram_cap(void **state)
{
    (void)state;
    uint8_t data[64];
    fill_pattern(data, sizeof data, 29);
    struct counters c;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.max_datagrams = 3;
    cfg.keep_frames = true;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    struct frames fs = { 0 };
    defrag_set_drop_cb(d, frame_cb, &fs);
    struct fk k[4] = { v4k(1), v4k(2), v4k(3), v4k(4) };
    assert_false(add(d, &k[0], 0, true, data, 32));
    assert_false(add(d, &k[0], 32, true, data + 32, 16));
    for (int i = 1; i < 4; i++)
        assert_false(add(d, &k[i], 0, true, data, 32));
    assert_int_equal(defrag_datagrams(d), 3);
    assert_int_equal(c.n[C_FRAG_TOO_MANY], 2);    /* k[0]'s two fragments */
    assert_int_equal(fs.n, 2);
    assert_false(add(d, &k[0], 48, false, data + 48, 16));   /* starts over */
    assert_int_equal(c.n[C_FRAG_TOO_MANY], 3);
    for (int i = 2; i < 4; i++) {
        assert_true(add(d, &k[i], 32, false, data + 32, 32));
        check_out(&k[i], data, 64);
    }
    defrag_free(d);

    cfg.max_datagrams = 0;
    memset(&c, 0, sizeof c);
    d = defrag_new(&cfg, &c);
    assert_false(add(d, &k[0], 0, true, data, 32));
    assert_int_equal(c.n[C_FRAG_TOO_MANY], 1);
    assert_int_equal(defrag_held_bytes(d), 0);
    defrag_free(d);
}

static void test_memcap_evicts_oldest(void **state)
{
    (void)state;
    uint8_t *data = malloc(8192);
    assert_non_null(data);
    fill_pattern(data, 8192, 31);
    struct counters c;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.max_bytes = 6000;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    struct fk a = v6k(1, false), b = v6k(2, false), e = v6k(3, false);
    assert_false(add(d, &a, 0, true, data, 2048));
    assert_false(add(d, &b, 0, true, data, 2048));
    assert_int_equal(defrag_datagrams(d), 2);
    assert_false(add(d, &e, 0, true, data, 2048));          /* a goes */
    assert_int_equal(c.n[C_FRAG_MEMCAP], 1);
    assert_int_equal(defrag_datagrams(d), 2);
    assert_true(defrag_held_bytes(d) <= 6000);
    assert_true(add(d, &b, 2048, false, data + 2048, 8));
    check_out(&b, data, 2056);
    assert_false(add(d, &a, 2048, false, data + 2048, 8));  /* a lost its start */
    /* one datagram larger than the cap: dropped with all its fragments */
    assert_false(add(d, &e, 2048, true, data + 2048, 2048));
    assert_false(add(d, &e, 4096, true, data, 2048));
    assert_true(defrag_held_bytes(d) <= 6000);
    assert_int_equal(defrag_datagrams(d), 0);
    /* a: 1 (evicted) + 1 (its new part, evicted for e); e: 2 held + 1 new */
    assert_int_equal(c.n[C_FRAG_MEMCAP], 5);
    /* a single fragment larger than the cap */
    assert_false(add(d, &a, 0, true, data, 6400));
    assert_int_equal(c.n[C_FRAG_MEMCAP], 6);
    assert_int_equal(defrag_held_bytes(d), 0);
    free(data);
    defrag_free(d);
}

/* A million fragments that never complete: held bytes never pass the cap. */
static void test_million_unmatched(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        struct counters c;
        struct defrag_config cfg;
        defrag_config_default(&cfg);
        cfg.max_bytes = 100000;
        cfg.keep_frames = keep;
        memset(&c, 0, sizeof c);
        struct defrag *d = defrag_new(&cfg, &c);
        uint8_t data[64];
        fill_pattern(data, sizeof data, 37);
        struct fk k = v6k(0, false);
        struct ip_pkt ip;
        size_t n;
        uint8_t *b = build(&k, 64, true, data, 64, &ip, &n);
        struct defrag_frame fr = { 0, (uint32_t)n, b, (uint32_t)n, 101 };
        size_t maxheld = 0;
        for (uint32_t i = 0; i < 1000000; i++) {
            ip.frag_id = i / 2;                   /* two fragments per datagram */
            ip.frag_off = 64 + (i % 2) * 128;
            const uint8_t *out;
            size_t outlen;
            assert_false(defrag_add(d, &ip, 0, (int64_t)i, &fr, &out, &outlen));
            size_t h = defrag_held_bytes(d);
            if (h > cfg.max_bytes)
                fail_msg("held %zu > cap at %u", h, i);
            if (h > maxheld)
                maxheld = h;
        }
        free(b);
        assert_true(maxheld > cfg.max_bytes / 2);
        assert_true(c.n[C_FRAG_MEMCAP] > 990000);
        assert_int_equal(c.n[C_FRAG_MEMCAP] + 2 * defrag_datagrams(d), 1000000);
        defrag_finish(d, NULL, NULL);
        assert_int_equal(defrag_held_bytes(d), 0);
        defrag_free(d);
    }
    /* same with the datagram cap binding first */
    struct counters c;
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.max_datagrams = 1000;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    uint8_t data[8] = { 0 };
    struct fk k = v4k(0);
    struct ip_pkt ip;
    size_t n;
    uint8_t *b = build(&k, 8, true, data, 8, &ip, &n);
    for (uint32_t i = 0; i < 1000000; i++) {
        ip.frag_id = i & 0xFFFF;
        ip.src[1] = (uint8_t)(i >> 16);
        const uint8_t *out;
        size_t outlen;
        assert_false(defrag_add(d, &ip, 0, 0, NULL, &out, &outlen));
        assert_true(defrag_datagrams(d) <= 1000);
    }
    free(b);
    assert_int_equal(c.n[C_FRAG_TOO_MANY], 1000000 - 1000);
    defrag_free(d);
}

/* ---- tombstones: late duplicates after completion, id reuse ---- */

/* A datagram cut at offsets cut[0..n) (cut[0] = 0), total bytes long. */
struct cuts {
    size_t n;
    uint32_t off[8];
    size_t total;
};

static uint32_t cut_len(const struct cuts *cu, size_t i)
{
    return (uint32_t)((i + 1 < cu->n ? cu->off[i + 1] : cu->total) - cu->off[i]);
}

/* Offer fragment i of the datagram (data) cut as cu at time t. */
static bool add_cut(struct defrag *d, const struct fk *k, const struct cuts *cu, size_t i,
                    const uint8_t *data, int64_t t)
{
    return add_t(d, k, cu->off[i], i + 1 < cu->n, data + cu->off[i], cut_len(cu, i), t);
}

/* Send the whole datagram in order; it must complete with the last one. */
static void send_all(struct defrag *d, const struct fk *k, const struct cuts *cu,
                     const uint8_t *data, int64_t t)
{
    for (size_t i = 0; i < cu->n; i++)
        assert_int_equal(add_cut(d, k, cu, i, data, t), i + 1 == cu->n);
    check_out(k, data, cu->total);
}

static const size_t PERM3[6][3] = {
    { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
};

/* The bug seen on real traffic: datagram A (id X) completes, one of its
 * fragments comes again (the path duplicated it), later datagram B reuses
 * id X with other bytes.  The late duplicate must neither linger as a
 * datagram in progress nor end up inside B, whatever order B's fragments
 * come in, under every policy, for IPv4 and IPv6. */
static void test_late_duplicate_then_id_reuse(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    const struct cuts cub = { 3, { 0, 1480, 2960 }, 4000 };   /* B longer: other end */
    uint8_t a[4000], b[4000];
    fill_pattern(a, sizeof a, 1);
    fill_pattern(b, sizeof b, 2);
    struct fk ks[2] = { v4k(0x4242), v6k(0x4242, false) };
    for (int ki = 0; ki < 2; ki++)
        for (int pi = 0; pi < 6; pi++)
            for (size_t dupi = 0; dupi < 3; dupi++)
                for (int bl = 0; bl < 2; bl++)
                    for (size_t o = 0; o < 6; o++) {
                        const struct cuts *cb = bl ? &cub : &cu;
                        struct counters c;
                        struct defrag *d = mk(POLICIES[pi], &c);
                        int64_t t = 1000 * SEC;
                        send_all(d, &ks[ki], &cu, a, t);
                        /* the late duplicate, twice: no datagram left behind */
                        for (int rep = 0; rep < 2; rep++) {
                            assert_false(add_cut(d, &ks[ki], &cu, dupi, a, t + 100 + rep));
                            assert_int_equal(defrag_datagrams(d), 0);
                            assert_int_equal(defrag_held_bytes(d), 0);
                        }
                        assert_int_equal(c.n[C_FRAG_DUPLICATE], 2);
                        /* 20 ms later B reuses the id */
                        for (size_t i = 0; i < 3; i++)
                            assert_int_equal(add_cut(d, &ks[ki], cb, PERM3[o][i], b,
                                                     t + 20000 + (int64_t)i),
                                             i == 2);
                        check_out(&ks[ki], b, cb->total);
                        assert_int_equal(c.n[C_FRAG_REASSEMBLED], 2);
                        assert_int_equal(c.n[C_FRAG_OVERLAP], 0);
                        assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 0);
                        assert_int_equal(defrag_datagrams(d), 0);
                        defrag_free(d);
                    }
}

static void tcp_fill(const struct fk *k, uint8_t *p, size_t n, uint32_t seed);

/* The id-reuse case found in real traffic: a datagram A that lost fragments
 * lingers; far later (more than 64 fragments from the same source) B reuses
 * its id and contradicts the held bytes: A is stale, dropped, and B comes out
 * whole.  Within 64 fragments the overlap policy decides as usual. */
static void test_stale_datagram_reinit(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    uint8_t a[3460], b[3460], x[8] = { 0 };
    for (int far = 0; far < 2; far++) {
        struct counters c;
        struct defrag *d = mk(DEFRAG_FIRST, &c);
        struct fk k = v4k(0x7777);
        tcp_fill(&k, a, sizeof a, 1);      /* B, a replacement, is checked */
        tcp_fill(&k, b, sizeof b, 2);
        int64_t t = 1000 * SEC;
        assert_false(add_cut(d, &k, &cu, 0, a, t));            /* A: first fragment only */
        int others = far ? 100 : 10;
        for (int i = 0; i < others; i++) {                       /* other datagrams, same source */
            struct fk o = v4k(0x1000 + (uint32_t)i);
            assert_false(add_t(d, &o, 0, true, x, 8, t + 1 + i));
        }
        bool done = false;
        for (size_t i = 0; i < 3; i++)
            done = add_cut(d, &k, &cu, i, b, t + 1000 + (int64_t)i);
        if (far) {
            assert_true(done);
            check_out(&k, b, cu.total);
            assert_int_equal(c.n[C_FRAG_STALE], 1);
        } else {
            assert_true(done);                                    /* first wins: A's bytes at 0 */
            assert_int_equal(c.n[C_FRAG_STALE], 0);
            assert_int_equal(c.n[C_FRAG_OVERLAP], 1);
            assert_memory_equal(got + 20, a, 1480);
        }
        defrag_free(d);
    }
}

/* data[0..n) becomes a TCP segment (20-byte header, pattern payload) whose
 * checksum is right for the addresses of k. */
static void tcp_fill(const struct fk *k, uint8_t *p, size_t n, uint32_t seed)
{
    fill_pattern(p, n, seed);
    p[12] = 0x50;
    p[16] = p[17] = 0;
    uint32_t sum = 6 + (uint32_t)n;
    uint8_t a[32];
    size_t na;
    if (k->family == 4) {
        const uint8_t v[8] = { k->src0, 0, 0, 1, 10, 0, 0, 2 };
        memcpy(a, v, 8);
        na = 8;
    } else {
        memcpy(a, V6SRC, 16);
        a[0] = k->src0;
        memcpy(a + 16, V6DST, 16);
        na = 32;
    }
    for (size_t i = 0; i < na; i += 2)
        sum += (uint32_t)a[i] << 8 | a[i + 1];
    for (size_t i = 0; i < n; i += 2)
        sum += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    p[16] = (uint8_t)(~sum >> 8);
    p[17] = (uint8_t)~sum;
}

/* 100 one-fragment datagrams of other ids from k's source: k's datagram in
 * progress falls more than 64 fragments behind. */
static void others_from_source(struct defrag *d, const struct fk *k, int64_t t)
{
    uint8_t x[8] = { 0 };
    for (uint32_t i = 0; i < 100; i++) {
        struct fk o = *k;
        o.id = k->id + 0x100 + i;
        assert_false(add_t(d, &o, 0, true, x, 8, t + i));
    }
}

/* Found on real traffic (t_realtraffic_frag, one run in five): datagram A's
 * first fragment is delayed; before it comes, datagram B of another
 * connection reuses A's id.  B's first fragment fills A's gap and would
 * complete a datagram of A's and B's bytes.  Its TCP checksum is wrong, and
 * B's fragment came long after A's: A's fragments are set aside, B completes
 * exact from its own three, and A's late first fragment waits alone.  Every
 * policy, IPv4 and IPv6, with and without kept frames. */
static void test_reuse_before_delayed_first(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    for (int fam = 4; fam <= 6; fam += 2)
        for (int pol = 0; pol < 6; pol++)
            for (int keep = 0; keep < 2; keep++) {
                struct fk k = fam == 4 ? v4k(0x0472) : v6k(0x0472, false);
                uint8_t a[3460], b[3460];
                tcp_fill(&k, a, sizeof a, 11);
                tcp_fill(&k, b, sizeof b, 12);
                struct counters c;
                struct frames fs;
                struct defrag *d = mk_frames(POLICIES[pol], keep, &c, &fs);
                int64_t t = 1000 * SEC;
                assert_false(add_cut(d, &k, &cu, 1, a, t));
                assert_false(add_cut(d, &k, &cu, 2, a, t + 1));
                others_from_source(d, &k, t + 2);
                assert_false(add_cut(d, &k, &cu, 0, b, t + 200));   /* not A0 + B1 + B2 */
                assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 2);
                assert_int_equal(fs.n, keep ? 2 : 0);                /* A1, A2 */
                assert_false(add_cut(d, &k, &cu, 1, b, t + 201));
                assert_true(add_cut(d, &k, &cu, 2, b, t + 202));
                check_out(&k, b, sizeof b);
                assert_false(add_cut(d, &k, &cu, 0, a, t + 300));   /* A's late first */
                assert_int_equal(c.n[C_FRAG_REASSEMBLED], 1);
                assert_int_equal(c.n[C_FRAG_STALE], 0);
                defrag_finish(d, frame_cb, &fs);
                assert_int_equal(c.n[C_FRAG_END_INCOMPLETE], 101);
                assert_int_equal(fs.n, keep ? 2 + 101 : 0);           /* no frame twice */
                assert_int_equal(defrag_held_bytes(d), 0);
                defrag_free(d);
            }
}

/* The mirror case: A's first fragment lingers (its others were lost); B,
 * reusing the id, sends its middle and last fragments first.  They fill A's
 * gaps: the checksum fails, A's fragment is set aside, and B's first
 * completes B. */
static void test_reuse_after_lost_fragments(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    for (int pol = 0; pol < 6; pol++) {
        struct fk k = v4k(0x0555);
        uint8_t a[3460], b[3460];
        tcp_fill(&k, a, sizeof a, 21);
        tcp_fill(&k, b, sizeof b, 22);
        struct counters c;
        struct defrag *d = mk(POLICIES[pol], &c);
        int64_t t = 1000 * SEC;
        assert_false(add_cut(d, &k, &cu, 0, a, t));
        others_from_source(d, &k, t + 1);
        assert_false(add_cut(d, &k, &cu, 1, b, t + 200));
        assert_false(add_cut(d, &k, &cu, 2, b, t + 201));
        assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 1);
        assert_true(add_cut(d, &k, &cu, 0, b, t + 202));
        check_out(&k, b, sizeof b);
        assert_int_equal(defrag_datagrams(d), 100);
        defrag_free(d);
    }
}

/* Found on real traffic (t_realtraffic_frag under load, one run in ten):
 * datagram A keeps its first two fragments, its last is delayed ~40 ms.  B,
 * of another connection, reuses the id: B's first contradicts A's and shows
 * A stale (A is dropped, B starts afresh).  Then A's delayed last fragment
 * comes before B's own and completes B: a segment of B's head and A's tail,
 * with a wrong TCP checksum.  It is not delivered: that fragment is set aside
 * and B's own last one completes B exact.  Every policy, IPv4 and IPv6, with
 * and without kept frames.  The other order (A's fragment fills B's gap and
 * B's middle completes it) delivers nothing either. */
static void test_stale_then_delayed_fragment(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    for (int fam = 4; fam <= 6; fam += 2)
        for (int pol = 0; pol < 6; pol++)
            for (int keep = 0; keep < 2; keep++)
                for (int order = 0; order < 2; order++) {
                    struct fk k = fam == 4 ? v4k(0x0a73) : v6k(0x0a73, false);
                    uint8_t a[3460], b[3460];
                    tcp_fill(&k, a, sizeof a, 61);
                    tcp_fill(&k, b, sizeof b, 62);
                    struct counters c;
                    struct frames fs;
                    struct defrag *d = mk_frames(POLICIES[pol], keep, &c, &fs);
                    int64_t t = 1000 * SEC;
                    assert_false(add_cut(d, &k, &cu, 0, a, t));
                    assert_false(add_cut(d, &k, &cu, 1, a, t + 1));
                    others_from_source(d, &k, t + 2);
                    assert_false(add_cut(d, &k, &cu, 0, b, t + 200));    /* A is stale */
                    assert_int_equal(c.n[C_FRAG_STALE], 1);
                    assert_int_equal(fs.n, keep ? 2 : 0);                /* A0, A1 */
                    if (order == 0) {
                        assert_false(add_cut(d, &k, &cu, 1, b, t + 201));
                        assert_false(add_cut(d, &k, &cu, 2, a, t + 202)); /* not B0 B1 A2 */
                        assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 1);
                        assert_int_equal(fs.n, keep ? 3 : 0);
                        assert_true(add_cut(d, &k, &cu, 2, b, t + 203));
                        check_out(&k, b, sizeof b);
                        assert_int_equal(c.n[C_FRAG_REASSEMBLED], 1);
                    } else {
                        assert_false(add_cut(d, &k, &cu, 2, a, t + 201));
                        assert_false(add_cut(d, &k, &cu, 1, b, t + 202)); /* not B0 B1 A2 */
                        assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 1);
                        assert_false(add_cut(d, &k, &cu, 2, b, t + 203));
                        assert_int_equal(c.n[C_FRAG_REASSEMBLED], 0);
                    }
                    defrag_finish(d, frame_cb, &fs);
                    assert_int_equal(defrag_held_bytes(d), 0);
                    defrag_free(d);
                }
}

/* Found on real traffic too: datagram X keeps only its middle fragment
 * (first delayed, last lost).  Y reuses the id far later: Y's first joins X
 * (late), Y's middle contradicts X's middle.  Under "first" X's bytes would
 * win and Y could never complete right; instead X's fragment is set aside
 * as soon as the contradiction shows, and Y completes exact.  The same for
 * an end that contradicts X's: Y's last fragment ends elsewhere. */
static void test_reuse_contradicts_older(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    const struct cuts cux = { 3, { 0, 1480, 2960 }, 4000 };
    for (int pol = 0; pol < 6; pol++)
        for (int endcase = 0; endcase < 2; endcase++) {
            struct fk k = v4k(0xb915);
            uint8_t x[4000], y[3460];
            tcp_fill(&k, x, sizeof x, 51);
            tcp_fill(&k, y, sizeof y, 52);
            struct counters c;
            struct defrag *d = mk(POLICIES[pol], &c);
            int64_t t = 1000 * SEC;
            if (endcase)
                assert_false(add_cut(d, &k, &cux, 2, x, t));   /* X's last: other end */
            else
                assert_false(add_cut(d, &k, &cux, 1, x, t));   /* X's middle */
            others_from_source(d, &k, t + 1);
            assert_false(add_cut(d, &k, &cu, 0, y, t + 200));  /* late join */
            assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 0);
            if (endcase) {
                assert_false(add_cut(d, &k, &cu, 2, y, t + 201));  /* contradicts X's end */
                assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 1);
                assert_true(add_cut(d, &k, &cu, 1, y, t + 202));
            } else {
                assert_false(add_cut(d, &k, &cu, 1, y, t + 201));  /* contradicts X's bytes */
                assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 1);
                assert_true(add_cut(d, &k, &cu, 2, y, t + 202));
            }
            check_out(&k, y, sizeof y);
            assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 0);
            assert_int_equal(c.n[C_FRAG_STALE], 0);
            defrag_free(d);
        }
}

/* What the checksum must not change: a fragment delayed past many others
 * that completes its own datagram (right checksum) comes out; a wrong
 * checksum without a late fragment is delivered as before (captures with
 * rewritten addresses); a late join into a datagram that cannot be checked
 * (UDP, IPv6 with extension headers) is delivered as before, mixed bytes and
 * all - the limit of any reassembler keyed by id. */
static void test_checksum_only_decides_late_joins(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    uint8_t a[3460], b[3460];
    struct counters c;

    struct fk k = v4k(0x0600);
    tcp_fill(&k, a, sizeof a, 31);
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    assert_false(add_cut(d, &k, &cu, 1, a, 1000 * SEC));
    assert_false(add_cut(d, &k, &cu, 2, a, 1000 * SEC));
    others_from_source(d, &k, 1000 * SEC);
    assert_true(add_cut(d, &k, &cu, 0, a, 1001 * SEC));
    check_out(&k, a, sizeof a);
    assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 0);
    defrag_free(d);

    a[100] ^= 0xFF;                                     /* wrong checksum */
    d = mk(DEFRAG_FIRST, &c);
    assert_false(add_cut(d, &k, &cu, 1, a, 1000 * SEC));
    assert_false(add_cut(d, &k, &cu, 2, a, 1000 * SEC));
    assert_true(add_cut(d, &k, &cu, 0, a, 1000 * SEC));
    check_out(&k, a, sizeof a);
    assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 0);
    defrag_free(d);

    struct fk ks[2] = { v4k(0x0601), v6k(0x0601, true) };
    ks[0].proto = 17;
    for (int i = 0; i < 2; i++) {
        tcp_fill(&ks[i], a, sizeof a, 41);
        tcp_fill(&ks[i], b, sizeof b, 42);
        d = mk(DEFRAG_FIRST, &c);
        assert_false(add_cut(d, &ks[i], &cu, 1, a, 1000 * SEC));
        assert_false(add_cut(d, &ks[i], &cu, 2, a, 1000 * SEC));
        others_from_source(d, &ks[i], 1000 * SEC);
        assert_true(add_cut(d, &ks[i], &cu, 0, b, 1001 * SEC));
        size_t hl = ks[i].family == 4 ? 20 : 64;
        assert_memory_equal(got + hl, b, 1480);
        assert_memory_equal(got + hl + 1480, a + 1480, 3460 - 1480);
        assert_int_equal(c.n[C_FRAG_STALE_SPLIT], 0);
        defrag_free(d);
    }
}

/* Without tombstones (tombstone_us = 0) the same sequence corrupts B under
 * "first": the test above can fail. */
static void test_without_tombstones_corrupts(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    uint8_t a[3460], b[3460];
    fill_pattern(a, sizeof a, 1);
    fill_pattern(b, sizeof b, 2);
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.tombstone_us = 0;
    struct counters c;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    struct fk k = v4k(7);
    send_all(d, &k, &cu, a, 1000 * SEC);
    assert_false(add_cut(d, &k, &cu, 1, a, 1000 * SEC + 1));
    assert_int_equal(defrag_datagrams(d), 1);              /* lingers */
    assert_int_equal(defrag_tombstones(d), 0);
    assert_false(add_cut(d, &k, &cu, 0, b, 1000 * SEC + 2));
    assert_false(add_cut(d, &k, &cu, 1, b, 1000 * SEC + 3));
    assert_true(add_cut(d, &k, &cu, 2, b, 1000 * SEC + 4));
    assert_int_equal(gotlen, 20 + 3460);
    assert_memory_equal(got + 20 + 1480, a + 1480, 1480); /* A's stale bytes */
    assert_memory_not_equal(got + 20, b, 3460);
    defrag_free(d);
}

/* Late duplicates arriving while B is in progress: one that conflicts with
 * what B holds (other bytes over the same range, or another end) is dropped
 * and B survives intact. */
static void test_late_duplicate_during_reuse(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    const struct cuts cub = { 3, { 0, 1480, 2960 }, 4000 };
    uint8_t a[4000], b[4000];
    fill_pattern(a, sizeof a, 3);
    fill_pattern(b, sizeof b, 4);
    for (int pi = 0; pi < 6; pi++) {
        for (size_t dupi = 0; dupi < 3; dupi++) {
            /* B's fragment dupi first, then A's duplicate of it */
            struct counters c;
            struct defrag *d = mk(POLICIES[pi], &c);
            struct fk k = v4k(9);
            send_all(d, &k, &cu, a, SEC);
            assert_false(add_cut(d, &k, &cub, dupi, b, SEC + 10));
            assert_false(add_cut(d, &k, &cu, dupi, a, SEC + 11));
            assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
            assert_int_equal(defrag_datagrams(d), 1);
            for (size_t i = 0; i < 3; i++)
                if (i != dupi)
                    add_cut(d, &k, &cub, i, b, SEC + 12);
            check_out(&k, b, 4000);
            assert_int_equal(c.n[C_FRAG_REASSEMBLED], 2);
            assert_int_equal(c.n[C_FRAG_OVERLAP] + c.n[C_FRAG_CONFLICT_LAST], 0);
            defrag_free(d);
        }
        /* A's last fragment (end 3460) after B's last (end 4000): another end */
        struct counters c;
        struct defrag *d = mk(POLICIES[pi], &c);
        struct fk k = v6k(9, true);
        send_all(d, &k, &cu, a, SEC);
        assert_false(add_cut(d, &k, &cub, 2, b, SEC + 10));
        assert_false(add_cut(d, &k, &cu, 2, a, SEC + 11));
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
        assert_int_equal(c.n[C_FRAG_CONFLICT_LAST], 0);
        assert_false(add_cut(d, &k, &cub, 0, b, SEC + 12));
        assert_true(add_cut(d, &k, &cub, 1, b, SEC + 13));
        check_out(&k, b, 4000);
        defrag_free(d);
    }
}

/* A new datagram whose fragment carries exactly the bytes of the old one's
 * at the same place (zero-filled data, say): once the new datagram is in
 * progress, that fragment fits it without conflict and is taken. */
static void test_reuse_with_same_fragment(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    uint8_t a[3460], b[3460];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    a[0] = 1;                       /* first and last fragments differ */
    a[3000] = 1;
    b[0] = 2;
    b[3000] = 2;
    for (int pi = 0; pi < 6; pi++) {
        struct counters c;
        struct defrag *d = mk(POLICIES[pi], &c);
        struct fk k = v4k(11);
        send_all(d, &k, &cu, a, SEC);
        send_all(d, &k, &cu, b, SEC + 20000);   /* the middle one is A's again */
        assert_int_equal(c.n[C_FRAG_REASSEMBLED], 2);
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 0);
        assert_int_equal(defrag_datagrams(d), 0);
        defrag_free(d);
    }
}

/* The dropped late duplicate's frame goes to the drop callback. */
static void test_late_duplicate_frame(void **state)
{
    (void)state;
    const struct cuts cu = { 2, { 0, 8 }, 16 };
    uint8_t a[16];
    fill_pattern(a, sizeof a, 5);
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.keep_frames = true;
    struct counters c;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    struct frames fs = { 0 };
    defrag_set_drop_cb(d, frame_cb, &fs);
    struct fk k = v4k(13);
    send_all(d, &k, &cu, a, SEC);
    assert_int_equal(fs.n, 0);
    assert_false(add_cut(d, &k, &cu, 1, a, SEC));
    assert_int_equal(fs.n, 1);
    assert_int_equal(fs.caplen[0], 20 + 8);
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
    assert_int_equal(defrag_held_bytes(d), 0);
    defrag_free(d);
}

/* Tombstones live min(tombstone_us, timeout_us); exactly that age still
 * counts.  A fragment that differs in any way (offset, length, MF, one byte)
 * is not a late duplicate. */
static void test_tombstone_age_and_match(void **state)
{
    (void)state;
    const struct cuts cu = { 2, { 0, 80 }, 160 };
    uint8_t a[160];
    fill_pattern(a, sizeof a, 6);
    for (int v = 0; v < 3; v++) {
        struct defrag_config cfg;
        defrag_config_default(&cfg);
        int64_t life = 10 * SEC;
        if (v == 1) {
            cfg.timeout_us = 2 * SEC;
            life = 2 * SEC;
        } else if (v == 2) {
            cfg.tombstone_us = 500000;
            life = 500000;
        }
        struct counters c;
        memset(&c, 0, sizeof c);
        struct defrag *d = defrag_new(&cfg, &c);
        struct fk k = v4k(21);
        int64_t t0 = 100 * SEC;
        send_all(d, &k, &cu, a, t0);
        assert_int_equal(defrag_tombstones(d), 1);
        assert_true(defrag_tombstone_bytes(d) > 0);
        assert_false(add_cut(d, &k, &cu, 0, a, t0 + life));
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
        assert_int_equal(defrag_datagrams(d), 0);
        defrag_expire(d, t0 + life, NULL, NULL);
        assert_int_equal(defrag_tombstones(d), 1);
        defrag_expire(d, t0 + life + 1, NULL, NULL);
        assert_int_equal(defrag_tombstones(d), 0);
        assert_int_equal(defrag_tombstone_bytes(d), 0);
        assert_false(add_cut(d, &k, &cu, 0, a, t0 + life + 1));
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
        assert_int_equal(defrag_datagrams(d), 1);
        defrag_free(d);
    }
    /* near misses */
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    struct fk k = v4k(22), k2 = v4k(22);
    k2.proto = 17;
    send_all(d, &k, &cu, a, SEC);
    uint8_t x[80];
    memcpy(x, a + 80, 80);
    x[79] ^= 1;
    assert_false(add_t(d, &k, 80, false, x, 80, SEC));          /* one byte */
    assert_int_equal(defrag_datagrams(d), 1);
    defrag_finish(d, NULL, NULL);
    send_all(d, &k, &cu, a, SEC);
    assert_false(add_t(d, &k, 80, true, a + 80, 80, SEC));      /* MF set */
    assert_int_equal(defrag_datagrams(d), 1);
    defrag_finish(d, NULL, NULL);
    send_all(d, &k, &cu, a, SEC);
    assert_false(add_t(d, &k, 80, false, a + 80, 72, SEC));     /* shorter */
    assert_int_equal(defrag_datagrams(d), 1);
    defrag_finish(d, NULL, NULL);
    send_all(d, &k, &cu, a, SEC);
    assert_false(add_t(d, &k, 88, false, a + 88, 72, SEC));     /* a piece of it */
    assert_int_equal(defrag_datagrams(d), 1);
    defrag_finish(d, NULL, NULL);
    send_all(d, &k, &cu, a, SEC);
    assert_false(add_t(d, &k2, 80, false, a + 80, 80, SEC));    /* another key */
    assert_int_equal(defrag_datagrams(d), 1);
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 0);
    defrag_finish(d, NULL, NULL);
    assert_int_equal(defrag_tombstones(d) + defrag_tombstone_bytes(d), 0);
    defrag_free(d);
}

/* The key's tombstone accumulates the fragments of its recent datagrams
 * (newest 64): a late duplicate of A still matches after B completed. */
static void test_tombstone_keeps_earlier_datagrams(void **state)
{
    (void)state;
    const struct cuts cu = { 3, { 0, 1480, 2960 }, 3460 };
    uint8_t a[3460], b[3460];
    fill_pattern(a, sizeof a, 7);
    fill_pattern(b, sizeof b, 8);
    struct counters c;
    struct defrag *d = mk(DEFRAG_FIRST, &c);
    struct fk k = v4k(23);
    send_all(d, &k, &cu, a, SEC);
    send_all(d, &k, &cu, b, SEC + 20000);
    for (size_t i = 0; i < 3; i++) {
        assert_false(add_cut(d, &k, &cu, i, a, SEC + 30000));
        assert_false(add_cut(d, &k, &cu, i, b, SEC + 30000));
    }
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 6);
    assert_int_equal(defrag_datagrams(d), 0);
    assert_int_equal(defrag_tombstones(d), 1);
    /* 20 more datagrams of 3 fragments: 66 entries, A's first two go */
    for (int i = 0; i < 20; i++) {
        uint8_t x[3460];
        fill_pattern(x, sizeof x, 100 + (uint32_t)i);
        send_all(d, &k, &cu, x, SEC + 40000);
    }
    assert_false(add_cut(d, &k, &cu, 2, a, SEC + 50000));
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 7);                 /* A's last still there */
    assert_false(add_cut(d, &k, &cu, 0, a, SEC + 50000));
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 7);                 /* A's first gone */
    assert_int_equal(defrag_datagrams(d), 1);
    defrag_free(d);
}

/* At most 64 distinct fragments per datagram are remembered; a datagram
 * made of more leaves no tombstone.  Exact duplicates count once. */
static void test_tombstone_fragment_limit(void **state)
{
    (void)state;
    uint8_t a[8 * 70];
    fill_pattern(a, sizeof a, 9);
    for (uint32_t nf = 63; nf <= 65; nf++) {
        struct counters c;
        struct defrag *d = mk(DEFRAG_FIRST, &c);
        struct fk k = v6k(31, false);
        for (uint32_t i = 0; i < nf; i++) {
            assert_int_equal(add(d, &k, i * 8, i + 1 < nf, a + i * 8, 8), i + 1 == nf);
            if (i == 0)
                assert_false(add(d, &k, 0, true, a, 8));        /* exact duplicate */
        }
        check_out(&k, a, nf * 8);
        assert_int_equal(defrag_tombstones(d), nf <= 64);
        assert_false(add(d, &k, 8, true, a + 8, 8));
        assert_int_equal(defrag_datagrams(d), nf > 64);
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 1 + (nf <= 64));
        defrag_free(d);
    }
}

/* The count cap evicts the oldest tombstone. */
static void test_tombstone_count_cap(void **state)
{
    (void)state;
    const struct cuts cu = { 2, { 0, 8 }, 16 };
    uint8_t a[16];
    fill_pattern(a, sizeof a, 10);
    for (int v = 0; v < 2; v++) {
        struct defrag_config cfg;
        defrag_config_default(&cfg);
        uint32_t cap = 8192;
        if (v == 1)
            cfg.max_tombstones = cap = 4;
        struct counters c;
        memset(&c, 0, sizeof c);
        struct defrag *d = defrag_new(&cfg, &c);
        for (uint32_t id = 0; id <= cap; id++) {
            struct fk k = v4k(id);
            send_all(d, &k, &cu, a, SEC + id);
        }
        assert_int_equal(defrag_tombstones(d), cap);
        struct fk k0 = v4k(0), k1 = v4k(1);
        assert_false(add_cut(d, &k1, &cu, 0, a, 2 * SEC));     /* still there */
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
        assert_int_equal(defrag_datagrams(d), 0);
        assert_false(add_cut(d, &k0, &cu, 0, a, 2 * SEC));     /* evicted */
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
        assert_int_equal(defrag_datagrams(d), 1);
        defrag_free(d);
    }
    /* max_tombstones = 0: none */
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.max_tombstones = 0;
    struct counters c;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    struct fk k = v4k(1);
    send_all(d, &k, &cu, a, SEC);
    assert_int_equal(defrag_tombstones(d), 0);
    defrag_free(d);
}

/* Tombstones count against max_bytes together with the datagrams in
 * progress, and give way to them (oldest first) without counting. */
static void test_tombstone_memory(void **state)
{
    (void)state;
    const struct cuts cu = { 2, { 0, 8 }, 16 };
    uint8_t a[16];
    fill_pattern(a, sizeof a, 11);
    struct defrag_config cfg;
    defrag_config_default(&cfg);
    cfg.max_bytes = 20000;
    struct counters c;
    memset(&c, 0, sizeof c);
    struct defrag *d = defrag_new(&cfg, &c);
    for (uint32_t id = 0; id < 1000; id++) {
        struct fk k = v4k(id);
        send_all(d, &k, &cu, a, SEC);
        assert_true(defrag_held_bytes(d) + defrag_tombstone_bytes(d) <= cfg.max_bytes);
    }
    size_t nt = defrag_tombstones(d);
    assert_true(nt > 20 && nt < 1000);
    struct fk klast = v4k(999), kfirst = v4k(0);
    assert_false(add_cut(d, &klast, &cu, 1, a, SEC));          /* newest kept */
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
    assert_false(add_cut(d, &kfirst, &cu, 1, a, SEC));         /* oldest gone */
    assert_int_equal(c.n[C_FRAG_DUPLICATE], 1);
    defrag_finish(d, NULL, NULL);
    /* a datagram in progress takes the room of the tombstones */
    uint8_t *big = malloc(16000);
    assert_non_null(big);
    fill_pattern(big, 16000, 12);
    struct fk kb = v6k(77, false);
    for (uint32_t id = 0; id < 1000; id++) {
        struct fk k = v4k(id);
        send_all(d, &k, &cu, a, SEC);
    }
    assert_false(add(d, &kb, 0, true, big, 16000));
    assert_int_equal(c.n[C_FRAG_MEMCAP], 0);
    assert_int_equal(defrag_datagrams(d), 1);
    assert_true(defrag_tombstones(d) < nt);
    assert_true(defrag_held_bytes(d) + defrag_tombstone_bytes(d) <= cfg.max_bytes);
    free(big);
    defrag_free(d);
}

/* A million fragments: datagrams completing, each fragment duplicated late,
 * under a small byte cap and the count cap: held + tombstone bytes never
 * pass the cap, every late duplicate is recognised, nothing lingers. */
static void test_million_with_tombstones(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        struct counters c;
        struct defrag_config cfg;
        defrag_config_default(&cfg);
        if (v == 0)
            cfg.max_bytes = 100000;
        memset(&c, 0, sizeof c);
        struct defrag *d = defrag_new(&cfg, &c);
        uint8_t data[128];
        fill_pattern(data, sizeof data, 41);
        struct fk k = v4k(0);
        struct ip_pkt ip;
        size_t n;
        uint8_t *b = build(&k, 0, true, data, 64, &ip, &n);
        size_t maxt = 0;
        for (uint32_t i = 0; i < 1000000; i++) {
            uint32_t dg = i / 4, step = i % 4;         /* frag 0, frag 1, dup 0, dup 1 */
            ip.frag_id = dg & 0xFFFF;
            ip.src[1] = (uint8_t)(dg >> 16);
            ip.frag_off = (step & 1) * 64;
            ip.frag_more = !(step & 1);
            ip.l4 = b + 20;
            data[0] = (uint8_t)dg;                     /* ids come back with other bytes */
            memcpy(b + 20, data + ip.frag_off, 64);
            const uint8_t *out;
            size_t outlen;
            bool done = defrag_add(d, &ip, 0, (int64_t)i, NULL, &out, &outlen);
            assert_int_equal(done, step == 1);
            size_t h = defrag_held_bytes(d) + defrag_tombstone_bytes(d);
            if (h > cfg.max_bytes)
                fail_msg("held %zu > cap at %u", h, i);
            if (defrag_tombstone_bytes(d) > maxt)
                maxt = defrag_tombstone_bytes(d);
            if (step >= 2)
                assert_int_equal(defrag_datagrams(d), 0);
        }
        free(b);
        assert_int_equal(c.n[C_FRAG_REASSEMBLED], 250000);
        assert_int_equal(c.n[C_FRAG_DUPLICATE], 500000);
        assert_int_equal(defrag_datagrams(d), 0);
        if (v == 0)
            assert_true(maxt > cfg.max_bytes / 2);
        else
            assert_int_equal(defrag_tombstones(d), 8192);
        defrag_finish(d, NULL, NULL);
        assert_int_equal(defrag_tombstone_bytes(d) + defrag_held_bytes(d), 0);
        defrag_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_config_and_parse, teardown_got),
        cmocka_unit_test_teardown(test_orders, teardown_got),
        cmocka_unit_test_teardown(test_duplicates, teardown_got),
        cmocka_unit_test_teardown(test_duplicate_last_completes, teardown_got),
        cmocka_unit_test_teardown(test_overlap_pairs, teardown_got),
        cmocka_unit_test_teardown(test_novak_pattern, teardown_got),
        cmocka_unit_test_teardown(test_header_follows_byte0, teardown_got),
        cmocka_unit_test_teardown(test_missing_middle_finish, teardown_got),
        cmocka_unit_test_teardown(test_missing_last_expires, teardown_got),
        cmocka_unit_test_teardown(test_completes_before_timeout, teardown_got),
        cmocka_unit_test_teardown(test_tiny_fragments, teardown_got),
        cmocka_unit_test_teardown(test_size_limit, teardown_got),
        cmocka_unit_test_teardown(test_bad_length, teardown_got),
        cmocka_unit_test_teardown(test_conflict_last, teardown_got),
        cmocka_unit_test_teardown(test_key_fields, teardown_got),
        cmocka_unit_test_teardown(test_datagram_cap, teardown_got),
        cmocka_unit_test_teardown(test_memcap_evicts_oldest, teardown_got),
        cmocka_unit_test_teardown(test_million_unmatched, teardown_got),
        cmocka_unit_test_teardown(test_late_duplicate_then_id_reuse, teardown_got),
        cmocka_unit_test_teardown(test_stale_datagram_reinit, teardown_got),
        cmocka_unit_test_teardown(test_reuse_before_delayed_first, teardown_got),
        cmocka_unit_test_teardown(test_reuse_after_lost_fragments, teardown_got),
        cmocka_unit_test_teardown(test_reuse_contradicts_older, teardown_got),
        cmocka_unit_test_teardown(test_stale_then_delayed_fragment, teardown_got),
        cmocka_unit_test_teardown(test_checksum_only_decides_late_joins, teardown_got),
        cmocka_unit_test_teardown(test_without_tombstones_corrupts, teardown_got),
        cmocka_unit_test_teardown(test_late_duplicate_during_reuse, teardown_got),
        cmocka_unit_test_teardown(test_reuse_with_same_fragment, teardown_got),
        cmocka_unit_test_teardown(test_late_duplicate_frame, teardown_got),
        cmocka_unit_test_teardown(test_tombstone_age_and_match, teardown_got),
        cmocka_unit_test_teardown(test_tombstone_keeps_earlier_datagrams, teardown_got),
        cmocka_unit_test_teardown(test_tombstone_fragment_limit, teardown_got),
        cmocka_unit_test_teardown(test_tombstone_count_cap, teardown_got),
        cmocka_unit_test_teardown(test_tombstone_memory, teardown_got),
        cmocka_unit_test_teardown(test_million_with_tombstones, teardown_got),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
