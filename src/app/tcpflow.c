/* tcpflow.c - see tcpflow.h.  Per packet:
 *   datalink_decode -> ip_decode -> (defrag_add -> ip_decode) -> tcp_decode
 *   -> flow lookup -> placement (reasm) -> sinks.
 * Open flows sit in an idle list ordered by last activity (timeouts and
 * eviction take from its head in O(1)); closed flows linger in a FIFO for
 * late retransmissions and are released (report record) when they leave it.
 */
#include "app/tcpflow.h"
#include "decode/datalink.h"
#include "decode/defrag.h"
#include "flow/flow.h"
#include "flow/flowtab.h"
#include "decode/ip.h"
#include "output/naming.h"
#include "capture/pcapwrite.h"
#include "flow/reasm.h"
#include "output/sink_console.h"
#include "output/kpcap.h"
#include "scan/netviz.h"
#include "scan/http.h"
#include "output/sink_file.h"
#include "decode/tcp.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/xalloc.h"
#include <errno.h>
#include <limits.h>
#include <string.h>

struct flist { struct flow *head, *tail; uint64_t n; };

struct tcpflow {
    const struct options *o;
    struct counters ctr;
    struct flowtab tab;
    struct flist idle;          /* open flows, least recently active first */
    struct flist closed;        /* closed flows, oldest close first */
    struct kpcap *kp;               /* -K */
    struct netviz *nv;              /* -e netviz */
    uint8_t *kbuf;                  /* -K: a reassembled datagram behind its link header */
    size_t kbufcap;
    struct sink_file *sink;
    struct sink_console *console;   /* borrowed */
    struct pcapwrite *w;            /* -w: packets not processed */
    bool w_failed;
    uint64_t w_failures;
    struct defrag *defrag;
    bool may_start;
    uint64_t next_flow_id, next_session_id;
    uint64_t total_packets;
    uint64_t unsupported;
    int64_t now_us;
    tcpflow_flow_done_fn done_fn;
    void *done_arg;
    /* per-packet context for the emit callback */
    int64_t pkt_ts;
};

/* ---- lists ---- */

static void list_unlink(struct flist *l, struct flow *f)
{
    if (!f->in_list) return;
    if (f->prev) f->prev->next = f->next; else l->head = f->next;
    if (f->next) f->next->prev = f->prev; else l->tail = f->prev;
    f->prev = f->next = NULL;
    f->in_list = false;
    l->n--;
}

static void list_append(struct flist *l, struct flow *f)
{
    f->prev = l->tail;
    f->next = NULL;
    if (l->tail) l->tail->next = f; else l->head = f;
    l->tail = f;
    f->in_list = true;
    l->n++;
}

/* ---- -w: packets that reached IP but were not TCP we could use ---- */

static void write_unprocessed(struct tcpflow *t, int64_t ts, const uint8_t *data,
                              uint32_t caplen, uint32_t wirelen, int dlt)
{
    if (!t->o->wfile || t->w_failed) return;
    if (!t->w) {
        char err[1024];
        t->w = pcapwrite_open(t->o->wfile, dlt, err, sizeof err);
        if (!t->w) {
            log_error("cannot write -w file %s", err);
            t->w_failed = true;
            t->w_failures++;
            return;
        }
    }
    if (dlt != pcapwrite_dlt(t->w)) {
        t->ctr.n[C_OUT_W_OTHER_DLT]++;          /* a pcap file has one link type */
        return;
    }
    if (pcapwrite_packet(t->w, ts, data, caplen, wirelen) < 0) {
        log_error("write to %s failed: %s", t->o->wfile, strerror(errno));
        t->w_failed = true;
        t->w_failures++;
    }
}

static void write_frame_cb(void *arg, const struct defrag_frame *f)
{
    write_unprocessed(arg, f->ts_us, f->data, f->caplen, f->wirelen, f->dlt);
}

/* ---- construction ---- */

