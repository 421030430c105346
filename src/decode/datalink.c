/* datalink.c - find the IP packet inside a link-layer frame.
 *
 * Every link type reduces to "an ethertype and the bytes after it" as soon
 * as it can; ether_chain() then peels VLAN tags, MPLS label stacks and
 * PPPoE session headers until it reaches IPv4 or IPv6.  All reads go
 * through the rd cursor; the views handed back point into the caller's
 * frame.  See docs/internals/decode.md.
 */
#include "decode/datalink.h"
#include "util/rd.h"

#include <string.h>

#define ET_IPV4     0x0800
#define ET_IPV6     0x86DD
#define ET_8021Q    0x8100
#define ET_8021AD   0x88A8
#define ET_QINQ_OLD 0x9100
#define ET_MPLS_UC  0x8847
#define ET_MPLS_MC  0x8848
#define ET_PPPOE_S  0x8864

#define MAX_LAYERS      16   /* VLAN tags + PPPoE headers per frame */
#define MAX_MPLS_LABELS 16   /* labels in one MPLS stack */
#define MAX_RT_WORDS    32   /* radiotap present bitmaps */

/* The table of supported link types. */
static const struct {
    int dlt;
    const char *name;
} dlt_names[] = {
    { 0, "NULL" },
    { 1, "EN10MB" },
    { 6, "IEEE802" },
    { 9, "PPP" },
    { 12, "RAW" },
    { 14, "RAW" },
    { 50, "PPP_SERIAL" },
    { 101, "RAW" },
    { 104, "C_HDLC" },
    { 105, "IEEE802_11" },
    { 108, "LOOP" },
    { 113, "LINUX_SLL" },
    { 127, "IEEE802_11_RADIO" },
    { 228, "IPV4" },
    { 229, "IPV6" },
    { 276, "LINUX_SLL2" },
};

bool datalink_supported(int dlt)
{
    for (size_t i = 0; i < sizeof dlt_names / sizeof dlt_names[0]; i++)
        if (dlt_names[i].dlt == dlt)
            return true;
    return false;
}

const char *datalink_name(int dlt)
{
    for (size_t i = 0; i < sizeof dlt_names / sizeof dlt_names[0]; i++)
        if (dlt_names[i].dlt == dlt)
            return dlt_names[i].name;
    return "unknown";
}

/* Result of one decode: where the network layer is, or why there is none. */
struct dl_out {
    const uint8_t *ip;
    size_t iplen;
    enum counter_id why;
};

static bool fail(struct dl_out *o, enum counter_id why)
{
    o->why = why;
    return false;
}

/* The network layer is the rest of r. */
static bool found(struct rd *r, struct dl_out *o)
{
    if (!rd_ok(r))
        return fail(o, C_LINK_TRUNCATED);
    o->ip = r->p + r->off;
    o->iplen = r->len - r->off;
    return true;
}

/* PPP protocol field: one byte when the first is odd (protocol field
 * compression), else two.  Returns 0 when truncated (sticky error set). */
static uint16_t ppp_proto(struct rd *r)
{
    uint8_t b = rd_u8(r);
    if (b & 1)
        return b;
    return (uint16_t)((b << 8) | rd_u8(r));
}

/* PPP protocol -> ethertype; 0 for protocols that carry no IP. */
static uint16_t ppp_to_ethertype(uint16_t proto)
{
    switch (proto) {
    case 0x0021: return ET_IPV4;
    case 0x0057: return ET_IPV6;
    case 0x0281: return ET_MPLS_UC;
    case 0x0283: return ET_MPLS_MC;
    default: return 0;
    }
}

/* Skip an MPLS label stack up to the bottom-of-stack label, then guess the
 * payload from its first nibble. */
static bool mpls_stack(struct rd *r, struct dl_out *o)
{
    for (int n = 0;; n++) {
        if (n == MAX_MPLS_LABELS)
            return fail(o, C_LINK_TOO_DEEP);
        uint32_t lse = rd_be32(r);
        if (!rd_ok(r))
            return fail(o, C_LINK_TRUNCATED);
        if (lse & 0x100)
            break;
    }
    if (!rd_has(r, 1))
        return fail(o, C_LINK_TRUNCATED);
    uint8_t v = rd_peek_u8(r, 0) >> 4;
    if (v != 4 && v != 6)
        return fail(o, C_LINK_NOT_IP);   /* pseudowire, control word, ... */
    return found(r, o);
}

