/* consumer.h - what the connection tracker tells the consumers of a flow.
 *
 * A consumer is an output sink (flow files, the console, the close hooks)
 * or a scanner.  The tracker calls every consumer registered with it, in
 * the order they were registered, for each event of a flow direction:
 *
 *   data / prepend   bytes placed at their stream offsets, as reassembly
 *                    emits them (new bytes only, in arrival order; each
 *                    consumer keeps what -b lets it: flow_clip()).  For
 *                    consumers with FC_PLACED.
 *   stream / gap     the same bytes within -b, in stream order: bytes after
 *                    a hole are held (up to a cap) until the hole fills, or
 *                    given after a gap event.  For consumers with FC_STREAM.
 *   close            the direction ended (FIN, RST, timeout, end of
 *                    input); late data may follow, and close again.
 *   release          the direction is done for good: add what you know to
 *                    the record (the report's fileobject), free your state.
 *   conn_release     both directions of the connection were released.
 *
 * A consumer keeps its per-flow state in f->slot[c->slot] and its
 * per-connection state in f->conn->slot[c->slot] (the tracker sets c->slot
 * at registration; both start NULL).  Consumers never reach back into the
 * tracker: what they learn of a flow is in struct flow and the events.
 */
#ifndef TCPFLOW_FLOW_CONSUMER_H
#define TCPFLOW_FLOW_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow;
struct conn;
struct flow_summary;
struct flow_consumer;

enum {
    FC_PLACED = 1,      /* data, prepend */
    FC_STREAM = 2,      /* stream, gap */
};

struct flow_consumer_ops {
    unsigned wants;     /* FC_PLACED | FC_STREAM */
    /* n bytes at stream offset off, from the packet captured at ts_us.
     * Returns 0, or -1 when the run must stop (disk full: see error). */
    int (*data)(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts_us);
    /* The stream origin moved back by n bytes (bytes before the first one
     * seen turned up): every offset given so far grows by n. */
    int (*prepend)(struct flow_consumer *c, struct flow *f, uint64_t n);
    /* In-order bytes (n > 0).  off is normally where the previous call
     * ended; it is lower only for late data (after a prepend, a gap already
     * given, or a retransmission under -S tcp_overlap=last): skip what you
     * have seen. */
    void (*stream)(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts_us);
    /* len bytes at off will never be given (a hole in the capture). */
    void (*gap)(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts_us);
    /* again: a re-close after late data reached an already closed flow. */
    void (*close)(struct flow_consumer *c, struct flow *f, bool again);
    /* Add to rec (see flowsum.h: file name, digests, scanner XML). */
    void (*release)(struct flow_consumer *c, struct flow *f, struct flow_summary *rec);
    void (*conn_release)(struct flow_consumer *c, struct conn *cn);
    /* Why the run must stop, or NULL. */
    const char *(*error)(struct flow_consumer *c);
};

/* A registered consumer: its operations, its own pointer, its slot. */
struct flow_consumer {
    const struct flow_consumer_ops *ops;
    void *self;
    unsigned slot;      /* set by the tracker; 0 for a consumer used alone (tests) */
};

#endif
