/* http_parse.c - the incremental two-direction HTTP/1.x parser: a
 * message's life and the byte loop of one direction (the API, waiting and
 * holes: http_conn.c).  See http_parse.h and docs/internals/http.md. */
#include <stdlib.h>
#include <string.h>

#include "scan/http.h"
#include "scan/http_parse_int.h"
#include "util/xalloc.h"

/* ---- small helpers ---- */

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }
static bool is_sp(uint8_t c) { return c == ' ' || c == '\t'; }

static void buf_add(struct dir *d, const uint8_t *p, size_t n)
{
    d->buf = xgrow(d->buf, &d->cap, d->len + n, 512);
    memcpy(d->buf + d->len, p, n);
    d->len += n;
}

void hp_buf_reset(struct dir *d)
{
    d->len = 0;
    d->ls = 0;
    if (d->cap > 64 * 1024) {            /* a big header once: do not keep its buffer */
        free(d->buf);
        d->buf = NULL;
        d->cap = 0;
    }
}

static char *dupn(const uint8_t *p, size_t n)
{
    const uint8_t *z = memchr(p, 0, n);
    if (z)
        n = (size_t)(z - p);
    char *s = xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

void hp_req_free(struct req *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->uri);
    free(r->host);
    free(r);
}

bool hp_compat(const struct dir *d) { return d->c->cfg.compat161; }

/* ---- the request queue ---- */

void hp_q_push(struct http_conn *c, struct req *r)
{
    if (c->qn == HTTP_CONN_PENDING) {
        hp_req_free(r);                  /* too many: that response will be unpaired */
        return;
    }
    if (c->qn == c->qcap) {              /* grow the ring, its entries in order from 0 */
        unsigned cap = c->qcap ? c->qcap * 2 : 4;
        if (cap > HTTP_CONN_PENDING)
            cap = HTTP_CONN_PENDING;
        struct req **q = xreallocarray(NULL, cap, sizeof *q);
        for (unsigned i = 0; i < c->qn; i++)
            q[i] = c->q[(c->qh + i) % c->qcap];
        free(c->q);
        c->q = q;
        c->qh = 0;
        c->qcap = cap;
    }
    c->q[(c->qh + c->qn) % c->qcap] = r;
    c->qn++;
}

static struct req *q_pop(struct http_conn *c)
{
    if (!c->qn)
        return NULL;
    struct req *r = c->q[c->qh];
    c->qh = (c->qh + 1) % c->qcap;
    c->qn--;
    return r;
}

void hp_q_clear(struct http_conn *c)
{
    while (c->qn)
        hp_req_free(q_pop(c));
}

/* ---- message life ---- */

static void codec_out(void *arg, const uint8_t *p, size_t n)
{
    struct dir *d = arg;
    d->e.out += n;
    d->c->cb.body(d->c->arg, &d->m, p, n);
}

static void body_bytes(struct dir *d, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (d->m.body_offset == UINT64_MAX)
        d->m.body_offset = d->off;
    if (d->cut)
        return;
    d->e.sent += n;
    if (!d->codec) {
        struct http_codec_config cc = { d->c->cfg.max_decoded, hp_compat(d) };
        enum http_coding L[HTTP_CODEC_LAYERS];
        int k = 0;
        bool unknown = false;
        if (!d->c->cfg.keep_coded && d->m.coding[0]) {
            k = http_codings_parse(d->h.coding, d->h.coding_n, L, HTTP_CODEC_LAYERS, hp_compat(d));
            unknown = k < 0 || d->h.coding_long;
        }
        d->codec = http_codec_new(L, unknown ? 0 : k, unknown, &cc, codec_out, d);
    }
    http_codec_feed(d->codec, p, n);
}

/* A hole of n bytes inside the body: zeros in its place when the bytes go
 * out as sent (no coding, or -Z) and the caller takes holes, as the flow
 * file keeps them; else the rest of the body is cut (a decoder cannot go
 * on after a hole). */
void hp_body_hole(struct dir *d, uint64_t n)
{
    d->e.gap = true;
    if (d->m.body_offset == UINT64_MAX)
        d->m.body_offset = d->off;
    if (d->cut)
        return;
    bool plain = d->c->cfg.keep_coded || !d->m.coding[0];
    if (!plain || !d->c->cb.hole) {
        d->cut = true;
        return;
    }
    d->e.out += n;
    d->c->cb.hole(d->c->arg, &d->m, n);
}

