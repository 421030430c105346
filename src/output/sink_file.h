/* sink_file.h - one file per flow direction.
 *
 * Bytes arrive at stream offsets; contiguous appends are gathered in a
 * per-flow buffer and written with pwrite, anything else is written at its
 * offset (holes stay sparse zeros).  The file is created at the first
 * flush, under the first name (counter 0, 1, 2, ...) that does not exist yet
 * (O_EXCL, O_NOFOLLOW: never overwrites, never follows a planted symlink).
 * Open descriptors and buffered bytes are capped: the least recently used
 * flow gives its descriptor back and is reopened later, losing nothing.
 */
#ifndef TCPFLOW_SINK_FILE_H
#define TCPFLOW_SINK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
    bool digest;              /* -FM/-e md5: hash each file as it is written */
    int alert_fd;             /* -S tcp_alert_fd: "open<TAB>path" when a file is created (-1: none) */
};

struct sink_file;

struct sink_file *sink_file_new(const struct sink_file_config *cfg, struct counters *c);
/* Flushes and closes everything still open (without setting times). */
void sink_file_free(struct sink_file *s);

/* Store n bytes at stream offset off of flow f (ts_us: packet time, for
 * -I).  Returns 0, or -1 when the run must stop (disk full, I/O error):
 * sink_file_error() says why. */
int sink_file_write(struct sink_file *s, struct flow *f, uint64_t off,
                    const uint8_t *p, size_t n, int64_t ts_us);

/* The stream origin moved back by n bytes: shift the file's contents. */
int sink_file_prepend(struct sink_file *s, struct flow *f, uint64_t n);

/* Flush, set the file's times to the flow's first packet, close the fd.
 * The path is kept (late data may reopen the file). */
int sink_file_close(struct sink_file *s, struct flow *f);

/* -FM: when every byte of f's file was written once, in order, from offset
 * 0 (the common case), its MD5 and SHA-256, computed while writing: true.
 * false when the file must be read back to hash it (data arrived out of
 * order, was rewritten or moved; counted) or hashing is off.  Consumes the
 * state. */
bool sink_file_digest(struct sink_file *s, struct flow *f, uint8_t md5[16], uint8_t sha256[32]);

/* The MD5 and SHA-256 of the flow file at path, read back (the fallback of
 * sink_file_digest; no symlink followed under the output directory).  false
 * if it cannot be read. */
bool sink_file_hash_file(struct sink_file *s, const char *path, uint8_t md5[16], uint8_t sha256[32]);

/* open(2) of path, a name under the output directory od ("" or "."
 * for the current one): every directory between them is opened with
 * O_NOFOLLOW (and made when flags has O_CREAT), so a symlink planted there
 * is never followed; the last component gets flags (add O_NOFOLLOW).
 * Paths outside od, absolute or with "..", are opened as they are. */
int outdir_open(const char *od, const char *path, int flags);

/* Free the flow's sink state (path, buffer); the flow must be closed. */
void sink_file_release(struct sink_file *s, struct flow *f);

/* Fatal error text, or NULL. */
const char *sink_file_error(const struct sink_file *s);
/* Files that could not be created or written (reported once each). */
uint64_t sink_file_failures(const struct sink_file *s);
int sink_file_open_fds(const struct sink_file *s);
int sink_file_max_open(const struct sink_file *s);

/* Default descriptor budget from RLIMIT_NOFILE. */
int sink_file_default_max_fds(void);

#endif
