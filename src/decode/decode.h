/* decode.h - the decode stage: a captured record in, a TCP segment out.
 *
 * Per record: link layer (datalink*.c), IP (ip.c), fragments (defrag*.c),
 * tunnels (tun_*.c, to tunnel_depth levels, each level's IP reassembled
 * first), TCP (tcp.c).  Everything malformed or not TCP is counted per
 * reason in the decoder's own counters and skipped; records that reached
 * IP but were not usable TCP are offered to the `unprocessed` callback
 * (-w): the record, or the frames of the datagram it completed.  Views
 * point into the record or into the decoder's buffers: valid until the
 * next call.
 */
#ifndef TCPFLOW_DECODE_DECODE_H
#define TCPFLOW_DECODE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture/capture.h"
#include "decode/datalink.h"
#include "decode/defrag.h"
#include "decode/ip.h"
#include "decode/tcp.h"
#include "decode/tunnel.h"
#include "util/counters.h"

/* What a scanner with a packet hook sees of each record (netviz). */
struct decode_view {
    const struct capture_pkt *cp;
    bool link_ok;               /* the link layer was decoded */
    /* The innermost IP packet this record reached, or NULL: the captured
     * one, or the one a tunnel carries.  A fragment is shown as the
     * fragment, even when it completed a datagram (unless that datagram
     * was a tunnel: then what it carried). */
    const struct ip_pkt *ip;
    const struct tunnel *tun;   /* the tunnel ip came through, or NULL */
};

/* One TCP segment, with what the stages below need. */
struct decoded {
    const struct capture_pkt *cp;   /* the record as captured (-K, times, lengths) */
    struct l2_info l2;              /* of the innermost link layer (a tunnel's
                                       Ethernet or 802.11 frame, else the capture's) */
    const struct tunnel *tun;       /* NULL when not tunneled; valid until decoder_free */
    struct ip_pkt ip;               /* the (innermost) IP packet carrying seg */
    struct tcp_seg seg;
    const uint8_t *ipb;             /* the outermost IP header inside cp->data */
    /* The outermost IP datagram, reassembled from fragments, or NULL when
     * the outermost IP packet was not a fragment (-K writes the link
     * header of cp, up to ipb, then this). */
    const uint8_t *whole;
    size_t wlen;
};

struct decode_config {
    bool check_fcs;                 /* 802.11: drop frames with a bad FCS */
    struct defrag_config frag;
    struct tunnel_config tun;       /* tunnel_config_default(); kinds 0: no decapsulation */
};

/* Fill *cfg with the defaults (check_fcs on, defrag and tunnels defaults). */
void decode_config_default(struct decode_config *cfg);

/* Called for a record that reached IP but carries no TCP we can use, and
 * for the frames of fragments given up (-w writes them). */
typedef void (*decode_unprocessed_fn)(void *arg, int64_t ts_us, const uint8_t *frame,
                                      uint32_t caplen, uint32_t wirelen, int dlt);
/* Called for every record of a supported link type (scanners' packet hooks). */
typedef void (*decode_view_fn)(void *arg, const struct decode_view *v);

struct decoder;

struct decoder *decoder_new(const struct decode_config *cfg);
void decoder_free(struct decoder *d);

void decoder_set_unprocessed(struct decoder *d, decode_unprocessed_fn fn, void *arg);
void decoder_set_view(struct decoder *d, decode_view_fn fn, void *arg);

/* Decode one record.  true: *out holds a TCP segment.  false: the record
 * was counted, held (a fragment) or skipped. */
bool decoder_packet(struct decoder *d, const struct capture_pkt *cp, struct decoded *out);

/* Time passes: give up fragments that are due. */
void decoder_expire(struct decoder *d, int64_t now_us);
/* End of input: give up every fragment still held. */
void decoder_finish(struct decoder *d);

/* Records of a link type we cannot decode. */
uint64_t decoder_unsupported(const struct decoder *d);
/* Distinct tunnels seen (identities interned). */
size_t decoder_tunnels(const struct decoder *d);
const struct counters *decoder_counters(const struct decoder *d);

#endif
