/* test_python.c - the python scanner (scan/python.c, scan/python_embed.c)
 * driven directly, as the connection tracker drives it: placed bytes,
 * prepends, release into a record, finish.  A plug-in module is written to
 * a mkdtemp directory; every test starts and ends its own interpreter (so
 * this also checks that Python starts again after it was finalized).
 *
 * Checked: the exact <tcpflow:result> element; str, bytes and memoryview
 * arguments; bytes in memory (order, holes, prepend, -b, py_max_bytes,
 * py_memcap, counted and said); flow files (mapped, empty, missing); the
 * metadata dict; exceptions (traceback once, counted, the error element,
 * finish fails); None; other types; escaping; a retained memoryview; calls
 * from another thread; every create error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/flow.h"
#include "scan/scanner.h"
#include "util/xalloc.h"

static char dir[64];

static const char PLUGIN[] =
    "import threading\n"
    "def hx(data):\n"
    "    b = data.encode('latin-1') if isinstance(data, str) else bytes(data)\n"
    "    return type(data).__name__ + ' ' + b.hex()\n"
    "def meta(data, m):\n"
    "    return '%s %d %s %d %d %s %s %s %d %s' % (m['src'], m['sport'], m['dst'], m['dport'], m['family'],\n"
    "        m['vlan'], m['end_reason'], m['filename'], m['truncated'], m['start'])\n"
    "def boom(data):\n"
    "    if data.startswith('x'):\n"
    "        raise KeyError('bad <key>')\n"
    "    return None\n"
    "def weird(data):\n"
    "    return 'a&b<c>\"\\x01\\\\\\r\\n\\ud800\\u00e9'\n"
    "def num(data):\n"
    "    return 42\n"
    "def empty(data):\n"
    "    return ''\n"
    "kept = []\n"
    "def keep(data):\n"
    "    kept.append(data)\n"
    "    return ' '.join(bytes(k[:3]).decode() for k in kept)\n"
    "def tid(data):\n"
    "    return str(threading.get_ident())\n"
    "def noparam():\n"
    "    return 1\n"
    "def exits(data):\n"
    "    import sys\n"
    "    sys.exit(3)\n"
    "notfn = 5\n"
    "import sys\n"
    "calls, counts = [0], []\n"
    "def leakcheck(data, m):\n"
    "    if data[:6] == b'REPORT' or data[:6] == 'REPORT':\n"
    "        return ' '.join(map(str, counts))\n"
    "    calls[0] += 1\n"
    "    if calls[0] in (100, 400):\n"
    "        counts.append(sys.getallocatedblocks())\n"
    "    if calls[0] % 3 == 0:\n"
    "        raise ValueError('every third')\n"
    "    return 'x' * (len(data) + calls[0] % 7) if calls[0] % 3 == 1 else (None if calls[0] % 2 else calls[0])\n";

/* ---- harness ---- */

struct h {
    const char *set[16][2];
    size_t nset;
    struct counters ctr;
    struct scan_env env;
    const struct scanner *sc;
    void *self;
    struct flow_consumer c;
    char err[1024];
};

static const char *get_setting(const struct scan_env *env, const char *name)
{
    const struct h *h = env->setting_arg;
    for (size_t i = h->nset; i-- > 0;)
        if (!strcmp(h->set[i][0], name)) return h->set[i][1];
    for (const struct scan_setting *s = h->sc->settings; s->name; s++)
        if (!strcmp(s->name, name)) return s->def;
    return "";
}

static void h_set(struct h *h, const char *name, const char *v)
{
    assert_true(h->nset < 16);
    h->set[h->nset][0] = name;
    h->set[h->nset][1] = v;
    h->nset++;
}

static void h_init(struct h *h, const char *function)
{
    memset(h, 0, sizeof *h);
    h->sc = scanner_find("python");
    assert_non_null(h->sc);
    h->env = (struct scan_env){ .outdir = dir, .files = false, .gunzip = true, .max_bytes = UINT64_MAX,
                                .tmpl = "", .ctr = &h->ctr, .setting = get_setting, .setting_arg = h };
    h_set(h, "py_path", dir);
    h_set(h, "py_module", "tplug");
    h_set(h, "py_function", function);
}

/* The scanner alive, if a failed test left one (one interpreter at a time). */
static void *live;

