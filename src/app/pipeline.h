/* pipeline.h - the stages of one run, assembled from the options.
 *
 * A captured record goes: decode (decode/decode.h: link, IP, fragments,
 * TCP) -> either -K (output/kpcap.h: the record into its direction's pcap
 * file) or the connection tracker (flow/conntrack.h), whose consumers are
 * the flow files (output/sink_file.h), the console (output/sink_console.h),
 * the close hooks (output/hooks.h) and the scanners (scan/scanner.h).
 * Records that reach IP but carry no usable TCP go to -w.  Only this
 * module (and main) read struct options: each stage gets a config struct
 * built here.
 */
#ifndef TCPFLOW_APP_PIPELINE_H
#define TCPFLOW_APP_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app/options.h"
#include "capture/capture.h"
#include "flow/conntrack.h"
#include "util/counters.h"

struct pipeline;

/* NULL with a message in err when a stage cannot start (the -L lock, a
 * scanner's settings). */
struct pipeline *pipeline_new(const struct options *o, char *err, size_t errlen);
/* Finishes (end of input) if not done, frees everything. */
void pipeline_free(struct pipeline *p);

/* Every released flow's record goes to fn (the report). */
void pipeline_set_done(struct pipeline *p, conntrack_done_fn fn, void *arg);

/* Whether records of the current input may start new flows (-R: false). */
void pipeline_set_may_start(struct pipeline *p, bool may);

/* One captured record. */
void pipeline_packet(struct pipeline *p, const struct capture_pkt *cp);

/* Bytes of the current input in [lo, hi) stay valid until the next call
 * (a mapped file): the workers may read them there instead of a copy.
 * Call with (NULL, NULL) before the input goes away. */
void pipeline_set_stable(struct pipeline *p, const uint8_t *lo, const uint8_t *hi);

/* -j: wait until the workers have handled everything sent so far. */
void pipeline_drain(struct pipeline *p);

/* The lowest byte of that range the workers still need, or NULL. */
const uint8_t *pipeline_stable_low(struct pipeline *p);
/* Do workers take the flows (-j)?  Then inputs are best mapped. */
bool pipeline_threaded(const struct pipeline *p);

/* Time passes without records (live capture): expire what is due. */
void pipeline_tick(struct pipeline *p, int64_t now_us);

/* End of all input: close every flow (reason end), release every record,
 * wait for commands, give up fragments, close -w. */
void pipeline_finish(struct pipeline *p, enum flow_end end);

/* The scanners' end of run (report.pdf, ...): 0, or -1 after saying why.
 * *summary_xml: their fragments for the report's <summary> (malloc'd, or
 * NULL). */
int pipeline_scanners_finish(struct pipeline *p, const char *input, char **summary_xml);

/* A fatal output error (disk full...), or NULL. */
const char *pipeline_error(const struct pipeline *p);
/* The error is the console's reader going away (EPIPE: tcpflow -c | head):
 * the run stops, quietly and successfully. */
bool pipeline_reader_gone(const struct pipeline *p);
/* Files that could not be written. */
uint64_t pipeline_write_failures(const struct pipeline *p);
/* Records of a link type we cannot decode. */
uint64_t pipeline_unsupported(const struct pipeline *p);

struct pipeline_stats {
    uint64_t total_flows;       /* flow objects created */
    uint64_t total_packets;     /* packets accepted into a flow */
    uint64_t open_flows;        /* open now */
    uint64_t max_open_files;
    uint64_t open_fds;
};
void pipeline_stats(const struct pipeline *p, struct pipeline_stats *out);
/* The instance of the scanner called name (the reader's, or the first
 * worker's), or NULL when it does not run: for tests. */
void *pipeline_scanner(const struct pipeline *p, const char *name);

/* Every stage's counters, summed into *out. */
void pipeline_counters(const struct pipeline *p, struct counters *out);

#endif
