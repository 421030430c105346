/* tcp.c - the TCP header. */
#include "decode/tcp.h"
#include "util/rd.h"

#include <string.h>

bool tcp_decode(const uint8_t *p, size_t len, struct tcp_seg *out, enum counter_id *why)
{
    struct rd r = rd_make(p, p ? len : 0);
    memset(out, 0, sizeof *out);
    out->sport = rd_be16(&r);
    out->dport = rd_be16(&r);
    out->seq = rd_be32(&r);
    out->ack = rd_be32(&r);
    uint8_t doff = rd_u8(&r) >> 4;
    out->flags = rd_u8(&r);
    out->win = rd_be16(&r);
    rd_skip(&r, 4);                        /* checksum, urgent pointer */
    if (!rd_ok(&r)) {
        *why = C_TCP_TRUNCATED;
        return false;
    }
    if (doff < 5) {
        *why = C_TCP_BAD_OFFSET;
        return false;
    }
    rd_skip(&r, (size_t)doff * 4 - 20);    /* options */
    if (!rd_ok(&r)) {
        *why = C_TCP_TRUNCATED;
        return false;
    }
    out->data = p + r.off;
    out->len = rd_left(&r);
    return true;
}