static bool h_create(struct h *h)
{
    if (live) h->sc->destroy(live);
    live = h->self = h->sc->create(&h->env, h->err, sizeof h->err);
    h->c = (struct flow_consumer){ h->sc->flow, h->self, 0 };
    return h->self != NULL;
}

static void h_start(struct h *h, const char *function)
{
    h_init(h, function);
    assert_true(h_create(h));
}

static int h_finish(struct h *h)
{
    struct scan_end end = { "x.pcap", NULL };
    char err[512] = "";
    int r = h->sc->finish(h->self, &end, err, sizeof err);
    assert_null(end.summary_xml);
    return r;
}

static void h_free(struct h *h)
{
    h->sc->destroy(h->self);
    live = NULL;
}

static void rec_init(struct flow_summary *r)
{
    memset(r, 0, sizeof *r);
    r->family = 4;
    memcpy(r->src, (uint8_t[]){ 10, 0, 0, 1 }, 4);
    memcpy(r->dst, (uint8_t[]){ 10, 0, 0, 2 }, 4);
    r->sport = 1234;
    r->dport = 80;
    r->start_us = 1000000000LL * 1000000 + 5;
    r->end = FLOW_END_FIN;
}

static void data_n(struct h *h, struct flow *f, uint64_t off, const char *s, size_t n)
{
    assert_int_equal(h->c.ops->data(&h->c, f, off, (const uint8_t *)s, n, 0), 0);
}

static void data(struct h *h, struct flow *f, uint64_t off, const char *s) { data_n(h, f, off, s, strlen(s)); }

/* Releases f; the XML its record got (malloc'd, "" for none). */
static char *release(struct h *h, struct flow *f, struct flow_summary *r)
{
    h->c.ops->release(&h->c, f, r);
    assert_null(f->slot[0]);
    char *x = xstrdup(r->scanner_xml ? r->scanner_xml : "");
    flowsum_release(r);
    return x;
}

static char *release_new(struct h *h, struct flow *f)
{
    struct flow_summary r;
    rec_init(&r);
    return release(h, f, &r);
}

static char want_buf[4096];

static const char *result(const char *function, const char *attrs, const char *text)
{
    snprintf(want_buf, sizeof want_buf,
             "<tcpflow:result xmlns:tcpflow=\"http://afflib.org/tcpflow/\" scanner=\"python\" path=\"%s\" "
             "module=\"tplug\" function=\"%s\"%s>%s</tcpflow:result>\n", dir, function, attrs, text);
    return want_buf;
}

static void xml_is(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

/* ---- tests ---- */

static void test_in_order(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "hx");
    struct flow f = { 0 };
    data(&h, &f, 0, "abc");
    data(&h, &f, 3, "de");
    xml_is(release_new(&h, &f), result("hx", "", "str 6162636465"));
    assert_int_equal(h_finish(&h), 0);
    h_free(&h);
}

static void test_holes_and_order(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "hx");
    struct flow f = { 0 };
    data(&h, &f, 4, "ef");
    data(&h, &f, 0, "a");
    data(&h, &f, 8000, "z");            /* past the first 4096 bytes of room */
    char *x = release_new(&h, &f);
    char want[16100] = "str 6100000065660000";
    for (int i = 8; i < 8000; i++) strcat(want, "00");
    strcat(want, "7a");
    assert_non_null(strstr(x, want));
    assert_int_equal(strlen(strstr(x, "str ")), strlen(want) + strlen("</tcpflow:result>\n"));
    free(x);
    h_free(&h);
}

static void test_prepend(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "hx");
    struct flow f = { 0 };
    data(&h, &f, 0, "cd");
    assert_int_equal(h.c.ops->prepend(&h.c, &f, 2), 0);
    data(&h, &f, 0, "ab");
    xml_is(release_new(&h, &f), result("hx", "", "str 61626364"));
    h_free(&h);
}

static void test_bytes_and_memoryview(void **st)
{
    (void)st;
    const char *kinds[] = { "bytes", "memoryview" };
    for (int i = 0; i < 2; i++) {
        struct h h;
        h_init(&h, "hx");
        h_set(&h, "py_arg", kinds[i]);
        assert_true(h_create(&h));
        struct flow f = { 0 };
        data_n(&h, &f, 0, "\xff\x00z", 3);
        char text[64];
        snprintf(text, sizeof text, "%s ff007a", kinds[i]);
        xml_is(release_new(&h, &f), result("hx", "", text));
        struct flow g = { 0 };                  /* a flow without bytes */
        snprintf(text, sizeof text, "%s ", kinds[i]);
        xml_is(release_new(&h, &g), result("hx", "", text));
        h_free(&h);
    }
}

