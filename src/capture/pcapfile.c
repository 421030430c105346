/* pcapfile.c - streaming pcap / pcapng reader (see pcapfile.h). */
#include "capture/pcapfile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rd.h"
#include "util/xalloc.h"

#define PF_BUFSZ (1024u * 1024u)        /* read buffer; also the largest block loaded whole */
#define PF_MAX_IFS 4096u                /* interfaces per pcapng section */

#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 1u
#define NG_PB 2u                        /* obsolete Packet Block */
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_BOM 0x1A2B3C4Du

enum pf_fmt { PF_PCAP, PF_PCAPNG };
enum pf_state { PF_OK, PF_EOF, PF_ERR };

struct pf_if {
    int linktype;
    uint32_t snaplen;
    uint64_t units;             /* timestamp ticks per second */
    int64_t offset_s;           /* if_tsoffset */
};

struct pcapfile {
    struct decomp *src;
    char *name;
    uint8_t *buf;
    size_t cap;                 /* PF_BUFSZ, less for a small in-memory capture */
    size_t len;                 /* valid bytes in buf */
    size_t off;                 /* cursor */
    uint64_t base;              /* stream offset of buf[0] */
    bool src_eof;
    bool src_err;
    bool mapped;                /* buf is the whole input, read in place (not ours) */
    enum pf_fmt fmt;
    enum pf_state state;
    bool be;                    /* current byte order is big-endian */
    int first_dlt;
    /* pcap */
    int linktype;
    unsigned rechdr;            /* 16, or 24 for Kuznetsov's format */
    bool nsec;
    bool maybe_swapped;         /* version < 2.3: caplen/len may be inverted */
    /* pcapng */
    struct pf_if *ifs;
    size_t nifs;
    size_t ifcap;
    char err[512];
};

static void pf_err(struct pcapfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define PF_BLAME_READ (4u * PF_BUFSZ)   /* decompressed bytes read to find the real damage */

/* Damage in decompressed data often comes from corrupt compressed data that
 * the decoder only notices a little later (at the latest at its checksum):
 * read on a little, and if the decoder fails, report that instead. */
static bool blame_source(struct pcapfile *f)
{
    if (decomp_kind(f->src) == DECOMP_NONE || f->src_err || f->src_eof) return false;
    for (size_t total = 0; total < PF_BLAME_READ;) {
        ssize_t r = decomp_read(f->src, f->buf, f->cap);
        if (r == 0) return false;
        if (r < 0) {
            snprintf(f->err, sizeof f->err, "%s", decomp_error(f->src));
            return true;
        }
        total += (size_t)r;
    }
    return false;
}

static void pf_err(struct pcapfile *f, const char *fmt, ...)
{
    va_list ap;
    f->state = PF_ERR;
    if (blame_source(f)) return;
    int k = snprintf(f->err, sizeof f->err, "%s: ", f->name);
    if (k < 0 || (size_t)k >= sizeof f->err) k = 0;
    va_start(ap, fmt);
    vsnprintf(f->err + k, sizeof f->err - (size_t)k, fmt, ap);
    va_end(ap);
}

static inline uint32_t pf_le32(const uint8_t *q)
{
    return ((uint32_t)q[3] << 24) | ((uint32_t)q[2] << 16) | ((uint32_t)q[1] << 8) | q[0];
}

static inline uint32_t g32(const struct pcapfile *f, const uint8_t *q)
{
    return f->be ? ld_be32(q) : pf_le32(q);
}

static inline uint16_t g16(const struct pcapfile *f, const uint8_t *q)
{
    return f->be ? (uint16_t)((q[0] << 8) | q[1]) : (uint16_t)((q[1] << 8) | q[0]);
}

static inline size_t avail(const struct pcapfile *f) { return f->len - f->off; }
static inline uint64_t cur_off(const struct pcapfile *f) { return f->base + f->off; }

/* Make n (<= PF_BUFSZ) bytes available at the cursor.  false when the input
 * ends (or fails: src_err) first; whatever was read stays buffered. */
static bool ensure_slow(struct pcapfile *f, size_t n)
{
    if (f->mapped) return avail(f) >= n;
    if (f->off > 0) {
        size_t keep = f->len - f->off;
        if (keep) memmove(f->buf, f->buf + f->off, keep);
        f->base += f->off;
        f->len = keep;
        f->off = 0;
    }
    while (f->len < n) {
        if (f->src_eof || f->src_err) return false;
        ssize_t r = decomp_read(f->src, f->buf + f->len, f->cap - f->len);
        if (r > 0) f->len += (size_t)r;
        else if (r == 0) f->src_eof = true;
        else f->src_err = true;
    }
    return true;
}

static inline bool ensure(struct pcapfile *f, size_t n)
{
    return avail(f) >= n || ensure_slow(f, n);
}

/* Discard n bytes from the cursor, reading through the stream. */
static bool skip(struct pcapfile *f, uint64_t n)
{
    for (;;) {
        size_t a = avail(f);
        if (n <= a) { f->off += (size_t)n; return true; }
        n -= a;
        f->base += f->len;
        f->off = f->len = 0;
        if (!ensure_slow(f, 1)) return false;
    }
}

/* Damage caused by the end of the input (or a read/decompression error,
 * whose message wins). */
static int short_input(struct pcapfile *f, uint64_t at, const char *what, const char *inside)
{
    if (f->src_err) {
        snprintf(f->err, sizeof f->err, "%s", decomp_error(f->src));
        f->state = PF_ERR;
    } else {
        pf_err(f, "truncated %s at offset %llu (file ends inside %s)", what,
               (unsigned long long)at, inside);
    }
    return -1;
}

/* ---- timestamps ---- */

/* a * b / c for a < c without overflow (c > 0). */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
#ifdef __SIZEOF_INT128__
    return (uint64_t)((unsigned __int128)a * b / c);
#else
    return (uint64_t)((long double)a * (long double)b / (long double)c);
#endif
}

