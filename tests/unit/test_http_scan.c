/* test_http_scan.c - the http scanner's glue (scan/http.c): flow events of
 * both directions of a connection to the HTTP engine and out as body files
 * and report fragments.  Which flow is the client (SYN, first bytes,
 * ports), names after the flow file or, without files, after the name the
 * flow would have had, late bytes, prepends, holes left as zeros, 1.6.1's
 * empty <byte_runs>, responses not held when there is no client flow, a
 * second flow for an ended direction, and the settings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "flow/flow.h"
#include "scan/scanner.h"
#include "util/counters.h"
#include "testfiles.h"

extern const struct scanner scan_http;

static char dir[64];
static struct counters ctr;
static const char *max_decoded = "268435456";
static const char *alert_fd = "-1";
static const char *digest = "";
static bool md5_on;

static const char *setting(const struct scan_env *env, const char *name)
{
    (void)env;
    if (!strcmp(name, "http_max_decoded"))
        return max_decoded;
    if (!strcmp(name, "http_alert_fd"))
        return alert_fd;
    if (!strcmp(name, "http_digest"))
        return digest;
    return "";
}

static bool enabled(const struct scan_env *e, const char *name)
{
    (void)e;
    return !strcmp(name, "md5") && md5_on;
}

static struct scan_env env;

/* One scanner instance and its consumer, as the pipeline makes them. */
struct rig {
    void *self;
    struct flow_consumer fc;
    struct conn cn;
    struct flow f[2];                   /* f[0]: 10.0.0.1:1234 -> 10.0.0.2:80, f[1] its reverse */
    struct flow_summary rec[2];
    char name[2][128];
};

static void rig_init(struct rig *r, bool files)
{
    memset(r, 0, sizeof *r);
    memset(&ctr, 0, sizeof ctr);
    env = (struct scan_env){ .outdir = dir, .files = files, .gunzip = true, .max_bytes = UINT64_MAX,
                             .tmpl = "%A.%a-%B.%b%V%v%C%c", .ctr = &ctr, .setting = setting,
                             .enabled = enabled };
    char err[256] = "";
    r->self = scan_http.create(&env, err, sizeof err);
    assert_non_null(r->self);
    r->fc.ops = scan_http.flow;
    r->fc.self = r->self;
    r->fc.slot = 3;
    for (int i = 0; i < 2; i++) {
        struct flow *f = &r->f[i];
        f->key.family = 4;
        uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
        memcpy(i ? f->key.dst : f->key.src, a, 4);
        memcpy(i ? f->key.src : f->key.dst, b, 4);
        f->key.sport = i ? 80 : 1234;
        f->key.dport = i ? 1234 : 80;
        snprintf(r->name[i], sizeof r->name[i], "%s/%s", dir,
                 i ? "010.000.000.002.00080-010.000.000.001.01234" : "010.000.000.001.01234-010.000.000.002.00080");
        if (files)
            f->name = r->name[i];
    }
}

/* f joins the connection (in the order the tracker sees them). */
static void join(struct rig *r, int i)
{
    struct flow *f = &r->f[i];
    f->conn = &r->cn;
    r->cn.dir[r->cn.dir[0] ? 1 : 0] = f;
    r->cn.refs++;
}

static void data(struct rig *r, int i, uint64_t off, const char *s)
{
    r->fc.ops->stream(&r->fc, &r->f[i], off, (const uint8_t *)s, strlen(s), 0);
}

static void release(struct rig *r, int i)
{
    r->fc.ops->release(&r->fc, &r->f[i], &r->rec[i]);
}

static void rig_done(struct rig *r)
{
    r->fc.ops->conn_release(&r->fc, &r->cn);
    assert_null(r->cn.slot[r->fc.slot]);
    for (int i = 0; i < 2; i++)
        flowsum_release(&r->rec[i]);
    scan_http.destroy(r->self);
}

static char *slurp(const char *name, size_t *n)
{
    static char buf[8192];
    return test_slurp(dir, name, buf, sizeof buf, n);
}

