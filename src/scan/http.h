/* scan_http.h - the http scanner (-e http, -a): response bodies out of
 * server->client flow files.
 *
 * A flow file that starts with "HTTP/1." and holds at least 80 bytes is
 * parsed as a sequence of HTTP/1.x responses (keep-alive, pipelined).  Each
 * response n (counted from 1, bodiless ones too) with a non-empty body gives
 * <flowfile>-HTTPBODY-<nnn>[.ext]: de-chunked, inflated when the response
 * says Content-Encoding gzip or deflate (unless -Z), the extension from its
 * Content-Type.  The flow's report fileobject gets a <byte_runs> element
 * listing the bodies.  See docs/internals/http.md.
 *
 * Every length in the input is hostile: the parser reads the buffer it is
 * given and nothing else, and stops at the first byte it cannot parse.
 */
#ifndef TCPFLOW_SCAN_HTTP_H
#define TCPFLOW_SCAN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * least, when n >= 80) one the scanner parses? */
bool http_is_response_stream(const uint8_t *head, size_t n);

/* Parse the responses in buf[0..n); gunzip: inflate gzip/deflate bodies.
 * Returns the number of responses whose header was complete. */
unsigned http_scan(const uint8_t *buf, size_t n, bool gunzip, const struct http_cb *cb);

/* The extension for a Content-Type value (parameters, case and spaces
 * ignored); "" when the type is unknown. */
const char *http_mime_ext(const char *value, size_t len);

/* ---- on flow files ---- */

struct counters;

struct http_scan_config {
    bool gunzip;              /* not -Z */
    int alert_fd;             /* -S http_alert_fd (-1: none) */
    const char *cmd;          /* -S http_cmd (NULL or "": none) */
};

/* Scan the flow file at path, under the output directory outdir (no
 * symlink followed there; body files likewise).  Returns NULL when the file is not an HTTP
 * response stream, else a malloc'd XML fragment "<byte_runs>...</byte_runs>"
 * for the flow's fileobject.  Body files that cannot be written are counted
 * and reported. */
char *http_scan_flow_file(const char *outdir, const char *path,
                          const struct http_scan_config *cfg, struct counters *c);

#endif
