/* test_wifiviz.c - the wifiviz scanner, driven directly through its
 * struct scanner: beacons in, the <summary> fragment out.
 *
 * The expected texts are what tcpflow 1.6.1 writes for the same beacons
 * (/usr/bin/tcpflow -e wifiviz on a capture of them), except where we
 * differ on purpose: bytes XML cannot hold are written \xNN.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "scan/wifiviz.h"

struct fb {
    uint8_t b[512];
    size_t n;
};

static void put(struct fb *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

#define PUT(f, ...) put((f), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

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

enum { FCS_GOOD, FCS_BAD, FCS_NONE };

/* Radiotap (Flags) + a management frame of subtype st from ta, with the
 * elements given (id, len, bytes ...). */
static void frame(struct fb *f, unsigned st, uint8_t ta_last, const uint8_t *elts, size_t en,
                  int fcs)
{
    f->n = 0;
    PUT(f, 0, 0, 9, 0, 0x02, 0, 0, 0, fcs == FCS_NONE ? 0x00 : 0x10);
    size_t start = f->n;
    PUT(f, (uint8_t)(st << 4), 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    PUT(f, 0, 0, 0, 0, 0, ta_last);                    /* transmitter */
    PUT(f, 0, 0, 0, 0, 0, 0xEE, 0x10, 0x00);          /* BSSID, sequence */
    PUT(f, 1, 2, 3, 4, 5, 6, 7, 8, 0x64, 0x00, 0x01, 0x00);
    put(f, elts, en);
    if (fcs != FCS_NONE) {
        uint32_t c = crc32_ref(f->b + start, f->n - start) ^ (fcs == FCS_BAD ? 1u : 0u);
        PUT(f, (uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16), (uint8_t)(c >> 24));
    }
}

static void beacon(struct fb *f, uint8_t ta_last, const char *ssid, size_t n, int fcs)
{
    uint8_t e[300];
    size_t en = 0;
    e[en++] = 1;                       /* rates first, then the SSID */
    e[en++] = 2;
    e[en++] = 0x82;
    e[en++] = 0x84;
    e[en++] = 0;
    e[en++] = (uint8_t)n;
    memcpy(e + en, ssid, n);
    en += n;
    frame(f, 8, ta_last, e, en, fcs);
}

static const char *fcs_setting;

static const char *setting(const struct scan_env *env, const char *name)
{
    assert_string_equal(name, "check_fcs");
    return fcs_setting;
}

struct run {
    const struct scanner *s;
    void *self;
    struct counters ctr;
    struct scan_env env;
};

static void start(struct run *r, const char *check_fcs)
{
    memset(r, 0, sizeof *r);
    fcs_setting = check_fcs;
    r->s = &scan_wifiviz;
    r->env.outdir = ".";
    r->env.ctr = &r->ctr;
    r->env.setting = setting;
    char err[100];
    r->self = r->s->create(&r->env, err, sizeof err);
    assert_non_null(r->self);
}

static void feed(struct run *r, int dlt, const struct fb *f)
{
    uint8_t *copy = malloc(f->n);              /* exactly sized, for ASan */
    memcpy(copy, f->b, f->n);
    struct capture_pkt cp = { 1000000, (uint32_t)f->n, (uint32_t)f->n, dlt, copy };
    struct decode_view v = { &cp, true, NULL, NULL };
    r->s->packet(r->self, &v);
    free(copy);
}

static void finish(struct run *r, const char *want)
{
    char err[100];
    struct scan_end end = { "x.pcap", NULL };
    assert_int_equal(r->s->finish(r->self, &end, err, sizeof err), 0);
    assert_non_null(end.summary_xml);
    assert_string_equal(end.summary_xml, want);
    free(end.summary_xml);
    r->s->destroy(r->self);
}

static void test_interface(void **state)
{
    (void)state;
    assert_string_equal(scan_wifiviz.name, "wifiviz");
    assert_true(scan_wifiviz.flags & SCAN_IN_ALL);
    assert_false(scan_wifiviz.flags & SCAN_ON_BY_DEFAULT);
    assert_string_equal(scan_wifiviz.settings[0].name, "check_fcs");
    assert_string_equal(scan_wifiviz.settings[0].def, "YES");
    assert_null(scan_wifiviz.settings[1].name);
    assert_non_null(scan_wifiviz.packet);
    assert_null(scan_wifiviz.flow);
}

/* No beacon (an Ethernet capture, or data frames only): 1.6.1's empty list. */
static void test_empty(void **state)
{
    (void)state;
    struct run r;
    start(&r, "YES");
    struct fb f = { .n = 0 };
    PUT(&f, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00);
    feed(&r, 1, &f);
    frame(&f, 5, 0x66, (const uint8_t[]){ 0, 5, 'P', 'r', 'o', 'b', 'e' }, 7, FCS_GOOD);
    feed(&r, 127, &f);                 /* a probe response is not a beacon */
    finish(&r, "<ssids>\n</ssids>\n");
}

/* The beacons of mk2.py's capture, in its order. */
static void feed_set(struct run *r)
{
    struct fb f;
    beacon(&f, 0x99, "Zed", 3, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x11, "Alpha", 5, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x11, "Beta", 4, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x22, "Gamma", 5, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x44, "caf\xc3\xa9", 5, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x45, "ctl\x01\x7f", 5, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x55, "BadFCS", 6, FCS_BAD);
    feed(r, 127, &f);
    frame(&f, 8, 0x77, (const uint8_t[]){ 1, 1, 0x82 }, 3, FCS_GOOD);     /* no SSID */
    feed(r, 127, &f);
    frame(&f, 8, 0x88, (const uint8_t[]){ 0, 3, 'O', 'n', 'e', 0, 3, 'T', 'w', 'o' }, 10, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x11, "Alpha", 5, FCS_GOOD);            /* again: count 2 */
    feed(r, 127, &f);
}

static void test_order_count_fcs(void **state)
{
    (void)state;
    struct run r;
    start(&r, "YES");
    feed_set(&r);
    finish(&r, "<ssids>\n"
               "  <ssid mac='00:00:00:00:00:11' ssid='Alpha' count='2'/>\n"
               "  <ssid mac='00:00:00:00:00:11' ssid='Beta' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:22' ssid='Gamma' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:44' ssid='caf\xc3\xa9' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:45' ssid='ctl\\x01\\x7f' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:77' ssid='' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:88' ssid='Two' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:99' ssid='Zed' count='1'/>\n"
               "</ssids>\n");
    start(&r, "NO");                   /* the bad FCS counts too */
    feed_set(&r);
    finish(&r, "<ssids>\n"
               "  <ssid mac='00:00:00:00:00:11' ssid='Alpha' count='2'/>\n"
               "  <ssid mac='00:00:00:00:00:11' ssid='Beta' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:22' ssid='Gamma' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:44' ssid='caf\xc3\xa9' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:45' ssid='ctl\\x01\\x7f' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:55' ssid='BadFCS' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:77' ssid='' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:88' ssid='Two' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:99' ssid='Zed' count='1'/>\n"
               "</ssids>\n");
}

/* Entities as 1.6.1 writes them; a prefix sorts first; with check_fcs=NO
 * bare 802.11 (105) and radiotap without an FCS count; invalid UTF-8 and
 * characters XML cannot hold (U+FFFF) are escaped. */
static void feed_links(struct run *r)
{
    struct fb f;
    beacon(&f, 0x01, "a'b<c>&\"d", 9, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x02, "HomeNet2", 8, FCS_NONE);
    feed(r, 127, &f);
    beacon(&f, 0x02, "HomeNet", 7, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x03, "\xff\xc3(x", 4, FCS_GOOD);
    feed(r, 127, &f);
    beacon(&f, 0x05, "\xef\xbf\xbfz", 4, FCS_GOOD);   /* U+FFFF: UTF-8, not XML */
    feed(r, 127, &f);
    beacon(&f, 0x04, "bare", 4, FCS_NONE);
    struct fb b = { .n = 0 };
    put(&b, f.b + 9, f.n - 9);         /* without the radiotap header */
    feed(r, 105, &b);
}

static void test_escapes_prefix_links(void **state)
{
    (void)state;
    struct run r;
    start(&r, "YES");                  /* frames without an FCS do not count */
    feed_links(&r);
    finish(&r, "<ssids>\n"
               "  <ssid mac='00:00:00:00:00:01' ssid='a&apos;b&lt;c&gt;&amp;&quot;d' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:02' ssid='HomeNet' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:03' ssid='\\xff\\xc3(x' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:05' ssid='\\xef\\xbf\\xbfz' count='1'/>\n"
               "</ssids>\n");
    start(&r, "NO");
    feed_links(&r);
    finish(&r, "<ssids>\n"
               "  <ssid mac='00:00:00:00:00:01' ssid='a&apos;b&lt;c&gt;&amp;&quot;d' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:02' ssid='HomeNet' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:02' ssid='HomeNet2' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:03' ssid='\\xff\\xc3(x' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:04' ssid='bare' count='1'/>\n"
               "  <ssid mac='00:00:00:00:00:05' ssid='\\xef\\xbf\\xbfz' count='1'/>\n"
               "</ssids>\n");
}

/* Every truncation of a beacon is harmless, and an SSID element cut by
 * the capture is not taken: the beacon counts with what came before it. */
static void test_truncated(void **state)
{
    (void)state;
    struct fb f;
    beacon(&f, 0x09, "Truncated", 9, FCS_NONE);
    struct run r;
    start(&r, "NO");
    for (size_t L = 0; L <= f.n; L++) {
        struct fb g = { .n = 0 };
        put(&g, f.b, L);
        feed(&r, 127, &g);
    }
    char err[100];
    struct scan_end end = { "x", NULL };
    assert_int_equal(r.s->finish(r.self, &end, err, sizeof err), 0);
    /* from the beacon's fixed part on, every length is a beacon: with no
     * SSID element yet, or its whole value; never a partial SSID */
    assert_non_null(strstr(end.summary_xml, "ssid='' count='"));
    assert_non_null(strstr(end.summary_xml, "ssid='Truncated' count='1'"));
    assert_null(strstr(end.summary_xml, "ssid='Trunc'"));
    free(end.summary_xml);
    r.s->destroy(r.self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interface),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_order_count_fcs),
        cmocka_unit_test(test_escapes_prefix_links),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
