/* test_naming.c - flow file names: every -T code, every -F letter, IPv4
 * zero padding, IPv6, MACs, VLAN, times, counters, flow/session ids, the
 * -o prefix, naming_finalize, naming_check errors and overflow.
 *
 * test_regr_* are regressions: each failed on a bug this file found, since fixed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/naming.h"
#include "decode/tunnel.h"

/* ---- helpers ---- */

static void ip4(uint8_t *a, unsigned x, unsigned y, unsigned z, unsigned w)
{
    memset(a, 0, 16);
    a[0] = (uint8_t)x; a[1] = (uint8_t)y; a[2] = (uint8_t)z; a[3] = (uint8_t)w;
}

/* 10.0.0.1:1234 -> 10.0.0.2:80, first packet at 1000000000.25 s. */
static void flow4(struct flow *f)
{
    memset(f, 0, sizeof *f);
    f->key.family = 4;
    ip4(f->key.src, 10, 0, 0, 1);
    ip4(f->key.dst, 10, 0, 0, 2);
    f->key.sport = 1234;
    f->key.dport = 80;
    f->first_us = 1000000000LL * 1000000 + 250000;
}

/* Render tmpl (no outdir) and compare with want. */
static void render_is(const char *tmpl, const struct flow *f, uint32_t count, const char *want)
{
    char out[1024];
    memset(out, 'Z', sizeof out);
    int n = naming_render(tmpl, NULL, f, count, 0, out, sizeof out);
    if (n < 0 || strcmp(out, want) != 0 || (size_t)n != strlen(want)) {
        fprintf(stderr, "template [%s] count %u: want [%s] got %d [%s]\n", tmpl, count, want, n,
                n < 0 ? "" : out);
        fail();
    }
}

static void check_ok(const char *tmpl)
{
    char err[256] = "untouched";
    if (!naming_check(tmpl, err, sizeof err)) {
        fprintf(stderr, "naming_check rejected [%s]: %s\n", tmpl, err);
        fail();
    }
}

static void check_bad(const char *tmpl, const char *want_err)
{
    char err[256] = "";
    assert_false(naming_check(tmpl, err, sizeof err));
    assert_string_equal(err, want_err);
}

/* Apply -F letters to a copy of tmpl; compare with want. */
static void apply_is(const char *tmpl, const char *letters, const char *want)
{
    char *t = strdup(tmpl);
    assert_non_null(t);
    for (const char *l = letters; *l; l++)
        assert_true(naming_apply_F(&t, *l));
    assert_string_equal(t, want);
    free(t);
}

/* ---- addresses and ports ---- */

static void test_default_template(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 0, "010.000.000.001.01234-010.000.000.002.00080");
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 1, "010.000.000.001.01234-010.000.000.002.00080c1");
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 27, "010.000.000.001.01234-010.000.000.002.00080c27");
    f.has_vlan = true;
    f.vlan = 5;
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 0, "010.000.000.001.01234-010.000.000.002.00080--5");
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 2, "010.000.000.001.01234-010.000.000.002.00080--5c2");
}

static void test_ipv4_padding(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    ip4(f.key.src, 192, 168, 1, 255);
    ip4(f.key.dst, 0, 0, 0, 0);
    f.key.sport = 0;
    f.key.dport = 65535;
    render_is("%A|%a|%B|%b", &f, 0, "192.168.001.255|00000|000.000.000.000|65535");
    ip4(f.key.src, 1, 22, 100, 9);
    f.key.sport = 7;
    render_is("%A:%a", &f, 0, "001.022.100.009:00007");

    char a[64];
    const uint8_t x[4] = { 255, 255, 255, 255 };
    naming_addr(4, x, a, sizeof a);
    assert_string_equal(a, "255.255.255.255");
    const uint8_t y[4] = { 8, 8, 4, 4 };
    naming_addr(4, y, a, sizeof a);
    assert_string_equal(a, "008.008.004.004");
}

