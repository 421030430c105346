/* pktring.h - a bounded ring of packet records between one producer thread
 * (the live capture thread, which copies packets out of libpcap's kernel
 * buffer) and one consumer thread (the caller of capture_next()).
 *
 * One contiguous buffer of a fixed size, allocated once; records are packed
 * one after the other (header + bytes, 8-byte aligned) and never split: a
 * record that does not fit before the end of the buffer starts again at its
 * beginning.  No locks: the producer owns the write position, the consumer
 * the read position, each published with release/acquire atomics.  The ring
 * never waits and never drops: a full ring is reported to the producer,
 * which decides (capture/live.c waits, and lets the kernel buffer absorb the
 * burst).  Waking a sleeping side is the caller's business too.
 */
#ifndef TCPFLOW_PKTRING_H
#define TCPFLOW_PKTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pktring;

/* The header of one record, in the ring before its bytes. */
struct pktring_rec {
    int64_t ts_us;
    uint32_t caplen;
    uint32_t wirelen;
};

/* Smallest ring: room for two records of max_caplen bytes, so a record of
 * any length up to max_caplen always fits once the ring is empty. */
size_t pktring_min_bytes(uint32_t max_caplen);

/* A ring of about `bytes` bytes (rounded up to a multiple of 8), able to
 * hold records of up to max_caplen bytes; `bytes` below
 * pktring_min_bytes(max_caplen) is raised to it.  NULL if out of memory.
 * The memory is allocated once here; its pages are touched only as far as
 * the backlog grows (a ring that empties starts again at the beginning). */
struct pktring *pktring_new(size_t bytes, uint32_t max_caplen);

/* Frees the ring (NULL: no-op).  Neither side may use it any more. */
void pktring_free(struct pktring *r);

/* Its size in bytes, as allocated. */
size_t pktring_size(const struct pktring *r);

/* Bytes a record of caplen bytes takes (header, padding). */
size_t pktring_rec_bytes(uint32_t caplen);

/* Producer: room for a record of caplen bytes (<= max_caplen), or NULL when
 * the ring is full for now (nothing changes; try again once the consumer
 * released).  The returned pointer is where the caplen bytes go; the record
 * is invisible to the consumer until pktring_commit(). */
uint8_t *pktring_reserve(struct pktring *r, uint32_t caplen);

/* Producer: publish the record reserved last, with its header. */
void pktring_commit(struct pktring *r, const struct pktring_rec *h);

/* Consumer: the oldest published record, without removing it: true and *h,
 * *data filled (data valid until pktring_release), or false if none. */
bool pktring_peek(struct pktring *r, struct pktring_rec *h, const uint8_t **data);

/* Consumer: remove the record returned by the last pktring_peek. */
void pktring_release(struct pktring *r);

/* Bytes held (published, not released); either side may ask.  It can be
 * stale by the time it is returned, in the direction the other side moves. */
size_t pktring_used(const struct pktring *r);

/* Records published and records released since the ring was made. */
uint64_t pktring_published(const struct pktring *r);
uint64_t pktring_released(const struct pktring *r);

#endif
