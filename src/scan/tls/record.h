/* record.h - TLS record framing over one direction's byte stream, given in
 * segments cut anywhere: a record may span many segments, a segment may
 * hold many records.
 *
 * A record wholly inside the segment is handed out in place (no copy);
 * only a record cut by a segment boundary is gathered in the reader's
 * buffer, allocated then, which never grows past one record (TLS_REC_MAX).
 */
#ifndef TCPFLOW_SCAN_TLS_RECORD_H
#define TCPFLOW_SCAN_TLS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_REC_HDR 5
#define TLS_REC_MAX (16384 + 2048)      /* TLSCiphertext.length limit of TLS 1.2 (1.3: 16384 + 256) */

enum {
    TLS_CT_CCS = 20, TLS_CT_ALERT = 21, TLS_CT_HANDSHAKE = 22, TLS_CT_APPDATA = 23, TLS_CT_HEARTBEAT = 24,
};

struct tls_rec {
    uint8_t type;
    uint16_t version;
    const uint8_t *hdr;         /* the 5 header bytes (borrowed; not always followed by frag) */
    const uint8_t *frag;        /* the fragment (borrowed until the next call) */
    size_t len;
};

/* Why framing stopped. */
enum tls_rec_err {
    TLS_REC_BAD_TYPE = -1,      /* content type not 20..24 */
    TLS_REC_BAD_VERSION = -2,   /* major version not 3 */
    TLS_REC_TOO_LONG = -3,      /* length past TLS_REC_MAX */
};

struct tls_recrd {
    uint8_t hdr[TLS_REC_HDR];   /* the current record's header */
    size_t have;                /* bytes of the current record gathered (header first) */
    uint8_t *buf;               /* its fragment; malloc'd when a record is cut, grows to its length */
    size_t cap;
};

/* Empties the reader (keeps its buffer). */
void tls_recrd_reset(struct tls_recrd *r);

/* Frees the buffer; the reader is empty. */
void tls_recrd_release(struct tls_recrd *r);

/* Bytes held of an incomplete record. */
static inline size_t tls_recrd_held(const struct tls_recrd *r) { return r->have; }

/* The next record from *p (*n bytes), advancing *p and *n past what it
 * took.  Returns 1 with *out set (borrowed: valid until the next call and
 * while the input lives), 0 when the input is used up inside a record (it
 * is held), or a negative enum tls_rec_err (the header is bad: the stream
 * cannot be framed from here; nothing is consumed from a bad header). */
int tls_recrd_next(struct tls_recrd *r, const uint8_t **p, size_t *n, struct tls_rec *out);

/* Checks a record header; 0 or a negative enum tls_rec_err. */
int tls_rec_check_header(const uint8_t h[TLS_REC_HDR]);

#endif