struct tcpflow *tcpflow_new(const struct options *o)
{
    struct tcpflow *t = xcalloc(1, sizeof *t);
    t->o = o;
    t->may_start = true;
    flowtab_init(&t->tab);
    if (o->store_files) {
        struct sink_file_config sc = {
            .outdir = o->outdir, .tmpl = o->tmpl, .max_bytes = o->max_bytes,
            .max_fds = o->max_fds > 0 ? o->max_fds : sink_file_default_max_fds(),
            .max_buffered = o->max_buffered, .tdelta_us = o->tdelta_us, .findx = o->findx,
            .digest = o->md5 && o->enable_report && !o->console,   /* only the report shows them */
            .alert_fd = o->tcp_alert_fd,
        };
        if (o->findx && sc.max_fds > 1) sc.max_fds /= 2;
        t->sink = sink_file_new(&sc, &t->ctr);
    }
    if (o->scan_netviz)
        t->nv = netviz_new();
    if (o->pcap_per_flow)
        t->kp = kpcap_new(o, &t->ctr, o->max_fds > 0 ? o->max_fds : sink_file_default_max_fds());
    struct defrag_config dc;
    defrag_config_default(&dc);
    dc.timeout_us = o->frag_timeout_us;
    dc.max_bytes = o->frag_memcap;
    dc.max_datagrams = o->frag_max_datagrams;
    if (!defrag_policy_parse(o->frag_policy, &dc.policy))
        dc.policy = DEFRAG_FIRST;
    dc.keep_frames = o->wfile != NULL;
    t->defrag = defrag_new(&dc, &t->ctr);
    if (o->wfile)
        defrag_set_drop_cb(t->defrag, write_frame_cb, t);
    return t;
}

void tcpflow_set_flow_done(struct tcpflow *t, tcpflow_flow_done_fn fn, void *arg)
{
    t->done_fn = fn;
    t->done_arg = arg;
}

void tcpflow_set_console(struct tcpflow *t, struct sink_console *c) { t->console = c; }

void tcpflow_set_may_start(struct tcpflow *t, bool may) { t->may_start = may; }
const char *tcpflow_error(const struct tcpflow *t)
{
    if (t->kp && kpcap_error(t->kp)) return kpcap_error(t->kp);
    return t->sink ? sink_file_error(t->sink) : NULL;
}
uint64_t tcpflow_write_failures(const struct tcpflow *t)
{
    return (t->sink ? sink_file_failures(t->sink) : 0) + t->w_failures + (t->kp ? kpcap_failures(t->kp) : 0);
}
const struct counters *tcpflow_counters(const struct tcpflow *t) { return &t->ctr; }
struct netviz *tcpflow_netviz(struct tcpflow *t) { return t->nv; }
uint64_t tcpflow_unsupported_records(const struct tcpflow *t) { return t->unsupported; }

void tcpflow_stats(const struct tcpflow *t, struct tcpflow_stats *out)
{
    out->total_flows = t->next_flow_id;
    out->total_packets = t->total_packets;
    out->open_flows = t->idle.n;
    out->max_open_files = t->sink ? (uint64_t)sink_file_max_open(t->sink) : 0;
    out->open_fds = t->sink ? (uint64_t)sink_file_open_fds(t->sink) : 0;
}

/* ---- flow life cycle ---- */

static void summarize(const struct tcpflow *t, const struct flow *f, struct flow_summary *s)
{
    memset(s, 0, sizeof *s);
    s->filename = f->fs.path;
    s->filesize = f->rs.hi;
    s->stored = f->fs.stored;
    s->start_us = f->first_us + t->o->tdelta_us;
    s->end_us = f->last_us + t->o->tdelta_us;
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
}

/* The flow is done for good: report it and free it. */
static void flow_release(struct tcpflow *t, struct flow *f)
{
    if (f->in_table) {
        flowtab_remove(&t->tab, f);
        f->in_table = false;
    }
    if (f->state == FLOW_OPEN) list_unlink(&t->idle, f);
    else list_unlink(&t->closed, f);
    char *xml = NULL;
    if (t->sink && t->o->scan_http && f->fs.path && f->fs.stored > 0) {
        struct http_scan_config hc = { t->o->gunzip_http, t->o->http_alert_fd, t->o->http_cmd };
        xml = http_scan_flow_file(t->o->outdir, f->fs.path, &hc, &t->ctr);
    }
    if (t->done_fn) {
        struct flow_summary s;
        summarize(t, f, &s);
        /* -FM: hashed while written when the bytes came in order, else read back */
        if (t->sink && t->o->md5 && s.filename &&
            (sink_file_digest(t->sink, f, s.md5, s.sha256) ||
             sink_file_hash_file(t->sink, s.filename, s.md5, s.sha256)))
            s.has_md5 = s.has_sha256 = true;
        s.scanner_xml = xml;
        t->done_fn(t->done_arg, &s);
    }
    free(xml);
    if (t->sink) sink_file_release(t->sink, f);
    reasm_release(&f->rs);
    free(f);
}