static bool exists(const char *name)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void wellformed(const char *x)
{
    xmlDocPtr d = xmlReadMemory(x, (int)strlen(x), "frag.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    assert_non_null(d);
    xmlFreeDoc(d);
}

static int setup(void **state)
{
    (void)state;
    return test_mkdtemp(dir, sizeof dir, "test_http_scan");
}

static int teardown(void **state)
{
    (void)state;
    return test_rmtree(dir);
}

static int clean(void **state)
{
    return teardown(state) == 0 && setup(state) == 0 ? 0 : -1;
}

static const char POST[] = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                           "Content-Length: 7\r\n\r\n{\"a\":1}";
static const char RESP[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

/* The SYN sender is the client: its body is a request body, named after
 * its flow file; the other's a response body; each record gets its runs. */
static void test_both_directions(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    r.f[0].client = true;
    join(&r, 0);
    join(&r, 1);
    data(&r, 0, 0, POST);
    data(&r, 1, 0, RESP);
    release(&r, 0);
    release(&r, 1);
    size_t n;
    char *b = slurp("010.000.000.001.01234-010.000.000.002.00080-HTTPREQBODY-001.json", &n);
    assert_non_null(b);
    assert_int_equal(n, 7);
    assert_memory_equal(b, "{\"a\":1}", 7);
    b = slurp("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001.html", &n);
    assert_non_null(b);
    assert_memory_equal(b, "hello", 5);
    assert_non_null(r.rec[0].scanner_xml);
    assert_non_null(r.rec[1].scanner_xml);
    wellformed(r.rec[0].scanner_xml);
    wellformed(r.rec[1].scanner_xml);
    assert_non_null(strstr(r.rec[0].scanner_xml, "method='POST' uri='/up' host='h'"));
    assert_non_null(strstr(r.rec[1].scanner_xml, "method='POST' uri='/up' host='h' request='1' status='200'"));
    assert_non_null(strstr(r.rec[1].scanner_xml, "<byte_run file_offset='63'>"));
    assert_int_equal(ctr.n[C_HTTP_BODIES], 1);
    assert_int_equal(ctr.n[C_HTTP_REQ_BODIES], 1);
    rig_done(&r);
    assert_int_equal(ctr.n[C_HTTP_CONNS], 1);
}

/* Without a SYN the first bytes say who is the server, whatever came
 * first; with neither, the lower port is the server's. */
static void test_direction_without_syn(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    join(&r, 1);                                     /* the server's flow is seen first */
    join(&r, 0);
    data(&r, 0, 0, POST);                            /* ... but the client speaks first */
    data(&r, 1, 0, RESP);
    release(&r, 1);
    release(&r, 0);
    assert_true(exists("010.000.000.001.01234-010.000.000.002.00080-HTTPREQBODY-001.json"));
    assert_true(exists("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001.html"));
    rig_done(&r);

    clean(NULL);
    rig_init(&r, true);
    join(&r, 0);
    join(&r, 1);
    data(&r, 1, 0, "binary bytes, not HTTP\n");     /* neither says: port 80 is the server's */
    data(&r, 0, 0, POST);
    release(&r, 0);
    release(&r, 1);
    assert_true(exists("010.000.000.001.01234-010.000.000.002.00080-HTTPREQBODY-001.json"));
    rig_done(&r);
}

/* -FX, -c: no flow file; bodies are named as the flow would have been. */
static void test_names_without_files(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    r.f[0].client = true;
    join(&r, 0);
    join(&r, 1);
    data(&r, 0, 0, "GET / HTTP/1.1\r\n\r\n");
    data(&r, 1, 0, RESP);
    release(&r, 0);
    release(&r, 1);
    size_t n;
    char *b = slurp("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001.html", &n);
    assert_non_null(b);
    assert_memory_equal(b, "hello", 5);
    assert_non_null(strstr(r.rec[1].scanner_xml, dir));
    assert_null(r.rec[0].scanner_xml);               /* no request body: no fragment */
    rig_done(&r);
}

/* No client flow (a capture of the server's side): a response waits for
 * its request at most 256 KiB, then it and the next ones go on without
 * waiting (their alert lines come before the release). */
static void test_no_client_flow(void **state)
{
    (void)state;
    char al[128];
    snprintf(al, sizeof al, "%s/alerts", dir);
    FILE *af = fopen(al, "w+");
    assert_non_null(af);
    char fdtext[16];
    snprintf(fdtext, sizeof fdtext, "%d", fileno(af));
    alert_fd = fdtext;                               /* (lines in order: no writer thread) */
    struct rig r;
    rig_init(&r, true);
    alert_fd = "-1";
    join(&r, 1);
    data(&r, 1, 0, RESP);
    size_t n;
    char *b = slurp("alerts", &n);
    assert_int_equal(n, 0);                          /* it waits */
    static uint8_t big[300000];
    memset(big, 'z', sizeof big);
    char h[128];
    int hn = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof big);
    r.fc.ops->stream(&r.fc, &r.f[1], sizeof RESP - 1, (const uint8_t *)h, (size_t)hn, 0);
    r.fc.ops->stream(&r.fc, &r.f[1], sizeof RESP - 1 + (size_t)hn, big, sizeof big, 0);
    b = slurp("alerts", &n);
    assert_non_null(b);
    b[n] = '\0';
    assert_non_null(strstr(b, "-HTTPBODY-001.html\nopen\t"));    /* 001 over, 002 begun ... */
    assert_non_null(strstr(b, "close\t"));
    assert_non_null(strstr(b, "-HTTPBODY-002\n"));              /* ... and over: no second wait */
    b = slurp("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001.html", &n);
    assert_non_null(b);
    assert_int_equal(n, 5);
    release(&r, 1);
    assert_non_null(strstr(r.rec[1].scanner_xml, "method='' uri=''"));
    rig_done(&r);
    fclose(af);
    assert_int_equal(ctr.n[C_HTTP_UNPAIRED], 2);
    assert_int_equal(ctr.n[C_HTTP_BODIES], 2);
}

/* Late bytes (off below what was given) are skipped; bytes prepended to
 * the stream move the report's offsets. */
static void test_late_bytes_and_prepend(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    join(&r, 1);
    const char first[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe";   /* the body at 38 */
    data(&r, 1, 0, first);
    data(&r, 1, 33, "5\r\n\r\nhel");              /* retransmitted from 33: only "l" is new */
    r.fc.ops->prepend(&r.fc, &r.f[1], 10);            /* 10 earlier bytes turned up */
    data(&r, 1, 0, "0123456789");                      /* late: before what the parser has */
    data(&r, 1, 51, "lo");
    release(&r, 1);
    size_t n;
    char *b = slurp("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001", &n);
    assert_non_null(b);
    assert_int_equal(n, 5);
    assert_memory_equal(b, "hello", 5);
    assert_non_null(strstr(r.rec[1].scanner_xml, "<byte_run file_offset='48'>"));   /* 38 + 10 */
    rig_done(&r);
}

/* A hole inside a body given as sent: zeros in its place, the body goes
 * on and the next message is framed; the report says gap. */
static void test_hole_zeros(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    r.f[0].client = true;
    join(&r, 0);
    join(&r, 1);
    data(&r, 0, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    data(&r, 1, 0, h);
    data(&r, 1, sizeof h - 1, "abc");
    r.fc.ops->gap(&r.fc, &r.f[1], sizeof h - 1 + 3, 4, 0);
    data(&r, 1, sizeof h - 1 + 7, "xyz");
    data(&r, 1, sizeof h - 1 + 10, RESP);
    release(&r, 0);
    release(&r, 1);
    size_t n;
    char *b = slurp("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001", &n);
    assert_non_null(b);
    assert_int_equal(n, 10);
    assert_memory_equal(b, "abc\0\0\0\0xyz", 10);
    b = slurp("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-002.html", &n);
    assert_non_null(b);
    assert_memory_equal(b, "hello", 5);
    assert_non_null(strstr(r.rec[1].scanner_xml, "uri='/a' request='1' status='200' sent='6' complete='0' gap='1'"));
    assert_non_null(strstr(r.rec[1].scanner_xml, "uri='/b' request='2'"));
    rig_done(&r);
}

/* The in-order view gave up on a hole (its cap) and the missing bytes
 * come late: they fill it, the body is whole and complete.  Late bytes
 * after the repair's cap (8 MiB) find the hole given as zeros. */
static void test_late_bytes_fill_hole(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    r.f[0].client = true;
    join(&r, 0);
    join(&r, 1);
    data(&r, 0, 0, "PUT /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    r.fc.ops->gap(&r.fc, &r.f[0], 42, 4, 0);          /* the body is at 39: "defg" missing */
    data(&r, 0, 46, "hij");
    data(&r, 0, 41, "cdefg");                         /* late, overlapping what came */
    data(&r, 0, 49, "GET /b HTTP/1.1\r\n\r\n");
    data(&r, 1, 0, RESP);
    release(&r, 0);
    release(&r, 1);
    size_t n;
    char *b = slurp("010.000.000.001.01234-010.000.000.002.00080-HTTPREQBODY-001", &n);
    assert_non_null(b);
    assert_int_equal(n, 10);
    assert_memory_equal(b, "abcdefghij", 10);
    assert_non_null(strstr(r.rec[0].scanner_xml, "sent='10' complete='1'/>"));
    assert_null(strstr(r.rec[0].scanner_xml, "gap="));
    rig_done(&r);

    clean(NULL);
    rig_init(&r, true);
    r.f[0].client = true;
    join(&r, 0);
    uint64_t big = 9u << 20;
    char h[128];
    int hn = snprintf(h, sizeof h, "PUT /b HTTP/1.1\r\nContent-Length: %llu\r\n\r\nA", (unsigned long long)big);
    r.fc.ops->stream(&r.fc, &r.f[0], 0, (const uint8_t *)h, (size_t)hn, 0);
    r.fc.ops->gap(&r.fc, &r.f[0], (uint64_t)hn, 1, 0);
    static uint8_t chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    uint64_t at = (uint64_t)hn + 1;
    for (int i = 0; i < 9; i++, at += sizeof chunk)   /* past the repair's cap */
        r.fc.ops->stream(&r.fc, &r.f[0], at, chunk, sizeof chunk, 0);
    r.fc.ops->stream(&r.fc, &r.f[0], (uint64_t)hn, (const uint8_t *)"B", 1, 0);   /* too late */
    release(&r, 0);
    char p[256];
    snprintf(p, sizeof p, "%s/010.000.000.001.01234-010.000.000.002.00080-HTTPREQBODY-001", dir);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char two[2];
    assert_int_equal(fread(two, 1, 2, f), 2);
    assert_memory_equal(two, "A\0", 2);
    fclose(f);
    assert_non_null(strstr(r.rec[0].scanner_xml, "complete='0' gap='1'"));
    rig_done(&r);
}

/* 1.6.1 gives every flow it scans (starting with HTTP/1., 80 bytes at
 * least) a <byte_runs>, empty when it wrote no body. */
static void test_empty_byte_runs(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    r.f[0].client = true;
    join(&r, 0);
    join(&r, 1);
    data(&r, 0, 0, "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    data(&r, 1, 0, "HTTP/1.1 304 Not Modified\r\nETag: \"0123456789\"\r\nServer: test\r\n\r\n");
    data(&r, 1, 65, "HTTP/1.1 204 No Content\r\n\r\n");
    release(&r, 0);
    release(&r, 1);
    assert_null(r.rec[0].scanner_xml);
    assert_non_null(r.rec[1].scanner_xml);
    assert_string_equal(r.rec[1].scanner_xml, "<byte_runs>\n    </byte_runs>");
    rig_done(&r);

    clean(NULL);
    rig_init(&r, true);
    join(&r, 1);
    data(&r, 1, 0, "HTTP/1.1 204 No Content\r\n\r\n");  /* under 80 bytes: 1.6.1 did not scan it */
    release(&r, 1);
    assert_null(r.rec[1].scanner_xml);
    rig_done(&r);
}

/* A second flow for a direction that ended (a reused tuple joining the
 * connection) is not parsed, and nothing breaks. */
static void test_second_flow_ignored(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    r.f[0].client = true;
    join(&r, 0);
    join(&r, 1);
    data(&r, 0, 0, POST);
    release(&r, 0);
    struct flow g = r.f[0];
    g.name = NULL;
    r.cn.dir[0] = &g;                                  /* the tracker's: a new flow in its place */
    r.fc.ops->stream(&r.fc, &g, 0, (const uint8_t *)POST, sizeof POST - 1, 0);
    data(&r, 1, 0, RESP);
    release(&r, 1);
    struct flow_summary rg;
    memset(&rg, 0, sizeof rg);
    r.fc.ops->release(&r.fc, &g, &rg);
    assert_null(rg.scanner_xml);
    assert_int_equal(ctr.n[C_HTTP_REQ_BODIES], 1);
    assert_true(exists("010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-001.html"));
    rig_done(&r);
}

/* Connections whose responses wait for requests that do not come hold
 * 64 MiB at most together: past it the longest waiting ones stop waiting
 * (their bodies are written before any release). */
static void test_held_cap(void **state)
{
    (void)state;
    enum { CONNS = 280, BODY = 250000 };
    char al[128];
    snprintf(al, sizeof al, "%s/alerts", dir);
    FILE *af = fopen(al, "w+");
    assert_non_null(af);
    char fdtext[16];
    snprintf(fdtext, sizeof fdtext, "%d", fileno(af));
    alert_fd = fdtext;
    struct rig r;
    rig_init(&r, false);
    alert_fd = "-1";
    static struct conn cn[CONNS];
    static struct flow fl[CONNS][2];
    static uint8_t body[BODY];
    memset(cn, 0, sizeof cn);
    memset(body, 'b', sizeof body);
    char h[128];
    int hn = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BODY);
    for (int k = 0; k < CONNS; k++) {
        for (int i = 0; i < 2; i++) {
            fl[k][i] = r.f[i];
            fl[k][i].key.sport = (uint16_t)(i ? 80 : 2000 + k);
            fl[k][i].key.dport = (uint16_t)(i ? 2000 + k : 80);
            fl[k][i].client = i == 0;
            fl[k][i].conn = &cn[k];
            cn[k].dir[i] = &fl[k][i];
        }
        cn[k].refs = 2;
        r.fc.ops->stream(&r.fc, &fl[k][1], 0, (const uint8_t *)h, (size_t)hn, 0);   /* no request yet */
        r.fc.ops->stream(&r.fc, &fl[k][1], (uint64_t)hn, body, sizeof body, 0);
    }
    size_t n;
    char *b = slurp("alerts", &n);
    b[n] = '\0';
    unsigned closes = 0;
    for (char *q = b; (q = strstr(q, "close\t")) != NULL; q++)
        closes++;
    assert_true(closes >= 5 && closes < CONNS);      /* the oldest, not all */
    assert_non_null(strstr(b, "close\t"));
    assert_non_null(strstr(b, "010.000.000.002.00080-010.000.000.001.02000-HTTPBODY-001\n"));
    for (int k = 0; k < CONNS; k++) {
        struct flow_summary rec;
        for (int i = 0; i < 2; i++) {
            memset(&rec, 0, sizeof rec);
            r.fc.ops->release(&r.fc, &fl[k][i], &rec);
            flowsum_release(&rec);
        }
        r.fc.ops->conn_release(&r.fc, &cn[k]);
    }
    scan_http.destroy(r.self);
    fclose(af);
    assert_int_equal(ctr.n[C_HTTP_BODIES], CONNS);
    assert_true(ctr.n[C_HTTP_UNPAIRED] >= closes);
}

/* A body's SHA-256 is in the report when the run hashes its flows (the
 * md5 scanner: -FM, -e md5, -a), or -S http_digest says so. */
static void test_digest(void **state)
{
    (void)state;
    static const struct { const char *setting; bool md5, want; } t[] = {
        { "", false, false }, { "", true, true }, { "YES", false, true }, { "no", true, false },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        clean(NULL);
        digest = t[i].setting;
        md5_on = t[i].md5;
        struct rig r;
        rig_init(&r, true);
        join(&r, 1);
        data(&r, 1, 0, RESP);
        release(&r, 1);
        const char *h = strstr(r.rec[1].scanner_xml,
                               "<hashdigest type='SHA256'>2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824<");
        assert_true((h != NULL) == t[i].want);
        rig_done(&r);
    }
    digest = "";
    md5_on = false;
}

/* -S http_max_decoded: a number above 0, else the run stops (exit 1). */
static void test_settings(void **state)
{
    (void)state;
    static const char *bad[] = { "", "0", "-5", "12x", "x", "99999999999999999999999" };   /* (out of range) */
    char err[256];
    env = (struct scan_env){ .outdir = dir, .gunzip = true, .tmpl = "%A", .ctr = &ctr, .setting = setting,
                             .enabled = enabled };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        max_decoded = bad[i];
        err[0] = '\0';
        assert_null(scan_http.create(&env, err, sizeof err));
        assert_non_null(strstr(err, "http_max_decoded"));
    }
    max_decoded = "1000";
    void *s = scan_http.create(&env, err, sizeof err);
    assert_non_null(s);
    scan_http.destroy(s);
    max_decoded = "268435456";
    assert_true(scan_http.flow->wants & FC_STREAM);
    assert_false(scan_http.flags & SCAN_NEEDS_FILES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_both_directions, clean),
        cmocka_unit_test_setup(test_direction_without_syn, clean),
        cmocka_unit_test_setup(test_names_without_files, clean),
        cmocka_unit_test_setup(test_no_client_flow, clean),
        cmocka_unit_test_setup(test_late_bytes_and_prepend, clean),
        cmocka_unit_test_setup(test_hole_zeros, clean),
        cmocka_unit_test_setup(test_late_bytes_fill_hole, clean),
        cmocka_unit_test_setup(test_empty_byte_runs, clean),
        cmocka_unit_test_setup(test_second_flow_ignored, clean),
        cmocka_unit_test_setup(test_held_cap, clean),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
