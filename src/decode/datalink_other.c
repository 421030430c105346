/* datalink_other.c - the less common link types: Linux NFLOG (239),
 * IP over InfiniBand (242), ARCNET (7, and Linux's 129), FDDI (10) and
 * Juniper's Ethernet (178).  See docs/internals/decode.md.
 */
#include "decode/dl_priv.h"

#include <string.h>

#define MAX_NFLOG_TLVS 64

/* ---- Linux NFLOG ---- */

/* Walk NFLOG TLVs (after the 4-byte header) for the payload (type 9).  The
 * TLV length and type are in the capturing host's byte order: le says
 * which to try.  Returns true with [*p, *n) the payload, or false when the
 * TLVs do not parse that way (*why says how). */
static bool nflog_tlvs(const uint8_t *b, size_t len, bool le, const uint8_t **p, size_t *n,
                       enum counter_id *why)
{
    size_t off = 4;
    for (int i = 0; i < MAX_NFLOG_TLVS; i++) {
        if (len - off < 4) {
            *why = len == off ? C_LINK_NOT_IP : C_LINK_TRUNCATED;
            return false;
        }
        const uint8_t *t = b + off;
        uint16_t tl = le ? (uint16_t)(t[0] | t[1] << 8) : ld_be16(t);
        uint16_t ty = le ? (uint16_t)(t[2] | t[3] << 8) : ld_be16(t + 2);
        if (tl < 4) {
            *why = C_LINK_BAD_HEADER;
            return false;
        }
        if (tl > len - off) {
            *why = C_LINK_TRUNCATED;
            if ((ty & 0x3FFF) != 9)
                return false;
            tl = (uint16_t)(len - off);    /* the payload cut by the snaplen */
        }
        if ((ty & 0x3FFF) == 9) {          /* NFULA_PAYLOAD */
            *p = t + 4;
            *n = tl - 4u;
            return true;
        }
        size_t step = ((size_t)tl + 3) & ~(size_t)3;
        if (step > len - off)
            step = len - off;
        off += step;
    }
    *why = C_LINK_TOO_DEEP;
    return false;
}

/* family (1), version (1), resource id (2), then TLVs.  A well-formed
 * record parses one way only in practice; little endian is tried first. */
bool dl_nflog(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    if (!rd_has(r, 4))
        return dl_fail(o, C_LINK_TRUNCATED);
    if (rd_peek_u8(r, 1) != 0)             /* version */
        return dl_fail(o, C_LINK_BAD_HEADER);
    const uint8_t *b = r->p + r->off;
    size_t len = r->len - r->off;
    const uint8_t *p;
    size_t n;
    enum counter_id why_le, why_be;
    if (!nflog_tlvs(b, len, true, &p, &n, &why_le) && !nflog_tlvs(b, len, false, &p, &n, &why_be))
        return dl_fail(o, why_le);
    struct rd pr = rd_make(p, n);
    if (!rd_has(&pr, 1))
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_found(&pr, o);
}

/* ---- IP over InfiniBand ---- */

/* RFC 4391's 4-byte header (ethertype, reserved), as Linux captures it,
 * behind the 40-byte pseudo-header (a GRH, or 20 bytes of destination
 * address after 20 zeros) that LINKTYPE_IPOIB files carry.  A frame that
 * starts with an IP ethertype and two zero bytes has no pseudo-header (a
 * GRH starts with 6, a destination-only pseudo-header with zeros). */
bool dl_ipoib(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    uint16_t et0 = rd_peek_be16(r, 0);
    bool bare = (et0 == ET_IPV4 || et0 == ET_IPV6) && rd_peek_be16(r, 2) == 0;
    if (!bare)
        rd_skip(r, 40);
    uint16_t et = rd_be16(r);
    rd_skip(r, 2);
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_ether_chain(r, et, l2, o);
}

/* ---- ARCNET ---- */

#define ARC_IP_OLD   240               /* RFC 1051 */
#define ARC_ARP_OLD  241
#define ARC_DIAG     0x80
#define ARC_IP       212               /* RFC 1201 */
#define ARC_IPV6     0xC4