static void test_ipv6(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    f.key.family = 6;
    memset(f.key.src, 0, 16);
    memset(f.key.dst, 0, 16);
    /* 2001:db8::22 -> fe80::1 */
    f.key.src[0] = 0x20; f.key.src[1] = 0x01; f.key.src[2] = 0x0d; f.key.src[3] = 0xb8;
    f.key.src[15] = 0x22;
    f.key.dst[0] = 0xfe; f.key.dst[1] = 0x80; f.key.dst[15] = 0x01;
    f.key.sport = 80;
    f.key.dport = 1234;
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 0, "2001:db8::22.00080-fe80::1.01234");
    render_is(NAMING_DEFAULT_TEMPLATE, &f, 3, "2001:db8::22.00080-fe80::1.01234c3");

    char a[64];
    uint8_t v6[16] = { 0 };
    naming_addr(6, v6, a, sizeof a);
    assert_string_equal(a, "::");
    v6[15] = 1;
    naming_addr(6, v6, a, sizeof a);
    assert_string_equal(a, "::1");
    /* IPv4-mapped: inet_ntop's dotted form, not zero padded */
    memset(v6, 0, 16);
    v6[10] = v6[11] = 0xff;
    v6[12] = 1; v6[13] = 2; v6[14] = 3; v6[15] = 4;
    naming_addr(6, v6, a, sizeof a);
    assert_string_equal(a, "::ffff:1.2.3.4");
    /* every group non-zero: no compression, lowercase hex, no leading zeros */
    const uint8_t full[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02,
                               0x00, 0x03, 0x00, 0x04, 0xab, 0xcd, 0x00, 0x0f };
    naming_addr(6, full, a, sizeof a);
    assert_string_equal(a, "2001:db8:1:2:3:4:abcd:f");
    /* too small a buffer: "?" rather than a truncated address */
    naming_addr(6, full, a, 8);
    assert_string_equal(a, "?");
}

/* ---- MACs, VLAN ---- */

static void test_mac(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    /* no Ethernet header: zeros (docs/internals/naming.md) */
    render_is("%E/%e", &f, 0, "00:00:00:00:00:00/00:00:00:00:00:00");
    f.has_mac = true;
    const uint8_t s[6] = { 0x00, 0x1b, 0x21, 0xAB, 0xcd, 0xEF };
    const uint8_t d[6] = { 0xff, 0xff, 0xff, 0x00, 0x01, 0x02 };
    memcpy(f.mac_src, s, 6);
    memcpy(f.mac_dst, d, 6);
    render_is("%E/%e", &f, 0, "00:1b:21:ab:cd:ef/ff:ff:ff:00:01:02");
    render_is("%e-%E", &f, 0, "ff:ff:ff:00:01:02-00:1b:21:ab:cd:ef");
}

static void test_vlan(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is("x%Vy%vz", &f, 0, "xyz");
    f.vlan = 7;                       /* ignored without has_vlan */
    render_is("x%Vy%vz", &f, 0, "xyz");
    f.has_vlan = true;
    render_is("x%Vy%vz", &f, 0, "x--y7z");
    f.vlan = 0;
    render_is("%V%v", &f, 0, "--0");
    f.vlan = 4095;
    render_is("%V%v", &f, 0, "--4095");
    render_is("%v", &f, 0, "4095");
}

/* %U%u: "--" and the tunnel's description, nothing without a tunnel. */
static void test_tunnel(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is("x%Uy%uz", &f, 0, "xyz");
    struct tunnel t = { 3, 2, TUN_VXLAN, 4, true, 42, { 0 }, { 0 }, NULL,
                        "gre_10.0.0.1_10.0.0.2+vxlan.42_198.18.0.1_198.18.0.2" };
    f.tun = &t;
    render_is("%b%U%u", &f, 0, "00080--gre_10.0.0.1_10.0.0.2+vxlan.42_198.18.0.1_198.18.0.2");
    render_is("%u", &f, 0, "gre_10.0.0.1_10.0.0.2+vxlan.42_198.18.0.1_198.18.0.2");
}

