/* dl_priv.h - what the link-layer decoders share (datalink*.c only).
 *
 * Each link decoder reads its header through the rd cursor and ends in
 * found() (the network layer is the rest of the cursor), in ether_chain()
 * (an ethertype and the bytes after it) or in fail().
 */
#ifndef TCPFLOW_DECODE_DL_PRIV_H
#define TCPFLOW_DECODE_DL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode/datalink.h"
#include "util/rd.h"

#define ET_IPV4     0x0800
#define ET_IPV6     0x86DD
#define ET_8021Q    0x8100
#define ET_8021AD   0x88A8
#define ET_QINQ_OLD 0x9100
#define ET_MPLS_UC  0x8847
#define ET_MPLS_MC  0x8848
#define ET_PPPOE_S  0x8864
#define ET_PBB      0x88E7
#define ET_TEB      0x6558             /* Ethernet frame (GRE's transparent bridging) */

/* Result of one decode: where the network layer is, or why there is none. */
struct dl_out {
    const uint8_t *ip;
    size_t iplen;
    enum counter_id why;
};

static inline bool dl_fail(struct dl_out *o, enum counter_id why)
{
    o->why = why;
    return false;
}

/* The network layer is the rest of r. */
static inline bool dl_found(struct rd *r, struct dl_out *o)
{
    if (!rd_ok(r))
        return dl_fail(o, C_LINK_TRUNCATED);
    o->ip = r->p + r->off;
    o->iplen = r->len - r->off;
    return true;
}

/* Peel tags and encapsulations starting at ethertype et, whose payload
 * begins at r's cursor (datalink.c). */
bool dl_ether_chain(struct rd *r, uint16_t et, struct l2_info *l2, struct dl_out *o);

/* An 802.2 LLC + SNAP header: AA AA 03, OUI 00-00-00 (or 00-00-F8), then the
 * ethertype into *et (datalink.c). */
bool dl_llc_snap(struct rd *r, uint16_t *et, struct dl_out *o);

/* A PPP frame: optional FF 03, the protocol; *et what it carries
 * (datalink.c). */
bool dl_ppp_frame(struct rd *r, uint16_t *et, struct dl_out *o);

/* A link decoder: the frame is r; check_fcs as in datalink_decode. */
typedef bool (*dl_fn)(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);

/* Ethernet (datalink.c). */
bool dl_ether(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
/* 802.11 (105) and 802.11 + radiotap (127) (datalink_80211.c). */
bool dl_80211(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
bool dl_radiotap(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
/* datalink_other.c */
bool dl_nflog(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
bool dl_ipoib(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
bool dl_arcnet(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
bool dl_arcnet_linux(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
bool dl_fddi(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);
bool dl_juniper_ether(struct rd *r, bool check_fcs, struct l2_info *l2, struct dl_out *o);

#endif
