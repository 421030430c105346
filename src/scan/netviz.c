/* netviz.c - the netviz scanner's counting and its PDF page; see netviz.h. */
#include "scan/netviz.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <cairo.h>
#include <cairo-pdf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "scan/scanner.h"
#include "util/htab.h"
#include "util/io.h"
#include "util/outdir.h"
#include "util/xalloc.h"

#define NB 1024                        /* fine time buckets */
#define NCLASS 6                       /* HTTP, HTTPS, SSH, FTP, other TCP/UDP, not TCP/UDP */
#define TOPN 3

enum { TR_IPV4, TR_IPV6, TR_ARP, TR_VLAN, TR_OTHER, TR_N };
static const char *const TR_NAME[TR_N] = { "IPv4", "IPv6", "ARP", "VLAN", "Other" };
static const char *const CLASS_NAME[NCLASS] = { "HTTP", "HTTPS", "SSH", "FTP", "Other ports", "Not TCP/UDP" };
static const double CLASS_RGB[NCLASS][3] = {
    { 0.05, 0.30, 0.75 }, { 0.10, 0.55, 0.20 }, { 0.45, 0.20, 0.60 }, { 0.80, 0.15, 0.10 },
    { 0.95, 0.55, 0.10 }, { 0.60, 0.60, 0.60 },
};

struct aent {
    uint64_t bytes;
    uint8_t fam;                       /* 0: empty slot */
    uint8_t a[16];
};

struct atab {
    struct aent *e;
    size_t cap, n;                     /* cap: power of two */
    uint64_t seed;
};

struct netviz {
    uint64_t packets, bytes;
    int64_t first, last;
    bool any;
    uint64_t tr[TR_N];                 /* bytes by ethertype class */
    /* time histogram: NB buckets of width w us from base */
    int64_t base, w;
    uint64_t hist[NB][NCLASS];
    /* the current frame, until netviz_ip says more */
    int64_t cur_ts;
    uint32_t cur_len;
    bool cur_pending;
    struct atab src, dst;
    uint64_t *sport, *dport;           /* 65,536 each */
    uint64_t port_bytes;               /* bytes of TCP packets */
    uint64_t ip_bytes;                 /* bytes of IP packets */
};

struct netviz *netviz_new(void)
{
    struct netviz *v = xcalloc(1, sizeof *v);
    v->w = 1000;                       /* 1 ms to start with; doubled as the span grows */
    return v;                          /* port tables: at the first TCP segment */
}

void netviz_free(struct netviz *v)
{
    if (!v)
        return;
    free(v->src.e);
    free(v->dst.e);
    free(v->sport);
    free(v->dport);
    free(v);
}

static int port_class(uint16_t p)
{
    switch (p) {
    case 80: case 8080: case 8000: case 8888: case 81: case 82: case 8090: return 0;
    case 443: return 1;
    case 22: return 2;
    case 20: case 21: return 3;
    default: return -1;
    }
}

/* Put bytes at time ts in class c, widening the buckets when ts is past the
 * end (pairs merged: width doubled). */
static void hist_add(struct netviz *v, int64_t ts, int c, uint64_t bytes)
{
    if (ts < v->base)
        ts = v->base;                  /* times going back: into the first bucket */
    while ((ts - v->base) / v->w >= NB) {
        for (int i = 0; i < NB / 2; i++)
            for (int k = 0; k < NCLASS; k++)
                v->hist[i][k] = v->hist[2 * i][k] + v->hist[2 * i + 1][k];
        memset(v->hist[NB / 2], 0, sizeof v->hist[0] * (NB / 2));
        v->w *= 2;
    }
    v->hist[(ts - v->base) / v->w][c] += bytes;
}

static void flush_pending(struct netviz *v, int c)
{
    if (!v->cur_pending)
        return;
    hist_add(v, v->cur_ts, c, v->cur_len);
    v->cur_pending = false;
}