/* ---- times ---- */

static void test_times(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is("%T", &f, 0, "2001-09-09T01:46:40Z");
    render_is("%t", &f, 0, "1000000000");
    render_is("%tT%A", &f, 0, "1000000000T010.000.000.001");

    char out[256];
    /* tdelta is added (and can cross a second / go backwards) */
    assert_int_equal(naming_render("%t %T", NULL, &f, 0, 3600LL * 1000000, out, sizeof out),
                     (int)strlen("1000003600 2001-09-09T02:46:40Z"));
    assert_string_equal(out, "1000003600 2001-09-09T02:46:40Z");
    assert_true(naming_render("%t", NULL, &f, 0, 750000, out, sizeof out) > 0);
    assert_string_equal(out, "1000000001");
    assert_true(naming_render("%t", NULL, &f, 0, -250001, out, sizeof out) > 0);
    assert_string_equal(out, "999999999");

    f.first_us = 0;
    render_is("%t %T", &f, 0, "0 1970-01-01T00:00:00Z");
    /* before the epoch: seconds rounded down */
    f.first_us = -1;
    render_is("%t %T", &f, 0, "-1 1969-12-31T23:59:59Z");
    f.first_us = -1000000;
    render_is("%t", &f, 0, "-1");
    f.first_us = -1000001;
    render_is("%t", &f, 0, "-2");
    f.first_us = 1709251199LL * 1000000 + 999999;   /* 2024-02-29T23:59:59Z */
    render_is("%T", &f, 0, "2024-02-29T23:59:59Z");
}

/* ---- counters, ids ---- */

static void test_counters(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is("[%C][%c][%#]", &f, 0, "[][][0]");
    render_is("[%C][%c][%#]", &f, 1, "[c][1][1]");
    render_is("[%C][%c][%#]", &f, 10, "[c][10][10]");
    render_is("[%C][%c][%#]", &f, 999999, "[c][999999][999999]");
    render_is("[%C][%c][%#]", &f, UINT32_MAX, "[c][4294967295][4294967295]");
}

static void test_flow_id_digits(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is("%G-%M-%K-%N", &f, 0, "000-000-000-000");
    f.flow_id = 7;
    render_is("%G-%M-%K-%N", &f, 0, "000-000-000-007");
    f.flow_id = 123456789012ull;
    render_is("%G-%M-%K-%N", &f, 0, "123-456-789-012");
    f.flow_id = 1000;
    render_is("%K%N", &f, 0, "001000");
    /* %G is modulo 1000 too */
    f.flow_id = 9876543210123ull;
    render_is("%G.%M.%K.%N", &f, 0, "876.543.210.123");
}

static void test_session_and_percent(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    render_is("%S", &f, 0, "00000000000000000000");
    f.session_id = 42;
    render_is("s%S", &f, 0, "s00000000000000000042");
    f.session_id = UINT64_MAX;
    render_is("%S", &f, 0, "18446744073709551615");
    render_is("100%%", &f, 0, "100%");
    render_is("%%%%", &f, 0, "%%");
    render_is("%%c%c", &f, 3, "%c3");      /* %%c is a '%' then 'c' */
    render_is("%%A", &f, 0, "%A");
    render_is("", &f, 0, "");
    render_is("plain/name.txt", &f, 5, "plain/name.txt");
}

/* ---- outdir prefix, overflow ---- */

