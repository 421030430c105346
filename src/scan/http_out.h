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

struct http_files;                       /* http_files.h */

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

/* Write the body files through f (http_files.h: borrowed, it outlives
 * o), shared with other connections of the same thread: a cap on the
 * files open at once, and maybe a writer thread.  Before the first body.
 * Without it, each http_out writes its own files in the caller. */
void http_out_set_files(struct http_out *o, struct http_files *f);

/* The parser callbacks; their arg is the http_out. */
extern const struct http_conn_cb http_out_cb;

/* The <byte_runs> fragment of direction dir (malloc'd), or NULL when it
 * wrote no body.  Call after the messages of dir are over. */
char *http_out_xml(struct http_out *o, int dir);

/* Body files that could not be written, so far (waits for the files of
 * the bodies that ended). */
unsigned http_out_failures(struct http_out *o);

/* Finishes the body files still being written; NULL is a no-op. */
void http_out_free(struct http_out *o);

#endif
