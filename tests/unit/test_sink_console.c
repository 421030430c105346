/* test_sink_console.c - console views: exact bytes of -c/-C/-D/-g/-0/-B/-b,
 * ordering (held records, gap markers, caps) and JSON Lines (-J). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "flow/naming.h"
#include "output/sink_console.h"
#include "flow/stream.h"

/* ---- harness ---- */

struct h {
    char *buf;
    size_t len;
    size_t seen;               /* bytes already checked */
    FILE *out;
    struct sink_console *s;
    struct sink_console_config c;
    /* what the tracker does before the console: -b, and the in-order view */
    uint64_t max_bytes;
    size_t max_held_flow, max_held_total;
    struct stream *st;
};

static void h_default(struct h *h)
{
    memset(h, 0, sizeof *h);
    h->out = open_memstream(&h->buf, &h->len);
    assert_non_null(h->out);
    h->c.header = true;
    h->max_bytes = UINT64_MAX;
    h->c.outdir = ".";
    h->c.tmpl = NAMING_DEFAULT_TEMPLATE;
    h->max_held_flow = 1u << 20;
    h->max_held_total = 64u << 20;
    h->c.out = h->out;
}

static void st_data(void *arg, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct h *h = arg;
    sink_console_data(h->s, f, off, p, n, ts);
}

static void st_gap(void *arg, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    struct h *h = arg;
    sink_console_gap(h->s, f, off, len, ts);
}

static void h_start(struct h *h)
{
    char err[256] = "";
    h->s = sink_console_new(&h->c, err, sizeof err);
    assert_non_null(h->s);
    struct stream_config sc = { h->max_held_flow, h->max_held_total };
    h->st = stream_new(&sc, st_data, st_gap, h);
}

/* Bytes of f at off, as the tracker gives them: within -b, in order. */
static void tr_data(struct h *h, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    size_t k = off >= h->max_bytes ? 0 : n > h->max_bytes - off ? (size_t)(h->max_bytes - off) : n;
    stream_data(h->st, f, off, p, k, ts);
}

/* f ends, as the tracker ends it. */
static void tr_end(struct h *h, struct flow *f)
{
    stream_flow_end(h->st, f);
    sink_console_flow_end(h->s, f);
}

static void h_done(struct h *h)
{
    stream_free(h->st);
    sink_console_free(h->s);
    fclose(h->out);
    free(h->buf);
}

/* The output since the previous check must be exactly exp (n bytes). */
static void expect_n(struct h *h, const char *exp, size_t n)
{
    fflush(h->out);
    size_t got = h->len - h->seen;
    if (got != n || memcmp(h->buf + h->seen, exp, n) != 0) {
        fprintf(stderr, "expected (%zu): [%.*s]\ngot (%zu): [%.*s]\n", n, (int)n, exp, got,
                (int)got, h->buf + h->seen);
        fail();
    }
    h->seen = h->len;
}

static void expect(struct h *h, const char *exp)
{
    expect_n(h, exp, strlen(exp));
}

