/* datalink.h - find the IP packet inside a link-layer frame.
 *
 * Supported: Ethernet (DLT 1, and 6) with any depth of 802.1Q / 802.1ad /
 * 0x9100 / 802.1ah tags, MPLS label stacks, PPPoE session frames; Linux SLL
 * (113) and SLL2 (276); NULL (0) and LOOP (108) in both byte orders with
 * every BSD AF_INET6 value (24, 28, 30) and Linux's 10; raw IP (12, 14, 101,
 * 228, 229); PPP (9, 50) and Cisco HDLC (104); 802.11 (105) and 802.11 +
 * radiotap (127); ARCNET (7, 129), FDDI (10), Juniper Ethernet (178), Linux
 * NFLOG (239), IP over InfiniBand (242).
 * Views point into the caller's frame: nothing is copied.
 */
#ifndef TCPFLOW_DATALINK_H
#define TCPFLOW_DATALINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/counters.h"

struct l2_info {
    bool has_mac;            /* true for Ethernet and 802.11 */
    uint8_t mac_src[6];
    uint8_t mac_dst[6];
    bool has_vlan;           /* an 802.1Q/802.1ad tag was present */
    uint16_t vlan;           /* 12-bit VID of the OUTERMOST tag */
};

/* true when dlt is a link type datalink_decode understands */
bool datalink_supported(int dlt);

/* Human-readable name of a DLT ("EN10MB", "LINUX_SLL2", ...) or "unknown". */
const char *datalink_name(int dlt);

/* Decode frame[0..caplen) of link type dlt.  On success returns true, fills
 * *l2 and points *ip and *iplen at the network-layer bytes (an IPv4 or IPv6
 * header is expected there; the caller checks the version).  On failure
 * returns false and sets *why to the reason to count.  check_fcs: for
 * 802.11 frames that say they carry an FCS, drop those whose FCS is wrong. */
bool datalink_decode(int dlt, const uint8_t *frame, size_t caplen, bool check_fcs,
                     struct l2_info *l2, const uint8_t **ip, size_t *iplen,
                     enum counter_id *why);

/* An 802.11 beacon (wifiviz). */
struct wifi_beacon {
    uint8_t mac[6];             /* the transmitter (address 2) */
    const uint8_t *ssid;        /* the last SSID element's bytes (borrowed), or NULL */
    size_t ssid_len;
};

/* frame[0..caplen) of link type dlt (127 radiotap, 105 bare 802.11) is a
 * beacon: fill *b and return true.  With check_fcs only frames with a right
 * FCS count (as 1.6.1's wifiviz: a frame without one does not). */
bool datalink_beacon(int dlt, const uint8_t *frame, size_t caplen, bool check_fcs,
                     struct wifi_beacon *b);

/* What a tunnel carries, for datalink_inner. */
enum dl_inner {
    DL_INNER_ETHERTYPE,      /* the bytes after an ethertype (et): IP, MPLS, VLAN tags ... */
    DL_INNER_ETHER,          /* an Ethernet frame (no FCS) */
    DL_INNER_80211,          /* an 802.11 frame (no FCS) */
    DL_INNER_PPP,            /* a PPP frame: optional FF 03, protocol */
};

/* Decode the link layer a tunnel carries, p[0..n): as datalink_decode.
 * For an Ethernet or 802.11 frame *l2 is reset to that frame's; otherwise
 * *l2 is kept (a VLAN tag found sets it only when none was seen). */
bool datalink_inner(enum dl_inner what, uint16_t et, const uint8_t *p, size_t n,
                    struct l2_info *l2, const uint8_t **ip, size_t *iplen, enum counter_id *why);

#endif
