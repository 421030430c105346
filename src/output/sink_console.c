/* sink_console.c - see sink_console.h; layouts in docs/internals/console.md.
 *
 * The tracker's in-order view (flow/stream.c) decides what comes when; here
 * each piece becomes a record on the console.  Per flow we only cache the
 * name printed in headers (in the flow's slot, until the flow ends).
 *
 * Every record is flushed when it is complete; a failed write (the reader
 * went away: EPIPE; a full disk) is kept, nothing more is printed, and the
 * consumer's error() tells the tracker that the run must stop.
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
    int err;                        /* errno of the first failed write, or 0 */
    char errmsg[160];
};

/* ---- small helpers ---- */

/* Start a record: false when the output has failed (print nothing). */
static bool out_lock(struct sink_console *s)
{
    if (s->err) return false;
    if (s->sem)
        while (sem_wait(s->sem) != 0 && errno == EINTR)
            ;
    errno = 0;
    return true;
}

/* End a record: flushed, a failure kept. */
static void out_unlock(struct sink_console *s)
{
    if (fflush(s->out) != 0 || ferror(s->out)) {
        s->err = errno ? errno : EIO;
        if (s->err == EPIPE)
            snprintf(s->errmsg, sizeof s->errmsg, "standard output: the reader went away");
        else
            snprintf(s->errmsg, sizeof s->errmsg, "standard output: write failed: %s", strerror(s->err));
    }
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

/* ---- JSON (1.6.1's objects; docs/internals/console.md) ---- */

/* The fields before "length": addresses, ports, family, time, direction,
 * offset.  None of these strings needs escaping. */
static void json_head(struct sink_console *s, const struct flow *f, uint64_t off, int64_t ts)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    int af = f->key.family == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, f->key.src, a, sizeof a)) a[0] = '\0';
    if (!inet_ntop(af, f->key.dst, b, sizeof b)) b[0] = '\0';
    fprintf(s->out, "{\"src_host\":\"%s\",\"src_port\":%u,\"dst_host\":\"%s\",\"dst_port\":%u,\"family\":%d,",
            a, (unsigned)f->key.sport, b, (unsigned)f->key.dport, f->key.family == 6 ? 6 : 4);

    int64_t t = add_delta(ts, s->c.tdelta_us);
    uint64_t mag = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    int64_t secs = t / 1000000, us = t % 1000000;
    if (us < 0) { us += 1000000; secs--; }
    struct tm tm;
    time_t tt = (time_t)secs;
    if (gmtime_r(&tt, &tm) && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900)
        fprintf(s->out, "\"timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\",", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
    fprintf(s->out, "\"ts\":%s%llu.%06llu,\"direction\":\"%s\",\"offset\":%llu,", t < 0 ? "-" : "",
            (unsigned long long)(mag / 1000000), (unsigned long long)(mag % 1000000), dir_name(f),
            (unsigned long long)(off > INT64_MAX ? INT64_MAX : off));
}

/* "length":n,"payload":[b0,b1,...]} and the newline: the bytes as decimal
 * numbers, as 1.6.1 wrote them. */
static void json_payload(FILE *out, const uint8_t *p, size_t n)
{
    char buf[8192];
    size_t k = 0;
    fprintf(out, "\"length\":%zu,\"payload\":[", n);
    for (size_t i = 0; i < n; i++) {
        if (k > sizeof buf - 8) {
            fwrite(buf, 1, k, out);
            k = 0;
        }
        unsigned v = p[i];
        if (i) buf[k++] = ',';
        if (v >= 100) buf[k++] = (char)('0' + v / 100);
        if (v >= 10) buf[k++] = (char)('0' + v / 10 % 10);
        buf[k++] = (char)('0' + v % 10);
    }
    fwrite(buf, 1, k, out);
    fputs("]}\n", out);
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
    if (n == 0 || !out_lock(s)) return;
    if (s->c.json) {
        json_head(s, f, off, ts);
        json_payload(s->out, p, n);
    } else {
        text_begin(s, f, cf);
        if (s->c.hex) {
            if (s->c.header) fputc('\n', s->out);
            put_hex(s->out, p, n);
        } else {
            put_text(s->out, p, n, s->c.binary);
        }
        text_end(s);
    }
    out_unlock(s);
}

/* A gap record in JSON has an empty payload, so that every record has one
 * (jq '.payload|implode' works on every line). */
static void print_gap(struct sink_console *s, struct flow *f, struct cflow *cf, uint64_t off,
                      uint64_t gap, int64_t ts)
{
    if (!out_lock(s)) return;
    if (s->c.json) {
        json_head(s, f, off, ts);
        fprintf(s->out, "\"gap\":%llu,", (unsigned long long)(gap > INT64_MAX ? INT64_MAX : gap));
        json_payload(s->out, NULL, 0);
    } else {
        text_begin(s, f, cf);
        if (s->c.hex && s->c.header) fputc('\n', s->out);
        fprintf(s->out, "[gap of %llu bytes]", (unsigned long long)gap);
        if (s->c.hex) fputc('\n', s->out);
        text_end(s);
    }
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

static const char *c_error(struct flow_consumer *c) { return sink_console_error(sc_of(c)); }

static const struct flow_consumer_ops sink_console_ops = {
    .wants = FC_STREAM,
    .stream = c_stream,
    .gap = c_gap,
    .close = c_close,
    .release = c_release,
    .error = c_error,
};

struct flow_consumer *sink_console_consumer(struct sink_console *s) { return &s->fc; }

const char *sink_console_error(const struct sink_console *s) { return s->err ? s->errmsg : NULL; }

bool sink_console_reader_gone(const struct sink_console *s) { return s->err == EPIPE; }

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
