/* test_netviz.c - the netviz page's numbers and words (netviz.c); the
 * forms are 1.6.1's, as tests/e2e/t_netviz.sh observes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/netviz.h"

#define SEC 1000000LL

static uint8_t eth_ipv4[14] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00 };
static uint8_t eth_ipv6[14] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xDD };

static void a4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, 16);
    a[0] = x; a[1] = y; a[2] = z; a[3] = w;
}

/* One Ethernet IPv4 TCP frame of len bytes from s:sp to d:dp at t. */
static void pkt(struct netviz *v, int64_t t, uint32_t len, const uint8_t s[16], uint16_t sp,
                const uint8_t d[16], uint16_t dp)
{
    netviz_frame(v, t, len, 1, eth_ipv4, sizeof eth_ipv4);
    netviz_ip(v, 4, s, d, true, sp, dp);
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

#define ASSERT_LINE(text, line) do { if (!has_line(text, line)) { \
    fprintf(stderr, "missing line '%s' in:\n%s", line, text); fail(); } } while (0)

static void test_empty_and_single(void **state)
{
    (void)state;
    struct netviz *v = netviz_new();
    char *t = netviz_text(v, "in.pcap");
    ASSERT_LINE(t, "TCPFLOW 1.6.1");
    ASSERT_LINE(t, "Input: in.pcap");
    ASSERT_LINE(t, "Packets analyzed: 0 (0 B)");
    ASSERT_LINE(t, "Transports:");
    ASSERT_LINE(t, "No Source Addresses");
    ASSERT_LINE(t, "No Destination Ports");
    assert_null(strstr(t, "intervals)"));
    free(t);
    uint8_t s[16], d[16];
    a4(s, 10, 0, 0, 1);
    a4(d, 10, 0, 0, 2);
    pkt(v, 1000 * SEC, 126, s, 1234, d, 80);
    t = netviz_text(v, "in.pcap");
    ASSERT_LINE(t, "Packets analyzed: 1 (126 B)");
    assert_null(strstr(t, "intervals)"));         /* one packet: no histogram */
    ASSERT_LINE(t, "1) 10.0.0.1 - 126 B (100%)");
    ASSERT_LINE(t, "1) 80 - 126 B (100%)");
    free(t);
    netviz_free(v);
}

static void test_totals_shares_and_tops(void **state)
{
    (void)state;
    struct netviz *v = netviz_new();
    uint8_t a[16], b[16], c[16], e[16], srv[16];
    a4(a, 10, 0, 0, 1);
    a4(b, 10, 0, 0, 2);
    a4(c, 10, 0, 0, 3);
    a4(e, 10, 0, 0, 4);
    a4(srv, 192, 0, 2, 1);
    int64_t t0 = 1000 * SEC + SEC / 2;
    for (int i = 0; i < 1000; i++)                  /* 1,000 x 1,000 B from a */
        pkt(v, t0 + i * 1000, 1000, a, 40000, srv, 80);
    for (int i = 0; i < 500; i++)                   /* 500 x 1,000 B from b */
        pkt(v, t0 + SEC + i, 1000, b, 40001, srv, 443);
    pkt(v, t0 + 2 * SEC, 100, c, 40002, srv, 22);  /* a tie between c and e: */
    pkt(v, t0 + 2 * SEC, 100, e, 40003, srv, 22);  /* the higher address first */
    /* IPv6 over Ethernet, not TCP: in the totals and the address tables, no port */
    uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
    netviz_frame(v, t0 + 80 * SEC, 99800, 1, eth_ipv6, sizeof eth_ipv6);
    netviz_ip(v, 6, s6, d6, false, 0, 0);
    char *t = netviz_text(v, "a.pcap + 1 more");
    ASSERT_LINE(t, "Input: a.pcap + 1 more");
    ASSERT_LINE(t, "Packets analyzed: 1,503 (1.60 MB)");
    ASSERT_LINE(t, "Transports: IPv4 93% IPv6 6%");   /* shares truncated */
    ASSERT_LINE(t, "1 minute, 21 seconds (1 second intervals)");   /* seconds 1000..1080 */
    ASSERT_LINE(t, "1) 10.0.0.1 - 1.00 MB (62%)");
    ASSERT_LINE(t, "2) 10.0.0.2 - 500.00 KB (31%)");
    ASSERT_LINE(t, "3) 2001:db8::1 - 99.80 KB (6%)");
    ASSERT_LINE(t, "1) 192.0.2.1 - 1.50 MB (93%)");
    ASSERT_LINE(t, "1) 40000 - 1.00 MB (66%)");    /* of TCP bytes only */
    ASSERT_LINE(t, "3) 40002 - 100 B (0%)");      /* a tie: the lower port first */
    ASSERT_LINE(t, "1) 80 - 1.00 MB (66%)");
    ASSERT_LINE(t, "2) 443 - 500.00 KB (33%)");
    ASSERT_LINE(t, "3) 22 - 200 B (0%)");
    free(t);
    netviz_free(v);
}

