/* test_datalink.c - link-layer decoding, every link type, every truncation.
 *
 * Each frame is built here (or copied from a corpus capture, named where it
 * is), decoded through datalink -> ip -> tcp at every length from 0 to full
 * from an exactly-sized heap copy, so that ASan sees any over-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "decode/datalink.h"
#include "decode/ip.h"
#include "decode/tcp.h"

/* ---- frame building ---------------------------------------------------- */

struct fb {
    uint8_t b[4096];
    size_t n;
};

static void fb_put(struct fb *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    if (n)
        memcpy(f->b + f->n, p, n);
    f->n += n;
}

#define PUT(f, ...) \
    fb_put((f), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static const uint8_t MAC_DST[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t MAC_SRC[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
static const char PAYLOAD[] = "GET / HTTP/1.0\r\n\r\n";
#define PLEN (sizeof PAYLOAD - 1)

/* IPv4 (20) + TCP (20) + payload; ports 1234 -> 80. */
static void put_ipv4_tcp(struct fb *f, const char *pl, size_t plen)
{
    size_t tl = 40 + plen;
    PUT(f, 0x45, 0x00, (uint8_t)(tl >> 8), (uint8_t)tl, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0, 0,
        10, 0, 0, 1, 10, 0, 0, 2);
    PUT(f, 0x04, 0xd2, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
        0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0);
    fb_put(f, pl, plen);
}

/* IPv6 (40) + TCP (20) + payload. */
static void put_ipv6_tcp(struct fb *f, const char *pl, size_t plen)
{
    size_t len = 20 + plen;
    PUT(f, 0x60, 0, 0, 0, (uint8_t)(len >> 8), (uint8_t)len, 6, 64);
    PUT(f, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    PUT(f, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
    PUT(f, 0x04, 0xd2, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
        0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0);
    fb_put(f, pl, plen);
}

static void put_ether(struct fb *f, uint16_t et)
{
    fb_put(f, MAC_DST, 6);
    fb_put(f, MAC_SRC, 6);
    PUT(f, (uint8_t)(et >> 8), (uint8_t)et);
}

/* Bitwise CRC-32, independent of the table version under test. */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

/* ---- the pipeline ------------------------------------------------------ */

struct res {
    bool ok;
    int stage;                 /* 1 link, 2 ip, 3 tcp: where it failed */
    enum counter_id why;
    struct l2_info l2;
    struct ip_pkt ip;
    struct tcp_seg tcp;
};

static struct res run(int dlt, const uint8_t *f, size_t n, bool check_fcs)
{
    struct res r;
    const uint8_t *ip;
    size_t iplen;
    memset(&r, 0, sizeof r);
    r.stage = 1;
    if (!datalink_decode(dlt, f, n, check_fcs, &r.l2, &ip, &iplen, &r.why))
        return r;
    assert_true(ip >= f && ip + iplen <= f + n);
    r.stage = 2;
    if (!ip_decode(ip, iplen, &r.ip, &r.why))
        return r;
    assert_true(r.ip.l4 >= ip && r.ip.l4 + r.ip.l4len <= ip + iplen);
    if (r.ip.frag || r.ip.proto != 6)
        return r;
    r.stage = 3;
    if (!tcp_decode(r.ip.l4, r.ip.l4len, &r.tcp, &r.why))
        return r;
    r.ok = true;
    return r;
}

/* Decode an exact heap copy of f[0..n). */
static struct res run_copy(int dlt, const uint8_t *f, size_t n, bool check_fcs)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, f, n);
    struct res r = run(dlt, c, n, check_fcs);
    /* the views point into c: compare contents before freeing */
    static uint8_t keep[4096];
    if (r.ok && r.tcp.len <= sizeof keep) {
        memcpy(keep, r.tcp.data, r.tcp.len);
        r.tcp.data = keep;
    }
    free(c);
    return r;
}

/* Every truncation: below min_ok some layer must fail (link failures below
 * link_hdr must be LINK_TRUNCATED); from min_ok on, the decode must succeed
 * with a prefix of the payload, marked clipped when short.  The full frame
 * must give exactly the payload. */
static struct res check_frame(int dlt, const struct fb *f, bool check_fcs, size_t link_hdr,
                              size_t min_ok, const char *pl, size_t plen)
{
    for (size_t L = 0; L <= f->n; L++) {
        struct res r = run_copy(dlt, f->b, L, check_fcs);
        if (L < min_ok) {
            assert_false(r.ok);
            if (L < link_hdr) {
                assert_int_equal(r.stage, 1);
                assert_int_equal(r.why, C_LINK_TRUNCATED);
            }
            continue;
        }
        assert_true(r.ok);
        assert_true(r.tcp.len <= plen);
        assert_memory_equal(r.tcp.data, pl, r.tcp.len);
        if (r.tcp.len < plen)
            assert_true(r.ip.clipped);
    }
    struct res r = run_copy(dlt, f->b, f->n, check_fcs);
    assert_true(r.ok);
    assert_int_equal(r.tcp.len, plen);
    assert_memory_equal(r.tcp.data, pl, plen);
    assert_int_equal(r.tcp.sport, 1234);
    assert_int_equal(r.tcp.dport, 80);
    assert_int_equal(r.tcp.seq, 0x01020304);
    return r;
}

static struct res expect_fail(int dlt, const struct fb *f, bool check_fcs, enum counter_id why)
{
    struct res r = run_copy(dlt, f->b, f->n, check_fcs);
    assert_false(r.ok);
    assert_int_equal(r.stage, 1);
    assert_int_equal(r.why, why);
    return r;
}

/* ---- Ethernet ---------------------------------------------------------- */

static void test_ether_ipv4(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x0800);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 14 + 40, PAYLOAD, PLEN);
    assert_true(r.l2.has_mac);
    assert_memory_equal(r.l2.mac_dst, MAC_DST, 6);
    assert_memory_equal(r.l2.mac_src, MAC_SRC, 6);
    assert_false(r.l2.has_vlan);
    assert_int_equal(r.ip.family, 4);
    assert_false(r.ip.clipped);
    /* DLT 6 is the same */
    check_frame(6, &f, true, 14, 14 + 40, PAYLOAD, PLEN);
}

static void test_ether_ipv6(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x86DD);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 14 + 60, PAYLOAD, PLEN);
    assert_int_equal(r.ip.family, 6);
}