static void test_outdir_prefix(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    char out[256];
    assert_int_equal(naming_render("%a", ".", &f, 0, 0, out, sizeof out), 5);
    assert_string_equal(out, "01234");
    assert_int_equal(naming_render("%a", "", &f, 0, 0, out, sizeof out), 5);
    assert_string_equal(out, "01234");
    assert_int_equal(naming_render("%a", NULL, &f, 0, 0, out, sizeof out), 5);
    assert_string_equal(out, "01234");
    assert_int_equal(naming_render("%a", "out", &f, 0, 0, out, sizeof out), 9);
    assert_string_equal(out, "out/01234");
    /* textual: a trailing slash is kept, as in 1.6.1 */
    assert_int_equal(naming_render("%a", "out/", &f, 0, 0, out, sizeof out), 10);
    assert_string_equal(out, "out//01234");
    assert_int_equal(naming_render("%a", "/abs/d", &f, 0, 0, out, sizeof out), 12);
    assert_string_equal(out, "/abs/d/01234");
    assert_int_equal(naming_render("%a", "./x", &f, 0, 0, out, sizeof out), 9);
    assert_string_equal(out, "./x/01234");
}

static void test_overflow(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    const char *want = "010.000.000.001.01234-010.000.000.002.00080c12";
    size_t len = strlen(want);
    char out[128];
    /* exactly len+1 bytes fits */
    memset(out, 'Z', sizeof out);
    assert_int_equal(naming_render(NAMING_DEFAULT_TEMPLATE, NULL, &f, 12, 0, out, len + 1), (int)len);
    assert_string_equal(out, want);
    /* one byte less (no room for the NUL) does not */
    for (size_t n = 1; n <= len; n++) {
        memset(out, 'Z', sizeof out);
        assert_int_equal(naming_render(NAMING_DEFAULT_TEMPLATE, NULL, &f, 12, 0, out, n), -1);
        assert_int_equal(out[n], 'Z');      /* nothing written past outlen */
    }
    /* the outdir counts */
    assert_int_equal(naming_render("%a", "dir", &f, 0, 0, out, 9), -1);
    assert_int_equal(naming_render("%a", "dir", &f, 0, 0, out, 10), 9);
    assert_string_equal(out, "dir/01234");
}

/* ---- naming_check ---- */

static void test_check_codes(void **st)
{
    (void)st;
    const char *all = "AaBbEeVvTtCc#NKMGS%";
    char t[4];
    for (const char *p = all; *p; p++) {
        snprintf(t, sizeof t, "%%%c", *p);
        check_ok(t);
    }
    check_ok("");
    check_ok("plain");
    check_ok(NAMING_DEFAULT_TEMPLATE);
    check_ok("%A/%a/%B/%b/%c%N.flow");
    check_ok("%G000000-%G999999/%G%M000-%G%M999/%G%M%K/%tT%T%S%E%e%#");
    check_ok("%%Q");                  /* a '%' then 'Q' */
    check_ok("x%%");
}

static void test_check_errors(void **st)
{
    (void)st;
    check_bad("x%Q", "Invalid filename_template: x%Q (unknown code %Q)");
    check_bad("%A.%z", "Invalid filename_template: %A.%z (unknown code %z)");
    check_bad("%n", "Invalid filename_template: %n (unknown code %n)");   /* case matters */
    check_bad("%g", "Invalid filename_template: %g (unknown code %g)");
    check_bad("%k", "Invalid filename_template: %k (unknown code %k)");
    check_bad("% ", "Invalid filename_template: %  (unknown code % )");
    check_bad("%/", "Invalid filename_template: %/ (unknown code %/)");
    check_bad("x%", "Invalid filename_template: x% (ends with a lone %)");
    check_bad("x%c%", "Invalid filename_template: x%c% (ends with a lone %)");
    check_bad("%%%", "Invalid filename_template: %%% (ends with a lone %)");
    check_bad("%", "Invalid filename_template: % (ends with a lone %)");
    /* the first bad code is named */
    check_bad("%A%Q%W", "Invalid filename_template: %A%Q%W (unknown code %Q)");
    /* the message is cut to errlen, NUL terminated */
    char err[8];
    assert_false(naming_check("%Q", err, sizeof err));
    assert_string_equal(err, "Invalid");
}

