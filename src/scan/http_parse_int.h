/* http_parse_int.h - inside the two-direction HTTP parser: its state, and
 * what its two files share.  http_parse.c: a message's life and the byte
 * loop of one direction; http_conn.c: the API, holding a direction that
 * waits for the other, holes and ends.  Not for other modules. */
#ifndef TCPFLOW_SCAN_HTTP_PARSE_INT_H
#define TCPFLOW_SCAN_HTTP_PARSE_INT_H

#include "scan/http_codec.h"
#include "scan/http_head.h"
#include "scan/http_parse.h"

enum st {
    S_IDLE,         /* between messages: CR/LF skipped */
    S_HEAD,         /* a header block: in buf */
    S_HELD,         /* a response header waiting for its request; or requests waiting (paused) */
    S_LEN,          /* body of known length: remain */
    S_CSIZE,        /* a chunk-size line: in buf */
    S_CDATA,        /* chunk data: remain */
    S_CEND,         /* the CRLF after chunk data: remain bytes (compat: 2, unchecked) */
    S_TRAILER,      /* trailer lines: in buf */
    S_EOF,          /* body to the end of the stream */
    S_RESYNC,       /* looking for a start line */
    S_TUNNEL,       /* not HTTP any more */
    S_STOP,         /* compat: gave up */
    S_ENDED,
};

struct req {
    char *method, *uri, *host;
    unsigned index;
    bool head, connect, upgrade;
};

struct dir {
    struct http_conn *c;
    int id;
    enum st st;
    uint64_t off;                        /* stream offset of the next byte */
    uint8_t *buf;                        /* header block / line */
    size_t len, cap;
    size_t ls;                           /* where the current line starts in buf */
    uint64_t msg_off;
    bool line_start;                     /* S_RESYNC: at the start of a line */
    bool cr;                             /* compat S_CSIZE: the CR was seen */
    /* the message in progress */
    bool in_msg, cut, tunnel_after;
    struct http_head h;
    struct http_msg m;
    struct http_msg_end e;
    char *strs;
    struct req *req;                     /* a response's request */
    struct http_codec *codec;
    uint64_t remain;
    /* waiting */
    bool paused;                         /* bytes go to held */
    uint8_t *held;
    size_t nheld, heldcap;
    unsigned wait_for;                   /* requests paused until the response to this request */
    unsigned count;
};

struct http_conn {
    struct http_conn_config cfg;
    struct http_conn_cb cb;
    void *arg;
    struct dir d[2];
    struct req **q;                      /* requests waiting for their response: a ring of qcap */
    unsigned qh, qn, qcap;               /* (grows to HTTP_CONN_PENDING) */
    struct http_conn_stats st;
    bool busy;                           /* inside a call: pump() only at the top */
    bool nowait;                         /* a response was framed without its request (the wait was
                                            given up): later ones do not wait until a request comes */
};

/* ---- http_parse.c ---- */

bool hp_compat(const struct dir *d);
void hp_buf_reset(struct dir *d);
void hp_req_free(struct req *r);
void hp_q_push(struct http_conn *c, struct req *r);
void hp_q_clear(struct http_conn *c);
/* n bytes of the body lost in a hole: zeros (cb.hole) or the rest cut. */
void hp_body_hole(struct dir *d, uint64_t n);
/* The message in progress ends (its end callback). */
void hp_end_msg(struct dir *d, bool complete);
/* Look for the next start line (compat: stop for good). */
void hp_to_resync(struct dir *d);
/* A message is over: what the connection does next. */
void hp_msg_done(struct dir *d, bool complete);
/* The response waiting in S_HELD goes on: its request came, or will not. */
void hp_unhold(struct dir *d);
/* One state's worth of bytes; returns how many were taken. */
size_t hp_step(struct dir *d, const uint8_t *p, size_t n);

/* ---- http_conn.c ---- */

/* The next n bytes of d, held while it waits. */
void hp_dir_feed(struct dir *d, const uint8_t *p, size_t n);

#endif