static int64_t ng_ts_us(const struct pf_if *ifc, uint64_t t)
{
    uint64_t us;
    if (ifc->units == 1000000u) {
        us = t;
    } else {
        uint64_t sec = t / ifc->units, frac = t % ifc->units;
        us = sec * 1000000u + muldiv(frac, 1000000u, ifc->units);
    }
    us += (uint64_t)ifc->offset_s * 1000000u;  /* wraps rather than overflowing */
    return (int64_t)us;
}

/* ---- classic pcap ---- */

static int pcap_next_rec(struct pcapfile *f, struct capture_pkt *out)
{
    const unsigned h = f->rechdr;
    if (!ensure(f, h)) {
        if (avail(f) == 0 && !f->src_err) { f->state = PF_EOF; return 0; }
        return short_input(f, cur_off(f), "record header", "a record header");
    }
    const uint8_t *p = f->buf + f->off;
    uint32_t sec = g32(f, p), frac = g32(f, p + 4);
    uint32_t caplen = g32(f, p + 8), wirelen = g32(f, p + 12);
    if (f->maybe_swapped && caplen > wirelen) { uint32_t t = caplen; caplen = wirelen; wirelen = t; }
    if (caplen > CAPTURE_MAX_CAPLEN) {
        pf_err(f, "record at offset %llu has caplen %u, more than the limit of %u (corrupt file?)",
               (unsigned long long)cur_off(f), caplen, CAPTURE_MAX_CAPLEN);
        return -1;
    }
    if (!ensure(f, h + caplen))
        return short_input(f, cur_off(f), "record", "a packet");
    p = f->buf + f->off;
    out->ts_us = (int64_t)((uint64_t)sec * 1000000u + (f->nsec ? frac / 1000u : frac));
    out->caplen = caplen;
    out->wirelen = wirelen;
    out->dlt = f->linktype;
    out->data = p + h;
    f->off += h + caplen;
    return 1;
}

/* ---- pcapng ---- */

static bool add_if(struct pcapfile *f, const struct pf_if *ifc, uint64_t at)
{
    if (f->nifs >= PF_MAX_IFS) {
        pf_err(f, "too many interfaces (more than %u) at offset %llu", PF_MAX_IFS,
               (unsigned long long)at);
        return false;
    }
    if (f->nifs == f->ifcap) {
        f->ifcap = f->ifcap ? f->ifcap * 2 : 8;
        f->ifs = xreallocarray(f->ifs, f->ifcap, sizeof *f->ifs);
    }
    f->ifs[f->nifs++] = *ifc;
    if (f->first_dlt < 0) f->first_dlt = ifc->linktype;
    return true;
}

