/* http_out.c - body files and report XML of one HTTP connection.  See
 * http_out.h. */
#include "scan/http_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlwriter.h>

#include "scan/http_files.h"
#include "util/counters.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#define XML_STR_MAX 2048                 /* longer strings are cut in the report */
#define ENDED_MAX 256                    /* ended bodies kept waiting for their files at most */

/* A body over whose file the writer thread is still finishing: what its
 * <byte_run> needs, kept until then. */
struct ended {
    struct ended *next;
    struct http_bfile *bf;
    char *name;
    struct http_msg m;                   /* its strings point into strs */
    char *strs;
    struct http_msg_end e;
};

struct side {
    char *path;
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    char *name;                          /* the body file of the message in progress */
    struct http_bfile *bf;               /* made at its first body byte */
    struct ended *head, *tail;           /* bodies ended, files not yet finished */
    unsigned nended;
};

struct http_out {
    char *outdir;
    char *cmd;
    int alert_fd;
    bool digest;
    struct http_files *files;
    bool own_files;
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
    for (int i = 0; i < 2; i++)
        o->s[i].path = cfg->path[i] ? xstrdup(cfg->path[i]) : NULL;
    return o;
}

void http_out_set_files(struct http_out *o, struct http_files *f)
{
    if (!f || o->files)
        return;                          /* (bodies begun: keep the pool they use) */
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

static void write_run(struct side *s, const char *name, const struct http_msg *m, const struct http_msg_end *e,
                      const struct http_bfile_result *r)
{
    start_xml(s);
    xmlTextWriterPtr w = s->w;
    if (!w)
        return;
    xmlTextWriterWriteRaw(w, BAD_CAST "\n     ");
    xmlTextWriterStartElement(w, BAD_CAST "byte_run");
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "file_offset", "%" PRIu64, m->body_offset);
    xmlTextWriterStartElement(w, BAD_CAST "fileobject");
    xmlTextWriterWriteElement(w, BAD_CAST "filename", BAD_CAST name);
    xmlTextWriterWriteFormatElement(w, BAD_CAST "filesize", "%" PRIu64, r->size);
    if (r->has_digest) {
        xmlTextWriterStartElement(w, BAD_CAST "hashdigest");
        xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "SHA256");
        xmlTextWriterWriteString(w, BAD_CAST r->sha256);
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
}

static void on_begin(void *arg, const struct http_msg *m)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    free(s->name);
    s->name = NULL;
    if (!s->path)
        return;
    size_t len = strlen(s->path) + strlen(m->ext) + 40;
    s->name = xmalloc(len);
    snprintf(s->name, len, "%s-%s-%03u%s%s", s->path, m->dir == HTTP_S2C ? "HTTPBODY" : "HTTPREQBODY",
             m->index, *m->ext ? "." : "", m->ext);
    if (m->dir == HTTP_S2C || m->has_body)   /* (1.6.1's line for every response; requests with a body) */
        alert_line(o->alert_fd, "open", s->name);
}

/* The body file of s, made at its first byte (the pool: the one given,
 * else one of its own, written in the caller). */
static struct http_bfile *bfile(struct http_out *o, struct side *s)
{
    if (!s->bf) {
        if (!o->files) {
            o->files = http_files_new(2, false);
            o->own_files = true;
        }
        s->bf = http_bfile_new(o->files, o->outdir, s->name, o->digest);
    }
    return s->bf;
}

static void on_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    if (!s->name)
        return;
    http_bfile_write(bfile(o, s), p, n);
}

/* A hole in the body: n zeros, left sparse in the file. */
static void on_hole(void *arg, const struct http_msg *m, uint64_t n)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    if (!s->name || n == 0)
        return;
    http_bfile_hole(bfile(o, s), n);
}

/* The body's file is finished: its <byte_run>, counters, alert line and
 * command. */