/* #261: 60-byte frame, 41-byte IP packet: one byte of payload, not six. */
static void test_ether_padding(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x0800);
    put_ipv4_tcp(&f, "Z", 1);
    PUT(&f, 0, 0, 0, 0, 0);
    assert_int_equal(f.n, 60);
    struct res r = check_frame(1, &f, true, 14, 14 + 40, "Z", 1);
    assert_int_equal(r.tcp.len, 1);
    assert_false(r.ip.clipped);
}

static void test_vlan_vid_masked(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x8100);
    PUT(&f, 0xE0, 0x2A, 0x08, 0x00);       /* PCP 7, DEI 0, VID 42 */
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 18 + 40, PAYLOAD, PLEN);
    assert_true(r.l2.has_vlan);
    assert_int_equal(r.l2.vlan, 42);
}

static void test_qinq_8021ad_outer(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x88A8);
    PUT(&f, 0x30, 0x64, 0x81, 0x00);       /* PCP 1, VID 100; inner 802.1Q */
    PUT(&f, 0x00, 0xC8, 0x86, 0xDD);       /* VID 200; IPv6 */
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 22 + 60, PAYLOAD, PLEN);
    assert_true(r.l2.has_vlan);
    assert_int_equal(r.l2.vlan, 100);
}

static void test_triple_tag_9100(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x9100);
    PUT(&f, 0x0F, 0xFF, 0x88, 0xA8);       /* VID 4095 */
    PUT(&f, 0x00, 0x14, 0x81, 0x00);
    PUT(&f, 0x00, 0x0A, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 26 + 40, PAYLOAD, PLEN);
    assert_int_equal(r.l2.vlan, 4095);
}

static void test_too_many_tags(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x8100);
    for (int i = 0; i < 40; i++)
        PUT(&f, 0x00, 0x05, 0x81, 0x00);
    PUT(&f, 0x00, 0x05, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    expect_fail(1, &f, true, C_LINK_TOO_DEEP);
}

static void test_not_ip(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x0806);                 /* ARP */
    PUT(&f, 0, 1, 8, 0, 6, 4, 0, 1);
    expect_fail(1, &f, true, C_LINK_NOT_IP);
    f.n = 0;
    put_ether(&f, 0x0026);                 /* 802.3, STP LLC */
    PUT(&f, 0x42, 0x42, 0x03, 0, 0, 0, 0, 0);
    expect_fail(1, &f, true, C_LINK_NOT_IP);
}

static void test_llc_snap(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 8 + 40 + PLEN);          /* 802.3 length */
    PUT(&f, 0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(1, &f, true, 14, 22 + 40, PAYLOAD, PLEN);
}

static void test_mpls(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x8847);
    PUT(&f, 0x00, 0x01, 0xD0, 0x40);       /* label 29, not bottom */
    PUT(&f, 0x00, 0x02, 0x01, 0x40);       /* label 32, bottom of stack */
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(1, &f, true, 14, 22 + 40, PAYLOAD, PLEN);

    f.n = 0;                               /* VLAN + multicast MPLS + IPv6 */
    put_ether(&f, 0x8100);
    PUT(&f, 0x00, 0x07, 0x88, 0x48);
    PUT(&f, 0x00, 0x00, 0x21, 0xFF);       /* label 2 (IPv6 explicit null), bottom */
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 22 + 60, PAYLOAD, PLEN);
    assert_int_equal(r.l2.vlan, 7);

    f.n = 0;                               /* pseudowire: first nibble 0 */
    put_ether(&f, 0x8847);
    PUT(&f, 0x00, 0x01, 0xD1, 0x40, 0x00, 0x00, 0x00, 0x00);
    put_ether(&f, 0x0800);
    expect_fail(1, &f, true, C_LINK_NOT_IP);

    f.n = 0;                               /* no bottom of stack, ever */
    put_ether(&f, 0x8847);
    for (int i = 0; i < 20; i++)
        PUT(&f, 0x00, 0x01, 0xD0, 0x40);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    expect_fail(1, &f, true, C_LINK_TOO_DEEP);
}