/* Parse the whole IDB at p (blen bytes, already validated and buffered). */
static bool parse_idb(struct pcapfile *f, const uint8_t *p, uint32_t blen, uint64_t at)
{
    struct pf_if ifc = { g16(f, p + 8), g32(f, p + 12), 1000000u, 0 };
    size_t o = 16, end = blen - 4;
    uint8_t res = 0;
    while (end - o >= 4) {
        uint16_t code = g16(f, p + o), olen = g16(f, p + o + 2);
        o += 4;
        if (code == 0) break;                     /* opt_endofopt */
        if (olen > end - o) {
            pf_err(f, "bad option length %u in interface description block at offset %llu",
                   olen, (unsigned long long)at);
            return false;
        }
        const uint8_t *v = p + o;
        if (code == 9 && olen >= 1) {             /* if_tsresol */
            res = v[0];
            unsigned e = v[0] & 0x7f;
            if (v[0] & 0x80) {
                if (e > 63) goto badres;
                ifc.units = (uint64_t)1 << e;
            } else {
                if (e > 19) goto badres;
                ifc.units = 1;
                for (unsigned i = 0; i < e; i++) ifc.units *= 10;
            }
        } else if (code == 14 && olen >= 8) {     /* if_tsoffset */
            /* a 64-bit value in the section's byte order */
            uint64_t w0 = g32(f, v), w1 = g32(f, v + 4);
            uint64_t val = f->be ? (w0 << 32 | w1) : (w1 << 32 | w0);
            ifc.offset_s = (int64_t)val;
        }
        size_t padded = ((size_t)olen + 3u) & ~(size_t)3u;
        if (padded > end - o) padded = end - o;
        o += padded;
    }
    return add_if(f, &ifc, at);
badres:
    pf_err(f, "unsupported if_tsresol 0x%02x in interface description block at offset %llu",
           res, (unsigned long long)at);
    return false;
}

/* The SHB at the cursor: byte order, version, a new set of interfaces. */
static bool parse_shb(struct pcapfile *f, uint32_t *blen_out)
{
    uint64_t at = cur_off(f);
    if (!ensure(f, 28)) {
        short_input(f, at, "section header block", "a block");
        return false;
    }
    const uint8_t *p = f->buf + f->off;
    uint32_t bom = ld_be32(p + 8);
    if (bom == NG_BOM) f->be = true;
    else if (bom == 0x4D3C2B1Au) f->be = false;
    else {
        pf_err(f, "bad byte-order magic 0x%08x in section header block at offset %llu", bom,
               (unsigned long long)at);
        return false;
    }
    uint32_t blen = g32(f, p + 4);
    uint16_t major = g16(f, p + 12), minor = g16(f, p + 14);
    if (blen < 28 || blen % 4 != 0 || blen > PF_BUFSZ) {
        pf_err(f, "bad block length %u at offset %llu", blen, (unsigned long long)at);
        return false;
    }
    if (major != 1) {
        pf_err(f, "unsupported pcapng version %u.%u at offset %llu", major, minor,
               (unsigned long long)at);
        return false;
    }
    f->nifs = 0;
    *blen_out = blen;
    return true;
}

/* Handle one pcapng block.  1 = a packet in *out, 2 = a non-packet block
 * consumed, 0 = clean end, -1 = error. */
/* A packet block (EPB, PB or SPB) of blen bytes at p (long enough for its
 * fixed fields): the record, checked against its interface and block. */
static int ng_packet(struct pcapfile *f, uint32_t type, const uint8_t *p, uint32_t blen, uint64_t at,
                     struct capture_pkt *out)
{
    uint32_t ifid, caplen, wirelen, hdr;
    uint64_t ts = 0;
    switch (type) {
    case NG_EPB:
        ifid = g32(f, p + 8);
        ts = (uint64_t)g32(f, p + 12) << 32 | g32(f, p + 16);
        caplen = g32(f, p + 20);
        wirelen = g32(f, p + 24);
        hdr = 28;
        break;
    case NG_PB:
        ifid = g16(f, p + 8);
        ts = (uint64_t)g32(f, p + 12) << 32 | g32(f, p + 16);
        caplen = g32(f, p + 20);
        wirelen = g32(f, p + 24);
        hdr = 28;
        break;
    default: /* NG_SPB */
        ifid = 0;
        wirelen = g32(f, p + 8);
        hdr = 12;
        caplen = blen - 16;
        if (caplen > wirelen) caplen = wirelen;
        break;
    }
    if (ifid >= f->nifs) {
        pf_err(f, "packet for undefined interface %u at offset %llu (%zu interface%s defined)",
               ifid, (unsigned long long)at, f->nifs, f->nifs == 1 ? "" : "s");
        return -1;
    }
    const struct pf_if *ifc = &f->ifs[ifid];
    if (type == NG_SPB && ifc->snaplen && caplen > ifc->snaplen) caplen = ifc->snaplen;
    if (caplen > CAPTURE_MAX_CAPLEN) {
        pf_err(f, "packet at offset %llu has caplen %u, more than the limit of %u (corrupt file?)",
               (unsigned long long)at, caplen, CAPTURE_MAX_CAPLEN);
        return -1;
    }
    if (caplen > blen - hdr - 4) {
        pf_err(f, "packet at offset %llu has caplen %u, more than its block holds (%u)",
               (unsigned long long)at, caplen, blen - hdr - 4);
        return -1;
    }
    out->ts_us = type == NG_SPB ? 0 : ng_ts_us(ifc, ts);
    out->caplen = caplen;
    out->wirelen = wirelen;
    out->dlt = ifc->linktype;
    out->data = p + hdr;
    f->off += blen;
    return 1;
}

