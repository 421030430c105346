/* tun_udp.c - one level of decapsulation: IP in IP, GRE (tun_gre.c), and
 * the tunnels over UDP, told apart by port: VXLAN, Geneve, GTP-U, GRE in
 * UDP, AYIYA, CAPWAP data and Teredo.  See docs/internals/decode.md.
 */
#include "decode/tun_priv.h"
#include "util/rd.h"

#include <string.h>

#define MAX_GTP_EXT 16
#define MAX_TEREDO_IND 2

static bool port_in(const uint16_t *ports, uint16_t p)
{
    for (int i = 0; i < TUNNEL_MAX_PORTS && ports[i]; i++)
        if (ports[i] == p)
            return true;
    return false;
}

/* The UDP kind a datagram's ports name, or TUN_NKINDS.  VXLAN, Geneve and
 * GRE in UDP use the source port for entropy: only the destination port
 * counts.  The others answer from their port too. */
static unsigned udp_kind(const struct tunnel_config *c, uint16_t sport, uint16_t dport)
{
    static const unsigned dst_only[] = { TUN_VXLAN, TUN_GENEVE, TUN_GRE_UDP };
    static const unsigned either[] = { TUN_GTPU, TUN_TEREDO, TUN_AYIYA, TUN_CAPWAP };
    for (size_t i = 0; i < sizeof dst_only / sizeof dst_only[0]; i++)
        if (tun_on(c, dst_only[i]) && port_in(c->ports[dst_only[i]], dport))
            return dst_only[i];
    for (size_t i = 0; i < sizeof either / sizeof either[0]; i++)
        if (tun_on(c, either[i]) && (port_in(c->ports[either[i]], dport) ||
                                     port_in(c->ports[either[i]], sport)))
            return either[i];
    return TUN_NKINDS;
}

static enum hop_result payload(struct rd *r, struct tun_hop *h, enum hop_payload what,
                               enum dl_inner link, uint16_t et)
{
    h->what = what;
    h->link = link;
    h->et = et;
    h->p = r->p + r->off;
    h->n = rd_left(r);
    return HOP_OK;
}

/* VXLAN: flags (I set), 3 reserved, VNI (24 bits), 1 reserved; Ethernet. */
static enum hop_result vxlan(struct rd *r, struct tun_hop *h, enum counter_id *why)
{
    const uint8_t *v = rd_ptr(r, 8);
    if (!v)
        return tun_fail(why, C_TUN_TRUNCATED);
    if (!(v[0] & 0x08))
        return tun_fail(why, C_TUN_BAD_HEADER);
    h->has_key = true;
    h->key = (uint32_t)v[4] << 16 | (uint32_t)v[5] << 8 | v[6];
    return payload(r, h, HOP_LINK, DL_INNER_ETHER, 0);
}

/* Geneve: version (0), options length, flags, protocol type, VNI, options. */
static enum hop_result geneve(struct rd *r, struct tun_hop *h, enum counter_id *why)
{
    const uint8_t *g = rd_ptr(r, 8);
    if (!g)
        return tun_fail(why, C_TUN_TRUNCATED);
    if (g[0] >> 6)
        return tun_fail(why, C_TUN_UNSUPPORTED);
    rd_skip(r, (size_t)(g[0] & 0x3F) * 4);
    if (!rd_ok(r))
        return tun_fail(why, C_TUN_TRUNCATED);
    h->has_key = true;
    h->key = (uint32_t)g[4] << 16 | (uint32_t)g[5] << 8 | g[6];
    uint16_t proto = ld_be16(g + 2);
    if (proto == 0x6558)
        return payload(r, h, HOP_LINK, DL_INNER_ETHER, 0);
    if (proto == 0x0800 || proto == 0x86DD)
        return payload(r, h, HOP_LINK, DL_INNER_ETHERTYPE, proto);
    return tun_fail(why, C_TUN_NOT_IP);
}