static void test_pppoe(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_ether(&f, 0x8864);
    size_t plen = 2 + 40 + PLEN;
    PUT(&f, 0x11, 0x00, 0x00, 0x2d, (uint8_t)(plen >> 8), (uint8_t)plen, 0x00, 0x21);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(1, &f, true, 14, 22 + 40, PAYLOAD, PLEN);

    f.n = 0;                               /* QinQ + PPPoE + IPv6 */
    put_ether(&f, 0x8100);
    PUT(&f, 0x0e, 0x78, 0x81, 0x00, 0x09, 0xaa, 0x88, 0x64);
    plen = 2 + 60 + PLEN;
    PUT(&f, 0x11, 0x00, 0x12, 0x34, (uint8_t)(plen >> 8), (uint8_t)plen, 0x00, 0x57);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 30 + 60, PAYLOAD, PLEN);
    assert_int_equal(r.l2.vlan, 3704);

    f.n = 0;                               /* the PPPoE length drops the padding */
    put_ether(&f, 0x8864);
    PUT(&f, 0x11, 0x00, 0x00, 0x2d, 0x00, 0x2a, 0x00, 0x21);
    put_ipv4_tcp(&f, NULL, 0);
    PUT(&f, 0, 0, 0, 0, 0, 0);
    struct l2_info l2;
    const uint8_t *ip;
    size_t iplen;
    enum counter_id why;
    assert_true(datalink_decode(1, f.b, f.n, true, &l2, &ip, &iplen, &why));
    assert_ptr_equal(ip, f.b + 22);
    assert_int_equal(iplen, 40);

    f.n = 0;                               /* LCP */
    put_ether(&f, 0x8864);
    PUT(&f, 0x11, 0x00, 0x00, 0x2d, 0x00, 0x06, 0xc0, 0x21, 1, 1, 0, 4);
    expect_fail(1, &f, true, C_LINK_NOT_IP);

    f.n = 0;                               /* discovery stage code */
    put_ether(&f, 0x8864);
    PUT(&f, 0x11, 0x09, 0x00, 0x00, 0x00, 0x02, 0x00, 0x21);
    expect_fail(1, &f, true, C_LINK_NOT_IP);
}

/* ---- Linux cooked ------------------------------------------------------ */

