/* test_ip.c - IPv4 and IPv6 header decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/ip.h"

struct pb {
    uint8_t b[2048];
    size_t n;
};

static void pb_put(struct pb *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

#define PUT(p, ...) \
    pb_put((p), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static const uint8_t TCPHDR[20] = { 0x04, 0xd2, 0x00, 0x50, 1, 2, 3, 4, 5, 6, 7, 8,
                                    0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0 };
static const uint8_t V6SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t V6DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

/* Decode an exact heap copy of p[0..n). */
static bool dec(const uint8_t *p, size_t n, struct ip_pkt *o, enum counter_id *why,
                uint8_t **copy)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, p, n);
    *copy = c;
    return ip_decode(c, n, o, why);
}

/* IPv4 header with IHL ihl (options zero-filled = EOL), then body. */
static void put_v4(struct pb *p, unsigned ihl, uint16_t total, uint16_t id, uint16_t fl,
                   uint8_t proto)
{
    PUT(p, (uint8_t)(0x40 | ihl), 0, (uint8_t)(total >> 8), (uint8_t)total,
        (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(fl >> 8), (uint8_t)fl, 64, proto, 0, 0,
        192, 168, 1, 1, 10, 0, 0, 2);
    for (unsigned i = 5; i < ihl; i++)
        PUT(p, 1, 1, 1, 0);
}

static void test_v4_basic(void **state)
{
    (void)state;
    struct pb p = { .n = 0 };
    put_v4(&p, 5, 20 + 20 + 5, 0x1234, 0x4000, 6);   /* DF set */
    pb_put(&p, TCPHDR, 20);
    pb_put(&p, "hello", 5);
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.family, 4);
    const uint8_t src[16] = { 192, 168, 1, 1 }, dst[16] = { 10, 0, 0, 2 };
    assert_memory_equal(o.src, src, 16);
    assert_memory_equal(o.dst, dst, 16);
    assert_int_equal(o.proto, 6);
    assert_ptr_equal(o.l4, c + 20);
    assert_int_equal(o.l4len, 25);
    assert_false(o.frag);
    assert_false(o.clipped);
    assert_ptr_equal(o.hdr, c);
    assert_int_equal(o.hdrlen, 20);
    free(c);
}

static void test_v4_options_padding_clipping(void **state)
{
    (void)state;
    struct pb p = { .n = 0 };
    put_v4(&p, 7, 28 + 20 + 1, 1, 0, 6);
    pb_put(&p, TCPHDR, 20);
    PUT(&p, 'Z', 0, 0, 0, 0, 0);           /* 1 byte, then 5 bytes link padding */
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_ptr_equal(o.l4, c + 28);
    assert_int_equal(o.l4len, 21);         /* padding excluded (#261) */
    assert_int_equal(o.hdrlen, 28);
    assert_false(o.clipped);
    free(c);

    /* every truncation: header incomplete -> IP_TRUNCATED, else clipped */
    for (size_t L = 0; L < p.n; L++) {
        bool ok = dec(p.b, L, &o, &why, &c);
        if (L < 28) {
            assert_false(ok);
            assert_int_equal(why, C_IP_TRUNCATED);
        } else {
            assert_true(ok);
            size_t want = L < 49 ? L - 28 : 21;
            assert_int_equal(o.l4len, want);
            assert_int_equal(o.clipped, L < 49);
        }
        free(c);
    }
}

static void test_v4_total_length_zero(void **state)
{
    (void)state;
    struct pb p = { .n = 0 };
    put_v4(&p, 5, 0, 7, 0, 6);             /* TSO capture */
    pb_put(&p, TCPHDR, 20);
    for (int i = 0; i < 3000; i += 1000) {
        uint8_t k[1000];
        memset(k, 'a' + i / 1000, sizeof k);
        if (p.n + sizeof k > sizeof p.b)
            break;
        pb_put(&p, k, sizeof k);
    }
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.l4len, p.n - 20);
    assert_false(o.clipped);
    free(c);
}