static struct flow *mkflow4(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
    struct flow *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->key.family = 4;
    f->key.sport = sport;
    f->key.dport = dport;
    unsigned a, b, c, d;
    assert_int_equal(sscanf(src, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    f->key.src[0] = (uint8_t)a; f->key.src[1] = (uint8_t)b;
    f->key.src[2] = (uint8_t)c; f->key.src[3] = (uint8_t)d;
    assert_int_equal(sscanf(dst, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    f->key.dst[0] = (uint8_t)a; f->key.dst[1] = (uint8_t)b;
    f->key.dst[2] = (uint8_t)c; f->key.dst[3] = (uint8_t)d;
    f->state = FLOW_OPEN;
    f->first_us = 1000000000LL * 1000000;
    return f;
}

static struct flow *client_flow(void)
{
    struct flow *f = mkflow4("10.0.0.1", 1234, "10.0.0.2", 80);
    f->client = true;
    f->rs.syn_seen = true;
    return f;
}

#define NAME_C "010.000.000.001.01234-010.000.000.002.00080"
#define NAME_S "010.000.000.002.00080-010.000.000.001.01234"

static void data(struct h *h, struct flow *f, uint64_t off, const char *s)
{
    tr_data(h, f, off, (const uint8_t *)s, strlen(s), 1000000000001000LL);
}

/* ---- text modes ---- */

static void test_in_order_c(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h_start(&h);
    struct flow *c = client_flow();
    struct flow *sv = mkflow4("10.0.0.2", 80, "10.0.0.1", 1234);
    sv->rs.syn_seen = true;
    data(&h, c, 0, "GET / HTTP/1.0\r\n\r\n");
    expect(&h, NAME_C ": GET / HTTP/1.0\r\n\r\n\n");
    data(&h, sv, 0, "HELLO\nWORLD\n");
    expect(&h, NAME_S ": HELLO\nWORLD\n\n");
    data(&h, c, 18, "x");
    expect(&h, NAME_C ": x\n");
    tr_end(&h, c);
    tr_end(&h, sv);
    expect(&h, "");
    assert_null(c->stream);
    assert_null(c->slot[0]);
    h_done(&h);
    free(c);
    free(sv);
}

static void test_replacement_and_B(void **state)
{
    (void)state;
    static const uint8_t raw[] = { 'a', '\t', 0, 0x7f, 0x80, 0xff, '~', ' ', '\r', '\n', 0x1b };
    struct h h;
    h_default(&h);
    h.c.header = false;                 /* -C */
    h_start(&h);
    struct flow *f = client_flow();
    tr_data(&h, f, 0, raw, sizeof raw, 0);
    expect(&h, "a.....~ \r\n.\n");
    tr_end(&h, f);
    h_done(&h);

    h_default(&h);
    h.c.header = false;
    h.c.binary = true;                  /* -B */
    h.c.strip = true;                   /* -s does not undo -B */
    h_start(&h);
    tr_data(&h, f, 0, raw, sizeof raw, 0);
    static const uint8_t exp[] = { 'a', '\t', 0, 0x7f, 0x80, 0xff, '~', ' ', '\r', '\n', 0x1b, '\n' };
    expect_n(&h, (const char *)exp, sizeof exp);
    tr_end(&h, f);
    h_done(&h);
    free(f);
}

static void test_nonl(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.nonl = true;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "ab");
    data(&h, f, 2, "cd");
    expect(&h, NAME_C ": ab" NAME_C ": cd");
    tr_end(&h, f);
    h_done(&h);
    free(f);
}

/* ---- ordering ---- */

static void test_out_of_order_held(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.header = false;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 6, "CCC");
    expect(&h, "");                     /* held: offsets 0..5 missing */
    data(&h, f, 0, "AAA");
    expect(&h, "AAA\n");
    data(&h, f, 3, "BBB");              /* fills the hole: B then the held C */
    expect(&h, "BBB\nCCC\n");
    tr_end(&h, f);
    expect(&h, "");                     /* nothing held, nothing printed twice */
    h_done(&h);
    free(f);
}

static void test_several_held_in_order(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.header = false;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 9, "4");
    data(&h, f, 3, "2");
    data(&h, f, 6, "3");
    data(&h, f, 4, "x");
    expect(&h, "");
    data(&h, f, 0, "111");
    expect(&h, "111\n2\nx\n");          /* 5 still missing */
    data(&h, f, 5, "y");
    expect(&h, "y\n3\n");               /* 7..8 missing */
    data(&h, f, 7, "zz");
    expect(&h, "zz\n4\n");
    tr_end(&h, f);
    expect(&h, "");
    h_done(&h);
    free(f);
}

static void test_gap_at_flow_end(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "AAA");
    data(&h, f, 6, "CCC");
    data(&h, f, 20, "EE");
    expect(&h, NAME_C ": AAA\n");
    tr_end(&h, f);
    expect(&h, NAME_C ": [gap of 3 bytes]\n" NAME_C ": CCC\n"
               NAME_C ": [gap of 11 bytes]\n" NAME_C ": EE\n");
    assert_null(f->stream);
    assert_null(f->slot[0]);
    h_done(&h);
    free(f);
}

