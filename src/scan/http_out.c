/* http_out.c - body files and report XML of one HTTP connection.  See
 * http_out.h. */
#include "scan/http_out.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#include "util/outdir.h"
#include "util/counters.h"
#include "util/list.h"
#include "util/io.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#define XML_STR_MAX 2048                 /* longer strings are cut in the report */
#define WBUF (32 * 1024)                 /* body bytes gathered per write() (they come packet by packet) */

struct side {
    struct http_out *o;
    char *path;
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    char *name;                          /* the body file of the message in progress */
    int fd;
    bool failed;
    uint64_t size;
    EVP_MD_CTX *md;
    uint8_t *wbuf;                       /* while a body is in progress */
    size_t wlen;
    bool created;                        /* the body file exists: reopen it to append */
    struct dlnode lru;                   /* in files->lru while fd is open */
};

struct http_files {
    unsigned max_open;
    struct dlist lru;                    /* sides with an open body file, least recently used first */
};

struct http_out {
    char *outdir;
    char *cmd;
    int alert_fd;
    bool digest;
    struct http_files *files;
    struct counters *ctr;
    struct side s[2];
    unsigned failures;
};

struct http_out *http_out_new(const struct http_out_config *cfg, struct counters *ctr)
{
    struct http_out *o = xcalloc(1, sizeof *o);
    o->outdir = xstrdup(cfg->outdir ? cfg->outdir : ".");
    o->cmd = cfg->cmd && *cfg->cmd ? xstrdup(cfg->cmd) : NULL;
    o->alert_fd = cfg->alert_fd;
    o->digest = cfg->digest;
    o->ctr = ctr;
    for (int i = 0; i < 2; i++) {
        o->s[i].o = o;
        o->s[i].path = cfg->path[i] ? xstrdup(cfg->path[i]) : NULL;
        o->s[i].fd = -1;
    }
    return o;
}

void http_out_set_files(struct http_out *o, struct http_files *f)
{
    o->files = f;
}

void http_out_set_path(struct http_out *o, int dir, const char *path)
{
    struct side *s = &o->s[dir & 1];
    free(s->path);
    s->path = path ? xstrdup(path) : NULL;
}

/* Text for an XML attribute: printable ASCII kept but the single quote,
 * any other byte as %XX, cut at XML_STR_MAX. */
static char *xml_safe(const char *s)
{
    size_t n = strlen(s);
    if (n > XML_STR_MAX)
        n = XML_STR_MAX;
    char *t = xmalloc(n * 3 + 1), *q = t;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'') {   /* (the writer leaves ' as it is in '-quoted values) */
            *q++ = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            *q++ = '%';
            *q++ = hex[c >> 4];
            *q++ = hex[c & 15];
        }
    }
    *q = '\0';
    return t;
}

static void attr(xmlTextWriterPtr w, const char *name, const char *v)
{
    char *t = xml_safe(v);
    xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST t);
    free(t);
}

struct http_files *http_files_new(unsigned max_open)
{
    struct http_files *f = xcalloc(1, sizeof *f);
    f->max_open = max_open ? max_open : 1;
    return f;
}

void http_files_free(struct http_files *f)
{
    free(f);                             /* every http_out using it is gone: its list is empty */
}

static void on_begin(void *arg, const struct http_msg *m)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    free(s->name);
    s->name = NULL;
    s->fd = -1;
    s->failed = false;
    s->created = false;
    s->size = 0;
    if (!s->path)
        return;
    size_t len = strlen(s->path) + strlen(m->ext) + 40;
    s->name = xmalloc(len);
    snprintf(s->name, len, "%s-%s-%03u%s%s", s->path, m->dir == HTTP_S2C ? "HTTPBODY" : "HTTPREQBODY",
             m->index, *m->ext ? "." : "", m->ext);
    if (m->dir == HTTP_S2C || m->has_body)   /* (1.6.1's line for every response; requests with a body) */
        alert_line(o->alert_fd, "open", s->name);
}

static void fail_file(struct http_out *o, struct side *s, const char *what)
{
    log_error("%s: %s: %s", s->name, what, strerror(errno));
    o->ctr->n[C_HTTP_BODY_FAILED]++;
    o->failures++;
    s->failed = true;
}

/* Close the body file of s (it stays in progress: a later write reopens it). */
static void close_fd(struct http_out *o, struct side *s)
{
    if (s->fd < 0)
        return;
    if (o->files)
        dlist_unlink(&o->files->lru, &s->lru);
    if (close(s->fd) < 0 && !s->failed)
        fail_file(o, s, "close");
    s->fd = -1;
}

static void flush(struct http_out *o, struct side *s);