/* -b: the bytes a file would hold, silently; py_max_bytes (no -b): counted
 * and said; py_memcap across flows: counted and said. */
static void test_bounds(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "hx");
    h_free(&h);
    h_init(&h, "hx");
    h.env.max_bytes = 3;
    assert_true(h_create(&h));
    struct flow f = { 0 };
    data(&h, &f, 0, "abcdef");
    xml_is(release_new(&h, &f), result("hx", "", "str 616263"));
    assert_int_equal(h.ctr.n[C_PY_NOT_KEPT], 0);
    h_free(&h);

    h_init(&h, "hx");
    h_set(&h, "py_max_bytes", "4");
    assert_true(h_create(&h));
    struct flow g = { 0 };
    data(&h, &g, 0, "abcdef");
    data(&h, &g, 10, "xy");
    xml_is(release_new(&h, &g), result("hx", " truncated=\"4\"", "str 61626364"));
    assert_int_equal(h.ctr.n[C_PY_NOT_KEPT], 4);
    h_free(&h);

    h_init(&h, "meta");
    h_set(&h, "py_memcap", "5000");
    assert_true(h_create(&h));
    struct flow a = { 0 }, b = { 0 };
    static char big[4097];
    memset(big, 'q', 4096);
    data(&h, &a, 0, big);               /* 4096 of room taken */
    data(&h, &b, 0, big);               /* 904 left */
    free(release_new(&h, &a));
    char *x = release_new(&h, &b);
    assert_non_null(strstr(x, " truncated=\"3192\">10.0.0.1 1234 10.0.0.2 80 4 None fin None 3192 "));
    free(x);
    assert_int_equal(h.ctr.n[C_PY_NOT_KEPT], 3192);
    struct flow c = { 0 };              /* the memory came back */
    data(&h, &c, 0, big);
    x = release_new(&h, &c);
    assert_non_null(strstr(x, ">10.0.0.1 1234 10.0.0.2 80 4 None fin None 0 2001-09-09T01:46:40.000005Z<"));
    free(x);
    h_free(&h);
}

/* A closed flow gives back the room it does not use. */
static void test_close_shrinks(void **st)
{
    (void)st;
    struct h h;
    h_init(&h, "hx");
    h_set(&h, "py_memcap", "1000");
    assert_true(h_create(&h));
    struct flow a = { 0 }, b = { 0 };
    static char s300[301], s700[701];
    memset(s300, 'a', 300);
    memset(s700, 'b', 700);
    data(&h, &a, 0, s300);              /* 512 of room */
    h.c.ops->close(&h.c, &a, false);    /* 300 */
    data(&h, &b, 0, s700);              /* 700 fit */
    char *x = release_new(&h, &b);
    assert_null(strstr(x, "truncated"));
    assert_int_equal(strlen(strstr(x, "str ")), 4 + 1400 + strlen("</tcpflow:result>\n"));
    free(x);
    data(&h, &a, 300, "c");             /* late data after the close */
    x = release_new(&h, &a);
    assert_non_null(strstr(x, "616161" "63</tcpflow:result>"));
    free(x);
    assert_int_equal(h.ctr.n[C_PY_NOT_KEPT], 0);
    h_free(&h);
}

static void test_metadata(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "meta");
    struct flow f = { 0 };
    struct flow_summary r;
    rec_init(&r);
    r.family = 6;
    memset(r.src, 0, 16);
    memset(r.dst, 0, 16);
    r.src[0] = 0xfd, r.src[15] = 1;
    r.dst[0] = 0xfd, r.dst[15] = 2;
    r.has_vlan = true;
    r.vlan = 7;
    r.end = FLOW_END_RST;
    r.filename = xstrdup("some/file");      /* files off: not read, only named */
    xml_is(release(&h, &f, &r),
           result("meta", "", "fd00::1 1234 fd00::2 80 6 7 rst some/file 0 2001-09-09T01:46:40.000005Z"));
    h_free(&h);
}

