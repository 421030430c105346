/* sink_file.h - one file per flow direction (a consumer of the tracker:
 * flow/consumer.h).
 *
 * Bytes arrive at stream offsets; contiguous appends are gathered in a
 * per-flow buffer and written with pwrite, anything else is written at its
 * offset (holes stay sparse zeros).  The file is created at the flow's
 * first byte, under the first name (counter 0, 1, 2, ...) that does not
 * exist yet (O_EXCL, O_NOFOLLOW: never overwrites, never follows a planted
 * symlink).  Open descriptors and buffered bytes are capped: the least
 * recently used flow gives its descriptor back and is reopened later,
 * losing nothing.  -I keeps a <file>.findx index; -S tcp_alert_fd and
 * tcp_cmd are told of each file created and finished.
 */
#ifndef TCPFLOW_OUTPUT_SINK_FILE_H
#define TCPFLOW_OUTPUT_SINK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/consumer.h"
#include "flow/flow.h"
#include "util/counters.h"

struct sink_file_config {
    const char *outdir;       /* "" or "." = current directory */
    const char *tmpl;         /* final template (naming_finalize applied) */
    uint64_t max_bytes;       /* -b; UINT64_MAX = no limit */
    int max_fds;              /* flow files open at once (>= 1) */
    size_t max_buffered;      /* bytes held in write buffers, all flows */
    int64_t tdelta_us;
    bool findx;               /* -I: <file>.findx index lines */
    int alert_fd;             /* -S tcp_alert_fd: "open<TAB>path" / "close<TAB>path" (-1: none) */
    const char *cmd;          /* -S tcp_cmd, run on each finished file (NULL or "": none) */
};

struct sink_file;

struct sink_file *sink_file_new(const struct sink_file_config *cfg);
/* Flushes and closes everything still open (without setting times). */
void sink_file_free(struct sink_file *s);

/* The sink as a consumer, to register with a tracker. */
struct flow_consumer *sink_file_consumer(struct sink_file *s);

/* Store n bytes at stream offset off of flow f (ts_us: packet time, for
 * -I), what -b lets.  Returns 0, or -1 when the
 * run must stop (disk full, I/O error): sink_file_error() says why. */
int sink_file_write(struct sink_file *s, struct flow *f, uint64_t off,
                    const uint8_t *p, size_t n, int64_t ts_us);

/* The stream origin moved back by n bytes: shift the file's contents. */
int sink_file_prepend(struct sink_file *s, struct flow *f, uint64_t n);

/* Flush, set the file's times to the flow's first packet, close the fd.
 * The path is kept (late data may reopen the file). */
int sink_file_close(struct sink_file *s, struct flow *f);

/* The flow is done: its file name (handed over, owned by rec), size and
 * state go to rec; the flow's sink state is freed. */
void sink_file_release(struct sink_file *s, struct flow *f, struct flow_summary *rec);

/* The flow's file: its path (NULL until created), connection counter,
 * bytes stored, whether it failed, its descriptor (-1 when closed). */
const char *sink_file_path(const struct sink_file *s, const struct flow *f);
uint32_t sink_file_counter(const struct sink_file *s, const struct flow *f);
uint64_t sink_file_stored(const struct sink_file *s, const struct flow *f);
bool sink_file_failed(const struct sink_file *s, const struct flow *f);
int sink_file_fd(const struct sink_file *s, const struct flow *f);

/* Fatal error text, or NULL. */
const char *sink_file_error(const struct sink_file *s);
/* Files that could not be created or written (reported once each). */
uint64_t sink_file_failures(const struct sink_file *s);
int sink_file_open_fds(const struct sink_file *s);
int sink_file_max_open(const struct sink_file *s);
const struct counters *sink_file_counters(const struct sink_file *s);

/* Default descriptor budget from RLIMIT_NOFILE. */
int sink_file_default_max_fds(void);

#endif
