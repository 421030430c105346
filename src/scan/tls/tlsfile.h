/* tlsfile.h - the plaintext files of the tls scanner: one per decrypted
 * flow direction, made at its first byte, written in order.
 *
 * A file's name is its flow file's name with TLS_PLAIN_SUFFIX.  A name
 * given as exclusive (no flow file to make it unique: -FX, -c) is made
 * with O_EXCL, trying "<base>c1<suffix>", "<base>c2<suffix>", ... after
 * "<base><suffix>", as flow files are; else an existing file is replaced.
 * Files are opened under the output directory without following a
 * symlink (util/outdir.h).
 *
 * Descriptors: at most max_open per set of files stay open, the least
 * recently written is closed first (and reopened to append when its
 * direction writes again); a failed open for want of descriptors closes
 * one and tries again.  A file that cannot be made or written is said
 * once (one line on stderr), counted (C_TLS_FILE_FAILED), and written no
 * more; a full disk also stops the run (tls_files_error).
 */
#ifndef TCPFLOW_SCAN_TLS_TLSFILE_H
#define TCPFLOW_SCAN_TLS_TLSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/list.h"

#define TLS_PLAIN_SUFFIX "-PLAINTEXT"
#define TLS_FILES_MAX_OPEN 128          /* descriptors per set (per scanner instance) */

struct counters;

/* One plaintext file (embedded in the caller's state; zero it first). */
struct tls_file {
    char *base;                 /* the flow file's name; NULL: none given */
    bool exclusive;             /* made with O_EXCL and a counter */
    char *path;                 /* the file made (outdir included), NULL before */
    int fd;                     /* -1 when closed (valid once path is set) */
    bool failed;                /* could not be made or written: nothing more is written */
    uint64_t size;              /* bytes written */
    struct dlnode ln;           /* in the set's list of open files */
};

struct tls_files;

/* A set of files under outdir (copied); counts in ctr (borrowed). */
struct tls_files *tls_files_new(const char *outdir, unsigned max_open, struct counters *ctr);

/* Closes what is open; NULL is fine. */
void tls_files_free(struct tls_files *fs);

/* Gives f the flow file name base (copied) before its first byte; a
 * later call is ignored once the file is made. */
void tls_file_name(struct tls_file *f, const char *base, bool exclusive);

/* Appends p[0..n) to f, making the file at the first byte.  Returns 0, or
 * -1 when f failed (now or before) or has no name. */
int tls_file_write(struct tls_files *fs, struct tls_file *f, const uint8_t *p, size_t n);

/* Closes f's descriptor (f may be written again: it is reopened). */
void tls_file_close(struct tls_files *fs, struct tls_file *f);

/* Closes f and frees its names. */
void tls_file_release(struct tls_files *fs, struct tls_file *f);

/* Why the run must stop (a full disk), or NULL. */
const char *tls_files_error(const struct tls_files *fs);

/* Files that failed so far. */
uint64_t tls_files_failures(const struct tls_files *fs);

#endif