static void test_sll(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    PUT(&f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x0c, 0x29, 0x39, 0xf3, 0xc3, 0, 0, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(113, &f, true, 16, 16 + 40, PAYLOAD, PLEN);
    assert_false(r.l2.has_mac);

    f.n = 0;                               /* 802.1Q inside SLL */
    PUT(&f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00);
    PUT(&f, 0x20, 0x09, 0x86, 0xdd);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    r = check_frame(113, &f, true, 16, 20 + 60, PAYLOAD, PLEN);
    assert_true(r.l2.has_vlan);
    assert_int_equal(r.l2.vlan, 9);

    f.n = 0;                               /* MPLS in SLL */
    PUT(&f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x88, 0x47);
    PUT(&f, 0x00, 0x01, 0xD1, 0x40);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(113, &f, true, 16, 20 + 40, PAYLOAD, PLEN);

    f.n = 0;                               /* ARP */
    PUT(&f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06, 0, 1);
    expect_fail(113, &f, true, C_LINK_NOT_IP);
}

static void test_sll2(void **state)
{
    (void)state;
    /* header from corpus sll2_tls.pcap, first packet */
    struct fb f = { .n = 0 };
    PUT(&f, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06,
        0xfa, 0x37, 0xdc, 0x8d, 0xaf, 0xab, 0x00, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(276, &f, true, 20, 20 + 40, PAYLOAD, PLEN);
    assert_false(r.l2.has_mac);

    f.n = 0;
    PUT(&f, 0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    check_frame(276, &f, true, 20, 20 + 60, PAYLOAD, PLEN);
}

/* ---- NULL / LOOP ------------------------------------------------------- */

static void null_frame(struct fb *f, uint32_t fam, bool big, bool v6)
{
    f->n = 0;
    if (big)
        PUT(f, (uint8_t)(fam >> 24), (uint8_t)(fam >> 16), (uint8_t)(fam >> 8), (uint8_t)fam);
    else
        PUT(f, (uint8_t)fam, (uint8_t)(fam >> 8), (uint8_t)(fam >> 16), (uint8_t)(fam >> 24));
    if (v6)
        put_ipv6_tcp(f, PAYLOAD, PLEN);
    else
        put_ipv4_tcp(f, PAYLOAD, PLEN);
}

static void test_null_both_orders(void **state)
{
    (void)state;
    struct fb f;
    for (int big = 0; big <= 1; big++) {
        null_frame(&f, 2, big, false);
        struct res r = check_frame(0, &f, true, 4, 4 + 40, PAYLOAD, PLEN);
        assert_false(r.l2.has_mac);
        const uint32_t v6fam[] = { 10, 24, 28, 30 };
        for (size_t i = 0; i < 4; i++) {
            null_frame(&f, v6fam[i], big, true);
            r = check_frame(0, &f, true, 4, 4 + 60, PAYLOAD, PLEN);
            assert_int_equal(r.ip.family, 6);
        }
        null_frame(&f, 7, big, false);     /* AF_UNIX-ish: unknown */
        expect_fail(0, &f, true, C_LINK_UNKNOWN_FAMILY);
        null_frame(&f, 0x0202, big, false);
        expect_fail(0, &f, true, C_LINK_UNKNOWN_FAMILY);
    }
}

static void test_loop_network_order(void **state)
{
    (void)state;
    struct fb f;
    null_frame(&f, 2, true, false);
    check_frame(108, &f, true, 4, 4 + 40, PAYLOAD, PLEN);
    null_frame(&f, 24, true, true);
    check_frame(108, &f, true, 4, 4 + 60, PAYLOAD, PLEN);
    null_frame(&f, 2, false, false);       /* host order is not LOOP */
    expect_fail(108, &f, true, C_LINK_UNKNOWN_FAMILY);
}

/* ---- raw IP ------------------------------------------------------------ */

static void test_raw(void **state)
{
    (void)state;
    struct fb f4 = { .n = 0 }, f6 = { .n = 0 };
    put_ipv4_tcp(&f4, PAYLOAD, PLEN);
    put_ipv6_tcp(&f6, PAYLOAD, PLEN);
    const int dlts[] = { 12, 14, 101 };
    for (size_t i = 0; i < 3; i++) {
        check_frame(dlts[i], &f4, true, 1, 40, PAYLOAD, PLEN);
        check_frame(dlts[i], &f6, true, 1, 60, PAYLOAD, PLEN);
    }
    check_frame(228, &f4, true, 1, 40, PAYLOAD, PLEN);
    check_frame(229, &f6, true, 1, 60, PAYLOAD, PLEN);
    struct res r = run_copy(101, f4.b, 0, true);
    assert_int_equal(r.why, C_LINK_TRUNCATED);
}

/* ---- PPP and Cisco HDLC ------------------------------------------------ */

static void test_ppp(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    const int dlts[] = { 9, 50 };
    for (size_t i = 0; i < 2; i++) {
        int dlt = dlts[i];
        f.n = 0;
        PUT(&f, 0xFF, 0x03, 0x00, 0x21);
        put_ipv4_tcp(&f, PAYLOAD, PLEN);
        check_frame(dlt, &f, true, 1, 4 + 40, PAYLOAD, PLEN);

        f.n = 0;                           /* no address/control */
        PUT(&f, 0x00, 0x57);
        put_ipv6_tcp(&f, PAYLOAD, PLEN);
        check_frame(dlt, &f, true, 1, 2 + 60, PAYLOAD, PLEN);

        f.n = 0;                           /* protocol field compressed: 0x57 */
        PUT(&f, 0x57);                     /* (corpus ipv6_frag_tcp_ppp.pcap) */
        put_ipv6_tcp(&f, PAYLOAD, PLEN);
        check_frame(dlt, &f, true, 1, 1 + 60, PAYLOAD, PLEN);

        f.n = 0;                           /* MPLS (corpus ppp_mpls_bgp.pcap) */
        PUT(&f, 0xff, 0x03, 0x02, 0x81, 0x18, 0x93, 0x0d, 0x40);
        put_ipv4_tcp(&f, PAYLOAD, PLEN);
        check_frame(dlt, &f, true, 1, 8 + 40, PAYLOAD, PLEN);

        f.n = 0;                           /* Cisco HDLC framing (ppp_chdlc_bgp.pcap) */
        PUT(&f, 0x0f, 0x00, 0x08, 0x00);
        put_ipv4_tcp(&f, PAYLOAD, PLEN);
        check_frame(dlt, &f, true, 1, 4 + 40, PAYLOAD, PLEN);

        f.n = 0;                           /* LCP */
        PUT(&f, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x04);
        expect_fail(dlt, &f, true, C_LINK_NOT_IP);
    }
}

static void test_chdlc(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    PUT(&f, 0x0f, 0x00, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(104, &f, true, 4, 4 + 40, PAYLOAD, PLEN);
    assert_false(r.l2.has_mac);

    f.n = 0;
    PUT(&f, 0x8f, 0x00, 0x86, 0xdd);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    check_frame(104, &f, true, 4, 4 + 60, PAYLOAD, PLEN);

    f.n = 0;
    PUT(&f, 0x0f, 0x00, 0x88, 0x47, 0x00, 0x01, 0xD1, 0x40);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(104, &f, true, 4, 8 + 40, PAYLOAD, PLEN);

    f.n = 0;                               /* SLARP */
    PUT(&f, 0x8f, 0x00, 0x80, 0x35, 0, 0, 0, 2);
    expect_fail(104, &f, true, C_LINK_NOT_IP);
}

/* ---- 802.11 ------------------------------------------------------------ */

static const uint8_t A1[6] = { 1, 1, 1, 1, 1, 1 }, A2[6] = { 2, 2, 2, 2, 2, 2 },
                     A3[6] = { 3, 3, 3, 3, 3, 3 }, A4[6] = { 4, 4, 4, 4, 4, 4 };

/* 802.11 data header; returns its length. */
static size_t put_80211(struct fb *f, uint8_t fc0, uint8_t fc1)
{
    size_t start = f->n;
    PUT(f, fc0, fc1, 0x3a, 0x01);
    fb_put(f, A1, 6);
    fb_put(f, A2, 6);
    fb_put(f, A3, 6);
    PUT(f, 0x10, 0x00);
    if ((fc1 & 3) == 3)
        fb_put(f, A4, 6);
    if (fc0 & 0x80) {                      /* QoS */
        PUT(f, 0x05, 0x00);
        if (fc1 & 0x80)
            PUT(f, 0, 0, 0, 0);
    }
    return f->n - start;
}

static void put_snap_ipv4(struct fb *f)
{
    PUT(f, 0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
    put_ipv4_tcp(f, PAYLOAD, PLEN);
}

static void test_80211_addresses(void **state)
{
    (void)state;
    struct {
        uint8_t fc0, fc1;
        const uint8_t *da, *sa;
    } cases[] = {
        { 0x08, 0x00, A1, A2 },            /* IBSS */
        { 0x08, 0x02, A1, A3 },            /* FromDS */
        { 0x08, 0x01, A3, A2 },            /* ToDS */
        { 0x08, 0x03, A3, A4 },            /* WDS, 4 addresses */
        { 0x88, 0x01, A3, A2 },            /* QoS data */
        { 0x88, 0x83, A3, A4 },            /* QoS + HT control + 4 addresses */
        { 0x08, 0x81, A3, A2 },            /* Order without QoS: no HT control */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fb f = { .n = 0 };
        size_t hl = put_80211(&f, cases[i].fc0, cases[i].fc1);
        put_snap_ipv4(&f);
        struct res r = check_frame(105, &f, true, 10, hl + 8 + 40, PAYLOAD, PLEN);
        assert_true(r.l2.has_mac);
        assert_memory_equal(r.l2.mac_dst, cases[i].da, 6);
        assert_memory_equal(r.l2.mac_src, cases[i].sa, 6);
    }
}

static void test_80211_skipped(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    put_80211(&f, 0x08, 0x41);             /* protected */
    put_snap_ipv4(&f);
    expect_fail(105, &f, true, C_LINK_NOT_IP);
    f.n = 0;
    put_80211(&f, 0x80, 0x00);             /* beacon */
    PUT(&f, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_fail(105, &f, true, C_LINK_80211_NOT_DATA);
    f.n = 0;
    put_80211(&f, 0x48, 0x01);             /* null data */
    expect_fail(105, &f, true, C_LINK_NOT_IP);
    f.n = 0;
    put_80211(&f, 0x08, 0x01);             /* not SNAP */
    PUT(&f, 0x42, 0x42, 0x03, 0, 0, 0, 0, 0);
    expect_fail(105, &f, true, C_LINK_NOT_IP);
    f.n = 0;
    put_80211(&f, 0x88, 0x01);             /* A-MSDU */
    f.b[f.n - 2] |= 0x80;
    put_snap_ipv4(&f);
    expect_fail(105, &f, true, C_LINK_NOT_IP);
}

/* First frame of corpus wifi_radiotap_http.pcap: radiotap with an extended
 * present bitmap, TSFT, Flags = 0x10 (FCS at end); a ToDS data frame with a
 * TCP SYN 172.5.5.113:49417 -> 14.17.32.211:80 and a correct FCS. */
static const uint8_t wifi_syn[132] = {
    0x00, 0x00, 0x24, 0x00, 0x2f, 0x40, 0x00, 0xa0, 0x20, 0x08, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x28, 0xeb, 0x68, 0x28, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x16, 0x9e, 0x09, 0xa0, 0x00, 0xba, 0x00, 0x00, 0x00, 0xba, 0x00,
    0x08, 0x01, 0x02, 0x01, 0x88, 0x25, 0x93, 0x40, 0x6b, 0x6f, 0xf8, 0xa9,
    0xd0, 0x1e, 0x90, 0xa3, 0x88, 0x25, 0x93, 0x40, 0x6b, 0x6f, 0x20, 0xb7,
    0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c,
    0xf9, 0x31, 0x40, 0x00, 0x40, 0x06, 0x61, 0x30, 0xac, 0x05, 0x05, 0x71,
    0x0e, 0x11, 0x20, 0xd3, 0xc1, 0x09, 0x00, 0x50, 0x96, 0x74, 0x0d, 0xd6,
    0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xff, 0x0d, 0x1b, 0x00, 0x00,
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xff, 0xff, 0xf4, 0xe7,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x06, 0x38, 0xac, 0x82, 0xfa,
};

static void test_radiotap_corpus_fcs(void **state)
{
    (void)state;
    const uint8_t sa[6] = { 0xf8, 0xa9, 0xd0, 0x1e, 0x90, 0xa3 };
    const uint8_t da[6] = { 0x88, 0x25, 0x93, 0x40, 0x6b, 0x6f };
    /* the reference CRC agrees with the capture */
    assert_int_equal(crc32_ref(wifi_syn + 36, 132 - 36 - 4), 0xfa82ac38);

    for (size_t L = 0; L <= sizeof wifi_syn; L++) {
        struct res r = run_copy(127, wifi_syn, L, true);
        if (L < sizeof wifi_syn) {
            assert_false(r.ok);            /* a cut frame cannot pass the FCS */
            assert_int_equal(r.stage, 1);
            continue;
        }
        assert_true(r.ok);
        assert_int_equal(r.tcp.sport, 49417);
        assert_int_equal(r.tcp.dport, 80);
        assert_int_equal(r.tcp.seq, 2524188118u);
        assert_int_equal(r.tcp.flags, 0x02);
        assert_int_equal(r.tcp.len, 0);
        assert_memory_equal(r.l2.mac_src, sa, 6);
        assert_memory_equal(r.l2.mac_dst, da, 6);
    }
    /* without the check, truncations decode once the headers are there */
    for (size_t L = 0; L <= sizeof wifi_syn; L++) {
        struct res r = run_copy(127, wifi_syn, L, false);
        if (L >= 36 + 24 + 8 + 60 + 4)     /* radiotap, 802.11, SNAP, IP+TCP(opts), FCS */
            assert_true(r.ok);
        else
            assert_false(r.ok);
    }

    uint8_t bad[sizeof wifi_syn];
    memcpy(bad, wifi_syn, sizeof bad);
    bad[100] ^= 0x01;                      /* a TCP byte */
    struct res r = run_copy(127, bad, sizeof bad, true);
    assert_false(r.ok);
    assert_int_equal(r.why, C_LINK_80211_BAD_FCS);
    r = run_copy(127, bad, sizeof bad, false);
    assert_true(r.ok);
    memcpy(bad, wifi_syn, sizeof bad);
    bad[131] ^= 0x80;                      /* the FCS itself */
    r = run_copy(127, bad, sizeof bad, true);
    assert_int_equal(r.why, C_LINK_80211_BAD_FCS);
}

/* Radiotap header: present words, TSFT, Flags. */
static size_t put_radiotap(struct fb *f, bool ext, bool tsft, int flags)
{
    size_t start = f->n;
    uint32_t p0 = (tsft ? 1u : 0) | (flags >= 0 ? 2u : 0) | (ext ? 0x80000000u : 0);
    PUT(f, 0, 0, 0, 0, (uint8_t)p0, (uint8_t)(p0 >> 8), (uint8_t)(p0 >> 16), (uint8_t)(p0 >> 24));
    if (ext)
        PUT(f, 0x00, 0x00, 0x00, 0x20);    /* vendor namespace next, nothing here */
    if (tsft) {
        while ((f->n - start) % 8)
            PUT(f, 0);
        PUT(f, 1, 2, 3, 4, 5, 6, 7, 8);
    }
    if (flags >= 0)
        PUT(f, (uint8_t)flags);
    size_t hl = f->n - start;
    f->b[start + 2] = (uint8_t)hl;
    f->b[start + 3] = (uint8_t)(hl >> 8);
    return hl;
}

static void test_radiotap_built(void **state)
{
    (void)state;
    /* every combination of ext bitmap / TSFT; FCS present, good */
    for (int ext = 0; ext <= 1; ext++) {
        for (int tsft = 0; tsft <= 1; tsft++) {
            struct fb f = { .n = 0 };
            size_t rl = put_radiotap(&f, ext, tsft, 0x10);
            size_t w = f.n;
            put_80211(&f, 0x08, 0x02);
            put_snap_ipv4(&f);
            uint32_t c = crc32_ref(f.b + w, f.n - w);
            PUT(&f, (uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16), (uint8_t)(c >> 24));
            struct res r = run_copy(127, f.b, f.n, true);
            assert_true(r.ok);
            assert_int_equal(r.tcp.len, PLEN);
            assert_memory_equal(r.tcp.data, PAYLOAD, PLEN);
            f.b[f.n - 1] ^= 1;
            r = run_copy(127, f.b, f.n, true);
            assert_int_equal(r.why, C_LINK_80211_BAD_FCS);
            r = run_copy(127, f.b, f.n, false);
            assert_true(r.ok);
            f.b[f.n - 1] ^= 1;
            check_frame(127, &f, false, rl, rl + 24 + 8 + 40 + 4, PAYLOAD, PLEN);
        }
    }

    /* no Flags field: no FCS assumed, every truncation decodes cleanly */
    struct fb f = { .n = 0 };
    size_t rl = put_radiotap(&f, true, true, -1);
    put_80211(&f, 0x08, 0x02);
    put_snap_ipv4(&f);
    check_frame(127, &f, true, rl, rl + 24 + 8 + 40, PAYLOAD, PLEN);

    /* data padding: QoS header of 26 bytes padded to 28 */
    f.n = 0;
    rl = put_radiotap(&f, false, false, 0x20);
    size_t hl = put_80211(&f, 0x88, 0x01);
    assert_int_equal(hl, 26);
    PUT(&f, 0xEE, 0xEE);
    put_snap_ipv4(&f);
    check_frame(127, &f, true, rl, rl + 28 + 8 + 40, PAYLOAD, PLEN);
}

static void test_radiotap_bad_header(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    PUT(&f, 0, 0, 4, 0, 0, 0, 0, 0);       /* length 4 < 8 */
    put_80211(&f, 0x08, 0x02);
    put_snap_ipv4(&f);
    expect_fail(127, &f, true, C_LINK_TRUNCATED);
    f.b[2] = 0xff;                         /* length past the frame */
    f.b[3] = 0x7f;
    expect_fail(127, &f, true, C_LINK_TRUNCATED);
    f.n = 0;                               /* extended bitmap runs past the header */
    PUT(&f, 0, 0, 12, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x80);
    put_80211(&f, 0x08, 0x02);
    put_snap_ipv4(&f);
    expect_fail(127, &f, true, C_LINK_TRUNCATED);
    f.n = 0;                               /* Flags claimed but header too short */
    PUT(&f, 0, 0, 8, 0, 2, 0, 0, 0);
    put_80211(&f, 0x08, 0x02);
    expect_fail(127, &f, true, C_LINK_TRUNCATED);
    f.n = 0;                               /* FCS flag, frame shorter than an FCS */
    PUT(&f, 0, 0, 9, 0, 2, 0, 0, 0, 0x10, 1, 2);
    expect_fail(127, &f, true, C_LINK_TRUNCATED);
}


/* ---- link types added for tunnels' issue (13) -------------------------- */

/* 802.1ah: B-VLAN, I-TAG, customer MACs, a C-tag, IPv4. */
static void test_pbb(void **state)
{
    (void)state;
    static const uint8_t CDA[6] = { 2, 0, 0, 0, 0, 0xDA }, CSA[6] = { 2, 0, 0, 0, 0, 0x5A };
    struct fb f = { .n = 0 };
    put_ether(&f, 0x88A8);
    PUT(&f, 0x00, 0x64, 0x88, 0xE7);       /* B-VID 100; I-TAG */
    PUT(&f, 0x00, 0x01, 0x23, 0x45);       /* I-SID 0x12345 */
    fb_put(&f, CDA, 6);
    fb_put(&f, CSA, 6);
    PUT(&f, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(1, &f, true, 14, 14 + 4 + 16 + 4 + 2 + 40, PAYLOAD, PLEN);
    assert_int_equal(r.l2.vlan, 100);
    assert_memory_equal(r.l2.mac_dst, CDA, 6);
    assert_memory_equal(r.l2.mac_src, CSA, 6);
}

/* Linux NFLOG: header, TLVs (one of odd length, padded), the payload. */
static void put_nflog_tlv(struct fb *f, bool le, uint16_t type, const uint8_t *v, size_t n)
{
    uint16_t tl = (uint16_t)(4 + n);
    if (le)
        PUT(f, (uint8_t)tl, (uint8_t)(tl >> 8), (uint8_t)type, (uint8_t)(type >> 8));
    else
        PUT(f, (uint8_t)(tl >> 8), (uint8_t)tl, (uint8_t)(type >> 8), (uint8_t)type);
    fb_put(f, v, n);
    while (f->n % 4)
        PUT(f, 0);
}

static void test_nflog(void **state)
{
    (void)state;
    for (int le = 0; le < 2; le++) {
        struct fb f = { .n = 0 }, ip = { .n = 0 };
        PUT(&f, 2, 0, 0, 42);
        put_nflog_tlv(&f, le, 1, (const uint8_t[]){ 0x08, 0x00, 3, 0 }, 4);
        put_nflog_tlv(&f, le, 10, (const uint8_t[]){ 0 }, 1);
        put_nflog_tlv(&f, le, 0x8000 | 11, (const uint8_t[]){ 0, 0, 0, 0 }, 4);  /* nested flag */
        put_ipv4_tcp(&ip, PAYLOAD, PLEN);
        put_nflog_tlv(&f, le, 9, ip.b, ip.n);
        size_t hdr = 4 + 8 + 8 + 8 + 4;
        struct res r = check_frame(239, &f, true, 0, hdr + 40, PAYLOAD, PLEN);
        assert_false(r.l2.has_mac);
    }
    struct fb f = { .n = 0 };              /* no payload TLV: not IP */
    PUT(&f, 2, 0, 0, 42);
    put_nflog_tlv(&f, true, 1, (const uint8_t[]){ 0x08, 0x00, 3, 0 }, 4);
    expect_fail(239, &f, true, C_LINK_NOT_IP);
    f.n = 0;                               /* a TLV shorter than its header */
    PUT(&f, 2, 0, 0, 42, 2, 0, 1, 0, 2, 0, 1, 0);
    expect_fail(239, &f, true, C_LINK_BAD_HEADER);
    f.n = 0;                               /* version 1 */
    PUT(&f, 2, 1, 0, 42, 8, 0, 9, 0, 0x45, 0, 0, 0);
    expect_fail(239, &f, true, C_LINK_BAD_HEADER);
    f.n = 0;                               /* more TLVs than the cap */
    PUT(&f, 2, 0, 0, 42);
    for (int i = 0; i < 70; i++)
        put_nflog_tlv(&f, true, 11, (const uint8_t[]){ 0, 0, 0, 0 }, 4);
    expect_fail(239, &f, true, C_LINK_TOO_DEEP);
}

/* The first record of nflog_http.pcap (zeek's test suite): IPv4 SYN. */
static void test_nflog_corpus(void **state)
{
    (void)state;
    static const uint8_t rec[] = {
        0x02, 0x00, 0x00, 0x2a, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x05, 0x00, 0x0a, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x0b, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x09, 0x00,
        0x45, 0x00, 0x00, 0x3c, 0xe8, 0xef, 0x40, 0x00, 0x40, 0x06, 0x0f, 0xe3, 0x0a, 0x00, 0x02, 0x0f,
        0x5d, 0xb8, 0xd8, 0x22, 0xc2, 0x62, 0x00, 0x50, 0x3f, 0x32, 0xba, 0xd1, 0x00, 0x00, 0x00, 0x00,
        0xa0, 0x02, 0x72, 0x10, 0x42, 0x18, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
        0x00, 0x27, 0x52, 0x3e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    };
    struct res r = run_copy(239, rec, sizeof rec, true);
    assert_true(r.ok);
    assert_int_equal(r.tcp.sport, 49762);
    assert_int_equal(r.tcp.dport, 80);
    assert_int_equal(r.tcp.flags, 0x02);
    assert_int_equal(r.ip.src[3], 15);
}

static void test_ipoib(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };              /* 40-byte GRH pseudo-header */
    PUT(&f, 0x60, 0, 0, 0, 0, 0, 0x1b, 0x40);
    for (int i = 0; i < 32; i++)
        PUT(&f, (uint8_t)i);
    PUT(&f, 0x08, 0x00, 0x00, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(242, &f, true, 44, 44 + 40, PAYLOAD, PLEN);
    f.n = 0;                               /* destination-only pseudo-header */
    for (int i = 0; i < 20; i++)
        PUT(&f, 0);
    for (int i = 0; i < 20; i++)
        PUT(&f, (uint8_t)(i + 1));
    PUT(&f, 0x86, 0xDD, 0x00, 0x00);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    check_frame(242, &f, true, 44, 44 + 60, PAYLOAD, PLEN);
    f.n = 0;                               /* bare RFC 4391 header */
    PUT(&f, 0x08, 0x00, 0x00, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(242, &f, true, 0, 4 + 40, PAYLOAD, PLEN);
    f.n = 0;                               /* ARP */
    for (int i = 0; i < 40; i++)
        PUT(&f, 0);
    PUT(&f, 0x08, 0x06, 0x00, 0x00, 0, 0x20, 8, 0);
    expect_fail(242, &f, true, C_LINK_NOT_IP);
}

static void test_arcnet(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };              /* RFC 1201, whole packet */
    PUT(&f, 0x01, 0x02, 212, 0x00, 0x12, 0x34);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(7, &f, true, 6, 6 + 40, PAYLOAD, PLEN);
    f.n = 0;                               /* exception frame, first fragment */
    PUT(&f, 0x01, 0x02, 212, 0xFF, 0xFF, 0xFF, 212, 0x03, 0x12, 0x34);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(7, &f, true, 10, 10 + 40, PAYLOAD, PLEN);
    f.n = 0;                               /* RFC 1051 IP, IPv6 */
    PUT(&f, 0x01, 0x02, 240);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(7, &f, true, 3, 3 + 40, PAYLOAD, PLEN);
    f.n = 0;
    PUT(&f, 0x01, 0x02, 0xC4, 0x00, 0x00, 0x01);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    check_frame(7, &f, true, 6, 6 + 60, PAYLOAD, PLEN);
    f.n = 0;                               /* a later fragment: not the packet's start */
    PUT(&f, 0x01, 0x02, 212, 0x02, 0x12, 0x34);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    expect_fail(7, &f, true, C_LINK_NOT_IP);
    f.n = 0;                               /* Linux: offset field, no fragments */
    PUT(&f, 0x01, 0x02, 0x00, 0x00, 212, 0x00, 0x12, 0x34);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(129, &f, true, 8, 8 + 40, PAYLOAD, PLEN);
    f.n = 0;
    PUT(&f, 0x01, 0x02, 0x00, 0x00, 240);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    check_frame(129, &f, true, 5, 5 + 40, PAYLOAD, PLEN);
    f.n = 0;
    PUT(&f, 0x01, 0x02, 0x00, 0x00, 213, 0, 0, 0, 0, 1);
    expect_fail(129, &f, true, C_LINK_NOT_IP);
}

static void test_fddi(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };
    PUT(&f, 0x50);                         /* async LLC frame */
    fb_put(&f, MAC_DST, 6);
    fb_put(&f, MAC_SRC, 6);
    PUT(&f, 0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(10, &f, true, 21, 21 + 40, PAYLOAD, PLEN);
    assert_memory_equal(r.l2.mac_dst, MAC_DST, 6);
    assert_memory_equal(r.l2.mac_src, MAC_SRC, 6);
    f.b[0] = 0x41;                         /* SMT frame */
    expect_fail(10, &f, true, C_LINK_NOT_IP);
}

static void test_juniper_ether(void **state)
{
    (void)state;
    struct fb f = { .n = 0 };              /* extensions, then Ethernet + VLAN */
    PUT(&f, 'M', 'G', 'C', 0x81, 0x00, 0x06, 1, 4, 'g', 'e', '-', '0');
    put_ether(&f, 0x8100);
    PUT(&f, 0x00, 0x2A, 0x08, 0x00);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    struct res r = check_frame(178, &f, true, 12 + 14, 12 + 18 + 40, PAYLOAD, PLEN);
    assert_int_equal(r.l2.vlan, 42);
    assert_memory_equal(r.l2.mac_src, MAC_SRC, 6);
    f.n = 0;                               /* L2 header stripped */
    PUT(&f, 'M', 'G', 'C', 0x02, 0, 0, 0, 0);
    put_ipv6_tcp(&f, PAYLOAD, PLEN);
    check_frame(178, &f, true, 9, 8 + 60, PAYLOAD, PLEN);
    f.n = 0;
    PUT(&f, 'M', 'G', 'X', 0x00);
    put_ether(&f, 0x0800);
    put_ipv4_tcp(&f, PAYLOAD, PLEN);
    expect_fail(178, &f, true, C_LINK_BAD_HEADER);
}

/* ---- table ------------------------------------------------------------- */

static void test_supported_names(void **state)
{
    (void)state;
    const int yes[] = { 0, 1, 6, 7, 9, 10, 12, 14, 50, 101, 104, 105, 108, 113, 127, 129, 178,
                        228, 229, 239, 242, 276 };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_true(datalink_supported(yes[i]));
        assert_string_not_equal(datalink_name(yes[i]), "unknown");
    }
    /* Link types we do not decode keep a name for the message. */
    const int no[] = { -1, 2, 119, 147, 162, 100000 };
    const char *no_name[] = { "unknown", "unknown", "PRISM_HEADER", "USER0", "USER15", "unknown" };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_false(datalink_supported(no[i]));
        assert_string_equal(datalink_name(no[i]), no_name[i]);
    }
    assert_string_equal(datalink_name(239), "NFLOG");
    assert_string_equal(datalink_name(178), "JUNIPER_ETHER");
    assert_string_equal(datalink_name(1), "EN10MB");
    assert_string_equal(datalink_name(113), "LINUX_SLL");
    assert_string_equal(datalink_name(276), "LINUX_SLL2");
    assert_string_equal(datalink_name(127), "IEEE802_11_RADIO");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ether_ipv4),
        cmocka_unit_test(test_ether_ipv6),
        cmocka_unit_test(test_ether_padding),
        cmocka_unit_test(test_vlan_vid_masked),
        cmocka_unit_test(test_qinq_8021ad_outer),
        cmocka_unit_test(test_triple_tag_9100),
        cmocka_unit_test(test_too_many_tags),
        cmocka_unit_test(test_not_ip),
        cmocka_unit_test(test_llc_snap),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll2),
        cmocka_unit_test(test_null_both_orders),
        cmocka_unit_test(test_loop_network_order),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_ppp),
        cmocka_unit_test(test_chdlc),
        cmocka_unit_test(test_80211_addresses),
        cmocka_unit_test(test_80211_skipped),
        cmocka_unit_test(test_radiotap_corpus_fcs),
        cmocka_unit_test(test_radiotap_built),
        cmocka_unit_test(test_radiotap_bad_header),
        cmocka_unit_test(test_pbb),
        cmocka_unit_test(test_nflog),
        cmocka_unit_test(test_nflog_corpus),
        cmocka_unit_test(test_ipoib),
        cmocka_unit_test(test_arcnet),
        cmocka_unit_test(test_fddi),
        cmocka_unit_test(test_juniper_ether),
        cmocka_unit_test(test_supported_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
