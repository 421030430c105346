/* decode.c - see decode.h.  Per record:
 *
 *   datalink_decode -> level: ip_decode -> (defrag_add -> ip_decode)
 *                       -> TCP: tcp_decode, done
 *                       -> a tunnel: tunnel_hop -> (datalink_inner) -> next level
 *
 * Each level's bytes live in the record, in defrag's output buffer (the
 * datagram the level's fragment completed), or in one of the decoder's
 * hold buffers: before a deeper level's fragment goes to defrag, the
 * datagram it sits in is copied out of defrag's buffer, so that nothing a
 * caller or the view still points to is overwritten.  That only happens for
 * fragments inside tunnels inside fragments.
 */
#include "decode/decode.h"
#include "decode/tun_priv.h"
#include "util/xalloc.h"

#include <string.h>

#define MAX_LEVELS 33                   /* tunnel_depth is at most 32 */

struct decoder {
    struct decode_config cfg;
    struct counters ctr;
    struct defrag *defrag;
    struct tunnel_table *tunnels;
    bool reasm_gre, reasm_ipip, reasm_udp;   /* fragments of these are reassembled */
    uint64_t unsupported;
    decode_unprocessed_fn unprocessed;
    void *unprocessed_arg;
    decode_view_fn view;
    void *view_arg;
    uint8_t *hold[MAX_LEVELS];
    size_t holdcap[MAX_LEVELS];
};

/* How one record's walk through the levels ended. */
enum res {
    R_GO,                               /* go on: the next level is ready */
    R_TCP,                              /* out holds a TCP segment */
    R_SKIP,                             /* counted; offered to -w */
    R_QUIET,                            /* held by defrag, or counted and not offered */
};

struct walk {
    struct decoder *d;
    const struct capture_pkt *cp;
    struct decoded *out;
    unsigned depth;                     /* levels of encapsulation so far */
    const struct tunnel *tun;
    const uint8_t *net;                 /* this level's IP packet */
    size_t netlen;
    bool in_defrag;                     /* net lies in defrag's output buffer ... */
    const uint8_t *wbase;               /* ... in the datagram wbase[0..wlen) */
    size_t wlen;
    bool reassembled;                   /* a level came out of defrag: its frames are -w's */
    bool have_view;
    struct ip_pkt view;                 /* what the view shows */
    const struct tunnel *view_tun;
};

static void frame_cb(void *arg, const struct defrag_frame *f)
{
    struct decoder *d = arg;
    if (d->unprocessed)
        d->unprocessed(d->unprocessed_arg, f->ts_us, f->data, f->caplen, f->wirelen, f->dlt);
}

void decode_config_default(struct decode_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->check_fcs = true;
    defrag_config_default(&cfg->frag);
    tunnel_config_default(&cfg->tun);
}

struct decoder *decoder_new(const struct decode_config *cfg)
{
    struct decoder *d = xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    if (d->cfg.tun.max_depth > MAX_LEVELS - 1)
        d->cfg.tun.max_depth = MAX_LEVELS - 1;
    const struct tunnel_config *t = &d->cfg.tun;
    d->reasm_gre = tun_on(t, TUN_GRE) || tun_on(t, TUN_PPTP) || tun_on(t, TUN_ERSPAN1) ||
                   tun_on(t, TUN_WCCP) || tun_on(t, TUN_ARUBA);
    d->reasm_ipip = tun_on(t, TUN_IPIP);
    for (unsigned k = 0; k < TUN_NKINDS; k++)
        if (tun_on(t, k) && t->ports[k][0])
            d->reasm_udp = true;
    d->defrag = defrag_new(&cfg->frag, &d->ctr);
    d->tunnels = tunnel_table_new(t->max_tunnels);
    return d;
}

void decoder_free(struct decoder *d)
{
    if (!d) return;
    defrag_free(d->defrag);
    tunnel_table_free(d->tunnels);
    for (int i = 0; i < MAX_LEVELS; i++)
        free(d->hold[i]);
    free(d);
}

void decoder_set_unprocessed(struct decoder *d, decode_unprocessed_fn fn, void *arg)
{
    d->unprocessed = fn;
    d->unprocessed_arg = arg;
    defrag_set_drop_cb(d->defrag, fn ? frame_cb : NULL, d);
}

void decoder_set_view(struct decoder *d, decode_view_fn fn, void *arg)
{
    d->view = fn;
    d->view_arg = arg;
}

uint64_t decoder_unsupported(const struct decoder *d) { return d->unsupported; }
size_t decoder_tunnels(const struct decoder *d) { return tunnel_count(d->tunnels); }
const struct counters *decoder_counters(const struct decoder *d) { return &d->ctr; }

static enum res count(struct walk *w, enum counter_id why, enum res r)
{
    w->d->ctr.n[why]++;
    return r;
}

/* Fragments of proto are reassembled: TCP, and what a tunnel decoded here
 * rides on. */