static int ng_block(struct pcapfile *f, struct capture_pkt *out)
{
    uint64_t at = cur_off(f);
    if (!ensure(f, 12)) {
        if (avail(f) == 0 && !f->src_err) { f->state = PF_EOF; return 0; }
        return short_input(f, at, "block header", "a block header");
    }
    const uint8_t *p = f->buf + f->off;
    uint32_t type = g32(f, p), blen, tail;
    if (type == NG_SHB) {
        if (!parse_shb(f, &blen)) return -1;
    } else {
        blen = g32(f, p + 4);
        if (blen < 12 || blen % 4 != 0) {
            pf_err(f, "bad block length %u at offset %llu (block type 0x%08x)", blen,
                   (unsigned long long)at, type);
            return -1;
        }
    }
    bool whole = type == NG_SHB || type == NG_IDB || type == NG_EPB || type == NG_SPB ||
                 type == NG_PB;
    if (!whole) {
        /* skipped by its length; the trailing length must still match */
        if (!skip(f, blen - 4) || !ensure(f, 4))
            return short_input(f, at, "block", "a block");
        tail = g32(f, f->buf + f->off);
        if (tail != blen) goto badtail;
        f->off += 4;
        return 2;
    }
    if (blen > PF_BUFSZ) {
        pf_err(f, "block too large (%u bytes) at offset %llu", blen, (unsigned long long)at);
        return -1;
    }
    if (!ensure(f, blen)) return short_input(f, at, "block", "a block");
    p = f->buf + f->off;
    tail = g32(f, p + blen - 4);
    if (tail != blen) goto badtail;

    if (type == NG_SHB) {
        f->off += blen;
        return 2;
    }
    if (type == NG_IDB) {
        if (blen < 20) goto badlen;
        if (!parse_idb(f, p, blen, at)) return -1;
        f->off += blen;
        return 2;
    }
    if (blen < (type == NG_SPB ? 16u : 32u)) goto badlen;
    return ng_packet(f, type, p, blen, at, out);

badlen:
    pf_err(f, "bad block length %u at offset %llu (too short for block type %u)", blen,
           (unsigned long long)at, type);
    return -1;
badtail:
    pf_err(f, "bad block at offset %llu: trailing length %u differs from the block length %u",
           (unsigned long long)at, tail, blen);
    return -1;
}

/* ---- public ---- */

int pcapfile_next(struct pcapfile *f, struct capture_pkt *out)
{
    if (f->state == PF_EOF) return 0;
    if (f->state == PF_ERR) return -1;
    if (f->fmt == PF_PCAP) return pcap_next_rec(f, out);
    for (;;) {
        int r = ng_block(f, out);
        if (r != 2) return r;
    }
}