void netviz_frame(struct netviz *v, int64_t ts_us, uint32_t wirelen, int dlt,
                  const uint8_t *frame, uint32_t caplen)
{
    flush_pending(v, NCLASS - 1);      /* the previous frame was not TCP/UDP */
    if (!v->any) {
        v->any = true;
        v->first = v->last = ts_us;
        v->base = ts_us;
    }
    if (ts_us < v->first) v->first = ts_us;
    if (ts_us > v->last) v->last = ts_us;
    v->packets++;
    v->bytes += wirelen;
    if (dlt == 1) {                    /* Ethernet: by ethertype; others are not counted */
        if (caplen >= 14) {
            uint16_t et = (uint16_t)(frame[12] << 8 | frame[13]);
            if (et == 0x0800) v->tr[TR_IPV4] += wirelen;
            else if (et == 0x86DD) v->tr[TR_IPV6] += wirelen;
            else if (et == 0x0806) v->tr[TR_ARP] += wirelen;
            else if (et == 0x8100 || et == 0x88A8) v->tr[TR_VLAN] += wirelen;
        }
    } else {
        v->tr[TR_OTHER] += wirelen;
    }
    v->cur_ts = ts_us;
    v->cur_len = wirelen;
    v->cur_pending = true;
}

/* Where fam/a is in t, or the empty slot where it would go (open
 * addressing, linear probing, under a per-table seed: crafted addresses
 * only lengthen probes by chance). */
static size_t aslot(const struct atab *t, uint8_t fam, const uint8_t a[16])
{
    uint8_t k[17];
    k[0] = fam;
    memcpy(k + 1, a, 16);
    for (size_t i = hash_bytes(k, sizeof k, t->seed) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
        if (!t->e[i].fam || (t->e[i].fam == fam && memcmp(t->e[i].a, a, 16) == 0))
            return i;
}

static void atab_grow(struct atab *t)
{
    struct atab nt = { NULL, t->cap ? t->cap * 2 : 256, t->n, t->seed ? t->seed : hash_seed() };
    nt.e = xcalloc(nt.cap, sizeof *nt.e);
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].fam)
            nt.e[aslot(&nt, t->e[i].fam, t->e[i].a)] = t->e[i];
    free(t->e);
    *t = nt;
}

static void atab_add(struct atab *t, uint8_t fam, const uint8_t a[16], uint64_t bytes)
{
    /* at the cap the table stays half empty: only addresses already there are counted */
    if (t->n * 2 >= t->cap && t->cap < 2 * NETVIZ_MAX_ADDRS)
        atab_grow(t);
    struct aent *e = &t->e[aslot(t, fam, a)];
    if (!e->fam) {
        if (t->n * 2 >= t->cap) return;
        e->fam = fam;
        memcpy(e->a, a, 16);
        t->n++;
    }
    e->bytes += bytes;
}

void netviz_ip(struct netviz *v, int family, const uint8_t src[16], const uint8_t dst[16],
               bool has_ports, uint16_t sport, uint16_t dport)
{
    if (!v->cur_pending)
        return;
    uint32_t len = v->cur_len;
    v->ip_bytes += len;
    atab_add(&v->src, (uint8_t)family, src, len);
    atab_add(&v->dst, (uint8_t)family, dst, len);
    int c = NCLASS - 1;
    if (has_ports) {
        if (!v->sport) {
            v->sport = xcalloc(65536, sizeof *v->sport);
            v->dport = xcalloc(65536, sizeof *v->dport);
        }
        v->sport[sport] += len;
        v->dport[dport] += len;
        v->port_bytes += len;
        int a = port_class(sport), b = port_class(dport);
        c = a >= 0 ? a : b >= 0 ? b : NCLASS - 2;
    }
    flush_pending(v, c);
}

/* ---- numbers as text (1.6.1's forms) ---- */

/* "958 B", "1.02 KB", "2.49 MB", "1.10 GB" (powers of 1000) */
static void fmt_bytes(uint64_t b, char *out, size_t n)
{
    if (b < 1000)
        snprintf(out, n, "%" PRIu64 " B", b);
    else if (b < 1000000)
        snprintf(out, n, "%.2f KB", (double)b / 1e3);
    else if (b < 1000000000)
        snprintf(out, n, "%.2f MB", (double)b / 1e6);
    else if (b < 1000000000000ull)
        snprintf(out, n, "%.2f GB", (double)b / 1e9);
    else
        snprintf(out, n, "%.2f TB", (double)b / 1e12);
}

/* axis labels: whole units ("0 B", "20 KB", "2 MB") */
static void fmt_axis(uint64_t b, char *out, size_t n)
{
    if (b < 1000)
        snprintf(out, n, "%" PRIu64 " B", b);
    else if (b < 1000000)
        snprintf(out, n, "%" PRIu64 " KB", b / 1000);
    else if (b < 1000000000)
        snprintf(out, n, "%" PRIu64 " MB", b / 1000000);
    else
        snprintf(out, n, "%" PRIu64 " GB", b / 1000000000);
}

