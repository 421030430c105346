/* http.c - the http scanner (-e http, -a): the HTTP/1.x bodies of both
 * directions of every connection, as the bytes stream in.
 *
 * Per connection (f->conn->slot): a two-direction parser (http_parse.h)
 * and its body files and report fragments (http_out.h).  Direction 0 of
 * the parser is the client's flow (the SYN sender; without a SYN, guessed
 * from the first bytes, then from the ports), direction 1 the server's.
 * In-order bytes and holes (FC_STREAM) go to the parser; a direction's
 * release ends it there and hands its <byte_runs> to the flow's record.
 * Body files are named after the flow file (f->name), or, without flow
 * files (-FX, -c), after the name the flow would have had.
 *
 * One instance per worker thread (scanner.h): everything here is the
 * instance's, and a connection's events all come to one instance, in
 * order.  See docs/internals/http.md.
 */
#include "scan/http.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/naming.h"
#include "scan/http_files.h"
#include "scan/http_out.h"
#include "scan/http_parse.h"
#include "scan/http_repair.h"
#include "scan/scanner.h"
#include "util/counters.h"
#include "util/list.h"
#include "util/xalloc.h"

#define OPEN_BODIES 64                 /* body files an instance keeps open at once */
#define HELD_TOTAL (64u << 20)         /* bytes an instance's connections hold (waiting, repairs) */
#define REPAIR_MAX (8u << 20)          /* bytes a direction keeps after a hole, for late bytes to fill it */
#define EMPTY_RUNS "<byte_runs>\n    </byte_runs>"

struct hscan {
    const struct scan_env *env;
    struct http_conn_config pcfg;
    int alert_fd;
    const char *cmd;
    bool digest;
    struct http_files *files;
    struct dlist all;                   /* every connection's state */
    struct dlist waiting;               /* connections holding bytes, oldest first */
    size_t held;                        /* what they hold together */
};

/* One direction of a connection, as the parser numbers them. */
struct hdir {
    struct flow *f;                     /* its flow (NULL: not seen yet, or released) */
    bool assigned;                      /* a flow was given this direction */
    struct flowkey key;                 /* ... with this key */
    bool ended;                         /* the parser was told it ended */
    bool named;                         /* its body files' names are set */
    uint64_t next;                      /* stream offset of the next byte for the parser */
    uint64_t shift;                     /* flow offset - parser offset (bytes prepended) */
    uint8_t head[7];                    /* the first bytes of the stream (1.6.1's rule) */
    uint8_t headn;
    struct http_repair *rep;            /* after a hole: what follows, until late bytes fill it */
};

struct hconn {
    struct hscan *s;
    struct http_conn *pc;
    struct http_out *out;
    struct hdir d[2];
    bool counted;                       /* counted as an HTTP connection */
    struct dlnode all, wl;
    bool in_wl;
    size_t held;
};

/* ---- the parser's callbacks: to http_out ---- */

static void cb_begin(void *arg, const struct http_msg *m)
{
    struct hconn *hc = arg;
    if (!hc->counted) {
        hc->counted = true;
        hc->s->env->ctr->n[C_HTTP_CONNS]++;
    }
    http_out_cb.begin(hc->out, m);
}

static void cb_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    struct hconn *hc = arg;
    http_out_cb.body(hc->out, m, p, n);
}

/* Offsets in the report are the flow file's: the parser's plus what was
 * prepended to the flow since it began (a body already reported before a
 * prepend keeps its offset: the origin moves only at a capture's start). */
static void cb_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    struct hconn *hc = arg;
    uint64_t sh = hc->d[m->dir].shift;
    if (sh && m->body_offset != UINT64_MAX) {
        struct http_msg c = *m;
        c.body_offset += sh;
        http_out_cb.end(hc->out, &c, e);
        return;
    }
    http_out_cb.end(hc->out, m, e);
}

static void cb_hole(void *arg, const struct http_msg *m, uint64_t n)
{
    struct hconn *hc = arg;
    http_out_cb.hole(hc->out, m, n);
}

static const struct http_conn_cb conn_cb = { cb_begin, cb_body, cb_end, cb_hole };

/* ---- connections ---- */

static void wl_out(struct hscan *s, struct hconn *hc)
{
    if (hc->in_wl) {
        dlist_unlink(&s->waiting, &hc->wl);
        hc->in_wl = false;
    }
    s->held -= hc->held;
    hc->held = 0;
}

