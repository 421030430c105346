/* test_sink_file.c - flow files, in a mkdtemp directory: exact bytes for
 * in-order, reordered and sparse writes, -b trimming, the connection
 * counter (O_EXCL: never overwrite a file, never follow a symlink), late
 * data after close, descriptor and buffer limits (max_fds=1, tiny memcap)
 * with interleaved flows, -I index files, file times, prepend, and the -FM
 * in-order digests (checked against OpenSSL EVP).
 *
 * test_regr_* are regressions: each failed on a bug this file found, since fixed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "flow/naming.h"
#include "output/sink_file.h"
#include "scan/scanner.h"

/* ---- harness ---- */

#define NAME "010.000.000.001.01234-010.000.000.002.00080"
#define T0 (1000000000LL * 1000000)          /* 2001-09-09T01:46:40Z */

struct h {
    char dir[64];
    struct counters ctr;
    struct sink_file_config cfg;
    struct sink_file *s;
    /* -FM: the md5 scanner beside the sink, fed the same bytes */
    bool digest;
    struct scan_env env;
    struct counters sctr;
    void *md5;
    struct flow_consumer mc;
};

static void h_init(struct h *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->dir, sizeof h->dir, "/tmp/test_sink_file.XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    h->cfg.outdir = h->dir;
    h->cfg.tmpl = NAMING_DEFAULT_TEMPLATE;
    h->cfg.max_bytes = UINT64_MAX;
    h->cfg.max_fds = 64;
    h->cfg.max_buffered = 64u << 20;
    h->cfg.alert_fd = -1;
}

extern const struct scanner scan_md5;

static void h_start(struct h *h)
{
    h->s = sink_file_new(&h->cfg);
    assert_non_null(h->s);
    if (h->digest && !h->md5) {
        h->env.outdir = h->dir;
        h->env.ctr = &h->sctr;
        char err[64];
        h->md5 = scan_md5.create(&h->env, err, sizeof err);
        assert_non_null(h->md5);
        h->mc.ops = scan_md5.flow;
        h->mc.self = h->md5;
        h->mc.slot = 1;                     /* the sink has slot 0 */
    }
    h->env.max_bytes = h->cfg.max_bytes;
}

static int rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb; (void)type; (void)ftw;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void h_done(struct h *h)
{
    if (h->md5) scan_md5.destroy(h->md5);
    sink_file_free(h->s);
    rm_rf(h->dir);
}

static char *path_of(const struct h *h, const char *name)
{
    static char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", h->dir, name);
    return p;
}

/* Flow 10.0.0.1:sport -> 10.0.0.2:80. */
static struct flow *mkflow(uint16_t sport)
{
    struct flow *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->key.family = 4;
    f->key.src[0] = 10; f->key.src[3] = 1;
    f->key.dst[0] = 10; f->key.dst[3] = 2;
    f->key.sport = sport;
    f->key.dport = 80;
    f->state = FLOW_OPEN;
    f->first_us = T0;
    return f;
}

static void fin(struct h *h, struct flow *f)
{
    assert_int_equal(sink_file_close(h->s, f), 0);
    sink_file_release(h->s, f, NULL);
    assert_null(sink_file_path(h->s, f));
    assert_int_equal(sink_file_fd(h->s, f), -1);
    free(f);
}

static void wr(struct h *h, struct flow *f, uint64_t off, const void *p, size_t n)
{
    assert_int_equal(sink_file_write(h->s, f, off, p, n, T0 + 1), 0);
    if (h->md5) h->mc.ops->data(&h->mc, f, off, p, n, T0 + 1);
}

static void ws(struct h *h, struct flow *f, uint64_t off, const char *s)
{
    wr(h, f, off, s, strlen(s));
}

static uint8_t *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        fail();
    }
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    uint8_t *b = malloc((size_t)sb.st_size + 1);
    assert_non_null(b);
    assert_int_equal(pread(fd, b, (size_t)sb.st_size, 0), sb.st_size);
    b[sb.st_size] = 0;
    close(fd);
    *len = (size_t)sb.st_size;
    return b;
}

/* The file dir/name holds exactly n bytes want. */
static void file_is(const struct h *h, const char *name, const void *want, size_t n)
{
    size_t len;
    uint8_t *b = slurp(path_of(h, name), &len);
    if (len != n || memcmp(b, want, n) != 0) {
        size_t i = 0;
        while (i < len && i < n && b[i] == ((const uint8_t *)want)[i]) i++;
        fprintf(stderr, "%s: %zu bytes, want %zu; first difference at %zu\n", name, len, n, i);
        fail();
    }
    free(b);
}

static void file_str(const struct h *h, const char *name, const char *want)
{
    file_is(h, name, want, strlen(want));
}

static bool exists(const struct h *h, const char *name)
{
    struct stat sb;
    return lstat(path_of(h, name), &sb) == 0;
}

/* Names of the directory's entries, sorted, joined with ' '. */
static char *listing(const char *dir)
{
    static char out[4096];
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "cd '%s' && LC_ALL=C ls -A | tr '\\n' ' '", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

/* Deterministic pseudo-random bytes. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13; *x ^= *x >> 17; *x ^= *x << 5;
    return *x;
}

/* ---- writing ---- */

static void test_in_order(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "hello ");
    /* the file exists from the first byte (the name is taken then) */
    assert_true(exists(&h, NAME));
    assert_string_equal(sink_file_path(h.s, f), path_of(&h, NAME));
    assert_int_equal(sink_file_counter(h.s, f), 0);
    ws(&h, f, 6, "world");
    ws(&h, f, 11, "");                /* nothing */
    ws(&h, f, 11, "!");
    assert_int_equal(sink_file_close(h.s, f), 0);
    file_str(&h, NAME, "hello world!");
    assert_int_equal(sink_file_stored(h.s, f), 12);
    assert_int_equal(sink_file_open_fds(h.s), 0);
    assert_int_equal(sink_file_failures(h.s), 0);
    assert_null(sink_file_error(h.s));
    sink_file_release(h.s, f, NULL);
    free(f);
    assert_string_equal(listing(h.dir), NAME " ");
    assert_int_equal(sink_file_counters(h.s)->n[C_OUT_WRITE_ERRORS], 0);
    h_done(&h);
}