static void report(struct http_out *o, struct side *s, const char *name, const struct http_msg *m,
                   const struct http_msg_end *e, const struct http_bfile_result *r)
{
    if (r->failed) {
        o->ctr->n[C_HTTP_BODY_FAILED]++;
        o->failures++;
    }
    if (!r->created || r->size == 0)
        return;
    o->ctr->n[m->dir == HTTP_S2C ? C_HTTP_BODIES : C_HTTP_REQ_BODIES]++;
    if (e->capped)
        o->ctr->n[C_HTTP_CAPPED]++;
    if (e->decode_error)
        o->ctr->n[C_HTTP_UNDECODABLE]++;
    write_run(s, name, m, e, r);
    if (!r->failed) {
        alert_line(o->alert_fd, "close", name);
        if (o->cmd)
            spawn_cmd(o->cmd, name);
    }
}

/* Copy what a <byte_run> needs of m (its strings are the parser's). */
static void keep(struct ended *x, const struct http_msg *m)
{
    const char *src[5] = { m->method, m->uri, m->host, m->content_type, m->coding };
    size_t len[5], tot = 0;
    for (int i = 0; i < 5; i++)
        tot += (len[i] = strlen(src[i])) + 1;
    x->strs = xmalloc(tot);
    const char *dst[5];
    char *q = x->strs;
    for (int i = 0; i < 5; i++) {
        memcpy(q, src[i], len[i] + 1);
        dst[i] = q;
        q += len[i] + 1;
    }
    x->m = *m;
    x->m.method = dst[0];
    x->m.uri = dst[1];
    x->m.host = dst[2];
    x->m.content_type = dst[3];
    x->m.coding = dst[4];
    x->m.ext = "";
}

static void collect(struct http_out *o, struct side *s, bool all);

static void on_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    struct http_out *o = arg;
    struct side *s = &o->s[m->dir];
    if (s->bf && http_files_threaded(o->files)) {   /* (a file: a pool) */
        http_bfile_close(s->bf);          /* the writer thread finishes it; reported later */
        struct ended *x = xcalloc(1, sizeof *x);
        x->bf = s->bf;
        x->name = s->name;
        x->e = *e;
        keep(x, m);
        if (s->tail)
            s->tail->next = x;
        else
            s->head = x;
        s->tail = x;
        s->nended++;
        s->name = NULL;
        s->bf = NULL;
        collect(o, s, false);
    } else if (s->bf) {
        struct http_bfile_result r;
        http_bfile_finish(s->bf, &r);
        report(o, s, s->name, m, e, &r);
    }
    s->bf = NULL;
    free(s->name);
    s->name = NULL;
}

/* Report the bodies whose files the writer thread was finishing, in
 * order: all of them (waiting), or those already finished (and enough to
 * keep ENDED_MAX at most: a connection with many bodies holds little). */
static void collect(struct http_out *o, struct side *s, bool all)
{
    while (s->head && (all || s->nended > ENDED_MAX || http_bfile_done(s->head->bf))) {
        struct ended *x = s->head;
        s->head = x->next;
        if (!s->head)
            s->tail = NULL;
        s->nended--;
        struct http_bfile_result r;
        http_bfile_finish(x->bf, &r);
        report(o, s, x->name, &x->m, &x->e, &r);
        free(x->strs);
        free(x->name);
        free(x);
    }
}

const struct http_conn_cb http_out_cb = { on_begin, on_body, on_end, on_hole };

char *http_out_xml(struct http_out *o, int dir)
{
    struct side *s = &o->s[dir & 1];
    collect(o, s, true);
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

unsigned http_out_failures(struct http_out *o)
{
    collect(o, &o->s[0], true);
    collect(o, &o->s[1], true);
    return o->failures;
}

void http_out_free(struct http_out *o)
{
    if (!o)
        return;
    for (int i = 0; i < 2; i++) {
        struct side *s = &o->s[i];
        if (s->bf) {                     /* a body never ended: its file as far as it went */
            struct http_bfile_result r;
            http_bfile_finish(s->bf, &r);
            if (r.failed) {
                o->ctr->n[C_HTTP_BODY_FAILED]++;
                o->failures++;
            }
        }
        collect(o, s, true);
        if (s->w)
            xmlFreeTextWriter(s->w);
        if (s->buf)
            xmlBufferFree(s->buf);
        free(s->name);
        free(s->path);
    }
    if (o->own_files)
        http_files_free(o->files);
    free(o->outdir);
    free(o->cmd);
    free(o);
}
