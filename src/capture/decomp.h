/* decomp.h - a byte stream over a file descriptor or a memory range, with
 * in-process decompression of gzip (concatenated members too), xz, lzma
 * (.lzma "alone" format), bzip2 (several streams too) and zstd, detected by
 * the first bytes whatever the file is called.  Anything else passes
 * through unchanged.  Used under the capture file reader (pcapfile.c).
 */
#ifndef TCPFLOW_DECOMP_H
#define TCPFLOW_DECOMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum decomp_kind {
    DECOMP_NONE = 0,
    DECOMP_GZIP,
    DECOMP_XZ,
    DECOMP_LZMA,
    DECOMP_BZIP2,
    DECOMP_ZSTD,
};

/* Memory a single xz/lzma stream may ask for before it is refused. */
#define DECOMP_LZMA_MEMLIMIT (1024ull * 1024 * 1024)

/* Change that limit for the whole process (the fuzzer lowers it: a huge
 * dictionary is slow to allocate under ASan).  Not thread-safe; call
 * before opening streams. */
void decomp_set_lzma_memlimit(uint64_t bytes);

struct decomp;

/* The compression format whose magic starts p[0..n) (DECOMP_NONE if none;
 * n >= 13 is needed to recognise the magic-less .lzma header). */
enum decomp_kind decomp_detect(const uint8_t *p, size_t n);

/* "gzip", "xz", "lzma", "bzip2", "zstd" or "none". */
const char *decomp_kind_name(enum decomp_kind k);

/* Start a stream over fd (borrowed: never closed here).  Reads up to a few
 * bytes to detect the format.  name (copied) is used in messages.  NULL on
 * failure with a message naming the file in err. */
struct decomp *decomp_open_fd(int fd, const char *name, char *err, size_t errlen);

/* Same over p[0..n) (borrowed: must outlive the stream). */
struct decomp *decomp_open_mem(const uint8_t *p, size_t n, const char *name, char *err,
                               size_t errlen);

/* Read up to n (> 0) decompressed bytes into buf.  Returns the count (> 0),
 * 0 at the end of the data, -1 when the input is unreadable or corrupt
 * (decomp_error() says why, naming the file).  It returns as soon as some
 * bytes are available, so a pipe is served as data arrives.  After 0 or
 * -1 every further call returns the same. */
ssize_t decomp_read(struct decomp *d, uint8_t *buf, size_t n);

/* Message for the last -1, e.g. "x.gz: corrupt gzip data at compressed
 * offset 1234 (invalid distance too far back)". */
const char *decomp_error(const struct decomp *d);

enum decomp_kind decomp_kind(const struct decomp *d);

/* Bytes taken from the underlying file so far (compressed bytes consumed
 * by the decoder for compressed input, bytes delivered otherwise). */
uint64_t decomp_pos(const struct decomp *d);

/* The total number of bytes the stream will deliver when known in advance
 * (an uncompressed memory range), else 0. */
uint64_t decomp_known_size(const struct decomp *d);

/* For an uncompressed memory range not yet read from: the whole range, to
 * be read in place (*n its length); else NULL.  Reading it so replaces
 * decomp_read. */
const uint8_t *decomp_view(const struct decomp *d, size_t *n);

/* Release the stream (the fd stays open).  NULL is a no-op. */
void decomp_free(struct decomp *d);

#endif