static void test_reordered_and_overwrite(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *a = mkflow(1), *b = mkflow(2), *c = mkflow(3);
    ws(&h, a, 3, "DEF");
    ws(&h, a, 0, "ABC");
    ws(&h, a, 9, "JKL");
    ws(&h, a, 6, "GHI");
    ws(&h, b, 0, "AAAA");
    ws(&h, b, 1, "BB");               /* a rewrite lands at its offset */
    ws(&h, c, 0, "xxxxxxxx");
    ws(&h, c, 2, "yy");
    ws(&h, c, 6, "zzzz");             /* overlaps the end and extends it */
    fin(&h, a);
    fin(&h, b);
    fin(&h, c);
    file_str(&h, "010.000.000.001.00001-010.000.000.002.00080", "ABCDEFGHIJKL");
    file_str(&h, "010.000.000.001.00002-010.000.000.002.00080", "ABBA");
    file_str(&h, "010.000.000.001.00003-010.000.000.002.00080", "xxyyxxzzzz");
    h_done(&h);
}

static void test_sparse_holes(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "abc");
    ws(&h, f, 10, "xyz");
    fin(&h, f);
    file_is(&h, NAME, "abc\0\0\0\0\0\0\0xyz", 13);

    /* data only far out: the file is that long, zeros before, and sparse */
    f = mkflow(5);
    wr(&h, f, 8u << 20, "Z", 1);
    fin(&h, f);
    const char *n5 = "010.000.000.001.00005-010.000.000.002.00080";
    size_t len;
    uint8_t *b = slurp(path_of(&h, n5), &len);
    assert_int_equal(len, (8u << 20) + 1);
    for (size_t i = 0; i < (8u << 20); i++)
        if (b[i]) fail_msg("byte %zu is %u", i, b[i]);
    assert_int_equal(b[8u << 20], 'Z');
    free(b);
    struct stat sb;
    assert_int_equal(stat(path_of(&h, n5), &sb), 0);
    assert_true((uint64_t)sb.st_blocks * 512 < (1u << 20));

    /* a hole filled later */
    f = mkflow(6);
    ws(&h, f, 5, "56789");
    ws(&h, f, 15, "F");
    ws(&h, f, 0, "01234");
    fin(&h, f);
    file_is(&h, "010.000.000.001.00006-010.000.000.002.00080", "0123456789\0\0\0\0\0F", 16);
    h_done(&h);
}

/* Writes of every size, around the 4 KiB start and 128 KiB maximum of the
 * write buffer and the direct-write path. */
static void test_large_and_mixed_sizes(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    enum { N = 1200000 };
    uint8_t *data = malloc(N);
    assert_non_null(data);
    fill(data, N, 7);
    static const size_t sizes[] = { 1, 4095, 1, 4096, 131071, 1, 131072, 131073, 200000, 3,
                                    65536, 65536, 12, 300000 };
    struct flow *f = mkflow(1234);
    size_t off = 0;
    for (size_t i = 0; off < N; i++) {
        size_t n = sizes[i % (sizeof sizes / sizeof sizes[0])];
        if (n > N - off) n = N - off;
        wr(&h, f, off, data + off, n);
        off += n;
    }
    fin(&h, f);
    file_is(&h, NAME, data, N);
    free(data);
    h_done(&h);
}

/* ---- -b ---- */

static void test_max_bytes(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_bytes = 5;
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "hel");
    ws(&h, f, 3, "lo world");             /* 2 kept, 6 over */
    assert_int_equal(sink_file_counters(h.s)->n[C_TCP_BYTES_OVER_B], 6);
    ws(&h, f, 5, "more");                 /* all over */
    ws(&h, f, 100, "far");
    assert_int_equal(sink_file_counters(h.s)->n[C_TCP_BYTES_OVER_B], 13);
    ws(&h, f, 1, "EL");                   /* a rewrite inside the limit */
    fin(&h, f);
    file_str(&h, NAME, "hELlo");

    /* a first write straddling the limit */
    f = mkflow(2);
    ws(&h, f, 3, "abcdef");
    fin(&h, f);
    file_is(&h, "010.000.000.001.00002-010.000.000.002.00080", "\0\0\0ab", 5);
    assert_int_equal(sink_file_counters(h.s)->n[C_TCP_BYTES_OVER_B], 17);

    /* a large write straddling the limit */
    f = mkflow(3);
    uint8_t big[200000];
    fill(big, sizeof big, 3);
    wr(&h, f, 0, big, sizeof big);
    fin(&h, f);
    file_is(&h, "010.000.000.001.00003-010.000.000.002.00080", big, 5);
    h_done(&h);
}

static void test_max_bytes_zero(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_bytes = 0;
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "hello");
    ws(&h, f, 5, "world");
    assert_int_equal(sink_file_counters(h.s)->n[C_TCP_BYTES_OVER_B], 10);
    fin(&h, f);
    /* -b 0 still creates the (empty) file */
    file_str(&h, NAME, "");
    /* a second flow with the same name gets c1 */
    f = mkflow(1234);
    ws(&h, f, 0, "x");
    fin(&h, f);
    file_str(&h, NAME "c1", "");
    assert_string_equal(listing(h.dir), NAME " " NAME "c1 ");
    h_done(&h);
}

/* ---- names and the connection counter ---- */