/* -S tcp_alert_fd / tcp_cmd when a flow is finished: its file's path, or
 * in console mode the name it would have had ("" for a flow without data). */
static void flow_hooks(struct tcpflow *t, struct flow *f)
{
    bool cmd = *t->o->tcp_cmd && f->fs.path;
    if (t->o->tcp_alert_fd < 0 && !cmd) return;
    char name[PATH_MAX];
    const char *p = f->fs.path;
    if (!p) {
        name[0] = '\0';
        if (!t->sink && f->rs.hi > 0 &&
            naming_render(t->o->tmpl, "", f, 0, t->o->tdelta_us, name, sizeof name) < 0)
            name[0] = '\0';
        p = name;
    }
    alert_line(t->o->tcp_alert_fd, "close", p);
    if (cmd) spawn_cmd(t->o->tcp_cmd, f->fs.path);
}

/* Open -> closed: the file is finished (times set, fd closed); the flow
 * lingers for late retransmissions. */
static void flow_close(struct tcpflow *t, struct flow *f, enum flow_end why)
{
    if (f->state != FLOW_OPEN) return;
    f->end = why;
    if (t->sink) sink_file_close(t->sink, f);
    if (t->console) sink_console_flow_end(t->console, f);
    flow_hooks(t, f);
    list_unlink(&t->idle, f);
    f->state = FLOW_CLOSED;
    list_append(&t->closed, f);
    if (why == FLOW_END_EOF || why == FLOW_END_SIGNAL) return;   /* released by finish */
    while (t->closed.n > t->o->max_closed && t->closed.head)
        flow_release(t, t->closed.head);
}

/* A closed flow no longer owns its key (a new flow takes it). */
static void flow_detach(struct tcpflow *t, struct flow *f)
{
    if (f->in_table) {
        flowtab_remove(&t->tab, f);
        f->in_table = false;
    }
}

static void expire_closed(struct tcpflow *t, int64_t now)
{
    while (t->closed.head && t->closed.head->last_us + (int64_t)t->o->closed_linger_us < now)
        flow_release(t, t->closed.head);
}

static void expire_idle(struct tcpflow *t, int64_t now)
{
    if (t->o->tcp_timeout_us <= 0) return;
    while (t->idle.head && t->idle.head->last_us + t->o->tcp_timeout_us < now) {
        t->ctr.n[C_FLOW_TIMEOUT]++;
        flow_close(t, t->idle.head, FLOW_END_TIMEOUT);
    }
}

static void key_of(struct flowkey *k, const struct ip_pkt *ip, const struct tcp_seg *seg)
{
    memset(k, 0, sizeof *k);
    k->family = (uint8_t)ip->family;
    k->sport = seg->sport;
    k->dport = seg->dport;
    memcpy(k->src, ip->src, 16);
    memcpy(k->dst, ip->dst, 16);
}

/* What names are made of: the key, the first packet's time and link layer. */
static void name_fields(struct flow *f, const struct flowkey *k, const struct l2_info *l2, int64_t ts)
{
    f->key = *k;
    f->first_us = f->last_us = ts;
    f->has_mac = l2->has_mac;
    memcpy(f->mac_src, l2->mac_src, 6);
    memcpy(f->mac_dst, l2->mac_dst, 6);
    f->has_vlan = l2->has_vlan;
    f->vlan = l2->vlan;
}