/* Peel tags and encapsulations starting at ethertype et, whose payload
 * begins at r's cursor. */
static bool ether_chain(struct rd *r, uint16_t et, struct l2_info *l2, struct dl_out *o)
{
    for (int depth = 0;; depth++) {
        if (depth == MAX_LAYERS)
            return fail(o, C_LINK_TOO_DEEP);
        switch (et) {
        case ET_IPV4:
        case ET_IPV6:
            return found(r, o);
        case ET_8021Q:
        case ET_8021AD:
        case ET_QINQ_OLD: {
            uint16_t tci = rd_be16(r);
            et = rd_be16(r);
            if (!rd_ok(r))
                return fail(o, C_LINK_TRUNCATED);
            if (!l2->has_vlan) {
                l2->has_vlan = true;
                l2->vlan = tci & 0x0FFF;
            }
            break;
        }
        case ET_MPLS_UC:
        case ET_MPLS_MC:
            return mpls_stack(r, o);
        case ET_PPPOE_S: {
            uint8_t vt = rd_u8(r);
            uint8_t code = rd_u8(r);
            rd_skip(r, 2);                 /* session id */
            uint16_t plen = rd_be16(r);
            if (!rd_ok(r))
                return fail(o, C_LINK_TRUNCATED);
            if (vt != 0x11 || code != 0)
                return fail(o, C_LINK_NOT_IP);
            if (plen < r->len - r->off)    /* drop Ethernet padding */
                r->len = r->off + plen;
            uint16_t proto = ppp_proto(r);
            if (!rd_ok(r))
                return fail(o, C_LINK_TRUNCATED);
            et = ppp_to_ethertype(proto);
            if (!et)
                return fail(o, C_LINK_NOT_IP);
            break;
        }
        default:
            return fail(o, C_LINK_NOT_IP);
        }
    }
}

/* 802.2 LLC + SNAP header: AA AA 03, OUI 00-00-00 (or 00-00-F8), ethertype. */
static bool llc_snap(struct rd *r, uint16_t *et, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 8);
    if (!h)
        return fail(o, C_LINK_TRUNCATED);
    if (h[0] != 0xAA || h[1] != 0xAA || h[2] != 0x03 || h[3] != 0 || h[4] != 0 ||
        (h[5] != 0 && h[5] != 0xF8))
        return fail(o, C_LINK_NOT_IP);
    *et = ld_be16(h + 6);
    return true;
}

static bool dl_ether(struct rd *r, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 14);
    if (!h)
        return fail(o, C_LINK_TRUNCATED);
    memcpy(l2->mac_dst, h, 6);
    memcpy(l2->mac_src, h + 6, 6);
    l2->has_mac = true;
    uint16_t et = ld_be16(h + 12);
    if (et < 0x0600) {                     /* 802.3 length field */
        if (et > 1500)
            return fail(o, C_LINK_NOT_IP);
        if (!llc_snap(r, &et, o))
            return false;
    }
    return ether_chain(r, et, l2, o);
}

static bool dl_sll(struct rd *r, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 16);
    if (!h)
        return fail(o, C_LINK_TRUNCATED);
    return ether_chain(r, ld_be16(h + 14), l2, o);
}

static bool dl_sll2(struct rd *r, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 20);
    if (!h)
        return fail(o, C_LINK_TRUNCATED);
    return ether_chain(r, ld_be16(h), l2, o);
}

static bool is_af_inet6(uint32_t v)
{
    return v == 10 || v == 24 || v == 28 || v == 30;
}

/* NULL: the family is in the capturing host's byte order, so accept both.
 * LOOP: network byte order only. */
