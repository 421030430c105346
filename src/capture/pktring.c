/* pktring.c - single-producer single-consumer ring of packet records.
 *
 * Positions are byte counts since the ring was made (64 bits: they never
 * wrap); a position's place in the buffer is pos % size.  A record that would
 * cross the end of the buffer starts at the beginning instead: the producer
 * leaves a wrap marker (a header with caplen WRAP) where it would have
 * started, or nothing when not even a header fits there; the consumer skips
 * both the same way, so the two always agree on where records start.  An
 * empty ring restarts at the beginning the same way. */
#include "capture/pktring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define HDR ((size_t)sizeof(struct pktring_rec))
#define WRAP UINT32_MAX
#define NONE UINT64_MAX
#define RESTART_AT ((size_t)1 << 20)    /* an empty ring this far in restarts */

struct pktring {
    uint8_t *buf;
    size_t size;                    /* multiple of 8 */
    uint32_t max_caplen;
    _Alignas(64) _Atomic uint64_t head;     /* written by the producer only */
    _Atomic uint64_t published;
    uint64_t res_pos;               /* producer: the reserved record */
    size_t res_len;
    uint64_t res_restart;           /* its position before a restart, or NONE */
    /* The last restart of an empty ring: the bytes from skip_from to skip_to
     * hold no record although the consumer, still at skip_from, has not
     * passed them yet (pktring_used does not count them; the producer must
     * not reuse them yet).  Written by the producer before it publishes head. */
    _Atomic uint64_t skip_from, skip_to;
    _Alignas(64) _Atomic uint64_t tail;     /* written by the consumer only */
    _Atomic uint64_t released;
    size_t cur_len;                 /* consumer: bytes of the peeked record, 0 if none */
};

static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t pktring_rec_bytes(uint32_t caplen) { return HDR + round8(caplen); }

size_t pktring_min_bytes(uint32_t max_caplen) { return 2 * pktring_rec_bytes(max_caplen); }

struct pktring *pktring_new(size_t bytes, uint32_t max_caplen)
{
    size_t min = pktring_min_bytes(max_caplen);
    if (bytes < min) bytes = min;
    bytes = round8(bytes);
    struct pktring *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->buf = malloc(bytes);
    if (!r->buf) { free(r); return NULL; }
    r->size = bytes;
    r->max_caplen = max_caplen;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->published, 0);
    atomic_init(&r->released, 0);
    atomic_init(&r->skip_from, NONE);
    atomic_init(&r->skip_to, NONE);
    return r;
}

void pktring_free(struct pktring *r)
{
    if (!r) return;
    free(r->buf);
    free(r);
}

size_t pktring_size(const struct pktring *r) { return r->size; }

uint8_t *pktring_reserve(struct pktring *r, uint32_t caplen)
{
    if (caplen > r->max_caplen) return NULL;
    size_t need = pktring_rec_bytes(caplen);
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t off = (size_t)(h % r->size);
    size_t skip = r->size - off < need ? r->size - off : 0;
    /* Empty: start again at the beginning, so that a ring that keeps up
     * touches only its first pages (memory is used as far as a backlog
     * grew, not the whole ring after its size in traffic).  The bytes
     * skipped stay out of reach until the consumer has passed the marker,
     * so only from restart_at on: that much is free at once. */
    r->res_restart = NONE;
    size_t restart_at = r->size / 4 < RESTART_AT ? r->size / 4 : RESTART_AT;
    if (h == t && off >= need && off >= restart_at) {
        skip = r->size - off;
        r->res_restart = h;
    }
    if (h + skip + need - t > r->size) return NULL;
    if (skip >= HDR) {
        struct pktring_rec m = { 0, WRAP, 0 };
        memcpy(r->buf + off, &m, HDR);
    }
    r->res_pos = h + skip;
    r->res_len = need;
    return r->buf + (size_t)(r->res_pos % r->size) + HDR;
}

void pktring_commit(struct pktring *r, const struct pktring_rec *h)
{
    memcpy(r->buf + (size_t)(r->res_pos % r->size), h, HDR);
    if (r->res_restart != NONE) {
        atomic_store_explicit(&r->skip_from, r->res_restart, memory_order_relaxed);
        atomic_store_explicit(&r->skip_to, r->res_pos, memory_order_relaxed);
    }
    uint64_t n = atomic_load_explicit(&r->published, memory_order_relaxed);
    atomic_store_explicit(&r->published, n + 1, memory_order_relaxed);
    atomic_store_explicit(&r->head, r->res_pos + r->res_len, memory_order_seq_cst);
}

bool pktring_peek(struct pktring *r, struct pktring_rec *h, const uint8_t **data)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t hd = atomic_load_explicit(&r->head, memory_order_seq_cst);
    while (t != hd) {
        size_t off = (size_t)(t % r->size);
        if (r->size - off >= HDR) {
            memcpy(h, r->buf + off, HDR);
            if (h->caplen != WRAP) {
                *data = r->buf + off + HDR;
                r->cur_len = pktring_rec_bytes(h->caplen);
                return true;
            }
        }
        t += r->size - off;                 /* wrap marker or no room for one */
        atomic_store_explicit(&r->tail, t, memory_order_release);
    }
    return false;
}

void pktring_release(struct pktring *r)
{
    if (!r->cur_len) return;
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&r->released, memory_order_relaxed);
    atomic_store_explicit(&r->released, n + 1, memory_order_relaxed);
    atomic_store_explicit(&r->tail, t + r->cur_len, memory_order_seq_cst);
    r->cur_len = 0;
}

size_t pktring_used(const struct pktring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (t == atomic_load_explicit(&r->skip_from, memory_order_relaxed))
        t = atomic_load_explicit(&r->skip_to, memory_order_relaxed);
    return h > t ? (size_t)(h - t) : 0;
}

uint64_t pktring_published(const struct pktring *r)
{
    return atomic_load_explicit(&r->published, memory_order_relaxed);
}

uint64_t pktring_released(const struct pktring *r)
{
    return atomic_load_explicit(&r->released, memory_order_relaxed);
}
