/* conntrack.c - see conntrack.h. */
#include "flow/conntrack.h"
#include "flow/flowtab.h"
#include "flow/reasm.h"
#include "flow/stream.h"
#include "decode/decode.h"
#include "decode/tunnel.h"
#include "util/list.h"
#include "util/xalloc.h"

#include <string.h>

struct conntrack {
    struct conntrack_config cfg;
    struct counters ctr;
    struct flowtab tab;
    struct dlist idle;              /* open flows, least recently active first */
    struct dlist closed;            /* closed flows, oldest close first */
    struct flow_consumer *cons[FLOW_SLOTS];
    unsigned ncons;
    unsigned placed_mask, stream_mask;      /* which consumers want what */
    struct stream *stream;          /* the in-order view, when a consumer wants it */
    bool may_start;
    uint64_t next_flow_id, next_session_id;
    uint64_t total_packets;
    int64_t now_us;
    conntrack_done_fn done_fn;
    void *done_arg;
};

static struct flow *flow_of(struct dlnode *n) { return dlist_entry(n, struct flow, ln); }

/* ---- consumers ---- */

static void stream_data_cb(void *arg, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct conntrack *ct = arg;
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->stream_mask & (1u << i) && ct->cons[i]->ops->stream)
            ct->cons[i]->ops->stream(ct->cons[i], f, off, p, n, ts);
}

static void stream_gap_cb(void *arg, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    struct conntrack *ct = arg;
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->stream_mask & (1u << i) && ct->cons[i]->ops->gap)
            ct->cons[i]->ops->gap(ct->cons[i], f, off, len, ts);
}

bool conntrack_add_consumer(struct conntrack *ct, struct flow_consumer *c)
{
    if (ct->ncons >= FLOW_SLOTS) return false;
    c->slot = ct->ncons;
    ct->cons[ct->ncons] = c;
    if (c->ops->wants & FC_PLACED) ct->placed_mask |= 1u << ct->ncons;
    if (c->ops->wants & FC_STREAM) ct->stream_mask |= 1u << ct->ncons;
    ct->ncons++;
    if (ct->stream_mask && !ct->stream) {
        struct stream_config sc = { ct->cfg.max_held_flow, ct->cfg.max_held_total };
        ct->stream = stream_new(&sc, stream_data_cb, stream_gap_cb, ct);
    }
    return true;
}

const char *conntrack_error(const struct conntrack *ct)
{
    for (unsigned i = 0; i < ct->ncons; i++) {
        const char *e = ct->cons[i]->ops->error ? ct->cons[i]->ops->error(ct->cons[i]) : NULL;
        if (e) return e;
    }
    return NULL;
}

/* ---- construction ---- */

struct conntrack *conntrack_new(const struct conntrack_config *cfg)
{
    struct conntrack *ct = xcalloc(1, sizeof *ct);
    ct->cfg = *cfg;
    ct->may_start = true;
    flowtab_init(&ct->tab);
    return ct;
}

void conntrack_set_done(struct conntrack *ct, conntrack_done_fn fn, void *arg)
{
    ct->done_fn = fn;
    ct->done_arg = arg;
}

void conntrack_set_may_start(struct conntrack *ct, bool may) { ct->may_start = may; }
const struct counters *conntrack_counters(const struct conntrack *ct) { return &ct->ctr; }

void conntrack_stats(const struct conntrack *ct, struct conntrack_stats *out)
{
    out->total_flows = ct->next_flow_id;
    out->total_packets = ct->total_packets;
    out->open_flows = ct->idle.n;
}

/* ---- flow life cycle ---- */