/* What an ARCNET system code carries: an ethertype, or 0. */
static uint16_t arc_ethertype(uint8_t type)
{
    switch (type) {
    case ARC_IP_OLD: case ARC_IP: return ET_IPV4;
    case ARC_IPV6: return ET_IPV6;
    default: return 0;
    }
}

static bool arc_short_header(uint8_t type)
{
    return type == ARC_IP_OLD || type == ARC_ARP_OLD || type == ARC_DIAG;
}

/* BSD ARCNET (7): source, destination, system code; RFC 1201 codes add a
 * split flag and a sequence number, and an exception frame (flag 0xFF)
 * repeats the three after two more bytes.  Only whole packets and first
 * fragments (odd flag) carry the start of a packet: later fragments are
 * not IP we can read. */
bool dl_arcnet(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    rd_skip(r, 2);                         /* source, destination */
    uint8_t type = rd_u8(r);
    uint8_t flag = 0;
    if (rd_ok(r) && !arc_short_header(type)) {
        flag = rd_u8(r);
        rd_skip(r, 2);                     /* sequence number */
        if (flag == 0xFF) {                /* exception frame */
            rd_skip(r, 1);                 /* the system code again */
            flag = rd_u8(r);
            rd_skip(r, 2);
        }
    }
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    uint16_t et = arc_ethertype(type);
    if (!et || (flag && !(flag & 1)))
        return dl_fail(o, C_LINK_NOT_IP);
    return dl_ether_chain(r, et, l2, o);
}

/* Linux ARCNET (129): source, destination, a 2-byte offset, system code,
 * then (RFC 1201 codes) split flag and sequence number.  Linux hands up
 * reassembled packets. */
bool dl_arcnet_linux(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    rd_skip(r, 4);
    uint8_t type = rd_u8(r);
    if (rd_ok(r) && !arc_short_header(type))
        rd_skip(r, 3);
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    uint16_t et = arc_ethertype(type);
    if (!et)
        return dl_fail(o, C_LINK_NOT_IP);
    return dl_ether_chain(r, et, l2, o);
}

/* ---- FDDI ---- */

/* Frame control, destination, source, then 802.2 LLC/SNAP.  Only LLC
 * frames (frame control 0101xxxx or 1101xxxx) carry data. */
bool dl_fddi(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 13);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    if ((h[0] & 0x70) != 0x50)
        return dl_fail(o, C_LINK_NOT_IP);
    memcpy(l2->mac_dst, h + 1, 6);
    memcpy(l2->mac_src, h + 7, 6);
    l2->has_mac = true;
    uint16_t et;
    if (!dl_llc_snap(r, &et, o))
        return false;
    return dl_ether_chain(r, et, l2, o);
}

/* ---- Juniper Ethernet ---- */

#define JNX_NO_L2 0x02                  /* the L2 header was stripped */
#define JNX_EXT   0x80                  /* extension TLVs follow */

/* "MGC", flags, [extension length (2) + extensions], then the Ethernet
 * frame; or, when the router stripped the L2 header, 4 more bytes and the
 * IP packet. */
bool dl_juniper_ether(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    const uint8_t *h = rd_ptr(r, 4);
    if (!h)
        return dl_fail(o, C_LINK_TRUNCATED);
    if (h[0] != 'M' || h[1] != 'G' || h[2] != 'C')
        return dl_fail(o, C_LINK_BAD_HEADER);
    if (h[3] & JNX_EXT)
        rd_skip(r, rd_be16(r));
    if (h[3] & JNX_NO_L2) {
        rd_skip(r, 4);
        uint8_t v = rd_peek_u8(r, 0) >> 4;
        if (!rd_ok(r) || !rd_has(r, 1))
            return dl_fail(o, C_LINK_TRUNCATED);
        if (v != 4 && v != 6)
            return dl_fail(o, C_LINK_NOT_IP);
        return dl_found(r, o);
    }
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    return dl_ether(r, check_fcs, l2, o);
}
