/* tun_priv.h - one level of decapsulation (decode.c, tun_*.c only).
 *
 * tunnel_hop() looks at an IP packet's payload and, when it is a tunnel
 * this decoder knows and is told to decode, says what kind it is, its key,
 * and where the carried packet or frame is.  It never allocates: views
 * point into the packet.
 */
#ifndef TCPFLOW_DECODE_TUN_PRIV_H
#define TCPFLOW_DECODE_TUN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode/datalink.h"
#include "decode/ip.h"
#include "decode/tunnel.h"
#include "util/counters.h"

enum hop_payload {
    HOP_IP,                            /* an IP packet */
    HOP_LINK,                          /* a link layer: see link/et */
};

struct tun_hop {
    unsigned kind;                     /* enum tunnel_kind */
    bool has_key;
    uint32_t key;                      /* when has_key: part of the identity */
    enum hop_payload what;
    enum dl_inner link;                /* HOP_LINK: Ethernet, 802.11, PPP, after an ethertype */
    uint16_t et;                       /* DL_INNER_ETHERTYPE */
    const uint8_t *p;                  /* the payload (borrowed) */
    size_t n;
};

enum hop_result {
    HOP_NONE,                          /* not a tunnel we decode: an ordinary packet */
    HOP_OK,                            /* *h describes the payload */
    HOP_FAIL,                          /* a tunnel, but nothing to decode: *why says why */
};

/* A header that cannot be decoded: why, and HOP_FAIL. */
static inline enum hop_result tun_fail(enum counter_id *why, enum counter_id id)
{
    *why = id;
    return HOP_FAIL;
}

static inline bool tun_on(const struct tunnel_config *c, unsigned kind)
{
    return (c->kinds >> kind) & 1u;
}

/* The payload of ip (whole, not a fragment): protocols 4 and 41 (IP in
 * IP), 47 (GRE), 17 (UDP on a tunnel port). */
enum hop_result tunnel_hop(const struct tunnel_config *c, const struct ip_pkt *ip,
                           struct tun_hop *h, enum counter_id *why);

/* A GRE header and what follows, p[0..n).  in_udp: GRE in UDP (RFC 8086). */
enum hop_result tun_gre(const struct tunnel_config *c, const uint8_t *p, size_t n, bool in_udp,
                        struct tun_hop *h, enum counter_id *why);

#endif
