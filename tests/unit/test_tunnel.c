/* test_tunnel.c - the decode stage through tunnels: every encapsulation,
 * nested ones, outer and inner fragments, identities, caps, settings, and
 * every truncation of every frame.
 *
 * Frames are built here from the inside out (a TCP segment, then each
 * header around it) and decoded by decoder_packet from an exactly-sized
 * heap copy, so that ASan sees any over-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

/* ---- building frames ---------------------------------------------------- */

struct fb {
    uint8_t b[8192];
    size_t n;
};

static void put(struct fb *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    if (n)
        memcpy(f->b + f->n, p, n);
    f->n += n;
}

#define PUT(f, ...) put((f), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void put16(struct fb *f, unsigned v) { PUT(f, (uint8_t)(v >> 8), (uint8_t)v); }
static void put32(struct fb *f, uint32_t v) { put16(f, v >> 16); put16(f, v & 0xFFFF); }

/* out = header (built by the caller in h) + inner */
static void wrap(struct fb *out, const struct fb *h, const struct fb *inner)
{
    struct fb t = { .n = 0 };
    put(&t, h->b, h->n);
    put(&t, inner->b, inner->n);
    *out = t;
}

static const char PAYLOAD[] = "GET /inner HTTP/1.0\r\n\r\n";
#define PLEN (sizeof PAYLOAD - 1)