static void test_exception(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "boom");
    struct flow f = { 0 }, g = { 0 }, k = { 0 };
    data(&h, &f, 0, "xa");
    data(&h, &g, 0, "ok");
    data(&h, &k, 0, "xb");
    char want[1024];
    snprintf(want, sizeof want, "<tcpflow:error xmlns:tcpflow=\"http://afflib.org/tcpflow/\" scanner=\"python\" "
             "path=\"%s\" module=\"tplug\" function=\"boom\" exception=\"KeyError\">KeyError: 'bad &lt;key&gt;'"
             "</tcpflow:error>\n", dir);
    xml_is(release_new(&h, &f), want);
    xml_is(release_new(&h, &g), "");    /* None: nothing */
    xml_is(release_new(&h, &k), want);
    assert_int_equal(h.ctr.n[C_PY_EXCEPTIONS], 2);
    assert_int_equal(h_finish(&h), -1);
    h_free(&h);
}

/* sys.exit() in the function is an exception like any other. */
static void test_system_exit(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "exits");
    struct flow f = { 0 };
    char *x = release_new(&h, &f);
    assert_non_null(strstr(x, "exception=\"SystemExit\">SystemExit: 3</tcpflow:error>"));
    free(x);
    assert_int_equal(h_finish(&h), -1);
    h_free(&h);
}

static void test_escaping_and_types(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "weird");
    struct flow f = { 0 };
    xml_is(release_new(&h, &f),
           result("weird", " escaped=\"1\"", "a&amp;b&lt;c&gt;\"\\x01\\\\&#13;\n\\xed\\xa0\\x80\xc3\xa9"));
    h_free(&h);

    h_start(&h, "num");
    xml_is(release_new(&h, &f), result("num", "", "42"));
    assert_int_equal(h.ctr.n[C_PY_CONVERTED], 1);
    assert_int_equal(h_finish(&h), 0);
    h_free(&h);

    h_start(&h, "empty");
    xml_is(release_new(&h, &f), result("empty", "", ""));
    h_free(&h);
}

static void write_file(const char *name, const char *s)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(s, fp);
    fclose(fp);
}

static char *file_rec(struct h *h, const char *name)
{
    struct flow f = { 0 };
    struct flow_summary r;
    rec_init(&r);
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    r.filename = xstrdup(p);
    return release(h, &f, &r);
}

static void test_files(void **st)
{
    (void)st;
    write_file("f1", "hello");
    write_file("f0", "");
    const char *kinds[] = { "str", "bytes", "memoryview" };
    for (int i = 0; i < 3; i++) {
        struct h h;
        h_init(&h, "hx");
        h_set(&h, "py_arg", kinds[i]);
        h.env.files = true;
        assert_true(h_create(&h));
        struct flow f = { 0 };
        data(&h, &f, 0, "ignored: the file is read");
        assert_null(f.slot[0]);                 /* nothing kept in memory */
        char text[64];
        snprintf(text, sizeof text, "%s 68656c6c6f", kinds[i]);
        xml_is(file_rec(&h, "f1"), result("hx", "", text));
        snprintf(text, sizeof text, "%s ", kinds[i]);
        xml_is(file_rec(&h, "f0"), result("hx", "", text));
        char *x = file_rec(&h, "missing");
        assert_non_null(strstr(x, "<tcpflow:error "));
        assert_non_null(strstr(x, ">cannot read the flow file: No such file or directory</tcpflow:error>"));
        free(x);
        assert_int_equal(h.ctr.n[C_PY_UNREADABLE], 1);
        assert_int_equal(h_finish(&h), -1);
        h_free(&h);
    }
}

