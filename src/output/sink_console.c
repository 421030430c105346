/* sink_console.c - see sink_console.h; layouts in docs/internals/console.md.
 *
 * The tracker's in-order view (flow/stream.c) decides what comes when; here
 * each piece becomes a record on the console.  Per flow we only cache the
 * name printed in headers (in the flow's slot, until the flow ends).
 */
#include "output/sink_console.h"
#include "flow/naming.h"
#include "util/xalloc.h"
#include "flow/flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

/* A record larger than this is printed as several records. */
#define MAX_RECORD ((size_t)1 << 24)
#define NAME_MAX_LEN 4096

#define COLOR_BLUE "\033[0;34m"
#define COLOR_RED "\033[0;31m"
#define COLOR_GREEN "\033[0;32m"
#define COLOR_RESET "\033[0m"

struct cflow {
    char *name;                     /* cached header name */
};

struct sink_console {
    struct sink_console_config c;
    struct flow_consumer fc;
    FILE *out;
    sem_t *sem;
};

/* ---- small helpers ---- */

static void out_lock(struct sink_console *s)
{
    if (!s->sem) return;
    while (sem_wait(s->sem) != 0 && errno == EINTR)
        ;
}

static void out_unlock(struct sink_console *s)
{
    fflush(s->out);
    if (s->sem) sem_post(s->sem);
}

enum dir { DIR_C2S, DIR_S2C, DIR_UNKNOWN };

static enum dir direction(const struct flow *f)
{
    if (f->client) return DIR_C2S;
    if (f->rs.syn_seen) return DIR_S2C;     /* SYN-ACK seen on this direction */
    return DIR_UNKNOWN;
}

static const char *dir_color(const struct flow *f)
{
    switch (direction(f)) {
    case DIR_C2S: return COLOR_BLUE;
    case DIR_S2C: return COLOR_RED;
    default: return COLOR_GREEN;
    }
}

static const char *dir_name(const struct flow *f)
{
    switch (direction(f)) {
    case DIR_C2S: return "c2s";
    case DIR_S2C: return "s2c";
    default: return "unknown";
    }
}

/* The header name of f into buf (NAME_MAX_LEN); cached in cf when given. */
static const char *flow_name(struct sink_console *s, struct flow *f, struct cflow *cf,
                             char *buf)
{
    if (cf && cf->name) return cf->name;
    const char *tmpl = s->c.tmpl ? s->c.tmpl : NAMING_DEFAULT_TEMPLATE;
    const char *outdir = s->c.outdir ? s->c.outdir : ".";
    if (naming_render(tmpl, outdir, f, 0, s->c.tdelta_us, buf, NAME_MAX_LEN) < 0) {
        /* too long: fall back to the default name without outdir */
        if (naming_render(NAMING_DEFAULT_TEMPLATE, "", f, 0, s->c.tdelta_us, buf,
                          NAME_MAX_LEN) < 0)
            snprintf(buf, NAME_MAX_LEN, "flow");
    }
    if (cf) {
        cf->name = xstrdup(buf);
        return cf->name;
    }
    return buf;
}

static int64_t add_delta(int64_t ts, int64_t d)
{
    int64_t r;
    if (__builtin_add_overflow(ts, d, &r))
        r = d > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static bool utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

/* Standard base64 with padding; returns a heap string. */
static char *base64(const uint8_t *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = xmalloc((n + 2) / 3 * 4 + 1), *q = o;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *q++ = tab[v >> 18];
        *q++ = tab[(v >> 12) & 63];
        *q++ = tab[(v >> 6) & 63];
        *q++ = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *q++ = tab[v >> 18];
        *q++ = tab[(v >> 12) & 63];
        *q++ = '=';
        *q++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *q++ = tab[v >> 18];
        *q++ = tab[(v >> 12) & 63];
        *q++ = tab[(v >> 6) & 63];
        *q++ = '=';
    }
    *q = '\0';
    return o;
}

/* ---- JSON ---- */

static void json_add(json_object *o, const char *k, json_object *v)
{
    json_object_object_add(o, k, v);
}

