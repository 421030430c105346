/* http_conn.c - the two-direction HTTP parser's API: bytes, holes and
 * ends of each direction, and a direction that waits for the other (its
 * bytes held, up to a cap).  See http_parse.h and http_parse_int.h. */
#include <stdlib.h>
#include <string.h>

#include "scan/http_parse_int.h"
#include "util/xalloc.h"

/* ---- waiting ---- */

static void hold(struct dir *d, const uint8_t *p, size_t n)
{
    d->held = xgrow(d->held, &d->heldcap, d->nheld + n, 4096);
    memcpy(d->held + d->nheld, p, n);
    d->nheld += n;
}

/* Held bytes of a direction that is no longer paused, through the parser. */
static void replay(struct dir *d)
{
    while (d->nheld && !d->paused) {
        uint8_t *h = d->held;
        size_t n = d->nheld;
        d->held = NULL;
        d->nheld = 0;
        d->heldcap = 0;
        hp_dir_feed(d, h, n);
        free(h);
    }
}

/* A paused direction that must not wait any longer goes on. */
static void force(struct dir *d)
{
    if (d->st == S_HELD) {
        d->c->nowait = true;              /* no request in sight: the next responses go on (no quadratic replays) */
        hp_unhold(d);
    } else {
        d->paused = false;
        d->wait_for = 0;
    }
    replay(d);
}

void hp_dir_feed(struct dir *d, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (d->paused) {
            if (d->nheld + n <= d->c->cfg.max_hold) {
                hold(d, p, n);
                return;
            }
            force(d);                     /* waited long enough */
            continue;
        }
        size_t k = hp_step(d, p, n);
        p += k;
        n -= k;
        d->off += k;
    }
}

/* Wake whatever waits on the other direction; at the top of a call only. */
static void pump(struct http_conn *c)
{
    if (c->busy)
        return;
    c->busy = true;
    bool again = true;
    while (again) {
        again = false;
        struct dir *s = &c->d[HTTP_S2C], *q = &c->d[HTTP_C2S];
        if (s->paused && s->st == S_HELD && (c->qn || q->st == S_ENDED)) {
            hp_unhold(s);
            replay(s);
            again = true;
        }
        if (q->paused && (s->st == S_ENDED || s->st == S_TUNNEL || s->st == S_STOP || s->st == S_RESYNC ||
                          !q->wait_for)) {
            q->paused = false;
            q->wait_for = 0;
            replay(q);
            again = true;
        }
        if ((s->nheld && !s->paused) || (q->nheld && !q->paused)) {
            replay(s);
            replay(q);
            again = true;
        }
    }
    c->busy = false;
}

/* ---- the API ---- */

struct http_conn *http_conn_new(const struct http_conn_config *cfg, const struct http_conn_cb *cb, void *arg)
{
    struct http_conn *c = xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    if (c->cfg.compat161)
        c->cfg.responses_only = true;
    if (!c->cfg.max_hold)
        c->cfg.max_hold = HTTP_CONN_HOLD;
    c->cb = *cb;
    c->arg = arg;
    for (int i = 0; i < 2; i++) {
        c->d[i].c = c;
        c->d[i].id = i;
        c->d[i].st = S_IDLE;
    }
    if (c->cfg.responses_only)
        c->d[HTTP_C2S].st = S_ENDED;
    return c;
}

void http_conn_data(struct http_conn *c, int dir, const uint8_t *p, size_t n)
{
    if (dir < 0 || dir > 1 || n == 0 || c->d[dir].st == S_ENDED)
        return;
    c->busy = true;
    hp_dir_feed(&c->d[dir], p, n);
    c->busy = false;
    pump(c);
}

void http_conn_gap(struct http_conn *c, int dir, uint64_t n)
{
    if (dir < 0 || dir > 1 || n == 0)
        return;
    struct dir *d = &c->d[dir];
    if (d->st == S_ENDED)
        return;
    c->busy = true;
    c->st.gaps++;
    if (d->paused)
        force(d);
    switch (d->st) {
    case S_LEN:
    case S_CDATA: {
        uint64_t k = n < d->remain ? n : d->remain;   /* what of the hole is body data */
        hp_body_hole(d, k);
        d->remain -= k;
        if (d->remain > 0)
            break;                        /* inside a body of known length: on to its end */
        if (d->st == S_CDATA && k == n) {
            d->st = S_CEND;               /* the chunk's CRLF follows the hole */
            d->remain = 2;
            break;
        }
        if (d->st == S_LEN) {
            hp_msg_done(d, true);            /* (not complete: the hole is said) */
            if (k < n && d->st == S_IDLE)
                hp_to_resync(d);             /* the next message began in the hole */
            break;
        }
        hp_end_msg(d, false);                /* the chunk framing after the data is lost */
        hp_to_resync(d);
        break;
    }
    case S_CSIZE:
    case S_CEND:
    case S_TRAILER:
    case S_HEAD:
    case S_IDLE:
    case S_RESYNC:
    case S_HELD:
        if (d->in_msg) {
            d->e.gap = true;
            hp_end_msg(d, false);
        } else if (d->st == S_HEAD && d->id == HTTP_C2S && !hp_compat(d)) {
            struct req *r = xcalloc(1, sizeof *r);   /* a request lost: its response still comes */
            r->method = xstrdup("");
            r->uri = xstrdup("");
            r->host = xstrdup("");
            hp_q_push(c, r);
        }
        hp_to_resync(d);
        break;
    case S_EOF:
        hp_body_hole(d, n);
        break;
    case S_TUNNEL:
    case S_STOP:
    case S_ENDED:
        break;
    }
    d->off += n;
    c->busy = false;
    pump(c);
}

void http_conn_end(struct http_conn *c, int dir)
{
    if (dir < 0 || dir > 1)
        return;
    struct dir *d = &c->d[dir];
    if (d->st == S_ENDED)
        return;
    c->busy = true;
    while (d->paused)
        force(d);
    if (d->in_msg)
        hp_end_msg(d, d->st == S_EOF);
    d->st = S_ENDED;
    hp_buf_reset(d);
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
    c->busy = false;
    pump(c);
}

bool http_conn_waiting(const struct http_conn *c, int dir)
{
    return dir >= 0 && dir <= 1 && c->d[dir].paused;
}

size_t http_conn_held(const struct http_conn *c)
{
    return c->d[0].nheld + c->d[1].nheld;
}

void http_conn_unwait(struct http_conn *c, int dir)
{
    if (dir < 0 || dir > 1 || !c->d[dir].paused || c->busy)
        return;
    c->busy = true;
    force(&c->d[dir]);
    c->busy = false;
    pump(c);
}

const struct http_conn_stats *http_conn_stats(const struct http_conn *c)
{
    return &c->st;
}

void http_conn_free(struct http_conn *c)
{
    if (!c)
        return;
    http_conn_end(c, HTTP_C2S);
    http_conn_end(c, HTTP_S2C);
    http_conn_end(c, HTTP_C2S);          /* a server end may have woken the client */
    for (int i = 0; i < 2; i++) {
        free(c->d[i].buf);
        free(c->d[i].held);
        free(c->d[i].strs);
        hp_req_free(c->d[i].req);
        http_codec_free(c->d[i].codec);
    }
    hp_q_clear(c);
    free(c->q);
    free(c);
}
