/* tun_gre.c - GRE (RFC 2784, 2890; RFC 1701 routing skipped), and what
 * rides on it: IP, MPLS and Ethernet (transparent bridging), PPTP's
 * enhanced GRE (version 1) with PPP, ERSPAN types I, II and III, WCCP
 * redirection and Aruba's 802.11.  See docs/internals/decode.md.
 */
#include "decode/tun_priv.h"
#include "util/rd.h"

#define GRE_C 0x8000                    /* checksum present */
#define GRE_R 0x4000                    /* routing present (RFC 1701) */
#define GRE_K 0x2000                    /* key present */
#define GRE_S 0x1000                    /* sequence number present */
#define GRE_A 0x0080                    /* acknowledgment present (version 1) */
#define MAX_SRE 16

#define GP_TEB     0x6558
#define GP_PPP     0x880B
#define GP_ERSPAN2 0x88BE                /* type I without, type II with S */
#define GP_ERSPAN3 0x22EB
#define GP_WCCP    0x883E

static bool aruba_type(uint16_t t)
{
    if (t == 0x9000)
        return true;
    if (t & 0x000F)
        return false;
    return (t >= 0x8200 && t <= 0x82F0) || (t >= 0x8300 && t <= 0x8370);
}

/* PPTP (version 1): key = payload length + call id (the peer's, so it
 * differs by direction: not part of the identity), then PPP. */
static enum hop_result gre_v1(const struct tunnel_config *c, struct rd *r, uint16_t flags,
                              uint16_t proto, struct tun_hop *h, enum counter_id *why)
{
    if (!tun_on(c, TUN_PPTP))
        return HOP_NONE;
    if (proto != GP_PPP || !(flags & GRE_K))
        return tun_fail(why, C_TUN_BAD_HEADER);
    uint16_t plen = rd_be16(r);
    rd_skip(r, 2);                     /* call id */
    if (flags & GRE_S)
        rd_skip(r, 4);
    if (flags & GRE_A)
        rd_skip(r, 4);
    if (!rd_ok(r))
        return tun_fail(why, C_TUN_TRUNCATED);
    if (plen == 0)
        return tun_fail(why, C_TUN_NOT_IP);    /* an acknowledgment alone */
    h->kind = TUN_PPTP;
    h->what = HOP_LINK;
    h->link = DL_INNER_PPP;
    h->p = r->p + r->off;
    h->n = rd_left(r) < plen ? rd_left(r) : plen;
    return HOP_OK;
}

/* ERSPAN: type I is the Ethernet frame itself; type II an 8-byte header
 * (version 1), type III a 12-byte one (version 2, and an 8-byte platform
 * header when O is set).  The session id is the key. */
static enum hop_result erspan(const struct tunnel_config *c, struct rd *r, uint16_t flags,
                              uint16_t proto, struct tun_hop *h, enum counter_id *why)
{
    if (!tun_on(c, TUN_ERSPAN1))
        return HOP_NONE;
    h->what = HOP_LINK;
    h->link = DL_INNER_ETHER;
    if (proto == GP_ERSPAN2 && !(flags & GRE_S)) {
        h->kind = TUN_ERSPAN1;
        return HOP_OK;
    }
    const uint8_t *e = rd_ptr(r, proto == GP_ERSPAN2 ? 8 : 12);
    if (!e)
        return tun_fail(why, C_TUN_TRUNCATED);
    unsigned ver = e[0] >> 4;
    if (ver != (proto == GP_ERSPAN2 ? 1u : 2u))
        return tun_fail(why, C_TUN_BAD_HEADER);
    h->kind = proto == GP_ERSPAN2 ? TUN_ERSPAN2 : TUN_ERSPAN3;
    h->has_key = true;
    h->key = ld_be16(e + 2) & 0x03FF;
    if (proto == GP_ERSPAN3) {
        unsigned ft = (e[10] >> 2) & 0x1F;
        if (e[11] & 0x01)
            rd_skip(r, 8);             /* platform specific subheader */
        if (!rd_ok(r))
            return tun_fail(why, C_TUN_TRUNCATED);
        if (ft != 0)                   /* only Ethernet frames */
            return tun_fail(why, C_TUN_UNSUPPORTED);
    }
    return HOP_OK;
}