/* The fields common to data and gap records. */
static json_object *json_head(struct sink_console *s, const struct flow *f, uint64_t off,
                              int64_t ts)
{
    json_object *o = json_object_new_object();
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int af = f->key.family == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, f->key.src, a, sizeof a)) a[0] = '\0';
    if (!inet_ntop(af, f->key.dst, b, sizeof b)) b[0] = '\0';
    json_add(o, "src_host", json_object_new_string(a));
    json_add(o, "src_port", json_object_new_int(f->key.sport));
    json_add(o, "dst_host", json_object_new_string(b));
    json_add(o, "dst_port", json_object_new_int(f->key.dport));
    json_add(o, "family", json_object_new_int(f->key.family == 6 ? 6 : 4));

    int64_t t = add_delta(ts, s->c.tdelta_us);
    uint64_t mag = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    int64_t secs = t / 1000000, us = t % 1000000;
    if (us < 0) { us += 1000000; secs--; }
    struct tm tm;
    time_t tt = (time_t)secs;
    if (gmtime_r(&tt, &tm) && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900) {
        char d[64];
        snprintf(d, sizeof d, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
        json_add(o, "timestamp", json_object_new_string(d));
    }
    char num[48];
    snprintf(num, sizeof num, "%s%llu.%06llu", t < 0 ? "-" : "",
             (unsigned long long)(mag / 1000000), (unsigned long long)(mag % 1000000));
    json_add(o, "ts", json_object_new_double_s((double)t / 1e6, num));
    json_add(o, "direction", json_object_new_string(dir_name(f)));
    json_add(o, "offset", json_object_new_int64(off > INT64_MAX ? INT64_MAX : (int64_t)off));
    return o;
}

static void json_emit(struct sink_console *s, json_object *o)
{
    const char *txt = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    out_lock(s);
    fputs(txt, s->out);
    fputc('\n', s->out);
    out_unlock(s);
    json_object_put(o);
}

/* ---- text and hex ---- */

static void put_text(FILE *out, const uint8_t *p, size_t n, bool binary)
{
    if (binary) {
        fwrite(p, 1, n, out);
        return;
    }
    char buf[4096];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        buf[k++] = (c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7e)) ? (char)c : '.';
        if (k == sizeof buf) {
            fwrite(buf, 1, k, out);
            k = 0;
        }
    }
    fwrite(buf, 1, k, out);
}

