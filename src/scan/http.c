/* scan_http.c - the http scanner: HTTP/1.x response bodies out of flow files.
 * See scan_http.h and docs/internals/http.md. */
#include "scan/http.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/xmlwriter.h>
#include <zlib.h>

#include "util/counters.h"
#include "flow/flow.h"
#include "scan/scanner.h"
#include "util/outdir.h"
#include "util/io.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#define MIN_STREAM 80                  /* shorter flow files are not scanned (1.6.1) */
#define MAX_HEADER (80 * 1024)         /* a response header longer than this stops the scan */

/* ---- Content-Type -> extension ---- */

struct mime { const char *type, *ext; };
static const struct mime MIME[] = {
#include "scan/http_mime.inc"
};

static int mime_cmp(const void *k, const void *e)
{
    return strcmp(k, ((const struct mime *)e)->type);
}

static bool is_sp(uint8_t c) { return c == ' ' || c == '\t'; }

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

const char *http_mime_ext(const char *v, size_t len)
{
    size_t i = 0, j;
    while (i < len && is_sp((uint8_t)v[i]))
        i++;
    for (j = i; j < len && v[j] != ';'; j++)
        ;                              /* blanks before ';' or at the end stay (1.6.1) */
    char t[128];
    if (j == i || j - i >= sizeof t)
        return "";
    for (size_t k = i; k < j; k++)
        t[k - i] = (char)lower((uint8_t)v[k]);
    t[j - i] = '\0';
    const struct mime *m = bsearch(t, MIME, sizeof MIME / sizeof MIME[0], sizeof MIME[0], mime_cmp);
    return m ? m->ext : "";
}

/* ---- the parser ---- */

bool http_is_response_stream(const uint8_t *head, size_t n)
{
    return n >= MIN_STREAM && memcmp(head, "HTTP/1.", 7) == 0;
}

struct cur {
    const uint8_t *b;
    size_t n, i;
};

/* The next line [*s, *e) (without its LF and a CR before it); false when no
 * LF comes before the end or within `max` bytes. */
static bool next_line(struct cur *c, size_t max, size_t *s, size_t *e)
{
    size_t room = c->n - c->i;
    if (room > max)
        room = max;
    const uint8_t *lf = memchr(c->b + c->i, '\n', room);
    if (!lf)
        return false;
    size_t end = (size_t)(lf - c->b);
    *s = c->i;
    *e = end;
    if (*e > *s && c->b[*e - 1] == '\r')
        (*e)--;
    c->i = end + 1;
    return true;
}

static bool name_is(const uint8_t *p, size_t n, const char *want)
{
    size_t k = strlen(want);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != (uint8_t)want[i])
            return false;
    return true;
}

/* RFC 7230 tchar */
static bool tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

struct resp {
    unsigned status;
    int64_t clen;                      /* -1: none */
    bool te;                           /* a Transfer-Encoding header */
    bool chunked;                      /* ... naming chunked last */
    bool upgrade, conn_upgrade;        /* Upgrade header; Connection: upgrade */
    bool encoded;                      /* Content-Encoding gzip or deflate */
    const uint8_t *ctype;
    size_t ctype_len;
};

/* "HTTP/" DIGIT "." DIGIT SP SP* 1*3DIGIT [ SP reason ] - as http-parser
 * 2.9 (1.6.1's parser) reads it: a two-digit status is accepted, a
 * two-digit version is not. */
static bool status_line(const uint8_t *p, size_t n, unsigned *status)
{
    if (n < 10 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' ||
        p[7] < '0' || p[7] > '9' || p[8] != ' ')
        return false;
    size_t i = 9;
    while (i < n && p[i] == ' ')
        i++;
    unsigned st = 0, digits = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        st = st * 10 + (unsigned)(p[i] - '0');
        if (++digits > 3)
            return false;
    }
    if (digits == 0 || (i < n && p[i] != ' '))
        return false;
    *status = st;
    return true;
}

