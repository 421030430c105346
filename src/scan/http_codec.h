/* http_codec.h - the content decoders of an HTTP body: a chain of layers.
 *
 * A Content-Encoding value names codings in the order they were applied
 * ("gzip, br": gzip first, then brotli); the chain undoes them last first.
 * Known codings: gzip (x-gzip), deflate (zlib or raw, told apart by the
 * first two bytes), br (libbrotlidec), zstd (libzstd, window at most 8 MiB
 * as RFC 9659 asks of HTTP), identity.  Every byte given is hostile: the
 * output of every layer is capped (max_decoded), and once the cap, an error
 * or the end of the coded stream stops the chain, further input is counted
 * and ignored.
 *
 * "Kept as sent": while no decoded byte has come out yet, the chain holds
 * the bytes as sent (up to HTTP_CODEC_HOLD); if the body turns out to be
 * undecodable (an unknown coding, an error, the body ending before the
 * first decoded byte) those bytes, and every later one, are given instead,
 * as sent, and the result says so.  With compat161, as tcpflow 1.6.1: only
 * exactly "gzip" or "deflate" (one layer, case-sensitive) are decoded, with
 * zlib's gzip/zlib detection; anything else passes as sent; an undecodable
 * body gives what inflated before the error, nothing else.
 */
#ifndef TCPFLOW_SCAN_HTTP_CODEC_H
#define TCPFLOW_SCAN_HTTP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_CODEC_LAYERS 4                     /* more layers: undecodable */
#define HTTP_CODEC_HOLD (64 * 1024)             /* bytes held until the first decoded byte */
#define HTTP_CODEC_MAX_DECODED_DEFAULT (256ull << 20)

enum http_coding { HC_IDENTITY, HC_GZIP, HC_DEFLATE, HC_BR, HC_ZSTD, HC_UNKNOWN };

struct http_codec_config {
    uint64_t max_decoded;       /* cap on the output of each layer; 0: the default */
    bool compat161;
};

/* The layers named by a Content-Encoding value v[0..n), in the order they
 * were applied, identity left out, into out[0..max).  Returns how many; -1
 * when a coding is unknown (out[] then holds HC_UNKNOWN there) or there are
 * more than max. */
int http_codings_parse(const char *v, size_t n, enum http_coding *out, int max, bool compat161);

/* Where decoded bytes go (never called with n == 0). */
typedef void (*http_codec_out)(void *arg, const uint8_t *p, size_t n);

struct http_codec_result {
    uint64_t in;                /* bytes given, as sent */
    uint64_t out;               /* bytes handed to out */
    bool as_sent;               /* out got the bytes as sent (not decodable, or no layer) */
    bool error;                 /* a layer failed (corrupt data, unknown coding) */
    bool capped;                /* a layer's output reached max_decoded */
    bool truncated;             /* the body ended inside a coded stream */
    bool trailing;              /* bytes after the end of a coded stream, ignored */
    const char *what;           /* a word on the error ("" none): static text */
};

struct http_codec;

/* A chain for layers[0..n) (n may be 0: bytes pass as sent); unknown > 0:
 * the value named a coding we cannot decode (the body is kept as sent).
 * Never NULL. */
struct http_codec *http_codec_new(const enum http_coding *layers, int n, bool unknown,
                                  const struct http_codec_config *cfg, http_codec_out out, void *arg);

/* Bytes of the body, as sent (de-chunked). */
void http_codec_feed(struct http_codec *c, const uint8_t *p, size_t n);

/* The body is over (whole or cut: a coded stream still open is counted as
 * truncated).  Gives what is still held; fills *r.  Feeding after it is a
 * no-op. */
void http_codec_finish(struct http_codec *c, struct http_codec_result *r);

/* free(NULL)-like. */
void http_codec_free(struct http_codec *c);

#endif