static void test_gap_hex_and_color(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.hex = true;
    h.c.color = true;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 2, "A");
    tr_end(&h, f);
    expect(&h, "\033[0;34m" NAME_C ": \n[gap of 2 bytes]\n\033[0m\n"
               "\033[0;34m" NAME_C ": \n0000: 41 A\n\033[0m\n");
    h_done(&h);
    free(f);
}

static void test_cap_per_flow(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.header = false;
    h.max_held_flow = 100;            /* one 10-byte record fits, two do not */
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "AAA");
    expect(&h, "AAA\n");
    data(&h, f, 20, "XXXXXXXXXX");
    expect(&h, "");
    data(&h, f, 40, "YYYYYYYYYY");
    expect(&h, "[gap of 17 bytes]\nXXXXXXXXXX\n[gap of 10 bytes]\nYYYYYYYYYY\n");
    data(&h, f, 3, "late");             /* a marked hole filled late: printed at once */
    expect(&h, "late\n");
    data(&h, f, 50, "Z");               /* in order after the flush */
    expect(&h, "Z\n");
    tr_end(&h, f);
    expect(&h, "");
    h_done(&h);
    free(f);
}

static void test_cap_total(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.max_held_total = 150;           /* two 10-byte records fit, three do not */
    h_start(&h);
    struct flow *a = client_flow();
    struct flow *b = mkflow4("10.0.0.2", 80, "10.0.0.1", 1234);
    b->rs.syn_seen = true;
    data(&h, a, 5, "aaaaaaaaaa");
    data(&h, b, 5, "bbbbbbbbbb");
    expect(&h, "");
    data(&h, b, 20, "cccccccccc");      /* over the total: the oldest holder (a) goes */
    expect(&h, NAME_C ": [gap of 5 bytes]\n" NAME_C ": aaaaaaaaaa\n");
    data(&h, b, 0, "01234");
    expect(&h, NAME_S ": 01234\n" NAME_S ": bbbbbbbbbb\n");
    tr_end(&h, b);
    expect(&h, NAME_S ": [gap of 5 bytes]\n" NAME_S ": cccccccccc\n");
    tr_end(&h, a);
    expect(&h, "");
    h_done(&h);
    free(a);
    free(b);
}

static void test_max_bytes(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.header = false;
    h.max_bytes = 5;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "ABC");
    data(&h, f, 3, "DEFG");
    data(&h, f, 7, "HI");
    expect(&h, "ABC\nDE\n");
    tr_end(&h, f);
    expect(&h, "");

    struct flow *g = client_flow();
    data(&h, g, 4, "XY");               /* held, truncated to X */
    data(&h, g, 9, "far");              /* beyond -b: dropped, no gap marker */
    expect(&h, "");
    data(&h, g, 0, "abcd");
    expect(&h, "abcd\nX\n");
    tr_end(&h, g);
    expect(&h, "");
    h_done(&h);

    h_default(&h);
    h.max_bytes = 0;
    h_start(&h);
    data(&h, f, 0, "nothing");
    tr_end(&h, f);
    expect(&h, "");
    h_done(&h);
    free(f);
    free(g);
}

static void test_prepend(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.header = false;
    h_start(&h);
    struct flow *f = mkflow4("10.0.0.1", 1234, "10.0.0.2", 80);   /* no SYN */
    data(&h, f, 0, "MIDDLE");
    expect(&h, "MIDDLE\n");
    data(&h, f, 10, "END");             /* hole 6..9 */
    expect(&h, "");
    stream_prepend(h.st, f, 10);   /* origin moved back: MIDDLE now at 10, END at 20 */
    data(&h, f, 0, "0123456789");
    expect(&h, "0123456789\n");
    data(&h, f, 16, "mi");              /* 16..17 of the hole */
    expect(&h, "mi\n");
    tr_end(&h, f);
    expect(&h, "[gap of 2 bytes]\nEND\n");
    h_done(&h);
    free(f);
}

