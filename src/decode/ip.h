/* ip.h - IPv4 and IPv6 headers (IPv6 extension headers walked).
 *
 * The upper-layer view is clamped to the IP length field (never includes
 * link padding) and to the captured bytes.  An IPv4 total length of 0 (TSO
 * captures) means "use the captured length".  An IPv6 Jumbo Payload option
 * (RFC 2675) gives the length when the payload length field is 0.
 */
#ifndef TCPFLOW_IP_H
#define TCPFLOW_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/counters.h"

struct ip_pkt {
    int family;                 /* 4 or 6 */
    uint8_t src[16], dst[16];   /* IPv4 uses the first 4 bytes, rest zero */
    uint8_t proto;              /* upper-layer protocol (after v6 ext headers) */
    const uint8_t *l4;          /* upper-layer bytes (borrowed) */
    size_t l4len;               /* clamped to the IP length and the capture */
    bool clipped;               /* the capture ended before the IP length */

    /* Fragments.  frag is true for IPv4 with MF or a non-zero offset, and for
     * IPv6 with a Fragment header that is not atomic (offset 0 and M=0 is an
     * atomic fragment and is decoded as an ordinary packet). */
    bool frag;
    bool frag_more;             /* MF / M flag */
    uint32_t frag_off;          /* offset in bytes */
    uint32_t frag_id;           /* IPv4: 16-bit id; IPv6: 32-bit id */
    /* Bytes before the fragmentable part: IPv4 header (with options);
     * IPv6 header plus the unfragmentable extension headers up to (not
     * including) the Fragment header. */
    const uint8_t *hdr;
    size_t hdrlen;
    /* IPv6 only: offset inside hdr of the Next Header byte that names the
     * Fragment header (6 for the fixed header), so a reassembler can patch
     * it; and the next header found inside the Fragment header. */
    size_t v6_nh_off;
    uint8_t v6_frag_nh;
};

/* Decode the IP packet at p[0..len).  Returns true and fills *out, or false
 * with *why set.  Fragments decode successfully (out->frag true, out->l4
 * the fragment's data); proto is then the protocol of the datagram. */
bool ip_decode(const uint8_t *p, size_t len, struct ip_pkt *out, enum counter_id *why);

#endif