static const uint8_t A4[4] = { 10, 0, 0, 1 }, B4[4] = { 10, 0, 0, 2 };
static const uint8_t O4A[4] = { 198, 18, 0, 1 }, O4B[4] = { 198, 18, 0, 2 };
static const uint8_t O4C[4] = { 198, 18, 0, 3 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t O6A[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t O6B[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

/* A TCP segment 1234 -> 80, seq 0x01020304, carrying PAYLOAD. */
static void tcp_seg(struct fb *f)
{
    f->n = 0;
    PUT(f, 0x04, 0xd2, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0);
    put(f, PAYLOAD, PLEN);
}

static void ipv4(struct fb *f, uint8_t proto, const uint8_t *s, const uint8_t *d, uint16_t id,
                 uint16_t fragfield, const struct fb *inner)
{
    struct fb h = { .n = 0 };
    size_t tl = 20 + inner->n;
    PUT(&h, 0x45, 0);
    put16(&h, (unsigned)tl);
    put16(&h, id);
    put16(&h, fragfield);
    PUT(&h, 64, proto, 0, 0);
    put(&h, s, 4);
    put(&h, d, 4);
    wrap(f, &h, inner);
}

static void ipv6(struct fb *f, uint8_t nh, const uint8_t *s, const uint8_t *d, const struct fb *inner)
{
    struct fb h = { .n = 0 };
    PUT(&h, 0x60, 0, 0, 0);
    put16(&h, (unsigned)inner->n);
    PUT(&h, nh, 64);
    put(&h, s, 16);
    put(&h, d, 16);
    wrap(f, &h, inner);
}

static void udp(struct fb *f, uint16_t sport, uint16_t dport, const struct fb *inner)
{
    struct fb h = { .n = 0 };
    put16(&h, sport);
    put16(&h, dport);
    put16(&h, (unsigned)(8 + inner->n));
    put16(&h, 0);
    wrap(f, &h, inner);
}

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t IMAC1[6] = { 2, 0, 0, 0, 0xAA, 1 }, IMAC2[6] = { 2, 0, 0, 0, 0xAA, 2 };

static void ether(struct fb *f, const uint8_t *dst, const uint8_t *src, uint16_t et,
                  const struct fb *inner)
{
    struct fb h = { .n = 0 };
    put(&h, dst, 6);
    put(&h, src, 6);
    put16(&h, et);
    wrap(f, &h, inner);
}

/* The inner packet most tests carry: IPv4 10.0.0.1 -> 10.0.0.2, TCP. */
static void inner4(struct fb *f)
{
    struct fb t;
    tcp_seg(&t);
    ipv4(f, 6, A4, B4, 7, 0x4000, &t);
}

static void inner6(struct fb *f)
{
    struct fb t;
    tcp_seg(&t);
    ipv6(f, 6, A6, B6, &t);
}

/* ---- decoding ------------------------------------------------------------ */

struct res {
    bool ok;
    struct decoded out;
    char desc[256];                    /* the tunnel's, copied */
    uint32_t tun_id;
    unsigned depth;
    uint8_t payload[PLEN];
    size_t plen;
};

static struct decode_config cfg_default(void)
{
    struct decode_config c;
    decode_config_default(&c);
    return c;
}

/* Decode an exact heap copy of f[0..n) with decoder d. */
static struct res run_n(struct decoder *d, int dlt, const uint8_t *b, size_t n, int64_t ts)
{
    struct res r;
    memset(&r, 0, sizeof r);
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, b, n);
    struct capture_pkt cp = { ts, (uint32_t)n, (uint32_t)n, dlt, c };
    r.ok = decoder_packet(d, &cp, &r.out);
    if (r.ok) {
        const struct tcp_seg *s = &r.out.seg;
        assert_true(s->len <= PLEN);
        r.plen = s->len;
        memcpy(r.payload, s->data, s->len);
        if (r.out.tun) {
            snprintf(r.desc, sizeof r.desc, "%s", r.out.tun->desc);
            r.tun_id = r.out.tun->id;
            r.depth = r.out.tun->depth;
        }
    }
    free(c);
    r.out.cp = NULL;
    return r;
}

/* Every truncation of an Ethernet frame (DLT 1) must decode without
 * harm: failing, or giving a prefix of the payload (clipped); the whole
 * frame must give the payload through a tunnel described by want. */
static struct res check(const struct fb *f, const char *want, unsigned depth)
{
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    for (size_t L = 0; L < f->n; L++) {
        struct res r = run_n(d, 1, f->b, L, 1000000);
        if (r.ok)
            assert_memory_equal(r.payload, PAYLOAD, r.plen);
    }
    struct res r = run_n(d, 1, f->b, f->n, 1000000);
    assert_true(r.ok);
    assert_int_equal(r.plen, PLEN);
    assert_memory_equal(r.payload, PAYLOAD, PLEN);
    assert_int_equal(r.out.seg.sport, 1234);
    assert_int_equal(r.out.seg.dport, 80);
    if (want) {
        assert_string_equal(r.desc, want);
        assert_int_equal(r.depth, depth);
    } else {
        assert_null(r.out.tun);
    }
    decoder_free(d);
    return r;
}

static uint64_t ctr(const struct decoder *d, enum counter_id id)
{
    return decoder_counters(d)->n[id];
}

/* ---- one test per encapsulation ----------------------------------------- */

static void test_plain(void **state)
{
    (void)state;
    struct fb in, f;
    inner4(&in);
    ether(&f, MAC1, MAC2, 0x0800, &in);
    struct res r = check(&f, NULL, 0);
    assert_memory_equal(r.out.l2.mac_src, MAC2, 6);
}

static void test_ipip(void **state)
{
    (void)state;
    struct fb in, o, f;
    inner4(&in);                                       /* 4in4 */
    ipv4(&o, 4, O4B, O4A, 1, 0, &in);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    struct res r = check(&f, "ipip_198.18.0.1_198.18.0.2", 1);
    assert_int_equal(r.out.ip.family, 4);
    assert_memory_equal(r.out.ip.src, A4, 4);
    inner6(&in);                                       /* 6in4 */
    ipv4(&o, 41, O4A, O4B, 1, 0, &in);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    r = check(&f, "ipip_198.18.0.1_198.18.0.2", 1);
    assert_int_equal(r.out.ip.family, 6);
    inner4(&in);                                       /* 4in6 */
    ipv6(&o, 4, O6A, O6B, &in);
    ether(&f, MAC1, MAC2, 0x86DD, &o);
    check(&f, "ipip_fd00::1_fd00::2", 1);
    inner6(&in);                                       /* 6in6 */
    ipv6(&o, 41, O6B, O6A, &in);
    ether(&f, MAC1, MAC2, 0x86DD, &o);
    check(&f, "ipip_fd00::1_fd00::2", 1);
}

static void gre_hdr(struct fb *h, uint16_t flags, uint16_t proto, uint32_t key, uint32_t seq)
{
    h->n = 0;
    put16(h, flags);
    put16(h, proto);
    if (flags & 0xC000)
        put32(h, 0xABCD0000);          /* checksum, offset */
    if (flags & 0x2000)
        put32(h, key);
    if (flags & 0x1000)
        put32(h, seq);
}

static void test_gre(void **state)
{
    (void)state;
    struct fb in, g, h, o, f;
    inner4(&in);                                       /* plain GRE, IPv4 */
    gre_hdr(&h, 0, 0x0800, 0, 0);
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "gre_198.18.0.1_198.18.0.2", 1);
    gre_hdr(&h, 0xB000, 0x86DD, 42, 7);                /* checksum, key, sequence; IPv6 */
    inner6(&in);
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "gre.42_198.18.0.1_198.18.0.2", 1);
    inner4(&in);                                       /* transparent Ethernet bridging */
    struct fb e;
    ether(&e, IMAC1, IMAC2, 0x0800, &in);
    gre_hdr(&h, 0x2000, 0x6558, 5, 0);
    wrap(&g, &h, &e);
    ipv6(&o, 47, O6A, O6B, &g);
    ether(&f, MAC1, MAC2, 0x86DD, &o);
    struct res r = check(&f, "gre.5_fd00::1_fd00::2", 1);
    assert_memory_equal(r.out.l2.mac_src, IMAC2, 6);  /* the inner frame's */
    inner4(&in);                                       /* MPLS */
    struct fb m = { .n = 0 };
    PUT(&m, 0x00, 0x01, 0x01, 0x40);                   /* label 16, bottom of stack */
    put(&m, in.b, in.n);
    gre_hdr(&h, 0, 0x8847, 0, 0);
    wrap(&g, &h, &m);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "gre_198.18.0.1_198.18.0.2", 1);
    gre_hdr(&h, 0x4000, 0x0800, 0, 0);                 /* RFC 1701 routing: one SRE, then the end */
    PUT(&h, 0x00, 0x01, 0x00, 0x04, 1, 2, 3, 4, 0, 0, 0, 0);
    inner4(&in);
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "gre_198.18.0.1_198.18.0.2", 1);
}

