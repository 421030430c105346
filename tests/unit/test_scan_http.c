/* test_scan_http.c - 1.6.1's response parser over a buffer and its decoders (scan/http_compat.c).
 * The expected behaviour in the corners is 1.6.1's (http-parser 2.9,
 * non-strict), as observed by tests/e2e/t_http.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "scan/http.h"

#define MAXR 16

/* What the callbacks saw. */
struct seen {
    unsigned nbegin, nend;
    unsigned num[MAXR];
    char ext[MAXR][32];
    bool has_body[MAXR];
    uint64_t off[MAXR];
    uint8_t *data[MAXR];
    size_t len[MAXR];
    bool open;                         /* between begin and end */
};

static void on_begin(void *arg, unsigned n, const char *ext, bool has_body)
{
    struct seen *s = arg;
    assert_false(s->open);
    assert_true(s->nbegin < MAXR);
    s->open = true;
    s->num[s->nbegin] = n;
    snprintf(s->ext[s->nbegin], sizeof s->ext[0], "%s", ext);
    s->has_body[s->nbegin] = has_body;
    s->off[s->nbegin] = UINT64_MAX;
    s->nbegin++;
}

static void on_data(void *arg, uint64_t off, const uint8_t *p, size_t len)
{
    struct seen *s = arg;
    assert_true(s->open);
    unsigned i = s->nbegin - 1;
    assert_true(len > 0);
    if (s->off[i] == UINT64_MAX)
        s->off[i] = off;
    assert_int_equal(s->off[i], off);          /* one offset per body */
    s->data[i] = realloc(s->data[i], s->len[i] + len);
    assert_non_null(s->data[i]);
    memcpy(s->data[i] + s->len[i], p, len);
    s->len[i] += len;
}

static void on_end(void *arg)
{
    struct seen *s = arg;
    assert_true(s->open);
    s->open = false;
    s->nend++;
}

static unsigned scan(const void *buf, size_t n, bool gunzip, struct seen *s)
{
    memset(s, 0, sizeof *s);
    struct http_cb cb = { s, on_begin, on_data, on_end };
    /* a heap copy of exactly n bytes: a read past the end shows under ASan */
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, buf, n);
    unsigned r = http_scan(copy, n, gunzip, &cb);
    free(copy);
    assert_false(s->open);
    assert_int_equal(s->nbegin, s->nend);
    assert_int_equal(r, s->nbegin);
    for (unsigned i = 0; i < s->nbegin; i++)
        assert_int_equal(s->num[i], i + 1);
    return r;
}

static void seen_free(struct seen *s)
{
    for (unsigned i = 0; i < MAXR; i++)
        free(s->data[i]);
}

static void body_is(const struct seen *s, unsigned i, const void *want, size_t len)
{
    assert_int_equal(s->len[i], len);
    if (len)
        assert_memory_equal(s->data[i], want, len);
}

/* "HTTP/1.1 200 OK\r\nContent-Type: T\r\nContent-Length: N\r\n\r\n" + body */
static size_t cl_resp(char *out, size_t cap, const char *ctype, const char *body, size_t n)
{
    int k = snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     ctype, n);
    assert_true(k > 0 && (size_t)k + n <= cap);
    memcpy(out + k, body, n);
    return (size_t)k + n;
}

static uint8_t page[4000];

static void make_page(void)
{
    for (size_t i = 0; i < sizeof page; i++)
        page[i] = (uint8_t)("<p>some html that compresses</p>\n"[i % 33]);
}