static struct flow *flow_new(struct tcpflow *t, const struct flowkey *k, uint32_t h,
                             const struct tcp_seg *seg, const struct l2_info *l2, int64_t ts)
{
    struct flow *f = xcalloc(1, sizeof *f);
    name_fields(f, k, l2, ts);
    f->hash = h;
    f->state = FLOW_OPEN;
    f->flow_id = t->next_flow_id++;
    f->fs.fd = -1;
    bool syn = seg->flags & TH_SYN;
    reasm_init(&f->rs, syn ? seg->seq : seg->seq - 1, syn);
    f->client = syn && !(seg->flags & TH_ACK);
    struct flowkey rk;
    flowkey_reverse(k, &rk);
    struct flow *r = flowtab_find(&t->tab, &rk, flowtab_hash(&t->tab, &rk));
    f->session_id = (r && r->state == FLOW_OPEN) ? r->session_id : t->next_session_id++;
    flowtab_insert(&t->tab, f);
    f->in_table = true;
    list_append(&t->idle, f);
    if (t->o->max_flows && t->idle.n > t->o->max_flows && t->idle.head != f) {
        t->ctr.n[C_FLOW_EVICTED]++;
        flow_close(t, t->idle.head, FLOW_END_EVICTED);
    }
    return f;
}

/* ---- placement ---- */

struct emit_ctx { struct tcpflow *t; struct flow *f; };

static void emit(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    struct emit_ctx *e = arg;
    if (e->t->sink)
        sink_file_write(e->t->sink, e->f, off, p, n, e->t->pkt_ts);
    if (e->t->console)
        sink_console_data(e->t->console, e->f, off, p, n, e->t->pkt_ts);
}

/* The origin of f moved back by n bytes: tell the sinks. */
static int prepend(struct tcpflow *t, struct flow *f, uint64_t n)
{
    reasm_prepend(&f->rs, n);
    f->ooo++;
    if (t->console)
        sink_console_prepend(t->console, f, n);
    if (t->sink)
        return sink_file_prepend(t->sink, f, n);
    return 0;
}

enum place { PLACED, SPLIT };

/* Put seg's payload into f.  SPLIT: the jump is too large; the caller starts
 * a new flow for this segment. */
static enum place place_data(struct tcpflow *t, struct flow *f, const struct tcp_seg *seg)
{
    struct reasm *rs = &f->rs;
    const uint8_t *p = seg->data;
    size_t len = seg->len;
    uint32_t seq = seg->seq;
    if (seg->flags & TH_SYN) {
        seq++;                       /* data of a SYN starts after it */
        t->ctr.n[C_TCP_SYN_WITH_DATA]++;
        f->violations++;
    }
    int64_t off = reasm_offset(rs, seq);
    bool prepended = false;
    if (off < 0) {
        uint64_t before = (uint64_t)-off;
        if (rs->syn_seen) {
            /* bytes before the ISN: not part of this connection */
            t->ctr.n[C_TCP_BEFORE_ISN]++;
            f->violations++;
            if (before >= len) return PLACED;
            p += before;
            len -= (size_t)before;
            off = 0;
        } else {
            if (before > t->o->max_seek) return SPLIT;
            /* capture started mid-stream and earlier data turned up: move the origin */
            if (prepend(t, f, before) < 0) return PLACED;
            prepended = true;        /* counted once, as 1.6.1 does */
            off = 0;
        }
    } else if ((uint64_t)off > rs->hi && (uint64_t)off - rs->hi > t->o->max_seek && rs->hi > 0) {
        return SPLIT;
    }
    if (len == 1 && rs->hi > 0 && (uint64_t)off + 1 == rs->hi) {
        t->ctr.n[C_TCP_KEEPALIVE]++;          /* keep-alive probe: seq = next - 1 */
        return PLACED;
    }
    if ((uint64_t)off > rs->hi)
        t->ctr.n[C_TCP_GAP_BYTES] += (uint64_t)off - rs->hi;
    struct emit_ctx e = { t, f };
    struct reasm_result res;
    reasm_add(rs, (uint64_t)off, p, len, t->o->tcp_overlap_last ? REASM_LAST : REASM_FIRST,
              emit, &e, &res);
    if (res.out_of_order && !prepended) {
        f->ooo++;
        t->ctr.n[C_TCP_OOO_SEGMENTS]++;
    }
    t->ctr.n[C_TCP_DUP_BYTES] += res.dup_bytes;
    return PLACED;
}