static void account(struct hscan *s, struct hconn *hc)
{
    size_t h = http_conn_held(hc->pc);
    for (int d = 0; d < 2; d++)
        h += hc->d[d].rep ? http_repair_bytes(hc->d[d].rep) : 0;
    s->held = s->held - hc->held + h;
    hc->held = h;
    if (h && !hc->in_wl) {
        dlist_append(&s->waiting, &hc->wl);
        hc->in_wl = true;
    } else if (!h && hc->in_wl) {
        dlist_unlink(&s->waiting, &hc->wl);
        hc->in_wl = false;
    }
}

static void repair_drain(struct hconn *hc, int d, bool all);

/* Past the instance's cap, the connections that have waited longest stop
 * waiting (their responses are framed without their requests, their holes
 * are given as holes). */
static void cap_held(struct hscan *s)
{
    for (size_t tries = s->waiting.n; s->held > HELD_TOTAL && s->waiting.head && tries > 0; tries--) {
        struct hconn *v = container_of(s->waiting.head, struct hconn, wl);
        for (int d = 0; d < 2; d++)
            if (v->d[d].rep)
                repair_drain(v, d, true);
        http_conn_unwait(v->pc, HTTP_S2C);
        http_conn_unwait(v->pc, HTTP_C2S);
        account(s, v);
        if (v->in_wl)
            dlist_move_tail(&s->waiting, &v->wl);   /* waits again, for a later message */
    }
}

static struct hconn *conn_new(struct hscan *s)
{
    struct hconn *hc = xcalloc(1, sizeof *hc);
    hc->s = s;
    struct http_out_config oc = { s->env->outdir, { NULL, NULL }, s->alert_fd, s->cmd, s->digest };
    hc->out = http_out_new(&oc, s->env->ctr);
    http_out_set_files(hc->out, s->files);
    hc->pc = http_conn_new(&s->pcfg, &conn_cb, hc);
    dlist_append(&s->all, &hc->all);
    return hc;
}

static void conn_free(struct hscan *s, struct hconn *hc)
{
    wl_out(s, hc);
    dlist_unlink(&s->all, &hc->all);
    http_repair_free(hc->d[0].rep);
    http_repair_free(hc->d[1].rep);
    http_conn_end(hc->pc, HTTP_C2S);
    http_conn_end(hc->pc, HTTP_S2C);
    if (hc->counted) {                    /* (not HTTP: its bytes are not counted as skipped) */
        const struct http_conn_stats *st = http_conn_stats(hc->pc);
        struct counters *ctr = s->env->ctr;
        ctr->n[C_HTTP_UNPAIRED] += st->unpaired;
        ctr->n[C_HTTP_RESYNCS] += st->resyncs;
        ctr->n[C_HTTP_HEADER_TOO_LONG] += st->header_too_long;
        ctr->n[C_HTTP_SKIPPED_BYTES] += st->skipped;
    }
    http_conn_free(hc->pc);
    http_out_free(hc->out);
    free(hc);
}

static struct hconn *conn_of(const struct flow_consumer *c, const struct flow *f)
{
    return f->conn ? f->conn->slot[c->slot] : NULL;
}

/* Does p[0..n) begin like a request line (an upper-case token, a space)? */
static bool request_like(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
        i++;
    return i >= 3 && i < n && p[i] == ' ';
}

/* The parser's direction of f: its own once given; else 0 for the client
 * (the SYN sender), 1 for the server; without a SYN, the reverse of the
 * other flow's, else the first bytes say ("HTTP/": a server, a request
 * line: a client), else the lower port is the server's.  -1: a second flow
 * for a direction that ended (a reused tuple): not parsed. */
static int dir_of(struct hconn *hc, struct flow *f, const uint8_t *p, size_t n)
{
    for (int d = 0; d < 2; d++)
        if (hc->d[d].f == f)
            return d;
    int d = -1;
    for (int k = 0; k < 2 && d < 0; k++) {             /* a direction seen before (its flow may be gone) */
        if (!hc->d[k].assigned)
            continue;
        struct flowkey rk;
        flowkey_reverse(&hc->d[k].key, &rk);
        if (flowkey_eq(&f->key, &hc->d[k].key))
            return -1;                                 /* a second flow for it: not parsed */
        if (flowkey_eq(&f->key, &rk))
            d = 1 - k;
    }
    struct flow *rev = f->conn->dir[0] == f ? f->conn->dir[1] : f->conn->dir[0];
    if (d >= 0)
        ;
    else if (f->client || (rev && rev->client))
        d = f->client ? 0 : 1;
    else if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        d = 1;
    else if (request_like(p, n))
        d = 0;
    else
        d = f->key.sport < f->key.dport ? 1 : 0;
    if (hc->d[d].assigned)
        return -1;
    hc->d[d].assigned = true;
    hc->d[d].key = f->key;
    hc->d[d].f = f;
    return d;
}

