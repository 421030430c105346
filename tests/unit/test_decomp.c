/* test_decomp.c - format detection and in-process decompression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <bzlib.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/decomp.h"

/* ---- helpers ---- */

struct blob { uint8_t *p; size_t n; };

static struct blob make_plain(size_t n, unsigned seed)
{
    struct blob b = { malloc(n), n };
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* compressible but not trivial: runs of text with noise */
        b.p[i] = (i % 97 < 60) ? (uint8_t)("tcpflow records "[i % 16]) : (uint8_t)(x >> 24);
    }
    return b;
}

static struct blob gz(const uint8_t *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    struct blob b = { malloc(deflateBound(&z, n) + 64), 0 };
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = b.p;
    z.avail_out = (uInt)(deflateBound(&z, n) + 64);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    b.n = z.total_out;
    deflateEnd(&z);
    return b;
}

static struct blob xz(const uint8_t *p, size_t n, int alone)
{
    struct blob b = { malloc(n + n / 2 + 4096), 0 };
    if (!alone) {
        assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, p, n, b.p, &b.n,
                                                 n + n / 2 + 4096), LZMA_OK);
    } else {
        lzma_options_lzma opt;
        lzma_lzma_preset(&opt, 6);
        lzma_stream s = LZMA_STREAM_INIT;
        assert_int_equal(lzma_alone_encoder(&s, &opt), LZMA_OK);
        s.next_in = p;
        s.avail_in = n;
        s.next_out = b.p;
        s.avail_out = n + n / 2 + 4096;
        assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
        b.n = s.total_out;
        lzma_end(&s);
    }
    return b;
}

static struct blob bz2(const uint8_t *p, size_t n)
{
    unsigned cap = (unsigned)(n + n / 100 + 1024);
    struct blob b = { malloc(cap), 0 };
    unsigned out = cap;
    assert_int_equal(BZ2_bzBuffToBuffCompress((char *)b.p, &out, (char *)(uintptr_t)p,
                                              (unsigned)n, 9, 0, 0), BZ_OK);
    b.n = out;
    return b;
}

static struct blob zst(const uint8_t *p, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    struct blob b = { malloc(cap), 0 };
    b.n = ZSTD_compress(b.p, cap, p, n, 3);
    assert_false(ZSTD_isError(b.n));
    return b;
}

static struct blob cat(struct blob a, struct blob b)
{
    struct blob c = { malloc(a.n + b.n + 1), a.n + b.n };
    memcpy(c.p, a.p, a.n);
    memcpy(c.p + a.n, b.p, b.n);
    return c;
}

/* Read everything with reads of at most chunk bytes; returns the last
 * decomp_read result (0 or -1); *out gets the bytes. */
static int drain(struct decomp *d, size_t chunk, struct blob *out)
{
    size_t cap = 1 << 16;
    out->p = malloc(cap);
    out->n = 0;
    for (;;) {
        if (out->n + chunk > cap) { cap = 2 * (out->n + chunk); out->p = realloc(out->p, cap); }
        ssize_t r = decomp_read(d, out->p + out->n, chunk);
        if (r <= 0) {
            /* sticky */
            uint8_t x;
            assert_int_equal(decomp_read(d, &x, 1), r);
            return (int)r;
        }
        assert_true((size_t)r <= chunk);
        out->n += (size_t)r;
    }
}

static void expect_same(struct blob comp, const struct blob *plain, enum decomp_kind kind,
                        size_t chunk)
{
    char err[256] = "";
    struct decomp *d = decomp_open_mem(comp.p, comp.n, "x", err, sizeof err);
    assert_non_null(d);
    assert_int_equal(decomp_kind(d), kind);
    struct blob out;
    assert_int_equal(drain(d, chunk, &out), 0);
    assert_int_equal(out.n, plain->n);
    assert_memory_equal(out.p, plain->p, plain->n);
    assert_int_equal(decomp_pos(d), comp.n);
    free(out.p);
    decomp_free(d);
}

/* ---- tests ---- */