/* Files over 1 MiB are mapped (smaller ones read): the same bytes. */
static void test_big_file_mapped(void **st)
{
    (void)st;
    char p[256];
    snprintf(p, sizeof p, "%s/big", dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    for (int i = 0; i < (3 << 19); i++) fputc("0123456789abcdef"[(i * 7 + i / 4096) & 15], fp);
    fclose(fp);
    const char *kinds[] = { "str", "bytes", "memoryview" };
    char *first = NULL;
    for (int i = 0; i < 3; i++) {
        struct h h;
        h_init(&h, "hx");
        h_set(&h, "py_arg", kinds[i]);
        h.env.files = true;
        assert_true(h_create(&h));
        char *x = file_rec(&h, "big");
        char *t = strchr(strstr(x, "function=\"hx\">"), ' ');
        assert_non_null(t);
        assert_int_equal(strlen(t), 1 + (3 << 20) + strlen("</tcpflow:result>\n"));
        if (!first) first = xstrdup(t);
        else assert_string_equal(t, first);
        free(x);
        h_free(&h);
    }
    assert_memory_equal(first, " 303765", 7);  /* "07e": (i * 7) & 15 */
    free(first);
    unlink(p);
}

/* A memoryview the function keeps stays readable after the call (the
 * mapping lives while Python holds it). */
static void test_kept_memoryview(void **st)
{
    (void)st;
    write_file("k1", "one");
    write_file("k2", "two");
    struct h h;
    h_init(&h, "keep");
    h_set(&h, "py_arg", "memoryview");
    h.env.files = true;
    assert_true(h_create(&h));
    xml_is(file_rec(&h, "k1"), result("keep", "", "one"));
    xml_is(file_rec(&h, "k2"), result("keep", "", "one two"));
    h_free(&h);
}

static void *release_thread(void *arg)
{
    struct h *h = arg;
    struct flow f = { 0 };
    return release_new(h, &f);
}

/* Calls from another thread take the GIL themselves. */
static void test_thread(void **st)
{
    (void)st;
    struct h h;
    h_start(&h, "tid");
    struct flow f = { 0 };
    char *here = release_new(&h, &f);
    pthread_t t;
    void *there;
    assert_int_equal(pthread_create(&t, NULL, release_thread, &h), 0);
    assert_int_equal(pthread_join(t, &there), 0);
    assert_non_null(strstr(there, "</tcpflow:result>"));
    assert_string_not_equal(here, there);       /* another thread's id */
    free(here);
    free(there);
    h_free(&h);
}

/* No Python object leaks per call (argument, metadata, result, exception):
 * the interpreter's count of allocated blocks after 100 and 400 calls. */
static void test_no_object_leak(void **st)
{
    (void)st;
    write_file("lk", "some bytes of a flow file");
    const char *kinds[] = { "str", "bytes", "memoryview" };
    for (int k = 0; k < 3; k++) {
        struct h h;
        h_init(&h, "leakcheck");
        h_set(&h, "py_arg", kinds[k]);
        h.env.files = k == 2;
        assert_true(h_create(&h));
        for (int i = 0; i < 400; i++) {
            if (k == 2) {
                free(file_rec(&h, "lk"));
            } else {
                struct flow f = { 0 };
                data(&h, &f, 0, "some bytes in memory");
                free(release_new(&h, &f));
            }
        }
        struct flow f = { 0 };
        h.env.files = false;
        data(&h, &f, 0, "REPORT");
        char *x = release_new(&h, &f);
        long a = 0, b = 0;
        char *t = strstr(x, "\">");
        assert_non_null(t);
        assert_int_equal(sscanf(t + 2, "%ld %ld", &a, &b), 2);
        if (b - a > 20) fail_msg("%s: %ld blocks after 100 calls, %ld after 400", kinds[k], a, b);
        free(x);
        h_free(&h);
    }
}

struct worker {
    struct h *h;
    int n;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        struct flow f = { 0 };
        data(w->h, &f, 0, i % 2 ? "x, raises" : "ok");
        free(release_new(w->h, &f));
    }
    return NULL;
}

/* -j: one instance per worker, one interpreter: calls at the same time
 * from two threads, py_memcap shared, one traceback, and the counts said
 * once, by the last instance to finish. */