static void test_pptp(void **state)
{
    (void)state;
    struct fb in, g, h = { .n = 0 }, o, f;
    inner4(&in);
    struct fb ppp = { .n = 0 };
    PUT(&ppp, 0xFF, 0x03, 0x00, 0x21);
    put(&ppp, in.b, in.n);
    put16(&h, 0x3081);                                 /* K, S, A, version 1 */
    put16(&h, 0x880B);
    put16(&h, (unsigned)ppp.n);
    put16(&h, 0x1234);                                 /* call id */
    put32(&h, 1);
    put32(&h, 0);
    wrap(&g, &h, &ppp);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "pptp_198.18.0.1_198.18.0.2", 1);
    ppp.n = 0;                                         /* protocol field compressed, no FF 03 */
    PUT(&ppp, 0x21);
    put(&ppp, in.b, in.n);
    h.n = 0;
    put16(&h, 0x2001);
    put16(&h, 0x880B);
    put16(&h, (unsigned)ppp.n);
    put16(&h, 0x4321);
    wrap(&g, &h, &ppp);
    ipv4(&o, 47, O4B, O4A, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "pptp_198.18.0.1_198.18.0.2", 1);
}

static void test_erspan(void **state)
{
    (void)state;
    struct fb in, e, g, h, o, f;
    inner4(&in);
    ether(&e, IMAC1, IMAC2, 0x0800, &in);
    gre_hdr(&h, 0, 0x88BE, 0, 0);                      /* type I */
    wrap(&g, &h, &e);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "erspan1_198.18.0.1_198.18.0.2", 1);
    gre_hdr(&h, 0x1000, 0x88BE, 0, 9);                 /* type II, session 0x155 */
    PUT(&h, 0x10, 0x00, 0x01, 0x55, 0, 0, 0, 0);
    wrap(&g, &h, &e);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "erspan2.341_198.18.0.1_198.18.0.2", 1);
    gre_hdr(&h, 0x1000, 0x22EB, 0, 9);                 /* type III, session 7, platform header */
    PUT(&h, 0x20, 0x00, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0x00, 0x01);
    PUT(&h, 0, 0, 0, 0, 0, 0, 0, 0);
    wrap(&g, &h, &e);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    struct res r = check(&f, "erspan3.7_198.18.0.1_198.18.0.2", 1);
    assert_memory_equal(r.out.l2.mac_dst, IMAC1, 6);
}

static void test_wccp_aruba(void **state)
{
    (void)state;
    struct fb in, g, h, o, f;
    inner4(&in);
    gre_hdr(&h, 0, 0x883E, 0, 0);                      /* WCCPv2 redirect header */
    PUT(&h, 0x00, 0x00, 0x00, 0x00);
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "wccp_198.18.0.1_198.18.0.2", 1);
    gre_hdr(&h, 0, 0x883E, 0, 0);                      /* WCCPv1: IP right away */
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "wccp_198.18.0.1_198.18.0.2", 1);
    struct fb w = { .n = 0 };                          /* Aruba: 802.11 data, to DS, LLC/SNAP */
    PUT(&w, 0x08, 0x01, 0, 0);
    put(&w, MAC1, 6);                                  /* BSSID */
    put(&w, IMAC2, 6);                                 /* SA */
    put(&w, IMAC1, 6);                                 /* DA */
    PUT(&w, 0, 0, 0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00);
    put(&w, in.b, in.n);
    gre_hdr(&h, 0, 0x8210, 0, 0);
    wrap(&g, &h, &w);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    struct res r = check(&f, "aruba_198.18.0.1_198.18.0.2", 1);
    assert_memory_equal(r.out.l2.mac_src, IMAC2, 6);
}

