/* http_compat.c - tcpflow 1.6.1's response parser over a buffer
 * (http_scan), the 80-byte rule, and the Content-Type -> extension table.
 * See http.h and docs/internals/http.md. */
#include "scan/http.h"

#include <stdlib.h>
#include <string.h>

#include "scan/http_parse.h"

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
    return n >= HTTP_MIN_STREAM && memcmp(head, "HTTP/1.", 7) == 0;
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
    struct http_conn_cb ccb = { .begin = compat_begin, .body = compat_body, .end = compat_end };
    struct http_conn *c = http_conn_new(&cfg, &ccb, &a);
    http_conn_data(c, HTTP_S2C, buf, n);
    http_conn_end(c, HTTP_S2C);
    unsigned count = (unsigned)http_conn_stats(c)->messages[HTTP_S2C];
    http_conn_free(c);
    return count;
}