static void test_spans(void **state)
{
    (void)state;
    const struct { int64_t a, b; const char *want; } c[] = {
        { 0, 0, "1 second (<1 second intervals)" },
        { 0, 27 * SEC, "28 seconds (<1 second intervals)" },
        { 0, 80 * SEC, "1 minute, 21 seconds (1 second intervals)" },
        { 0, 118 * SEC, "1 minute, 59 seconds (2 second intervals)" },
        { 0, 1533 * SEC, "25 minutes, 34 seconds (16 second intervals)" },
        { 0, 3 * 3600 * SEC + 59, "3 hours, 1 minute (128 second intervals)" },   /* minutes rounded up */
    };
    uint8_t s[16], d[16];
    a4(s, 10, 0, 0, 1);
    a4(d, 10, 0, 0, 2);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct netviz *v = netviz_new();
        pkt(v, 5000 * SEC + c[i].a, 60, s, 1, d, 2);
        pkt(v, 5000 * SEC + c[i].b, 60, s, 1, d, 2);
        char *t = netviz_text(v, "x");
        ASSERT_LINE(t, c[i].want);
        free(t);
        netviz_free(v);
    }
}

/* Other links count as "Other"; Ethernet frames of another ethertype are
 * not in the shares (1.6.1). */
static void test_transports(void **state)
{
    (void)state;
    struct netviz *v = netviz_new();
    uint8_t mpls[14] = { [12] = 0x88, [13] = 0x47 }, vlan[14] = { [12] = 0x81, [13] = 0x00 };
    netviz_frame(v, 1, 700, 1, vlan, sizeof vlan);
    netviz_frame(v, 2, 300, 101, NULL, 0);
    netviz_frame(v, 3, 5000, 1, mpls, sizeof mpls);
    netviz_frame(v, 4, 100, 1, vlan, 10);           /* too short to tell: not counted */
    char *t = netviz_text(v, "x");
    ASSERT_LINE(t, "Transports: VLAN 70% Other 30%");
    ASSERT_LINE(t, "Packets analyzed: 4 (6.10 KB)");
    free(t);
    netviz_free(v);
}

/* Addresses beyond the table's cap: counted in the totals, memory bounded. */
static void test_many_addresses(void **state)
{
    (void)state;
    struct netviz *v = netviz_new();
    uint8_t s[16], d[16];
    a4(d, 192, 0, 2, 1);
    for (uint32_t i = 0; i < 3 * NETVIZ_MAX_ADDRS; i++) {
        a4(s, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        pkt(v, 1000 * SEC, i == 5 ? 100000 : 60, s, 1, d, 2);
    }
    char *t = netviz_text(v, "x");
    ASSERT_LINE(t, "Packets analyzed: 196,608 (11.90 MB)");
    ASSERT_LINE(t, "1) 10.0.0.5 - 100.00 KB (0%)");
    ASSERT_LINE(t, "1) 192.0.2.1 - 11.90 MB (100%)");
    free(t);
    netviz_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_single),
        cmocka_unit_test(test_totals_shares_and_tops),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_transports),
        cmocka_unit_test(test_many_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
