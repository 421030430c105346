/* dispatch.h - a tracker's consumers on worker threads (-j N).
 *
 * The connection tracker runs in the reader thread, alone, exactly as with
 * -j 1: every decision (which flow a segment belongs to, what is new,
 * when a flow ends, flow and session ids, caps, timeouts) is taken in the
 * same order as in a single-threaded run.  It tells one consumer, the
 * dispatcher, which forwards each event to the worker that owns the flow
 * (both directions of a connection share a worker, by the connection
 * hash) through a bounded queue.  Each worker has its own set of real
 * consumers (file sink, scanners) and its own copy of each flow, updated
 * with the state the tracker had at that event, so a consumer sees exactly
 * what it would see in a single-threaded run.  Events of one flow keep
 * their order; released records are handed to the done callback in the
 * tracker's release order, one at a time.
 *
 * Payload bytes are copied into the worker's arena, unless they lie in a
 * range the caller declared stable (a mapped capture file), which is
 * passed by pointer.  Queues and arenas have a fixed size: the reader
 * waits when a worker falls behind.
 */
#ifndef TCPFLOW_FLOW_DISPATCH_H
#define TCPFLOW_FLOW_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/conntrack.h"
#include "flow/consumer.h"

struct dispatch_config {
    unsigned workers;           /* >= 1 */
    size_t queue_events;        /* per worker (rounded up to a power of two) */
    size_t arena_bytes;         /* payload bytes in flight per worker */
    size_t release_window;      /* released records waiting for their turn at most */
};

struct dispatch;

struct dispatch *dispatch_new(const struct dispatch_config *cfg);
/* Stops the workers once they are done with everything sent, and frees. */
void dispatch_free(struct dispatch *d);

/* Give worker w a consumer (borrowed).  Every worker gets the same list,
 * in the same order, before dispatch_start. */
bool dispatch_add_consumer(struct dispatch *d, unsigned w, struct flow_consumer *c);

/* Released records, in release order (called from a worker thread, one
 * at a time). */
void dispatch_set_done(struct dispatch *d, conntrack_done_fn fn, void *arg);

/* The dispatcher as the tracker's (only) consumer. */
struct flow_consumer *dispatch_consumer(struct dispatch *d);

/* Start the worker threads.  false: they could not be started. */
bool dispatch_start(struct dispatch *d);

/* Payload in [lo, hi) stays valid until the next dispatch_set_stable:
 * passed by pointer.  Waits for the workers to finish with the previous
 * range first.  (NULL, NULL): none. */
void dispatch_set_stable(struct dispatch *d, const uint8_t *lo, const uint8_t *hi);

/* The lowest address of the stable range that an event not yet handled
 * points into, or NULL: the bytes before it are no longer needed. */
const uint8_t *dispatch_stable_low(struct dispatch *d);

/* Events are handed over in batches: make every event sent so far visible
 * to the workers now (time passes in a live capture). */
void dispatch_flush(struct dispatch *d);

/* Wait until the workers have handled every event sent so far. */
void dispatch_drain(struct dispatch *d);

/* A worker consumer's fatal error (disk full), or NULL: safe from the reader. */
const char *dispatch_error(struct dispatch *d);

#endif