static void put_hex(FILE *out, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t widest = 0;
    for (size_t i = 0; i < n; i += 32) {
        char line[160];
        int k = snprintf(line, 32, "%04zx: ", i);
        if (k < 0 || k >= 32) k = 0;
        size_t m = n - i < 32 ? n - i : 32, hs = (size_t)k;
        for (size_t j = 0; j < m; j++) {
            line[k++] = hx[p[i + j] >> 4];
            line[k++] = hx[p[i + j] & 15];
            if (j % 2 == 1) line[k++] = ' ';
        }
        size_t w = (size_t)k - hs;
        if (w > widest) widest = w;
        while (w < widest) { line[k++] = ' '; w++; }
        line[k++] = ' ';
        for (size_t j = 0; j < m; j++) {
            uint8_t c = p[i + j];
            line[k++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '.';
        }
        line[k++] = '\n';
        fwrite(line, 1, (size_t)k, out);
    }
}

/* Colour and header of a text record. */
static void text_begin(struct sink_console *s, struct flow *f, struct cflow *cf)
{
    if (s->c.color) fputs(dir_color(f), s->out);
    if (s->c.header) {
        char buf[NAME_MAX_LEN];
        fputs(flow_name(s, f, cf, buf), s->out);
        fputs(": ", s->out);
    }
}

static void text_end(struct sink_console *s)
{
    if (s->c.color) fputs(COLOR_RESET, s->out);
    if (!s->c.nonl) fputc('\n', s->out);
}

/* ---- records ---- */

static void print_data(struct sink_console *s, struct flow *f, struct cflow *cf,
                       uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    if (n == 0) return;
    if (s->c.json) {
        json_object *o = json_head(s, f, off, ts);
        json_add(o, "length", json_object_new_int64((int64_t)n));
        if (utf8_valid(p, n)) {
            json_add(o, "payload", json_object_new_string_len((const char *)p, (int)n));
        } else {
            char *b = base64(p, n);
            json_add(o, "payload_base64", json_object_new_string(b));
            free(b);
        }
        json_emit(s, o);
        return;
    }
    out_lock(s);
    text_begin(s, f, cf);
    if (s->c.hex) {
        if (s->c.header) fputc('\n', s->out);
        put_hex(s->out, p, n);
    } else {
        put_text(s->out, p, n, s->c.binary);
    }
    text_end(s);
    out_unlock(s);
}

static void print_gap(struct sink_console *s, struct flow *f, struct cflow *cf, uint64_t off,
                      uint64_t gap, int64_t ts)
{
    if (s->c.json) {
        json_object *o = json_head(s, f, off, ts);
        json_add(o, "gap", json_object_new_int64(gap > INT64_MAX ? INT64_MAX : (int64_t)gap));
        json_emit(s, o);
        return;
    }
    out_lock(s);
    text_begin(s, f, cf);
    if (s->c.hex && s->c.header) fputc('\n', s->out);
    fprintf(s->out, "[gap of %llu bytes]", (unsigned long long)gap);
    if (s->c.hex) fputc('\n', s->out);
    text_end(s);
    out_unlock(s);
}

/* Print a record, as several when it is very large. */
static void print_chunks(struct sink_console *s, struct flow *f, struct cflow *cf,
                         uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    while (n > 0) {
        size_t m = n > MAX_RECORD ? MAX_RECORD : n;
        print_data(s, f, cf, off, p, m, ts);
        off += m;
        p += m;
        n -= m;
    }
}

/* ---- per-flow state: the cached name ---- */

static struct cflow *cache_of(struct sink_console *s, struct flow *f)
{
    struct cflow *cf = f->slot[s->fc.slot];
    if (!cf && f->state == FLOW_OPEN) {
        cf = xcalloc(1, sizeof *cf);
        f->slot[s->fc.slot] = cf;
    }
    return cf;
}

/* ---- API ---- */

void sink_console_data(struct sink_console *s, struct flow *f, uint64_t off,
                       const uint8_t *p, size_t n, int64_t ts_us)
{
    if (n == 0) return;
    print_chunks(s, f, cache_of(s, f), off, p, n, ts_us);
}

void sink_console_gap(struct sink_console *s, struct flow *f, uint64_t off, uint64_t len, int64_t ts_us)
{
    print_gap(s, f, cache_of(s, f), off, len, ts_us);
}

void sink_console_flow_end(struct sink_console *s, struct flow *f)
{
    struct cflow *cf = f->slot[s->fc.slot];
    if (!cf) return;
    free(cf->name);
    free(cf);
    f->slot[s->fc.slot] = NULL;
}

static struct sink_console *sc_of(struct flow_consumer *c) { return c->self; }

static void c_stream(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n,
                     int64_t ts)
{
    sink_console_data(sc_of(c), f, off, p, n, ts);
}

static void c_gap(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    sink_console_gap(sc_of(c), f, off, len, ts);
}

static void c_close(struct flow_consumer *c, struct flow *f, bool again)
{
    (void)again;
    sink_console_flow_end(sc_of(c), f);
}

static void c_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    (void)rec;
    sink_console_flow_end(sc_of(c), f);
}

static const struct flow_consumer_ops sink_console_ops = {
    .wants = FC_STREAM,
    .stream = c_stream,
    .gap = c_gap,
    .close = c_close,
    .release = c_release,
};

struct flow_consumer *sink_console_consumer(struct sink_console *s) { return &s->fc; }

struct sink_console *sink_console_new(const struct sink_console_config *cfg, char *err,
                                      size_t errlen)
{
    sem_t *sem = NULL;
    if (cfg->lockname) {
        const char *nm = cfg->lockname;
        while (*nm == '/') nm++;
        if (*nm == '\0' || strchr(nm, '/') || strlen(nm) > 250) {
            snprintf(err, errlen,
                     "invalid semaphore name '%s' (-L): need 1..250 characters, no '/' "
                     "after the first", cfg->lockname);
            return NULL;
        }
        sem = sem_open(cfg->lockname, O_CREAT, 0666, 1);
        if (sem == SEM_FAILED) {
            snprintf(err, errlen, "cannot open semaphore '%s' (-L): %s", cfg->lockname,
                     strerror(errno));
            return NULL;
        }
    }
    struct sink_console *s = xcalloc(1, sizeof *s);
    s->c = *cfg;
    s->out = cfg->out ? cfg->out : stdout;
    s->sem = sem;
    s->fc.ops = &sink_console_ops;
    s->fc.self = s;
    return s;
}

void sink_console_free(struct sink_console *s)
{
    if (!s) return;
    if (s->sem) sem_close(s->sem);
    free(s);
}
