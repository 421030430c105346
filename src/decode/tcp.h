/* tcp.h - the TCP header. */
#ifndef TCPFLOW_TCP_H
#define TCPFLOW_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/counters.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PUSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

struct tcp_seg {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    const uint8_t *data;   /* payload (borrowed) */
    size_t len;
};

/* Decode p[0..len) (the IP payload).  Returns true and fills *out, or false
 * with *why set (TCP_TRUNCATED, TCP_BAD_OFFSET). */
bool tcp_decode(const uint8_t *p, size_t len, struct tcp_seg *out, enum counter_id *why);

#endif
