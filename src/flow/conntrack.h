/* conntrack.h - the connection tracker: TCP segments in, flow events out.
 *
 * For each segment: find (or start) its flow direction, run the TCP state
 * machine (SYN, FIN, RST, new connections on a reused 4-tuple, splits by
 * -m), place its bytes through reassembly (reasm.c; keep-alives ignored,
 * the stream origin moved back when earlier bytes turn up), apply -b, and
 * tell the consumers (consumer.h): placed bytes, in-order bytes (through
 * stream.c), close, release.  Open flows sit in an idle list ordered by
 * last activity (timeouts and the flow cap take from its head in O(1));
 * closed flows linger in a FIFO for late retransmissions and are released
 * (their report record made) when they leave it.
 *
 * A tracker owns its flows, ids and counters and nothing global, so
 * several can run side by side.  See docs/internals/conntrack.md.
 */
#ifndef TCPFLOW_FLOW_CONNTRACK_H
#define TCPFLOW_FLOW_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/consumer.h"
#include "flow/flow.h"
#include "flow/flowsum.h"
#include "util/counters.h"

struct decoded;

struct conntrack_config {
    uint64_t max_seek;          /* -m: a jump larger than this starts a new flow */
    uint64_t max_bytes;         /* -b: bytes kept per direction (UINT64_MAX: all) */
    int64_t tcp_timeout_us;     /* idle flows closed after this (0: never) */
    uint64_t closed_linger_us;  /* closed flows remembered this long */
    uint64_t max_closed;        /* and at most this many */
    uint64_t max_flows;         /* open flows at most (0: no limit) */
    bool overlap_last;          /* -S tcp_overlap=last: newer bytes win */
    int64_t tdelta_us;          /* added to the record's times */
    size_t max_held_flow;       /* the in-order view's caps (stream.h) */
    size_t max_held_total;
};

/* Called for every flow direction when it is released (after any late
 * data), with its record: for the report.  rec is borrowed for the call. */
typedef void (*conntrack_done_fn)(void *arg, const struct flow_summary *rec);

struct conntrack;

struct conntrack *conntrack_new(const struct conntrack_config *cfg);
/* Releases every flow still held (reason end of input), then frees. */
void conntrack_free(struct conntrack *ct);

/* Register a consumer (borrowed; it must outlive the tracker): c->slot is
 * set.  Consumers are told in registration order.  Returns false when
 * FLOW_SLOTS are taken. */
bool conntrack_add_consumer(struct conntrack *ct, struct flow_consumer *c);

void conntrack_set_done(struct conntrack *ct, conntrack_done_fn fn, void *arg);

/* Whether segments may start new flows (-R inputs: false). */
void conntrack_set_may_start(struct conntrack *ct, bool may);

/* One TCP segment (the decode stage's output). */
void conntrack_packet(struct conntrack *ct, const struct decoded *d);

/* Time passes (a packet's time, or the clock during live capture): expire
 * idle and lingering flows that are due. */
void conntrack_expire(struct conntrack *ct, int64_t now_us);

/* End of input: close every open flow (reason end), release every flow. */
void conntrack_finish(struct conntrack *ct, enum flow_end end);

/* Why the run must stop (a consumer's fatal error: disk full), or NULL. */
const char *conntrack_error(const struct conntrack *ct);

struct conntrack_stats {
    uint64_t total_flows;       /* flow directions created */
    uint64_t total_packets;     /* packets accepted into a flow */
    uint64_t open_flows;        /* open now */
};
void conntrack_stats(const struct conntrack *ct, struct conntrack_stats *out);
const struct counters *conntrack_counters(const struct conntrack *ct);

#endif