static bool header(struct resp *r, const uint8_t *p, size_t n)
{
    size_t colon = 0;
    while (colon < n && p[colon] != ':')
        colon++;
    if (colon == 0 || colon == n)
        return false;
    for (size_t i = 0; i < colon; i++)
        if (!tchar(p[i]) && p[i] != ' ')   /* spaces: tolerated, as http-parser does */
            return false;
    /* the value as 1.6.1 sees it: leading blanks skipped, trailing kept */
    size_t vs = colon + 1;
    while (vs < n && is_sp(p[vs]))
        vs++;
    const uint8_t *v = p + vs;
    size_t vn = n - vs, tn = vn;       /* tn: without trailing blanks */
    while (tn > 0 && is_sp(v[tn - 1]))
        tn--;
    if (name_is(p, colon, "content-length")) {
        if (r->clen >= 0 || tn == 0 || tn > 18)
            return false;
        int64_t x = 0;
        for (size_t i = 0; i < tn; i++) {
            if (v[i] < '0' || v[i] > '9')
                return false;
            x = x * 10 + (v[i] - '0');
        }
        r->clen = x;
    } else if (name_is(p, colon, "transfer-encoding")) {
        /* chunked when it is the last coding named */
        size_t k = tn;
        while (k > 0 && v[k - 1] != ',')
            k--;
        while (k < tn && is_sp(v[k]))
            k++;
        r->te = true;
        r->chunked = name_is(v + k, tn - k, "chunked");
    } else if (name_is(p, colon, "content-type")) {
        r->ctype = v;
        r->ctype_len = vn;
    } else if (name_is(p, colon, "content-encoding")) {
        r->encoded = (vn == 4 && memcmp(v, "gzip", 4) == 0) || (vn == 7 && memcmp(v, "deflate", 7) == 0);
    } else if (name_is(p, colon, "upgrade")) {
        r->upgrade = true;
    } else if (name_is(p, colon, "connection")) {
        for (size_t i = 0; i + 7 <= tn; i++)
            if (name_is(v + i, 7, "upgrade") && (i == 0 || v[i - 1] == ',' || is_sp(v[i - 1])) &&
                (i + 7 == tn || v[i + 7] == ',' || is_sp(v[i + 7])))
                r->conn_upgrade = true;
    }
    return true;
}

/* Where a body's bytes go: through inflate or straight to the callback. */
struct body {
    const struct http_cb *cb;
    bool inflate, zinit, dead, started;
    z_stream z;
    uint64_t off;
};

static void body_feed(struct body *b, uint64_t at, const uint8_t *p, size_t n)
{
    if (!b->started) {
        b->started = true;
        b->off = at;
    }
    if (b->dead || n == 0)
        return;
    if (!b->inflate) {
        b->cb->data(b->cb->arg, b->off, p, n);
        return;
    }
    if (!b->zinit) {
        memset(&b->z, 0, sizeof b->z);
        if (inflateInit2(&b->z, 32 + MAX_WBITS) != Z_OK) {
            b->dead = true;
            return;
        }
        b->zinit = true;
    }
    uint8_t out[16384];
    b->z.next_in = (Bytef *)(uintptr_t)p;
    b->z.avail_in = 0;
    for (;;) {
        if (b->z.avail_in == 0 && n > 0) {
            size_t take = n > (1u << 30) ? (1u << 30) : n;
            b->z.avail_in = (uInt)take;
            n -= take;
        }
        b->z.next_out = out;
        b->z.avail_out = sizeof out;
        int ret = inflate(&b->z, Z_NO_FLUSH);
        size_t got = sizeof out - b->z.avail_out;
        if (got)
            b->cb->data(b->cb->arg, b->off, out, got);
        if (ret == Z_STREAM_END || (ret != Z_OK && ret != Z_BUF_ERROR)) {
            b->dead = true;              /* the end of the data, or corrupt: nothing more */
            return;
        }
        if (b->z.avail_in == 0 && n == 0 && b->z.avail_out != 0)
            return;                      /* all input taken, all output given */
        if (ret == Z_BUF_ERROR && got == 0)
            return;
    }
}

static void body_end(struct body *b)
{
    if (b->zinit)
        inflateEnd(&b->z);
    b->zinit = false;
    b->cb->end(b->cb->arg);
}

enum step { GO_ON, STOP };

/* A chunked body from c->i; STOP when the input ends or breaks inside it.
 * As http-parser 2.9 in its default (non-strict) mode: the size line ends
 * with CR and one more byte; the two bytes after a chunk's data are skipped
 * unchecked. */