static void test_udp_tunnels(void **state)
{
    (void)state;
    struct fb in, e, t, u, o, f, h;
    inner4(&in);
    ether(&e, IMAC1, IMAC2, 0x0800, &in);
    h.n = 0;                                           /* VXLAN, VNI 0x012345, both ports */
    PUT(&h, 0x08, 0, 0, 0, 0x01, 0x23, 0x45, 0);
    wrap(&t, &h, &e);
    uint16_t vxports[2] = { 4789, 8472 };
    for (int i = 0; i < 2; i++) {
        udp(&u, 51000, vxports[i], &t);
        ipv4(&o, 17, O4A, O4B, 1, 0, &u);
        ether(&f, MAC1, MAC2, 0x0800, &o);
        check(&f, "vxlan.74565_198.18.0.1_198.18.0.2", 1);
    }
    h.n = 0;                                           /* Geneve with 8 bytes of options */
    PUT(&h, 0x02, 0x00, 0x65, 0x58, 0x00, 0x01, 0x00, 0x00, 0x01, 0x02, 0x80, 0x01, 0, 0, 0, 0);
    wrap(&t, &h, &e);
    udp(&u, 40000, 6081, &t);
    ipv6(&o, 17, O6A, O6B, &u);
    ether(&f, MAC1, MAC2, 0x86DD, &o);
    check(&f, "geneve.256_fd00::1_fd00::2", 1);
    h.n = 0;                                           /* Geneve carrying IPv4 directly */
    PUT(&h, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00);
    wrap(&t, &h, &in);
    udp(&u, 40000, 6081, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "geneve.9_198.18.0.1_198.18.0.2", 1);
    h.n = 0;                                           /* GTP-U: E set, two extension headers */
    PUT(&h, 0x34, 0xFF);
    put16(&h, (unsigned)(4 + 4 + 8 + in.n));
    put32(&h, 0x11223344);
    PUT(&h, 0, 0, 0, 0x85, 0x01, 0x10, 0x09, 0x40, 0x02, 1, 2, 3, 4, 5, 6, 0x00);
    wrap(&t, &h, &in);
    udp(&u, 2152, 2152, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "gtpu_198.18.0.1_198.18.0.2", 1);
    gre_hdr(&h, 0x2000, 0x0800, 77, 0);                /* GRE in UDP */
    wrap(&t, &h, &in);
    udp(&u, 1000, 4754, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "greudp.77_198.18.0.1_198.18.0.2", 1);
    h.n = 0;                                           /* AYIYA: 16-byte id, 20-byte signature */
    PUT(&h, 0x41, 0x52, 0x11, 41, 0, 0, 0, 1);
    for (int i = 0; i < 36; i++)
        PUT(&h, (uint8_t)i);
    struct fb in6;
    inner6(&in6);
    wrap(&t, &h, &in6);
    udp(&u, 5072, 33000, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "ayiya_198.18.0.1_198.18.0.2", 1);
    h.n = 0;                                           /* CAPWAP data, 802.3 frame, HLEN 2 */
    PUT(&h, 0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0);
    wrap(&t, &h, &e);
    udp(&u, 33000, 5247, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "capwap_198.18.0.1_198.18.0.2", 1);
    h.n = 0;                                           /* Teredo: origin indication + IPv6 */
    PUT(&h, 0x00, 0x00, 0x12, 0x34, 1, 2, 3, 4);
    wrap(&t, &h, &in6);
    udp(&u, 3544, 40001, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    check(&f, "teredo_198.18.0.1_198.18.0.2", 1);
    /* a UDP length shorter than the IP payload ends the datagram: 5
     * payload bytes of the IPv6 packet's 23 are in it */
    size_t at = 14 + 20 + 4;
    f.b[at] = 0;
    f.b[at + 1] = (uint8_t)(8 + 8 + 40 + 20 + 5);
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    struct res r = run_n(d, 1, f.b, f.n, 1);
    assert_true(r.ok);
    assert_int_equal(r.plen, 5);
    assert_true(r.out.ip.clipped);
    decoder_free(d);
}

/* VXLAN in GRE in VXLAN, under a VLAN tag and an MPLS label. */
static void test_nested(void **state)
{
    (void)state;
    struct fb in, e, h, t, u, o, g, m, f;
    inner4(&in);
    ether(&e, IMAC1, IMAC2, 0x0800, &in);
    h.n = 0;
    PUT(&h, 0x08, 0, 0, 0, 0x00, 0x00, 0x07, 0);
    wrap(&t, &h, &e);
    udp(&u, 1, 4789, &t);
    ipv4(&o, 17, O4B, O4C, 2, 0, &u);                  /* level 3 */
    gre_hdr(&h, 0, 0x0800, 0, 0);
    wrap(&g, &h, &o);
    ipv6(&o, 47, O6A, O6B, &g);                        /* level 2 */
    struct fb e2;
    ether(&e2, IMAC2, IMAC1, 0x86DD, &o);
    h.n = 0;
    PUT(&h, 0x08, 0, 0, 0, 0x00, 0x00, 0x01, 0);
    wrap(&t, &h, &e2);
    udp(&u, 2, 4789, &t);
    ipv4(&o, 17, O4A, O4B, 3, 0, &u);                  /* level 1 */
    m.n = 0;
    PUT(&m, 0x00, 0x05, 0x88, 0x47, 0x00, 0x01, 0x01, 0x40);   /* VLAN 5, MPLS label 16 */
    put(&m, o.b, o.n);
    ether(&f, MAC1, MAC2, 0x8100, &m);
    const char *want = "vxlan.1_198.18.0.1_198.18.0.2+gre_fd00::1_fd00::2+"
                       "vxlan.7_198.18.0.2_198.18.0.3";
    struct res r = check(&f, want, 3);
    assert_non_null(r.out.ipb);
    assert_memory_equal(r.out.l2.mac_src, IMAC2, 6);

    /* tunnel_depth 2: one level too deep, counted */
    struct decode_config c = cfg_default();
    c.tun.max_depth = 2;
    struct decoder *d = decoder_new(&c);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_TOO_DEEP), 1);
    assert_int_equal(ctr(d, C_TUN_DECAPSULATED), 2);
    decoder_free(d);
}