void hp_end_msg(struct dir *d, bool complete)
{
    if (!d->in_msg)
        return;
    struct http_conn *c = d->c;
    d->e.complete = complete && !d->cut && !d->e.gap;
    if (d->codec) {
        struct http_codec_result r;
        http_codec_finish(d->codec, &r);
        d->e.as_sent = r.as_sent;
        d->e.decode_error = r.error;
        d->e.capped = r.capped;
        d->e.truncated = r.truncated;
        d->e.decode_what = r.what;
        c->st.capped += r.capped;
        c->st.decode_errors += r.error;
    } else {
        d->e.as_sent = true;
    }
    c->cb.end(c->arg, &d->m, &d->e);
    http_codec_free(d->codec);
    d->codec = NULL;
    free(d->strs);
    d->strs = NULL;
    hp_req_free(d->req);
    d->req = NULL;
    d->in_msg = false;
    d->cut = false;
}

/* ---- start of a message ---- */

void hp_to_resync(struct dir *d)
{
    hp_buf_reset(d);
    if (hp_compat(d)) {
        d->st = S_STOP;
        return;
    }
    d->c->st.resyncs++;
    d->st = S_RESYNC;
    d->line_start = true;
    if (d->id == HTTP_S2C)
        hp_q_clear(d->c);                    /* the pairing is lost: later requests pair anew */
}

static void set_strings(struct dir *d)
{
    struct http_head *h = &d->h;
    const char *method = "", *uri = "", *host = "";
    char *rm = NULL, *ru = NULL, *rh = NULL;
    if (d->id == HTTP_C2S) {
        method = rm = dupn(h->method, h->method_n);
        uri = ru = dupn(h->uri, h->uri_n);
        host = rh = h->host ? dupn(h->host, h->host_n) : NULL;
        if (!rh)
            host = "";
    } else if (d->req) {
        method = d->req->method;
        uri = d->req->uri;
        host = d->req->host;
        d->m.request_index = d->req->index;
    }
    char *ct = h->ctype ? dupn(h->ctype, h->ctype_n) : NULL;
    size_t cn = strlen(h->coding), tn = ct ? strlen(ct) : 0;
    size_t tot = cn + tn + 2;
    d->strs = xmalloc(tot);
    memcpy(d->strs, h->coding, cn + 1);
    memcpy(d->strs + cn + 1, ct ? ct : "", tn + 1);
    d->m.coding = d->strs;
    d->m.content_type = d->strs + cn + 1;
    d->m.ext = h->ctype ? http_mime_ext((const char *)h->ctype, h->ctype_n) : "";
    free(ct);
    if (d->id == HTTP_C2S) {              /* the request keeps its strings in its queue entry */
        struct req *r = xcalloc(1, sizeof *r);
        r->method = rm;
        r->uri = ru;
        r->host = rh ? rh : xstrdup("");
        d->req = r;
        method = r->method;
        uri = r->uri;
        host = r->host;
    }
    d->m.method = method;
    d->m.uri = uri;
    d->m.host = host;
}