/* ---- -F letters ---- */

static void test_apply_F_prefixes(void **st)
{
    (void)st;
    const char *d = NAMING_DEFAULT_TEMPLATE;
    apply_is(d, "t", "%tT%A.%a-%B.%b%V%v%C%c");
    apply_is(d, "T", "%T%A.%a-%B.%b%V%v%C%c");
    apply_is(d, "k", "%K/%A.%a-%B.%b%V%v%C%c");
    apply_is(d, "m", "%M000-%M999/%M%K/%A.%a-%B.%b%V%v%C%c");
    apply_is(d, "g", "%G000000-%G999999/%G%M000-%G%M999/%G%M%K/%A.%a-%B.%b%V%v%C%c");
    /* letters apply in order, each to the current template */
    apply_is("x", "tk", "%K/%tTx");
    apply_is("x", "kt", "%tT%K/x");
    apply_is("x", "TT", "%T%Tx");

    /* rendered: -Fk bins by thousands of flows */
    struct flow f;
    flow4(&f);
    f.flow_id = 12345;
    char *t = strdup("%N");
    assert_true(naming_apply_F(&t, 'k'));
    render_is(t, &f, 0, "012/345");
    free(t);
    t = strdup("%N");
    assert_true(naming_apply_F(&t, 'm'));
    render_is(t, &f, 0, "000000-000999/000012/345");
    free(t);
    f.flow_id = 1002003004ull;
    t = strdup("%N");
    assert_true(naming_apply_F(&t, 'g'));
    render_is(t, &f, 0, "001000000-001999999/001002000-001002999/001002003/004");
    free(t);
}

static void test_apply_F_counter(void **st)
{
    (void)st;
    /* %C%c -> c%#: the counter on every name, 0 included */
    apply_is(NAMING_DEFAULT_TEMPLATE, "c", "%A.%a-%B.%b%V%vc%#");
    /* another %c -> %# */
    apply_is("x%cy", "c", "x%#y");
    /* no counter at all: c%# appended */
    apply_is("x", "c", "xc%#");
    apply_is("", "c", "c%#");
    /* %# already there: unchanged */
    apply_is("%#x", "c", "%#x");
    /* applying twice changes nothing more */
    apply_is(NAMING_DEFAULT_TEMPLATE, "cc", "%A.%a-%B.%b%V%vc%#");
    /* a lone %C stays (renders "c" when the counter > 0) */
    apply_is("%Cx", "c", "%Cxc%#");

    struct flow f;
    flow4(&f);
    char *t = strdup(NAMING_DEFAULT_TEMPLATE);
    assert_true(naming_apply_F(&t, 'c'));
    render_is(t, &f, 0, "010.000.000.001.01234-010.000.000.002.00080c0");
    render_is(t, &f, 1, "010.000.000.001.01234-010.000.000.002.00080c1");
    free(t);
}

static void test_apply_F_others(void **st)
{
    (void)st;
    /* X and M are the caller's; unknown letters are refused; the template is untouched */
    const char *letters = "XMqQaAz0 %";
    for (const char *l = letters; *l; l++) {
        char *t = strdup("keep%c");
        char *before = t;
        assert_false(naming_apply_F(&t, *l));
        assert_ptr_equal(t, before);
        assert_string_equal(t, "keep%c");
        free(t);
    }
}

/* ---- naming_finalize ---- */

static void finalize_is(const char *in, const char *want)
{
    char *r = naming_finalize(in);
    assert_non_null(r);
    assert_ptr_not_equal(r, in);
    assert_string_equal(r, want);
    free(r);
}

