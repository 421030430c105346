/* http_codec.c - the content decoders of an HTTP body.  See http_codec.h. */
#include "scan/http_codec.h"

#include <stdlib.h>
#include <string.h>
#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "util/xalloc.h"

#define OUTBUF (32 * 1024)
#define ZSTD_WINDOW_LOG_MAX 23           /* 8 MiB (RFC 9659: HTTP decoders need no more) */

struct layer {
    enum http_coding t;
    bool init;                           /* the decoder exists */
    bool open;                           /* inside a coded stream (input taken, no end yet) */
    bool done;                           /* the coded stream ended */
    uint64_t produced;
    z_stream z;
    BrotliDecoderState *br;
    ZSTD_DStream *zs;
    uint8_t pre[2];                      /* deflate: the first bytes, to tell zlib from raw */
    unsigned npre;
};

struct http_codec {
    struct layer L[HTTP_CODEC_LAYERS];   /* L[0] decodes first: the coding applied last */
    int n;
    struct http_codec_config cfg;
    http_codec_out out;
    void *arg;
    struct http_codec_result r;
    uint8_t *hold;                       /* bytes as sent, until the first decoded byte */
    size_t nhold;
    bool holding;
    bool stopped;                        /* no more decoding: error, cap, end with trailing bytes */
    bool fallback;                       /* give the body as sent, from the start */
    bool finished;
};

/* ---- coding names ---- */

static bool tok_is(const char *p, size_t n, const char *w, bool exact)
{
    size_t k = strlen(w);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!exact && c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != w[i])
            return false;
    }
    return true;
}

int http_codings_parse(const char *v, size_t n, enum http_coding *out, int max, bool compat161)
{
    if (compat161) {                     /* the whole value, exactly (1.6.1 compares so) */
        if (tok_is(v, n, "gzip", true) || tok_is(v, n, "deflate", true)) {
            if (max < 1)
                return -1;
            out[0] = v[0] == 'g' ? HC_GZIP : HC_DEFLATE;
            return 1;
        }
        return 0;
    }
    int k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t' && v[i] != ';')
            i++;
        size_t e = i;
        while (i < n && v[i] != ',')     /* parameters (none are defined): skipped */
            i++;
        if (e == s)
            continue;
        enum http_coding t;
        if (tok_is(v + s, e - s, "gzip", false) || tok_is(v + s, e - s, "x-gzip", false))
            t = HC_GZIP;
        else if (tok_is(v + s, e - s, "deflate", false))
            t = HC_DEFLATE;
        else if (tok_is(v + s, e - s, "br", false))
            t = HC_BR;
        else if (tok_is(v + s, e - s, "zstd", false))
            t = HC_ZSTD;
        else if (tok_is(v + s, e - s, "identity", false))
            continue;
        else
            t = HC_UNKNOWN;
        if (k >= max)
            return -1;
        out[k++] = t;
        if (t == HC_UNKNOWN)
            return -1;
    }
    return k;
}

/* ---- the chain ---- */

struct http_codec *http_codec_new(const enum http_coding *layers, int n, bool unknown,
                                  const struct http_codec_config *cfg, http_codec_out out, void *arg)
{
    struct http_codec *c = xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    if (!c->cfg.max_decoded)
        c->cfg.max_decoded = HTTP_CODEC_MAX_DECODED_DEFAULT;
    c->out = out;
    c->arg = arg;
    c->r.what = "";
    if (n < 0 || n > HTTP_CODEC_LAYERS)
        unknown = true;
    if (unknown) {
        c->r.as_sent = true;
        if (!cfg->compat161) {
            c->r.error = true;
            c->r.what = "unknown coding";
        }
        return c;
    }
    c->n = n;
    for (int i = 0; i < n; i++)
        c->L[i].t = layers[n - 1 - i];
    if (n == 0)
        c->r.as_sent = true;
    else
        c->holding = !cfg->compat161;
    return c;
}

static void fail(struct http_codec *c, const char *what)
{
    if (c->stopped)
        return;
    c->stopped = true;
    c->r.error = true;
    c->r.what = what;
    if (c->r.out == 0 && c->holding)
        c->fallback = true;              /* nothing decoded: the body as sent */
}

static void push(struct http_codec *c, int i, const uint8_t *p, size_t n);

/* Output of layer i: capped, then to layer i + 1 or out. */
static void pass(struct http_codec *c, int i, const uint8_t *p, size_t n)
{
    struct layer *l = &c->L[i];
    if (n == 0 || c->stopped)
        return;
    uint64_t room = c->cfg.max_decoded - l->produced;
    bool cap = n > room;
    if (cap)
        n = (size_t)room;
    l->produced += n;
    push(c, i + 1, p, n);
    if (cap && !c->stopped) {
        c->r.capped = true;
        c->stopped = true;
    }
}