static void test_closed_and_reopened(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.header = false;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "AB");
    data(&h, f, 5, "F");
    tr_end(&h, f);
    expect(&h, "AB\n[gap of 3 bytes]\nF\n");
    f->state = FLOW_CLOSED;
    f->rs.hi = 6;
    data(&h, f, 2, "cde");              /* late retransmission into the closed flow */
    expect(&h, "cde\n");
    tr_end(&h, f);      /* called again by the pipeline: nothing */
    expect(&h, "");
    f->state = FLOW_OPEN;               /* reopened after a timeout */
    data(&h, f, 6, "g");                /* continues the stream: not held */
    expect(&h, "g\n");
    tr_end(&h, f);
    h_done(&h);
    free(f);
}

static void test_held_freed_without_end(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 100, "held");
    h_done(&h);                         /* ASan: nothing leaks; nothing printed */
    free(f);
}

/* ---- -D ---- */

static void sized(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 7 + 0x20 + n) % 256);
}

/* Expected dumps below are the output of tcpflow 1.6.1 -C -D for the same bytes. */
static void hex_case(size_t n, const char *dump)
{
    struct h h;
    h_default(&h);
    h.c.header = false;
    h.c.hex = true;
    h_start(&h);
    struct flow *f = client_flow();
    uint8_t p[64];
    sized(p, n);
    tr_data(&h, f, 0, p, n, 0);
    char exp[1024];
    snprintf(exp, sizeof exp, "%s\n", dump);
    expect(&h, exp);
    tr_end(&h, f);
    h_done(&h);
    free(f);
}

static void test_hex_layouts(void **state)
{
    (void)state;
    hex_case(1, "0000: 21 !\n");
    hex_case(31,
        "0000: 3f46 4d54 5b62 6970 777e 858c 939a a1a8 afb6 bdc4 cbd2 d9e0 e7ee f5fc 030a 11 ?FMT[bipw~.....................\n");
    hex_case(32,
        "0000: 4047 4e55 5c63 6a71 787f 868d 949b a2a9 b0b7 bec5 ccd3 dae1 e8ef f6fd 040b 1219  @GNU\\cjqx.......................\n");
    hex_case(33,
        "0000: 4148 4f56 5d64 6b72 7980 878e 959c a3aa b1b8 bfc6 cdd4 dbe2 e9f0 f7fe 050c 131a  AHOV]dkry.......................\n"
        "0020: 21                                                                               !\n");
    hex_case(63,
        "0000: 5f66 6d74 7b82 8990 979e a5ac b3ba c1c8 cfd6 dde4 ebf2 f900 070e 151c 232a 3138  _fmt{.......................#*18\n"
        "0020: 3f46 4d54 5b62 6970 777e 858c 939a a1a8 afb6 bdc4 cbd2 d9e0 e7ee f5fc 030a 11    ?FMT[bipw~.....................\n");
    hex_case(64,
        "0000: 6067 6e75 7c83 8a91 989f a6ad b4bb c2c9 d0d7 dee5 ecf3 fa01 080f 161d 242b 3239  `gnu|.......................$+29\n"
        "0020: 4047 4e55 5c63 6a71 787f 868d 949b a2a9 b0b7 bec5 ccd3 dae1 e8ef f6fd 040b 1219  @GNU\\cjqx.......................\n");
}

static void test_hex_header_offsets_per_record(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.hex = true;
    h.c.nonl = true;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "ab");
    data(&h, f, 2, "c");               /* offsets restart at 0000 in each record */
    expect(&h, NAME_C ": \n0000: 6162  ab\n" NAME_C ": \n0000: 63 c\n");
    tr_end(&h, f);
    h_done(&h);
    free(f);
}