/* Two VNIs carrying the same inner addresses: two identities; the reverse
 * direction (outer addresses swapped) gets the same one. */
static void test_identity(void **state)
{
    (void)state;
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    const struct tunnel *seen[4];
    for (int i = 0; i < 4; i++) {
        struct fb in, e, h, t, u, o, f;
        inner4(&in);
        ether(&e, IMAC1, IMAC2, 0x0800, &in);
        h.n = 0;
        PUT(&h, 0x08, 0, 0, 0, 0x00, 0x00, (uint8_t)(10 + i % 2), 0);
        wrap(&t, &h, &e);
        udp(&u, (uint16_t)(1000 + i), 4789, &t);
        if (i < 2)
            ipv4(&o, 17, O4A, O4B, 1, 0, &u);
        else
            ipv4(&o, 17, O4B, O4A, 1, 0, &u);
        ether(&f, MAC1, MAC2, 0x0800, &o);
        struct res r = run_n(d, 1, f.b, f.n, 1);
        assert_true(r.ok);
        seen[i] = r.out.tun;
    }
    assert_int_equal(seen[0]->id, 1);
    assert_int_equal(seen[1]->id, 2);
    assert_ptr_equal(seen[2], seen[0]);
    assert_ptr_equal(seen[3], seen[1]);
    assert_string_equal(seen[1]->desc, "vxlan.11_198.18.0.1_198.18.0.2");
    assert_true(seen[1]->has_key);
    assert_int_equal(seen[1]->key, 11);
    assert_int_equal(decoder_tunnels(d), 2);
    decoder_free(d);
}

/* Eight levels of 6in6 with long addresses: the description keeps the
 * inner levels whole, cuts the outer ones ("..+"), stays under 200 bytes. */
static void test_long_desc(void **state)
{
    (void)state;
    struct fb in, o;
    inner6(&in);
    static const uint8_t L[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
                                   0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xd0 };
    for (int i = 0; i < 8; i++) {
        uint8_t a[16], b[16];
        memcpy(a, L, 16);
        memcpy(b, L, 16);
        a[15] = (uint8_t)(2 * i);
        b[15] = (uint8_t)(2 * i + 1);
        ipv6(&o, 41, a, b, &in);
        in = o;
    }
    struct fb f;
    ether(&f, MAC1, MAC2, 0x86DD, &in);
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    struct res r = run_n(d, 1, f.b, f.n, 1);
    assert_true(r.ok);
    assert_int_equal(r.depth, 8);
    assert_true(strlen(r.desc) <= 200);
    assert_memory_equal(r.desc, "..+", 3);
    const char *inner = "+ipip_fd12:3456:789a:bcde:f012:3456:789a:bc00_fd12:3456:789a:bcde:f012:3456:789a:bc01";
    assert_string_equal(r.desc + strlen(r.desc) - strlen(inner), inner);
    assert_null(strchr(r.desc, '/'));
    decoder_free(d);
}

/* tunnel_max 2: the third tunnel shares tunnel_overflow, counted. */
static void test_cap(void **state)
{
    (void)state;
    struct decode_config c = cfg_default();
    c.tun.max_tunnels = 2;
    struct decoder *d = decoder_new(&c);
    for (uint32_t key = 1; key <= 4; key++) {
        struct fb in, g, h, o, f;
        inner4(&in);
        gre_hdr(&h, 0x2000, 0x0800, key, 0);
        wrap(&g, &h, &in);
        ipv4(&o, 47, O4A, O4B, 1, 0, &g);
        ether(&f, MAC1, MAC2, 0x0800, &o);
        struct res r = run_n(d, 1, f.b, f.n, 1);
        assert_true(r.ok);
        if (key <= 2)
            assert_int_equal(r.out.tun->id, key);
        else
            assert_ptr_equal(r.out.tun, &tunnel_overflow);
    }
    assert_int_equal(ctr(d, C_TUN_OVER_CAP), 2);
    assert_int_equal(decoder_tunnels(d), 2);
    decoder_free(d);
}

/* The outer GRE packet in two fragments (second first): reassembled, then
 * decapsulated; -K's whole datagram is the outer one. */