static bool dl_null(struct rd *r, bool loop, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 4);
    if (!h)
        return fail(o, C_LINK_TRUNCATED);
    uint32_t be = ld_be32(h);
    uint32_t le = ((uint32_t)h[3] << 24) | ((uint32_t)h[2] << 16) | ((uint32_t)h[1] << 8) | h[0];
    if (loop)
        le = be;
    if (be != 2 && le != 2 && !is_af_inet6(be) && !is_af_inet6(le))
        return fail(o, C_LINK_UNKNOWN_FAMILY);
    return found(r, o);
}

static bool dl_raw(struct rd *r, struct dl_out *o)
{
    if (!rd_has(r, 1))
        return fail(o, C_LINK_TRUNCATED);
    return found(r, o);
}

/* Cisco HDLC: address, control, ethertype. */
static bool dl_chdlc(struct rd *r, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 4);
    if (!h)
        return fail(o, C_LINK_TRUNCATED);
    return ether_chain(r, ld_be16(h + 2), l2, o);
}

/* PPP (9) and PPP_SERIAL (50): optional FF 03, then the protocol.  Frames
 * starting with a Cisco HDLC address (0x0F / 0x8F) are Cisco HDLC. */
static bool dl_ppp(struct rd *r, struct l2_info *l2, struct dl_out *o)
{
    if (!rd_has(r, 1))
        return fail(o, C_LINK_TRUNCATED);
    uint8_t b0 = rd_peek_u8(r, 0);
    if (b0 == 0x0F || b0 == 0x8F)
        return dl_chdlc(r, l2, o);
    if (b0 == 0xFF && rd_peek_u8(r, 1) == 0x03)
        rd_skip(r, 2);
    uint16_t proto = ppp_proto(r);
    if (!rd_ok(r))
        return fail(o, C_LINK_TRUNCATED);
    uint16_t et = ppp_to_ethertype(proto);
    if (!et)
        return fail(o, C_LINK_NOT_IP);
    return ether_chain(r, et, l2, o);
}

/* 802.11 frame in r (FCS already removed).  datapad: the radiotap Flags say
 * the header is padded to a multiple of 4 bytes. */
static bool dl_80211(struct rd *r, bool datapad, struct l2_info *l2, struct dl_out *o)
{
    size_t start = r->off;
    uint8_t fc0 = rd_u8(r);
    uint8_t fc1 = rd_u8(r);
    if (!rd_ok(r))
        return fail(o, C_LINK_TRUNCATED);
    unsigned version = fc0 & 3, type = (fc0 >> 2) & 3, subtype = (fc0 >> 4) & 0xF;
    if (version != 0 || type != 2)
        return fail(o, C_LINK_80211_NOT_DATA);
    bool to_ds = fc1 & 0x01, from_ds = fc1 & 0x02;
    rd_skip(r, 2);                         /* duration */
    const uint8_t *a1 = rd_ptr(r, 6);
    const uint8_t *a2 = rd_ptr(r, 6);
    const uint8_t *a3 = rd_ptr(r, 6);
    rd_skip(r, 2);                         /* sequence control */
    const uint8_t *a4 = (to_ds && from_ds) ? rd_ptr(r, 6) : NULL;
    uint16_t qos = 0;
    if (subtype & 0x8) {                   /* QoS data */
        qos = rd_le16(r);
        if (fc1 & 0x80)                    /* Order: HT Control present */
            rd_skip(r, 4);
    }
    if (!rd_ok(r))
        return fail(o, C_LINK_TRUNCATED);
    if (datapad && (r->off - start) % 4)
        rd_skip(r, 4 - (r->off - start) % 4);
    if (subtype & 0x4)                     /* Null, CF-Ack/Poll: no body */
        return fail(o, C_LINK_NOT_IP);
    if (fc1 & 0x40)                        /* Protected: encrypted body */
        return fail(o, C_LINK_NOT_IP);
    if (qos & 0x80)                        /* A-MSDU: not decoded */
        return fail(o, C_LINK_NOT_IP);

    const uint8_t *da, *sa;
    if (!to_ds && !from_ds) { da = a1; sa = a2; }
    else if (!to_ds)        { da = a1; sa = a3; }
    else if (!from_ds)      { da = a3; sa = a2; }
    else                    { da = a3; sa = a4; }
    memcpy(l2->mac_dst, da, 6);
    memcpy(l2->mac_src, sa, 6);
    l2->has_mac = true;

    uint16_t et;
    if (!llc_snap(r, &et, o))
        return false;
    return ether_chain(r, et, l2, o);
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), four bits at a time. */
static uint32_t crc32_80211(const uint8_t *p, size_t n)
{
    static const uint32_t t[16] = {
        0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC,
        0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
        0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
        0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
    };
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ t[crc & 0xF];
        crc = (crc >> 4) ^ t[crc & 0xF];
    }
    return ~crc;
}

