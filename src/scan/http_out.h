/* http_out.h - body files and report XML for the messages of one HTTP
 * connection: the callbacks of http_parse.h made into files.
 *
 * A response body goes to <response flow file>-HTTPBODY-<nnn>[.ext] (1.6.1's
 * name; nnn counts the responses of the connection, bodiless ones too), a
 * request body to <request flow file>-HTTPREQBODY-<nnn>[.ext] (nnn counts
 * the requests).  Files are made at the first body byte (an empty body
 * makes none), under the output directory without following a symlink.
 * Each direction gets a "<byte_runs>" fragment for its fileobject, one
 * <byte_run> per body file (see docs/internals/http.md for the format).
 */
#ifndef TCPFLOW_SCAN_HTTP_OUT_H
#define TCPFLOW_SCAN_HTTP_OUT_H

#include <stdbool.h>
#include "scan/http_parse.h"

struct counters;

/* A cap on the body files open at once, shared by the http_outs of one
 * thread (a scanner instance): past it, the least recently written one
 * is closed and reopened to append when its body goes on.  Not
 * thread-safe. */
struct http_files;

/* max_open: files open at once at most (0: 1).  Never NULL. */
struct http_files *http_files_new(unsigned max_open);

/* Free it after every http_out that uses it; NULL is a no-op. */
void http_files_free(struct http_files *f);

struct http_out_config {
    const char *outdir;         /* the output directory */
    const char *path[2];        /* flow file names, as written: [HTTP_C2S] requests, [HTTP_S2C]
                                 * responses; NULL: that direction's bodies are not written */
    int alert_fd;               /* -S http_alert_fd (-1: none) */
    const char *cmd;            /* -S http_cmd (NULL or "": none) */
    bool digest;                /* a SHA-256 <hashdigest> per body file */
};

struct http_out;

/* Strings of cfg are copied.  Never NULL. */
struct http_out *http_out_new(const struct http_out_config *cfg, struct counters *ctr);

/* Name (or rename) the flow file of direction dir, for the bodies that
 * begin after this call (a flow's name may be known only at its first
 * byte); NULL: that direction's bodies are not written. */
void http_out_set_path(struct http_out *o, int dir, const char *path);

/* Share the pool of open body files f (borrowed; it outlives o); before
 * the first body.  Without one, a body's file stays open until its end. */
void http_out_set_files(struct http_out *o, struct http_files *f);

/* The parser callbacks; their arg is the http_out. */
extern const struct http_conn_cb http_out_cb;

/* The <byte_runs> fragment of direction dir (malloc'd), or NULL when it
 * wrote no body.  Call after the messages of dir are over. */
char *http_out_xml(struct http_out *o, int dir);

/* Body files that could not be written, so far. */
unsigned http_out_failures(const struct http_out *o);

/* Closes a body file still open; NULL is a no-op. */
void http_out_free(struct http_out *o);

#endif