static void test_outer_fragments(void **state)
{
    (void)state;
    struct fb in, g, h;
    inner4(&in);
    gre_hdr(&h, 0, 0x0800, 0, 0);
    wrap(&g, &h, &in);                 /* 4 + 63 bytes */
    struct fb p1 = { .n = 0 }, p2 = { .n = 0 }, o1, o2, f1, f2;
    put(&p1, g.b, 32);
    put(&p2, g.b + 32, g.n - 32);
    ipv4(&o1, 47, O4A, O4B, 99, 0x2000, &p1);           /* MF, offset 0 */
    ipv4(&o2, 47, O4A, O4B, 99, 32 / 8, &p2);           /* offset 32 */
    ether(&f1, MAC1, MAC2, 0x0800, &o1);
    ether(&f2, MAC1, MAC2, 0x0800, &o2);
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    assert_false(run_n(d, 1, f2.b, f2.n, 1).ok);
    uint8_t *copy = malloc(f1.n);
    memcpy(copy, f1.b, f1.n);
    struct capture_pkt cp = { 2, (uint32_t)f1.n, (uint32_t)f1.n, 1, copy };
    struct decoded out;
    assert_true(decoder_packet(d, &cp, &out));
    assert_int_equal(out.seg.len, PLEN);
    assert_memory_equal(out.seg.data, PAYLOAD, PLEN);
    assert_string_equal(out.tun->desc, "gre_198.18.0.1_198.18.0.2");
    assert_non_null(out.whole);
    assert_int_equal(out.wlen, 20 + g.n);
    assert_memory_equal(out.whole + 20, g.b, g.n);
    assert_ptr_equal(out.ipb, copy + 14);
    free(copy);
    assert_int_equal(ctr(d, C_FRAG_REASSEMBLED), 1);
    decoder_free(d);
}

/* The inner packet fragmented inside a tunnel, and inside outer fragments
 * too: reassembled per tunnel; the same fragments in another tunnel do not
 * mix with them. */
static void test_inner_fragments(void **state)
{
    (void)state;
    struct fb seg, frag[2];
    tcp_seg(&seg);
    struct fb a = { .n = 0 }, b = { .n = 0 };
    put(&a, seg.b, 16);
    put(&b, seg.b + 16, seg.n - 16);
    ipv4(&frag[0], 6, A4, B4, 5, 0x2000, &a);
    ipv4(&frag[1], 6, A4, B4, 5, 16 / 8, &b);
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    /* the first half in VNI 1, then in VNI 2, then the second half in VNI 2, then VNI 1 */
    int vni[4] = { 1, 2, 2, 1 }, part[4] = { 0, 0, 1, 1 };
    for (int i = 0; i < 4; i++) {
        struct fb e, h, t, u, o, f;
        ether(&e, IMAC1, IMAC2, 0x0800, &frag[part[i]]);
        h.n = 0;
        PUT(&h, 0x08, 0, 0, 0, 0, 0, (uint8_t)vni[i], 0);
        wrap(&t, &h, &e);
        udp(&u, 9, 4789, &t);
        /* and the outer packet itself in two fragments */
        ipv4(&o, 17, O4A, O4B, (uint16_t)(100 + i), 0, &u);
        struct fb p1 = { .n = 0 }, p2 = { .n = 0 }, o1, o2, f1;
        put(&p1, u.b, 24);
        put(&p2, u.b + 24, u.n - 24);
        ipv4(&o1, 17, O4A, O4B, (uint16_t)(100 + i), 0x2000, &p1);
        ipv4(&o2, 17, O4A, O4B, (uint16_t)(100 + i), 24 / 8, &p2);
        ether(&f1, MAC1, MAC2, 0x0800, &o1);
        ether(&f, MAC1, MAC2, 0x0800, &o2);
        assert_false(run_n(d, 1, f1.b, f1.n, 10 + i).ok);
        struct res r = run_n(d, 1, f.b, f.n, 10 + i);
        assert_int_equal(r.ok, part[i] == 1);
        if (r.ok) {
            assert_int_equal(r.plen, PLEN);
            assert_memory_equal(r.payload, PAYLOAD, PLEN);
            assert_int_equal(r.out.tun->key, (uint32_t)vni[i]);
            /* -K's outer datagram is intact after the inner reassembly */
            assert_int_equal(r.out.wlen, o.n);
            assert_memory_equal(r.out.whole + 20, o.b + 20, o.n - 20);
        }
    }
    assert_int_equal(ctr(d, C_FRAG_REASSEMBLED), 4 + 2);
    decoder_free(d);
}