static void test_instances(void **st)
{
    (void)st;
    struct h a, b, c;
    h_init(&a, "boom");
    h_set(&a, "py_memcap", "1000");
    assert_true(h_create(&a));
    live = NULL;                        /* b must not end a */
    h_init(&b, "boom");
    h_set(&b, "py_memcap", "1000");
    assert_true(h_create(&b));
    h_init(&c, "hx");                   /* another function: refused while a and b run */
    c.self = c.sc->create(&c.env, c.err, sizeof c.err);
    assert_null(c.self);
    assert_non_null(strstr(c.err, "python: the interpreter already runs tplug.boom"));

    struct flow fa = { 0 }, fb = { 0 };
    static char s300[301], s600[601];
    memset(s300, 'a', 300);
    memset(s600, 'a', 600);
    data(&a, &fa, 0, s300);             /* 512 of room */
    data(&b, &fb, 0, s600);             /* 488 of the shared 1000 left */
    assert_int_equal(b.ctr.n[C_PY_NOT_KEPT], 112);
    free(release_new(&a, &fa));
    free(release_new(&b, &fb));

    struct worker wa = { &a, 300 }, wb = { &b, 300 };
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, worker_run, &wa), 0);
    assert_int_equal(pthread_create(&tb, NULL, worker_run, &wb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.ctr.n[C_PY_EXCEPTIONS], 150);
    assert_int_equal(b.ctr.n[C_PY_EXCEPTIONS], 150);
    struct scan_end end = { "x.pcap", NULL };
    char err[512] = "";
    assert_int_equal(a.sc->finish(a.self, &end, err, sizeof err), 0);     /* not the last */
    assert_string_equal(err, "");
    assert_int_equal(b.sc->finish(b.self, &end, err, sizeof err), -1);
    assert_string_equal(err, "python: tplug.boom raised an exception on 300 of 602 flow(s)");
    a.sc->destroy(a.self);
    b.sc->destroy(b.self);
    live = NULL;
    struct h d;                         /* and a new run starts afresh */
    h_start(&d, "boom");
    struct flow f = { 0 };
    data(&d, &f, 0, "x");
    free(release_new(&d, &f));
    assert_int_equal(d.sc->finish(d.self, &end, err, sizeof err), -1);
    assert_string_equal(err, "python: tplug.boom raised an exception on 1 of 1 flow(s)");
    h_free(&d);
}

static void create_fails(const char *what, const char *name, const char *value, const char *message)
{
    struct h h;
    h_init(&h, "hx");
    if (name) h_set(&h, name, value);
    assert_false(h_create(&h));
    if (!strstr(h.err, message)) fail_msg("%s: '%s' lacks '%s'", what, h.err, message);
}

static void test_create_errors(void **st)
{
    (void)st;
    char nodir[128], file[128];
    snprintf(nodir, sizeof nodir, "%s/nope", dir);
    snprintf(file, sizeof file, "%s/tplug.py", dir);
    create_fails("module", "py_module", "nosuchmodule",
                 "python: cannot import module 'nosuchmodule' from py_path");
    create_fails("module", "py_module", "nosuchmodule", "ModuleNotFoundError: No module named 'nosuchmodule'");
    create_fails("function", "py_function", "nosuchfn", "python: module 'tplug' has no function 'nosuchfn'");
    create_fails("not callable", "py_function", "notfn", "python: 'tplug.notfn' is not a function");
    create_fails("no parameter", "py_function", "noparam", "python: 'tplug.noparam' takes no parameter");
    create_fails("path", "py_path", nodir, "does not exist");
    create_fails("path", "py_path", file, "is not a directory");
    create_fails("module empty", "py_module", "", "needs -S py_module=NAME and -S py_function=NAME");
    create_fails("arg", "py_arg", "text", "py_arg must be str, bytes or memoryview");
    create_fails("max", "py_max_bytes", "0", "py_max_bytes and py_memcap");
    create_fails("memcap", "py_memcap", "lots", "py_max_bytes and py_memcap");
    write_file("broken.py", "def f(:\n");
    create_fails("syntax", "py_module", "broken", "SyntaxError");
    /* and it still starts after all that */
    struct h h;
    h_start(&h, "hx");
    h_free(&h);
}

static void test_settings_listed(void **st)
{
    (void)st;
    const struct scanner *sc = scanner_find("python");
    const char *names[] = { "py_path", "py_module", "py_function", "py_arg", "py_max_bytes", "py_memcap" };
    for (size_t i = 0; i < 6; i++)
        assert_ptr_equal(scanner_for_setting(names[i]), sc);
    assert_int_equal(sc->flags & (SCAN_IN_ALL | SCAN_ON_BY_DEFAULT | SCAN_NEEDS_FILES), 0);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/test_python.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    write_file("tplug.py", PLUGIN);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    const char *names[] = { "tplug.py", "broken.py", "f1", "f0", "k1", "k2", "lk" };
    char p[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_holes_and_order),
        cmocka_unit_test(test_prepend),
        cmocka_unit_test(test_bytes_and_memoryview),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_close_shrinks),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_exception),
        cmocka_unit_test(test_system_exit),
        cmocka_unit_test(test_escaping_and_types),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_big_file_mapped),
        cmocka_unit_test(test_kept_memoryview),
        cmocka_unit_test(test_thread),
        cmocka_unit_test(test_no_object_leak),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_settings_listed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
