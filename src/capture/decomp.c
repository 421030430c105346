/* decomp.c - byte stream with in-process decompression (see decomp.h). */
#define ZLIB_CONST
#include "capture/decomp.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "util/xalloc.h"

#define DECOMP_INBUF (256u * 1024u)     /* compressed bytes read at a time */
#define DECOMP_DETECT 16u               /* bytes wanted before detecting */
#define DECOMP_MAXOUT (1u << 30)        /* per call; the libraries count in unsigned int */

enum dstate { DS_OK, DS_EOF, DS_ERR };

static uint64_t lzma_memlimit = DECOMP_LZMA_MEMLIMIT;

void decomp_set_lzma_memlimit(uint64_t bytes) { lzma_memlimit = bytes; }

struct decomp {
    char *name;
    enum decomp_kind kind;
    enum dstate state;
    int fd;                     /* -1 for a memory source */
    const uint8_t *in;          /* raw bytes: inbuf, or the memory range */
    uint8_t *inbuf;             /* owned buffer for an fd source */
    size_t inlen;               /* valid bytes at in */
    size_t inoff;               /* next unconsumed raw byte */
    bool raw_eof;               /* no more raw bytes beyond in[0..inlen) */
    uint64_t raw_base;          /* raw file offset of in[0] */
    bool lib_ready;             /* the decoder below is initialised */
    bool between;               /* gzip/bzip2: a member ended, maybe another follows */
    bool frame_open;            /* zstd: inside a frame */
    union {
        z_stream z;
        lzma_stream x;
        bz_stream b;
        ZSTD_DStream *zs;
    } u;
    char err[512];
};

static void set_err(struct decomp *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct decomp *d, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(d->err, sizeof d->err, "%s: ", d->name);
    if (k < 0 || (size_t)k >= sizeof d->err) k = 0;
    va_start(ap, fmt);
    vsnprintf(d->err + k, sizeof d->err - (size_t)k, fmt, ap);
    va_end(ap);
    d->state = DS_ERR;
}

static uint64_t raw_off(const struct decomp *d) { return d->raw_base + d->inoff; }

enum decomp_kind decomp_detect(const uint8_t *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return DECOMP_GZIP;
    if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) return DECOMP_XZ;
    if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
        return DECOMP_BZIP2;
    if (n >= 4 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd && p[0] == 0x28) return DECOMP_ZSTD;
    /* zstd skippable frame: 0x184D2A50..5F little-endian */
    if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
        return DECOMP_ZSTD;
    /* .lzma has no magic: properties byte < 225, a dictionary size that is
     * 2^n or 2^n + 2^(n-1) (or all ones), a plausible uncompressed size. */
    if (n >= 13 && p[0] < 225) {
        uint32_t dict = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
                        (uint32_t)p[4] << 24;
        uint64_t size = 0;
        for (int i = 0; i < 8; i++) size |= (uint64_t)p[5 + i] << (8 * i);
        bool dict_ok = dict == UINT32_MAX;
        for (int b = 12; b < 32 && !dict_ok; b++) {
            uint32_t v = (uint32_t)1 << b;
            if (dict == v || (b > 0 && dict == v + (v >> 1))) dict_ok = true;
        }
        if (dict_ok && (size == UINT64_MAX || size < ((uint64_t)1 << 48))) return DECOMP_LZMA;
    }
    return DECOMP_NONE;
}

const char *decomp_kind_name(enum decomp_kind k)
{
    switch (k) {
    case DECOMP_GZIP: return "gzip";
    case DECOMP_XZ: return "xz";
    case DECOMP_LZMA: return "lzma";
    case DECOMP_BZIP2: return "bzip2";
    case DECOMP_ZSTD: return "zstd";
    case DECOMP_NONE: break;
    }
    return "none";
}

/* Read more raw bytes from the fd into inbuf (keeping the unconsumed ones).
 * Returns 1 when bytes were added, 0 at end of file, -1 on a read error. */
static int fill(struct decomp *d)
{
    if (d->raw_eof) return 0;
    if (d->inoff > 0) {
        size_t keep = d->inlen - d->inoff;
        memmove(d->inbuf, d->inbuf + d->inoff, keep);
        d->raw_base += d->inoff;
        d->inlen = keep;
        d->inoff = 0;
    }
    if (d->inlen == DECOMP_INBUF) return 1;     /* full: nothing to add, caller has data */
    for (;;) {
        ssize_t r = read(d->fd, d->inbuf + d->inlen, DECOMP_INBUF - d->inlen);
        if (r > 0) { d->inlen += (size_t)r; return 1; }
        if (r == 0) { d->raw_eof = true; return 0; }
        if (errno == EINTR) continue;
        set_err(d, "read error at offset %llu: %s",
                (unsigned long long)(d->raw_base + d->inlen), strerror(errno));
        return -1;
    }
}

