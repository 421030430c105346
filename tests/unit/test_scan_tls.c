/* Unit tests for the tls scanner's glue (scan/tls.c): real TLS transcripts
 * (tests/data/tls/) fed as the connection tracker would (stream events of
 * both directions in capture order, close, release, conn_release): the
 * plaintext files and their names, the report XML, the counters, HTTP
 * bodies with -e http, no key, a failed tag, a hole, late and overlapping
 * bytes, bytes that are not TLS, names without flow files, the key log
 * shared by instances and the totals said once, settings errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "flow/flow.h"
#include "scan/scanner.h"
#include "test_tls_common.h"

extern const struct scanner scan_tls;

/* ---- a scan_env with settings from a table ---- */

struct tenv {
    struct scan_env env;
    struct counters ctr;
    const char *keylog[4];
    size_t nkeylog;
    const char *keylog_env;
    const char *max_pending;
    bool http;
};

static const char *t_setting(const struct scan_env *env, const char *name)
{
    const struct tenv *t = (const struct tenv *)env;
    if (!strcmp(name, "tls_keylog")) return t->nkeylog ? t->keylog[t->nkeylog - 1] : "";
    if (!strcmp(name, "tls_keylog_env")) return t->keylog_env ? t->keylog_env : "NO";
    if (!strcmp(name, "tls_max_pending")) return t->max_pending ? t->max_pending : "1048576";
    if (!strcmp(name, "http_alert_fd")) return "-1";
    return "";
}

static const char *const *t_setting_all(const struct scan_env *env, const char *name, size_t *n)
{
    const struct tenv *t = (const struct tenv *)env;
    *n = strcmp(name, "tls_keylog") ? 0 : t->nkeylog;
    return t->keylog;
}

static bool t_enabled(const struct scan_env *env, const char *name)
{
    const struct tenv *t = (const struct tenv *)env;
    return !strcmp(name, "http") && t->http;
}

static char outdir[256];

static void tenv_init(struct tenv *t, const char *keylog, bool files)
{
    memset(t, 0, sizeof *t);
    t->env = (struct scan_env){ .outdir = outdir, .files = files, .gunzip = true, .max_bytes = UINT64_MAX,
                                .tmpl = "%A.%a-%B.%b%V%v%C%c", .ctr = &t->ctr, .setting = t_setting,
                                .setting_all = t_setting_all, .enabled = t_enabled };
    if (keylog)
        t->keylog[t->nkeylog++] = keylog;
}

