/* datalink_80211.c - 802.11 data frames, bare (DLT 105) or behind a
 * radiotap header (DLT 127).  See docs/internals/decode.md.
 */
#include "decode/dl_priv.h"

#include <string.h>

#define MAX_RT_WORDS    32   /* radiotap present bitmaps */

/* 802.11 frame in r (FCS already removed).  datapad: the radiotap Flags say
 * the header is padded to a multiple of 4 bytes. */
static bool wifi_data(struct rd *r, bool datapad, struct l2_info *l2, struct dl_out *o)
{
    size_t start = r->off;
    uint8_t fc0 = rd_u8(r);
    uint8_t fc1 = rd_u8(r);
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    unsigned version = fc0 & 3, type = (fc0 >> 2) & 3, subtype = (fc0 >> 4) & 0xF;
    if (version != 0 || type != 2)
        return dl_fail(o, C_LINK_80211_NOT_DATA);
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
        return dl_fail(o, C_LINK_TRUNCATED);
    if (datapad && (r->off - start) % 4)
        rd_skip(r, 4 - (r->off - start) % 4);
    if (subtype & 0x4)                     /* Null, CF-Ack/Poll: no body */
        return dl_fail(o, C_LINK_NOT_IP);
    if (fc1 & 0x40)                        /* Protected: encrypted body */
        return dl_fail(o, C_LINK_NOT_IP);
    if (qos & 0x80)                        /* A-MSDU: not decoded */
        return dl_fail(o, C_LINK_NOT_IP);

    const uint8_t *da, *sa;
    if (!to_ds && !from_ds) { da = a1; sa = a2; }
    else if (!to_ds)        { da = a1; sa = a3; }
    else if (!from_ds)      { da = a3; sa = a2; }
    else                    { da = a3; sa = a4; }
    memcpy(l2->mac_dst, da, 6);
    memcpy(l2->mac_src, sa, 6);
    l2->has_mac = true;

    uint16_t et;
    if (!dl_llc_snap(r, &et, o))
        return false;
    return dl_ether_chain(r, et, l2, o);
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
 * optionally check the FCS: *w is the 802.11 frame, *flags the Flags. */
static bool radiotap(struct rd *r, bool check_fcs, struct rd *wout, uint8_t *flagsout,
                     struct dl_out *o)
{
    const uint8_t *frame = r->p;
    size_t caplen = r->len;
    uint8_t version = rd_u8(r);
    rd_skip(r, 1);
    uint16_t hlen = rd_le16(r);
    uint32_t present0 = rd_le32(r);
    if (!rd_ok(r) || hlen < 8 || hlen > caplen)
        return dl_fail(o, C_LINK_TRUNCATED);
    if (version != 0)
        return dl_fail(o, C_LINK_NOT_IP);

    /* Extended present bitmaps: bit 31 says another word follows. */
    struct rd h = rd_make(frame, hlen);
    rd_skip(&h, 8);
    uint32_t word = present0;
    for (int n = 1; word & 0x80000000u; n++) {
        if (n == MAX_RT_WORDS)
            return dl_fail(o, C_LINK_TOO_DEEP);
        word = rd_le32(&h);
        if (!rd_ok(&h))
            return dl_fail(o, C_LINK_TRUNCATED);
    }
    /* Fields of the first bitmap come first, in bit order: Flags (bit 1)
     * follows only TSFT (bit 0, 8 bytes aligned to 8). */
    uint8_t flags = 0;
    if (present0 & 0x2) {
        size_t off = h.off;
        if (present0 & 0x1)
            off = ((off + 7) & ~(size_t)7) + 8;
        if (off >= hlen)
            return dl_fail(o, C_LINK_TRUNCATED);
        flags = frame[off];
    }

    struct rd w = rd_make(frame + hlen, caplen - hlen);
    if (flags & 0x10) {                    /* FCS at end */
        if (w.len < 4)
            return dl_fail(o, C_LINK_TRUNCATED);
        w.len -= 4;
        if (check_fcs) {
            const uint8_t *f = w.p + w.len;
            uint32_t want = ((uint32_t)f[3] << 24) | ((uint32_t)f[2] << 16) |
                            ((uint32_t)f[1] << 8) | f[0];
            if (crc32_80211(w.p, w.len) != want)
                return dl_fail(o, C_LINK_80211_BAD_FCS);
        }
    }
    *wout = w;
    *flagsout = flags;
    return true;
}

bool dl_radiotap(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    struct rd w;
    uint8_t flags;
    if (!radiotap(r, check_fcs, &w, &flags, o))
        return false;
    return wifi_data(&w, (flags & 0x20) != 0, l2, o);
}

bool dl_80211(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o)
{
    return wifi_data(r, false, l2, o);
}

/* A beacon (management, subtype 8) in r: the transmitter's address and the
 * last SSID element.  A beacon without one has an empty SSID. */
static bool beacon(struct rd *r, struct wifi_beacon *b)
{
    uint8_t fc0 = rd_u8(r);
    uint8_t fc1 = rd_u8(r);
    rd_skip(r, 2 + 6);                     /* duration, receiver */
    const uint8_t *ta = rd_ptr(r, 6);
    rd_skip(r, 6 + 2);                     /* BSSID, sequence control */
    if (fc1 & 0x80)                        /* Order: HT Control present */
        rd_skip(r, 4);
    rd_skip(r, 12);                        /* timestamp, interval, capabilities */
    if (!rd_ok(r) || (fc0 & 0x03) != 0 || ((fc0 >> 2) & 3) != 0 || (fc0 >> 4) != 8)
        return false;
    memcpy(b->mac, ta, 6);
    b->ssid = NULL;
    b->ssid_len = 0;
    while (rd_left(r) >= 2) {
        uint8_t id = rd_u8(r), len = rd_u8(r);
        const uint8_t *v = rd_ptr(r, len);
        if (!v)
            break;                         /* cut by the snaplen: keep what we have */
        if (id == 0) {
            b->ssid = v;
            b->ssid_len = len;
        }
    }
    return true;
}

bool datalink_beacon(int dlt, const uint8_t *frame, size_t caplen, bool check_fcs,
                     struct wifi_beacon *b)
{
    struct rd r = rd_make(frame, frame ? caplen : 0);
    struct dl_out o;
    if (dlt == 105)
        return !check_fcs && beacon(&r, b);
    struct rd w;
    uint8_t flags;
    if (dlt != 127 || !radiotap(&r, check_fcs, &w, &flags, &o))
        return false;
    if (check_fcs && !(flags & 0x10))
        return false;                      /* no FCS to check: 1.6.1 drops it too */
    return beacon(&w, b);
}
