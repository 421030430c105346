/* sink_console.h - console views of the streams: -c -C -D -g -s -B -0 -J -L.
 *
 * What is printed is the reassembled stream of each direction, in stream
 * order and without duplicates: bytes are printed as soon as they are
 * contiguous with what was printed before; bytes after a hole are held (up
 * to a cap per flow and in total) and printed when the hole fills, or, past
 * the cap or at the flow's end, printed with the gap marked.  Each run of
 * bytes that arrived in one packet is printed as one record, so a capture
 * without retransmissions or reordering prints exactly as tcpflow 1.6.1.
 */
#ifndef TCPFLOW_SINK_CONSOLE_H
#define TCPFLOW_SINK_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flow/flow.h"

struct sink_console_config {
    bool header;            /* -c: "<name>: " before each record; -C: none */
    bool hex;               /* -D */
    bool binary;            /* -B: no replacement of non-printables */
    bool strip;             /* -s (the default replacement anyway) */
    bool nonl;              /* -0: no newline after each record */
    bool color;             /* -g */
    bool json;              /* -J: JSON Lines */
    uint64_t max_bytes;     /* -b: bytes printed per flow; UINT64_MAX = all */
    const char *outdir;     /* for the names in headers */
    const char *tmpl;       /* final template */
    int64_t tdelta_us;
    size_t max_held_flow;   /* out-of-order bytes held per flow */
    size_t max_held_total;  /* and in total */
    const char *lockname;   /* -L: named POSIX semaphore around each record */
    FILE *out;              /* stdout */
};

struct sink_console;

/* NULL with a message in err when the lock cannot be created. */
struct sink_console *sink_console_new(const struct sink_console_config *cfg, char *err, size_t errlen);
/* Prints nothing more; frees held data of flows never ended. */
void sink_console_free(struct sink_console *s);

/* New bytes of flow f at stream offset off (never bytes given before),
 * from the packet captured at ts_us. */
void sink_console_data(struct sink_console *s, struct flow *f, uint64_t off,
                       const uint8_t *p, size_t n, int64_t ts_us);

/* The origin of f moved back by n bytes (data before the first byte seen
 * arrived): offsets of held data grow by n. */
void sink_console_prepend(struct sink_console *s, struct flow *f, uint64_t n);

/* f is finished: print what is held (gaps marked), free f->console. */
void sink_console_flow_end(struct sink_console *s, struct flow *f);

#endif