/* ---- -g ---- */

static void test_colors(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.color = true;
    h_start(&h);
    struct flow *c = client_flow();
    struct flow *sv = mkflow4("10.0.0.2", 80, "10.0.0.1", 1234);
    sv->rs.syn_seen = true;             /* SYN-ACK seen: server side */
    struct flow *u = mkflow4("10.0.0.1", 1234, "10.0.0.2", 80);  /* no SYN */
    data(&h, c, 0, "q");
    expect(&h, "\033[0;34m" NAME_C ": q\033[0m\n");
    data(&h, sv, 0, "r");
    expect(&h, "\033[0;31m" NAME_S ": r\033[0m\n");
    data(&h, u, 0, "u");
    expect(&h, "\033[0;32m" NAME_C ": u\033[0m\n");
    tr_end(&h, c);
    tr_end(&h, sv);
    tr_end(&h, u);
    h_done(&h);

    h_default(&h);
    h.c.color = true;
    h.c.header = false;
    h.c.nonl = true;
    h_start(&h);
    data(&h, c, 0, "q");
    data(&h, c, 1, "w");
    expect(&h, "\033[0;34mq\033[0m\033[0;34mw\033[0m");
    tr_end(&h, c);
    h_done(&h);
    free(c);
    free(sv);
    free(u);
}

/* ---- -J ---- */

static json_object *next_json(struct h *h)
{
    fflush(h->out);
    char *line = h->buf + h->seen;
    char *nl = memchr(line, '\n', h->len - h->seen);
    assert_non_null(nl);
    *nl = '\0';
    json_object *o = json_tokener_parse(line);
    if (!o) fprintf(stderr, "not JSON: %s\n", line);
    assert_non_null(o);
    *nl = '\n';
    h->seen = (size_t)(nl + 1 - h->buf);
    return o;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, k, &v));
    assert_true(json_object_is_type(v, json_type_string));
    return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *k)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, k, &v));
    assert_true(json_object_is_type(v, json_type_int));
    return json_object_get_int64(v);
}

static bool jhas(json_object *o, const char *k)
{
    return json_object_object_get_ex(o, k, NULL);
}

/* "payload" must be an array of byte values (0..255) equal to p[0..n). */
static void jbytes(json_object *o, const void *p, size_t n)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, "payload", &v));
    assert_true(json_object_is_type(v, json_type_array));
    assert_int_equal(json_object_array_length(v), n);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        assert_true(json_object_is_type(e, json_type_int));
        assert_int_equal(json_object_get_int(e), ((const uint8_t *)p)[i]);
    }
}

