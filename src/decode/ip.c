/* ip.c - IPv4 and IPv6 headers; IPv6 extension headers walked.
 *
 * The upper-layer view never extends past the IP length field (so link
 * padding is never payload) nor past the captured bytes.  No checksum is
 * verified.  See docs/internals/decode.md.
 */
#include "decode/ip.h"
#include "util/rd.h"

#include <string.h>

#define MAX_EXT_HEADERS 16

static bool fail(enum counter_id *why, enum counter_id id)
{
    *why = id;
    return false;
}

static bool ipv4_decode(const uint8_t *p, size_t len, struct ip_pkt *out, enum counter_id *why)
{
    struct rd r = rd_make(p, len);
    uint8_t vihl = rd_u8(&r);
    rd_skip(&r, 1);                        /* TOS */
    uint16_t total = rd_be16(&r);
    uint16_t id = rd_be16(&r);
    uint16_t fl = rd_be16(&r);
    rd_skip(&r, 1);                        /* TTL */
    uint8_t proto = rd_u8(&r);
    rd_skip(&r, 2);                        /* checksum */
    const uint8_t *src = rd_ptr(&r, 4);
    const uint8_t *dst = rd_ptr(&r, 4);
    if (!rd_ok(&r))
        return fail(why, C_IP_TRUNCATED);

    size_t hlen = (size_t)(vihl & 0xF) * 4;
    if (hlen < 20 || (total != 0 && total < hlen))
        return fail(why, C_IP_BAD_HEADER);
    if (hlen > len)
        return fail(why, C_IP_TRUNCATED);

    size_t end = len;                      /* total 0: TSO capture, use what we have */
    if (total != 0) {
        if (total > len)
            out->clipped = true;
        else
            end = total;
    }

    out->family = 4;
    memcpy(out->src, src, 4);
    memcpy(out->dst, dst, 4);
    out->proto = proto;
    out->frag_more = (fl & 0x2000) != 0;
    out->frag_off = (uint32_t)(fl & 0x1FFF) * 8;
    out->frag = out->frag_more || out->frag_off != 0;
    out->frag_id = id;
    out->hdr = p;
    out->hdrlen = hlen;
    out->l4 = p + hlen;
    out->l4len = end - hlen;
    return true;
}

/* Look for a Jumbo Payload option (type 0xC2, length 4) in the options area
 * of a Hop-by-Hop header.  Returns true and *jumbo when found. */
static bool find_jumbo(const uint8_t *opt, size_t n, uint32_t *jumbo)
{
    struct rd r = rd_make(opt, n);
    while (rd_left(&r) > 0) {
        uint8_t type = rd_u8(&r);
        if (type == 0)                     /* Pad1 */
            continue;
        uint8_t olen = rd_u8(&r);
        const uint8_t *val = rd_ptr(&r, olen);
        if (!rd_ok(&r))
            return false;
        if (type == 0xC2 && olen == 4) {
            *jumbo = ld_be32(val);
            return true;
        }
    }
    return false;
}

/* An extension header ending at need does not fit: past the IP length it
 * is malformed, else the capture was cut short. */
static enum counter_id exthdr_err(bool have_total, uint64_t total, size_t need)
{
    return (have_total && need > total) ? C_IP_EXTHDR_BAD : C_IP_TRUNCATED;
}

static bool ipv6_decode(const uint8_t *p, size_t len, struct ip_pkt *out, enum counter_id *why)
{
    struct rd r = rd_make(p, len);
    rd_skip(&r, 4);                        /* version, class, flow label */
    uint16_t plen = rd_be16(&r);
    uint8_t nh = rd_u8(&r);
    rd_skip(&r, 1);                        /* hop limit */
    const uint8_t *src = rd_ptr(&r, 16);
    const uint8_t *dst = rd_ptr(&r, 16);
    if (!rd_ok(&r))
        return fail(why, C_IP_TRUNCATED);

    out->family = 6;
    memcpy(out->src, src, 16);
    memcpy(out->dst, dst, 16);

    /* The packet length: the payload length field; a Jumbo Payload option
     * when that is 0; else (no length at all) the captured bytes. */
    bool have_total = plen != 0;
    uint64_t total = 40 + (uint64_t)plen;
    size_t nh_off = 6;                     /* offset of the byte naming nh */

    for (int n = 0;; n++) {
        size_t lim = len;                  /* headers must fit here */
        if (have_total && total < lim)
            lim = (size_t)total;
        size_t hl;
        switch (nh) {
        case 0: case 43: case 60: case 135: case 139: case 140: case 51:
        case 44:
            break;
        default:
            goto upper;
        }
        if (n == MAX_EXT_HEADERS)
            return fail(why, C_IP_EXTHDR_BAD);
        if (r.off + 2 > lim)
            return fail(why, exthdr_err(have_total, total, r.off + 2));
        uint8_t next = rd_peek_u8(&r, 0);
        uint8_t elen = rd_peek_u8(&r, 1);
        if (nh == 44)
            hl = 8;
        else if (nh == 51)
            hl = ((size_t)elen + 2) * 4;
        else
            hl = ((size_t)elen + 1) * 8;
        if (hl > lim - r.off)
            return fail(why, exthdr_err(have_total, total, r.off + hl));
        size_t here = r.off;
        const uint8_t *h = rd_ptr(&r, hl);

        if (nh == 0 && here == 40 && !have_total) {
            uint32_t jumbo;
            if (find_jumbo(h + 2, hl - 2, &jumbo)) {
                have_total = true;
                total = 40 + (uint64_t)jumbo;
                if (total < here + hl)
                    return fail(why, C_IP_EXTHDR_BAD);
            }
        }
        if (nh == 44) {
            uint16_t offfl = ld_be16(h + 2);
            uint32_t foff = (uint32_t)(offfl >> 3) * 8;
            bool more = offfl & 1;
            if (foff != 0 || more) {
                out->frag = true;
                out->frag_more = more;
                out->frag_off = foff;
                out->frag_id = ld_be32(h + 4);
                out->hdr = p;
                out->hdrlen = here;
                out->v6_nh_off = nh_off;
                out->v6_frag_nh = next;
                nh = next;
                goto upper;
            }
            /* atomic fragment: an ordinary packet, keep walking */
        }
        nh_off = here;
        nh = next;
    }

upper:;
    size_t end = len;
    if (have_total) {
        if (total > len)
            out->clipped = true;
        else
            end = (size_t)total;
    }
    /* end >= r.off: every header was checked against the limit above */
    out->proto = nh;
    if (!out->frag) {
        out->hdr = p;
        out->hdrlen = r.off;
    }
    out->l4 = p + r.off;
    out->l4len = end - r.off;
    return true;
}

bool ip_decode(const uint8_t *p, size_t len, struct ip_pkt *out, enum counter_id *why)
{
    memset(out, 0, sizeof *out);
    if (!p || len == 0)
        return fail(why, C_IP_TRUNCATED);
    switch (p[0] >> 4) {
    case 4: return ipv4_decode(p, len, out, why);
    case 6: return ipv6_decode(p, len, out, why);
    default: return fail(why, C_IP_BAD_VERSION);
    }
}