/* The GRE payload by protocol type (version 0). */
static enum hop_result gre_payload(const struct tunnel_config *c, struct rd *r, uint16_t flags,
                                   uint16_t proto, unsigned plain, struct tun_hop *h,
                                   enum counter_id *why)
{
    h->what = HOP_LINK;
    switch (proto) {
    case 0x0800: case 0x86DD: case 0x8847: case 0x8848:
        if (!tun_on(c, plain))
            return HOP_NONE;
        h->kind = plain;
        h->link = DL_INNER_ETHERTYPE;
        h->et = proto;
        return HOP_OK;
    case GP_TEB:
        if (!tun_on(c, plain))
            return HOP_NONE;
        h->kind = plain;
        h->link = DL_INNER_ETHER;
        return HOP_OK;
    case GP_ERSPAN2:
    case GP_ERSPAN3:
        return erspan(c, r, flags, proto, h, why);
    case GP_WCCP:
        if (!tun_on(c, TUN_WCCP))
            return HOP_NONE;
        if (!rd_has(r, 1))
            return tun_fail(why, C_TUN_TRUNCATED);
        if (rd_peek_u8(r, 0) >> 4 != 4)
            rd_skip(r, 4);             /* WCCPv2 redirect header */
        h->kind = TUN_WCCP;
        h->what = HOP_IP;
        return HOP_OK;
    default:
        if (aruba_type(proto)) {
            if (!tun_on(c, TUN_ARUBA))
                return HOP_NONE;
            h->kind = TUN_ARUBA;
            h->link = DL_INNER_80211;
            return HOP_OK;
        }
        return tun_fail(why, C_TUN_NOT_IP);    /* keep-alive, CDP, NHRP, ... */
    }
}

enum hop_result tun_gre(const struct tunnel_config *c, const uint8_t *p, size_t n, bool in_udp,
                        struct tun_hop *h, enum counter_id *why)
{
    unsigned plain = in_udp ? TUN_GRE_UDP : TUN_GRE;
    struct rd r = rd_make(p, n);
    uint16_t flags = rd_be16(&r);
    uint16_t proto = rd_be16(&r);
    if (!rd_ok(&r))
        return tun_fail(why, C_TUN_TRUNCATED);
    switch (flags & 7) {
    case 0:
        break;
    case 1:
        return gre_v1(c, &r, flags, proto, h, why);
    default:
        return tun_fail(why, C_TUN_UNSUPPORTED);
    }
    if (flags & (GRE_C | GRE_R))
        rd_skip(&r, 4);                /* checksum, offset */
    if (flags & GRE_K) {
        h->has_key = true;
        h->key = rd_be32(&r);
    }
    if (flags & GRE_S)
        rd_skip(&r, 4);
    for (int i = 0; (flags & GRE_R) && rd_ok(&r); i++) {   /* source route entries */
        if (i == MAX_SRE)
            return tun_fail(why, C_TUN_BAD_HEADER);
        uint16_t af = rd_be16(&r);
        rd_skip(&r, 1);
        uint8_t len = rd_u8(&r);
        if (af == 0 && len == 0)
            break;
        rd_skip(&r, len);
    }
    if (!rd_ok(&r))
        return tun_fail(why, C_TUN_TRUNCATED);
    enum hop_result res = gre_payload(c, &r, flags, proto, plain, h, why);
    if (res != HOP_OK)
        return res;
    if (!rd_ok(&r))
        return tun_fail(why, C_TUN_TRUNCATED);
    h->p = r.p + r.off;
    h->n = rd_left(&r);
    return HOP_OK;
}
