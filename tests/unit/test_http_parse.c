/* test_http_parse.c - the two-direction HTTP parser (scan/http_parse.c):
 * framing by the request, interim responses, tunnels, pipelining, chunked
 * bodies both ways, holes, resynchronisation, caps, and any split of the
 * input giving the same result. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "scan/http_parse.h"

#define MAXM 32

struct rec {                              /* one message as the callbacks saw it */
    int dir;
    unsigned index, req_index, status;
    char method[16], uri[64], host[64], coding[64], ext[16];
    uint64_t offset, body_offset;
    uint8_t *body;
    size_t len;
    struct http_msg_end e;
    bool ended;
};

struct seen {
    struct rec r[MAXM];
    unsigned n;
    int open[2];                          /* index in r of the message in progress, -1 none */
};

static void on_begin(void *arg, const struct http_msg *m)
{
    struct seen *s = arg;
    assert_true(s->n < MAXM);
    assert_int_equal(s->open[m->dir], -1);
    struct rec *r = &s->r[s->n];
    memset(r, 0, sizeof *r);
    r->dir = m->dir;
    r->index = m->index;
    r->req_index = m->request_index;
    r->status = m->status;
    snprintf(r->method, sizeof r->method, "%s", m->method);
    snprintf(r->uri, sizeof r->uri, "%s", m->uri);
    snprintf(r->host, sizeof r->host, "%s", m->host);
    snprintf(r->coding, sizeof r->coding, "%s", m->coding);
    snprintf(r->ext, sizeof r->ext, "%s", m->ext);
    r->offset = m->offset;
    r->body_offset = UINT64_MAX;
    s->open[m->dir] = (int)s->n++;
}

static void on_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    struct seen *s = arg;
    assert_true(n > 0);
    assert_int_not_equal(s->open[m->dir], -1);
    struct rec *r = &s->r[s->open[m->dir]];
    if (r->body_offset == UINT64_MAX)
        r->body_offset = m->body_offset;
    assert_int_equal(r->body_offset, m->body_offset);
    r->body = realloc(r->body, r->len + n);
    assert_non_null(r->body);
    memcpy(r->body + r->len, p, n);
    r->len += n;
}

static void on_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    struct seen *s = arg;
    assert_int_not_equal(s->open[m->dir], -1);
    struct rec *r = &s->r[s->open[m->dir]];
    r->e = *e;
    r->e.decode_what = NULL;
    r->ended = true;
    assert_int_equal(e->out, r->len);
    s->open[m->dir] = -1;
}

static const struct http_conn_cb CB = { on_begin, on_body, on_end, NULL };   /* no hole(): a hole cuts the body */

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof *s);
    s->open[0] = s->open[1] = -1;
}

static void seen_free(struct seen *s)
{
    for (unsigned i = 0; i < s->n; i++)
        free(s->r[i].body);
}

/* The i-th message of direction dir (0-based), or fail. */
static struct rec *msg(struct seen *s, int dir, unsigned i)
{
    for (unsigned k = 0; k < s->n; k++)
        if (s->r[k].dir == dir && i-- == 0)
            return &s->r[k];
    fail_msg("no message %u on direction %d", i, dir);
    return NULL;
}

static unsigned count(const struct seen *s, int dir)
{
    unsigned c = 0;
    for (unsigned k = 0; k < s->n; k++)
        c += s->r[k].dir == dir;
    return c;
}

static void body_is(const struct rec *r, const void *want, size_t n)
{
    assert_int_equal(r->len, n);
    if (n)
        assert_memory_equal(r->body, want, n);
}

/* Feed both directions whole (client first), end both. */
static struct http_conn_stats run(struct seen *s, const struct http_conn_config *cfg, const char *req, size_t rn,
                                  const char *resp, size_t sn)
{
    seen_init(s);
    struct http_conn *c = http_conn_new(cfg, &CB, s);
    /* heap copies of exactly n bytes: a read past the end shows under ASan */
    uint8_t *a = malloc(rn + 1), *b = malloc(sn + 1);
    memcpy(a, req, rn);
    memcpy(b, resp, sn);
    http_conn_data(c, HTTP_C2S, a, rn);
    http_conn_data(c, HTTP_S2C, b, sn);
    http_conn_end(c, HTTP_C2S);
    http_conn_end(c, HTTP_S2C);
    struct http_conn_stats st = *http_conn_stats(c);
    http_conn_free(c);
    free(a);
    free(b);
    assert_int_equal(s->open[0], -1);
    assert_int_equal(s->open[1], -1);
    return st;
}