/* Malformed and truncated tunnel headers are counted, never TCP. */
static void test_malformed(void **state)
{
    (void)state;
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    struct fb in, h, g, o, f, u;
    inner4(&in);
    gre_hdr(&h, 0x0002, 0x0800, 0, 0);                 /* GRE version 2 */
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_UNSUPPORTED), 1);
    h.n = 0;                                           /* VXLAN without the I flag */
    PUT(&h, 0x00, 0, 0, 0, 0, 0, 1, 0);
    wrap(&g, &h, &in);
    udp(&u, 1, 4789, &g);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_BAD_HEADER), 1);
    h.n = 0;                                           /* GTP-U echo request */
    PUT(&h, 0x30, 0x01, 0, 0, 0, 0, 0, 0);
    udp(&u, 2152, 2152, &h);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_NOT_IP), 1);
    h.n = 0;                                           /* GTP-U extension of length 0 */
    PUT(&h, 0x34, 0xFF, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0x00, 0, 0, 0);
    udp(&u, 2152, 2152, &h);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_BAD_HEADER), 2);
    h.n = 0;                                           /* 4in4 carrying IPv6 */
    inner6(&g);
    ipv4(&o, 4, O4A, O4B, 1, 0, &g);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_BAD_HEADER), 3);
    h.n = 0;                                           /* CAPWAP over DTLS */
    PUT(&h, 0x01, 0, 0, 0, 0, 0, 0, 0);
    udp(&u, 5247, 5247, &h);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_TUN_UNSUPPORTED), 2);
    h.n = 0;                                           /* ordinary UDP (DNS): not a tunnel */
    PUT(&h, 1, 2, 3, 4);
    udp(&u, 5353, 53, &h);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    uint64_t not_tcp = ctr(d, C_IP_NOT_TCP);
    assert_false(run_n(d, 1, f.b, f.n, 1).ok);
    assert_int_equal(ctr(d, C_IP_NOT_TCP), not_tcp + 1);
    assert_int_equal(ctr(d, C_TUN_DECAPSULATED), 0);
    decoder_free(d);
}

/* -S tunnels=none, and a kind or port switched off: an ordinary packet. */
static void test_settings(void **state)
{
    (void)state;
    struct fb in, h, t, u, o, f;
    inner4(&in);
    h.n = 0;
    PUT(&h, 0x08, 0, 0, 0, 0, 0, 1, 0);
    struct fb e;
    ether(&e, IMAC1, IMAC2, 0x0800, &in);
    wrap(&t, &h, &e);
    udp(&u, 1, 4789, &t);
    ipv4(&o, 17, O4A, O4B, 1, 0, &u);
    ether(&f, MAC1, MAC2, 0x0800, &o);
    const char *sets[][2] = { { "tunnels", "none" }, { "tunnels", "gre,ipip" },
                              { "vxlan_ports", "4790" }, { "vxlan_ports", "none" } };
    char err[200];
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        struct decode_config c = cfg_default();
        assert_int_equal(tunnel_config_set(&c.tun, sets[i][0], sets[i][1], err, sizeof err), 1);
        struct decoder *d = decoder_new(&c);
        assert_false(run_n(d, 1, f.b, f.n, 1).ok);
        assert_int_equal(ctr(d, C_IP_NOT_TCP), 1);
        decoder_free(d);
    }
    struct decode_config c = cfg_default();
    assert_int_equal(tunnel_config_set(&c.tun, "vxlan_ports", "4790,4789", err, sizeof err), 1);
    assert_int_equal(c.tun.ports[TUN_VXLAN][1], 4789);
    assert_int_equal(tunnel_config_set(&c.tun, "tunnels", "vxlan,erspan", err, sizeof err), 1);
    assert_int_equal(c.tun.kinds, (1u << TUN_VXLAN) | (1u << TUN_ERSPAN1) | (1u << TUN_ERSPAN2) |
                                  (1u << TUN_ERSPAN3));
    struct decoder *d = decoder_new(&c);
    assert_true(run_n(d, 1, f.b, f.n, 1).ok);
    decoder_free(d);
    struct tunnel_config keep = c.tun;
    assert_int_equal(tunnel_config_set(&c.tun, "tunnels", "vxlan,bogus", err, sizeof err), -1);
    assert_int_equal(tunnel_config_set(&c.tun, "vxlan_ports", "70000", err, sizeof err), -1);
    assert_int_equal(tunnel_config_set(&c.tun, "tunnel_depth", "0", err, sizeof err), -1);
    assert_int_equal(tunnel_config_set(&c.tun, "tunnel_max", "x", err, sizeof err), -1);
    assert_memory_equal(&keep, &c.tun, sizeof keep);
    assert_int_equal(tunnel_config_set(&c.tun, "check_fcs", "NO", err, sizeof err), 0);
    assert_int_equal(tunnel_config_set(&c.tun, "tunnel_depth", "3", err, sizeof err), 1);
    assert_int_equal(c.tun.max_depth, 3);
    for (const struct tunnel_setting *s = tunnel_settings; s->name; s++) {
        struct decode_config x = cfg_default();
        assert_int_equal(tunnel_config_set(&x.tun, s->name, s->def, err, sizeof err), 1);
        struct decode_config y = cfg_default();
        assert_memory_equal(&x.tun, &y.tun, sizeof x.tun);   /* the defaults are the defaults */
    }
}

/* The view shows the innermost IP packet, with its tunnel. */
struct seen_view { int calls; int family; uint8_t src0; const struct tunnel *tun; bool ip; };

static void view_cb(void *arg, const struct decode_view *v)
{
    struct seen_view *s = arg;
    s->calls++;
    s->ip = v->ip != NULL;
    if (v->ip) {
        s->family = v->ip->family;
        s->src0 = v->ip->src[0];
    }
    s->tun = v->tun;
}