static bool lib_init(struct decomp *d, char *err, size_t errlen)
{
    const char *what = NULL;
    switch (d->kind) {
    case DECOMP_NONE:
        return true;
    case DECOMP_GZIP:
        memset(&d->u.z, 0, sizeof d->u.z);
        if (inflateInit2(&d->u.z, 15 + 16) != Z_OK) what = "zlib";
        break;
    case DECOMP_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        d->u.x = init;
        if (lzma_stream_decoder(&d->u.x, lzma_memlimit, LZMA_CONCATENATED) != LZMA_OK)
            what = "liblzma";
        break;
    }
    case DECOMP_LZMA: {
        lzma_stream init = LZMA_STREAM_INIT;
        d->u.x = init;
        if (lzma_alone_decoder(&d->u.x, lzma_memlimit) != LZMA_OK) what = "liblzma";
        break;
    }
    case DECOMP_BZIP2:
        memset(&d->u.b, 0, sizeof d->u.b);
        if (BZ2_bzDecompressInit(&d->u.b, 0, 0) != BZ_OK) what = "libbz2";
        break;
    case DECOMP_ZSTD:
        d->u.zs = ZSTD_createDStream();
        if (!d->u.zs || ZSTD_isError(ZSTD_initDStream(d->u.zs))) {
            ZSTD_freeDStream(d->u.zs);
            what = "libzstd";
        }
        break;
    }
    if (what) {
        snprintf(err, errlen, "%s: cannot initialise the %s decoder", d->name, what);
        return false;
    }
    d->lib_ready = true;
    return true;
}

static void lib_end(struct decomp *d)
{
    if (!d->lib_ready) return;
    switch (d->kind) {
    case DECOMP_GZIP: inflateEnd(&d->u.z); break;
    case DECOMP_XZ: case DECOMP_LZMA: lzma_end(&d->u.x); break;
    case DECOMP_BZIP2: BZ2_bzDecompressEnd(&d->u.b); break;
    case DECOMP_ZSTD: ZSTD_freeDStream(d->u.zs); break;
    case DECOMP_NONE: break;
    }
    d->lib_ready = false;
}

static struct decomp *dnew(const char *name)
{
    struct decomp *d = xcalloc(1, sizeof *d);
    d->name = xstrdup(name);
    d->fd = -1;
    return d;
}

struct decomp *decomp_open_fd(int fd, const char *name, char *err, size_t errlen)
{
    struct decomp *d = dnew(name);
    d->fd = fd;
    d->inbuf = xmalloc(DECOMP_INBUF);
    d->in = d->inbuf;
    while (d->inlen < DECOMP_DETECT) {
        int r = fill(d);
        if (r < 0) {
            snprintf(err, errlen, "%s", d->err);
            decomp_free(d);
            return NULL;
        }
        if (r == 0) break;
    }
    d->kind = decomp_detect(d->in, d->inlen);
    if (!lib_init(d, err, errlen)) { decomp_free(d); return NULL; }
    return d;
}

struct decomp *decomp_open_mem(const uint8_t *p, size_t n, const char *name, char *err,
                               size_t errlen)
{
    struct decomp *d = dnew(name);
    d->in = p;
    d->inlen = n;
    d->raw_eof = true;
    d->kind = decomp_detect(p, n);
    if (!lib_init(d, err, errlen)) { decomp_free(d); return NULL; }
    return d;
}

const uint8_t *decomp_view(const struct decomp *d, size_t *n)
{
    if (d->fd >= 0 || d->kind != DECOMP_NONE || d->inoff != 0) return NULL;
    *n = d->inlen;
    return d->in;
}

/* Between gzip members or bzip2 streams: another one, trailing zeros (ignored,
 * as gzip does), or garbage.  Returns 1 = a new member starts, 0 = clean end,
 * -1 = error set. */
