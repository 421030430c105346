/* http.h - what the http scanner (http.c) shares with the HTTP engine and
 * its tests: the Content-Type -> extension table, and tcpflow 1.6.1's
 * response parser over a buffer (http_compat.c).
 *
 * http_scan parses a buffer as a sequence of HTTP/1.x responses
 * (keep-alive, pipelined) exactly as 1.6.1 does (the compat161 mode of the
 * connection parser, http_parse.h): each response n (counted from 1,
 * bodiless ones too) reports its body de-chunked and, when asked, inflated
 * (Content-Encoding exactly gzip or deflate).  The -e http scanner itself
 * streams both directions through http_parse.h and http_out.h; this parser
 * is kept as the reference of 1.6.1's behaviour for the tests and the fuzz
 * harness.  See docs/internals/http.md.
 *
 * Every length in the input is hostile: the parser reads the buffer it is
 * given and nothing else, and stops at the first byte it cannot parse.
 */
#ifndef TCPFLOW_SCAN_HTTP_H
#define TCPFLOW_SCAN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MIN_STREAM 80               /* 1.6.1 scans flow files of 80 bytes and more */

/* What the parser reports, response by response. */
struct http_cb {
    void *arg;
    /* Response n's header is complete.  ext: extension for its Content-Type
     * ("" when none); has_body: a body may follow. */
    void (*begin)(void *arg, unsigned n, const char *ext, bool has_body);
    /* Body bytes (de-chunked, inflated); off: where the body's first byte is
     * in the buffer (the same on every call of one response). */
    void (*data)(void *arg, uint64_t off, const uint8_t *p, size_t len);
    /* Response n is over (its body complete, cut by the end of the buffer,
     * or undecodable). */
    void (*end)(void *arg);
};

/* Is a stream of n bytes that begins with head (its first 7 bytes at
 * least, when n >= 80) one 1.6.1 scans ("HTTP/1." and 80 bytes at least)? */
bool http_is_response_stream(const uint8_t *head, size_t n);

/* Parse the responses in buf[0..n) as 1.6.1 does; gunzip: inflate
 * gzip/deflate bodies.  Returns the number of responses whose header was
 * complete. */
unsigned http_scan(const uint8_t *buf, size_t n, bool gunzip, const struct http_cb *cb);

/* The extension for a Content-Type value (parameters, case and spaces
 * ignored); "" when the type is unknown. */
const char *http_mime_ext(const char *value, size_t len);

#endif