static void test_counter_collision(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f[4];
    for (int i = 0; i < 4; i++) f[i] = mkflow(1234);
    /* counters go to the flows in the order their data starts */
    ws(&h, f[2], 0, "two");
    ws(&h, f[0], 0, "zero");
    ws(&h, f[2], 3, "-more");
    ws(&h, f[3], 0, "three");
    ws(&h, f[1], 0, "one");
    assert_int_equal(sink_file_counter(h.s, f[2]), 0);
    assert_int_equal(sink_file_counter(h.s, f[0]), 1);
    assert_int_equal(sink_file_counter(h.s, f[3]), 2);
    assert_int_equal(sink_file_counter(h.s, f[1]), 3);
    for (int i = 0; i < 4; i++) fin(&h, f[i]);
    file_str(&h, NAME, "two-more");
    file_str(&h, NAME "c1", "zero");
    file_str(&h, NAME "c2", "three");
    file_str(&h, NAME "c3", "one");
    assert_string_equal(listing(h.dir), NAME " " NAME "c1 " NAME "c2 " NAME "c3 ");
    h_done(&h);
}

/* -S tcp_alert_fd: one "open<TAB>path" line when each file is created,
 * none when it is reopened after its descriptor was taken back. */
static void test_alert_fd_open_lines(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    h.cfg.alert_fd = pfd[1];
    h.cfg.max_fds = 1;
    h_start(&h);
    struct flow *a = mkflow(1234), *b = mkflow(1234);
    ws(&h, a, 0, "a");
    ws(&h, b, 0, "b");                          /* a gives its descriptor to b */
    ws(&h, a, 1, "a2");                         /* a reopened: no second line */
    fin(&h, a);
    fin(&h, b);
    close(pfd[1]);
    char buf[4096];
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    assert_true(n > 0);
    buf[n] = 0;
    char want[4096];
    snprintf(want, sizeof want, "open\t%s/%s\nopen\t%s/%sc1\n", h.dir, NAME, h.dir, NAME);
    assert_string_equal(buf, want);
    h_done(&h);
}

static void test_counter_fc_template(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.tmpl = "x.c%#";                 /* -Fc style: c0, c1, ... */
    h_start(&h);
    struct flow *a = mkflow(1), *b = mkflow(2);
    ws(&h, a, 0, "A");
    ws(&h, b, 0, "B");
    fin(&h, a);
    fin(&h, b);
    file_str(&h, "x.c0", "A");
    file_str(&h, "x.c1", "B");
    h_done(&h);
}

/* Whatever is already there under a name - file, symlink (to a file, to a
 * directory, dangling), directory, fifo - is never written, truncated or
 * followed: the next counter is taken. */
static void test_never_overwrites(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    char outside[64];
    snprintf(outside, sizeof outside, "/tmp/test_sink_file_out.XXXXXX");
    assert_non_null(mkdtemp(outside));
    char target[128], missing[128];
    snprintf(target, sizeof target, "%s/target", outside);
    snprintf(missing, sizeof missing, "%s/missing", outside);
    FILE *fp = fopen(target, "w");
    assert_non_null(fp);
    fputs("TARGET", fp);
    fclose(fp);
    fp = fopen(path_of(&h, NAME), "w");
    assert_non_null(fp);
    fputs("OLD", fp);
    fclose(fp);
    assert_int_equal(symlink(target, path_of(&h, NAME "c1")), 0);
    assert_int_equal(symlink(missing, path_of(&h, NAME "c2")), 0);
    assert_int_equal(mkdir(path_of(&h, NAME "c3"), 0777), 0);
    assert_int_equal(symlink(outside, path_of(&h, NAME "c4")), 0);
    assert_int_equal(mkfifo(path_of(&h, NAME "c5"), 0666), 0);

    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "NEW");
    assert_int_equal(sink_file_counter(h.s, f), 6);
    fin(&h, f);
    file_str(&h, NAME "c6", "NEW");
    file_str(&h, NAME, "OLD");
    size_t len;
    uint8_t *b = slurp(target, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(b, "TARGET", 6);
    free(b);
    struct stat sb;
    assert_int_equal(lstat(missing, &sb), -1);        /* the dangling link was not followed */
    assert_int_equal(lstat(path_of(&h, NAME "c1"), &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    assert_string_equal(listing(outside), "target ");
    assert_int_equal(sink_file_failures(h.s), 0);
    h_done(&h);
    rm_rf(outside);
}

/* A second sink (a second run) into the same directory gets c1 names. */
static void test_second_run(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "run1");
    fin(&h, f);
    sink_file_free(h.s);
    h_start(&h);
    f = mkflow(1234);
    ws(&h, f, 0, "run2");
    fin(&h, f);
    file_str(&h, NAME, "run1");
    file_str(&h, NAME "c1", "run2");
    h_done(&h);
}

/* After close the path is kept: late data reopens the same file. */
static void test_late_data_after_close(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "abc");
    assert_int_equal(sink_file_close(h.s, f), 0);
    assert_int_equal(sink_file_fd(h.s, f), -1);
    assert_non_null(sink_file_path(h.s, f));
    ws(&h, f, 3, "def");
    ws(&h, f, 1, "B");
    assert_int_equal(sink_file_close(h.s, f), 0);
    sink_file_release(h.s, f, NULL);
    free(f);
    file_str(&h, NAME, "aBcdef");
    assert_false(exists(&h, NAME "c1"));
    h_done(&h);
}