static void summarize(const struct conntrack *ct, const struct flow *f, struct flow_summary *s)
{
    memset(s, 0, sizeof *s);
    s->filesize = f->rs.hi;
    s->start_us = f->first_us + ct->cfg.tdelta_us;
    s->end_us = f->last_us + ct->cfg.tdelta_us;
    s->has_mac = f->has_mac;
    memcpy(s->mac_src, f->mac_src, 6);
    memcpy(s->mac_dst, f->mac_dst, 6);
    s->family = f->key.family;
    memcpy(s->src, f->key.src, 16);
    memcpy(s->dst, f->key.dst, 16);
    s->sport = f->key.sport;
    s->dport = f->key.dport;
    s->has_vlan = f->has_vlan;
    s->vlan = f->vlan;
    s->flow_id = f->flow_id;
    s->session_id = f->session_id;
    s->packets = f->packets;
    s->len = f->len;
    s->caplen = f->caplen;
    s->out_of_order = f->ooo;
    s->violations = f->violations;
    s->gap_bytes = reasm_gap_bytes(&f->rs);
    s->end = f->end;
    s->syn_seen = f->rs.syn_seen;
    s->fin_seen = f->rs.fin_seen;
    s->complete = f->rs.syn_seen && f->rs.fin_seen && reasm_covered(&f->rs, f->rs.fin_off) &&
                  f->rs.hi == f->rs.fin_off;
    s->encap = f->tun ? f->tun->desc : NULL;
}

static void list_out(struct conntrack *ct, struct flow *f)
{
    if (!f->in_list) return;
    dlist_unlink(f->state == FLOW_OPEN ? &ct->idle : &ct->closed, &f->ln);
    f->in_list = false;
}

static void list_in(struct dlist *l, struct flow *f)
{
    dlist_append(l, &f->ln);
    f->in_list = true;
}

/* A flow no longer owns its key (a new flow takes it, or it is released). */
static void flow_detach(struct conntrack *ct, struct flow *f)
{
    if (f->in_table) {
        flowtab_remove(&ct->tab, f);
        f->in_table = false;
    }
}

static void conn_leave(struct conntrack *ct, struct flow *f)
{
    struct conn *c = f->conn;
    if (!c) return;
    if (c->dir[0] == f) c->dir[0] = NULL;
    if (c->dir[1] == f) c->dir[1] = NULL;
    f->conn = NULL;
    if (--c->refs > 0) return;
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->cons[i]->ops->conn_release)
            ct->cons[i]->ops->conn_release(ct->cons[i], c);
    free(c);
}

/* The flow is done for good: every consumer adds to its record, the
 * record goes to the report, the flow is freed. */
static void flow_release(struct conntrack *ct, struct flow *f)
{
    flow_detach(ct, f);
    list_out(ct, f);
    if (ct->stream) stream_flow_end(ct->stream, f);      /* flows are closed first: a no-op */
    struct flow_summary s;
    summarize(ct, f, &s);
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->cons[i]->ops->release)
            ct->cons[i]->ops->release(ct->cons[i], f, &s);
    if (ct->done_fn) ct->done_fn(ct->done_arg, &s);
    flowsum_release(&s);
    conn_leave(ct, f);
    reasm_release(&f->rs);
    free(f);
}

/* Tell every consumer that f ended (again: after late data). */
static void tell_close(struct conntrack *ct, struct flow *f, bool again)
{
    if (ct->stream) stream_flow_end(ct->stream, f);
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->cons[i]->ops->close)
            ct->cons[i]->ops->close(ct->cons[i], f, again);
}

/* Open -> closed: consumers finish their outputs; the flow lingers for
 * late retransmissions. */
static void flow_close(struct conntrack *ct, struct flow *f, enum flow_end why)
{
    if (f->state != FLOW_OPEN) return;
    f->end = why;
    tell_close(ct, f, false);
    list_out(ct, f);
    f->state = FLOW_CLOSED;
    list_in(&ct->closed, f);
    if (why == FLOW_END_EOF || why == FLOW_END_SIGNAL) return;   /* released by finish */
    while (ct->closed.n > ct->cfg.max_closed && ct->closed.head)
        flow_release(ct, flow_of(ct->closed.head));
}

static void expire_closed(struct conntrack *ct, int64_t now)
{
    struct flow *f;
    while ((f = flow_of(ct->closed.head)) && f->last_us + (int64_t)ct->cfg.closed_linger_us < now)
        flow_release(ct, f);
}

static void expire_idle(struct conntrack *ct, int64_t now)
{
    struct flow *f;
    if (ct->cfg.tcp_timeout_us <= 0) return;
    while ((f = flow_of(ct->idle.head)) && f->last_us + ct->cfg.tcp_timeout_us < now) {
        ct->ctr.n[C_FLOW_TIMEOUT]++;
        flow_close(ct, f, FLOW_END_TIMEOUT);
    }
}

