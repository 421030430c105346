/* test_http_codec.c - the content decoders (scan/http_codec.c): every
 * coding and layering, any split of the input, bombs capped, damaged and
 * unknown codings kept as sent, and 1.6.1's narrow mode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "scan/http_codec.h"

struct buf {
    uint8_t *p;
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    b->p = realloc(b->p, b->n + n + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void out_cb(void *arg, const uint8_t *p, size_t n)
{
    assert_true(n > 0);
    put(arg, p, n);
}

/* ---- encoders ---- */

static struct buf z_enc(const struct buf *in, int wbits)
{
    struct buf o = { malloc(in->n + 1024), 0 };
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = in->p;
    z.avail_in = (uInt)in->n;
    z.next_out = o.p;
    z.avail_out = (uInt)(in->n + 1024);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    o.n = z.total_out;
    deflateEnd(&z);
    return o;
}

static struct buf br_enc(const struct buf *in)
{
    size_t cap = BrotliEncoderMaxCompressedSize(in->n) + 16;
    struct buf o = { malloc(cap), cap };
    assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, in->n, in->p, &o.n, o.p));
    return o;
}

static struct buf zstd_enc(const struct buf *in, int wlog)
{
    size_t cap = ZSTD_compressBound(in->n) + 64;
    struct buf o = { malloc(cap), 0 };
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (wlog) {                            /* no pledged size: the frame names a window of 2^wlog */
        ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, wlog);
        ZSTD_outBuffer ob = { o.p, cap, 0 };
        ZSTD_inBuffer ib = { in->p, in->n, 0 };
        assert_false(ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
        ZSTD_inBuffer none = { NULL, 0, 0 };
        assert_int_equal(ZSTD_compressStream2(c, &ob, &none, ZSTD_e_end), 0);
        o.n = ob.pos;
    } else {
        o.n = ZSTD_compressCCtx(c, o.p, cap, in->p, in->n, 3);
        assert_false(ZSTD_isError(o.n));
    }
    ZSTD_freeCCtx(c);
    return o;
}

static struct buf text(size_t n)
{
    struct buf b = { malloc(n + 1), n };
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245 + 12345;
        b.p[i] = (uint8_t)("abcdefgh ijklmnop\n"[(x >> 16) % 18]);
    }
    return b;
}

static struct buf zeros(size_t n)
{
    struct buf b = { calloc(1, n + 1), n };
    return b;
}

/* Decode in pieces of `step` bytes (0: whole). */
static struct buf decode(const char *coding, const struct buf *in, size_t step, uint64_t cap, bool compat,
                         struct http_codec_result *r)
{
    enum http_coding L[HTTP_CODEC_LAYERS];
    int k = http_codings_parse(coding, strlen(coding), L, HTTP_CODEC_LAYERS, compat);
    struct http_codec_config cfg = { cap, compat };
    struct buf o = { NULL, 0 };
    struct http_codec *c = http_codec_new(L, k < 0 ? 0 : k, k < 0, &cfg, out_cb, &o);
    for (size_t i = 0; i < in->n;) {
        size_t t = step && step < in->n - i ? step : in->n - i;
        http_codec_feed(c, in->p + i, t);
        i += t;
    }
    http_codec_finish(c, r);
    http_codec_free(c);
    return o;
}

static void same(const struct buf *a, const struct buf *b)
{
    assert_int_equal(a->n, b->n);
    if (a->n)
        assert_memory_equal(a->p, b->p, a->n);
}

static void test_parse_names(void **state)
{
    (void)state;
    enum http_coding L[4];
    assert_int_equal(http_codings_parse("gzip, BR ,zstd", 14, L, 4, false), 3);
    assert_int_equal(L[0], HC_GZIP);
    assert_int_equal(L[1], HC_BR);
    assert_int_equal(L[2], HC_ZSTD);
    assert_int_equal(http_codings_parse("identity", 8, L, 4, false), 0);
    assert_int_equal(http_codings_parse("x-gzip;q=1, deflate", 19, L, 4, false), 2);
    assert_int_equal(http_codings_parse("compress", 8, L, 4, false), -1);
    assert_int_equal(http_codings_parse("gzip,gzip,gzip,gzip,gzip", 24, L, 4, false), -1);
    assert_int_equal(http_codings_parse("GZIP", 4, L, 4, true), 0);      /* 1.6.1: exactly */
    assert_int_equal(http_codings_parse("deflate", 7, L, 4, true), 1);
    assert_int_equal(http_codings_parse("gzip ", 5, L, 4, true), 0);
}

