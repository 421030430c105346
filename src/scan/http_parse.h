/* http_parse.h - an incremental HTTP/1.x parser over both directions of one
 * TCP connection.
 *
 * Direction 0 carries requests (client to server), direction 1 responses.
 * Bytes come in stream order, in pieces of any size, the two directions
 * interleaved in any way: requests frame their responses (a HEAD response
 * has no body, a 2xx to CONNECT and a 101 end HTTP on the connection), so a
 * response whose request has not been parsed yet waits for it (its bytes
 * are held, up to max_hold; past that, or once the client direction
 * ends, it is framed without it, and the next responses do not wait until
 * a request comes again).  Likewise requests after a CONNECT or an
 * Upgrade request wait for that request's response.
 *
 * Framing (RFC 9112): 1xx (but 101), 204, 304 and responses to HEAD have no
 * body; Transfer-Encoding chunked (extensions, trailers) wins over
 * Content-Length; a response with neither runs to the end of its stream; a
 * request with neither has no body; pipelined messages; CR/LF between
 * messages skipped.  A hole in the capture (http_conn_gap) inside a body
 * of known length (or one running to the end of the stream) leaves zeros
 * in the body (cb.hole) or cuts it (a body being decoded), and the parser
 * goes on to the body's end; elsewhere it ends the message in progress and
 * looks for the next start line ("HTTP/1." or a method and a space at the
 * start of a line).  So does a start line or a
 * header it cannot parse.  A header block is capped (max_header).
 *
 * compat161 reproduces tcpflow 1.6.1's parser (http-parser 2.9 in its
 * default mode) for http_scan(): responses only, the first byte it cannot
 * parse stops the direction for good, chunk sizes end with CR and any byte,
 * the two bytes after a chunk's data are not checked, Content-Length with
 * Transfer-Encoding or twice stops, a 101 without Upgrade headers is a 1xx,
 * header values keep their trailing blanks, Content-Encoding is decoded only
 * when exactly "gzip" or "deflate".
 */
#ifndef TCPFLOW_SCAN_HTTP_PARSE_H
#define TCPFLOW_SCAN_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_C2S 0
#define HTTP_S2C 1
#define HTTP_MAX_HEADER_DEFAULT (80 * 1024)     /* as 1.6.1's limit */
#define HTTP_CONN_HOLD (256 * 1024)             /* default: bytes held while a direction waits */
#define HTTP_CONN_PENDING 1024                  /* requests waiting for their response */

struct http_conn_config {
    bool keep_coded;            /* -Z: bodies as sent (de-chunked, not decoded) */
    uint64_t max_decoded;       /* cap on one body's decoded size (0: the codec's default) */
    size_t max_header;          /* one header block (0: HTTP_MAX_HEADER_DEFAULT) */
    size_t max_hold;            /* bytes a waiting direction holds (0: HTTP_CONN_HOLD) */
    bool responses_only;        /* no request direction: responses are framed alone */
    bool compat161;             /* 1.6.1's parser (implies responses_only) */
};

/* One message, as the callbacks see it.  Strings are NUL-terminated (a NUL
 * in the input ends them), never NULL, valid until end() returns. */
struct http_msg {
    int dir;                    /* HTTP_C2S: a request; HTTP_S2C: a response */
    unsigned index;             /* 1, 2, ... on its direction: every message whose header was complete */
    const char *method;         /* the request's (a response: its request's; "" unknown) */
    const char *uri;            /* idem */
    const char *host;           /* idem (the Host header) */
    unsigned request_index;     /* a response: the index of its request (0 unknown) */
    unsigned status;            /* a response: its status; 0 for a request */
    const char *content_type;   /* as sent ("" none) */
    const char *coding;         /* Content-Encoding as sent ("" none; several headers joined with ", ") */
    const char *ext;            /* file extension for content_type ("" none) */
    uint64_t offset;            /* stream offset of the message's first byte */
    int64_t length;             /* Content-Length (-1: none, or overridden by chunked) */
    bool chunked;
    bool has_body;              /* a body may follow */
    uint64_t body_offset;       /* stream offset of the first body byte as sent (UINT64_MAX: none yet) */
};