static void do_zlib(struct http_codec *c, int i, const uint8_t *p, size_t n)
{
    struct layer *l = &c->L[i];
    uint8_t buf[OUTBUF];
    l->z.next_in = (Bytef *)(uintptr_t)p;
    l->z.avail_in = 0;
    for (;;) {
        if (l->z.avail_in == 0 && n > 0) {
            size_t take = n > (1u << 30) ? (1u << 30) : n;
            l->z.next_in = (Bytef *)(uintptr_t)p;
            l->z.avail_in = (uInt)take;
            p += take;
            n -= take;
        }
        l->z.next_out = buf;
        l->z.avail_out = sizeof buf;
        int ret = inflate(&l->z, Z_NO_FLUSH);
        size_t got = sizeof buf - l->z.avail_out;
        pass(c, i, buf, got);
        if (c->stopped)
            return;
        if (ret == Z_STREAM_END) {
            l->open = false;
            size_t left = l->z.avail_in + n;
            if (left == 0) {
                l->done = true;
                return;
            }
            /* another gzip member (as gunzip reads them), else trailing bytes */
            if (l->t == HC_GZIP && !c->cfg.compat161 && *l->z.next_in == 0x1f) {
                inflateReset(&l->z);
                continue;
            }
            l->done = true;
            c->r.trailing = true;
            c->stopped = true;
            return;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            fail(c, l->t == HC_GZIP ? "gzip: corrupt data" : "deflate: corrupt data");
            return;
        }
        if (l->z.avail_in == 0 && n == 0 && l->z.avail_out != 0)
            return;
        if (ret == Z_BUF_ERROR && got == 0)
            return;
    }
}

static void zlib_start(struct http_codec *c, struct layer *l, int wbits)
{
    memset(&l->z, 0, sizeof l->z);
    if (inflateInit2(&l->z, wbits) != Z_OK) {
        fail(c, "zlib: no memory");
        return;
    }
    l->init = true;
}

static void layer_zlib(struct http_codec *c, int i, const uint8_t *p, size_t n)
{
    struct layer *l = &c->L[i];
    if (!l->init) {
        if (c->cfg.compat161 || l->t == HC_GZIP) {
            zlib_start(c, l, 32 + MAX_WBITS);       /* gzip or zlib, by the header */
        } else {                                    /* deflate: zlib or raw */
            while (l->npre < 2 && n > 0) {
                l->pre[l->npre++] = *p++;
                n--;
            }
            if (l->npre < 2)
                return;
            unsigned h = (unsigned)l->pre[0] << 8 | l->pre[1];
            bool zl = (l->pre[0] & 0x0f) == 8 && (l->pre[0] >> 4) <= 7 && h % 31 == 0;
            zlib_start(c, l, zl ? MAX_WBITS : -MAX_WBITS);
            if (c->stopped)
                return;
            l->open = true;
            do_zlib(c, i, l->pre, 2);
            if (c->stopped || l->done)
                goto after;
        }
        if (c->stopped)
            return;
    }
after:
    if (n == 0)
        return;
    if (l->done) {
        c->r.trailing = true;
        c->stopped = true;
        return;
    }
    l->open = true;
    do_zlib(c, i, p, n);
}

static void layer_br(struct http_codec *c, int i, const uint8_t *p, size_t n)
{
    struct layer *l = &c->L[i];
    if (!l->init) {
        l->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        if (!l->br) {
            fail(c, "brotli: no memory");
            return;
        }
        l->init = true;
    }
    if (l->done) {
        c->r.trailing = true;
        c->stopped = true;
        return;
    }
    l->open = true;
    uint8_t buf[OUTBUF];
    size_t ai = n;
    const uint8_t *ni = p;
    for (;;) {
        size_t ao = sizeof buf;
        uint8_t *no = buf;
        BrotliDecoderResult r = BrotliDecoderDecompressStream(l->br, &ai, &ni, &ao, &no, NULL);
        pass(c, i, buf, sizeof buf - ao);
        if (c->stopped)
            return;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            l->open = false;
            l->done = true;
            if (ai) {
                c->r.trailing = true;
                c->stopped = true;
            }
            return;
        }
        if (r == BROTLI_DECODER_RESULT_ERROR) {
            fail(c, "brotli: corrupt data");
            return;
        }
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && ai == 0)
            return;
    }
}