static void account(struct tcpflow *t, struct flow *f, const struct capture_pkt *cp)
{
    f->packets++;
    f->len += cp->wirelen;
    f->caplen += cp->caplen;
    f->last_us = cp->ts_us;
    t->total_packets++;
    if (f->state == FLOW_OPEN) {
        list_unlink(&t->idle, f);
        list_append(&t->idle, f);
    }
}

/* Late data for a closed flow (inside its old range): same file. */
static void place_late(struct tcpflow *t, struct flow *f, const struct tcp_seg *seg,
                       const struct capture_pkt *cp)
{
    t->ctr.n[C_TCP_LATE_TO_CLOSED]++;
    f->last_us = cp->ts_us;
    f->packets++;
    f->len += cp->wirelen;
    f->caplen += cp->caplen;
    t->total_packets++;
    place_data(t, f, seg);
    if (t->sink) sink_file_close(t->sink, f);
    if (t->console) sink_console_flow_end(t->console, f);
}

static void process_tcp(struct tcpflow *t, const struct capture_pkt *cp, const struct l2_info *l2,
                        const struct ip_pkt *ip, const struct tcp_seg *seg)
{
    struct flowkey k;
    key_of(&k, ip, seg);
    uint32_t h = flowtab_hash(&t->tab, &k);
    struct flow *f = flowtab_find(&t->tab, &k, h);
    bool syn = seg->flags & TH_SYN;

    if (f && f->state == FLOW_CLOSED) {
        if (syn && (seg->seq != f->rs.isn || (f->rs.hi == 0 && f->end == FLOW_END_RST))) {
            /* a new connection (or a SYN retried after a refused attempt) */
            flow_detach(t, f);
            t->ctr.n[C_TCP_NEW_CONN_SYN]++;
            f = NULL;
        } else if (f->end == FLOW_END_TIMEOUT || f->end == FLOW_END_EVICTED) {
            /* idle, not finished: the connection goes on in the same file */
            list_unlink(&t->closed, f);
            f->state = FLOW_OPEN;
            list_append(&t->idle, f);
        } else if (seg->len == 0) {
            return;                                      /* trailing ACK/FIN */
        } else {
            int64_t off = reasm_offset(&f->rs, syn ? seg->seq + 1 : seg->seq);
            if (off < (int64_t)f->rs.hi) {
                place_late(t, f, seg, cp);
                return;
            }
            flow_detach(t, f);                           /* beyond the old stream */
            f = NULL;
        }
    }

    if (!f) {
        if (!t->may_start) { t->ctr.n[C_TCP_IGNORED_R]++; return; }
        if (seg->len == 0 && (!syn || (seg->flags & (TH_FIN | TH_RST)))) {
            t->ctr.n[C_TCP_IGNORED_NO_FLOW]++;
            return;
        }
        f = flow_new(t, &k, h, seg, l2, cp->ts_us);
    } else if (syn) {
        struct reasm *rs = &f->rs;
        if (rs->syn_seen && seg->seq != rs->isn) {
            if (rs->hi == 0 && !rs->fin_seen) {
                reasm_init(rs, seg->seq, true);           /* no data yet: adopt the new ISN */
            } else {
                t->ctr.n[C_TCP_NEW_CONN_SYN]++;
                flow_close(t, f, FLOW_END_NEWCONN);
                flow_detach(t, f);
                f = flow_new(t, &k, h, seg, l2, cp->ts_us);
            }
        } else if (!rs->syn_seen) {
            int64_t o1 = reasm_offset(rs, seg->seq + 1);
            if (o1 <= 0 && (uint64_t)-o1 <= t->o->max_seek) {
                if (o1 < 0)
                    prepend(t, f, (uint64_t)-o1);
                rs->syn_seen = true;
            } else {
                t->ctr.n[C_TCP_NEW_CONN_SYN]++;
                flow_close(t, f, FLOW_END_NEWCONN);
                flow_detach(t, f);
                f = flow_new(t, &k, h, seg, l2, cp->ts_us);
            }
        }
        if (!(seg->flags & TH_ACK)) f->client = true;
    }

    account(t, f, cp);
    if (seg->len > 0 && place_data(t, f, seg) == SPLIT) {
        t->ctr.n[C_TCP_MAXSEEK_SPLIT]++;
        flow_close(t, f, FLOW_END_MAXSEEK);
        flow_detach(t, f);
        f = flow_new(t, &k, h, seg, l2, cp->ts_us);
        account(t, f, cp);
        place_data(t, f, seg);
    }
    struct reasm *rs = &f->rs;
    if ((seg->flags & TH_FIN) && !rs->fin_seen) {
        int64_t off = reasm_offset(rs, syn ? seg->seq + 1 : seg->seq) + (int64_t)seg->len;
        rs->fin_seen = true;
        rs->fin_off = off > 0 ? (uint64_t)off : 0;
    }
    if (seg->flags & TH_RST)
        flow_close(t, f, FLOW_END_RST);
    else if (rs->fin_seen && reasm_covered(rs, rs->fin_off))
        flow_close(t, f, FLOW_END_FIN);
}

