/* test_http_out.c - body files and report fragments of the HTTP engine
 * (scan/http_out.c): names for both directions, bytes, the <byte_runs>
 * fragment well-formed whatever bytes the traffic holds, a planted symlink
 * not followed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <openssl/evp.h>

#include "scan/http_files.h"
#include "scan/http_out.h"
#include "scan/http_parse.h"
#include "util/counters.h"
#include "testfiles.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof dir, "test_http_out");
}

static int teardown(void **state)
{
    (void)state;
    return test_rmtree(dir);
}

static char *slurp(const char *name, size_t *n)
{
    static char buf[4096];
    return test_slurp(dir, name, buf, sizeof buf, n);
}

static void wellformed(const char *x)
{
    xmlDocPtr d = xmlReadMemory(x, (int)strlen(x), "frag.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    assert_non_null(d);
    xmlFreeDoc(d);
}

static void test_files_and_fragment(void **state)
{
    (void)state;
    char req[256], resp[256];
    snprintf(req, sizeof req, "%s/c-s", dir);
    snprintf(resp, sizeof resp, "%s/s-c", dir);
    struct counters ctr;
    memset(&ctr, 0, sizeof ctr);
    struct http_out_config oc = { dir, { req, NULL }, -1, NULL, true };
    struct http_out *o = http_out_new(&oc, &ctr);
    http_out_set_path(o, HTTP_S2C, resp);                               /* known later */
    struct http_conn_config cc = { 0 };
    struct http_conn *c = http_conn_new(&cc, &http_out_cb, o);
    const char q[] = "POST /x?a=<&'\"\x01\xff> HTTP/1.1\r\nHost: h&<\r\nContent-Type: application/json\r\n"
                     "Content-Length: 4\r\n\r\n{\"a\"GET /2 HTTP/1.1\r\n\r\n";
    const char r[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                     "Content-Length: 5\r\n\r\nhello"
                     "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc";
    http_conn_data(c, HTTP_C2S, (const uint8_t *)q, sizeof q - 1);
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r, sizeof r - 1);
    http_conn_free(c);
    size_t n;
    char *b = slurp("c-s-HTTPREQBODY-001.json", &n);
    assert_non_null(b);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "{\"a\"", 4);
    b = slurp("s-c-HTTPBODY-002.html", &n);                              /* 001 is the 100 Continue */
    assert_non_null(b);
    assert_memory_equal(b, "hello", 5);
    b = slurp("s-c-HTTPBODY-003", &n);                                    /* undecodable: as sent */
    assert_non_null(b);
    assert_memory_equal(b, "abc", 3);
    assert_int_equal(ctr.n[C_HTTP_REQ_BODIES], 1);
    assert_int_equal(ctr.n[C_HTTP_BODIES], 2);
    assert_int_equal(ctr.n[C_HTTP_UNDECODABLE], 1);
    char *xq = http_out_xml(o, HTTP_C2S), *xr = http_out_xml(o, HTTP_S2C);
    assert_non_null(xq);
    assert_non_null(xr);
    wellformed(xq);
    wellformed(xr);
    assert_non_null(strstr(xq, "uri='/x?a=&lt;&amp;%27&quot;%01%FF&gt;'"));
    assert_non_null(strstr(xq, "host='h&amp;&lt;'"));
    assert_non_null(strstr(xq, "method='POST'"));
    assert_non_null(strstr(xr, "<byte_run file_offset='"));
    assert_non_null(strstr(xr, "status='200' content_type='text/html' sent='5' complete='1'"));
    assert_non_null(strstr(xr, "kept_as_sent='1' decode_error='"));
    assert_non_null(strstr(xr, "<hashdigest type='SHA256'>2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    free(xq);
    free(xr);
    assert_null(http_out_xml(o, HTTP_C2S));                              /* taken */
    http_out_free(o);
}

static void test_symlink_not_followed(void **state)
{
    (void)state;
    char resp[256], link[300], target[300];
    snprintf(resp, sizeof resp, "%s/t", dir);
    snprintf(link, sizeof link, "%s/t-HTTPBODY-001", dir);
    snprintf(target, sizeof target, "%s/precious", dir);
    FILE *f = fopen(target, "w");
    fputs("precious", f);
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    struct counters ctr;
    memset(&ctr, 0, sizeof ctr);
    struct http_out_config oc = { dir, { NULL, resp }, -1, NULL, false };
    struct http_out *o = http_out_new(&oc, &ctr);
    struct http_conn_config cc = { .responses_only = true };
    struct http_conn *c = http_conn_new(&cc, &http_out_cb, o);
    const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nho";
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r, sizeof r - 1);
    http_conn_free(c);
    size_t n;
    char *b = slurp("precious", &n);
    assert_memory_equal(b, "precious", 8);
    assert_int_equal(http_out_failures(o), 1);
    assert_int_equal(ctr.n[C_HTTP_BODY_FAILED], 1);
    b = slurp("t-HTTPBODY-002", &n);
    assert_non_null(b);
    assert_memory_equal(b, "ho", 2);
    char *x = http_out_xml(o, HTTP_S2C);
    wellformed(x);
    free(x);
    http_out_free(o);
}

