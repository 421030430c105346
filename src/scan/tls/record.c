/* record.c - TLS record framing across arbitrary segment boundaries. */
#include "scan/tls/record.h"

#include <stdlib.h>
#include <string.h>
#include "util/rd.h"
#include "util/xalloc.h"

void tls_recrd_reset(struct tls_recrd *r) { r->have = 0; }

void tls_recrd_release(struct tls_recrd *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int tls_rec_check_header(const uint8_t h[TLS_REC_HDR])
{
    if (h[0] < TLS_CT_CCS || h[0] > TLS_CT_HEARTBEAT)
        return TLS_REC_BAD_TYPE;
    if (h[1] != 3)
        return TLS_REC_BAD_VERSION;
    if (ld_be16(h + 3) > TLS_REC_MAX)
        return TLS_REC_TOO_LONG;
    return 0;
}

static void fill(struct tls_rec *out, const uint8_t *hdr, const uint8_t *frag)
{
    out->type = hdr[0];
    out->version = ld_be16(hdr + 1);
    out->hdr = hdr;
    out->len = ld_be16(hdr + 3);
    out->frag = frag;
}

int tls_recrd_next(struct tls_recrd *r, const uint8_t **p, size_t *n, struct tls_rec *out)
{
    if (r->have == 0 && *n >= TLS_REC_HDR) {
        /* fast path: the header is in the input */
        int rc = tls_rec_check_header(*p);
        if (rc < 0)
            return rc;
        size_t len = TLS_REC_HDR + ld_be16(*p + 3);
        if (*n >= len) {
            fill(out, *p, *p + TLS_REC_HDR);
            *p += len;
            *n -= len;
            return 1;
        }
    }
    if (r->have < TLS_REC_HDR) {
        size_t k = TLS_REC_HDR - r->have;
        if (k > *n)
            k = *n;
        memcpy(r->hdr + r->have, *p, k);
        if (r->have + k == TLS_REC_HDR) {
            int rc = tls_rec_check_header(r->hdr);
            if (rc < 0)
                return rc;      /* a bad header is refused before it is taken */
        }
        r->have += k;
        *p += k;
        *n -= k;
        if (r->have < TLS_REC_HDR)
            return 0;
    }
    size_t flen = ld_be16(r->hdr + 3);
    if (r->cap < flen) {
        size_t cap = flen < 4096 ? 4096 : flen;
        r->buf = xreallocarray(r->buf, cap, 1);
        r->cap = cap;
    }
    size_t got = r->have - TLS_REC_HDR;
    size_t k = flen - got;
    if (k > *n)
        k = *n;
    if (k)
        memcpy(r->buf + got, *p, k);
    r->have += k;
    *p += k;
    *n -= k;
    if (r->have < TLS_REC_HDR + flen)
        return 0;
    fill(out, r->hdr, r->buf);
    r->have = 0;
    return 1;
}
