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

#include "scan/http_parse.h"
#include "util/counters.h"
#include "flow/flow.h"
#include "scan/scanner.h"
#include "util/outdir.h"
#include "util/io.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#define MIN_STREAM 80                  /* shorter flow files are not scanned (1.6.1) */

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

/* 1.6.1's parser is the compat161 mode of the connection parser, on the
 * response direction alone. */
struct compat_arg {
    const struct http_cb *cb;
};

static void compat_begin(void *arg, const struct http_msg *m)
{
    const struct http_cb *cb = ((struct compat_arg *)arg)->cb;
    cb->begin(cb->arg, m->index, m->ext, m->has_body);
}

static void compat_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    const struct http_cb *cb = ((struct compat_arg *)arg)->cb;
    cb->data(cb->arg, m->body_offset, p, n);
}

static void compat_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    const struct http_cb *cb = ((struct compat_arg *)arg)->cb;
    (void)m;
    (void)e;
    cb->end(cb->arg);
}

unsigned http_scan(const uint8_t *buf, size_t n, bool gunzip, const struct http_cb *cb)
{
    struct compat_arg a = { cb };
    struct http_conn_config cfg = { .keep_coded = !gunzip, .compat161 = true };
    struct http_conn_cb ccb = { compat_begin, compat_body, compat_end };
    struct http_conn *c = http_conn_new(&cfg, &ccb, &a);
    http_conn_data(c, HTTP_S2C, buf, n);
    http_conn_end(c, HTTP_S2C);
    unsigned count = (unsigned)http_conn_stats(c)->messages[HTTP_S2C];
    http_conn_free(c);
    return count;
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