/* The direction's body files are named after its flow file. */
static void name_dir(struct hscan *s, struct hconn *hc, int d, const struct flow *f)
{
    struct hdir *hd = &hc->d[d];
    hd->named = true;
    char path[PATH_MAX];
    const char *base = naming_flow_base(f, s->env->files, s->env->tmpl, s->env->outdir, s->env->tdelta_us,
                                        path, sizeof path);
    if (base)                           /* (no flow file could be made: no bodies either) */
        http_out_set_path(hc->out, d, base);
}

/* The state of f's connection and f's direction in it, made at the
 * first event; NULL when f is not parsed. */
static struct hconn *get(struct flow_consumer *c, struct flow *f, const uint8_t *p, size_t n, int *dp)
{
    struct hscan *s = c->self;
    if (!f->conn)
        return NULL;
    struct hconn *hc = f->conn->slot[c->slot];
    if (!hc)
        hc = f->conn->slot[c->slot] = conn_new(s);
    int d = dir_of(hc, f, p, n);
    if (d < 0 || hc->d[d].ended)
        return NULL;
    if (!hc->d[d].named)
        name_dir(s, hc, d, f);
    *dp = d;
    return hc;
}

/* ---- the flow events ---- */

/* ---- bytes to the parser ---- */

struct feed { struct hconn *hc; int d; };

static void to_parser(struct hconn *hc, int d, uint64_t off, const uint8_t *p, size_t n)
{
    struct hdir *hd = &hc->d[d];
    if (hd->headn < sizeof hd->head && off - hd->shift == hd->headn) {   /* the stream's first bytes */
        size_t k = sizeof hd->head - hd->headn < n ? sizeof hd->head - hd->headn : n;
        memcpy(hd->head + hd->headn, p, k);
        hd->headn = (uint8_t)(hd->headn + k);
    }
    http_conn_data(hc->pc, d, p, n);
}

static void feed_data(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    struct feed *fd = arg;
    to_parser(fd->hc, fd->d, off, p, n);
}

static void feed_gap(void *arg, uint64_t off, uint64_t n)
{
    struct feed *fd = arg;
    (void)off;
    http_conn_gap(fd->hc->pc, fd->d, n);
}

/* What the repair of direction d has in order goes to the parser (all:
 * everything, its holes as holes); the repair ends when it holds nothing. */
static void repair_drain(struct hconn *hc, int d, bool all)
{
    struct hdir *hd = &hc->d[d];
    struct feed fd = { hc, d };
    struct http_repair_out out = { &fd, feed_data, feed_gap };
    if (http_repair_drain(hd->rep, &out, all)) {
        http_repair_free(hd->rep);
        hd->rep = NULL;
    }
}

/* ---- the flow events ---- */

static void h_stream(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    (void)ts;
    int d;
    struct hconn *hc = get(c, f, p, n, &d);
    if (!hc)
        return;
    struct hdir *hd = &hc->d[d];
    if (hd->rep) {                        /* after a hole: late bytes may fill it */
        bool kept = http_repair_data(hd->rep, off, p, n, REPAIR_MAX);
        if (kept) {
            if (off + n > hd->next)
                hd->next = off + n;
            repair_drain(hc, d, false);
            account(c->self, hc);
            cap_held(c->self);
            return;
        }
        repair_drain(hc, d, true);        /* past its cap: the holes stay holes */
    }
    if (off < hd->next) {                 /* late bytes: the parser is past them */
        uint64_t skip = hd->next - off;
        if (skip >= n)
            return;
        p += skip;
        n -= (size_t)skip;
        off = hd->next;
    }
    if (off > hd->next)                   /* (never: holes are said) */
        http_conn_gap(hc->pc, d, off - hd->next);
    hd->next = off + n;
    to_parser(hc, d, off, p, n);
    account(c->self, hc);
    cap_held(c->self);
}

/* A hole: kept (with what follows) for late bytes to fill, up to a cap. */
static void h_gap(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    (void)ts;
    int d;
    struct hconn *hc = get(c, f, NULL, 0, &d);
    if (!hc)
        return;
    struct hdir *hd = &hc->d[d];
    if (off + len <= hd->next)
        return;
    if (!hd->rep)
        hd->rep = http_repair_new(hd->next);
    if (!http_repair_gap(hd->rep, off, len, REPAIR_MAX)) {
        repair_drain(hc, d, true);        /* too big to wait for: a hole */
        http_conn_gap(hc->pc, d, off + len - hd->next);
    }
    hd->next = off + len;
    account(c->self, hc);
    cap_held(c->self);
}