static void test_template_directories(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.tmpl = "%A/%a/%B/%b/%N.flow%C%c";
    h_start(&h);
    struct flow *a = mkflow(1234), *b = mkflow(1234), *c = mkflow(999);
    a->flow_id = 1;
    b->flow_id = 1;
    c->flow_id = 2;
    ws(&h, a, 0, "a");
    ws(&h, b, 0, "b");
    ws(&h, c, 0, "c");
    fin(&h, a);
    fin(&h, b);
    fin(&h, c);
    file_str(&h, "010.000.000.001/01234/010.000.000.002/00080/001.flow", "a");
    file_str(&h, "010.000.000.001/01234/010.000.000.002/00080/001.flowc1", "b");
    file_str(&h, "010.000.000.001/00999/010.000.000.002/00080/002.flow", "c");
    struct stat sb;
    assert_int_equal(stat(path_of(&h, "010.000.000.001/00999"), &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    h_done(&h);
}

/* A symlink planted where the template puts a directory is not followed:
 * the flow fails (reported once), nothing is written through the link, the
 * run goes on. */
static void test_symlinked_directory_not_followed(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    char outside[64];
    snprintf(outside, sizeof outside, "/tmp/test_sink_file_out.XXXXXX");
    assert_non_null(mkdtemp(outside));
    assert_int_equal(symlink(outside, path_of(&h, "010.000.000.001")), 0);
    h.cfg.tmpl = "%A/%a%C%c";
    h_start(&h);
    struct flow *f = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"data", 4, T0), 0);
    assert_int_equal(sink_file_write(h.s, f, 4, (const uint8_t *)"more", 4, T0), 0);
    assert_true(sink_file_failed(h.s, f));
    assert_int_equal(sink_file_failures(h.s), 1);
    assert_null(sink_file_error(h.s));                   /* not fatal */
    assert_true(sink_file_counters(h.s)->n[C_OUT_WRITE_ERRORS] >= 2);
    assert_string_equal(listing(outside), "");
    /* another flow, another directory: fine */
    struct flow *g = mkflow(1234);
    g->key.src[3] = 9;
    ws(&h, g, 0, "ok");
    fin(&h, f);
    fin(&h, g);
    file_str(&h, "010.000.000.009/01234", "ok");
    assert_int_equal(sink_file_failures(h.s), 1);
    h_done(&h);
    rm_rf(outside);
}

static void test_name_too_long(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    char tmpl[400];
    memset(tmpl, 'n', 300);
    strcpy(tmpl + 300, "%a%C%c");
    h.cfg.tmpl = tmpl;
    h_start(&h);
    struct flow *f = mkflow(1234), *g = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"abc", 3, T0), 0);
    assert_true(sink_file_failed(h.s, f));
    assert_null(sink_file_path(h.s, f));
    assert_int_equal(sink_file_failures(h.s), 1);
    assert_null(sink_file_error(h.s));
    assert_int_equal(sink_file_write(h.s, f, 3, (const uint8_t *)"def", 3, T0), 0);
    assert_int_equal(sink_file_failures(h.s), 1);        /* reported once per flow */
    assert_int_equal(sink_file_counters(h.s)->n[C_OUT_WRITE_ERRORS], 2);
    assert_int_equal(sink_file_write(h.s, g, 0, (const uint8_t *)"x", 1, T0), 0);
    assert_int_equal(sink_file_failures(h.s), 2);
    fin(&h, f);
    fin(&h, g);
    assert_string_equal(listing(h.dir), "");
    h_done(&h);
}

/* outdir "." : names relative to the current directory. */
static void test_outdir_dot(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(h.dir), 0);
    h.cfg.outdir = ".";
    h.cfg.tmpl = "sub/%a%C%c";
    h_start(&h);
    struct flow *f = mkflow(1234), *g = mkflow(1234);
    ws(&h, f, 0, "f");
    ws(&h, g, 0, "g");
    assert_string_equal(sink_file_path(h.s, f), "sub/01234");
    assert_string_equal(sink_file_path(h.s, g), "sub/01234c1");
    fin(&h, f);
    fin(&h, g);
    sink_file_free(h.s);
    h.s = NULL;
    assert_int_equal(chdir(cwd), 0);
    file_str(&h, "sub/01234", "f");
    file_str(&h, "sub/01234c1", "g");
    h_done(&h);
}

/* ---- times ---- */