static enum step chunked(struct cur *c, struct body *b)
{
    for (;;) {
        uint64_t size = 0;
        size_t i = c->i, d = i;
        for (; i < c->n; i++) {
            uint8_t h = c->b[i];
            int v = h >= '0' && h <= '9' ? h - '0' : lower(h) >= 'a' && lower(h) <= 'f' ? lower(h) - 'a' + 10 : -1;
            if (v < 0)
                break;
            if (size >> 59)
                return STOP;               /* absurd size */
            size = size << 4 | (uint64_t)v;
        }
        if (i == d || i >= c->n)
            return STOP;
        if (c->b[i] == ';' || c->b[i] == ' ') {    /* extensions, up to the CR */
            const uint8_t *cr = memchr(c->b + i, '\r', c->n - i);
            if (!cr)
                return STOP;
            i = (size_t)(cr - c->b);
        }
        if (c->b[i] != '\r' || i + 2 > c->n)
            return STOP;
        c->i = i + 2;
        if (size == 0) {                   /* trailers, then the end */
            for (;;) {
                size_t s, e;
                if (!next_line(c, MAX_HEADER, &s, &e))
                    return STOP;
                if (s == e)
                    return GO_ON;
            }
        }
        size_t room = c->n - c->i;
        size_t take = size < room ? (size_t)size : room;
        body_feed(b, c->i, c->b + c->i, take);
        c->i += take;
        if (take < size || c->n - c->i < 2)
            return STOP;
        c->i += 2;
    }
}

unsigned http_scan(const uint8_t *buf, size_t n, bool gunzip, const struct http_cb *cb)
{
    struct cur c = { buf, n, 0 };
    unsigned count = 0;
    for (;;) {
        while (c.i < c.n && (c.b[c.i] == '\r' || c.b[c.i] == '\n'))
            c.i++;
        if (c.i >= c.n)
            return count;
        size_t s, e;
        size_t start = c.i;
        if (!next_line(&c, MAX_HEADER, &s, &e))
            return count;
        struct resp r;
        memset(&r, 0, sizeof r);
        r.clen = -1;
        if (!status_line(c.b + s, e - s, &r.status))
            return count;
        bool done = false;
        while (!done) {
            if (c.i - start > MAX_HEADER || !next_line(&c, MAX_HEADER, &s, &e))
                return count;
            if (s == e)
                done = true;
            else if (is_sp(c.b[s]))
                continue;                  /* a folded line: part of the previous header */
            else if (!header(&r, c.b + s, e - s))
                return count;
        }
        if (r.te && r.clen >= 0)
            return count;                  /* both: http-parser 2.9 refuses the response */
        bool upgrade = r.status == 101 && r.upgrade && r.conn_upgrade;
        bool nobody = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
        const char *ext = r.ctype ? http_mime_ext((const char *)r.ctype, r.ctype_len) : "";
        cb->begin(cb->arg, ++count, ext, !nobody);
        struct body b;
        memset(&b, 0, sizeof b);
        b.cb = cb;
        b.inflate = gunzip && r.encoded;
        if (upgrade) {                     /* not HTTP any more */
            body_end(&b);
            return count;
        }
        if (nobody) {
            body_end(&b);
            continue;
        }
        if (r.chunked) {
            enum step st = chunked(&c, &b);
            body_end(&b);
            if (st == STOP)
                return count;
        } else if (r.clen >= 0) {
            size_t room = c.n - c.i;
            size_t take = (uint64_t)r.clen < room ? (size_t)r.clen : room;
            body_feed(&b, c.i, c.b + c.i, take);
            c.i += take;
            body_end(&b);
        } else {                           /* until the connection closes */
            body_feed(&b, c.i, c.b + c.i, c.n - c.i);
            body_end(&b);
            return count;
        }
    }
}

/* ---- flow files ---- */

struct bodies {
    const char *outdir;
    const char *path;
    const struct http_scan_config *cfg;
    struct counters *c;
    xmlTextWriterPtr w;
    char *name;                        /* current body file */
    int fd;
    bool failed;
    uint64_t size, off;
};

static void on_begin(void *arg, unsigned n, const char *ext, bool has_body)
{
    struct bodies *B = arg;
    (void)has_body;
    size_t len = strlen(B->path) + strlen(ext) + 32;
    free(B->name);
    B->name = xmalloc(len);
    snprintf(B->name, len, "%s-HTTPBODY-%03u%s%s", B->path, n, *ext ? "." : "", ext);
    B->fd = -1;
    B->failed = false;
    B->size = 0;
    alert_line(B->cfg->alert_fd, "open", B->name);
}