/* The header is parsed and (a response) paired: begin, and frame the body. */
static void begin_msg(struct dir *d)
{
    struct http_conn *c = d->c;
    struct http_head *h = &d->h;
    memset(&d->m, 0, sizeof d->m);
    memset(&d->e, 0, sizeof d->e);
    d->e.decode_what = "";
    d->m.dir = d->id;
    d->m.index = ++d->count;
    d->m.status = h->status;
    d->m.offset = d->msg_off;
    d->m.length = h->chunked ? -1 : h->clen;
    d->m.chunked = h->te && h->chunked;
    d->m.body_offset = UINT64_MAX;
    c->st.messages[d->id]++;
    set_strings(d);
    bool nobody, eof = false, stop = false;
    d->tunnel_after = false;
    if (d->id == HTTP_C2S) {
        nobody = !h->te && h->clen <= 0;
        struct req *r = d->req;
        r->index = d->m.index;
        c->nowait = false;                /* requests again: responses wait for theirs */
        r->head = strcmp(r->method, "HEAD") == 0;
        r->connect = strcmp(r->method, "CONNECT") == 0;
        r->upgrade = h->upgrade;
        struct req *copy = xcalloc(1, sizeof *copy);
        *copy = *r;
        copy->method = xstrdup(r->method);
        copy->uri = xstrdup(r->uri);
        copy->host = xstrdup(r->host);
        hp_q_push(c, copy);
        if (r->connect || r->upgrade)
            d->wait_for = r->index;       /* what follows may not be HTTP: wait for the answer */
    } else {
        unsigned s = h->status;
        bool info = s >= 100 && s < 200;
        nobody = info || s == 204 || s == 304;
        if (hp_compat(d)) {
            stop = s == 101 && h->upgrade && h->conn_upgrade;
        } else {
            bool head = d->req && d->req->head;
            bool connect_ok = d->req && d->req->connect && s >= 200 && s < 300;
            if (s == 101 || connect_ok)
                d->tunnel_after = true;
            nobody = nobody || head || connect_ok;
        }
        eof = !h->te && h->clen < 0;
    }
    d->m.has_body = !nobody && (hp_compat(d) || h->te || h->clen != 0);
    d->in_msg = true;
    hp_buf_reset(d);
    c->cb.begin(c->arg, &d->m);
    if (stop) {
        hp_end_msg(d, true);
        d->st = S_STOP;
        return;
    }
    if (nobody || (!h->te && h->clen == 0) || (d->id == HTTP_C2S && !h->te && h->clen < 0)) {
        hp_msg_done(d, true);
    } else if (h->te && h->chunked) {
        d->st = S_CSIZE;
        d->cr = false;
    } else if (h->clen > 0) {
        d->st = S_LEN;
        d->remain = (uint64_t)h->clen;
    } else if (eof || h->te) {
        d->st = S_EOF;
    }
}

/* A message is over: what the connection does next. */
void hp_msg_done(struct dir *d, bool complete)
{
    struct http_conn *c = d->c;
    bool tunnel = d->tunnel_after;
    unsigned ri = d->m.request_index, status = d->m.status;
    hp_end_msg(d, complete);
    d->st = S_IDLE;
    if (hp_compat(d))
        return;
    if (d->id == HTTP_C2S) {
        if (d->wait_for)
            d->paused = true;             /* after CONNECT or Upgrade: wait for the answer */
        return;
    }
    struct dir *q = &c->d[HTTP_C2S];
    if (tunnel) {
        d->st = S_TUNNEL;
        if (q->st != S_ENDED) {
            q->st = S_TUNNEL;
            q->paused = false;
            q->wait_for = 0;
            c->st.skipped += q->nheld;
            q->nheld = 0;
        }
    } else if ((status >= 200 || status < 100) && q->wait_for && (ri == 0 || ri >= q->wait_for)) {
        q->wait_for = 0;                  /* refused: the client goes on in HTTP */
        q->paused = false;
    }
}

/* Pair a response with its request (a 1xx shares it with the final one). */
static void pair(struct dir *d)
{
    struct http_conn *c = d->c;
    if (d->id != HTTP_S2C || c->cfg.responses_only)
        return;
    if (!c->qn) {
        c->st.unpaired++;
        return;
    }
    unsigned s = d->h.status;
    if (s >= 100 && s < 200 && s != 101) {
        struct req *r = c->q[c->qh];
        d->req = xcalloc(1, sizeof *d->req);
        d->req->method = xstrdup(r->method);
        d->req->uri = xstrdup(r->uri);
        d->req->host = xstrdup(r->host);
        d->req->index = r->index;
        d->req->head = r->head;
        d->req->connect = r->connect;
    } else {
        d->req = q_pop(c);
    }
}

/* A header block is complete. */
static void head_done(struct dir *d)
{
    struct http_conn *c = d->c;
    if (!http_head_parse(d->buf, d->len, d->id == HTTP_S2C, hp_compat(d), &d->h)) {
        hp_to_resync(d);
        return;
    }
    if (d->id == HTTP_S2C && !c->cfg.responses_only && !c->qn && c->d[HTTP_C2S].st != S_ENDED && !c->nowait) {
        d->st = S_HELD;                   /* its request has not been parsed yet */
        d->paused = true;
        return;
    }
    pair(d);
    begin_msg(d);
}