static void test_file_times(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.tdelta_us = 10 * 1000000LL;
    h_start(&h);
    struct flow *f = mkflow(1234);
    f->first_us = T0 + 500000;
    ws(&h, f, 0, "x");
    fin(&h, f);
    struct stat sb;
    assert_int_equal(stat(path_of(&h, NAME), &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, 1000000010);
    assert_int_equal(sb.st_mtim.tv_nsec, 500000000);
    assert_int_equal(sb.st_atim.tv_sec, 1000000010);

    /* also when the descriptor was given back before the close */
    h.cfg.max_fds = 1;
    sink_file_free(h.s);
    h_start(&h);
    struct flow *a = mkflow(1), *b = mkflow(2);
    a->first_us = T0;
    b->first_us = T0 + 3000000;
    ws(&h, a, 0, "a");
    ws(&h, b, 0, "b");                    /* takes a's descriptor */
    assert_int_equal(sink_file_fd(h.s, a), -1);
    fin(&h, a);
    fin(&h, b);
    assert_int_equal(stat(path_of(&h, "010.000.000.001.00001-010.000.000.002.00080"), &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, 1000000010);
    assert_int_equal(stat(path_of(&h, "010.000.000.001.00002-010.000.000.002.00080"), &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, 1000000013);
    h_done(&h);
}

/* ---- descriptor and memory limits ---- */

struct stream { uint8_t *data; size_t len, sent; struct flow *f; };

/* Flows written interleaved, in random chunk sizes (some >= 128 KiB), with
 * some chunks swapped (out of order); every file must hold exactly its
 * stream whatever the limits. */
static void interleave(struct h *h, int nflows, uint32_t seed, int check_fds)
{
    struct stream *s = calloc((size_t)nflows, sizeof *s);
    assert_non_null(s);
    uint32_t x = seed | 1;
    for (int i = 0; i < nflows; i++) {
        s[i].len = 1000 + rnd(&x) % 400000;
        s[i].data = malloc(s[i].len);
        assert_non_null(s[i].data);
        fill(s[i].data, s[i].len, seed * 100 + (uint32_t)i);
        s[i].f = mkflow((uint16_t)(100 + i));
    }
    int left = nflows;
    while (left > 0) {
        int i = (int)(rnd(&x) % (uint32_t)nflows);
        struct stream *t = &s[i];
        if (t->sent == t->len) continue;
        size_t n = rnd(&x) % 8 == 0 ? 1 + rnd(&x) % 200000 : 1 + rnd(&x) % 3000;
        if (n > t->len - t->sent) n = t->len - t->sent;
        size_t n2 = rnd(&x) % 4 == 0 ? 1 + rnd(&x) % 2000 : 0;
        if (n2 > t->len - t->sent - n) n2 = t->len - t->sent - n;
        if (n2) {   /* the next chunk first, then this one */
            wr(h, t->f, t->sent + n, t->data + t->sent + n, n2);
            wr(h, t->f, t->sent, t->data + t->sent, n);
            t->sent += n + n2;
        } else {
            wr(h, t->f, t->sent, t->data + t->sent, n);
            t->sent += n;
        }
        if (check_fds) assert_true(sink_file_open_fds(h->s) <= check_fds);
        if (t->sent == t->len) left--;
    }
    /* close in another order than created */
    for (int i = nflows - 1; i >= 0; i--)
        assert_int_equal(sink_file_close(h->s, s[i].f), 0);
    for (int i = 0; i < nflows; i++) {
        char name[128];
        snprintf(name, sizeof name, "010.000.000.001.%05d-010.000.000.002.00080", 100 + i);
        file_is(h, name, s[i].data, s[i].len);
        sink_file_release(h->s, s[i].f, NULL);
        free(s[i].f);
        free(s[i].data);
    }
    free(s);
    assert_int_equal(sink_file_failures(h->s), 0);
    assert_int_equal(sink_file_counters(h->s)->n[C_OUT_WRITE_ERRORS], 0);
}

static void test_max_fds_one(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_fds = 1;
    h_start(&h);
    interleave(&h, 12, 1, 1);
    assert_int_equal(sink_file_max_open(h.s), 1);
    assert_int_equal(sink_file_open_fds(h.s), 0);
    assert_true(sink_file_counters(h.s)->n[C_OUT_FD_EVICT] > 12);
    h_done(&h);
}

static void test_max_fds_zero_means_one(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_fds = 0;
    h_start(&h);
    interleave(&h, 4, 2, 1);
    assert_int_equal(sink_file_max_open(h.s), 1);
    h_done(&h);
}

static void test_max_fds_three_small_memcap(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_fds = 3;
    h.cfg.max_buffered = 1;               /* every buffer is written out at once */
    h_start(&h);
    interleave(&h, 10, 3, 3);
    assert_true(sink_file_max_open(h.s) >= 1 && sink_file_max_open(h.s) <= 3);
    assert_true(sink_file_counters(h.s)->n[C_OUT_FD_EVICT] > 10);
    h_done(&h);
}

static void test_memcap_only(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_buffered = 10000;
    h_start(&h);
    interleave(&h, 8, 4, 0);
    /* evicting a buffer also gives its descriptor back */
    assert_true(sink_file_max_open(h.s) <= 8);
    assert_true(sink_file_counters(h.s)->n[C_OUT_FD_EVICT] > 0);
    h_done(&h);
}

/* sink_file_free writes what is still buffered. */
static void test_free_flushes(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "pending");
    sink_file_free(h.s);
    h.s = NULL;
    file_str(&h, NAME, "pending");
    free(f);
    h_done(&h);
}

/* Default budget: RLIMIT_NOFILE - 32, half the limit at 64 or less, at
 * most 65536 (checked in a child: the limit is changed). */
static void test_default_max_fds(void **st)
{
    (void)st;
    static const struct { rlim_t lim; int want; } cases[] = {
        { 1024, 992 }, { 65, 33 }, { 64, 32 }, { 10, 5 }, { 1, 1 }, { 100000, 65536 }, { 65568, 65536 },
        { 65567, 65535 },
    };
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct rlimit rl;
            if (getrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(100);
            rl.rlim_cur = cases[i].lim;
            if (rl.rlim_max < cases[i].lim) rl.rlim_max = cases[i].lim;   /* root may raise it */
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0) continue;            /* not allowed: skip */
            if (sink_file_default_max_fds() != cases[i].want) _exit(1 + (int)i);
        }
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("case %d: wrong default budget", WEXITSTATUS(status) - 1);
}

/* ---- prepend ---- */

static void test_prepend(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "world");
    assert_int_equal(sink_file_prepend(h.s, f, 6), 0);
    ws(&h, f, 0, "hello ");
    fin(&h, f);
    file_str(&h, NAME, "hello world");

    /* more than the 1 MiB chunk, with a hole */
    f = mkflow(2);
    enum { N = 3 * 1024 * 1024 + 17 };
    uint8_t *d = malloc(N + 100);
    assert_non_null(d);
    fill(d, N + 100, 9);
    wr(&h, f, 0, d + 100, N);
    assert_int_equal(sink_file_prepend(h.s, f, 100), 0);
    wr(&h, f, 0, d, 100);
    fin(&h, f);
    file_is(&h, "010.000.000.001.00002-010.000.000.002.00080", d, N + 100);
    free(d);

    /* nothing stored yet: nothing moves */
    f = mkflow(3);
    assert_int_equal(sink_file_prepend(h.s, f, 4), 0);
    ws(&h, f, 0, "abcd");
    fin(&h, f);
    file_str(&h, "010.000.000.001.00003-010.000.000.002.00080", "abcd");
    h_done(&h);
}

static void test_prepend_max_bytes(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_bytes = 8;
    h_start(&h);
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "world");
    assert_int_equal(sink_file_prepend(h.s, f, 6), 0);
    ws(&h, f, 0, "hello ");
    fin(&h, f);
    file_str(&h, NAME, "hello wo");
    h_done(&h);
}

/* ---- -I ---- */

