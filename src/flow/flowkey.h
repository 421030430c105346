/* flowkey.h - the key of a flow direction, and the connection hash.
 *
 * A key is directed (source, destination).  Its hash is symmetric: both
 * directions of a connection hash alike, so they share a bucket (the
 * reverse direction is found in the same chain) and, later, a worker.
 */
#ifndef TCPFLOW_FLOW_FLOWKEY_H
#define TCPFLOW_FLOW_FLOWKEY_H

#include <stdbool.h>
#include <stdint.h>

struct flowkey {
    uint8_t family;          /* 4 or 6 */
    uint8_t pad;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
    uint32_t tun;            /* tunnel id (0: none); see decode/tunnel.h */
};

/* The reverse direction's key. */
void flowkey_reverse(const struct flowkey *k, struct flowkey *out);

bool flowkey_eq(const struct flowkey *a, const struct flowkey *b);

/* The connection hash of k under seed: flowkey_hash(k) == flowkey_hash(reverse(k)). */
uint32_t flowkey_hash(const struct flowkey *k, uint64_t seed);

/* A connection hash that every machine computes alike (no seed; bytes
 * read in a fixed order), for --shard: symmetric like flowkey_hash. */
uint32_t flowkey_shard_hash(const struct flowkey *k);

#endif