static void layer_zstd(struct http_codec *c, int i, const uint8_t *p, size_t n)
{
    struct layer *l = &c->L[i];
    if (!l->init) {
        l->zs = ZSTD_createDStream();
        if (!l->zs || ZSTD_isError(ZSTD_initDStream(l->zs)) ||
            ZSTD_isError(ZSTD_DCtx_setParameter(l->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
            fail(c, "zstd: no memory");
            return;
        }
        l->init = true;
    }
    uint8_t buf[OUTBUF];
    ZSTD_inBuffer in = { p, n, 0 };
    for (;;) {
        ZSTD_outBuffer out = { buf, sizeof buf, 0 };
        size_t ret = ZSTD_decompressStream(l->zs, &out, &in);
        if (ZSTD_isError(ret)) {
            pass(c, i, buf, out.pos);
            fail(c, ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge ?
                 "zstd: window too large" : "zstd: corrupt data");
            return;
        }
        pass(c, i, buf, out.pos);
        if (c->stopped)
            return;
        l->open = ret != 0;              /* 0: a frame ended; another may follow */
        if (in.pos == in.size && out.pos < out.size)
            return;
    }
}

static void push(struct http_codec *c, int i, const uint8_t *p, size_t n)
{
    if (n == 0 || c->stopped)
        return;
    if (i == c->n) {
        if (c->holding) {
            c->holding = false;
            free(c->hold);
            c->hold = NULL;
            c->nhold = 0;
        }
        c->r.out += n;
        c->out(c->arg, p, n);
        return;
    }
    switch (c->L[i].t) {
    case HC_GZIP:
    case HC_DEFLATE:
        layer_zlib(c, i, p, n);
        break;
    case HC_BR:
        layer_br(c, i, p, n);
        break;
    case HC_ZSTD:
        layer_zstd(c, i, p, n);
        break;
    default:
        fail(c, "unknown coding");
        break;
    }
}

static void give_as_sent(struct http_codec *c)
{
    c->fallback = false;
    c->r.as_sent = true;
    c->holding = false;
    if (c->nhold) {
        c->r.out += c->nhold;
        c->out(c->arg, c->hold, c->nhold);
    }
    free(c->hold);
    c->hold = NULL;
    c->nhold = 0;
}

void http_codec_feed(struct http_codec *c, const uint8_t *p, size_t n)
{
    if (n == 0 || c->finished)
        return;
    c->r.in += n;
    while (n > 0) {
        if (c->r.as_sent) {
            c->r.out += n;
            c->out(c->arg, p, n);
            return;
        }
        if (c->stopped) {
            if (!c->r.error && !c->r.capped)
                c->r.trailing = true;
            return;
        }
        size_t k = n;
        if (c->holding) {                /* what is held decides, whatever the pieces */
            size_t room = HTTP_CODEC_HOLD - c->nhold;
            if (room == 0) {
                c->holding = false;      /* so long without a decoded byte: no way back */
                free(c->hold);
                c->hold = NULL;
                c->nhold = 0;
            } else {
                if (k > room)
                    k = room;
                c->hold = xreallocarray(c->hold, c->nhold + k, 1);
                memcpy(c->hold + c->nhold, p, k);
                c->nhold += k;
            }
        }
        push(c, 0, p, k);
        if (c->fallback)
            give_as_sent(c);
        p += k;
        n -= k;
    }
}

void http_codec_finish(struct http_codec *c, struct http_codec_result *r)
{
    if (!c->finished) {
        c->finished = true;
        bool open = false;
        for (int i = 0; i < c->n; i++)
            if (c->L[i].open || (c->L[i].t == HC_DEFLATE && c->L[i].npre > 0 && !c->L[i].init))
                open = true;
        if (open && !c->stopped && !c->r.as_sent) {
            c->r.truncated = true;
            if (c->r.out == 0 && c->holding) {
                c->r.what = "truncated before any decoded byte";
                give_as_sent(c);
            }
        }
        free(c->hold);
        c->hold = NULL;
        c->nhold = 0;
        c->holding = false;
    }
    if (r)
        *r = c->r;
}

void http_codec_free(struct http_codec *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        struct layer *l = &c->L[i];
        if (!l->init)
            continue;
        if (l->t == HC_GZIP || l->t == HC_DEFLATE)
            inflateEnd(&l->z);
        else if (l->t == HC_BR)
            BrotliDecoderDestroyInstance(l->br);
        else if (l->t == HC_ZSTD)
            ZSTD_freeDStream(l->zs);
    }
    free(c->hold);
    free(c);
}