/* The response waiting in S_HELD goes on: its request came, or will not. */
void hp_unhold(struct dir *d)
{
    d->paused = false;
    if (d->st != S_HELD)
        return;
    pair(d);
    begin_msg(d);
}

/* ---- the byte loop ---- */

/* A chunk-size line in buf (without its end): false when unusable. */
static bool chunk_size(struct dir *d, uint64_t *size)
{
    const uint8_t *b = d->buf;
    size_t n = d->len, i = 0;
    uint64_t v = 0;
    if (!hp_compat(d))
        while (i < n && is_sp(b[i]))
            i++;
    size_t s = i;
    for (; i < n; i++) {
        uint8_t h = b[i];
        int x = h >= '0' && h <= '9' ? h - '0' : lower(h) >= 'a' && lower(h) <= 'f' ? lower(h) - 'a' + 10 : -1;
        if (x < 0)
            break;
        if (v >> 59)
            return false;                 /* absurd size */
        v = v << 4 | (uint64_t)x;
    }
    if (i == s)
        return false;
    if (i < n && b[i] != ';' && b[i] != ' ' && (hp_compat(d) || b[i] != '\t'))
        return false;
    *size = v;
    return true;
}

/* Up to the end of a line into buf; returns bytes taken, *done when the LF
 * was among them (buf then holds the line without CR LF). */
static size_t take_line(struct dir *d, const uint8_t *p, size_t n, bool *done)
{
    const uint8_t *lf = memchr(p, '\n', n);
    size_t k = lf ? (size_t)(lf - p) + 1 : n;
    *done = lf != NULL;
    buf_add(d, p, k);
    if (*done) {
        d->len--;
        if (d->len > 0 && d->buf[d->len - 1] == '\r')
            d->len--;
    }
    return k;
}

static size_t max_header(const struct dir *d)
{
    return d->c->cfg.max_header ? d->c->cfg.max_header : HTTP_MAX_HEADER_DEFAULT;
}

/* Too long a header or line. */
static void too_long(struct dir *d)
{
    d->c->st.header_too_long++;
    if (d->in_msg)
        hp_end_msg(d, false);
    hp_to_resync(d);
    d->line_start = false;
}

/* S_HEAD: returns bytes taken. */
static size_t st_head(struct dir *d, const uint8_t *p, size_t n)
{
    size_t k = 0;
    while (k < n) {
        const uint8_t *lf = memchr(p + k, '\n', n - k);
        size_t t = lf ? (size_t)(lf - (p + k)) + 1 : n - k;
        if (d->len + t > max_header(d) + 2) {
            too_long(d);
            return k + t;
        }
        buf_add(d, p + k, t);
        k += t;
        if (!lf)
            return k;
        size_t ls = d->ls, le = d->len - 1;
        d->ls = d->len;
        if (le > ls && d->buf[le - 1] == '\r')
            le--;
        if (ls == 0) {                     /* the start line: check it at once */
            struct http_head h;
            unsigned st;
            memset(&h, 0, sizeof h);
            if (d->id == HTTP_S2C ? !http_status_line(d->buf, le, &st) : !http_request_line(d->buf, le, &h)) {
                hp_to_resync(d);
                return k;
            }
        } else if (le == ls) {
            head_done(d);
            return k;
        }
    }
    return k;
}

/* S_RESYNC: look for "HTTP/1." (responses) or an upper-case token and a
 * space (requests) at the start of a line. */
static size_t st_resync(struct dir *d, const uint8_t *p, size_t n)
{
    size_t k = 0;
    while (k < n) {
        if (!d->line_start) {
            const uint8_t *lf = memchr(p + k, '\n', n - k);
            if (!lf) {
                d->c->st.skipped += n - k;
                return n;
            }
            d->c->st.skipped += (size_t)(lf - (p + k)) + 1;
            k = (size_t)(lf - p) + 1;
            d->line_start = true;
            d->len = 0;
            continue;
        }
        uint8_t b = p[k];
        bool ok;
        if (d->len == 0 && (b == '\r' || b == '\n')) {
            k++;
            continue;
        }
        if (d->id == HTTP_S2C) {
            ok = b == (uint8_t)"HTTP/1."[d->len];
        } else {
            ok = (b >= 'A' && b <= 'Z') || (d->len > 0 && b == ' ');
            if (d->len >= 16)
                ok = false;
        }
        if (!ok) {
            d->c->st.skipped += d->len;
            d->len = 0;
            d->line_start = false;
            continue;
        }
        if (d->len == 0)
            d->msg_off = d->off + k;
        buf_add(d, &b, 1);
        k++;
        if ((d->id == HTTP_S2C && d->len == 7) || (d->id == HTTP_C2S && b == ' ')) {
            d->st = S_HEAD;
            d->ls = 0;
            return k;
        }
    }
    return k;
}