static const struct http_conn_config DEF = { 0 };

static void test_head_frames_response(void **state)
{
    (void)state;
    const char *q = "HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html\r\n\r\nhello";
    struct seen s;
    run(&s, &DEF, q, strlen(q), r, strlen(r));
    assert_int_equal(count(&s, HTTP_S2C), 2);
    struct rec *a = msg(&s, HTTP_S2C, 0), *b = msg(&s, HTTP_S2C, 1);
    assert_string_equal(a->method, "HEAD");
    assert_int_equal(a->len, 0);
    assert_true(a->e.complete);
    assert_string_equal(b->method, "GET");
    assert_string_equal(b->uri, "/b");
    assert_string_equal(b->host, "h");
    assert_string_equal(b->ext, "html");
    assert_int_equal(b->req_index, 2);
    body_is(b, "hello", 5);
    seen_free(&s);
    /* without the requests, the HEAD response swallows the next one */
    struct http_conn_config ro = { .responses_only = true };
    run(&s, &ro, "", 0, r, strlen(r));
    assert_int_equal(count(&s, HTTP_S2C), 1);
    seen_free(&s);
}

static void test_response_before_request(void **state)
{
    (void)state;
    const char *q = "HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct seen s;
    seen_init(&s);
    struct http_conn *c = http_conn_new(&DEF, &CB, &s);
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r, strlen(r));      /* the responses first */
    assert_true(http_conn_waiting(c, HTTP_S2C));
    assert_int_equal(s.n, 0);
    http_conn_data(c, HTTP_C2S, (const uint8_t *)q, 10);             /* half a request */
    assert_int_equal(count(&s, HTTP_S2C), 0);
    http_conn_data(c, HTTP_C2S, (const uint8_t *)q + 10, strlen(q) - 10);
    assert_false(http_conn_waiting(c, HTTP_S2C));
    http_conn_free(c);
    assert_int_equal(count(&s, HTTP_S2C), 2);
    assert_int_equal(msg(&s, HTTP_S2C, 0)->len, 0);
    body_is(msg(&s, HTTP_S2C, 1), "ok", 2);
    seen_free(&s);
}

static void test_hold_is_capped(void **state)
{
    (void)state;
    size_t n = HTTP_CONN_HOLD + 1000;
    char *r = malloc(n + 100);
    int k = snprintf(r, 100, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
    memset(r + k, 'x', n);
    struct seen s;
    seen_init(&s);
    struct http_conn *c = http_conn_new(&DEF, &CB, &s);
    for (size_t i = 0; i < (size_t)k + n; i += 4096)
        http_conn_data(c, HTTP_S2C, (uint8_t *)r + i, (size_t)k + n - i < 4096 ? (size_t)k + n - i : 4096);
    assert_false(http_conn_waiting(c, HTTP_S2C));                      /* it stopped waiting */
    assert_int_equal(http_conn_stats(c)->unpaired, 1);
    const char *r2 = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r2, strlen(r2));    /* the next one: no wait again */
    assert_false(http_conn_waiting(c, HTTP_S2C));
    assert_int_equal(count(&s, HTTP_S2C), 2);
    const char *q = "GET /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n";
    http_conn_data(c, HTTP_C2S, (const uint8_t *)q, strlen(q));      /* requests again ... */
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r2, strlen(r2));
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r2, strlen(r2));
    http_conn_data(c, HTTP_S2C, (const uint8_t *)r2, strlen(r2));    /* ... and one more response: waits */
    assert_true(http_conn_waiting(c, HTTP_S2C));
    http_conn_free(c);
    assert_int_equal(count(&s, HTTP_S2C), 5);
    assert_int_equal(msg(&s, HTTP_S2C, 0)->len, n);
    assert_true(msg(&s, HTTP_S2C, 0)->e.complete);
    assert_string_equal(msg(&s, HTTP_S2C, 2)->uri, "/x");
    assert_string_equal(msg(&s, HTTP_S2C, 3)->uri, "/y");
    assert_string_equal(msg(&s, HTTP_S2C, 4)->uri, "");
    seen_free(&s);
    free(r);
}