static void test_detect(void **state)
{
    (void)state;
    static const uint8_t pcap_le[16] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
    static const uint8_t pcap_be[16] = { 0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4 };
    static const uint8_t pcap_ns[16] = { 0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0 };
    static const uint8_t ng[16] = { 0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a };
    static const uint8_t lzma[16] = { 0x5d, 0, 0, 0x80, 0, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff };
    assert_int_equal(decomp_detect(pcap_le, 16), DECOMP_NONE);
    assert_int_equal(decomp_detect(pcap_be, 16), DECOMP_NONE);
    assert_int_equal(decomp_detect(pcap_ns, 16), DECOMP_NONE);
    assert_int_equal(decomp_detect(ng, 16), DECOMP_NONE);
    assert_int_equal(decomp_detect((const uint8_t *)"\x1f\x8b\x08", 3), DECOMP_GZIP);
    assert_int_equal(decomp_detect((const uint8_t *)"\x1f", 1), DECOMP_NONE);
    assert_int_equal(decomp_detect((const uint8_t *)"\xfd" "7zXZ\0\0", 7), DECOMP_XZ);
    assert_int_equal(decomp_detect((const uint8_t *)"BZh9", 4), DECOMP_BZIP2);
    assert_int_equal(decomp_detect((const uint8_t *)"BZh0", 4), DECOMP_NONE);
    assert_int_equal(decomp_detect((const uint8_t *)"\x28\xb5\x2f\xfd", 4), DECOMP_ZSTD);
    assert_int_equal(decomp_detect((const uint8_t *)"\x50\x2a\x4d\x18", 4), DECOMP_ZSTD);
    assert_int_equal(decomp_detect(lzma, 13), DECOMP_LZMA);
    assert_int_equal(decomp_detect(lzma, 12), DECOMP_NONE);
    uint8_t odd[13];
    memcpy(odd, lzma, 13);
    odd[3] = 0x81;                                      /* dictionary 0x810000: not 2^n */
    assert_int_equal(decomp_detect(odd, 13), DECOMP_NONE);
    assert_string_equal(decomp_kind_name(DECOMP_ZSTD), "zstd");
    assert_string_equal(decomp_kind_name(DECOMP_NONE), "none");
}

static void test_roundtrip_all(void **state)
{
    (void)state;
    struct blob plain = make_plain(700000, 1);
    struct blob c[5] = { gz(plain.p, plain.n), xz(plain.p, plain.n, 0), xz(plain.p, plain.n, 1),
                         bz2(plain.p, plain.n), zst(plain.p, plain.n) };
    enum decomp_kind k[5] = { DECOMP_GZIP, DECOMP_XZ, DECOMP_LZMA, DECOMP_BZIP2, DECOMP_ZSTD };
    for (int i = 0; i < 5; i++) {
        expect_same(c[i], &plain, k[i], 1 << 20);
        expect_same(c[i], &plain, k[i], 4093);
        free(c[i].p);
    }
    /* uncompressed passes through, byte reads included */
    expect_same(plain, &plain, DECOMP_NONE, 1 << 20);
    struct blob small = { plain.p, 3000 };
    expect_same(small, &small, DECOMP_NONE, 1);
    free(plain.p);
}

static void test_tiny_reads(void **state)
{
    (void)state;
    struct blob plain = make_plain(5000, 2);
    struct blob c = zst(plain.p, plain.n);
    expect_same(c, &plain, DECOMP_ZSTD, 1);
    free(c.p);
    c = gz(plain.p, plain.n);
    expect_same(c, &plain, DECOMP_GZIP, 1);
    free(c.p);
    c = bz2(plain.p, plain.n);
    expect_same(c, &plain, DECOMP_BZIP2, 7);
    free(c.p);
    free(plain.p);
}

static void test_concatenated(void **state)
{
    (void)state;
    struct blob a = make_plain(100000, 3), b = make_plain(50000, 4);
    struct blob both = cat(a, b);
    struct blob (*enc[3])(const uint8_t *, size_t) = { gz, bz2, zst };
    enum decomp_kind k[3] = { DECOMP_GZIP, DECOMP_BZIP2, DECOMP_ZSTD };
    for (int i = 0; i < 3; i++) {
        struct blob ca = enc[i](a.p, a.n), cb = enc[i](b.p, b.n);
        struct blob cc = cat(ca, cb);
        expect_same(cc, &both, k[i], 65536);
        free(ca.p); free(cb.p); free(cc.p);
    }
    struct blob xa = xz(a.p, a.n, 0), xb = xz(b.p, b.n, 0);
    struct blob xc = cat(xa, xb);
    expect_same(xc, &both, DECOMP_XZ, 65536);
    free(xa.p); free(xb.p); free(xc.p);
    free(a.p); free(b.p); free(both.p);
}

static void test_trailing(void **state)
{
    (void)state;
    struct blob plain = make_plain(20000, 5);
    struct blob c = gz(plain.p, plain.n);
    /* trailing zeros are ignored, as gzip does */
    struct blob zeros = { calloc(1, 100), 100 };
    struct blob cz = cat(c, zeros);
    expect_same(cz, &plain, DECOMP_GZIP, 8192);
    /* other trailing bytes: every byte delivered, then an error at the garbage */
    struct blob junk = { (uint8_t *)"junk!", 5 };
    struct blob cj = cat(c, junk);
    char err[256];
    struct decomp *d = decomp_open_mem(cj.p, cj.n, "t.pcap.gz", err, sizeof err);
    assert_non_null(d);
    struct blob out;
    assert_int_equal(drain(d, 8192, &out), -1);
    assert_int_equal(out.n, plain.n);
    assert_memory_equal(out.p, plain.p, plain.n);
    char want[128];
    snprintf(want, sizeof want, "t.pcap.gz: corrupt gzip data at compressed offset %zu (trailing garbage)",
             c.n);
    assert_string_equal(decomp_error(d), want);
    free(out.p);
    decomp_free(d);
    free(cj.p); free(cz.p); free(zeros.p); free(c.p); free(plain.p);
}