/* S_CSIZE: a chunk-size line; returns bytes taken. */
static size_t st_csize(struct dir *d, const uint8_t *p, size_t n)
{
    size_t k;
    bool done;
    if (hp_compat(d)) {                   /* the line ends at CR, and one more byte is taken */
        if (d->cr) {
            d->cr = false;
            uint64_t size;
            bool ok = chunk_size(d, &size);
            hp_buf_reset(d);
            if (!ok) {
                hp_end_msg(d, false);
                d->st = S_STOP;
            } else if (size == 0) {
                d->st = S_TRAILER;
            } else {
                d->st = S_CDATA;
                d->remain = size;
            }
            return 1;
        }
        const uint8_t *cr = memchr(p, '\r', n);
        k = cr ? (size_t)(cr - p) : n;
        if (d->len + k > max_header(d)) {
            hp_end_msg(d, false);
            d->st = S_STOP;
            return n;
        }
        buf_add(d, p, k);
        if (cr) {
            d->cr = true;
            k++;
        }
        return k;
    }
    k = take_line(d, p, n, &done);
    if (d->len > max_header(d)) {
        too_long(d);
        return k;
    }
    if (done) {
        uint64_t size;
        bool ok = chunk_size(d, &size);
        hp_buf_reset(d);
        if (!ok) {
            hp_end_msg(d, false);
            hp_to_resync(d);
        } else if (size == 0) {
            d->st = S_TRAILER;
        } else {
            d->st = S_CDATA;
            d->remain = size;
        }
    }
    return k;
}

/* One state's worth of bytes; returns how many were taken. */
size_t hp_step(struct dir *d, const uint8_t *p, size_t n)
{
    size_t k;
    bool done;
    switch (d->st) {
    case S_IDLE:
        if (*p == '\r' || *p == '\n')
            return 1;
        d->msg_off = d->off;
        d->st = S_HEAD;
        hp_buf_reset(d);
        return 0;
    case S_HEAD:
        return st_head(d, p, n);
    case S_LEN:
    case S_CDATA:
        k = n < d->remain ? n : (size_t)d->remain;
        body_bytes(d, p, k);
        d->remain -= k;
        if (d->remain == 0) {
            if (d->st == S_LEN) {
                hp_msg_done(d, true);
            } else {
                d->st = S_CEND;
                d->remain = 2;
            }
        }
        return k;
    case S_CEND:
        if (hp_compat(d)) {                   /* two bytes, unchecked (http-parser 2.9) */
            d->remain--;
        } else if (*p == '\n') {
            d->remain = 0;
        } else if (*p == '\r' && d->remain == 2) {
            d->remain = 1;
        } else {
            hp_end_msg(d, false);
            hp_to_resync(d);
            return 0;
        }
        if (d->remain == 0) {
            d->st = S_CSIZE;
            d->cr = false;
            hp_buf_reset(d);
        }
        return 1;
    case S_CSIZE:
        return st_csize(d, p, n);
    case S_TRAILER:
        k = take_line(d, p, n, &done);
        if (d->len > max_header(d)) {
            if (hp_compat(d)) {
                hp_end_msg(d, false);
                d->st = S_STOP;
            } else {
                too_long(d);
            }
            return k;
        }
        if (done) {
            bool empty = d->len == 0;
            hp_buf_reset(d);
            if (empty)
                hp_msg_done(d, true);
        }
        return k;
    case S_EOF:
        body_bytes(d, p, n);
        return n;
    case S_RESYNC:
        return st_resync(d, p, n);
    case S_HELD:
    case S_TUNNEL:
    case S_STOP:
    case S_ENDED:
        break;
    }
    d->c->st.skipped += n;
    return n;
}