static char *findx_of(struct h *h, const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s.findx", name);
    size_t len;
    return (char *)slurp(path_of(h, p), &len);
}

static void test_findx_sorted_at_close(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.findx = true;
    h_start(&h);
    struct flow *f = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"AAAAA", 5, T0 + 1), 0);
    assert_int_equal(sink_file_write(h.s, f, 10, (const uint8_t *)"CCC", 3, T0 + 2000002), 0);
    assert_int_equal(sink_file_write(h.s, f, 5, (const uint8_t *)"BBBBB", 5, T0 + 3000000), 0);
    assert_int_equal(sink_file_write(h.s, f, 13, (const uint8_t *)"DD", 2, T0 + 3999999), 0);
    assert_int_equal(sink_file_write(h.s, f, 2, (const uint8_t *)"aa", 2, T0 + 4000000), 0);
    fin(&h, f);
    file_str(&h, NAME, "AAaaABBBBBCCCDD");
    char *x = findx_of(&h, NAME);
    /* numeric order (10 after 5), equal offsets keep arrival order */
    assert_string_equal(x, "0|1000000000.000001|5\n"
                           "2|1000000004.000000|2\n"
                           "5|1000000003.000000|5\n"
                           "10|1000000002.000002|3\n"
                           "13|1000000003.999999|2\n");
    free(x);
    h_done(&h);
}

static void test_findx_in_order_tdelta_b(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.findx = true;
    h.cfg.tdelta_us = -1000000000LL * 1000000 + 5;    /* times near the epoch */
    h.cfg.max_bytes = 12;
    h_start(&h);
    struct flow *f = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"abcd", 4, T0), 0);
    assert_int_equal(sink_file_write(h.s, f, 4, (const uint8_t *)"efgh", 4, T0 + 10), 0);
    assert_int_equal(sink_file_write(h.s, f, 8, (const uint8_t *)"ijklmn", 6, T0 + 1000000), 0);
    assert_int_equal(sink_file_write(h.s, f, 14, (const uint8_t *)"op", 2, T0 + 2000000), 0);
    fin(&h, f);
    file_str(&h, NAME, "abcdefghijkl");
    char *x = findx_of(&h, NAME);
    /* -b: the stored length, nothing for bytes past it; tdelta added */
    assert_string_equal(x, "0|0.000005|4\n4|0.000015|4\n8|1.000005|4\n");
    free(x);
    h_done(&h);
}

/* Late data after the close appends to the same index, sorted again at the
 * next close. */
static void test_findx_late_data(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.findx = true;
    h_start(&h);
    struct flow *f = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"abc", 3, T0 + 1), 0);
    assert_int_equal(sink_file_write(h.s, f, 3, (const uint8_t *)"def", 3, T0 + 2), 0);
    assert_int_equal(sink_file_close(h.s, f), 0);
    char *x = findx_of(&h, NAME);
    assert_string_equal(x, "0|1000000000.000001|3\n3|1000000000.000002|3\n");
    free(x);
    assert_int_equal(sink_file_write(h.s, f, 1, (const uint8_t *)"B", 1, T0 + 3), 0);
    assert_int_equal(sink_file_write(h.s, f, 6, (const uint8_t *)"g", 1, T0 + 4), 0);
    fin(&h, f);
    file_str(&h, NAME, "aBcdefg");
    x = findx_of(&h, NAME);
    assert_string_equal(x, "0|1000000000.000001|3\n1|1000000000.000003|1\n"
                           "3|1000000000.000002|3\n6|1000000000.000004|1\n");
    free(x);
    assert_false(exists(&h, NAME "c1.findx"));
    h_done(&h);
}

/* The same writes give the same index whatever the descriptor budget. */
static void test_findx_max_fds_one(void **st)
{
    (void)st;
    char *want[3] = { NULL, NULL, NULL };
    for (int round = 0; round < 2; round++) {
        struct h h;
        h_init(&h);
        h.cfg.findx = true;
        h.cfg.max_fds = round == 0 ? 64 : 1;
        h_start(&h);
        struct flow *f[3];
        for (int i = 0; i < 3; i++) f[i] = mkflow((uint16_t)(1 + i));
        uint8_t big[150000];
        fill(big, sizeof big, 1);
        for (int k = 0; k < 30; k++)
            for (int i = 0; i < 3; i++) {
                uint64_t off = (uint64_t)(29 - k) * 100;     /* backwards */
                assert_int_equal(sink_file_write(h.s, f[i], off, big + off, 100, T0 + k * 1000), 0);
            }
        for (int i = 0; i < 3; i++)
            assert_int_equal(sink_file_write(h.s, f[i], 3000, big, sizeof big, T0 + 99), 0);
        for (int i = 0; i < 3; i++) {
            char name[128];
            snprintf(name, sizeof name, "010.000.000.001.%05d-010.000.000.002.00080", 1 + i);
            fin(&h, f[i]);
            uint8_t *want_data = malloc(3000 + sizeof big);
            assert_non_null(want_data);
            memcpy(want_data, big, 3000);
            memcpy(want_data + 3000, big, sizeof big);
            file_is(&h, name, want_data, 3000 + sizeof big);
            free(want_data);
            char *x = findx_of(&h, name);
            if (round == 0) {
                want[i] = x;
                /* sorted: first line offset 0, last the big write */
                assert_true(strncmp(x, "0|1000000000.029000|100\n", 24) == 0);
                assert_non_null(strstr(x, "2900|1000000000.000000|100\n3000|1000000000.000099|150000\n"));
            } else {
                assert_string_equal(x, want[i]);
                free(x);
            }
        }
        if (round == 1) assert_int_equal(sink_file_max_open(h.s), 1);
        h_done(&h);
    }
    for (int i = 0; i < 3; i++) free(want[i]);
}

/* ---- -FM digests (the md5 scanner: scan/md5.c) ---- */