/* gzip (wbits 31) or zlib (15) of page */
static size_t compress_page(uint8_t *out, size_t cap, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = page;
    z.avail_in = sizeof page;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void test_stream_test(void **state)
{
    (void)state;
    char b[200];
    memset(b, 'x', sizeof b);
    memcpy(b, "HTTP/1.1 200 OK\r\n", 17);
    assert_true(http_is_response_stream((uint8_t *)b, 80));
    assert_false(http_is_response_stream((uint8_t *)b, 79));   /* 1.6.1: at least 80 bytes */
    memcpy(b, "HTTP/2.0", 8);
    assert_false(http_is_response_stream((uint8_t *)b, 200));
    memcpy(b, "GET / HTTP/1.1\r\n", 16);
    assert_false(http_is_response_stream((uint8_t *)b, 200));
}

static void test_mime(void **state)
{
    (void)state;
    const struct { const char *v, *ext; } t[] = {
        { "text/html", "html" }, { "text/html; charset=utf-8", "html" }, { "TEXT/Plain", "txt" },
        { "  image/png", "png" }, { "image/jpeg", "jpg" }, { "application/json", "json" },
        { "text/plain ;q=1", "" },                 /* blanks before ';' stay (1.6.1) */
        { "text/plain  ", "" }, { "application/octet-stream", "" }, { "x/unknown", "" },
        { "", "" }, { ";", "" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_string_equal(http_mime_ext(t[i].v, strlen(t[i].v)), t[i].ext);
    char big[300];
    memset(big, 'a', sizeof big);
    assert_string_equal(http_mime_ext(big, sizeof big), "");
}

static void test_pipelined_content_length(void **state)
{
    (void)state;
    make_page();
    char buf[6000];
    size_t n = cl_resp(buf, sizeof buf, "text/html", (char *)page, 1000);
    size_t off2 = n;
    n += cl_resp(buf + n, sizeof buf - n, "image/png", "PNGDATA", 7);
    n += cl_resp(buf + n, sizeof buf - n, "x/y", "", 0);
    n += cl_resp(buf + n, sizeof buf - n, "application/json", "{}", 2);
    struct seen s;
    assert_int_equal(scan(buf, n, true, &s), 4);
    body_is(&s, 0, page, 1000);
    body_is(&s, 1, "PNGDATA", 7);
    body_is(&s, 2, "", 0);
    body_is(&s, 3, "{}", 2);
    assert_string_equal(s.ext[0], "html");
    assert_string_equal(s.ext[1], "png");
    assert_string_equal(s.ext[2], "");
    assert_string_equal(s.ext[3], "json");
    assert_int_equal(s.off[0], off2 - 1000);        /* the body's first byte in the stream */
    char tmpb[200];
    assert_int_equal(s.off[1], off2 + (cl_resp(tmpb, sizeof tmpb, "image/png", "PNGDATA", 7) - 7));
    seen_free(&s);
}

static void test_no_body_statuses(void **state)
{
    (void)state;
    const char *r = "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 204 No Content\r\n\r\n"
                    "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
                    "HTTP/1.1 101 Switching\r\n\r\n"          /* no Upgrade headers: just a 1xx */
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    struct seen s;
    assert_int_equal(scan(r, strlen(r), true, &s), 5);
    for (int i = 0; i < 4; i++) {
        assert_false(s.has_body[i]);
        body_is(&s, (unsigned)i, "", 0);
    }
    assert_true(s.has_body[4]);
    body_is(&s, 4, "hello", 5);
    seen_free(&s);
}

static void test_upgrade_stops(void **state)
{
    (void)state;
    const char *r = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    struct seen s;
    assert_int_equal(scan(r, strlen(r), true, &s), 1);
    seen_free(&s);
}

static void test_chunked(void **state)
{
    (void)state;
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                    "5;name=value\r\nhello\r\n"
                    "1F\r\n0123456789012345678901234567890\r\n"
                    "3\r\nabcXY"                              /* the two bytes after data: unchecked */
                    "0\r\nX-Trailer: 1\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct seen s;
    assert_int_equal(scan(r, strlen(r), true, &s), 2);
    body_is(&s, 0, "hello0123456789012345678901234567890abc", 39);
    assert_int_equal(s.off[0], (uint64_t)(strstr(r, "hello") - r));
    assert_string_equal(s.ext[0], "txt");
    body_is(&s, 1, "ok", 2);
    seen_free(&s);
}

static void test_chunked_gzip_split(void **state)
{
    (void)state;
    make_page();
    uint8_t gz[5000];
    size_t gn = compress_page(gz, sizeof gz, 31);
    static char buf[20000];
    int k = snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n");
    size_t n = (size_t)k;
    for (size_t i = 0; i < gn;) {                /* 1, 2, 3, ... byte chunks */
        size_t c = i % 7 + 1;
        if (c > gn - i)
            c = gn - i;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%zx\r\n", c);
        memcpy(buf + n, gz + i, c);
        n += c;
        memcpy(buf + n, "\r\n", 2);
        n += 2;
        i += c;
    }
    memcpy(buf + n, "0\r\n\r\n", 5);
    n += 5;
    struct seen s;
    assert_int_equal(scan(buf, n, true, &s), 1);
    body_is(&s, 0, page, sizeof page);
    seen_free(&s);
    assert_int_equal(scan(buf, n, false, &s), 1);   /* -Z: the compressed bytes */
    body_is(&s, 0, gz, gn);
    seen_free(&s);
}

static void test_deflate_and_damage(void **state)
{
    (void)state;
    make_page();
    uint8_t z[5000], gz[5000];
    size_t zn = compress_page(z, sizeof z, 15), gn = compress_page(gz, sizeof gz, 31);
    static char buf[20000], hdr[200];
    struct seen s;

    int k = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %zu\r\n\r\n", zn);
    memcpy(buf, hdr, (size_t)k);
    memcpy(buf + k, z, zn);
    assert_int_equal(scan(buf, (size_t)k + zn, true, &s), 1);
    body_is(&s, 0, page, sizeof page);
    seen_free(&s);

    /* GZIP (not "gzip"), x-gzip: 1.6.1 does not inflate them */
    k = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Encoding: GZIP\r\nContent-Length: %zu\r\n\r\n", gn);
    memcpy(buf, hdr, (size_t)k);
    memcpy(buf + k, gz, gn);
    assert_int_equal(scan(buf, (size_t)k + gn, true, &s), 1);
    body_is(&s, 0, gz, gn);
    seen_free(&s);

    /* damaged in the middle: what inflates before the damage, then nothing */
    k = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gn);
    memcpy(buf, hdr, (size_t)k);
    memcpy(buf + k, gz, gn);
    memset(buf + k + gn / 2, 0xFF, 16);
    assert_int_equal(scan(buf, (size_t)k + gn, true, &s), 1);
    {   /* reference: inflate one byte at a time until zlib says the data is bad */
        static uint8_t ref[20000];
        size_t rn = 0;
        z_stream zz;
        memset(&zz, 0, sizeof zz);
        assert_int_equal(inflateInit2(&zz, 32 + MAX_WBITS), Z_OK);
        int ret = Z_OK;
        for (size_t i = 0; i < gn && ret == Z_OK; i++) {
            zz.next_in = (Bytef *)buf + k + i;
            zz.avail_in = 1;
            do {
                zz.next_out = ref + rn;
                zz.avail_out = 1;
                ret = inflate(&zz, Z_NO_FLUSH);
                rn += 1 - zz.avail_out;
            } while (ret == Z_OK && zz.avail_out == 0 && rn < sizeof ref);
            if (ret == Z_BUF_ERROR)
                ret = Z_OK;
        }
        inflateEnd(&zz);
        assert_int_not_equal(ret, Z_STREAM_END);       /* the damage was seen */
        body_is(&s, 0, ref, rn);
    }
    seen_free(&s);

    /* the stream followed by other bytes: the whole stream, nothing more */
    k = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gn + 7);
    memcpy(buf, hdr, (size_t)k);
    memcpy(buf + k, gz, gn);
    memcpy(buf + k + gn, "garbage", 7);
    assert_int_equal(scan(buf, (size_t)k + gn + 7, true, &s), 1);
    body_is(&s, 0, page, sizeof page);
    seen_free(&s);
}

static void test_until_close_and_truncated(void **state)
{
    (void)state;
    const char *a = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                    "everything to the end\r\nHTTP/1.1 200 OK\r\n\r\n";
    struct seen s;
    assert_int_equal(scan(a, strlen(a), true, &s), 1);
    body_is(&s, 0, strstr(a, "everything"), strlen(strstr(a, "everything")));
    seen_free(&s);
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this";
    assert_int_equal(scan(t, strlen(t), true, &s), 1);
    body_is(&s, 0, "only this", 9);
    seen_free(&s);
    const char *c = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nshort";
    assert_int_equal(scan(c, strlen(c), true, &s), 1);
    body_is(&s, 0, "short", 5);
    seen_free(&s);
    /* a Transfer-Encoding that is not chunked: until close */
    const char *g = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, identity\r\n\r\nrest";
    assert_int_equal(scan(g, strlen(g), true, &s), 1);
    body_is(&s, 0, "rest", 4);
    seen_free(&s);
}

static void test_line_endings_and_headers(void **state)
{
    (void)state;
    const char *lf = "HTTP/1.1 200 OK\nContent-Length: 3\nX-Folded: a\n  b\nAccess-Control : x\n\nabc"
                     "\r\n\r\nHTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nde";  /* CR/LF between: skipped */
    struct seen s;
    assert_int_equal(scan(lf, strlen(lf), true, &s), 2);
    body_is(&s, 0, "abc", 3);
    body_is(&s, 1, "de", 2);                       /* a two-digit status is accepted */
    seen_free(&s);
}

/* Where 1.6.1's parser gives up, so do we (count = responses begun). */
static void test_stops(void **state)
{
    (void)state;
    const struct { const char *r; unsigned n; } t[] = {
        { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokNOT A STATUS LINE\r\n\r\n", 1 },
        { "HTTP/1.10 200 OK\r\nContent-Length: 2\r\n\r\nok", 0 },
        { "HTTP/1.1 2000 OK\r\n\r\n", 0 },
        { "HTTP/1.1 OK\r\n\r\n", 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nok", 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\nok", 0 },
        { "HTTP/1.1 200 OK\r\nBad Header Without Colon\r\n\r\n", 0 },
        { "HTTP/1.1 200 OK\r\nBa(d: 1\r\n\r\n", 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", 0 },                 /* header never ends */
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 1 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 1 },  /* LF alone */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct seen s;
        assert_int_equal(scan(t[i].r, strlen(t[i].r), true, &s), t[i].n);
        seen_free(&s);
    }
}

/* Every prefix of a stream of every kind: no read past the end (ASan), and
 * what comes out is a prefix of the whole. */
static void test_every_prefix(void **state)
{
    (void)state;
    make_page();
    uint8_t gz[5000];
    size_t gn = compress_page(gz, sizeof gz, 31);
    static char buf[20000];
    size_t n = cl_resp(buf, sizeof buf, "text/html", "0123456789", 10);
    int k = snprintf(buf + n, sizeof buf - n, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", gn);
    n += (size_t)k;
    memcpy(buf + n, gz, gn);
    n += gn;
    memcpy(buf + n, "\r\n0\r\n\r\nHTTP/1.0 200 OK\r\n\r\ntail", 31);
    n += 31;
    struct seen whole;
    assert_int_equal(scan(buf, n, true, &whole), 3);
    body_is(&whole, 1, page, sizeof page);
    for (size_t cut = 0; cut <= n; cut += (cut < 200 || n - cut < 200) ? 1 : 37) {
        struct seen s;
        unsigned r = scan(buf, cut, true, &s);
        assert_true(r <= 3);
        for (unsigned i = 0; i < r; i++) {
            assert_true(s.len[i] <= whole.len[i]);
            if (s.len[i])
                assert_memory_equal(s.data[i], whole.data[i], s.len[i]);
        }
        seen_free(&s);
    }
    seen_free(&whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_test),
        cmocka_unit_test(test_mime),
        cmocka_unit_test(test_pipelined_content_length),
        cmocka_unit_test(test_no_body_statuses),
        cmocka_unit_test(test_upgrade_stops),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_chunked_gzip_split),
        cmocka_unit_test(test_deflate_and_damage),
        cmocka_unit_test(test_until_close_and_truncated),
        cmocka_unit_test(test_line_endings_and_headers),
        cmocka_unit_test(test_stops),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