void conntrack_expire(struct conntrack *ct, int64_t now_us)
{
    ct->now_us = now_us;
    expire_idle(ct, now_us);
    if (ct->closed.head) expire_closed(ct, now_us);
}

/* Join the connection of the open reverse direction r, or start one. */
static void conn_join(struct conntrack *ct, struct flow *f, struct flow *r)
{
    struct conn *c = r && r->state == FLOW_OPEN ? r->conn : NULL;
    f->session_id = c ? r->session_id : ct->next_session_id++;
    if (c && !c->dir[0]) c->dir[0] = f;
    else if (c && !c->dir[1]) c->dir[1] = f;
    else {
        c = xcalloc(1, sizeof *c);           /* a reverse that moved on: a connection of its own */
        c->id = f->session_id;
        c->dir[0] = f;
    }
    c->refs++;
    f->conn = c;
}

static struct flow *flow_new(struct conntrack *ct, const struct flowkey *k, uint32_t h, const struct decoded *d)
{
    const struct tcp_seg *seg = &d->seg;
    struct flow *f = xcalloc(1, sizeof *f);
    flow_name_fields(f, d);
    f->key = *k;
    f->hash = h;
    f->state = FLOW_OPEN;
    f->flow_id = ct->next_flow_id++;
    bool syn = seg->flags & TH_SYN;
    reasm_init(&f->rs, syn ? seg->seq : seg->seq - 1, syn);
    f->client = syn && !(seg->flags & TH_ACK);
    struct flowkey rk;
    flowkey_reverse(k, &rk);
    conn_join(ct, f, flowtab_find(&ct->tab, &rk, h));
    flowtab_insert(&ct->tab, f);
    f->in_table = true;
    list_in(&ct->idle, f);
    if (ct->cfg.max_flows && ct->idle.n > ct->cfg.max_flows && flow_of(ct->idle.head) != f) {
        ct->ctr.n[C_FLOW_EVICTED]++;
        flow_close(ct, flow_of(ct->idle.head), FLOW_END_EVICTED);
    }
    return f;
}

/* ---- placement ---- */

struct emit_ctx { struct conntrack *ct; struct flow *f; int64_t ts; };

/* New bytes from reassembly: to the consumers of placed bytes as they are
 * (a sink keeps what -b lets it), and within -b to the in-order view. */
static void emit(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    struct emit_ctx *e = arg;
    struct conntrack *ct = e->ct;
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->placed_mask & (1u << i))
            ct->cons[i]->ops->data(ct->cons[i], e->f, off, p, n, e->ts);
    if (ct->stream)
        stream_data(ct->stream, e->f, off, p, flow_clip(ct->cfg.max_bytes, off, n), e->ts);
}

/* The origin of f moved back by n bytes: tell the consumers. */
static void prepend(struct conntrack *ct, struct flow *f, uint64_t n)
{
    reasm_prepend(&f->rs, n);
    f->ooo++;
    if (ct->stream) stream_prepend(ct->stream, f, n);
    for (unsigned i = 0; i < ct->ncons; i++)
        if (ct->placed_mask & (1u << i) && ct->cons[i]->ops->prepend)
            ct->cons[i]->ops->prepend(ct->cons[i], f, n);
}

enum place { PLACED, SPLIT };

/* Where seg's payload starts in f's stream; SPLIT when the jump is too
 * large (the caller starts a new flow).  May trim *p and *len (bytes before
 * the ISN) or move the origin (earlier bytes of a stream seen mid-way). */
static enum place locate(struct conntrack *ct, struct flow *f, uint32_t seq, const uint8_t **p,
                         size_t *len, int64_t *offp, bool *prepended)
{
    struct reasm *rs = &f->rs;
    int64_t off = reasm_offset(rs, seq);
    if (off < 0) {
        uint64_t before = (uint64_t)-off;
        if (rs->syn_seen) {
            /* bytes before the ISN: not part of this connection */
            ct->ctr.n[C_TCP_BEFORE_ISN]++;
            f->violations++;
            if (before >= *len) { *len = 0; return PLACED; }
            *p += before;
            *len -= (size_t)before;
            off = 0;
        } else {
            if (before > ct->cfg.max_seek) return SPLIT;
            /* capture started mid-stream and earlier data turned up: move the origin */
            prepend(ct, f, before);
            *prepended = true;       /* counted once, as 1.6.1 does */
            off = 0;
        }
    } else if ((uint64_t)off > rs->hi && (uint64_t)off - rs->hi > ct->cfg.max_seek && rs->hi > 0) {
        return SPLIT;
    }
    *offp = off;
    return PLACED;
}