/* GTP-U (version 1, PT 1): G-PDUs (type 255) carry IP.  Sequence number,
 * N-PDU number and extension headers are skipped; the TEID differs by
 * direction and is not part of the identity. */
static enum hop_result gtpu(struct rd *r, struct tun_hop *h, enum counter_id *why)
{
    uint8_t fl = rd_u8(r);
    uint8_t type = rd_u8(r);
    uint16_t len = rd_be16(r);
    rd_skip(r, 4);                     /* TEID */
    if (!rd_ok(r))
        return tun_fail(why, C_TUN_TRUNCATED);
    if (fl >> 5 != 1 || !(fl & 0x10))
        return tun_fail(why, C_TUN_UNSUPPORTED);
    if (len < rd_left(r))              /* the length excludes the first 8 bytes */
        r->len = r->off + len;
    uint8_t next = 0;
    if (fl & 0x07) {
        rd_skip(r, 3);                 /* sequence number, N-PDU number */
        next = rd_u8(r);
    }
    for (int i = 0; next && rd_ok(r); i++) {
        if (i == MAX_GTP_EXT)
            return tun_fail(why, C_TUN_BAD_HEADER);
        if (!rd_has(r, 1))
            return tun_fail(why, C_TUN_TRUNCATED);
        size_t elen = (size_t)rd_peek_u8(r, 0) * 4;
        if (elen == 0)
            return tun_fail(why, C_TUN_BAD_HEADER);
        const uint8_t *e = rd_ptr(r, elen);
        next = e ? e[elen - 1] : 0;
    }
    if (!rd_ok(r))
        return tun_fail(why, C_TUN_TRUNCATED);
    if (type != 0xFF)
        return tun_fail(why, C_TUN_NOT_IP);    /* echo, error indication, end marker */
    return payload(r, h, HOP_IP, DL_INNER_ETHERTYPE, 0);
}

/* AYIYA: identity length (2^n) and type, signature length (x4) and hash,
 * authentication and opcode, next header, epoch; identity; signature. */
static enum hop_result ayiya(struct rd *r, struct tun_hop *h, enum counter_id *why)
{
    const uint8_t *a = rd_ptr(r, 8);
    if (!a)
        return tun_fail(why, C_TUN_TRUNCATED);
    rd_skip(r, ((size_t)1 << (a[0] >> 4)) + (size_t)(a[1] >> 4) * 4);
    if (!rd_ok(r))
        return tun_fail(why, C_TUN_TRUNCATED);
    if ((a[2] & 0x0F) != 1 || (a[3] != 4 && a[3] != 41))
        return tun_fail(why, C_TUN_NOT_IP);    /* not a forward, or not IP */
    return payload(r, h, HOP_IP, DL_INNER_ETHERTYPE, 0);
}

/* CAPWAP data: preamble (version 0, type 0: not DTLS), HLEN (x4 bytes, the
 * whole header), RID, WBID, T and flags.  T=0: an 802.3 frame; T=1 with
 * WBID 1: an 802.11 frame.  Fragments and keep-alives carry no packet. */
static enum hop_result capwap(struct rd *r, struct tun_hop *h, enum counter_id *why)
{
    const uint8_t *c = rd_ptr(r, 8);
    if (!c)
        return tun_fail(why, C_TUN_TRUNCATED);
    if (c[0] >> 4 != 0)
        return tun_fail(why, C_TUN_BAD_HEADER);
    if ((c[0] & 0x0F) != 0)
        return tun_fail(why, C_TUN_UNSUPPORTED);   /* DTLS */
    size_t hlen = (size_t)(c[1] >> 3) * 4;
    unsigned wbid = (c[2] >> 1) & 0x1F;
    bool t = c[2] & 1, frag = c[3] & 0x80, keepalive = c[3] & 0x08;
    if (hlen < 8)
        return tun_fail(why, C_TUN_BAD_HEADER);
    rd_skip(r, hlen - 8);
    if (!rd_ok(r))
        return tun_fail(why, C_TUN_TRUNCATED);
    if (keepalive)
        return tun_fail(why, C_TUN_NOT_IP);
    if (frag)
        return tun_fail(why, C_TUN_UNSUPPORTED);
    if (!t)
        return payload(r, h, HOP_LINK, DL_INNER_ETHER, 0);
    if (wbid == 1)
        return payload(r, h, HOP_LINK, DL_INNER_80211, 0);
    return tun_fail(why, C_TUN_UNSUPPORTED);
}