static void test_json(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.json = true;
    h.c.nonl = true;                    /* JSON Lines keep their newline */
    h.c.color = true;                   /* no colour codes in JSON */
    h_start(&h);
    struct flow *c = client_flow();
    static const char utf[] = "GET /caf\xc3\xa9 \"q\"\\/\x01\n";
    tr_data(&h, c, 0, (const uint8_t *)utf, sizeof utf - 1, 1000000000001000LL);
    fflush(h.out);
    assert_int_equal(h.buf[h.len - 1], '\n');
    assert_null(memchr(h.buf, '\033', h.len));
    /* 1.6.1's fields first, in its order; payload last */
    assert_true(strncmp(h.buf, "{\"src_host\":\"10.0.0.1\",\"src_port\":1234,\"dst_host\":\"10.0.0.2\","
                        "\"dst_port\":80,", 75) == 0);
    assert_non_null(strstr(h.buf, ",\"payload\":[71,69,84,32,47,99,97,102,195,169,32,34,113,34,92,47,1,10]}\n"));
    json_object *o = next_json(&h);
    assert_string_equal(jstr(o, "src_host"), "10.0.0.1");
    assert_int_equal(jint(o, "src_port"), 1234);
    assert_string_equal(jstr(o, "dst_host"), "10.0.0.2");
    assert_int_equal(jint(o, "dst_port"), 80);
    assert_int_equal(jint(o, "family"), 4);
    assert_string_equal(jstr(o, "timestamp"), "2001-09-09T01:46:40.001000Z");
    assert_string_equal(jstr(o, "direction"), "c2s");
    assert_int_equal(jint(o, "offset"), 0);
    assert_int_equal(jint(o, "length"), sizeof utf - 1);
    jbytes(o, utf, sizeof utf - 1);
    assert_false(jhas(o, "payload_base64"));
    json_object *ts;
    assert_true(json_object_object_get_ex(o, "ts", &ts));
    assert_true(json_object_is_type(ts, json_type_double));
    assert_true(json_object_get_double(ts) > 1000000000.0009 &&
                json_object_get_double(ts) < 1000000000.0011);
    json_object_put(o);
    /* the number is written with exactly six decimals */
    assert_non_null(strstr(h.buf, "\"ts\":1000000000.001000,"));

    static const uint8_t bin[] = { 0, 1, 2, 0xff, 'a', 0xc3 };  /* any bytes */
    tr_data(&h, c, sizeof utf - 1, bin, sizeof bin, -1500000);
    o = next_json(&h);
    assert_int_equal(jint(o, "offset"), sizeof utf - 1);
    assert_int_equal(jint(o, "length"), 6);
    jbytes(o, bin, sizeof bin);
    assert_string_equal(jstr(o, "timestamp"), "1969-12-31T23:59:58.500000Z");
    json_object_put(o);
    assert_non_null(strstr(h.buf, "\"ts\":-1.500000,"));
    assert_non_null(strstr(h.buf, "\"payload\":[0,1,2,255,97,195]}\n"));

    static const uint8_t nul[] = { 'a', 0, 'b' };
    tr_data(&h, c, 100, nul, sizeof nul, 0);       /* held */
    tr_end(&h, c);
    o = next_json(&h);                             /* gap record: an empty payload */
    assert_int_equal(jint(o, "offset"), sizeof utf - 1 + sizeof bin);
    assert_int_equal(jint(o, "gap"), 100 - (sizeof utf - 1 + sizeof bin));
    assert_int_equal(jint(o, "length"), 0);
    jbytes(o, "", 0);
    json_object_put(o);
    o = next_json(&h);
    jbytes(o, nul, sizeof nul);
    assert_int_equal(jint(o, "length"), 3);
    json_object_put(o);
    assert_int_equal(h.seen, h.len);
    h_done(&h);
    free(c);
}

/* A record larger than the serializer's buffer: every byte value, in order. */
static void test_json_large(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.json = true;
    h_start(&h);
    struct flow *c = client_flow();
    size_t n = 70000;
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 7 + i / 256);
    tr_data(&h, c, 0, p, n, 0);
    json_object *o = next_json(&h);
    jbytes(o, p, n);
    json_object_put(o);
    tr_end(&h, c);
    h_done(&h);
    free(p);
    free(c);
}

/* A failed write is kept: error() says it, nothing more is printed; EPIPE
 * is the reader going away. */
static void test_write_errors(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    fclose(h.out);
    free(h.buf);
    h.buf = NULL;
    h.out = fopen("/dev/full", "w");
    if (!h.out) skip();
    h.c.out = h.out;
    h_start(&h);
    struct flow *f = client_flow();
    struct flow_consumer *fc = sink_console_consumer(h.s);
    assert_null(fc->ops->error(fc));
    data(&h, f, 0, "hello");
    assert_non_null(fc->ops->error(fc));
    assert_string_equal(fc->ops->error(fc), "standard output: write failed: No space left on device");
    assert_false(sink_console_reader_gone(h.s));
    data(&h, f, 5, "more");                     /* no crash, still failed */
    assert_non_null(sink_console_error(h.s));
    tr_end(&h, f);
    stream_free(h.st);
    sink_console_free(h.s);
    fclose(h.out);

    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    close(pfd[0]);                              /* the reader went away */
    h_default(&h);
    fclose(h.out);
    free(h.buf);
    h.buf = NULL;
    h.out = fdopen(pfd[1], "w");
    assert_non_null(h.out);
    h.c.out = h.out;
    h_start(&h);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old);
    data(&h, f, 0, "hello");
    sigaction(SIGPIPE, &old, NULL);
    assert_true(sink_console_reader_gone(h.s));
    assert_string_equal(sink_console_error(h.s), "standard output: the reader went away");
    tr_end(&h, f);
    stream_free(h.st);
    sink_console_free(h.s);
    fclose(h.out);
    free(f);
}

