/* sink_console.h - console views of the streams: -c -C -D -g -s -B -0 -J -L
 * (a consumer of the tracker: flow/consumer.h).
 *
 * What is printed is the in-order view of each direction (flow/stream.c:
 * reassembled, without duplicates, bytes after a hole given when it fills,
 * or past a cap or at the flow's end after a gap marker).  Each piece
 * that arrived in one packet is printed as one record, so a capture without
 * retransmissions or reordering prints exactly as tcpflow 1.6.1.  -J
 * writes 1.6.1's JSON objects (payload: an array of byte values) with our
 * fields added.
 */
#ifndef TCPFLOW_SINK_CONSOLE_H
#define TCPFLOW_SINK_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flow/consumer.h"
#include "flow/flow.h"

struct sink_console_config {
    bool header;            /* -c: "<name>: " before each record; -C: none */
    bool hex;               /* -D */
    bool binary;            /* -B: no replacement of non-printables */
    bool strip;             /* -s (the default replacement anyway) */
    bool nonl;              /* -0: no newline after each record */
    bool color;             /* -g */
    bool json;              /* -J: JSON Lines */
    const char *outdir;     /* for the names in headers */
    const char *tmpl;       /* final template */
    int64_t tdelta_us;
    const char *lockname;   /* -L: named POSIX semaphore around each record */
    FILE *out;              /* stdout */
};

struct sink_console;

/* NULL with a message in err when the lock cannot be created. */
struct sink_console *sink_console_new(const struct sink_console_config *cfg, char *err, size_t errlen);
void sink_console_free(struct sink_console *s);

/* The sink as a consumer (FC_STREAM), to register with a tracker. */
struct flow_consumer *sink_console_consumer(struct sink_console *s);

/* Print n in-order bytes of f at stream offset off, from the packet
 * captured at ts_us (records over 16 MiB are split). */
void sink_console_data(struct sink_console *s, struct flow *f, uint64_t off,
                       const uint8_t *p, size_t n, int64_t ts_us);

/* Print the marker of a hole of len bytes at off. */
void sink_console_gap(struct sink_console *s, struct flow *f, uint64_t off, uint64_t len, int64_t ts_us);

/* f is finished: forget its cached name. */
void sink_console_flow_end(struct sink_console *s, struct flow *f);

/* The first write error ("standard output: write failed: No space left on
 * device", or "standard output: the reader went away" for EPIPE), or NULL.
 * After it nothing more is printed; the consumer's error() returns it, so
 * the run stops. */
const char *sink_console_error(const struct sink_console *s);

/* The error was EPIPE: the reader closed the pipe (tcpflow -c | head).  Not
 * a failure of the run: it ends quietly. */
bool sink_console_reader_gone(const struct sink_console *s);

#endif