/* Radiotap: find the Flags field (FCS at end, data padding), strip and
 * optionally check the FCS, then decode the 802.11 frame. */
static bool dl_radiotap(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *frame = r->p;
    size_t caplen = r->len;
    uint8_t version = rd_u8(r);
    rd_skip(r, 1);
    uint16_t hlen = rd_le16(r);
    uint32_t present0 = rd_le32(r);
    if (!rd_ok(r) || hlen < 8 || hlen > caplen)
        return fail(o, C_LINK_TRUNCATED);
    if (version != 0)
        return fail(o, C_LINK_NOT_IP);

    /* Extended present bitmaps: bit 31 says another word follows. */
    struct rd h = rd_make(frame, hlen);
    rd_skip(&h, 8);
    uint32_t word = present0;
    for (int n = 1; word & 0x80000000u; n++) {
        if (n == MAX_RT_WORDS)
            return fail(o, C_LINK_TOO_DEEP);
        word = rd_le32(&h);
        if (!rd_ok(&h))
            return fail(o, C_LINK_TRUNCATED);
    }
    /* Fields of the first bitmap come first, in bit order: Flags (bit 1)
     * follows only TSFT (bit 0, 8 bytes aligned to 8). */
    uint8_t flags = 0;
    if (present0 & 0x2) {
        size_t off = h.off;
        if (present0 & 0x1)
            off = ((off + 7) & ~(size_t)7) + 8;
        if (off >= hlen)
            return fail(o, C_LINK_TRUNCATED);
        flags = frame[off];
    }

    struct rd w = rd_make(frame + hlen, caplen - hlen);
    if (flags & 0x10) {                    /* FCS at end */
        if (w.len < 4)
            return fail(o, C_LINK_TRUNCATED);
        w.len -= 4;
        if (check_fcs) {
            const uint8_t *f = w.p + w.len;
            uint32_t want = ((uint32_t)f[3] << 24) | ((uint32_t)f[2] << 16) |
                            ((uint32_t)f[1] << 8) | f[0];
            if (crc32_80211(w.p, w.len) != want)
                return fail(o, C_LINK_80211_BAD_FCS);
        }
    }
    return dl_80211(&w, (flags & 0x20) != 0, l2, o);
}

bool datalink_decode(int dlt, const uint8_t *frame, size_t caplen, bool check_fcs,
                     struct l2_info *l2, const uint8_t **ip, size_t *iplen,
                     enum counter_id *why)
{
    struct rd r = rd_make(frame, frame ? caplen : 0);
    struct dl_out o = { NULL, 0, C_LINK_TRUNCATED };
    bool ok;

    memset(l2, 0, sizeof *l2);
    switch (dlt) {
    case 1: case 6:        ok = dl_ether(&r, l2, &o); break;
    case 113:              ok = dl_sll(&r, l2, &o); break;
    case 276:              ok = dl_sll2(&r, l2, &o); break;
    case 0:                ok = dl_null(&r, false, &o); break;
    case 108:              ok = dl_null(&r, true, &o); break;
    case 12: case 14: case 101: case 228: case 229:
                           ok = dl_raw(&r, &o); break;
    case 9: case 50:       ok = dl_ppp(&r, l2, &o); break;
    case 104:              ok = dl_chdlc(&r, l2, &o); break;
    case 105:              ok = dl_80211(&r, false, l2, &o); break;
    case 127:              ok = dl_radiotap(&r, check_fcs, l2, &o); break;
    default:               ok = fail(&o, C_LINK_NOT_IP); break;
    }
    if (!ok) {
        *why = o.why;
        return false;
    }
    *ip = o.ip;
    *iplen = o.iplen;
    return true;
}