static void test_json_ipv6_and_direction(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    h.c.json = true;
    h_start(&h);
    struct flow *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->key.family = 6;
    f->key.sport = 443;
    f->key.dport = 51000;
    static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const uint8_t b[16] = { 0xfe, 0x80, [14] = 0xab, [15] = 0xcd };
    memcpy(f->key.src, a, 16);
    memcpy(f->key.dst, b, 16);
    f->state = FLOW_OPEN;
    f->rs.syn_seen = true;
    data(&h, f, 0, "x");
    json_object *o = next_json(&h);
    assert_string_equal(jstr(o, "src_host"), "2001:db8::1");
    assert_string_equal(jstr(o, "dst_host"), "fe80::abcd");
    assert_int_equal(jint(o, "src_port"), 443);
    assert_int_equal(jint(o, "dst_port"), 51000);
    assert_int_equal(jint(o, "family"), 6);
    assert_string_equal(jstr(o, "direction"), "s2c");
    json_object_put(o);
    f->rs.syn_seen = false;
    data(&h, f, 1, "y");
    o = next_json(&h);
    assert_string_equal(jstr(o, "direction"), "unknown");
    json_object_put(o);
    tr_end(&h, f);
    h_done(&h);
    free(f);
}

/* ---- -L ---- */

static void test_lock(void **state)
{
    (void)state;
    struct h h;
    h_default(&h);
    char err[256] = "";
    h.c.lockname = "bad/name";
    assert_null(sink_console_new(&h.c, err, sizeof err));
    assert_non_null(strstr(err, "bad/name"));
    err[0] = '\0';
    h.c.lockname = "/";
    assert_null(sink_console_new(&h.c, err, sizeof err));
    assert_true(err[0] != '\0');

    char name[64];
    snprintf(name, sizeof name, "/tcpflow-test-%ld", (long)getpid());
    h.c.lockname = name;
    h.c.header = false;
    h_start(&h);
    struct flow *f = client_flow();
    data(&h, f, 0, "locked");
    expect(&h, "locked\n");
    /* the semaphore is back at 1 after the record */
    sem_t *sem = sem_open(name, 0);
    assert_true(sem != SEM_FAILED);
    int v = -1;
    assert_int_equal(sem_getvalue(sem, &v), 0);
    assert_int_equal(v, 1);
    sem_close(sem);
    tr_end(&h, f);
    h_done(&h);
    sem_unlink(name);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_c),
        cmocka_unit_test(test_replacement_and_B),
        cmocka_unit_test(test_nonl),
        cmocka_unit_test(test_out_of_order_held),
        cmocka_unit_test(test_several_held_in_order),
        cmocka_unit_test(test_gap_at_flow_end),
        cmocka_unit_test(test_gap_hex_and_color),
        cmocka_unit_test(test_cap_per_flow),
        cmocka_unit_test(test_cap_total),
        cmocka_unit_test(test_max_bytes),
        cmocka_unit_test(test_prepend),
        cmocka_unit_test(test_closed_and_reopened),
        cmocka_unit_test(test_held_freed_without_end),
        cmocka_unit_test(test_hex_layouts),
        cmocka_unit_test(test_hex_header_offsets_per_record),
        cmocka_unit_test(test_colors),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_ipv6_and_direction),
        cmocka_unit_test(test_json_large),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