/* ---- files ---- */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)l + 1);
    *n = fread(b, 1, (size_t)l, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void clean_outdir(void)
{
    DIR *d = opendir(outdir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", outdir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
}

static char keylog_path[300];

/* The transcript's key log as a file (all of it, or none of it). */
static const char *write_keylog(const struct transcript *t, bool with_keys)
{
    snprintf(keylog_path, sizeof keylog_path, "%s/../keys-%d.log", outdir, (int)getpid());
    FILE *f = fopen(keylog_path, "w");
    assert_non_null(f);
    if (with_keys)
        fwrite(t->keylog, 1, t->keylog_len, f);
    else
        fputs("CLIENT_RANDOM 00000000000000000000000000000000000000000000000000000000000000aa "
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n", f);
    fclose(f);
    return keylog_path;
}

/* ---- a connection as the tracker gives it ---- */

struct tconnx {
    struct flow f[2];           /* [0] the client's direction */
    struct conn cn;
    struct flow_consumer c;
    struct flow_summary rec[2];
    char name[2][300];
    uint64_t off[2];
};

/* client_second: the server's direction is the connection's first
 * (dir 0); named: flow files exist (f->name). */
static void conn_init(struct tconnx *x, void *self, const char *tag, bool client_second, bool named)
{
    memset(x, 0, sizeof *x);
    x->c.ops = scan_tls.flow;
    x->c.self = self;
    x->c.slot = 3;
    for (int w = 0; w < 2; w++) {
        struct flow *f = &x->f[w];
        f->key.family = 4;
        uint8_t cl[4] = { 10, 0, 0, 1 }, sv[4] = { 10, 0, 0, 2 };
        memcpy(f->key.src, w ? sv : cl, 4);
        memcpy(f->key.dst, w ? cl : sv, 4);
        f->key.sport = w ? 443 : 40000;
        f->key.dport = w ? 40000 : 443;
        f->conn = &x->cn;
        snprintf(x->name[w], sizeof x->name[w], "%s/%s.%s", outdir, tag, w ? "s2c" : "c2s");
        if (named)
            f->name = x->name[w];
    }
    x->cn.dir[client_second ? 1 : 0] = &x->f[0];
    x->cn.dir[client_second ? 0 : 1] = &x->f[1];
    x->cn.refs = 2;
}

static void conn_data(struct tconnx *x, int who, const uint8_t *p, size_t n)
{
    scan_tls.flow->stream(&x->c, &x->f[who], x->off[who], p, n, 0);
    x->off[who] += n;
}

/* close, release (XML into rec[]), conn_release */
static void conn_end(struct tconnx *x)
{
    for (int w = 0; w < 2; w++)
        scan_tls.flow->close(&x->c, &x->f[w], false);
    for (int w = 0; w < 2; w++)
        scan_tls.flow->release(&x->c, &x->f[w], &x->rec[w]);
    scan_tls.flow->conn_release(&x->c, &x->cn);
}

static void conn_free(struct tconnx *x)
{
    flowsum_release(&x->rec[0]);
    flowsum_release(&x->rec[1]);
}

static void run_transcript(struct tconnx *x, const struct transcript *t)
{
    for (size_t i = 0; i < t->nc; i++)
        conn_data(x, t->c[i].who, t->c[i].p, t->c[i].n);
}

static void *create(struct tenv *t)
{
    char err[512] = "";
    void *self = scan_tls.create(&t->env, err, sizeof err);
    if (!self)
        fprintf(stderr, "create: %s\n", err);
    assert_non_null(self);
    return self;
}

static void expect_file(const char *path, const uint8_t *want, size_t n)
{
    size_t got_n = 0;
    char *got = slurp(path, &got_n);
    assert_non_null(got);
    assert_int_equal(got_n, n);
    assert_memory_equal(got, want, n);
    free(got);
}

/* ---- tests ---- */

/* Every transcript decrypts into two files named after the flow files,
 * whichever direction came first; the report says what was negotiated. */
static void t_transcripts(void **st)
{
    (void)st;
    static const char *const names[] = {
        "t13_default", "t13_resumed_a", "t12_ecdhe_rsa_aes128gcm", "t12_ecdhe_rsa_aes256gcm", "t12_rsa_aes128gcm",
        "t12_ecdhe_ecdsa_chacha", "t12_ecdhe_rsa_aes128sha_etm", "t12_ecdhe_rsa_aes128sha_mte",
        "t12_rsa_aes256sha256", "t12_ecdhe_ecdsa_aes256sha384_mte",
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        for (int swap = 0; swap < 2; swap++) {
            struct transcript t;
            assert_int_equal(transcript_load(names[k], &t), 0);
            struct tenv e;
            tenv_init(&e, write_keylog(&t, true), true);
            void *self = create(&e);
            struct tconnx x;
            conn_init(&x, self, names[k], swap, true);
            run_transcript(&x, &t);
            conn_end(&x);
            char p[400];
            for (int w = 0; w < 2; w++) {
                snprintf(p, sizeof p, "%s-PLAINTEXT", x.name[w]);
                expect_file(p, t.pt[w], t.ptn[w]);
                assert_non_null(x.rec[w].scanner_xml);
                assert_non_null(strstr(x.rec[w].scanner_xml, w ? "role='server'" : "role='client'"));
                assert_non_null(strstr(x.rec[w].scanner_xml, "status='decrypted'"));
                assert_non_null(strstr(x.rec[w].scanner_xml, p));
                assert_non_null(strstr(x.rec[w].scanner_xml, t.version == 0x0304 ? "version='1.3'" : "version='1.2'"));
            }
            assert_int_equal(e.ctr.n[C_TLS_CONNS], 1);
            assert_int_equal(e.ctr.n[C_TLS_CONN_DECRYPTED], 1);
            assert_int_equal(e.ctr.n[C_TLS_FILES], 2);
            conn_free(&x);
            scan_tls.destroy(self);
            transcript_free(&t);
            clean_outdir();
        }
    }
}

/* Resumption: the second connection of a pair, in the same run. */
static void t_resumed(void **st)
{
    (void)st;
    static const char *const pairs[][2] = {
        { "t13_resumed_a", "t13_resumed_b" }, { "t12_resumed_ticket_a", "t12_resumed_ticket_b" },
        { "t12_resumed_id_a", "t12_resumed_id_b" },
    };
    for (size_t k = 0; k < 3; k++) {
        struct transcript a, b;
        assert_int_equal(transcript_load(pairs[k][0], &a), 0);
        assert_int_equal(transcript_load(pairs[k][1], &b), 0);
        /* one key log with both connections' lines */
        char *both = malloc(a.keylog_len + b.keylog_len + 1);
        memcpy(both, a.keylog, a.keylog_len);
        memcpy(both + a.keylog_len, b.keylog, b.keylog_len);
        free(a.keylog);
        a.keylog = both;
        a.keylog_len += b.keylog_len;
        struct tenv e;
        tenv_init(&e, write_keylog(&a, true), true);
        void *self = create(&e);
        struct tconnx x, y;
        conn_init(&x, self, "first", false, true);
        run_transcript(&x, &a);
        conn_end(&x);
        conn_init(&y, self, "second", false, true);
        run_transcript(&y, &b);
        conn_end(&y);
        char p[400];
        for (int w = 0; w < 2; w++) {
            snprintf(p, sizeof p, "%s-PLAINTEXT", y.name[w]);
            expect_file(p, b.pt[w], b.ptn[w]);
            assert_non_null(strstr(y.rec[w].scanner_xml, "resumed='1'"));
            assert_non_null(strstr(x.rec[w].scanner_xml, "resumed='0'"));
        }
        assert_int_equal(e.ctr.n[C_TLS_CONN_DECRYPTED], 2);
        conn_free(&x);
        conn_free(&y);
        scan_tls.destroy(self);
        transcript_free(&a);
        transcript_free(&b);
        clean_outdir();
    }
}

/* No key: no plaintext file, counted, said in the report. */
static void t_no_key(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t13_default", &t), 0);
    struct tenv e;
    tenv_init(&e, write_keylog(&t, false), true);
    void *self = create(&e);
    struct tconnx x;
    conn_init(&x, self, "nokey", false, true);
    run_transcript(&x, &t);
    conn_end(&x);
    char p[400];
    for (int w = 0; w < 2; w++) {
        snprintf(p, sizeof p, "%s-PLAINTEXT", x.name[w]);
        assert_false(exists(p));
        assert_non_null(strstr(x.rec[w].scanner_xml, "status='no-key'"));
        assert_null(strstr(x.rec[w].scanner_xml, "<filename>"));
    }
    assert_int_equal(e.ctr.n[C_TLS_CONNS], 1);
    assert_int_equal(e.ctr.n[C_TLS_CONN_NO_KEY], 1);
    assert_int_equal(e.ctr.n[C_TLS_CONN_DECRYPTED], 0);
    assert_int_equal(e.ctr.n[C_TLS_FILES], 0);
    /* the end: the entry nobody used is counted, the summary says it */
    struct scan_end end = { "x", NULL };
    char err[256] = "";
    assert_int_equal(scan_tls.finish(self, &end, err, sizeof err), 0);
    assert_int_equal(e.ctr.n[C_TLS_KEYLOG_UNUSED], 1);
    assert_non_null(end.summary_xml);
    assert_non_null(strstr(end.summary_xml, "no_key='1'"));
    assert_non_null(strstr(end.summary_xml, "unused='1'"));
    free(end.summary_xml);
    conn_free(&x);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* The last server record damaged: the plaintext before it is kept, the
 * direction ends with bad-tag, nothing of the damaged record is written. */
static void t_bad_tag(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t12_ecdhe_rsa_aes128gcm", &t), 0);
    size_t last = 0;
    for (size_t i = 0; i < t.nc; i++)
        if (t.c[i].who == 1)
            last = i;
    t.c[last].p[t.c[last].n - 3] ^= 0x40;          /* inside the tag of its last record */
    struct tenv e;
    tenv_init(&e, write_keylog(&t, true), true);
    void *self = create(&e);
    struct tconnx x;
    conn_init(&x, self, "badtag", false, true);
    run_transcript(&x, &t);
    conn_end(&x);
    char p[400];
    snprintf(p, sizeof p, "%s-PLAINTEXT", x.name[1]);
    size_t n = 0;
    char *got = slurp(p, &n);
    assert_non_null(got);
    assert_true(n < t.ptn[1]);
    assert_memory_equal(got, t.pt[1], n);
    free(got);
    assert_non_null(strstr(x.rec[1].scanner_xml, "status='bad-tag'"));
    assert_non_null(strstr(x.rec[0].scanner_xml, "status='decrypted'"));
    assert_int_equal(e.ctr.n[C_TLS_CONN_BAD_TAG], 1);
    conn_free(&x);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* A hole in the server's bytes: what came before is decrypted, the rest
 * of that direction is not (no garbage), counted as a hole; the late
 * bytes the tracker gives again are skipped. */
static void t_hole_and_late(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t13_default", &t), 0);
    struct tenv e;
    tenv_init(&e, write_keylog(&t, true), true);
    void *self = create(&e);
    struct tconnx x;
    conn_init(&x, self, "hole", false, true);
    size_t sv = 0;
    for (size_t i = 0; i < t.nc; i++) {
        if (t.c[i].who == 1 && ++sv == 3) {       /* the server's third write: a hole of 5 bytes in it */
            conn_data(&x, 1, t.c[i].p, 10);
            scan_tls.flow->gap(&x.c, &x.f[1], x.off[1], 5, 0);
            x.off[1] += 5;
            conn_data(&x, 1, t.c[i].p + 15, t.c[i].n - 15);
            continue;
        }
        conn_data(&x, t.c[i].who, t.c[i].p, t.c[i].n);
        /* every client write given again, then again overlapping by one byte */
        if (t.c[i].who == 0 && t.c[i].n > 1) {
            scan_tls.flow->stream(&x.c, &x.f[0], x.off[0] - t.c[i].n, t.c[i].p, t.c[i].n, 0);
            scan_tls.flow->stream(&x.c, &x.f[0], x.off[0] - 1, t.c[i].p + t.c[i].n - 1, 1, 0);
        }
    }
    conn_end(&x);
    char p[400];
    snprintf(p, sizeof p, "%s-PLAINTEXT", x.name[0]);
    expect_file(p, t.pt[0], t.ptn[0]);
    snprintf(p, sizeof p, "%s-PLAINTEXT", x.name[1]);
    size_t n = 0;
    char *got = slurp(p, &n);
    if (got) {
        assert_true(n < t.ptn[1]);
        assert_memory_equal(got, t.pt[1], n);
        free(got);
    }
    assert_non_null(strstr(x.rec[1].scanner_xml, "status='hole'"));
    assert_non_null(strstr(x.rec[1].scanner_xml, "hole_bytes='5'"));
    assert_int_equal(e.ctr.n[C_TLS_CONN_HOLE], 1);
    conn_free(&x);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* Bytes that are not TLS: let go at once, no XML, no file, counted. */
static void t_not_tls(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t13_default", &t), 0);
    struct tenv e;
    tenv_init(&e, write_keylog(&t, true), true);
    void *self = create(&e);
    struct tconnx x;
    conn_init(&x, self, "http", false, true);
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp[] = "HTTP/1.1 200 OK\r\n\r\n";
    conn_data(&x, 0, (const uint8_t *)req, sizeof req - 1);
    conn_data(&x, 1, (const uint8_t *)resp, sizeof resp - 1);
    conn_data(&x, 0, (const uint8_t *)req, sizeof req - 1);
    conn_end(&x);
    assert_null(x.rec[0].scanner_xml);
    assert_null(x.rec[1].scanner_xml);
    assert_int_equal(e.ctr.n[C_TLS_NOT_TLS], 1);
    assert_int_equal(e.ctr.n[C_TLS_CONNS], 0);
    conn_free(&x);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* Without flow files (-FX, -c): the names the flow files would have had
 * (the template, counter 0), made exclusively: the same 4-tuple twice
 * gets a c1 name. */
static void t_no_flow_files(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t12_rsa_aes128gcm", &t), 0);
    struct tenv e;
    tenv_init(&e, write_keylog(&t, true), false);
    void *self = create(&e);
    for (int k = 0; k < 2; k++) {
        struct tconnx x;
        conn_init(&x, self, "unused", false, false);
        run_transcript(&x, &t);
        conn_end(&x);
        char p[400];
        snprintf(p, sizeof p, "%s/010.000.000.001.40000-010.000.000.002.00443%s-PLAINTEXT", outdir, k ? "c1" : "");
        expect_file(p, t.pt[0], t.ptn[0]);
        assert_non_null(strstr(x.rec[0].scanner_xml, p));
        snprintf(p, sizeof p, "%s/010.000.000.002.00443-010.000.000.001.40000%s-PLAINTEXT", outdir, k ? "c1" : "");
        expect_file(p, t.pt[1], t.ptn[1]);
        conn_free(&x);
    }
    scan_tls.destroy(self);
    /* the names follow the template (-T), directories included */
    e.env.tmpl = "%N/%A-%a%C%c";
    self = create(&e);
    struct tconnx x;
    conn_init(&x, self, "unused", false, false);
    x.f[0].flow_id = 7;
    x.f[1].flow_id = 8;
    run_transcript(&x, &t);
    conn_end(&x);
    char p[400];
    snprintf(p, sizeof p, "%s/007/010.000.000.001-40000-PLAINTEXT", outdir);
    expect_file(p, t.pt[0], t.ptn[0]);
    unlink(p);
    snprintf(p, sizeof p, "%s/008/010.000.000.002-00443-PLAINTEXT", outdir);
    expect_file(p, t.pt[1], t.ptn[1]);
    unlink(p);
    snprintf(p, sizeof p, "%s/007", outdir);
    rmdir(p);
    snprintf(p, sizeof p, "%s/008", outdir);
    rmdir(p);
    conn_free(&x);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* -e http: the bodies of the HTTP/1.1 messages inside, named after the
 * plaintext files, listed in the <tls> element. */
static void t_http(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t13_http", &t), 0);
    struct tenv e;
    tenv_init(&e, write_keylog(&t, true), true);
    e.http = true;
    void *self = create(&e);
    struct tconnx x;
    conn_init(&x, self, "web", false, true);
    run_transcript(&x, &t);
    conn_end(&x);
    /* the bodies, as gen.py made them */
    uint8_t put[256 * 12 + 14], get2[20000];
    for (size_t i = 0; i < 256 * 12; i++)
        put[i] = (uint8_t)i;
    memcpy(put + 256 * 12, "end of upload\n", 14);
    for (size_t i = 0; i < sizeof get2; i++)
        get2[i] = (uint8_t)(i * 7);
    char get1[300 * 18 + 1], *q = get1;
    for (int i = 0; i < 300; i++)
        q += sprintf(q, "chunked line %04d\n", i);
    char p[400];
    snprintf(p, sizeof p, "%s-PLAINTEXT-HTTPREQBODY-001", x.name[0]);
    expect_file(p, put, sizeof put);
    snprintf(p, sizeof p, "%s-PLAINTEXT-HTTPBODY-002.txt", x.name[1]);
    expect_file(p, (const uint8_t *)get1, (size_t)(q - get1));
    snprintf(p, sizeof p, "%s-PLAINTEXT-HTTPBODY-003", x.name[1]);
    expect_file(p, get2, sizeof get2);
    snprintf(p, sizeof p, "%s-PLAINTEXT-HTTPBODY-001", x.name[1]);
    assert_false(exists(p));                        /* the 201 has no body */
    assert_non_null(strstr(x.rec[1].scanner_xml, "<byte_runs>"));
    assert_non_null(strstr(x.rec[1].scanner_xml, "HTTPBODY-003"));
    assert_non_null(strstr(x.rec[0].scanner_xml, "HTTPREQBODY-001"));
    assert_non_null(strstr(x.rec[0].scanner_xml, "alpn='http/1.1'"));
    assert_int_equal(e.ctr.n[C_TLS_HTTP_CONNS], 1);
    assert_int_equal(e.ctr.n[C_HTTP_BODIES], 2);
    assert_int_equal(e.ctr.n[C_HTTP_REQ_BODIES], 1);
    conn_free(&x);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* Instances of one run share one key log; the totals come once, from the
 * last instance to finish, summed over all. */
static void t_shared_totals(void **st)
{
    (void)st;
    struct transcript t;
    assert_int_equal(transcript_load("t12_rsa_aes128gcm", &t), 0);
    struct tenv e1, e2;
    tenv_init(&e1, write_keylog(&t, true), true);
    tenv_init(&e2, keylog_path, true);
    void *a = create(&e1), *b = create(&e2);
    struct tconnx x, y;
    conn_init(&x, a, "a", false, true);
    run_transcript(&x, &t);
    conn_end(&x);
    conn_init(&y, b, "b", false, true);
    run_transcript(&y, &t);
    conn_end(&y);
    struct scan_end end = { "x", NULL };
    char err[256] = "";
    assert_int_equal(scan_tls.finish(a, &end, err, sizeof err), 0);
    assert_null(end.summary_xml);
    assert_int_equal(scan_tls.finish(b, &end, err, sizeof err), 0);
    assert_non_null(end.summary_xml);
    assert_non_null(strstr(end.summary_xml, "connections='2' decrypted='2'"));
    assert_non_null(strstr(end.summary_xml, "entries='1' used='1' unused='0'"));
    free(end.summary_xml);
    conn_free(&x);
    conn_free(&y);
    scan_tls.destroy(a);
    scan_tls.destroy(b);
    transcript_free(&t);
    clean_outdir();
}

/* More connections at once than descriptors kept open: the least recently
 * written files are closed and reopened to append; every file whole. */
static void t_many_open(void **st)
{
    (void)st;
    enum { N = 150 };
    struct transcript t;
    assert_int_equal(transcript_load("t12_ecdhe_rsa_aes128sha_etm", &t), 0);
    struct tenv e;
    tenv_init(&e, write_keylog(&t, true), true);
    void *self = create(&e);
    static struct tconnx x[N];
    char tag[32];
    for (int k = 0; k < N; k++) {
        snprintf(tag, sizeof tag, "c%03d", k);
        conn_init(&x[k], self, tag, false, true);
    }
    for (size_t i = 0; i < t.nc; i++)           /* every connection's i-th write, then the next */
        for (int k = 0; k < N; k++)
            conn_data(&x[k], t.c[i].who, t.c[i].p, t.c[i].n);
    for (int k = 0; k < N; k++)
        conn_end(&x[k]);
    char p[400];
    for (int k = 0; k < N; k++) {
        for (int w = 0; w < 2; w++) {
            snprintf(p, sizeof p, "%s-PLAINTEXT", x[k].name[w]);
            expect_file(p, t.pt[w], t.ptn[w]);
        }
        conn_free(&x[k]);
    }
    assert_int_equal(e.ctr.n[C_TLS_CONN_DECRYPTED], N);
    assert_int_equal(e.ctr.n[C_TLS_FILES], 2 * N);
    assert_int_equal(e.ctr.n[C_TLS_FILE_FAILED], 0);
    scan_tls.destroy(self);
    transcript_free(&t);
    clean_outdir();
}

/* Settings: a key log that cannot be read, none given, SSLKEYLOGFILE only
 * when asked, a bad tls_max_pending: create refuses with one message. */
static void t_settings(void **st)
{
    (void)st;
    struct tenv e;
    char err[512];
    tenv_init(&e, "/nonexistent/keys.log", true);
    assert_null(scan_tls.create(&e.env, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/keys.log"));
    tenv_init(&e, NULL, true);
    assert_null(scan_tls.create(&e.env, err, sizeof err));
    assert_non_null(strstr(err, "tls_keylog"));
    struct transcript t;
    assert_int_equal(transcript_load("t13_default", &t), 0);
    setenv("SSLKEYLOGFILE", write_keylog(&t, true), 1);
    e.keylog_env = "YES";
    void *self = scan_tls.create(&e.env, err, sizeof err);
    assert_non_null(self);
    scan_tls.destroy(self);
    unsetenv("SSLKEYLOGFILE");
    assert_null(scan_tls.create(&e.env, err, sizeof err));
    assert_non_null(strstr(err, "SSLKEYLOGFILE"));
    tenv_init(&e, keylog_path, true);
    e.max_pending = "12x";
    assert_null(scan_tls.create(&e.env, err, sizeof err));
    assert_non_null(strstr(err, "tls_max_pending"));
    transcript_free(&t);
}

static int setup(void **st)
{
    (void)st;
    snprintf(outdir, sizeof outdir, "/tmp/test_scan_tls.XXXXXX");
    assert_non_null(mkdtemp(outdir));
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    clean_outdir();
    unlink(keylog_path);            /* (a path through outdir: before it goes) */
    rmdir(outdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_transcripts), cmocka_unit_test(t_resumed), cmocka_unit_test(t_no_key),
        cmocka_unit_test(t_bad_tag), cmocka_unit_test(t_hole_and_late), cmocka_unit_test(t_not_tls),
        cmocka_unit_test(t_no_flow_files), cmocka_unit_test(t_http), cmocka_unit_test(t_shared_totals), cmocka_unit_test(t_many_open),
        cmocka_unit_test(t_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