static void test_view(void **state)
{
    (void)state;
    struct fb in, g, h, o, f;
    inner4(&in);
    gre_hdr(&h, 0, 0x0800, 0, 0);
    wrap(&g, &h, &in);
    ipv6(&o, 47, O6A, O6B, &g);
    ether(&f, MAC1, MAC2, 0x86DD, &o);
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    struct seen_view s = { 0 };
    decoder_set_view(d, view_cb, &s);
    struct res r = run_n(d, 1, f.b, f.n, 1);
    assert_true(r.ok);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.family, 4);
    assert_int_equal(s.src0, 10);
    assert_ptr_equal(s.tun, r.out.tun);
    assert_false(run_n(d, 1, f.b, 20, 1).ok);          /* link only */
    assert_int_equal(s.calls, 2);
    assert_false(s.ip);
    decoder_free(d);
}

/* -w: a reassembled datagram of no use gives up all its frames. */
struct wframes { int n; uint32_t len[4]; };

static void unproc_cb(void *arg, int64_t ts, const uint8_t *frame, uint32_t caplen,
                      uint32_t wirelen, int dlt)
{
    struct wframes *w = arg;
    if (w->n < 4)
        w->len[w->n] = caplen;
    w->n++;
}

static void test_unprocessed(void **state)
{
    (void)state;
    struct fb payload = { .n = 0 }, u, p1 = { .n = 0 }, p2 = { .n = 0 }, o1, o2, f1, f2;
    for (int i = 0; i < 40; i++)
        PUT(&payload, (uint8_t)i);
    udp(&u, 5353, 53, &payload);       /* ordinary UDP, fragmented */
    put(&p1, u.b, 16);
    put(&p2, u.b + 16, u.n - 16);
    ipv4(&o1, 17, O4A, O4B, 3, 0x2000, &p1);
    ipv4(&o2, 17, O4A, O4B, 3, 2, &p2);
    ether(&f1, MAC1, MAC2, 0x0800, &o1);
    ether(&f2, MAC1, MAC2, 0x0800, &o2);
    struct decode_config c = cfg_default();
    c.frag.keep_frames = true;
    struct decoder *d = decoder_new(&c);
    struct wframes w = { 0 };
    decoder_set_unprocessed(d, unproc_cb, &w);
    assert_false(run_n(d, 1, f1.b, f1.n, 1).ok);
    assert_int_equal(w.n, 0);                          /* held */
    assert_false(run_n(d, 1, f2.b, f2.n, 2).ok);
    assert_int_equal(w.n, 2);                          /* both frames, in order */
    assert_int_equal(w.len[0], f1.n);
    assert_int_equal(w.len[1], f2.n);
    decoder_free(d);

    /* the same through a tunnel: a fragmented IP-in-IP datagram whose inner
     * packet is that UDP, whole: both outer frames (not the last alone) */
    struct fb in;
    ipv4(&in, 17, O4C, O4A, 9, 0, &u);
    p1.n = p2.n = 0;
    put(&p1, in.b, 32);
    put(&p2, in.b + 32, in.n - 32);
    ipv4(&o1, 4, O4A, O4B, 4, 0x2000, &p1);
    ipv4(&o2, 4, O4A, O4B, 4, 4, &p2);
    ether(&f1, MAC1, MAC2, 0x0800, &o1);
    ether(&f2, MAC1, MAC2, 0x0800, &o2);
    d = decoder_new(&c);
    memset(&w, 0, sizeof w);
    decoder_set_unprocessed(d, unproc_cb, &w);
    assert_false(run_n(d, 1, f1.b, f1.n, 1).ok);
    assert_int_equal(w.n, 0);
    assert_false(run_n(d, 1, f2.b, f2.n, 2).ok);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.len[0], f1.n);
    assert_int_equal(w.len[1], f2.n);
    decoder_free(d);
}

/* Other link types carry tunnels too: NFLOG (239) with GRE inside. */
static void test_other_link(void **state)
{
    (void)state;
    struct fb in, g, h, o;
    inner4(&in);
    gre_hdr(&h, 0, 0x0800, 0, 0);
    wrap(&g, &h, &in);
    ipv4(&o, 47, O4A, O4B, 1, 0, &g);
    struct fb f = { .n = 0 };
    PUT(&f, 2, 0, 0, 1);
    size_t tl = 4 + o.n;
    PUT(&f, (uint8_t)tl, (uint8_t)(tl >> 8), 9, 0);
    put(&f, o.b, o.n);
    struct decode_config c = cfg_default();
    struct decoder *d = decoder_new(&c);
    struct res r = run_n(d, 239, f.b, f.n, 1);
    assert_true(r.ok);
    assert_string_equal(r.desc, "gre_198.18.0.1_198.18.0.2");
    decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_ipip),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_pptp),
        cmocka_unit_test(test_erspan),
        cmocka_unit_test(test_wccp_aruba),
        cmocka_unit_test(test_udp_tunnels),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_long_desc),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_outer_fragments),
        cmocka_unit_test(test_inner_fragments),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_unprocessed),
        cmocka_unit_test(test_other_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