static void test_expect_continue_and_upload(void **state)
{
    (void)state;
    const char *q = "PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\nabcdef"
                    "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                    "3;ext=1\r\n{\"a\r\n2\r\n\":\r\n0\r\nX-T: 1\r\n\r\n"
                    "GET /g HTTP/1.1\r\n\r\n";
    const char *r = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz";
    struct seen s;
    run(&s, &DEF, q, strlen(q), r, strlen(r));
    assert_int_equal(count(&s, HTTP_C2S), 3);
    assert_int_equal(count(&s, HTTP_S2C), 4);
    body_is(msg(&s, HTTP_C2S, 0), "abcdef", 6);
    assert_string_equal(msg(&s, HTTP_C2S, 0)->method, "PUT");
    assert_int_equal(msg(&s, HTTP_C2S, 0)->body_offset, (uint64_t)(strstr(q, "abcdef") - q));
    body_is(msg(&s, HTTP_C2S, 1), "{\"a\":", 5);
    assert_string_equal(msg(&s, HTTP_C2S, 1)->ext, "json");
    assert_true(msg(&s, HTTP_C2S, 1)->e.complete);
    assert_int_equal(msg(&s, HTTP_C2S, 2)->len, 0);
    struct rec *cont = msg(&s, HTTP_S2C, 0), *created = msg(&s, HTTP_S2C, 1);
    assert_int_equal(cont->status, 100);
    assert_int_equal(cont->req_index, 1);                             /* the 100 shares the request */
    assert_int_equal(created->status, 201);
    assert_int_equal(created->req_index, 1);
    assert_int_equal(msg(&s, HTTP_S2C, 2)->req_index, 2);
    body_is(msg(&s, HTTP_S2C, 2), "ok", 2);
    assert_string_equal(msg(&s, HTTP_S2C, 3)->uri, "/g");
    body_is(msg(&s, HTTP_S2C, 3), "z", 1);
    seen_free(&s);
}

static void test_tunnels(void **state)
{
    (void)state;
    const char *q = "CONNECT h:443 HTTP/1.1\r\n\r\n\x16\x03\x01 GET /x HTTP/1.1\r\n\r\n";
    const char *r = "HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz";
    struct seen s;
    struct http_conn_stats st = run(&s, &DEF, q, strlen(q), r, strlen(r));
    assert_int_equal(count(&s, HTTP_C2S), 1);
    assert_int_equal(count(&s, HTTP_S2C), 1);                         /* the rest is the tunnel's */
    assert_int_equal(msg(&s, HTTP_S2C, 0)->len, 0);
    assert_true(st.skipped > 0);
    seen_free(&s);
    /* a refused CONNECT: the client goes on in HTTP */
    const char *r2 = "HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz";
    const char *q2 = "CONNECT h:443 HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n";
    run(&s, &DEF, q2, strlen(q2), r2, strlen(r2));
    assert_int_equal(count(&s, HTTP_C2S), 2);
    assert_int_equal(count(&s, HTTP_S2C), 2);
    body_is(msg(&s, HTTP_S2C, 1), "z", 1);
    seen_free(&s);
    /* 101 */
    const char *q3 = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello";
    const char *r3 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi";
    run(&s, &DEF, q3, strlen(q3), r3, strlen(r3));
    assert_int_equal(count(&s, HTTP_C2S), 1);
    assert_int_equal(count(&s, HTTP_S2C), 1);
    seen_free(&s);
}

static void test_pipelined_and_close(void **state)
{
    (void)state;
    const char *q = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.0\r\n\r\n";
    const char *r = "HTTP/1.1 204 No Content\r\n\r\n"
                    "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end\r\nHTTP/1.1 200 OK\r\n\r\n";
    struct seen s;
    run(&s, &DEF, q, strlen(q), r, strlen(r));
    assert_int_equal(count(&s, HTTP_S2C), 3);
    assert_int_equal(msg(&s, HTTP_S2C, 0)->len, 0);
    assert_int_equal(msg(&s, HTTP_S2C, 1)->len, 0);
    struct rec *e = msg(&s, HTTP_S2C, 2);
    assert_string_equal(e->uri, "/3");
    body_is(e, "to the end\r\nHTTP/1.1 200 OK\r\n\r\n", 31);
    assert_true(e->e.complete);                                        /* ended by the stream */
    seen_free(&s);
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
    run(&s, &DEF, "GET / HTTP/1.1\r\n\r\n", 18, t, strlen(t));
    assert_false(msg(&s, HTTP_S2C, 0)->e.complete);
    body_is(msg(&s, HTTP_S2C, 0), "short", 5);
    seen_free(&s);
}

static void test_framing_rules(void **state)
{
    (void)state;
    /* Transfer-Encoding wins over Content-Length; codings of two headers join */
    const char *q = "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n";
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Encoding: identity\r\nContent-Encoding: identity \r\n\r\n"
                    "2\r\nab\r\n0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nxyz\r\n"  /* conflicting: skipped */
                    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nq";
    struct seen s;
    struct http_conn_stats st = run(&s, &DEF, q, strlen(q), r, strlen(r));
    assert_int_equal(count(&s, HTTP_S2C), 2);
    body_is(msg(&s, HTTP_S2C, 0), "ab", 2);
    assert_string_equal(msg(&s, HTTP_S2C, 0)->coding, "identity,identity");
    body_is(msg(&s, HTTP_S2C, 1), "q", 1);
    assert_int_equal(st.resyncs, 1);
    seen_free(&s);
    /* Content-Encoding headers past the room for their names (a fuzzer's
     * find: a write before the buffer): cut, the body kept as sent */
    static char many[8000];
    size_t n = (size_t)snprintf(many, sizeof many, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "Content-Encoding: %s\r\n", i % 3 ? "gzip" : "x");
    n += (size_t)snprintf(many + n, sizeof many - n, "\r\nhi");
    run(&s, &DEF, "GET / HTTP/1.1\r\n\r\n", 18, many, n);
    body_is(msg(&s, HTTP_S2C, 0), "hi", 2);
    assert_true(msg(&s, HTTP_S2C, 0)->e.as_sent);
    assert_true(msg(&s, HTTP_S2C, 0)->e.decode_error);
    assert_int_equal(strlen(msg(&s, HTTP_S2C, 0)->coding), 63);        /* (the test's copy is 64 bytes) */
    seen_free(&s);
}

static void test_gaps(void **state)
{
    (void)state;
    const char *q = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n";
    struct seen s;
    seen_init(&s);
    struct http_conn *c = http_conn_new(&DEF, &CB, &s);
    http_conn_data(c, HTTP_C2S, (const uint8_t *)q, strlen(q));
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123";
    http_conn_data(c, HTTP_S2C, (const uint8_t *)a, strlen(a));
    http_conn_gap(c, HTTP_S2C, 3);                                      /* inside the body: skip to its end */
    http_conn_data(c, HTTP_S2C, (const uint8_t *)"789", 3);
    const char *b = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
    http_conn_data(c, HTTP_S2C, (const uint8_t *)b, strlen(b));
    http_conn_gap(c, HTTP_S2C, 2);                                      /* inside a chunk */
    const char *b2 = "e\r\n3\r\nxyz\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Le";
    http_conn_data(c, HTTP_S2C, (const uint8_t *)b2, strlen(b2));
    http_conn_gap(c, HTTP_S2C, 40);                                     /* inside a header: look for the next */
    const char *d = "junk\r\nmore junk HTTP/1.1 200\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    http_conn_data(c, HTTP_S2C, (const uint8_t *)d, strlen(d));
    const struct http_conn_stats *st = http_conn_stats(c);
    assert_int_equal(st->gaps, 3);
    assert_int_equal(st->resyncs, 1);
    http_conn_free(c);
    assert_int_equal(count(&s, HTTP_S2C), 3);
    struct rec *r0 = msg(&s, HTTP_S2C, 0), *r1 = msg(&s, HTTP_S2C, 1), *r2 = msg(&s, HTTP_S2C, 2);
    body_is(r0, "0123", 4);
    assert_true(r0->e.gap);
    assert_false(r0->e.complete);
    body_is(r1, "ab", 2);                                              /* nothing after the hole */
    assert_true(r1->e.gap);
    body_is(r2, "ok", 2);
    assert_true(r2->e.complete);
    seen_free(&s);
}

static void test_garbage_and_caps(void **state)
{
    (void)state;
    struct http_conn_config small = { .max_header = 200 };
    char r[2000];
    int k = snprintf(r, sizeof r, "HTTP/1.1 200 OK\r\nX-Long: ");
    memset(r + k, 'a', 500);
    k += 500;
    k += snprintf(r + k, sizeof r - (size_t)k, "\r\n\r\nnot http at all\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!");
    const char *q = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
    struct seen s;
    struct http_conn_stats st = run(&s, &small, q, strlen(q), r, (size_t)k);
    assert_int_equal(st.header_too_long, 1);
    assert_int_equal(count(&s, HTTP_S2C), 1);
    body_is(msg(&s, HTTP_S2C, 0), "!", 1);
    seen_free(&s);
    /* a request line we cannot read: the parser finds the next one */
    const char *q2 = "\x01\x02garbage\r\nGET /ok HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
    st = run(&s, &DEF, q2, strlen(q2), "", 0);
    assert_int_equal(count(&s, HTTP_C2S), 1);
    assert_string_equal(msg(&s, HTTP_C2S, 0)->uri, "/ok");
    body_is(msg(&s, HTTP_C2S, 0), "hi", 2);
    seen_free(&s);
}

static void test_codings_and_keep_coded(void **state)
{
    (void)state;
    const char page[] = "a page, a page, a page, a page of text";
    uint8_t gz[200];
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)page;
    z.avail_in = sizeof page - 1;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gn = sizeof gz - z.avail_out;
    deflateEnd(&z);
    char req[400];
    int k = snprintf(req, sizeof req, "POST /g HTTP/1.1\r\nContent-Encoding: GZIP\r\nContent-Length: %zu\r\n\r\n", gn);
    memcpy(req + k, gz, gn);
    struct seen s;
    run(&s, &DEF, req, (size_t)k + gn, "", 0);
    body_is(msg(&s, HTTP_C2S, 0), page, sizeof page - 1);              /* any case, both directions */
    assert_false(msg(&s, HTTP_C2S, 0)->e.as_sent);
    assert_int_equal(msg(&s, HTTP_C2S, 0)->e.sent, gn);
    seen_free(&s);
    struct http_conn_config z2 = { .keep_coded = true };
    run(&s, &z2, req, (size_t)k + gn, "", 0);
    body_is(msg(&s, HTTP_C2S, 0), gz, gn);
    seen_free(&s);
}