static void on_data(void *arg, uint64_t off, const uint8_t *p, size_t len)
{
    struct bodies *B = arg;
    if (B->failed)
        return;
    if (B->fd < 0) {
        B->off = off;
        B->fd = outdir_open(B->outdir, B->name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        if (B->fd < 0) {
            log_error("%s: cannot create: %s", B->name, strerror(errno));
            B->c->n[C_HTTP_BODY_FAILED]++;
            B->failed = true;
            return;
        }
    }
    size_t done;
    int r = write_all(B->fd, p, len, &done);
    B->size += done;
    if (r < 0) {
        log_error("%s: write: %s", B->name, strerror(errno));
        B->c->n[C_HTTP_BODY_FAILED]++;
        B->failed = true;
    }
}

static void on_end(void *arg)
{
    struct bodies *B = arg;
    if (B->fd >= 0 && close(B->fd) < 0 && !B->failed) {
        log_error("%s: close: %s", B->name, strerror(errno));
        B->c->n[C_HTTP_BODY_FAILED]++;
    }
    B->fd = -1;
    if (B->size == 0)
        return;
    B->c->n[C_HTTP_BODIES]++;
    xmlTextWriterWriteRaw(B->w, BAD_CAST "\n     ");
    xmlTextWriterStartElement(B->w, BAD_CAST "byte_run");
    xmlTextWriterWriteFormatAttribute(B->w, BAD_CAST "file_offset", "%" PRIu64, B->off);
    xmlTextWriterStartElement(B->w, BAD_CAST "fileobject");
    xmlTextWriterWriteElement(B->w, BAD_CAST "filename", BAD_CAST B->name);
    xmlTextWriterWriteFormatElement(B->w, BAD_CAST "filesize", "%" PRIu64, B->size);
    xmlTextWriterEndElement(B->w);
    xmlTextWriterEndElement(B->w);
    if (!B->failed) {
        alert_line(B->cfg->alert_fd, "close", B->name);
        if (B->cfg->cmd && *B->cfg->cmd)
            spawn_cmd(B->cfg->cmd, B->name);
    }
}

char *http_scan_flow_file(const char *outdir, const char *path,
                          const struct http_scan_config *cfg, struct counters *c)
{
    int fd = outdir_open(outdir, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t head[7];
    ssize_t h;
    do
        h = pread(fd, head, sizeof head, 0);
    while (h < 0 && errno == EINTR);
    if (h != (ssize_t)sizeof head || !http_is_response_stream(head, n)) {
        close(fd);                     /* not a response stream: no need to map it */
        return NULL;
    }
    uint8_t *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return NULL;
    char *xml = NULL;
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (w) {
        xmlTextWriterSetQuoteChar(w, '\'');
        xmlTextWriterStartElement(w, BAD_CAST "byte_runs");
        struct bodies B = { outdir, path, cfg, c, w, NULL, -1, false, 0, 0 };
        struct http_cb cb = { &B, on_begin, on_data, on_end };
        c->n[C_HTTP_STREAMS]++;
        http_scan(m, n, cfg->gunzip, &cb);
        free(B.name);
        xmlTextWriterWriteRaw(w, BAD_CAST "\n    ");
        xmlTextWriterEndElement(w);
        xmlTextWriterFlush(w);
        xmlFreeTextWriter(w);
        xml = xstrdup((const char *)xmlBufferContent(buf));
    }
    if (buf)
        xmlBufferFree(buf);
    munmap(m, n);
    return xml;
}

/* ---- the scanner (scan/scanner.h): bodies out of each finished flow file ---- */

struct http_scanner {
    const struct scan_env *env;
    struct http_scan_config cfg;
};

static void http_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    struct http_scanner *h = c->self;
    (void)f;
    if (!rec->filename || rec->stored == 0) return;
    char *xml = http_scan_flow_file(h->env->outdir, rec->filename, &h->cfg, h->env->ctr);
    if (xml) flowsum_add_xml(rec, xml);
    free(xml);
}

static const struct flow_consumer_ops http_ops = { .release = http_release };

static void *http_create(const struct scan_env *env, char *err, size_t errlen)
{
    (void)err; (void)errlen;
    struct http_scanner *h = xcalloc(1, sizeof *h);
    h->env = env;
    h->cfg.gunzip = env->gunzip;
    h->cfg.alert_fd = atoi(env->setting(env, "http_alert_fd"));
    h->cfg.cmd = env->setting(env, "http_cmd");
    return h;
}

static void http_destroy(void *self) { free(self); }

static const struct scan_setting http_settings[] = {
    { "http_cmd", "", "Command to execute on each HTTP attachment" },
    { "http_alert_fd", "-1", "File descriptor to send information about completed HTTP attachments" },
    { NULL, NULL, NULL },
};

const struct scanner scan_http = {
    .name = "http",
    .description = "HTTP/1.x response bodies of each flow, de-chunked and decompressed, as -HTTPBODY-NNN files",
    .flags = SCAN_IN_ALL | SCAN_NEEDS_FILES,
    .settings = http_settings,
    .create = http_create,
    .destroy = http_destroy,
    .flow = &http_ops,
};