/* What the tracker does when f is released: the file is finished, its
 * record goes through the md5 scanner.  true: digests claimed. */
static bool digest(struct h *h, struct flow *f, uint8_t md5[16], uint8_t sha[32])
{
    assert_int_equal(sink_file_close(h->s, f), 0);
    struct flow_summary rec;
    memset(&rec, 0, sizeof rec);
    const char *p = sink_file_path(h->s, f);
    rec.filename = p ? strdup(p) : NULL;
    rec.stored = sink_file_stored(h->s, f);
    rec.file_failed = sink_file_failed(h->s, f);
    h->mc.ops->release(&h->mc, f, &rec);
    memcpy(md5, rec.md5, 16);
    memcpy(sha, rec.sha256, 32);
    flowsum_release(&rec);
    return rec.has_md5;
}

/* A prepend, as the tracker tells it to both. */
static void pre(struct h *h, struct flow *f, uint64_t n)
{
    assert_int_equal(sink_file_prepend(h->s, f, n), 0);
    if (h->md5) h->mc.ops->prepend(&h->mc, f, n);
}

static void expect_digest(const uint8_t *data, size_t n, const uint8_t md5[16], const uint8_t sha[32])
{
    uint8_t m[EVP_MAX_MD_SIZE], s[EVP_MAX_MD_SIZE];
    unsigned ml = 0, sl = 0;
    assert_int_equal(EVP_Digest(data, n, m, &ml, EVP_md5(), NULL), 1);
    assert_int_equal(EVP_Digest(data, n, s, &sl, EVP_sha256(), NULL), 1);
    assert_int_equal(ml, 16);
    assert_int_equal(sl, 32);
    assert_memory_equal(md5, m, 16);
    assert_memory_equal(sha, s, 32);
}

static void test_digest_in_order(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.digest = true;
    h_start(&h);
    enum { N = 700000 };
    uint8_t *d = malloc(N);
    assert_non_null(d);
    fill(d, N, 11);
    struct flow *f = mkflow(1234);
    static const size_t sizes[] = { 1, 1000, 4096, 131072, 200000, 7, 60000 };
    size_t off = 0;
    for (size_t i = 0; off < N; i++) {
        size_t n = sizes[i % 7];
        if (n > N - off) n = N - off;
        wr(&h, f, off, d + off, n);
        off += n;
    }
    assert_int_equal(sink_file_close(h.s, f), 0);
    uint8_t md5[16], sha[32];
    assert_true(digest(&h, f, md5, sha));
    expect_digest(d, N, md5, sha);
    assert_int_equal(h.sctr.n[C_OUT_HASH_REREAD], 0);
    /* the state is consumed */
    assert_null(f->slot[1]);
    sink_file_release(h.s, f, NULL);
    free(f);
    file_is(&h, NAME, d, N);

    /* a tiny one, and one still buffered when the digest is asked for */
    f = mkflow(2);
    ws(&h, f, 0, "abc");
    assert_true(digest(&h, f, md5, sha));
    expect_digest((const uint8_t *)"abc", 3, md5, sha);
    fin(&h, f);
    file_str(&h, "010.000.000.001.00002-010.000.000.002.00080", "abc");
    free(d);
    h_done(&h);
}

/* Close f; its in-order digest must be refused, the file read back instead
 * (the n-th time), and the digests be the file's. */
static void close_expect_reread(struct h *h, struct flow *f, uint64_t n)
{
    uint8_t md5[16], sha[32];
    assert_int_equal(sink_file_close(h->s, f), 0);
    size_t len;
    uint8_t *bytes = slurp(sink_file_path(h->s, f), &len);
    assert_true(digest(h, f, md5, sha));
    expect_digest(bytes, len, md5, sha);
    free(bytes);
    assert_int_equal(h->sctr.n[C_OUT_HASH_REREAD], n);
    sink_file_release(h->s, f, NULL);
    free(f);
}

static void test_digest_out_of_order(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.digest = true;
    h_start(&h);
    /* reordered */
    struct flow *f = mkflow(1);
    ws(&h, f, 3, "def");
    ws(&h, f, 0, "abc");
    close_expect_reread(&h, f, 1);
    file_str(&h, "010.000.000.001.00001-010.000.000.002.00080", "abcdef");
    /* a hole */
    f = mkflow(2);
    ws(&h, f, 0, "abc");
    ws(&h, f, 5, "f");
    close_expect_reread(&h, f, 2);
    /* a rewrite of stored bytes */
    f = mkflow(3);
    ws(&h, f, 0, "abcdef");
    ws(&h, f, 2, "CD");
    close_expect_reread(&h, f, 3);
    /* not starting at 0 */
    f = mkflow(4);
    ws(&h, f, 1, "bc");
    close_expect_reread(&h, f, 4);
    /* moved by a prepend */
    f = mkflow(5);
    ws(&h, f, 0, "world");
    pre(&h, f, 6);
    ws(&h, f, 0, "hello ");
    close_expect_reread(&h, f, 5);
    h_done(&h);
}

static void test_digest_max_bytes(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.digest = true;
    h.cfg.max_bytes = 10;
    h_start(&h);
    struct flow *f = mkflow(1234);
    const char *all = "0123456789abcdefghijklmnop";
    for (size_t off = 0; off < 26; off += 4)
        wr(&h, f, off, all + off, off + 4 <= 26 ? 4 : 26 - off);
    assert_int_equal(sink_file_close(h.s, f), 0);
    uint8_t md5[16], sha[32];
    assert_true(digest(&h, f, md5, sha));
    expect_digest((const uint8_t *)all, 10, md5, sha);     /* the stored bytes */
    sink_file_release(h.s, f, NULL);
    free(f);
    file_str(&h, NAME, "0123456789");

    /* a large write cut by -b */
    sink_file_free(h.s);
    h.cfg.max_bytes = 150000;
    h_start(&h);
    uint8_t *d = malloc(400000);
    assert_non_null(d);
    fill(d, 400000, 5);
    f = mkflow(2);
    wr(&h, f, 0, d, 100);
    wr(&h, f, 100, d + 100, 399900);
    assert_int_equal(sink_file_close(h.s, f), 0);
    assert_true(digest(&h, f, md5, sha));
    expect_digest(d, 150000, md5, sha);
    sink_file_release(h.s, f, NULL);
    free(f);
    file_is(&h, "010.000.000.001.00002-010.000.000.002.00080", d, 150000);
    free(d);
    h_done(&h);
}