/* Teredo: optional authentication and origin indications, then IPv6. */
static enum hop_result teredo(struct rd *r, struct tun_hop *h, enum counter_id *why)
{
    for (int i = 0; i < MAX_TEREDO_IND && rd_peek_u8(r, 0) == 0; i++) {
        uint8_t t = rd_peek_u8(r, 1);
        if (t == 1) {                  /* authentication */
            rd_skip(r, 2);
            uint8_t idlen = rd_u8(r), aulen = rd_u8(r);
            rd_skip(r, (size_t)idlen + aulen + 9);
        } else if (t == 0) {           /* origin indication */
            rd_skip(r, 8);
        } else {
            break;
        }
    }
    if (!rd_ok(r) || !rd_has(r, 1))
        return tun_fail(why, C_TUN_TRUNCATED);
    if (rd_peek_u8(r, 0) >> 4 != 6)
        return tun_fail(why, C_TUN_NOT_IP);
    return payload(r, h, HOP_IP, DL_INNER_ETHERTYPE, 0);
}

static enum hop_result udp(const struct tunnel_config *c, const struct ip_pkt *ip,
                           struct tun_hop *h, enum counter_id *why)
{
    struct rd r = rd_make(ip->l4, ip->l4len);
    uint16_t sport = rd_be16(&r), dport = rd_be16(&r), ulen = rd_be16(&r);
    rd_skip(&r, 2);
    if (!rd_ok(&r))
        return HOP_NONE;               /* no ports: an ordinary (broken) packet */
    unsigned kind = udp_kind(c, sport, dport);
    if (kind == TUN_NKINDS)
        return HOP_NONE;
    if (ulen >= 8 && (size_t)ulen - 8 < rd_left(&r))
        r.len = r.off + ulen - 8;      /* the UDP length: never link padding */
    h->kind = kind;
    switch (kind) {
    case TUN_VXLAN: return vxlan(&r, h, why);
    case TUN_GENEVE: return geneve(&r, h, why);
    case TUN_GTPU: return gtpu(&r, h, why);
    case TUN_GRE_UDP: return tun_gre(c, r.p + r.off, rd_left(&r), true, h, why);
    case TUN_AYIYA: return ayiya(&r, h, why);
    case TUN_CAPWAP: return capwap(&r, h, why);
    default: return teredo(&r, h, why);
    }
}

enum hop_result tunnel_hop(const struct tunnel_config *c, const struct ip_pkt *ip,
                           struct tun_hop *h, enum counter_id *why)
{
    memset(h, 0, sizeof *h);
    switch (ip->proto) {
    case 4:
    case 41:
        if (!tun_on(c, TUN_IPIP))
            return HOP_NONE;
        h->kind = TUN_IPIP;
        h->what = HOP_IP;
        h->p = ip->l4;
        h->n = ip->l4len;
        if (h->n == 0)
            return tun_fail(why, C_TUN_TRUNCATED);
        if (h->p[0] >> 4 != (ip->proto == 4 ? 4 : 6))
            return tun_fail(why, C_TUN_BAD_HEADER);
        return HOP_OK;
    case 47:
        return tun_gre(c, ip->l4, ip->l4len, false, h, why);
    case 17:
        return udp(c, ip, h, why);
    default:
        return HOP_NONE;
    }
}