/* Every format, cut at many lengths: never more bytes than the original,
 * always a prefix of it, and the end is an error (never a clean EOF). */
static void test_truncated(void **state)
{
    (void)state;
    struct blob plain = make_plain(30000, 6);
    struct blob c[5] = { gz(plain.p, plain.n), xz(plain.p, plain.n, 0), xz(plain.p, plain.n, 1),
                         bz2(plain.p, plain.n), zst(plain.p, plain.n) };
    for (int i = 0; i < 5; i++) {
        size_t step = c[i].n / 200 + 1;
        for (size_t cut = 13; cut < c[i].n; cut += step) {
            char err[256] = "";
            struct decomp *d = decomp_open_mem(c[i].p, cut, "cut", err, sizeof err);
            assert_non_null(d);
            struct blob out;
            int r = drain(d, 4096, &out);
            assert_int_equal(r, -1);
            assert_true(out.n <= plain.n);
            assert_memory_equal(out.p, plain.p, out.n);
            assert_true(strncmp(decomp_error(d), "cut: ", 5) == 0);
            free(out.p);
            decomp_free(d);
        }
        free(c[i].p);
    }
    free(plain.p);
}

static void test_corrupt(void **state)
{
    (void)state;
    struct blob plain = make_plain(200000, 7);
    struct blob c = gz(plain.p, plain.n);
    for (size_t i = 1000; i < 1064; i++) c.p[i] ^= 0x5a;
    char err[256];
    struct decomp *d = decomp_open_mem(c.p, c.n, "bad.gz", err, sizeof err);
    assert_non_null(d);
    struct blob out;
    assert_int_equal(drain(d, 65536, &out), -1);
    assert_true(strstr(decomp_error(d), "bad.gz: corrupt gzip data at compressed offset ") ==
                decomp_error(d));
    free(out.p);
    decomp_free(d);
    free(c.p);

    /* zstd frames carry no checksum by default: garbage after the frame */
    c = zst(plain.p, plain.n);
    struct blob junk = { (uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08", 8 };
    struct blob cj = cat(c, junk);
    free(c.p);
    c = cj;
    d = decomp_open_mem(c.p, c.n, "bad.zst", err, sizeof err);
    assert_int_equal(drain(d, 65536, &out), -1);
    assert_int_equal(out.n, plain.n);
    assert_non_null(strstr(decomp_error(d), "corrupt zstd data"));
    free(out.p);
    decomp_free(d);
    free(c.p);

    c = xz(plain.p, plain.n, 0);
    for (size_t i = 100; i < 164; i++) c.p[i] ^= 0xa5;
    d = decomp_open_mem(c.p, c.n, "bad.xz", err, sizeof err);
    assert_int_equal(drain(d, 65536, &out), -1);
    assert_non_null(strstr(decomp_error(d), "corrupt xz data"));
    free(out.p);
    decomp_free(d);
    free(c.p);
    free(plain.p);
}

/* Through a pipe, written in small pieces by a child: detection and the
 * stream both cope with short reads. */
static void test_pipe(void **state)
{
    (void)state;
    struct blob plain = make_plain(300000, 8);
    struct blob c = xz(plain.p, plain.n, 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (size_t o = 0; o < c.n; o += 3) {
            size_t k = c.n - o < 3 ? c.n - o : 3;
            if (write(fds[1], c.p + o, k) != (ssize_t)k) _exit(1);
            if (o < 30) usleep(1000);
        }
        _exit(0);
    }
    close(fds[1]);
    char err[256];
    struct decomp *d = decomp_open_fd(fds[0], "pipe", err, sizeof err);
    assert_non_null(d);
    assert_int_equal(decomp_kind(d), DECOMP_XZ);
    struct blob out;
    assert_int_equal(drain(d, 100000, &out), 0);
    assert_int_equal(out.n, plain.n);
    assert_memory_equal(out.p, plain.p, plain.n);
    assert_int_equal(decomp_pos(d), c.n);
    free(out.p);
    decomp_free(d);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    free(c.p);
    free(plain.p);
}

static void test_empty_and_short(void **state)
{
    (void)state;
    char err[256];
    struct decomp *d = decomp_open_mem((const uint8_t *)"", 0, "e", err, sizeof err);
    assert_non_null(d);
    assert_int_equal(decomp_kind(d), DECOMP_NONE);
    uint8_t b[4];
    assert_int_equal(decomp_read(d, b, 4), 0);
    decomp_free(d);
    /* a gzip magic alone: truncated */
    d = decomp_open_mem((const uint8_t *)"\x1f\x8b", 2, "g", err, sizeof err);
    assert_int_equal(decomp_read(d, b, 4), -1);
    assert_string_equal(decomp_error(d),
                        "g: truncated gzip data (the file ends inside the compressed stream, at offset 2)");
    decomp_free(d);
    decomp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_tiny_reads),
        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_empty_and_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