struct http_msg_end {
    uint64_t sent;              /* body bytes as sent (de-chunked), holes not counted */
    uint64_t out;               /* bytes given to body() (and hole()) */
    bool complete;              /* the body's framed end was reached (or the stream ended a close-delimited one), no hole */
    bool gap;                   /* a hole in the capture: zeros in its place (hole()), or the rest cut */
    bool as_sent;               /* body() had the bytes as sent (no coding, -Z, or undecodable) */
    bool decode_error;          /* a coding could not be decoded */
    bool capped;                /* the decoded size reached max_decoded: the rest was dropped */
    bool truncated;             /* the body ended inside a coded stream */
    const char *decode_what;    /* why it could not be decoded ("" none) */
};

struct http_conn_cb {
    /* A message's header is complete. */
    void (*begin)(void *arg, const struct http_msg *m);
    /* Body bytes, decoded unless keep_coded or undecodable; n > 0. */
    void (*body)(void *arg, const struct http_msg *m, const uint8_t *p, size_t n);
    /* The message is over (every begun message ends, at the latest in
     * http_conn_end or http_conn_free). */
    void (*end)(void *arg, const struct http_msg *m, const struct http_msg_end *e);
    /* Optional: n bytes of the body, as sent, were lost in a hole of the
     * capture: the caller puts n zeros in their place (as the flow file
     * does) and the body goes on.  Only for a body given as sent (no
     * Content-Encoding, or keep_coded); without it (NULL), or for a body
     * being decoded, the rest of the body after a hole is dropped. */
    void (*hole)(void *arg, const struct http_msg *m, uint64_t n);
};

/* What the parser met, for the counters. */
struct http_conn_stats {
    uint64_t messages[2];       /* headers complete, per direction */
    uint64_t resyncs;           /* start lines looked for after an unparsable byte or a hole */
    uint64_t header_too_long;
    uint64_t gaps;              /* holes reported */
    uint64_t unpaired;          /* responses framed without their request */
    uint64_t capped;            /* bodies cut at max_decoded */
    uint64_t decode_errors;
    uint64_t skipped;           /* bytes not parsed (tunnels, after a stop, while looking for a start line) */
};

struct http_conn;

/* A parser for one connection; cfg and cb are copied.  Never NULL. */
struct http_conn *http_conn_new(const struct http_conn_config *cfg, const struct http_conn_cb *cb, void *arg);

/* The next n bytes of direction dir (0 or 1). */
void http_conn_data(struct http_conn *c, int dir, const uint8_t *p, size_t n);

/* n bytes of direction dir will never come (a hole in the capture). */
void http_conn_gap(struct http_conn *c, int dir, uint64_t n);

/* Direction dir ended: a body without length ends here (complete), any
 * other message in progress ends cut.  Data after it is ignored. */
void http_conn_end(struct http_conn *c, int dir);

/* Is direction dir waiting for the other (its bytes held: a response whose
 * request has not come, requests after CONNECT or Upgrade)?  A reader that
 * can choose what to feed next (flow files, not a live capture) feeds the
 * other direction first; holding is capped, so this is never required. */
bool http_conn_waiting(const struct http_conn *c, int dir);

/* Bytes held now, both directions, while they wait. */
size_t http_conn_held(const struct http_conn *c);

/* Stop waiting on direction dir now: what it holds is parsed without the
 * other direction (a response framed without its request: unpaired).  A
 * later message may wait again.  For a caller that caps what all its
 * connections hold together. */
void http_conn_unwait(struct http_conn *c, int dir);

/* Counts so far. */
const struct http_conn_stats *http_conn_stats(const struct http_conn *c);

/* Ends both directions (as http_conn_end) and frees; NULL is a no-op. */
void http_conn_free(struct http_conn *c);

#endif