/* Put seg's payload into f. */
static enum place place_data(struct conntrack *ct, struct flow *f, const struct decoded *d)
{
    const struct tcp_seg *seg = &d->seg;
    struct reasm *rs = &f->rs;
    const uint8_t *p = seg->data;
    size_t len = seg->len;
    uint32_t seq = seg->seq;
    if (seg->flags & TH_SYN) {
        seq++;                       /* data of a SYN starts after it */
        ct->ctr.n[C_TCP_SYN_WITH_DATA]++;
        f->violations++;
    }
    int64_t off = 0;
    bool prepended = false;
    if (locate(ct, f, seq, &p, &len, &off, &prepended) == SPLIT) return SPLIT;
    if (len == 0) return PLACED;
    if (len == 1 && rs->hi > 0 && (uint64_t)off + 1 == rs->hi) {
        ct->ctr.n[C_TCP_KEEPALIVE]++;          /* keep-alive probe: seq = next - 1 */
        return PLACED;
    }
    if ((uint64_t)off > rs->hi)
        ct->ctr.n[C_TCP_GAP_BYTES] += (uint64_t)off - rs->hi;
    struct emit_ctx e = { ct, f, d->cp->ts_us };
    struct reasm_result res;
    reasm_add(rs, (uint64_t)off, p, len, ct->cfg.overlap_last ? REASM_LAST : REASM_FIRST, emit, &e, &res);
    if (res.out_of_order && !prepended) {
        f->ooo++;
        ct->ctr.n[C_TCP_OOO_SEGMENTS]++;
    }
    ct->ctr.n[C_TCP_DUP_BYTES] += res.dup_bytes;
    return PLACED;
}

static void account(struct conntrack *ct, struct flow *f, const struct capture_pkt *cp)
{
    f->packets++;
    f->len += cp->wirelen;
    f->caplen += cp->caplen;
    f->last_us = cp->ts_us;
    ct->total_packets++;
    if (f->state == FLOW_OPEN) dlist_move_tail(&ct->idle, &f->ln);
}

/* Late data for a closed flow (inside its old range): same file. */
static void place_late(struct conntrack *ct, struct flow *f, const struct decoded *d)
{
    ct->ctr.n[C_TCP_LATE_TO_CLOSED]++;
    account(ct, f, d->cp);
    place_data(ct, f, d);
    tell_close(ct, f, true);
}

/* A segment for a flow that is closed: a new connection (NULL: start a
 * flow), the same one going on (f reopened), or late data (placed here;
 * *done set). */
static struct flow *closed_flow(struct conntrack *ct, struct flow *f, const struct decoded *d, bool *done)
{
    const struct tcp_seg *seg = &d->seg;
    bool syn = seg->flags & TH_SYN;
    if (syn && (seg->seq != f->rs.isn || (f->rs.hi == 0 && f->end == FLOW_END_RST))) {
        /* a new connection (or a SYN retried after a refused attempt) */
        flow_detach(ct, f);
        ct->ctr.n[C_TCP_NEW_CONN_SYN]++;
        return NULL;
    }
    if (f->end == FLOW_END_TIMEOUT || f->end == FLOW_END_EVICTED) {
        /* idle, not finished: the connection goes on in the same file */
        list_out(ct, f);
        f->state = FLOW_OPEN;
        list_in(&ct->idle, f);
        return f;
    }
    *done = true;
    if (seg->len == 0) return f;                         /* trailing ACK/FIN */
    int64_t off = reasm_offset(&f->rs, syn ? seg->seq + 1 : seg->seq);
    if (off < (int64_t)f->rs.hi) {
        place_late(ct, f, d);
        return f;
    }
    *done = false;
    flow_detach(ct, f);                                  /* beyond the old stream */
    return NULL;
}

