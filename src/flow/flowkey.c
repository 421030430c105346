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