static void test_finalize(void **st)
{
    (void)st;
    finalize_is(NAMING_DEFAULT_TEMPLATE, NAMING_DEFAULT_TEMPLATE);
    finalize_is("x", "x%C%c");
    finalize_is("", "%C%c");
    finalize_is("%cx", "%cx");
    finalize_is("x%c", "x%c");
    /* %# does not count (as 1.6.1) */
    finalize_is("x%#", "x%#%C%c");
    /* %C alone does not count */
    finalize_is("x%C", "x%C%C%c");
    /* %%c is a literal, not the code */
    finalize_is("a%%c", "a%%c%C%c");
    finalize_is("a%%%c", "a%%%c");
    /* a trailing lone % pairs with the appended %C%c, as in 1.6.1 (x%C, x%C1) */
    finalize_is("x%", "x%%C%c");
    char *r = naming_finalize("x%");
    char err[128];
    assert_true(naming_check(r, err, sizeof err));
    struct flow f;
    flow4(&f);
    render_is(r, &f, 0, "x%C");
    render_is(r, &f, 1, "x%C1");
    free(r);
    /* every finalized template distinguishes counters 0 and 1 */
    const char *ts[] = { "x", "%A", "%T", "x%C", "%#", "%%c" };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        char a[128], b[128];
        r = naming_finalize(ts[i]);
        assert_true(naming_render(r, NULL, &f, 0, 0, a, sizeof a) >= 0);
        assert_true(naming_render(r, NULL, &f, 1, 0, b, sizeof b) >= 0);
        assert_string_not_equal(a, b);
        free(r);
    }
}

/* -Fc, like finalize, must give names that differ for different counters,
 * whatever %-escapes the template holds.
 * Regression (bug found by this test, fixed): naming.c naming_apply_F('c') is not %-escape aware: in "a%%c" the
 * "%c" inside "%%c" is rewritten to "%#" giving "a%%#", which renders the
 * literal "a%#" for every counter (and, because "%#" is then found by
 * strstr, no c%# is appended).  Two flows named by this template collide
 * forever: sink_file tries 10^6 counters, all the same name, and fails. */
static void test_regr_apply_Fc_escaped_percent(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    const char *ts[] = { "a%%c", "a%%#" };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        char *t = strdup(ts[i]);
        assert_true(naming_apply_F(&t, 'c'));
        char a[128], b[128];
        int ra = naming_render(t, NULL, &f, 0, 0, a, sizeof a);
        int rb = naming_render(t, NULL, &f, 1, 0, b, sizeof b);
        if (ra >= 0 && rb >= 0 && strcmp(a, b) == 0)
            fprintf(stderr, "-Fc on [%s] gives [%s]: counters 0 and 1 both render [%s]\n", ts[i], t, a);
        free(t);
        assert_true(ra >= 0 && rb >= 0);
        assert_string_not_equal(a, b);
    }
}

/* Regression (bug found by this test, fixed): naming.c naming_render with outlen 0 and a template that renders to
 * "" (e.g. "" or "%C%c" with counter 0, no outdir) writes the terminating
 * NUL at out[0], one byte past the buffer, and returns 0 instead of -1
 * ("does not fit"). */
static void test_regr_render_zero_outlen(void **st)
{
    (void)st;
    struct flow f;
    flow4(&f);
    char buf[2] = { 'Z', 'Z' };
    assert_int_equal(naming_render("%C%c", NULL, &f, 0, 0, buf, 0), -1);
    assert_int_equal(buf[0], 'Z');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_template),
        cmocka_unit_test(test_ipv4_padding),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_tunnel),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_flow_id_digits),
        cmocka_unit_test(test_session_and_percent),
        cmocka_unit_test(test_outdir_prefix),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_check_codes),
        cmocka_unit_test(test_check_errors),
        cmocka_unit_test(test_apply_F_prefixes),
        cmocka_unit_test(test_apply_F_counter),
        cmocka_unit_test(test_apply_F_others),
        cmocka_unit_test(test_finalize),
        cmocka_unit_test(test_regr_apply_Fc_escaped_percent),
        cmocka_unit_test(test_regr_render_zero_outlen),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    return r;
}