/* ---- packets ---- */

static void expire(struct tcpflow *t, int64_t now)
{
    t->now_us = now;
    expire_idle(t, now);
    if (t->closed.head) expire_closed(t, now);
    defrag_expire(t->defrag, now, t->o->wfile ? write_frame_cb : NULL, t);
}

void tcpflow_tick(struct tcpflow *t, int64_t now_us) { expire(t, now_us); }

/* -K: the packet as captured, or a reassembled datagram whole behind the
 * link header of the fragment that completed it. */
static void kpcap_write(struct tcpflow *t, const struct capture_pkt *cp, const struct l2_info *l2,
                        const struct ip_pkt *ip, const struct tcp_seg *seg, const uint8_t *ipb,
                        const uint8_t *whole, size_t wlen)
{
    struct flowkey k;
    key_of(&k, ip, seg);
    struct flow fl;                    /* what the name of a new file is made of */
    memset(&fl, 0, sizeof fl);
    name_fields(&fl, &k, l2, cp->ts_us);
    const uint8_t *frame = cp->data;
    uint32_t caplen = cp->caplen, wirelen = cp->wirelen;
    if (whole) {
        size_t l2len = ipb >= cp->data && ipb <= cp->data + cp->caplen ? (size_t)(ipb - cp->data) : 0;
        size_t n = l2len + wlen;
        if (n > t->kbufcap) {
            t->kbuf = xreallocarray(t->kbuf, n, 1);
            t->kbufcap = n;
        }
        memcpy(t->kbuf, cp->data, l2len);
        memcpy(t->kbuf + l2len, whole, wlen);
        frame = t->kbuf;
        caplen = wirelen = (uint32_t)n;
    }
    kpcap_packet(t->kp, &fl, cp->dlt, cp->ts_us, frame, caplen, wirelen);   /* the time as captured */
}