static void test_v4_bad(void **state)
{
    (void)state;
    struct pb p = { .n = 0 };
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;

    put_v4(&p, 4, 40, 0, 0, 6);            /* IHL 4 */
    pb_put(&p, TCPHDR, 20);
    assert_false(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(why, C_IP_BAD_HEADER);
    free(c);

    p.n = 0;
    put_v4(&p, 6, 22, 0, 0, 6);            /* total < header */
    pb_put(&p, TCPHDR, 20);
    assert_false(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(why, C_IP_BAD_HEADER);
    free(c);

    p.n = 0;
    put_v4(&p, 15, 100, 0, 0, 6);          /* 60-byte header, 40 captured */
    p.n = 40;
    assert_false(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(why, C_IP_TRUNCATED);
    free(c);

    p.b[0] = 0x55;                         /* version 5 */
    assert_false(dec(p.b, 40, &o, &why, &c));
    assert_int_equal(why, C_IP_BAD_VERSION);
    free(c);

    assert_false(dec(p.b, 0, &o, &why, &c));
    assert_int_equal(why, C_IP_TRUNCATED);
    free(c);
}

static void test_v4_fragments(void **state)
{
    (void)state;
    struct {
        uint16_t fl;
        bool frag, more;
        uint32_t off;
    } cases[] = {
        { 0x2000, true, true, 0 },         /* first: MF */
        { 0x20b9, true, true, 1480 },      /* middle */
        { 0x00b9, true, false, 1480 },     /* last */
        { 0x4000, false, false, 0 },       /* DF only */
        { 0x0000, false, false, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb p = { .n = 0 };
        put_v4(&p, 5, 48, 0xbeef, cases[i].fl, 6);
        PUT(&p, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
            21, 22, 23, 24, 25, 26, 27, 28);
        struct ip_pkt o;
        enum counter_id why;
        uint8_t *c;
        assert_true(dec(p.b, p.n, &o, &why, &c));
        assert_int_equal(o.frag, cases[i].frag);
        assert_int_equal(o.frag_more, cases[i].more);
        assert_int_equal(o.frag_off, cases[i].off);
        assert_int_equal(o.frag_id, 0xbeef);
        assert_int_equal(o.proto, 6);
        assert_ptr_equal(o.hdr, c);
        assert_int_equal(o.hdrlen, 20);
        assert_ptr_equal(o.l4, c + 20);
        assert_int_equal(o.l4len, 28);
        free(c);
    }
}

/* ---- IPv6 -------------------------------------------------------------- */

static void put_v6(struct pb *p, uint16_t plen, uint8_t nh)
{
    PUT(p, 0x60, 0, 0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, nh, 64);
    pb_put(p, V6SRC, 16);
    pb_put(p, V6DST, 16);
}

static void test_v6_basic_and_padding(void **state)
{
    (void)state;
    struct pb p = { .n = 0 };
    put_v6(&p, 23, 6);
    pb_put(&p, TCPHDR, 20);
    PUT(&p, 'a', 'b', 'c', 0, 0, 0, 0);    /* 4 bytes of trailer */
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.family, 6);
    assert_memory_equal(o.src, V6SRC, 16);
    assert_memory_equal(o.dst, V6DST, 16);
    assert_int_equal(o.proto, 6);
    assert_ptr_equal(o.l4, c + 40);
    assert_int_equal(o.l4len, 23);
    assert_false(o.frag);
    assert_false(o.clipped);
    free(c);
    for (size_t L = 0; L < 63; L++) {
        bool ok = dec(p.b, L, &o, &why, &c);
        if (L < 40) {
            assert_false(ok);
            assert_int_equal(why, C_IP_TRUNCATED);
        } else {
            assert_true(ok);
            assert_int_equal(o.l4len, L - 40);
            assert_true(o.clipped);
        }
        free(c);
    }
}

/* HBH (8) + Routing (24) + Destination Options (16) + atomic Fragment (8)
 * + TCP: decoded as an ordinary packet. */
static void build_chain(struct pb *p, const char *data, size_t dlen)
{
    put_v6(p, (uint16_t)(8 + 24 + 16 + 8 + 20 + dlen), 0);
    PUT(p, 43, 0, 1, 4, 0, 0, 0, 0);                          /* HBH, PadN */
    PUT(p, 60, 2, 0, 1, 0, 0, 0, 0);                          /* Routing type 0 */
    pb_put(p, V6DST, 16);
    PUT(p, 44, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); /* DestOpts, PadN */
    PUT(p, 6, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef);               /* Fragment: off 0, M 0 */
    pb_put(p, TCPHDR, 20);
    pb_put(p, data, dlen);
}

static void test_v6_ext_chain_atomic(void **state)
{
    (void)state;
    struct pb p = { .n = 0 };
    build_chain(&p, "payload", 7);
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.proto, 6);
    assert_false(o.frag);
    assert_ptr_equal(o.l4, c + 96);
    assert_int_equal(o.l4len, 27);
    assert_memory_equal(o.l4 + 20, "payload", 7);
    assert_int_equal(o.hdrlen, 96);
    free(c);

    /* every truncation inside the chain: truncated, never a crash */
    for (size_t L = 0; L < p.n; L++) {
        bool ok = dec(p.b, L, &o, &why, &c);
        if (L < 96) {
            assert_false(ok);
            assert_int_equal(why, C_IP_TRUNCATED);
        } else {
            assert_true(ok);
            assert_int_equal(o.l4len, L - 96);
            assert_true(o.clipped);
        }
        free(c);
    }
}

/* IPv6 part of frames from corpus ipv6_exthdrs_atomic_frag.pcap: #16, an
 * atomic fragment carrying "GET /bad.html\r\n", and #26, the same over a
 * Hop-by-Hop header. */
static const char V6_ATOMIC_HEX[] =
    "60000000002b2c4020010db800010000000000000000000220010db8000100000000000000000001"
    "0600000000000000e92e005069817906fe46320c50182000f2dd0000474554202f6261642e68746d6c0d0a";
static const char V6_HBH_HEX[] =
    "60000000002b004020010db800010000000000000000000220010db8000100000000000000000001"
    "06000104000000006b010050515fabe2f96068535018200024f00000474554202f6261642e68746d6c0d0a";

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    for (; s[0] && s[1]; s += 2) {
        unsigned v;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void test_v6_corpus_frames(void **state)
{
    (void)state;
    const char *hex[] = { V6_ATOMIC_HEX, V6_HBH_HEX };
    for (size_t i = 0; i < 2; i++) {
        uint8_t b[128];
        size_t n = unhex(hex[i], b);
        assert_int_equal(n, 83);
        struct ip_pkt o;
        enum counter_id why;
        uint8_t *c;
        assert_true(dec(b, n, &o, &why, &c));
        assert_int_equal(o.proto, 6);
        assert_false(o.frag);
        assert_int_equal(o.l4len, 35);
        assert_memory_equal(o.l4 + 20, "GET /bad.html\r\n", 15);
        free(c);
    }
}

static void test_v6_fragments(void **state)
{
    (void)state;
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;

    /* first fragment right after the fixed header */
    struct pb p = { .n = 0 };
    put_v6(&p, 8 + 24, 44);
    PUT(&p, 6, 0, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78);
    pb_put(&p, TCPHDR, 20);
    PUT(&p, 1, 2, 3, 4);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_true(o.frag);
    assert_true(o.frag_more);
    assert_int_equal(o.frag_off, 0);
    assert_int_equal(o.frag_id, 0x12345678);
    assert_ptr_equal(o.hdr, c);
    assert_int_equal(o.hdrlen, 40);
    assert_int_equal(o.v6_nh_off, 6);
    assert_int_equal(o.v6_frag_nh, 6);
    assert_int_equal(o.proto, 6);
    assert_ptr_equal(o.l4, c + 48);
    assert_int_equal(o.l4len, 24);
    free(c);

    /* last fragment after a Hop-by-Hop header: offset 1000, M=0 */
    p.n = 0;
    put_v6(&p, 8 + 8 + 16, 0);
    PUT(&p, 44, 0, 1, 4, 0, 0, 0, 0);
    PUT(&p, 6, 0, (uint8_t)(1000 >> 8), (uint8_t)(1000 & 0xf8), 0, 0, 0, 9);
    PUT(&p, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_true(o.frag);
    assert_false(o.frag_more);
    assert_int_equal(o.frag_off, 1000);
    assert_int_equal(o.frag_id, 9);
    assert_int_equal(o.hdrlen, 48);
    assert_int_equal(o.v6_nh_off, 40);
    assert_int_equal(o.hdr[o.v6_nh_off], 44);
    assert_int_equal(o.v6_frag_nh, 6);
    assert_ptr_equal(o.l4, c + 56);
    assert_int_equal(o.l4len, 16);
    free(c);

    /* fragment whose fragmentable part starts with Destination Options */
    p.n = 0;
    put_v6(&p, 8 + 8 + 8, 44);
    PUT(&p, 60, 0, 0, 1, 0, 0, 0, 1);
    PUT(&p, 6, 0, 1, 4, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_true(o.frag);
    assert_int_equal(o.v6_frag_nh, 60);
    assert_int_equal(o.l4len, 16);
    free(c);
}

static void test_v6_ah_esp_nonext_mobility(void **state)
{
    (void)state;
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    struct pb p = { .n = 0 };

    put_v6(&p, 24 + 20, 51);               /* AH, length 4 -> (4+2)*4 = 24 */
    PUT(&p, 6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9);
    pb_put(&p, TCPHDR, 20);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.proto, 6);
    assert_ptr_equal(o.l4, c + 64);
    assert_int_equal(o.l4len, 20);
    free(c);

    p.n = 0;
    put_v6(&p, 16, 50);                    /* ESP: not walked */
    PUT(&p, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.proto, 50);
    assert_int_equal(o.l4len, 16);
    free(c);

    p.n = 0;
    put_v6(&p, 8, 60);                     /* DestOpts -> No Next Header */
    PUT(&p, 59, 0, 1, 4, 0, 0, 0, 0);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.proto, 59);
    assert_int_equal(o.l4len, 0);
    free(c);

    const uint8_t generic[] = { 135, 139, 140 };
    for (size_t i = 0; i < 3; i++) {
        p.n = 0;
        put_v6(&p, 16 + 20, generic[i]);
        PUT(&p, 6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        pb_put(&p, TCPHDR, 20);
        assert_true(dec(p.b, p.n, &o, &why, &c));
        assert_int_equal(o.proto, 6);
        assert_ptr_equal(o.l4, c + 56);
        free(c);
    }
}

static void test_v6_bad_ext(void **state)
{
    (void)state;
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    struct pb p = { .n = 0 };

    put_v6(&p, 17 * 8 + 20, 60);           /* 17 Destination Options headers */
    for (int i = 0; i < 17; i++)
        PUT(&p, (uint8_t)(i == 16 ? 6 : 60), 0, 1, 4, 0, 0, 0, 0);
    pb_put(&p, TCPHDR, 20);
    assert_false(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(why, C_IP_EXTHDR_BAD);
    free(c);

    p.n = 0;                               /* 16 are fine */
    put_v6(&p, 16 * 8 + 20, 60);
    for (int i = 0; i < 16; i++)
        PUT(&p, (uint8_t)(i == 15 ? 6 : 60), 0, 1, 4, 0, 0, 0, 0);
    pb_put(&p, TCPHDR, 20);
    assert_true(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(o.l4len, 20);
    free(c);

    p.n = 0;                               /* ext header longer than the payload length */
    put_v6(&p, 8, 0);
    PUT(&p, 6, 2, 1, 4, 0, 0, 0, 0);
    pb_put(&p, TCPHDR, 20);
    assert_false(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(why, C_IP_EXTHDR_BAD);
    free(c);

    p.n = 0;                               /* same, but the capture is what is short */
    put_v6(&p, 200, 0);
    PUT(&p, 6, 10, 1, 4, 0, 0, 0, 0);
    pb_put(&p, TCPHDR, 20);
    assert_false(dec(p.b, p.n, &o, &why, &c));
    assert_int_equal(why, C_IP_TRUNCATED);
    free(c);
}

/* Jumbo payload (RFC 2675): payload length 0, HBH option 0xC2. */
static void test_v6_jumbo(void **state)
{
    (void)state;
    const size_t data = 80000;
    const size_t n = 40 + 8 + 20 + data;
    uint8_t *b = malloc(n);
    assert_non_null(b);
    memset(b, 'x', n);
    const uint32_t jl = (uint32_t)(8 + 20 + data);
    const uint8_t hdr[48] = {
        0x60, 0, 0, 0, 0, 0, 0, 64,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
        6, 0, 0xC2, 4, (uint8_t)(jl >> 24), (uint8_t)(jl >> 16), (uint8_t)(jl >> 8), (uint8_t)jl,
    };
    memcpy(b, hdr, sizeof hdr);
    memcpy(b + 48, TCPHDR, 20);
    struct ip_pkt o;
    enum counter_id why;
    uint8_t *c;
    assert_true(dec(b, n, &o, &why, &c));
    assert_int_equal(o.proto, 6);
    assert_ptr_equal(o.l4, c + 48);
    assert_int_equal(o.l4len, 20 + data);
    assert_false(o.clipped);
    free(c);

    /* capture with 100 bytes of trailer: the jumbo length clamps */
    uint8_t *b2 = malloc(n + 100);
    assert_non_null(b2);
    memcpy(b2, b, n);
    memset(b2 + n, 0, 100);
    assert_true(dec(b2, n + 100, &o, &why, &c));
    assert_int_equal(o.l4len, 20 + data);
    free(c);
    free(b2);

    /* snaplen-cut jumbo: clipped */
    assert_true(dec(b, 1000, &o, &why, &c));
    assert_int_equal(o.l4len, 1000 - 48);
    assert_true(o.clipped);
    free(c);

    /* a jumbo length shorter than the HBH header itself */
    b[44] = b[45] = b[46] = 0;
    b[47] = 4;
    assert_false(dec(b, n, &o, &why, &c));
    assert_int_equal(why, C_IP_EXTHDR_BAD);
    free(c);

    /* no payload length and no jumbo option: use the captured bytes */
    b[42] = 1;                             /* PadN instead of Jumbo */
    assert_true(dec(b, n, &o, &why, &c));
    assert_int_equal(o.l4len, 20 + data);
    assert_false(o.clipped);
    free(c);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_basic),
        cmocka_unit_test(test_v4_options_padding_clipping),
        cmocka_unit_test(test_v4_total_length_zero),
        cmocka_unit_test(test_v4_bad),
        cmocka_unit_test(test_v4_fragments),
        cmocka_unit_test(test_v6_basic_and_padding),
        cmocka_unit_test(test_v6_ext_chain_atomic),
        cmocka_unit_test(test_v6_corpus_frames),
        cmocka_unit_test(test_v6_fragments),
        cmocka_unit_test(test_v6_ah_esp_nonext_mobility),
        cmocka_unit_test(test_v6_bad_ext),
        cmocka_unit_test(test_v6_jumbo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