/* Digests stay in-order when descriptors and buffers are taken away. */
static void test_digest_max_fds_one(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.digest = true;
    h.cfg.max_fds = 1;
    h.cfg.max_buffered = 5000;
    h_start(&h);
    enum { NF = 5, N = 50000 };
    uint8_t *d[NF];
    struct flow *f[NF];
    for (int i = 0; i < NF; i++) {
        d[i] = malloc(N);
        assert_non_null(d[i]);
        fill(d[i], N, 20 + (uint32_t)i);
        f[i] = mkflow((uint16_t)(1 + i));
    }
    for (size_t off = 0; off < N; off += 1000)
        for (int i = 0; i < NF; i++)
            wr(&h, f[i], off, d[i] + off, 1000);
    assert_true(sink_file_counters(h.s)->n[C_OUT_FD_EVICT] > 0);
    for (int i = 0; i < NF; i++) {
        uint8_t md5[16], sha[32];
        assert_int_equal(sink_file_close(h.s, f[i]), 0);
        assert_true(digest(&h, f[i], md5, sha));
        expect_digest(d[i], N, md5, sha);
        sink_file_release(h.s, f[i], NULL);
        free(f[i]);
        char name[128];
        snprintf(name, sizeof name, "010.000.000.001.%05d-010.000.000.002.00080", 1 + i);
        file_is(&h, name, d[i], N);
        free(d[i]);
    }
    assert_int_equal(h.sctr.n[C_OUT_HASH_REREAD], 0);
    h_done(&h);
}

static void test_digest_off(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);                           /* digest = false: no md5 scanner */
    struct flow *f = mkflow(1234);
    ws(&h, f, 0, "abc");
    assert_int_equal(sink_file_close(h.s, f), 0);
    uint8_t md5[16], sha[32];
    assert_null(h.md5);
    assert_int_equal(h.sctr.n[C_OUT_HASH_REREAD], 0);      /* nothing to read back either */
    fin(&h, f);
    /* a failed file: no digest */
    h.digest = true;
    char tmpl[400];
    memset(tmpl, 'n', 300);
    strcpy(tmpl + 300, "%a%C%c");
    h.cfg.tmpl = tmpl;
    sink_file_free(h.s);
    h_start(&h);
    f = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"abc", 3, T0), 0);
    assert_true(sink_file_failed(h.s, f));
    assert_false(digest(&h, f, md5, sha));
    fin(&h, f);
    h_done(&h);
}

/* ---- regressions: bugs these tests found, fixed ---- */

/* Regression (bug found by this test, fixed): sink_file.c findx_add formats the time as
 * "%lld.%06lld" with ts / 1000000 and ts % 1000000; for a time before the
 * epoch (a negative -S tdelta, or a pre-1970 capture) both parts are
 * negative: -1.5 s becomes "-1.-500000" (a malformed line).  naming.c
 * (%t) rounds down instead; expected "-2.500000" (seconds rounded down,
 * microseconds in [0, 999999]). */
static void test_regr_findx_negative_time(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.findx = true;
    h_start(&h);
    struct flow *f = mkflow(1234);
    assert_int_equal(sink_file_write(h.s, f, 0, (const uint8_t *)"abc", 3, -1500000), 0);
    fin(&h, f);
    char *x = findx_of(&h, NAME);
    h_done(&h);
    char got[64];
    snprintf(got, sizeof got, "%s", x);
    free(x);
    assert_string_equal(got, "0|-2.500000|3\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reordered_and_overwrite),
        cmocka_unit_test(test_sparse_holes),
        cmocka_unit_test(test_large_and_mixed_sizes),
        cmocka_unit_test(test_max_bytes),
        cmocka_unit_test(test_max_bytes_zero),
        cmocka_unit_test(test_counter_collision),
        cmocka_unit_test(test_alert_fd_open_lines),
        cmocka_unit_test(test_counter_fc_template),
        cmocka_unit_test(test_never_overwrites),
        cmocka_unit_test(test_second_run),
        cmocka_unit_test(test_late_data_after_close),
        cmocka_unit_test(test_template_directories),
        cmocka_unit_test(test_symlinked_directory_not_followed),
        cmocka_unit_test(test_name_too_long),
        cmocka_unit_test(test_outdir_dot),
        cmocka_unit_test(test_file_times),
        cmocka_unit_test(test_max_fds_one),
        cmocka_unit_test(test_max_fds_zero_means_one),
        cmocka_unit_test(test_max_fds_three_small_memcap),
        cmocka_unit_test(test_memcap_only),
        cmocka_unit_test(test_free_flushes),
        cmocka_unit_test(test_default_max_fds),
        cmocka_unit_test(test_prepend),
        cmocka_unit_test(test_prepend_max_bytes),
        cmocka_unit_test(test_findx_sorted_at_close),
        cmocka_unit_test(test_findx_in_order_tdelta_b),
        cmocka_unit_test(test_findx_late_data),
        cmocka_unit_test(test_findx_max_fds_one),
        cmocka_unit_test(test_digest_in_order),
        cmocka_unit_test(test_digest_out_of_order),
        cmocka_unit_test(test_digest_max_bytes),
        cmocka_unit_test(test_digest_max_fds_one),
        cmocka_unit_test(test_digest_off),
        cmocka_unit_test(test_regr_findx_negative_time),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    return r;
}