/* Close f and start a new flow for d in its place. */
static struct flow *restart(struct conntrack *ct, struct flow *f, enum flow_end why,
                            const struct flowkey *k, uint32_t h, const struct decoded *d)
{
    flow_close(ct, f, why);
    flow_detach(ct, f);
    return flow_new(ct, k, h, d);
}

/* A SYN for an open flow: a retry, the SYN of a stream seen mid-way, or a
 * new connection. */
static struct flow *syn_on_open(struct conntrack *ct, struct flow *f, const struct flowkey *k, uint32_t h,
                                const struct decoded *d)
{
    const struct tcp_seg *seg = &d->seg;
    struct reasm *rs = &f->rs;
    if (rs->syn_seen && seg->seq != rs->isn) {
        if (rs->hi == 0 && !rs->fin_seen) {
            reasm_init(rs, seg->seq, true);           /* no data yet: adopt the new ISN */
        } else {
            ct->ctr.n[C_TCP_NEW_CONN_SYN]++;
            f = restart(ct, f, FLOW_END_NEWCONN, k, h, d);
        }
    } else if (!rs->syn_seen) {
        int64_t o1 = reasm_offset(rs, seg->seq + 1);
        if (o1 <= 0 && (uint64_t)-o1 <= ct->cfg.max_seek) {
            if (o1 < 0)
                prepend(ct, f, (uint64_t)-o1);
            rs->syn_seen = true;
        } else {
            ct->ctr.n[C_TCP_NEW_CONN_SYN]++;
            f = restart(ct, f, FLOW_END_NEWCONN, k, h, d);
        }
    }
    if (!(seg->flags & TH_ACK)) f->client = true;
    return f;
}

/* FIN and RST: the direction ends when every byte before the FIN is in. */
static void end_flags(struct conntrack *ct, struct flow *f, const struct tcp_seg *seg)
{
    struct reasm *rs = &f->rs;
    bool syn = seg->flags & TH_SYN;
    if ((seg->flags & TH_FIN) && !rs->fin_seen) {
        int64_t off = reasm_offset(rs, syn ? seg->seq + 1 : seg->seq) + (int64_t)seg->len;
        rs->fin_seen = true;
        rs->fin_off = off > 0 ? (uint64_t)off : 0;
    }
    if (seg->flags & TH_RST)
        flow_close(ct, f, FLOW_END_RST);
    else if (rs->fin_seen && reasm_covered(rs, rs->fin_off))
        flow_close(ct, f, FLOW_END_FIN);
}

void conntrack_packet(struct conntrack *ct, const struct decoded *d)
{
    const struct tcp_seg *seg = &d->seg;
    struct flowkey k;
    flow_key_of(&k, d);
    uint32_t h = flowtab_hash(&ct->tab, &k);
    struct flow *f = flowtab_find(&ct->tab, &k, h);
    bool syn = seg->flags & TH_SYN;

    if (f && f->state == FLOW_CLOSED) {
        bool done = false;
        f = closed_flow(ct, f, d, &done);
        if (done) return;
    }
    if (!f) {
        if (!ct->may_start) { ct->ctr.n[C_TCP_IGNORED_R]++; return; }
        if (seg->len == 0 && (!syn || (seg->flags & (TH_FIN | TH_RST)))) {
            ct->ctr.n[C_TCP_IGNORED_NO_FLOW]++;
            return;
        }
        f = flow_new(ct, &k, h, d);
    } else if (syn) {
        f = syn_on_open(ct, f, &k, h, d);
    }
    account(ct, f, d->cp);
    if (seg->len > 0 && place_data(ct, f, d) == SPLIT) {
        ct->ctr.n[C_TCP_MAXSEEK_SPLIT]++;
        f = restart(ct, f, FLOW_END_MAXSEEK, &k, h, d);
        account(ct, f, d->cp);
        place_data(ct, f, d);
    }
    end_flags(ct, f, seg);
}

void conntrack_finish(struct conntrack *ct, enum flow_end end)
{
    while (ct->idle.head)
        flow_close(ct, flow_of(ct->idle.head), end);
    while (ct->closed.head)
        flow_release(ct, flow_of(ct->closed.head));
}

void conntrack_free(struct conntrack *ct)
{
    if (!ct) return;
    conntrack_finish(ct, FLOW_END_EOF);
    stream_free(ct->stream);
    flowtab_release(&ct->tab);
    free(ct);
}