static int next_member(struct decomp *d, const uint8_t *magic, size_t mlen)
{
    for (;;) {
        while (d->inoff < d->inlen && d->in[d->inoff] == 0) d->inoff++;
        size_t avail = d->inlen - d->inoff;
        if (avail == 0 || (avail < mlen && !d->raw_eof)) {
            int r = fill(d);
            if (r < 0) return -1;
            if (r == 0 && d->inlen == d->inoff) return 0;
            if (r == 0 && d->inlen - d->inoff < mlen) break;
            continue;
        }
        break;
    }
    size_t avail = d->inlen - d->inoff;
    if (avail >= mlen && memcmp(d->in + d->inoff, magic, mlen) == 0) return 1;
    set_err(d, "corrupt %s data at compressed offset %llu (trailing garbage)",
            decomp_kind_name(d->kind), (unsigned long long)raw_off(d));
    return -1;
}

static void truncated(struct decomp *d)
{
    set_err(d, "truncated %s data (the file ends inside the compressed stream, at offset %llu)",
            decomp_kind_name(d->kind), (unsigned long long)raw_off(d));
}

/* Each step: returns bytes produced (>= 0) or -1 with the state set. */
static ssize_t step_gzip(struct decomp *d, uint8_t *buf, size_t n)
{
    z_stream *z = &d->u.z;
    if (d->between) {
        int r = next_member(d, (const uint8_t *)"\x1f\x8b", 2);
        if (r <= 0) { if (r == 0) d->state = DS_EOF; return r < 0 ? -1 : 0; }
        inflateReset(z);
        d->between = false;
    }
    if (d->inoff == d->inlen && fill(d) < 0) return -1;
    size_t before = d->inlen - d->inoff;
    z->next_in = d->in + d->inoff;
    z->avail_in = (uInt)(d->inlen - d->inoff);
    z->next_out = buf;
    z->avail_out = (uInt)n;
    int ret = inflate(z, Z_NO_FLUSH);
    d->inoff = d->inlen - z->avail_in;
    size_t got = n - z->avail_out;
    if (ret == Z_STREAM_END) d->between = true;
    else if (got == 0 && before == 0 && d->raw_eof) { truncated(d); return -1; }
    else if (ret != Z_OK && ret != Z_BUF_ERROR) {
        set_err(d, "corrupt gzip data at compressed offset %llu (%s)",
                (unsigned long long)raw_off(d), z->msg ? z->msg : "inflate failed");
        return got ? (ssize_t)got : -1;         /* the bytes before the damage first */
    }
    return (ssize_t)got;
}

static ssize_t step_lzma(struct decomp *d, uint8_t *buf, size_t n)
{
    lzma_stream *x = &d->u.x;
    if (d->between) { d->state = DS_EOF; return 0; }
    if (d->inoff == d->inlen && fill(d) < 0) return -1;
    x->next_in = d->in + d->inoff;
    x->avail_in = d->inlen - d->inoff;
    x->next_out = buf;
    x->avail_out = n;
    lzma_ret ret = lzma_code(x, (d->raw_eof && x->avail_in == 0) ? LZMA_FINISH : LZMA_RUN);
    d->inoff = d->inlen - x->avail_in;
    size_t got = n - x->avail_out;
    const char *why = NULL;
    switch (ret) {
    case LZMA_OK: break;
    case LZMA_STREAM_END:
        d->between = true;
        if (got == 0) { d->state = DS_EOF; return 0; }
        break;
    case LZMA_BUF_ERROR: truncated(d); return -1;
    case LZMA_MEMLIMIT_ERROR: why = "needs too much memory"; break;
    case LZMA_FORMAT_ERROR: why = "bad header"; break;
    case LZMA_OPTIONS_ERROR: why = "unsupported options"; break;
    case LZMA_DATA_ERROR: why = "data error"; break;
    case LZMA_MEM_ERROR: why = "out of memory"; break;
    default: why = "decoder error"; break;
    }
    if (why) {
        set_err(d, "corrupt %s data at compressed offset %llu (%s)", decomp_kind_name(d->kind),
                (unsigned long long)raw_off(d), why);
        return got ? (ssize_t)got : -1;
    }
    return (ssize_t)got;
}

