/* tunnel.h - the encapsulation a packet came through (GRE, VXLAN, ...).
 *
 * Each distinct tunnel identity (the outer addresses and the tunnel's own
 * key: GRE key, VNI, TEID, ... at every level) is interned once per run by
 * the decoder and handed on as a pointer that stays valid, and unchanged,
 * until the decoder is freed: flows keep it, names and reports print it.
 */
#ifndef TCPFLOW_DECODE_TUNNEL_H
#define TCPFLOW_DECODE_TUNNEL_H

#include <stdint.h>

struct tunnel {
    uint32_t id;        /* 1, 2, ... in order of first sight; part of the flow key */
    uint8_t depth;      /* levels of encapsulation */
    const char *desc;   /* e.g. "vxlan:vni=42:198.18.0.1>198.18.0.2" (file-name safe) */
};

#endif