static bool reassembled_proto(const struct decoder *d, uint8_t proto)
{
    switch (proto) {
    case 6: return true;
    case 47: return d->reasm_gre;
    case 4: case 41: return d->reasm_ipip;
    case 17: return d->reasm_udp;
    default: return false;
    }
}

/* net lies in defrag's output buffer, which the next defrag_add may
 * overwrite: copy the datagram it sits in to this level's hold buffer and
 * decode the level's IP again from there. */
static void rebase(struct walk *w)
{
    struct decoder *d = w->d;
    unsigned i = w->depth;
    d->hold[i] = xgrow(d->hold[i], &d->holdcap[i], w->wlen, 4096);
    memcpy(d->hold[i], w->wbase, w->wlen);
    if (w->out->whole == w->wbase)
        w->out->whole = d->hold[i];
    w->net = d->hold[i] + (w->net - w->wbase);
    w->wbase = d->hold[i];
    w->in_defrag = false;
    enum counter_id why;
    ip_decode(w->net, w->netlen, &w->out->ip, &why);   /* decoded before: cannot fail */
    if (w->have_view)
        w->view = w->out->ip;
}

/* The fragment in out->ip goes to defrag: R_GO with the whole datagram
 * decoded in out->ip when it completes one. */
static enum res reassemble(struct walk *w)
{
    struct decoder *d = w->d;
    struct ip_pkt *ip = &w->out->ip;
    d->ctr.n[C_IP_FRAGMENT]++;
    if (!reassembled_proto(d, ip->proto))
        return count(w, C_IP_NOT_TCP, R_SKIP);     /* not ours to reassemble */
    if (w->in_defrag)
        rebase(w);
    const struct capture_pkt *cp = w->cp;
    struct defrag_frame fr = { cp->ts_us, cp->wirelen, cp->data, cp->caplen, cp->dlt };
    uint64_t zone = w->out->l2.has_vlan ? w->out->l2.vlan : 0;
    if (w->tun)
        zone |= (uint64_t)w->tun->id << 16;
    const uint8_t *whole;
    size_t wlen;
    if (!defrag_add(d->defrag, ip, zone, cp->ts_us, &fr, &whole, &wlen))
        return R_QUIET;
    if (w->depth == 0) {
        w->out->whole = whole;
        w->out->wlen = wlen;
    }
    w->net = w->wbase = whole;
    w->netlen = w->wlen = wlen;
    w->in_defrag = true;
    w->reassembled = true;
    enum counter_id why;
    if (!ip_decode(whole, wlen, ip, &why) || ip->frag)
        return count(w, ip->frag ? C_IP_BAD_HEADER : why, R_SKIP);   /* its frames to -w */
    return R_GO;
}

/* This level's IP header, decoded in out->ip: keep it for the view; a
 * fragment goes to defrag. */
static enum res level_decoded(struct walk *w)
{
    struct ip_pkt *ip = &w->out->ip;
    if (w->d->view) {
        w->view = *ip;
        w->view_tun = w->tun;
        w->have_view = true;
    }
    if (w->depth == 0)
        w->out->ipb = w->net;
    if (!ip->frag)
        return R_GO;
    return reassemble(w);
}

/* This level's IP header (and its reassembly). */
static enum res level_ip(struct walk *w)
{
    enum counter_id why;
    if (!ip_decode(w->net, w->netlen, &w->out->ip, &why))
        return count(w, why, R_SKIP);
    return level_decoded(w);
}

/* tcp_decode of out->ip failed with why.  A capture that cut the options
 * still tells the flags through the fixed header. */
static enum res tcp_failed(struct decoder *d, struct decoded *out, enum counter_id why)
{
    const struct ip_pkt *ip = &out->ip;
    if (!(why == C_TCP_TRUNCATED && ip->clipped && ip->l4len >= 20)) {
        d->ctr.n[why]++;
        return R_SKIP;
    }
    uint8_t hdr[20];
    memcpy(hdr, ip->l4, 20);
    hdr[12] = 0x50;
    if (!tcp_decode(hdr, sizeof hdr, &out->seg, &why)) {
        d->ctr.n[why]++;
        return R_QUIET;
    }
    d->ctr.n[C_IP_PAYLOAD_CLIPPED]++;
    return R_TCP;
}

/* The TCP header of out->ip into out->seg. */
static enum res level_tcp(struct decoder *d, struct decoded *out)
{
    enum counter_id why;
    if (tcp_decode(out->ip.l4, out->ip.l4len, &out->seg, &why))
        return R_TCP;
    return tcp_failed(d, out, why);
}

/* What a tunnel's inner link layer could not give, as a tunnel counter. */
static enum counter_id inner_link_why(enum counter_id why)
{
    switch (why) {
    case C_LINK_TRUNCATED: return C_TUN_TRUNCATED;
    case C_LINK_NOT_IP: case C_LINK_80211_NOT_DATA: return C_TUN_NOT_IP;
    case C_LINK_TOO_DEEP: return C_LINK_TOO_DEEP;
    default: return C_TUN_BAD_HEADER;
    }
}

