/* decode.c - see decode.h.  Per record:
 *   datalink_decode -> ip_decode -> (defrag_add -> ip_decode) -> tcp_decode
 */
#include "decode/decode.h"
#include "util/xalloc.h"

#include <string.h>

struct decoder {
    struct decode_config cfg;
    struct counters ctr;
    struct defrag *defrag;
    uint64_t unsupported;
    decode_unprocessed_fn unprocessed;
    void *unprocessed_arg;
    decode_view_fn view;
    void *view_arg;
};

static void frame_cb(void *arg, const struct defrag_frame *f)
{
    struct decoder *d = arg;
    if (d->unprocessed)
        d->unprocessed(d->unprocessed_arg, f->ts_us, f->data, f->caplen, f->wirelen, f->dlt);
}

struct decoder *decoder_new(const struct decode_config *cfg)
{
    struct decoder *d = xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    d->defrag = defrag_new(&cfg->frag, &d->ctr);
    return d;
}

void decoder_free(struct decoder *d)
{
    if (!d) return;
    defrag_free(d->defrag);
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
const struct counters *decoder_counters(const struct decoder *d) { return &d->ctr; }

/* Count why, and offer the record to -w. */
static bool skip(struct decoder *d, const struct capture_pkt *cp, enum counter_id why)
{
    d->ctr.n[why]++;
    if (d->unprocessed)
        d->unprocessed(d->unprocessed_arg, cp->ts_us, cp->data, cp->caplen, cp->wirelen, cp->dlt);
    return false;
}

static void show(struct decoder *d, const struct capture_pkt *cp, bool link_ok, const struct ip_pkt *ip)
{
    if (!d->view) return;
    struct decode_view v = { cp, link_ok, ip };
    d->view(d->view_arg, &v);
}

/* The TCP header of out->ip into out->seg.  A capture that cut the options
 * still tells the flags through the fixed header. */
static bool decode_tcp(struct decoder *d, const struct capture_pkt *cp, struct decoded *out)
{
    enum counter_id why;
    const struct ip_pkt *ip = &out->ip;
    if (tcp_decode(ip->l4, ip->l4len, &out->seg, &why))
        return true;
    if (!(why == C_TCP_TRUNCATED && ip->clipped && ip->l4len >= 20))
        return skip(d, cp, why);
    uint8_t hdr[20];
    memcpy(hdr, ip->l4, 20);
    hdr[12] = 0x50;
    if (!tcp_decode(hdr, sizeof hdr, &out->seg, &why)) {
        d->ctr.n[why]++;
        return false;
    }
    d->ctr.n[C_IP_PAYLOAD_CLIPPED]++;
    return true;
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
        show(d, cp, false, NULL);
        d->ctr.n[why]++;
        return false;
    }
    struct ip_pkt *ip = &out->ip;
    if (!ip_decode(ipb, iplen, ip, &why)) {
        show(d, cp, true, NULL);
        return skip(d, cp, why);
    }
    show(d, cp, true, ip);
    out->ipb = ipb;
    if (ip->frag && ip->proto != 6) {
        d->ctr.n[C_IP_FRAGMENT]++;
        return skip(d, cp, C_IP_NOT_TCP);          /* not ours to reassemble */
    }
    if (ip->frag) {
        d->ctr.n[C_IP_FRAGMENT]++;
        struct defrag_frame fr = { cp->ts_us, cp->wirelen, cp->data, cp->caplen, cp->dlt };
        if (!defrag_add(d->defrag, ip, out->l2.has_vlan ? out->l2.vlan : 0, cp->ts_us, &fr,
                        &out->whole, &out->wlen))
            return false;
        if (!ip_decode(out->whole, out->wlen, ip, &why) || ip->frag) {
            d->ctr.n[ip->frag ? C_IP_BAD_HEADER : why]++;
            return false;
        }
    }
    if (ip->proto != 6)
        return skip(d, cp, C_IP_NOT_TCP);
    return decode_tcp(d, cp, out);
}

void decoder_expire(struct decoder *d, int64_t now_us)
{
    defrag_expire(d->defrag, now_us, d->unprocessed ? frame_cb : NULL, d);
}

void decoder_finish(struct decoder *d)
{
    defrag_finish(d->defrag, d->unprocessed ? frame_cb : NULL, d);
}