static void test_every_coding_any_split(void **state)
{
    (void)state;
    struct buf t = text(300000);
    struct buf gz = z_enc(&t, 31), zl = z_enc(&t, 15), raw = z_enc(&t, -15), br = br_enc(&t), zs = zstd_enc(&t, 0);
    struct buf gzbr = br_enc(&gz), brzs = zstd_enc(&br, 0), three = z_enc(&brzs, 31);
    const struct { const char *c; struct buf *in; } cases[] = {
        { "gzip", &gz }, { "deflate", &zl }, { "deflate", &raw }, { "br", &br }, { "zstd", &zs },
        { "gzip, br", &gzbr }, { "br, zstd", &brzs }, { "br,zstd,gzip", &three }, { "", &t },
    };
    const size_t steps[] = { 0, 1, 7, 4096 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            if (steps[s] == 1 && cases[i].in->n > 100000)
                continue;                  /* byte by byte: the small ones */
            struct http_codec_result r;
            struct buf o = decode(cases[i].c, cases[i].in, steps[s], 0, false, &r);
            same(&o, &t);
            assert_false(r.error);
            assert_false(r.truncated);
            assert_false(r.capped);
            assert_int_equal(r.as_sent, cases[i].c[0] == '\0');
            assert_int_equal(r.in, cases[i].in->n);
            free(o.p);
        }
    /* byte by byte through every coding, on a smaller body */
    struct buf s = text(3000), sg = z_enc(&s, 31), sb = br_enc(&s), sz = zstd_enc(&s, 0), sr = z_enc(&s, -15);
    struct buf *small[] = { &sg, &sb, &sz, &sr };
    const char *sc[] = { "gzip", "br", "zstd", "deflate" };
    for (int i = 0; i < 4; i++) {
        struct http_codec_result r;
        struct buf o = decode(sc[i], small[i], 1, 0, false, &r);
        same(&o, &s);
        free(o.p);
    }
    free(t.p); free(gz.p); free(zl.p); free(raw.p); free(br.p); free(zs.p); free(gzbr.p); free(brzs.p);
    free(three.p); free(s.p); free(sg.p); free(sb.p); free(sz.p); free(sr.p);
}

static void test_bombs_capped(void **state)
{
    (void)state;
    struct buf z = zeros(20u << 20);       /* 20 MiB of zeros: a few KiB coded */
    struct buf gz = z_enc(&z, 31), br = br_enc(&z), zs = zstd_enc(&z, 0);
    struct buf nested = z_enc(&gz, 31);    /* gzip of the gzip bomb */
    struct buf *in[] = { &gz, &br, &zs, &nested };
    const char *c[] = { "gzip", "br", "zstd", "gzip, gzip" };
    for (int i = 0; i < 4; i++) {
        assert_true(in[i]->n < 100000);
        struct http_codec_result r;
        struct buf o = decode(c[i], in[i], 1000, 1u << 20, false, &r);
        assert_int_equal(o.n, 1u << 20);                               /* exactly the cap */
        assert_true(r.capped);
        assert_false(r.as_sent);
        for (size_t k = 0; k < o.n; k++)
            if (o.p[k])
                fail();
        free(o.p);
    }
    /* the default cap stands too */
    struct http_codec_result r;
    struct buf o = decode("gzip", &gz, 0, 0, false, &r);
    assert_int_equal(o.n, z.n);                                         /* 20 MiB < 256 MiB */
    assert_false(r.capped);
    free(o.p);
    free(z.p); free(gz.p); free(br.p); free(zs.p); free(nested.p);
}