/* Many connections' bodies interleaved through one pool that keeps one
 * file open (every write evicts another: reopened to append), with and
 * without the writer thread; holes as sparse zeros; every byte and digest
 * right, the fragments only complete once the files are. */
static void pool_run(bool thread)
{
    enum { CONNS = 6, PIECES = 40, PIECE = 7000 };
    struct counters ctr;
    memset(&ctr, 0, sizeof ctr);
    struct http_files *fs = http_files_new(1, thread);
    struct http_out *o[CONNS];
    struct http_conn *c[CONNS];
    struct http_conn_config cc = { .responses_only = true };
    for (int i = 0; i < CONNS; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s%d", dir, thread ? "t" : "s", i);
        struct http_out_config oc = { dir, { NULL, p }, -1, NULL, true };
        o[i] = http_out_new(&oc, &ctr);
        http_out_set_files(o[i], fs);
        c[i] = http_conn_new(&cc, &http_out_cb, o[i]);
        char h[128];
        int n = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", PIECES * PIECE);
        http_conn_data(c[i], HTTP_S2C, (const uint8_t *)h, (size_t)n);
    }
    static uint8_t piece[PIECE];
    for (int k = 0; k < PIECES; k++) {
        for (int i = 0; i < CONNS; i++) {
            if (k == 5 && i == 2) {
                http_conn_gap(c[i], HTTP_S2C, PIECE);            /* a hole: zeros */
                continue;
            }
            memset(piece, 'a' + i + k % 3, sizeof piece);
            http_conn_data(c[i], HTTP_S2C, piece, sizeof piece);
        }
    }
    for (int i = 0; i < CONNS; i++) {
        http_conn_free(c[i]);
        char *x = http_out_xml(o[i], HTTP_S2C);
        assert_non_null(x);
        wellformed(x);
        char p[256];
        snprintf(p, sizeof p, "%s/%s%d-HTTPBODY-001", dir, thread ? "t" : "s", i);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        for (int k = 0; k < PIECES; k++) {
            assert_int_equal(fread(piece, 1, sizeof piece, f), sizeof piece);
            for (size_t j = 0; j < sizeof piece; j++)
                assert_int_equal(piece[j], k == 5 && i == 2 ? 0 : 'a' + i + k % 3);
            EVP_DigestUpdate(md, piece, sizeof piece);
        }
        assert_int_equal(fread(piece, 1, 1, f), 0);
        fclose(f);
        uint8_t d[32];
        EVP_DigestFinal_ex(md, d, NULL);
        EVP_MD_CTX_free(md);
        char hex[65];
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", d[j]);
        assert_non_null(strstr(x, hex));
        assert_non_null(strstr(x, i == 2 ? "complete='0' gap='1'" : "complete='1'"));
        free(x);
        assert_int_equal(http_out_failures(o[i]), 0);
        http_out_free(o[i]);
    }
    assert_int_equal(ctr.n[C_HTTP_BODIES], CONNS);
    assert_int_equal(ctr.n[C_HTTP_BODY_FAILED], 0);
    http_files_free(fs);
}

static void test_pool_sync(void **state)
{
    (void)state;
    pool_run(false);
}

static void test_pool_thread(void **state)
{
    (void)state;
    pool_run(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_and_fragment),
        cmocka_unit_test(test_symlink_not_followed),
        cmocka_unit_test(test_pool_sync),
        cmocka_unit_test(test_pool_thread),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