/* Give up the least recently used open body file of the pool. */
static bool evict_one(struct http_files *f)
{
    if (!f || !f->lru.head)
        return false;
    struct side *v = container_of(f->lru.head, struct side, lru);
    flush(v->o, v);                       /* fd is open: no recursion */
    close_fd(v->o, v);
    return true;
}

/* Make sure the body file of s is open: created (replacing a file of that
 * name, as 1.6.1) at the first write, reopened to append after an
 * eviction.  false: it cannot be (said, counted, s->failed). */
static bool ensure_fd(struct http_out *o, struct side *s)
{
    if (s->fd >= 0) {
        if (o->files)
            dlist_move_tail(&o->files->lru, &s->lru);
        return true;
    }
    int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (s->created ? O_APPEND : O_CREAT | O_TRUNC);
    for (int tries = 0;; tries++) {
        if (o->files && o->files->lru.n >= o->files->max_open)
            evict_one(o->files);
        s->fd = outdir_open(o->outdir, s->name, flags);
        if (s->fd >= 0)
            break;
        if ((errno == EMFILE || errno == ENFILE) && tries < 8 && evict_one(o->files))
            continue;
        fail_file(o, s, s->created ? "cannot reopen" : "cannot create");
        return false;
    }
    s->created = true;
    if (o->files)
        dlist_append(&o->files->lru, &s->lru);
    return true;
}

static void write_out(struct http_out *o, struct side *s, const uint8_t *p, size_t n)
{
    if (s->failed || !ensure_fd(o, s))
        return;
    size_t done;
    int r = write_all(s->fd, p, n, &done);
    s->size += done;
    if (r < 0)
        fail_file(o, s, "write");
}

static void flush(struct http_out *o, struct side *s)
{
    if (!s->wlen)
        return;
    write_out(o, s, s->wbuf, s->wlen);
    s->wlen = 0;
}

/* The first byte (or hole) of a body: its buffer and digest. */
static void start_body(struct http_out *o, struct side *s)
{
    s->wbuf = xmalloc(WBUF);
    s->wlen = 0;
    if (o->digest) {
        if (!s->md)
            s->md = EVP_MD_CTX_new();
        if (s->md && !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL)) {
            EVP_MD_CTX_free(s->md);
            s->md = NULL;
        }
    }
}

static void on_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    if (!s->name || s->failed)
        return;
    if (!s->wbuf)                         /* the first byte: the file is made at the first write */
        start_body(o, s);
    if (s->md)
        EVP_DigestUpdate(s->md, p, n);
    if (s->wlen + n <= WBUF) {
        memcpy(s->wbuf + s->wlen, p, n);
        s->wlen += n;
        if (s->wlen == WBUF)
            flush(o, s);
        return;
    }
    flush(o, s);
    if (s->failed)
        return;
    if (n < WBUF) {
        memcpy(s->wbuf, p, n);
        s->wlen = n;
        return;
    }
    write_out(o, s, p, n);
}

/* A hole in the body: n zeros, left sparse in the file. */
static void on_hole(void *arg, const struct http_msg *m, uint64_t n)
{
    static const uint8_t zeros[4096];
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    if (!s->name || s->failed || n == 0)
        return;
    if (!s->wbuf)
        start_body(o, s);
    for (uint64_t k = 0; s->md && k < n; k += sizeof zeros)
        EVP_DigestUpdate(s->md, zeros, n - k < sizeof zeros ? (size_t)(n - k) : sizeof zeros);
    flush(o, s);
    if (s->failed || !ensure_fd(o, s))
        return;
    if (s->size + n > (uint64_t)INT64_MAX || ftruncate(s->fd, (off_t)(s->size + n)) < 0 ||
        lseek(s->fd, 0, SEEK_END) < 0) {
        fail_file(o, s, "extend");
        return;
    }
    s->size += n;
}

static void start_xml(struct side *s)
{
    if (s->w)
        return;
    s->buf = xmlBufferCreate();
    s->w = s->buf ? xmlNewTextWriterMemory(s->buf, 0) : NULL;
    if (!s->w)
        return;
    xmlTextWriterSetQuoteChar(s->w, '\'');
    xmlTextWriterStartElement(s->w, BAD_CAST "byte_runs");
}

