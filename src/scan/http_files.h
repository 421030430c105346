/* http_files.h - writing HTTP body files: a pool of open files shared by
 * the bodies of one thread's connections, and optionally a writer thread.
 *
 * A body file (struct http_bfile) takes the body's bytes in order, and
 * holes (sparse zeros); it is made under the output directory (no symlink
 * followed; an existing file of that name replaced, as 1.6.1 does) at its
 * first bytes, and its SHA-256 is computed on the way when asked.  Bytes are
 * gathered into chunks.  The pool keeps at most max_open files open: past
 * it the least recently written one is closed, and reopened to append
 * when its body goes on, so concurrent bodies cannot use up the process's
 * descriptors.
 *
 * With a writer thread, chunks are handed to it: the caller copies the
 * bytes and goes on while the thread hashes and writes them (at most
 * HTTP_FILES_INFLIGHT bytes wait; past that the caller waits).  A file's
 * outcome (size, failure, digest) is known once http_bfile_finish returns.
 * Without one, every write happens in the caller's call.
 *
 * The pool and its files belong to one thread (the writer thread is the
 * pool's own); use one pool per scanner instance.
 */
#ifndef TCPFLOW_SCAN_HTTP_FILES_H
#define TCPFLOW_SCAN_HTTP_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_FILES_INFLIGHT (8u << 20)      /* bytes handed to the writer thread, not yet written */

struct http_files;
struct http_bfile;

/* max_open: files open at once at most (0: 1); thread: a writer thread
 * (if it cannot be started, the pool writes in the caller).  Never NULL. */
struct http_files *http_files_new(unsigned max_open, bool thread);

/* Whether a writer thread writes the files. */
bool http_files_threaded(const struct http_files *fs);

/* Waits for the writer thread to write everything handed to it, stops it,
 * frees.  Every file must be finished first.  NULL is a no-op. */
void http_files_free(struct http_files *fs);

/* A body file named path (under outdir, both copied); digest: compute
 * its SHA-256.  Nothing is made until the first byte. */
struct http_bfile *http_bfile_new(struct http_files *fs, const char *outdir, const char *path, bool digest);

/* The next n bytes of the body (copied). */
void http_bfile_write(struct http_bfile *b, const uint8_t *p, size_t n);

/* n bytes of the body were never captured: zeros in their place. */
void http_bfile_hole(struct http_bfile *b, uint64_t n);

struct http_bfile_result {
    bool created;               /* the file was made */
    bool failed;                /* it could not be made or written whole (said on stderr) */
    uint64_t size;              /* bytes in it */
    bool has_digest;
    char sha256[65];            /* lower-case hex, when has_digest */
};

/* The body is over: close the file (threaded: once its bytes are
 * written), fill *r, free b.  Waits for the writer thread when needed. */
void http_bfile_finish(struct http_bfile *b, struct http_bfile_result *r);

/* The body is over; its outcome is wanted later (http_bfile_finish waits
 * for it then).  Lets the caller go on while the writer thread ends it. */
void http_bfile_close(struct http_bfile *b);

/* Is a closed file finished (http_bfile_finish would not wait)? */
bool http_bfile_done(struct http_bfile *b);

#endif