void tcpflow_packet(struct tcpflow *t, const struct capture_pkt *cp)
{
    struct l2_info l2;
    const uint8_t *ipb;
    size_t iplen;
    enum counter_id why;
    struct ip_pkt ip;
    struct tcp_seg seg;

    if (cp->ts_us > t->now_us) expire(t, cp->ts_us);
    t->pkt_ts = cp->ts_us;
    if (!datalink_supported(cp->dlt)) {
        t->unsupported++;
        return;
    }
    if (t->nv && cp->dlt != 1) netviz_frame(t->nv, cp->ts_us, cp->wirelen, cp->dlt, cp->data, cp->caplen);
    memset(&l2, 0, sizeof l2);
    if (!datalink_decode(cp->dlt, cp->data, cp->caplen, t->o->check_fcs, &l2, &ipb, &iplen, &why)) {
        t->ctr.n[why]++;
        return;
    }
    /* netviz counts, as 1.6.1: on Ethernet the frames that carry IP (not ARP,
     * not LLC), on other links every frame */
    if (t->nv && cp->dlt == 1) netviz_frame(t->nv, cp->ts_us, cp->wirelen, cp->dlt, cp->data, cp->caplen);
    if (!ip_decode(ipb, iplen, &ip, &why)) {
        t->ctr.n[why]++;
        write_unprocessed(t, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
        return;
    }
    if (t->nv) {
        bool ports = ip.proto == 6 && (!ip.frag || ip.frag_off == 0) && ip.l4 && ip.l4len >= 4;   /* TCP, as 1.6.1 */
        netviz_ip(t->nv, ip.family, ip.src, ip.dst, ports, ports ? (uint16_t)(ip.l4[0] << 8 | ip.l4[1]) : 0,
                  ports ? (uint16_t)(ip.l4[2] << 8 | ip.l4[3]) : 0);
    }
    if (ip.frag && ip.proto != 6) {
        t->ctr.n[C_IP_FRAGMENT]++;
        t->ctr.n[C_IP_NOT_TCP]++;                /* not ours to reassemble */
        write_unprocessed(t, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
        return;
    }
    const uint8_t *whole = NULL;
    size_t wlen = 0;
    if (ip.frag) {
        t->ctr.n[C_IP_FRAGMENT]++;
        struct defrag_frame fr = { cp->ts_us, cp->wirelen, cp->data, cp->caplen, cp->dlt };
        if (!defrag_add(t->defrag, &ip, l2.has_vlan ? l2.vlan : 0, cp->ts_us, &fr, &whole, &wlen))
            return;
        if (!ip_decode(whole, wlen, &ip, &why) || ip.frag) {
            t->ctr.n[ip.frag ? C_IP_BAD_HEADER : why]++;
            return;
        }
    }
    if (ip.proto != 6) {
        t->ctr.n[C_IP_NOT_TCP]++;
        write_unprocessed(t, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
        return;
    }
    if (!tcp_decode(ip.l4, ip.l4len, &seg, &why)) {
        if (!(why == C_TCP_TRUNCATED && ip.clipped && ip.l4len >= 20)) {
            t->ctr.n[why]++;
            write_unprocessed(t, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
            return;
        }
        /* the capture cut the options: the fixed header still tells the flags */
        uint8_t hdr[20];
        memcpy(hdr, ip.l4, 20);
        hdr[12] = 0x50;
        if (!tcp_decode(hdr, sizeof hdr, &seg, &why)) {
            t->ctr.n[why]++;
            return;
        }
        t->ctr.n[C_IP_PAYLOAD_CLIPPED]++;
    }
    if (t->kp) {
        kpcap_write(t, cp, &l2, &ip, &seg, ipb, whole, wlen);
        return;
    }
    process_tcp(t, cp, &l2, &ip, &seg);
}

void tcpflow_finish(struct tcpflow *t, enum flow_end end)
{
    while (t->idle.head)
        flow_close(t, t->idle.head, end);
    while (t->closed.head)
        flow_release(t, t->closed.head);
    spawn_wait_all();
    defrag_finish(t->defrag, t->o->wfile ? write_frame_cb : NULL, t);
    if (t->w && pcapwrite_close(t->w) < 0 && !t->w_failed) {
        log_error("write to %s failed: %s", t->o->wfile, strerror(errno));
        t->w_failures++;
    }
    t->w = NULL;
}

void tcpflow_free(struct tcpflow *t)
{
    if (!t) return;
    tcpflow_finish(t, FLOW_END_EOF);
    sink_file_free(t->sink);
    kpcap_free(t->kp);
    netviz_free(t->nv);
    free(t->kbuf);
    defrag_free(t->defrag);
    flowtab_release(&t->tab);
    free(t);
}

const char *flow_end_name(enum flow_end e)
{
    switch (e) {
    case FLOW_END_FIN: return "fin";
    case FLOW_END_RST: return "rst";
    case FLOW_END_TIMEOUT: return "timeout";
    case FLOW_END_EOF: return "eof";
    case FLOW_END_NEWCONN: return "newconn";
    case FLOW_END_MAXSEEK: return "maxseek";
    case FLOW_END_EVICTED: return "evicted";
    case FLOW_END_SIGNAL: return "signal";
    }
    return "?";
}
