/* http_repair.h - late bytes that fill a hole of the in-order view.
 *
 * The tracker's in-order view (flow/stream.h) holds bytes after a hole up
 * to a cap; past it, it says "hole" and goes on, and the missing bytes,
 * when they come (a retransmission after a loss before the capture point,
 * late on a fast link), are given later as late bytes.  A direction that
 * met a hole keeps what follows here, up to a cap of its own, so that late
 * bytes can fill the hole: what is contiguous from the start goes on to
 * the parser at once; what is still missing when the cap is reached or the
 * flow ends is given as a hole.  Nothing is kept without a hole.
 *
 * Offsets are the stream's.  Every byte is copied; the caller bounds the
 * total with `cap` (and may drain a repair at any time).
 */
#ifndef TCPFLOW_SCAN_HTTP_REPAIR_H
#define TCPFLOW_SCAN_HTTP_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_REPAIR_RANGES 64           /* holes one repair waits for at most */

struct http_repair;

/* Where the repaired bytes go, in order: bytes at off, or a hole of n
 * bytes at off that was not filled. */
struct http_repair_out {
    void *arg;
    void (*data)(void *arg, uint64_t off, const uint8_t *p, size_t n);
    void (*gap)(void *arg, uint64_t off, uint64_t n);
};

/* A repair of the bytes from stream offset at on (the first hole's start).
 * Never NULL. */
struct http_repair *http_repair_new(uint64_t at);

/* A hole [off, off + len): off at or after what it holds.  false when
 * holding it would pass cap bytes or HTTP_REPAIR_RANGES holes (drain all). */
bool http_repair_gap(struct http_repair *r, uint64_t off, uint64_t len, size_t cap);

/* Bytes at off: in a hole (they fill it: the first bytes that come win),
 * or after what it holds.  Bytes before its start are ignored.  false as
 * for http_repair_gap. */
bool http_repair_data(struct http_repair *r, uint64_t off, const uint8_t *p, size_t n, size_t cap);

/* Give what is contiguous from the start; all: everything, the holes
 * still missing as holes.  Returns true when nothing is held any more
 * (the repair is over: free it). */
bool http_repair_drain(struct http_repair *r, const struct http_repair_out *out, bool all);

/* Bytes held. */
size_t http_repair_bytes(const struct http_repair *r);

/* The stream origin moved back by n: every offset grows by n. */
void http_repair_shift(struct http_repair *r, uint64_t n);

/* NULL is a no-op. */
void http_repair_free(struct http_repair *r);

#endif