static void fail_open(struct pcapfile *f, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_open(struct pcapfile *f, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(err, errlen, "%s: ", f->name);
    if (k < 0 || (size_t)k >= errlen) return;
    va_start(ap, fmt);
    vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

static bool open_pcap(struct pcapfile *f, uint32_t magic_le, char *err, size_t errlen)
{
    if (!ensure(f, 24)) {
        if (f->src_err) snprintf(err, errlen, "%s", decomp_error(f->src));
        else fail_open(f, err, errlen, "truncated pcap file header (%zu of 24 bytes)", avail(f));
        return false;
    }
    const uint8_t *p = f->buf + f->off;
    switch (magic_le) {
    case 0xa1b2c3d4u: f->be = false; break;
    case 0xd4c3b2a1u: f->be = true; break;
    case 0xa1b23c4du: f->be = false; f->nsec = true; break;
    case 0x4d3cb2a1u: f->be = true; f->nsec = true; break;
    case 0xa1b2cd34u: f->be = false; f->rechdr = 24; break;
    default /* 0x34cdb2a1 */: f->be = true; f->rechdr = 24; break;
    }
    uint16_t major = g16(f, p + 4), minor = g16(f, p + 6);
    if (major != 2 && !(major == 543 && minor == 0)) {
        fail_open(f, err, errlen, "unsupported pcap format version %u.%u", major, minor);
        return false;
    }
    f->maybe_swapped = major == 2 && minor < 3;
    f->linktype = (int)(g32(f, p + 20) & 0xffffu);  /* upper bits: FCS length, reserved */
    f->first_dlt = f->linktype;
    f->off += 24;
    return true;
}

static bool open_pcapng(struct pcapfile *f, char *err, size_t errlen)
{
    uint32_t blen;
    if (!parse_shb(f, &blen) || !ensure(f, blen) ||
        g32(f, f->buf + f->off + blen - 4) != blen) {
        if (f->state == PF_ERR) snprintf(err, errlen, "%s", f->err);
        else if (f->src_err) snprintf(err, errlen, "%s", decomp_error(f->src));
        else if (avail(f) < blen)
            fail_open(f, err, errlen, "truncated pcapng section header block (%zu of %u bytes)",
                      avail(f), blen);
        else fail_open(f, err, errlen, "bad trailing length in the pcapng section header block");
        return false;
    }
    f->off += blen;
    /* Read ahead to the first interface so capture_first_dlt() is known; a
     * problem found here is reported by the first pcapfile_next(). */
    while (f->first_dlt < 0 && f->state == PF_OK) {
        if (!ensure(f, 12)) break;
        uint32_t type = g32(f, f->buf + f->off);
        if (type == NG_EPB || type == NG_SPB || type == NG_PB) break;
        struct capture_pkt dummy;
        if (ng_block(f, &dummy) != 2) break;
    }
    return true;
}

struct pcapfile *pcapfile_open(struct decomp *src, const char *name, char *err, size_t errlen)
{
    struct pcapfile *f = xcalloc(1, sizeof *f);
    f->src = src;
    f->name = xstrdup(name);
    size_t vlen;
    const uint8_t *view = decomp_view(src, &vlen);
    if (view) {                         /* read in place: no copy, no refill */
        f->buf = (uint8_t *)(uintptr_t)view;
        f->cap = f->len = vlen;
        f->src_eof = true;
        f->mapped = true;
    } else {
        uint64_t known = decomp_known_size(src);
        f->cap = (known && known < PF_BUFSZ) ? (known < 64 ? 64 : (size_t)known) : PF_BUFSZ;
        f->buf = xmalloc(f->cap);
    }
    f->first_dlt = -1;
    f->rechdr = 16;
    bool ok = false;
    if (!ensure(f, 4)) {
        if (f->src_err) snprintf(err, errlen, "%s", decomp_error(src));
        else if (avail(f) == 0)
            fail_open(f, err, errlen, "empty file%s%s", decomp_kind(src) ? " after " : "",
                      decomp_kind(src) ? decomp_kind_name(decomp_kind(src)) : "");
        else fail_open(f, err, errlen, "not a pcap or pcapng file (only %zu bytes)", avail(f));
    } else {
        const uint8_t *p = f->buf;
        uint32_t m = pf_le32(p);
        switch (m) {
        case 0xa1b2c3d4u: case 0xd4c3b2a1u: case 0xa1b23c4du: case 0x4d3cb2a1u:
        case 0xa1b2cd34u: case 0x34cdb2a1u:
            f->fmt = PF_PCAP;
            ok = open_pcap(f, m, err, errlen);
            break;
        case NG_SHB:
            f->fmt = PF_PCAPNG;
            ok = open_pcapng(f, err, errlen);
            break;
        default:
            fail_open(f, err, errlen, "not a pcap or pcapng file (magic 0x%08x%s%s)", ld_be32(p),
                      decomp_kind(src) ? " after " : "",
                      decomp_kind(src) ? decomp_kind_name(decomp_kind(src)) : "");
            break;
        }
    }
    if (!ok) { pcapfile_free(f); return NULL; }
    return f;
}

const char *pcapfile_error(const struct pcapfile *f) { return f->err; }

int pcapfile_first_dlt(const struct pcapfile *f) { return f->first_dlt; }

uint64_t pcapfile_pos(const struct pcapfile *f)
{
    if (decomp_kind(f->src) == DECOMP_NONE) return cur_off(f);
    return decomp_pos(f->src);
}

const char *pcapfile_format(const struct pcapfile *f)
{
    return f->fmt == PF_PCAP ? "pcap" : "pcapng";
}

void pcapfile_free(struct pcapfile *f)
{
    if (!f) return;
    decomp_free(f->src);
    free(f->ifs);
    if (!f->mapped) free(f->buf);
    free(f->name);
    free(f);
}
