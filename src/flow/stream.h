/* stream.h - the in-order view of each flow direction.
 *
 * Reassembly places bytes at their offsets as they arrive; consumers that
 * parse a stream (the console, HTTP, TLS) want them in order.  Here bytes
 * are given on as soon as they are contiguous with what was given before;
 * bytes after a hole are held (up to a cap per flow and in total) and
 * given when the hole fills, or - past a cap, or at the flow's end - given
 * in order with a gap before each hole.  Each run of bytes that arrived in
 * one packet is given as one piece, with that packet's time.
 *
 * Bytes at or before the point given so far are given at once: they can
 * only be late data (after a prepend, after a gap was given, or a
 * retransmission under -S tcp_overlap=last).
 */
#ifndef TCPFLOW_FLOW_STREAM_H
#define TCPFLOW_FLOW_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct flow;

struct stream_config {
    size_t max_held_flow;       /* out-of-order bytes held per flow */
    size_t max_held_total;      /* and in total */
};

typedef void (*stream_data_fn)(void *arg, struct flow *f, uint64_t off, const uint8_t *p, size_t n,
                               int64_t ts_us);
typedef void (*stream_gap_fn)(void *arg, struct flow *f, uint64_t off, uint64_t len, int64_t ts_us);

struct stream;

struct stream *stream_new(const struct stream_config *cfg, stream_data_fn data, stream_gap_fn gap, void *arg);
/* Frees what is held for flows never ended, giving nothing on. */
void stream_free(struct stream *s);

/* New bytes of f at off (n may be 0: nothing is given, but f's state is
 * made as for data there). */
void stream_data(struct stream *s, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts_us);
/* The origin of f moved back by n bytes: offsets of held data grow by n. */
void stream_prepend(struct stream *s, struct flow *f, uint64_t n);
/* f is finished: give what is held (gaps first), free f's state. */
void stream_flow_end(struct stream *s, struct flow *f);

#endif
