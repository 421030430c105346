/* flowkey.c - see flowkey.h */
#include "flow/flowkey.h"
#include "util/htab.h"

#include <string.h>

void flowkey_reverse(const struct flowkey *k, struct flowkey *out)
{
    *out = *k;
    out->sport = k->dport;
    out->dport = k->sport;
    memcpy(out->src, k->dst, 16);
    memcpy(out->dst, k->src, 16);
}

bool flowkey_eq(const struct flowkey *a, const struct flowkey *b)
{
    return a->sport == b->sport && a->dport == b->dport && a->family == b->family &&
           a->tun == b->tun && memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

/* One endpoint as two words: address halves folded with the port. */
static void endpoint(const uint8_t a[16], uint16_t port, uint64_t w[2])
{
    memcpy(&w[0], a, 8);
    memcpy(&w[1], a + 8, 8);
    w[1] ^= (uint64_t)port << 48 | port;
}

uint32_t flowkey_hash(const struct flowkey *k, uint64_t seed)
{
    uint64_t s[2], d[2];
    endpoint(k->src, k->sport, s);
    endpoint(k->dst, k->dport, d);
    /* order the endpoints, so that both directions give the same words */
    bool swap = s[0] > d[0] || (s[0] == d[0] && s[1] > d[1]);
    const uint64_t *lo = swap ? d : s, *hi = swap ? s : d;
    uint64_t h = hash_mix(seed, (uint64_t)k->family << 32 | k->tun);
    h = hash_mix(h, lo[0]);
    h = hash_mix(h, lo[1]);
    h = hash_mix(h, hi[0]);
    h = hash_mix(h, hi[1]);
    h = hash_mix(h, seed >> 17);
    return (uint32_t)(h ^ (h >> 32));
}

/* FNV-1a over one endpoint: address bytes, then the port, high byte first. */
static uint64_t fnv_endpoint(uint64_t h, const uint8_t a[16], uint16_t port)
{
    for (int i = 0; i < 16; i++)
        h = (h ^ a[i]) * 0x100000001b3ull;
    h = (h ^ (uint8_t)(port >> 8)) * 0x100000001b3ull;
    return (h ^ (uint8_t)port) * 0x100000001b3ull;
}

uint32_t flowkey_shard_hash(const struct flowkey *k)
{
    /* the endpoints in a fixed order: the smaller (address, port) first */
    int c = memcmp(k->src, k->dst, 16);
    bool swap = c > 0 || (c == 0 && k->sport > k->dport);
    uint64_t h = 0xcbf29ce484222325ull;
    h = (h ^ k->family) * 0x100000001b3ull;
    for (int i = 0; i < 4; i++)
        h = (h ^ (uint8_t)(k->tun >> (8 * i))) * 0x100000001b3ull;
    h = swap ? fnv_endpoint(fnv_endpoint(h, k->dst, k->dport), k->src, k->sport)
             : fnv_endpoint(fnv_endpoint(h, k->src, k->sport), k->dst, k->dport);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}