static void fmt_count(uint64_t x, char *out, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, x);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
}

static void fmt_time(int64_t us, char *out, size_t n)
{
    time_t s = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    struct tm tm;
    if (!localtime_r(&s, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(out, n, "?");
}

static const char *plural(int64_t x) { return x == 1 ? "" : "s"; }

/* "1 minute, 21 seconds (1 second intervals)", "28 seconds (<1 second intervals)" */
static void fmt_span(int64_t span_us, char *out, size_t n)
{
    int64_t s = span_us / 1000000;
    char a[96];
    /* the larger unit whole, the smaller one rounded up (1.6.1's reading) */
#define SPAN2(big, bn, small, sn) do { int64_t q = s / (big), r = (s % (big) + (small) - 1) / (small); \
        snprintf(a, sizeof a, "%" PRId64 " " bn "%s, %" PRId64 " " sn "%s", q, plural(q), r, plural(r)); } while (0)
    if (s < 60)
        snprintf(a, sizeof a, "%" PRId64 " second%s", s, plural(s));
    else if (s < 3600)
        SPAN2(60, "minute", 1, "second");
    else if (s < 86400)
        SPAN2(3600, "hour", 60, "minute");
    else if (s < 86400 * 365)
        SPAN2(86400, "day", 3600, "hour");
    else
        SPAN2(86400 * 365, "year", 86400 * 30, "month");
#undef SPAN2
    /* the interval: the smallest power of two seconds giving at most 100 bars */
    double w = 1.0 / 64;
    while ((double)span_us / 1e6 / w > 100)
        w *= 2;
    if (w < 1)
        snprintf(out, n, "%s (<1 second intervals)", a);
    else
        snprintf(out, n, "%s (%.0f second intervals)", a, w);
}

struct top {
    char label[64];
    uint64_t bytes;
};

/* The n largest entries of an address table (ties: higher address first). */
static size_t top_addrs(const struct atab *t, struct top *out, size_t n)
{
    size_t k = 0;
    const struct aent *best[TOPN + 8];
    for (size_t i = 0; i < t->cap; i++) {
        const struct aent *e = &t->e[i];
        if (!e->fam || !e->bytes)
            continue;
        size_t j = k < n ? k++ : n;
        while (j > 0 && (best[j - 1]->bytes < e->bytes ||
                         (best[j - 1]->bytes == e->bytes &&
                          (best[j - 1]->fam < e->fam ||
                           (best[j - 1]->fam == e->fam && memcmp(best[j - 1]->a, e->a, 16) < 0))))) {
            if (j < n)
                best[j] = best[j - 1];
            j--;
        }
        if (j < n)
            best[j] = e;
    }
    for (size_t i = 0; i < k; i++) {
        if (!inet_ntop(best[i]->fam == 4 ? AF_INET : AF_INET6, best[i]->a, out[i].label, sizeof out[i].label))
            snprintf(out[i].label, sizeof out[i].label, "?");
        out[i].bytes = best[i]->bytes;
    }
    return k;
}

static size_t top_ports(const uint64_t *p, struct top *out, size_t n)
{
    size_t k = 0;
    if (!p)
        return 0;
    uint32_t best[TOPN + 8];
    for (uint32_t i = 0; i < 65536; i++) {
        if (!p[i])
            continue;
        size_t j = k < n ? k++ : n;
        while (j > 0 && p[best[j - 1]] < p[i]) {
            if (j < n)
                best[j] = best[j - 1];
            j--;
        }
        if (j < n)
            best[j] = i;
    }
    for (size_t i = 0; i < k; i++) {
        snprintf(out[i].label, sizeof out[i].label, "%u", best[i]);
        out[i].bytes = p[best[i]];
    }
    return k;
}

static void fmt_top(const struct top *t, size_t i, uint64_t total, char *out, size_t n)
{
    char b[32];
    fmt_bytes(t->bytes, b, sizeof b);
    snprintf(out, n, "%zu) %s - %s (%" PRIu64 "%%)", i + 1, t->label, b,
             total ? t->bytes * 100 / total : 0);
}

/* ---- the page ---- */

struct page {
    char title[64], input[1200], generated[96], range[192], packets[160], transports[160], span[160];
    struct top top[4][TOPN];
    size_t ntop[4];
    uint64_t total[4];
};

static const char *const TABLE[4] = { "Source Addresses", "Destination Addresses", "Source Ports",
                                      "Destination Ports" };

static void make_page(const struct netviz *v, const char *input, struct page *pg)
{
    memset(pg, 0, sizeof *pg);
    snprintf(pg->title, sizeof pg->title, "TCPFLOW 1.6.1");
    snprintf(pg->input, sizeof pg->input, "Input: %s", input ? input : "");
    char t[64], t2[64];
    fmt_time((int64_t)time(NULL) * 1000000, t, sizeof t);
    snprintf(pg->generated, sizeof pg->generated, "Generated: %s", t);
    if (v->any) {
        fmt_time(v->first, t, sizeof t);
        fmt_time(v->last, t2, sizeof t2);
        snprintf(pg->range, sizeof pg->range, "Date range: %s -- %s", t, t2);
    } else {
        snprintf(pg->range, sizeof pg->range, "Date range: none");
    }
    fmt_count(v->packets, t, sizeof t);
    fmt_bytes(v->bytes, t2, sizeof t2);
    snprintf(pg->packets, sizeof pg->packets, "Packets analyzed: %s (%s)", t, t2);
    uint64_t trsum = 0;
    for (int i = 0; i < TR_N; i++)
        trsum += v->tr[i];
    size_t o = (size_t)snprintf(pg->transports, sizeof pg->transports, "Transports:");
    for (int i = 0; i < TR_N && trsum; i++) {
        uint64_t pct = v->tr[i] * 100 / trsum;
        if (pct && o < sizeof pg->transports)
            o += (size_t)snprintf(pg->transports + o, sizeof pg->transports - o, " %s %" PRIu64 "%%",
                                  TR_NAME[i], pct);
    }
    /* whole seconds touched, first and last included (1.6.1's count) */
    int64_t secs = v->any ? v->last / 1000000 - v->first / 1000000 + 1 : 0;
    if (v->packets > 1)                /* one packet: no histogram, no span (1.6.1) */
        fmt_span(secs * 1000000, pg->span, sizeof pg->span);
    pg->ntop[0] = top_addrs(&v->src, pg->top[0], TOPN);
    pg->ntop[1] = top_addrs(&v->dst, pg->top[1], TOPN);
    pg->ntop[2] = top_ports(v->sport, pg->top[2], TOPN);
    pg->ntop[3] = top_ports(v->dport, pg->top[3], TOPN);
    pg->total[0] = pg->total[1] = v->ip_bytes;
    pg->total[2] = pg->total[3] = v->port_bytes;
}

char *netviz_text(struct netviz *v, const char *input)
{
    flush_pending(v, NCLASS - 1);
    struct page pg;
    make_page(v, input, &pg);
    size_t cap = 8192, n = 0;
    char *s = xmalloc(cap);
    n += (size_t)snprintf(s + n, cap - n, "%s\n%s\n%s\n%s\n%s\n%s\n%s%s", pg.title, pg.input, pg.generated,
                          pg.range, pg.packets, pg.transports, pg.span, *pg.span ? "\n" : "");
    for (int t = 0; t < 4; t++) {
        n += (size_t)snprintf(s + n, cap - n, "%s %s\n", pg.ntop[t] ? "Top" : "No", TABLE[t]);
        for (size_t i = 0; i < pg.ntop[t]; i++) {
            char line[160];
            fmt_top(&pg.top[t][i], i, pg.total[t], line, sizeof line);
            n += (size_t)snprintf(s + n, cap - n, "%s\n", line);
        }
    }
    return s;
}

/* ---- cairo, loaded when a page is drawn ---- */

/* The cairo calls we make, from libcairo.so.2 opened at the first page:
 * runs without netviz never map cairo and the libraries it pulls in. */
static struct {
    bool loaded;
    cairo_surface_t *(*pdf_surface_create_for_stream)(cairo_write_func_t, void *, double, double);
    cairo_status_t (*surface_status)(cairo_surface_t *);
    void (*surface_finish)(cairo_surface_t *);
    void (*surface_destroy)(cairo_surface_t *);
    const char *(*status_to_string)(cairo_status_t);
    cairo_t *(*create)(cairo_surface_t *);
    void (*destroy)(cairo_t *);
    void (*select_font_face)(cairo_t *, const char *, cairo_font_slant_t, cairo_font_weight_t);
    void (*set_font_size)(cairo_t *, double);
    void (*set_source_rgb)(cairo_t *, double, double, double);
    void (*set_line_width)(cairo_t *, double);
    void (*move_to)(cairo_t *, double, double);
    void (*line_to)(cairo_t *, double, double);
    void (*rectangle)(cairo_t *, double, double, double, double);
    void (*show_text)(cairo_t *, const char *);
    void (*fill)(cairo_t *);
    void (*stroke)(cairo_t *);
    void (*show_page)(cairo_t *);
    void (*debug_reset_static_data)(void);
    void (*fc_fini)(void);             /* fontconfig's, if cairo brought it */
} C;

static bool load_cairo(char *err, size_t errlen)
{
    if (C.loaded)
        return true;
    void *h = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load cairo (Debian package libcairo2): %s", dlerror());
        return false;
    }
    struct { void *slot; const char *name; } syms[] = {
        { &C.pdf_surface_create_for_stream, "cairo_pdf_surface_create_for_stream" },
        { &C.surface_status, "cairo_surface_status" }, { &C.surface_finish, "cairo_surface_finish" },
        { &C.surface_destroy, "cairo_surface_destroy" }, { &C.status_to_string, "cairo_status_to_string" },
        { &C.create, "cairo_create" }, { &C.destroy, "cairo_destroy" },
        { &C.select_font_face, "cairo_select_font_face" }, { &C.set_font_size, "cairo_set_font_size" },
        { &C.set_source_rgb, "cairo_set_source_rgb" }, { &C.set_line_width, "cairo_set_line_width" },
        { &C.move_to, "cairo_move_to" }, { &C.line_to, "cairo_line_to" }, { &C.rectangle, "cairo_rectangle" },
        { &C.show_text, "cairo_show_text" }, { &C.fill, "cairo_fill" }, { &C.stroke, "cairo_stroke" },
        { &C.show_page, "cairo_show_page" }, { &C.debug_reset_static_data, "cairo_debug_reset_static_data" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *f = dlsym(h, syms[i].name);
        if (!f) {
            snprintf(err, errlen, "cairo lacks %s", syms[i].name);
            return false;
        }
        memcpy(syms[i].slot, &f, sizeof f);   /* POSIX: a function's address from dlsym */
    }
    void *fc = dlopen("libfontconfig.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    void *fini = fc ? dlsym(fc, "FcFini") : NULL;
    if (fini)
        memcpy(&C.fc_fini, &fini, sizeof fini);
    C.loaded = true;
    return true;
}

static void text_at(cairo_t *cr, double x, double y, double size, const char *s)
{
    C.set_font_size(cr, size);
    C.move_to(cr, x, y);
    C.show_text(cr, s);
}

/* A bar chart of one top table (up to TOPN bars) with its lines of text. */
static void draw_table(cairo_t *cr, const struct page *pg, int t, double x, double y, double w, double h)
{
    char title[64];
    snprintf(title, sizeof title, "%s %s", pg->ntop[t] ? "Top" : "No", TABLE[t]);
    C.set_source_rgb(cr, 0, 0, 0);
    text_at(cr, x, y, 11, title);
    uint64_t max = pg->ntop[t] ? pg->top[t][0].bytes : 0;
    char lab[32];
    fmt_axis(0, lab, sizeof lab);
    text_at(cr, x, y + h, 7, lab);
    fmt_axis(max, lab, sizeof lab);
    text_at(cr, x, y + 22, 7, lab);
    double bx = x + 40, bw = (w - 50) / TOPN;
    for (size_t i = 0; i < pg->ntop[t]; i++) {
        double bh = max ? (h - 30) * (double)pg->top[t][i].bytes / (double)max : 0;
        C.set_source_rgb(cr, 0.25, 0.45, 0.80);
        C.rectangle(cr, bx + (double)i * bw + 4, y + h - bh, bw - 8, bh);
        C.fill(cr);
    }
    C.set_source_rgb(cr, 0, 0, 0);
    for (size_t i = 0; i < pg->ntop[t]; i++) {
        char line[160];
        fmt_top(&pg->top[t][i], i, pg->total[t], line, sizeof line);
        text_at(cr, x, y + h + 16 + 11 * (double)i, 8, line);
    }
}

struct sink {
    int fd;
    int err;
};

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
    struct sink *k = closure;
    if (!k->err && write_all(k->fd, data, len, NULL) < 0)
        k->err = errno;
    return k->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* The time histogram: bars stacked by class (at most 100), the
 * cumulative line, the axes, the span and the legend. */
static void draw_histogram(cairo_t *cr, const struct netviz *v, const struct page *pg)
{
    /* the time histogram, bars stacked by class, at most 100 */
    double hx = 60, hy = 140, hw = 500, hh = 140;
    int64_t span = v->any ? v->last - v->first : 0;
    int nbars = 100;
    uint64_t bars[100][NCLASS];
    memset(bars, 0, sizeof bars);
    for (int i = 0; i < NB; i++)
        for (int k = 0; k < NCLASS; k++)
            if (v->hist[i][k]) {
                int64_t t = (int64_t)i * v->w;
                int b = span > 0 ? (int)(t * nbars / (span + 1)) : 0;
                if (b >= nbars) b = nbars - 1;
                bars[b][k] += v->hist[i][k];
            }
    uint64_t maxbar = 0;
    bool used[NCLASS] = { false };
    for (int b = 0; b < nbars; b++) {
        uint64_t s = 0;
        for (int k = 0; k < NCLASS; k++) {
            s += bars[b][k];
            used[k] |= bars[b][k] > 0;
        }
        if (s > maxbar) maxbar = s;
    }
    for (int b = 0; b < nbars; b++) {
        double y0 = hy + hh;
        for (int k = 0; k < NCLASS; k++) {
            if (!bars[b][k] || !maxbar) continue;
            double bh = hh * (double)bars[b][k] / (double)maxbar;
            C.set_source_rgb(cr, CLASS_RGB[k][0], CLASS_RGB[k][1], CLASS_RGB[k][2]);
            C.rectangle(cr, hx + b * (hw / nbars), y0 - bh, hw / nbars * 0.8, bh);
            C.fill(cr);
            y0 -= bh;
        }
    }
    /* the cumulative line */
    if (v->bytes) {
        C.set_source_rgb(cr, 0, 0, 0);
        C.set_line_width(cr, 0.8);
        uint64_t cum = 0, all = 0;
        for (int b = 0; b < nbars; b++)
            for (int k = 0; k < NCLASS; k++)
                all += bars[b][k];
        C.move_to(cr, hx, hy + hh);
        for (int b = 0; b < nbars && all; b++) {
            for (int k = 0; k < NCLASS; k++)
                cum += bars[b][k];
            C.line_to(cr, hx + (b + 1) * (hw / nbars), hy + hh - hh * (double)cum / (double)all);
        }
        C.stroke(cr);
    }
    C.set_source_rgb(cr, 0, 0, 0);
    char lab[32];
    for (int i = 0; i <= 4; i++) {
        fmt_axis(maxbar * (uint64_t)i / 4, lab, sizeof lab);
        text_at(cr, 20, hy + hh - hh * i / 4 + 3, 7, lab);
    }
    text_at(cr, hx + hw + 4, hy + hh, 7, "0%");
    text_at(cr, hx + hw + 4, hy + 6, 7, "100%");
    if (*pg->span)
        text_at(cr, hx + 150, hy + hh + 18, 9, pg->span);
    double lx = hx;
    for (int k = 0; k < NCLASS; k++) {
        if (!used[k]) continue;
        C.set_source_rgb(cr, CLASS_RGB[k][0], CLASS_RGB[k][1], CLASS_RGB[k][2]);
        C.rectangle(cr, lx, hy + hh + 28, 8, 8);
        C.fill(cr);
        C.set_source_rgb(cr, 0, 0, 0);
        text_at(cr, lx + 11, hy + hh + 35, 8, CLASS_NAME[k]);
        lx += 90;
    }
}

int netviz_write(struct netviz *v, int fd, const char *input, char *err, size_t errlen)
{
    flush_pending(v, NCLASS - 1);
    if (!load_cairo(err, errlen))
        return -1;
    struct page pg;
    make_page(v, input, &pg);
    struct sink out = { fd, 0 };
    cairo_surface_t *sf = C.pdf_surface_create_for_stream(write_cb, &out, 612, 792);
    if (C.surface_status(sf) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s", C.status_to_string(C.surface_status(sf)));
        C.surface_destroy(sf);
        return -1;
    }
    cairo_t *cr = C.create(sf);
    C.select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    C.set_source_rgb(cr, 0, 0, 0);
    text_at(cr, 36, 40, 16, pg.title);
    const char *hdr[] = { pg.input, pg.generated, pg.range, pg.packets, pg.transports };
    for (int i = 0; i < 5; i++)
        text_at(cr, 36, 60 + 13 * i, 9, hdr[i]);

    draw_histogram(cr, v, &pg);

    /* the four tables, two by two */
    draw_table(cr, &pg, 0, 36, 360, 250, 120);
    draw_table(cr, &pg, 1, 320, 360, 250, 120);
    draw_table(cr, &pg, 2, 36, 560, 250, 120);
    draw_table(cr, &pg, 3, 320, 560, 250, 120);

    C.show_page(cr);
    C.destroy(cr);
    C.surface_finish(sf);
    cairo_status_t st = C.surface_status(sf);
    C.surface_destroy(sf);
    C.debug_reset_static_data();   /* give back cairo's and fontconfig's caches: */
    if (C.fc_fini)                     /* nothing left for a leak checker to see */
        C.fc_fini();
    if (out.err) {
        snprintf(err, errlen, "%s", strerror(out.err));
        return -1;
    }
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s", C.status_to_string(st));
        return -1;
    }
    return 0;
}

/* ---- the scanner (scan/scanner.h) ---- */

struct netviz_scan {
    const struct scan_env *env;
    struct netviz *v;
};

/* Frames are counted as 1.6.1 counts them: on Ethernet those that carry
 * IP (not ARP, not LLC), on other links every frame; then IP packets by
 * address, and TCP segments (first fragments) by port. */
static void nv_packet(void *self, const struct decode_view *dv)
{
    struct netviz_scan *n = self;
    const struct capture_pkt *cp = dv->cp;
    if (cp->dlt != 1 || dv->link_ok)
        netviz_frame(n->v, cp->ts_us, cp->wirelen, cp->dlt, cp->data, cp->caplen);
    const struct ip_pkt *ip = dv->ip;
    if (!ip) return;
    bool ports = ip->proto == 6 && (!ip->frag || ip->frag_off == 0) && ip->l4 && ip->l4len >= 4;
    netviz_ip(n->v, ip->family, ip->src, ip->dst, ports, ports ? (uint16_t)(ip->l4[0] << 8 | ip->l4[1]) : 0,
              ports ? (uint16_t)(ip->l4[2] << 8 | ip->l4[3]) : 0);
}

/* <outdir>/report.pdf (a planted symlink is not followed). */
static int nv_finish(void *self, struct scan_end *end, char *err, size_t errlen)
{
    struct netviz_scan *n = self;
    const char *d = n->env->outdir && *n->env->outdir ? n->env->outdir : ".";
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/report.pdf", d) >= (int)sizeof path) {
        snprintf(err, errlen, "%s/report.pdf: name too long", d);
        return -1;
    }
    int fd = outdir_open(d, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char e[256];
    int r = netviz_write(n->v, fd, end->input, e, sizeof e);
    if (close(fd) < 0 && r == 0) {
        snprintf(e, sizeof e, "%s", strerror(errno));
        r = -1;
    }
    if (r < 0) snprintf(err, errlen, "%s: %s", path, e);
    return r;
}

static void *nv_create(const struct scan_env *env, char *err, size_t errlen)
{
    (void)err; (void)errlen;
    struct netviz_scan *n = xcalloc(1, sizeof *n);
    n->env = env;
    n->v = netviz_new();
    return n;
}

struct netviz *netviz_of(void *self) { return ((struct netviz_scan *)self)->v; }

static void nv_destroy(void *self)
{
    struct netviz_scan *n = self;
    netviz_free(n->v);
    free(n);
}

static const struct scan_setting netviz_settings[] = {
    { "netviz_histogram_dump", "0", "Dumps the histogram" },
    { "netviz_histogram_size", "1000", "Maximum histogram size" },
    { NULL, NULL, NULL },
};

const struct scanner scan_netviz = {
    .name = "netviz",
    .description = "Performs 1-page visualization of network packets (report.pdf)",
    .flags = SCAN_IN_ALL | SCAN_NEEDS_FILES,
    .settings = netviz_settings,
    .create = nv_create,
    .destroy = nv_destroy,
    .packet = nv_packet,
    .finish = nv_finish,
};