static void test_undecodable_kept_as_sent(void **state)
{
    (void)state;
    struct buf junk = text(5000);
    junk.p[0] = 0xff;                      /* (text could pass as the start of raw deflate) */
    const char *c[] = { "gzip", "deflate", "br", "zstd", "compress", "gzip, br" };
    for (int i = 0; i < 6; i++) {
        struct http_codec_result r;
        struct buf o = decode(c[i], &junk, 100, 0, false, &r);
        same(&o, &junk);
        assert_true(r.as_sent);
        assert_true(r.error);
        free(o.p);
    }
    /* damaged after some output: what decoded is kept, the error said */
    struct buf t = text(200000), gz = z_enc(&t, 31);
    memset(gz.p + gz.n / 2, 0x55, 64);
    struct http_codec_result r;
    struct buf o = decode("gzip", &gz, 0, 0, false, &r);
    assert_true(r.error);
    assert_false(r.as_sent);
    assert_true(o.n > 1000);               /* (found at the latest by the CRC at the end) */
    assert_memory_equal(o.p, t.p, 1000);
    free(o.p);
    /* cut: truncated, a prefix; cut before any output: as sent */
    gz = (struct buf){ gz.p, gz.n };
    struct buf g2 = z_enc(&t, 31);
    struct buf cut = { g2.p, g2.n / 3 };
    o = decode("gzip", &cut, 0, 0, false, &r);
    assert_true(r.truncated);
    assert_false(r.error);
    assert_memory_equal(o.p, t.p, o.n);
    free(o.p);
    struct buf tiny = { g2.p, 5 };
    o = decode("gzip", &tiny, 0, 0, false, &r);
    assert_true(r.truncated && r.as_sent);
    same(&o, &tiny);
    free(o.p);
    /* trailing bytes after the stream: ignored, said; a second gzip member: read */
    struct buf two = { NULL, 0 };
    put(&two, g2.p, g2.n);
    put(&two, g2.p, g2.n);
    o = decode("gzip", &two, 0, 0, false, &r);
    assert_int_equal(o.n, 2 * t.n);
    assert_false(r.trailing);
    free(o.p);
    put(&two, "junk", 4);
    o = decode("br", &(struct buf){ NULL, 0 }, 0, 0, false, &r);
    free(o.p);
    struct buf bt = br_enc(&t);
    put(&bt, "junk", 4);
    o = decode("br", &bt, 0, 0, false, &r);
    same(&o, &t);
    assert_true(r.trailing);
    free(o.p);
    /* a zstd frame asking for a 32 MiB window: refused (RFC 9659 caps HTTP at 8 MiB) */
    struct buf zw = zstd_enc(&t, 25);
    o = decode("zstd", &zw, 0, 0, false, &r);
    assert_true(r.error);
    assert_true(r.as_sent);
    free(o.p);
    free(zw.p); free(bt.p); free(two.p); free(g2.p); free(gz.p); free(t.p); free(junk.p);
}

static void test_compat161(void **state)
{
    (void)state;
    struct buf t = text(10000), raw = z_enc(&t, -15), zl = z_enc(&t, 15), br = br_enc(&t);
    struct http_codec_result r;
    struct buf o = decode("deflate", &zl, 0, 0, true, &r);
    same(&o, &t);
    free(o.p);
    o = decode("deflate", &raw, 0, 0, true, &r);                       /* raw: nothing (1.6.1) */
    assert_int_equal(o.n, 0);
    assert_true(r.error);
    free(o.p);
    o = decode("br", &br, 0, 0, true, &r);                             /* not decoded: as sent, no error */
    same(&o, &br);
    assert_false(r.error);
    free(o.p);
    free(t.p); free(raw.p); free(zl.p); free(br.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_every_coding_any_split),
        cmocka_unit_test(test_bombs_capped),
        cmocka_unit_test(test_undecodable_kept_as_sent),
        cmocka_unit_test(test_compat161),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