/* Placed bytes are not used: the parser takes the in-order ones. */
static int h_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    (void)c; (void)f; (void)off; (void)p; (void)n; (void)ts;
    return 0;
}

/* Bytes before the first one seen turned up: the in-order view's offsets
 * grow by n; the parser, past them, goes on (they are late bytes). */
static int h_prepend(struct flow_consumer *c, struct flow *f, uint64_t n)
{
    struct hconn *hc = conn_of(c, f);
    for (int d = 0; hc && d < 2; d++) {
        if (hc->d[d].f == f) {
            hc->d[d].next += n;
            hc->d[d].shift += n;
            if (hc->d[d].rep)
                http_repair_shift(hc->d[d].rep, n);
        }
    }
    return 0;
}

static void h_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    struct hscan *s = c->self;
    struct hconn *hc = conn_of(c, f);
    int d = hc ? (hc->d[0].f == f ? 0 : hc->d[1].f == f ? 1 : -1) : -1;
    if (d < 0)
        return;
    struct hdir *hd = &hc->d[d];
    if (hd->rep)
        repair_drain(hc, d, true);        /* the holes still open stay holes */
    if (!hd->ended) {
        hd->ended = true;
        http_conn_end(hc->pc, d);
        account(s, hc);
    }
    hd->f = NULL;
    char *x = http_out_xml(hc->out, d);
    /* 1.6.1 gives every flow it scans a <byte_runs>, empty or not */
    if (x)
        flowsum_add_xml(rec, x);
    else if (hd->headn == sizeof hd->head && http_is_response_stream(hd->head, hd->next - hd->shift))
        flowsum_add_xml(rec, EMPTY_RUNS);
    free(x);
}

static void h_conn_release(struct flow_consumer *c, struct conn *cn)
{
    struct hconn *hc = cn->slot[c->slot];
    if (!hc)
        return;
    cn->slot[c->slot] = NULL;
    conn_free(c->self, hc);
}

static const struct flow_consumer_ops http_ops = {
    .wants = FC_STREAM | FC_PLACED,
    .data = h_data,
    .prepend = h_prepend,
    .stream = h_stream,
    .gap = h_gap,
    .release = h_release,
    .conn_release = h_conn_release,
};

/* ---- the scanner ---- */

static void *http_create(const struct scan_env *env, char *err, size_t errlen)
{
    const char *md = env->setting(env, "http_max_decoded");
    uint64_t v;
    if (!setting_count(md, &v)) {
        snprintf(err, errlen, "http_max_decoded=%s: a number of bytes above 0 is wanted", md);
        return NULL;
    }
    struct hscan *s = xcalloc(1, sizeof *s);
    s->env = env;
    s->pcfg.keep_coded = !env->gunzip;
    s->pcfg.max_decoded = v;
    s->alert_fd = atoi(env->setting(env, "http_alert_fd"));
    s->cmd = env->setting(env, "http_cmd");
    const char *dg = env->setting(env, "http_digest");
    s->digest = *dg ? setting_yes(dg) : env->enabled(env, "md5");
    /* a writer thread writes and hashes the bodies, unless lines and
     * commands must come in the order of the traffic */
    s->files = http_files_new(OPEN_BODIES, s->alert_fd < 0 && !*s->cmd);
    return s;
}

static void http_destroy(void *self)
{
    struct hscan *s = self;
    if (!s)
        return;
    while (s->all.head)                  /* connections never released (an interrupted run) */
        conn_free(s, container_of(s->all.head, struct hconn, all));
    http_files_free(s->files);
    free(s);
}

static const struct scan_setting http_settings[] = {
    { "http_cmd", "", "Command to execute on each HTTP attachment" },
    { "http_alert_fd", "-1", "File descriptor to send information about completed HTTP attachments" },
    { "http_max_decoded", "268435456", "Largest decoded size of one HTTP body in bytes; past it the body is cut "
                                       "(decompression bombs)" },
    { "http_digest", "", "SHA-256 of each HTTP body file in the report (YES/NO; default: when flows are "
                         "hashed: -FM, -e md5, -a)" },
    { NULL, NULL, NULL },
};

const struct scanner scan_http = {
    .name = "http",
    .description = "HTTP/1.x bodies of both directions of each connection, de-chunked and decoded, as "
                   "-HTTPBODY-NNN and -HTTPREQBODY-NNN files",
    .flags = SCAN_IN_ALL,
    .settings = http_settings,
    .create = http_create,
    .destroy = http_destroy,
    .flow = &http_ops,
};
