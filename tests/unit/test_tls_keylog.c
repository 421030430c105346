/* Unit tests for scan/tls/keylog.c: parsing (labels, comments, bad lines,
 * CRLF), lookups, re-reading a file that grows (a line completed later), a
 * file replaced, the TLS 1.2 session cache, and an unreadable file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "scan/tls/keylog.h"

#define CR1 "0101010101010101010101010101010101010101010101010101010101010101"
#define CR2 "0202020202020202020202020202020202020202020202020202020202020202"
#define S32 "1111111111111111111111111111111111111111111111111111111111111111"
#define S48 "222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222"

static void cr(uint8_t out[32], uint8_t v) { memset(out, v, 32); }

static void t_parse(void **st)
{
    (void)st;
    char err[256];
    struct tls_keylog *kl = tls_keylog_open(NULL, 0, err, sizeof err);
    const char *text =
        "# comment\n"
        "\n"
        "CLIENT_RANDOM " CR1 " " S48 "\r\n"
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET " CR2 " " S32 "\n"
        "  SERVER_TRAFFIC_SECRET_0\t" CR2 "  " S48 "  \n"
        "EXPORTER_SECRET " CR2 " " S32 "\n"
        "RSA 0011223344556677 " S48 "\n"
        "CLIENT_RANDOM " CR1 " 1234\n"                  /* wrong length */
        "CLIENT_RANDOM " CR1 "\n"                       /* missing field */
        "CLIENT_RANDOM zz" CR1 " " S48 "\n"             /* not hex */
        "CLIENT_RANDOM " CR1 " " S48 " extra\n"
        "SERVER_HANDSHAKE_TRAFFIC_SECRET " CR2 " " S32; /* no newline: taken */
    tls_keylog_add_text(kl, text, strlen(text));
    struct tls_keylog_stats ks;
    tls_keylog_get_stats(kl, &ks);
    assert_int_equal(ks.lines, 4);
    assert_int_equal(ks.bad_lines, 4);
    assert_int_equal(ks.unsupported, 1);
    assert_int_equal(ks.entries, 2);
    struct tls_secrets s;
    uint8_t r[32];
    cr(r, 1);
    assert_true(tls_keylog_lookup(kl, r, false, &s));
    assert_int_equal(s.have, 1u << TLS_SK_MASTER);
    assert_int_equal(s.len[TLS_SK_MASTER], 48);
    assert_int_equal(s.v[TLS_SK_MASTER][47], 0x22);
    cr(r, 2);
    assert_true(tls_keylog_lookup(kl, r, false, &s));
    assert_int_equal(s.have, (1u << TLS_SK_CLIENT_HS) | (1u << TLS_SK_SERVER_AP) | (1u << TLS_SK_SERVER_HS));
    assert_int_equal(s.len[TLS_SK_SERVER_AP], 48);
    assert_int_equal(s.len[TLS_SK_CLIENT_HS], 32);
    cr(r, 3);
    assert_false(tls_keylog_lookup(kl, r, true, &s));
    tls_keylog_get_stats(kl, &ks);
    assert_int_equal(ks.used, 2);
    tls_keylog_free(kl);
}

static void t_file_grows(void **st)
{
    (void)st;
    char path[] = "/tmp/tcpflow-keylog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("CLIENT_RANDOM " CR1 " " S48 "\nCLIENT_RANDOM " CR2 " 2222", f);   /* the second line half written */
    fflush(f);
    char err[256];
    const char *paths[] = { path };
    struct tls_keylog *kl = tls_keylog_open(paths, 1, err, sizeof err);
    assert_non_null(kl);
    struct tls_secrets s;
    uint8_t r1[32], r2[32];
    cr(r1, 1);
    cr(r2, 2);
    assert_true(tls_keylog_lookup(kl, r1, false, &s));
    assert_false(tls_keylog_lookup(kl, r2, true, &s));
    /* the writer finishes the line: a lookup that misses reads it */
    const char *s48 = S48;
    fputs(s48 + 4, f);
    fputs("\n", f);
    fflush(f);
    assert_false(tls_keylog_lookup(kl, r2, false, &s));
    assert_true(tls_keylog_lookup(kl, r2, true, &s));
    assert_int_equal(s.v[TLS_SK_MASTER][0], 0x22);
    struct tls_keylog_stats ks;
    tls_keylog_get_stats(kl, &ks);
    assert_int_equal(ks.bad_lines, 0);
    assert_int_equal(ks.lines, 2);
    /* replaced by a shorter file: read again from its start */
    fclose(f);
    f = fopen(path, "w");
    fputs("CLIENT_HANDSHAKE_TRAFFIC_SECRET " CR1 " " S32 "\n", f);
    fclose(f);
    assert_int_equal(tls_keylog_refresh(kl), 1);
    assert_true(tls_keylog_lookup(kl, r1, false, &s));
    assert_int_equal(s.have, (1u << TLS_SK_MASTER) | (1u << TLS_SK_CLIENT_HS));
    tls_keylog_get_stats(kl, &ks);
    assert_int_equal(ks.rereads, 1);
    /* the file vanishes: refresh says so, what was read stays */
    unlink(path);
    assert_int_equal(tls_keylog_refresh(kl), -1);
    assert_true(tls_keylog_lookup(kl, r1, true, &s));
    tls_keylog_free(kl);
}

static void t_open_errors(void **st)
{
    (void)st;
    char err[256] = "";
    const char *paths[] = { "/nonexistent/keys.log" };
    assert_null(tls_keylog_open(paths, 1, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/keys.log"));
    tls_keylog_free(NULL);
}

static void t_sessions(void **st)
{
    (void)st;
    char err[256];
    struct tls_keylog *kl = tls_keylog_open(NULL, 0, err, sizeof err);
    uint8_t ms[48], got[48], id[32], ticket[200];
    memset(ms, 7, sizeof ms);
    memset(id, 9, sizeof id);
    memset(ticket, 5, sizeof ticket);
    assert_false(tls_keylog_recall(kl, 0, id, 32, got));
    tls_keylog_remember(kl, 0, id, 32, ms);
    tls_keylog_remember(kl, 1, ticket, sizeof ticket, ms);
    assert_true(tls_keylog_recall(kl, 0, id, 32, got));
    assert_memory_equal(got, ms, 48);
    assert_true(tls_keylog_recall(kl, 1, ticket, sizeof ticket, got));
    assert_false(tls_keylog_recall(kl, 1, id, 32, got));         /* kinds apart */
    assert_false(tls_keylog_recall(kl, 0, ticket, 31, got));
    assert_false(tls_keylog_recall(kl, 0, id, 0, got));
    tls_keylog_free(kl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_parse), cmocka_unit_test(t_file_grows), cmocka_unit_test(t_open_errors),
        cmocka_unit_test(t_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