/* out->ip is not TCP: when it is a tunnel we decode, the next level. */
static enum res decap(struct walk *w)
{
    struct decoder *d = w->d;
    const struct ip_pkt *ip = &w->out->ip;
    struct tun_hop h;
    enum counter_id why = C_IP_NOT_TCP;
    if (!d->cfg.tun.kinds)
        return count(w, C_IP_NOT_TCP, R_SKIP);
    switch (tunnel_hop(&d->cfg.tun, ip, &h, &why)) {
    case HOP_NONE: return count(w, C_IP_NOT_TCP, R_SKIP);
    case HOP_FAIL: return count(w, why, R_SKIP);
    case HOP_OK: break;
    }
    if (w->depth >= d->cfg.tun.max_depth)
        return count(w, C_TUN_TOO_DEEP, R_SKIP);
    bool over;
    w->tun = tunnel_intern(d->tunnels, w->tun, h.kind, ip->family, ip->src, ip->dst,
                           h.has_key, h.key, &over);
    w->out->tun = w->tun;
    if (over)
        d->ctr.n[C_TUN_OVER_CAP]++;
    d->ctr.n[C_TUN_DECAPSULATED]++;
    w->depth++;
    if (h.what == HOP_IP) {
        w->net = h.p;
        w->netlen = h.n;
        return R_GO;
    }
    if (!datalink_inner(h.link, h.et, h.p, h.n, &w->out->l2, &w->net, &w->netlen, &why))
        return count(w, inner_link_why(why), R_SKIP);
    return R_GO;
}

/* From the outermost IP packet, decoded (r: what level_decoded said), to
 * TCP through every tunnel. */
static enum res walk(struct walk *w, enum res r)
{
    for (;;) {
        if (r != R_GO)
            return r;
        if (w->out->ip.proto == 6)
            return level_tcp(w->d, w->out);
        r = decap(w);
        if (r != R_GO)
            return r;
        r = level_ip(w);
    }
}

/* Hand what could not be used to -w: the record, or the frames of the
 * datagram it completed. */
static void offer(struct walk *w)
{
    struct decoder *d = w->d;
    const struct capture_pkt *cp = w->cp;
    if (!d->unprocessed)
        return;
    if (w->reassembled && d->cfg.frag.keep_frames)
        defrag_take_done(d->defrag, frame_cb, d);
    else
        d->unprocessed(d->unprocessed_arg, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
}

bool decoder_packet(struct decoder *d, const struct capture_pkt *cp, struct decoded *out)
{
    const uint8_t *ipb;
    size_t iplen;
    enum counter_id why;

    memset(out, 0, sizeof *out);
    out->cp = cp;
    if (!datalink_supported(cp->dlt)) {
        d->unsupported++;
        return false;
    }
    if (!datalink_decode(cp->dlt, cp->data, cp->caplen, d->cfg.check_fcs, &out->l2, &ipb, &iplen, &why)) {
        if (d->view) {
            struct decode_view v = { cp, false, NULL, NULL };
            d->view(d->view_arg, &v);
        }
        d->ctr.n[why]++;
        return false;
    }
    struct ip_pkt *ip = &out->ip;
    bool ip_ok = ip_decode(ipb, iplen, ip, &why);
    if (ip_ok && !ip->frag && ip->proto == 6) {     /* the common case, kept short */
        out->ipb = ipb;
        enum res r = level_tcp(d, out);
        if (d->view) {
            struct decode_view v = { cp, true, ip, NULL };
            d->view(d->view_arg, &v);
        }
        if (r == R_SKIP && d->unprocessed)
            d->unprocessed(d->unprocessed_arg, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
        return r == R_TCP;
    }
    struct walk w;
    w.d = d;
    w.cp = cp;
    w.out = out;
    w.depth = 0;
    w.tun = NULL;
    w.net = ipb;
    w.netlen = iplen;
    w.in_defrag = false;
    w.reassembled = false;
    w.have_view = false;
    enum res r = ip_ok ? walk(&w, level_decoded(&w)) : count(&w, why, R_SKIP);
    if (d->view) {
        struct decode_view v = { cp, true, w.have_view ? &w.view : NULL,
                                 w.have_view ? w.view_tun : NULL };
        d->view(d->view_arg, &v);
    }
    if (r == R_SKIP)
        offer(&w);
    return r == R_TCP;
}

void decoder_expire(struct decoder *d, int64_t now_us)
{
    defrag_expire(d->defrag, now_us, d->unprocessed ? frame_cb : NULL, d);
}

void decoder_finish(struct decoder *d)
{
    defrag_finish(d->defrag, d->unprocessed ? frame_cb : NULL, d);
}