static void write_run(struct http_out *o, struct side *s, const struct http_msg *m, const struct http_msg_end *e)
{
    start_xml(s);
    xmlTextWriterPtr w = s->w;
    if (!w)
        return;
    xmlTextWriterWriteRaw(w, BAD_CAST "\n     ");
    xmlTextWriterStartElement(w, BAD_CAST "byte_run");
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "file_offset", "%" PRIu64, m->body_offset);
    xmlTextWriterStartElement(w, BAD_CAST "fileobject");
    xmlTextWriterWriteElement(w, BAD_CAST "filename", BAD_CAST s->name);
    xmlTextWriterWriteFormatElement(w, BAD_CAST "filesize", "%" PRIu64, s->size);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    if (s->md && !s->failed && EVP_DigestFinal_ex(s->md, md, &mdn) && mdn == 32) {
        char hex[65];
        for (unsigned i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        xmlTextWriterStartElement(w, BAD_CAST "hashdigest");
        xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "SHA256");
        xmlTextWriterWriteString(w, BAD_CAST hex);
        xmlTextWriterEndElement(w);
    }
    xmlTextWriterStartElement(w, BAD_CAST "http");
    attr(w, "method", m->method);
    attr(w, "uri", m->uri);
    if (*m->host)
        attr(w, "host", m->host);
    if (m->dir == HTTP_S2C && m->request_index)
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "request", "%u", m->request_index);
    if (m->dir == HTTP_S2C)
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "status", "%u", m->status);
    if (*m->content_type)
        attr(w, "content_type", m->content_type);
    if (*m->coding)
        attr(w, "content_encoding", m->coding);
    if (m->chunked)
        xmlTextWriterWriteAttribute(w, BAD_CAST "transfer_encoding", BAD_CAST "chunked");
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "sent", "%" PRIu64, e->sent);
    if (*m->coding && !e->as_sent)
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "decoded", "%" PRIu64, e->out);
    xmlTextWriterWriteAttribute(w, BAD_CAST "complete", BAD_CAST(e->complete ? "1" : "0"));
    if (e->gap)
        xmlTextWriterWriteAttribute(w, BAD_CAST "gap", BAD_CAST "1");
    if (e->as_sent && *m->coding && e->decode_error)
        xmlTextWriterWriteAttribute(w, BAD_CAST "kept_as_sent", BAD_CAST "1");
    if (e->decode_error)
        attr(w, "decode_error", *e->decode_what ? e->decode_what : "error");
    else if (e->truncated)
        xmlTextWriterWriteAttribute(w, BAD_CAST "decode_error", BAD_CAST "truncated");
    if (e->capped)
        xmlTextWriterWriteAttribute(w, BAD_CAST "capped", BAD_CAST "1");
    xmlTextWriterEndElement(w);          /* http */
    xmlTextWriterEndElement(w);          /* fileobject */
    xmlTextWriterEndElement(w);          /* byte_run */
    (void)o;
}

static void on_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    flush(o, s);
    close_fd(o, s);
    free(s->wbuf);                       /* only open bodies keep a buffer */
    s->wbuf = NULL;
    s->wlen = 0;
    if (s->name && s->created && s->size > 0) {
        o->ctr->n[m->dir == HTTP_S2C ? C_HTTP_BODIES : C_HTTP_REQ_BODIES]++;
        if (e->capped)
            o->ctr->n[C_HTTP_CAPPED]++;
        if (e->decode_error)
            o->ctr->n[C_HTTP_UNDECODABLE]++;
        write_run(o, s, m, e);
        if (!s->failed) {
            alert_line(o->alert_fd, "close", s->name);
            if (o->cmd)
                spawn_cmd(o->cmd, s->name);
        }
    }
    free(s->name);
    s->name = NULL;
}

const struct http_conn_cb http_out_cb = { on_begin, on_body, on_end, on_hole };

char *http_out_xml(struct http_out *o, int dir)
{
    struct side *s = &o->s[dir & 1];
    if (!s->w)
        return NULL;
    xmlTextWriterWriteRaw(s->w, BAD_CAST "\n    ");
    xmlTextWriterEndElement(s->w);
    xmlTextWriterFlush(s->w);
    char *x = xstrdup((const char *)xmlBufferContent(s->buf));
    xmlFreeTextWriter(s->w);
    xmlBufferFree(s->buf);
    s->w = NULL;
    s->buf = NULL;
    return x;
}

unsigned http_out_failures(const struct http_out *o)
{
    return o->failures;
}

void http_out_free(struct http_out *o)
{
    if (!o)
        return;
    for (int i = 0; i < 2; i++) {
        struct side *s = &o->s[i];
        if (s->fd >= 0 && o->files)
            dlist_unlink(&o->files->lru, &s->lru);
        if (s->fd >= 0)
            close(s->fd);
        if (s->w)
            xmlFreeTextWriter(s->w);
        if (s->buf)
            xmlBufferFree(s->buf);
        EVP_MD_CTX_free(s->md);
        free(s->wbuf);
        free(s->name);
        free(s->path);
    }
    free(o->outdir);
    free(o->cmd);
    free(o);
}