/* Any split of a conversation, and any interleaving, gives the same messages. */
static void test_every_split(void **state)
{
    (void)state;
    const char *q = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n"
                    "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n";
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
                    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct seen whole;
    run(&whole, &DEF, q, strlen(q), r, strlen(r));
    assert_int_equal(whole.n, 7);
    size_t qn = strlen(q), rn = strlen(r);
    for (size_t step = 1; step < 40; step += 3) {
        for (int first = 0; first < 2; first++) {
            struct seen s;
            seen_init(&s);
            struct http_conn *c = http_conn_new(&DEF, &CB, &s);
            size_t at[2] = { 0, 0 }, len[2] = { qn, rn };
            const char *src[2] = { q, r };
            while (at[0] < qn || at[1] < rn) {
                for (int i = 0; i < 2; i++) {
                    int d = i ^ first;
                    size_t k = step < len[d] - at[d] ? step : len[d] - at[d];
                    if (k)
                        http_conn_data(c, d, (const uint8_t *)src[d] + at[d], k);
                    at[d] += k;
                }
            }
            http_conn_free(c);
            assert_int_equal(s.n, whole.n);
            for (int d = 0; d < 2; d++)
                for (unsigned i = 0; i < count(&whole, d); i++) {
                    struct rec *a = msg(&s, d, i), *b = msg(&whole, d, i);
                    assert_int_equal(a->status, b->status);
                    assert_string_equal(a->method, b->method);
                    assert_int_equal(a->req_index, b->req_index);
                    body_is(a, b->body, b->len);
                    assert_int_equal(a->body_offset, b->body_offset);
                }
            seen_free(&s);
        }
    }
    seen_free(&whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_frames_response),
        cmocka_unit_test(test_response_before_request),
        cmocka_unit_test(test_hold_is_capped),
        cmocka_unit_test(test_expect_continue_and_upload),
        cmocka_unit_test(test_tunnels),
        cmocka_unit_test(test_pipelined_and_close),
        cmocka_unit_test(test_framing_rules),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_garbage_and_caps),
        cmocka_unit_test(test_codings_and_keep_coded),
        cmocka_unit_test(test_every_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
