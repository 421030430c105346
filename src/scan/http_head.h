/* http_head.h - an HTTP/1.x header block, read for the connection parser
 * (http_parse.c): the start line and the headers that frame a message.
 * Every function reads the n bytes it is given and nothing else. */
#ifndef TCPFLOW_SCAN_HTTP_HEAD_H
#define TCPFLOW_SCAN_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a header block says. */
struct http_head {
    unsigned status;                     /* response */
    const uint8_t *method, *uri;         /* request */
    size_t method_n, uri_n;
    int64_t clen;
    bool te, chunked, bad;
    bool upgrade, conn_upgrade;
    const uint8_t *ctype, *host;
    size_t ctype_n, host_n;
    char coding[256];
    size_t coding_n;
    bool coding_long;
};

/* "HTTP/" DIGIT "." DIGIT SP+ 1*3DIGIT (SP | end): as http-parser 2.9
 * reads it (a two-digit status is accepted, a two-digit version is not). */
bool http_status_line(const uint8_t *p, size_t n, unsigned *status);

/* method SP request-target SP "HTTP/" DIGIT "." DIGIT; fills h's method
 * and uri (pointers into p). */
bool http_request_line(const uint8_t *p, size_t n, struct http_head *h);

/* A whole header block b[0..n) (lines end with LF, a CR before it
 * dropped; it ends at the first empty line); false when the message
 * cannot be framed: a bad start line, a bad or conflicting Content-Length,
 * a request with a Transfer-Encoding other than chunked; with compat
 * (1.6.1): also any unreadable header line, and Content-Length with
 * Transfer-Encoding.  Pointers in h point into b. */
bool http_head_parse(const uint8_t *b, size_t n, bool response, bool compat, struct http_head *h);

#endif
