/* datalink.c - find the IP packet inside a link-layer frame.
 *
 * One table maps each link type to its name and its decoder.  Every link
 * type reduces to "an ethertype and the bytes after it" as soon as it can;
 * dl_ether_chain() then peels VLAN tags, MPLS label stacks and PPPoE session
 * headers until it reaches IPv4 or IPv6.  All reads go through the rd
 * cursor; the views handed back point into the caller's frame.  802.11 is
 * in datalink_80211.c.  See docs/internals/decode.md.
 */
#include "decode/datalink.h"
#include "decode/dl_priv.h"

#include <pcap/pcap.h>
#include <string.h>

#define MAX_LAYERS      16   /* VLAN tags + PPPoE headers per frame */
#define MAX_MPLS_LABELS 16   /* labels in one MPLS stack */

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
            return dl_fail(o, C_LINK_TOO_DEEP);
        uint32_t lse = rd_be32(r);
        if (!rd_ok(r))
            return dl_fail(o, C_LINK_TRUNCATED);
        if (lse & 0x100)
            break;
    }
    if (!rd_has(r, 1))
        return dl_fail(o, C_LINK_TRUNCATED);
    uint8_t v = rd_peek_u8(r, 0) >> 4;
    if (v != 4 && v != 6)
        return dl_fail(o, C_LINK_NOT_IP);   /* pseudowire, control word, ... */
    return dl_found(r, o);
}

/* A PPPoE session header and the PPP protocol after it: *et is what the
 * PPP frame carries. */
static bool pppoe_session(struct rd *r, uint16_t *et, struct dl_out *o)
{
    uint8_t vt = rd_u8(r);
    uint8_t code = rd_u8(r);
    rd_skip(r, 2);                         /* session id */
    uint16_t plen = rd_be16(r);
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    if (vt != 0x11 || code != 0)
        return dl_fail(o, C_LINK_NOT_IP);
    if (plen < r->len - r->off)            /* drop Ethernet padding */
        r->len = r->off + plen;
    uint16_t proto = ppp_proto(r);
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    *et = ppp_to_ethertype(proto);
    if (!*et)
        return dl_fail(o, C_LINK_NOT_IP);
    return true;
}

bool dl_ether_chain(struct rd *r, uint16_t et, struct l2_info *l2, struct dl_out *o)
{
    for (int depth = 0;; depth++) {
        if (depth == MAX_LAYERS)
            return dl_fail(o, C_LINK_TOO_DEEP);
        switch (et) {
        case ET_IPV4:
        case ET_IPV6:
            return dl_found(r, o);
        case ET_8021Q:
        case ET_8021AD:
        case ET_QINQ_OLD: {
            uint16_t tci = rd_be16(r);
            et = rd_be16(r);
            if (!rd_ok(r))
                return dl_fail(o, C_LINK_TRUNCATED);
            if (!l2->has_vlan) {
                l2->has_vlan = true;
                l2->vlan = tci & 0x0FFF;
            }
            break;
        }
        case ET_MPLS_UC:
        case ET_MPLS_MC:
            return mpls_stack(r, o);
        case ET_PPPOE_S:
            if (!pppoe_session(r, &et, o))
                return false;
            break;
        case ET_PBB: {                     /* 802.1ah: I-TAG, customer MACs */
            rd_skip(r, 4);
            const uint8_t *m = rd_ptr(r, 12);
            et = rd_be16(r);
            if (!rd_ok(r))
                return dl_fail(o, C_LINK_TRUNCATED);
            memcpy(l2->mac_dst, m, 6);
            memcpy(l2->mac_src, m + 6, 6);
            l2->has_mac = true;
            break;
        }
        default:
            return dl_fail(o, C_LINK_NOT_IP);
        }
    }
}

bool dl_llc_snap(struct rd *r, uint16_t *et, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 8);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    if (h[0] != 0xAA || h[1] != 0xAA || h[2] != 0x03 || h[3] != 0 || h[4] != 0 ||
        (h[5] != 0 && h[5] != 0xF8))
        return dl_fail(o, C_LINK_NOT_IP);
    *et = ld_be16(h + 6);
    return true;
}

/* ---- one decoder per link type ---- */

bool dl_ether(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 14);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    memcpy(l2->mac_dst, h, 6);
    memcpy(l2->mac_src, h + 6, 6);
    l2->has_mac = true;
    uint16_t et = ld_be16(h + 12);
    if (et < 0x0600) {                     /* 802.3 length field */
        if (et > 1500)
            return dl_fail(o, C_LINK_NOT_IP);
        if (!dl_llc_snap(r, &et, o))
            return false;
    }
    return dl_ether_chain(r, et, l2, o);
}

static bool dl_sll(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 16);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_ether_chain(r, ld_be16(h + 14), l2, o);
}

static bool dl_sll2(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 20);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_ether_chain(r, ld_be16(h), l2, o);
}

static bool is_af_inet6(uint32_t v)
{
    return v == 10 || v == 24 || v == 28 || v == 30;
}

/* NULL: the family is in the capturing host's byte order, so accept both.
 * LOOP: network byte order only. */
static bool null_loop(struct rd *r, bool loop, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 4);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    uint32_t be = ld_be32(h);
    uint32_t le = ((uint32_t)h[3] << 24) | ((uint32_t)h[2] << 16) | ((uint32_t)h[1] << 8) | h[0];
    if (loop)
        le = be;
    if (be != 2 && le != 2 && !is_af_inet6(be) && !is_af_inet6(le))
        return dl_fail(o, C_LINK_UNKNOWN_FAMILY);
    return dl_found(r, o);
}