static ssize_t step_bzip2(struct decomp *d, uint8_t *buf, size_t n)
{
    bz_stream *b = &d->u.b;
    if (d->between) {
        int r = next_member(d, (const uint8_t *)"BZh", 3);
        if (r <= 0) { if (r == 0) d->state = DS_EOF; return r < 0 ? -1 : 0; }
        BZ2_bzDecompressEnd(b);
        memset(b, 0, sizeof *b);
        if (BZ2_bzDecompressInit(b, 0, 0) != BZ_OK) {
            d->lib_ready = false;
            set_err(d, "cannot initialise the libbz2 decoder");
            return -1;
        }
        d->between = false;
    }
    if (d->inoff == d->inlen && fill(d) < 0) return -1;
    size_t before = d->inlen - d->inoff;
    b->next_in = (char *)(uintptr_t)(d->in + d->inoff);
    b->avail_in = (unsigned)(d->inlen - d->inoff);
    b->next_out = (char *)buf;
    b->avail_out = (unsigned)n;
    int ret = BZ2_bzDecompress(b);
    d->inoff = d->inlen - b->avail_in;
    size_t got = n - b->avail_out;
    if (ret == BZ_STREAM_END) d->between = true;
    else if (ret == BZ_OK && got == 0 && before == 0 && d->raw_eof) { truncated(d); return -1; }
    else if (ret != BZ_OK) {
        set_err(d, "corrupt bzip2 data at compressed offset %llu (%s)",
                (unsigned long long)raw_off(d),
                ret == BZ_DATA_ERROR_MAGIC ? "bad magic" :
                ret == BZ_MEM_ERROR ? "out of memory" : "data error");
        return got ? (ssize_t)got : -1;
    }
    return (ssize_t)got;
}

static ssize_t step_zstd(struct decomp *d, uint8_t *buf, size_t n)
{
    if (d->inoff == d->inlen && fill(d) < 0) return -1;
    size_t before = d->inlen - d->inoff;
    if (before == 0 && d->raw_eof && !d->frame_open) { d->state = DS_EOF; return 0; }
    ZSTD_inBuffer in = { d->in + d->inoff, d->inlen - d->inoff, 0 };
    ZSTD_outBuffer out = { buf, n, 0 };
    size_t ret = ZSTD_decompressStream(d->u.zs, &out, &in);
    d->inoff += in.pos;
    if (ZSTD_isError(ret)) {
        set_err(d, "corrupt zstd data at compressed offset %llu (%s)",
                (unsigned long long)raw_off(d), ZSTD_getErrorName(ret));
        return out.pos ? (ssize_t)out.pos : -1;
    }
    d->frame_open = ret != 0;
    if (out.pos == 0 && before == 0 && d->raw_eof) { truncated(d); return -1; }
    return (ssize_t)out.pos;
}

ssize_t decomp_read(struct decomp *d, uint8_t *buf, size_t n)
{
    if (d->state == DS_EOF || n == 0) return 0;
    if (d->state == DS_ERR) return -1;
    if (n > DECOMP_MAXOUT) n = DECOMP_MAXOUT;
    if (d->kind == DECOMP_NONE) {
        if (d->inoff < d->inlen) {
            size_t k = d->inlen - d->inoff;
            if (k > n) k = n;
            memcpy(buf, d->in + d->inoff, k);
            d->inoff += k;
            return (ssize_t)k;
        }
        if (d->raw_eof) { d->state = DS_EOF; return 0; }
        for (;;) {
            ssize_t r = read(d->fd, buf, n);
            if (r > 0) { d->raw_base += (uint64_t)r; return r; }
            if (r == 0) { d->raw_eof = true; d->state = DS_EOF; return 0; }
            if (errno == EINTR) continue;
            set_err(d, "read error at offset %llu: %s", (unsigned long long)raw_off(d),
                    strerror(errno));
            return -1;
        }
    }
    for (;;) {
        ssize_t got;
        switch (d->kind) {
        case DECOMP_GZIP: got = step_gzip(d, buf, n); break;
        case DECOMP_XZ: case DECOMP_LZMA: got = step_lzma(d, buf, n); break;
        case DECOMP_BZIP2: got = step_bzip2(d, buf, n); break;
        case DECOMP_ZSTD: got = step_zstd(d, buf, n); break;
        default: got = -1; break;
        }
        if (got > 0) return got;                /* an error found meanwhile comes next call */
        if (got < 0) { d->state = DS_ERR; return -1; }
        if (d->state == DS_EOF) return 0;
        /* nothing produced yet (headers, or more input needed): go on */
    }
}

const char *decomp_error(const struct decomp *d) { return d->err; }

enum decomp_kind decomp_kind(const struct decomp *d) { return d->kind; }

uint64_t decomp_pos(const struct decomp *d) { return raw_off(d); }

uint64_t decomp_known_size(const struct decomp *d)
{
    return (d->kind == DECOMP_NONE && d->fd < 0) ? d->inlen : 0;
}

void decomp_free(struct decomp *d)
{
    if (!d) return;
    lib_end(d);
    free(d->inbuf);
    free(d->name);
    free(d);
}
