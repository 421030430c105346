/* tcpflow.h - the run context: owns every module of one run and routes each
 * packet through link layer, IP (and defragmentation), TCP, the flow table,
 * reassembly and the sinks.  No hidden globals: everything hangs off
 * struct tcpflow. */
#ifndef TCPFLOW_TCPFLOW_H
#define TCPFLOW_TCPFLOW_H

#include <stdbool.h>
#include <stdint.h>
#include "capture/capture.h"
#include "util/counters.h"
#include "flow/flowsum.h"
#include "app/options.h"

struct tcpflow;

/* Called for every flow direction when it is finally done (after any late
 * data): for the report.  fs is borrowed for the call. */
typedef void (*tcpflow_flow_done_fn)(void *arg, const struct flow_summary *fs);

struct tcpflow *tcpflow_new(const struct options *o);
void tcpflow_free(struct tcpflow *t);

void tcpflow_set_flow_done(struct tcpflow *t, tcpflow_flow_done_fn fn, void *arg);

struct sink_console;
/* Print streams on the console through c (borrowed; NULL = off). */
void tcpflow_set_console(struct tcpflow *t, struct sink_console *c);

/* Whether packets of the current input may start new flows (-R: false). */
void tcpflow_set_may_start(struct tcpflow *t, bool may);

/* Process one captured record. */
void tcpflow_packet(struct tcpflow *t, const struct capture_pkt *p);

/* Time passes without packets (live capture): expire what is due. */
void tcpflow_tick(struct tcpflow *t, int64_t now_us);

/* End of all input: close every flow (reason end), emit every record. */
void tcpflow_finish(struct tcpflow *t, enum flow_end end);

/* A fatal output error (disk full...), or NULL. */
const char *tcpflow_error(const struct tcpflow *t);
/* Files that could not be written. */
uint64_t tcpflow_write_failures(const struct tcpflow *t);

struct tcpflow_stats {
    uint64_t total_flows;       /* flow objects created */
    uint64_t total_packets;     /* packets accepted into a flow */
    uint64_t open_flows;        /* open now */
    uint64_t max_open_files;
    uint64_t open_fds;
};
void tcpflow_stats(const struct tcpflow *t, struct tcpflow_stats *out);
const struct counters *tcpflow_counters(const struct tcpflow *t);
/* The netviz scanner's numbers (NULL when it is off). */
struct netviz *tcpflow_netviz(struct tcpflow *t);

/* Link types seen that we cannot decode (count of records). */
uint64_t tcpflow_unsupported_records(const struct tcpflow *t);

#endif