static bool dl_null(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    return null_loop(r, false, o);
}

static bool dl_loop(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    return null_loop(r, true, o);
}

static bool dl_raw(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    if (!rd_has(r, 1))
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_found(r, o);
}

/* Cisco HDLC: address, control, ethertype. */
static bool dl_chdlc(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 4);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_ether_chain(r, ld_be16(h + 2), l2, o);
}

bool dl_ppp_frame(struct rd *r, uint16_t *et, struct dl_out *o)
{
    if (!rd_has(r, 1))
        return dl_fail(o, C_LINK_TRUNCATED);
    if (rd_peek_u8(r, 0) == 0xFF && rd_peek_u8(r, 1) == 0x03)
        rd_skip(r, 2);
    uint16_t proto = ppp_proto(r);
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    *et = ppp_to_ethertype(proto);
    if (!*et)
        return dl_fail(o, C_LINK_NOT_IP);
    return true;
}

/* PPP (9) and PPP_SERIAL (50): optional FF 03, then the protocol.  Frames
 * starting with a Cisco HDLC address (0x0F / 0x8F) are Cisco HDLC. */
static bool dl_ppp(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    if (!rd_has(r, 1))
        return dl_fail(o, C_LINK_TRUNCATED);
    uint8_t b0 = rd_peek_u8(r, 0);
    if (b0 == 0x0F || b0 == 0x8F)
        return dl_chdlc(r, check_fcs, l2, o);
    uint16_t et;
    if (!dl_ppp_frame(r, &et, o))
        return false;
    return dl_ether_chain(r, et, l2, o);
}

/* ---- the table ---- */

/* Indexed by link type: O(1) for every record. */
static const struct {
    const char *name;
    dl_fn decode;
} links[] = {
    [0]   = { "NULL",             dl_null },
    [1]   = { "EN10MB",           dl_ether },
    [6]   = { "IEEE802",          dl_ether },
    [7]   = { "ARCNET",           dl_arcnet },
    [9]   = { "PPP",              dl_ppp },
    [10]  = { "FDDI",             dl_fddi },
    [12]  = { "RAW",              dl_raw },
    [14]  = { "RAW",              dl_raw },
    [50]  = { "PPP_SERIAL",       dl_ppp },
    [101] = { "RAW",              dl_raw },
    [104] = { "C_HDLC",           dl_chdlc },
    [105] = { "IEEE802_11",       dl_80211 },
    [108] = { "LOOP",             dl_loop },
    [113] = { "LINUX_SLL",        dl_sll },
    [127] = { "IEEE802_11_RADIO", dl_radiotap },
    [129] = { "ARCNET_LINUX",     dl_arcnet_linux },
    [178] = { "JUNIPER_ETHER",    dl_juniper_ether },
    [228] = { "IPV4",             dl_raw },
    [229] = { "IPV6",             dl_raw },
    [239] = { "NFLOG",            dl_nflog },
    [242] = { "IPOIB",            dl_ipoib },
    [276] = { "LINUX_SLL2",       dl_sll2 },
};

#define NLINKS ((int)(sizeof links / sizeof links[0]))

static dl_fn find(int dlt)
{
    return dlt >= 0 && dlt < NLINKS ? links[dlt].decode : NULL;
}

bool datalink_supported(int dlt)
{
    return find(dlt) != NULL;
}

const char *datalink_name(int dlt)
{
    static const char *const user[16] = {
        "USER0", "USER1", "USER2", "USER3", "USER4", "USER5", "USER6", "USER7",
        "USER8", "USER9", "USER10", "USER11", "USER12", "USER13", "USER14", "USER15",
    };
    if (find(dlt))
        return links[dlt].name;
    if (dlt >= 147 && dlt <= 162)
        return user[dlt - 147];
    const char *n = pcap_datalink_val_to_name(dlt);   /* link types we do not decode */
    return n ? n : "unknown";
}

bool datalink_inner(enum dl_inner what, uint16_t et, const uint8_t *p, size_t n,
                    struct l2_info *l2, const uint8_t **ip, size_t *iplen, enum counter_id *why)
{
    struct rd r = rd_make(p, p ? n : 0);
    struct dl_out o = { NULL, 0, C_LINK_TRUNCATED };
    bool ok;
    switch (what) {
    case DL_INNER_ETHER:
        memset(l2, 0, sizeof *l2);
        ok = dl_ether(&r, false, l2, &o);
        break;
    case DL_INNER_80211:
        memset(l2, 0, sizeof *l2);
        ok = dl_80211(&r, false, l2, &o);
        break;
    case DL_INNER_PPP:
        ok = dl_ppp_frame(&r, &et, &o) && dl_ether_chain(&r, et, l2, &o);
        break;
    default:
        ok = dl_ether_chain(&r, et, l2, &o);
        break;
    }
    if (!ok) {
        *why = o.why;
        return false;
    }
    *ip = o.ip;
    *iplen = o.iplen;
    return true;
}

bool datalink_decode(int dlt, const uint8_t *frame, size_t caplen, bool check_fcs,
                     struct l2_info *l2, const uint8_t **ip, size_t *iplen,
                     enum counter_id *why)
{
    struct rd r = rd_make(frame, frame ? caplen : 0);
    struct dl_out o = { NULL, 0, C_LINK_TRUNCATED };
    dl_fn fn = find(dlt);

    memset(l2, 0, sizeof *l2);
    if (!(fn ? fn(&r, check_fcs, l2, &o) : dl_fail(&o, C_LINK_NOT_IP))) {
        *why = o.why;
        return false;
    }
    *ip = o.ip;
    *iplen = o.iplen;
    return true;
}
