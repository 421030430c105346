/* handshake.c - handshake message reassembly; ClientHello, ServerHello,
 * EncryptedExtensions and NewSessionTicket parsing. */
#include "scan/tls/handshake.h"

#include <stdlib.h>
#include <string.h>
#include "util/rd.h"
#include "util/xalloc.h"

enum {
    EXT_SERVER_NAME = 0, EXT_ALPN = 16, EXT_ENCRYPT_THEN_MAC = 22, EXT_EXTENDED_MASTER_SECRET = 23,
    EXT_SESSION_TICKET = 35, EXT_PRE_SHARED_KEY = 41, EXT_EARLY_DATA = 42, EXT_SUPPORTED_VERSIONS = 43,
};

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 4.1.3) */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

bool tls_hsbuf_idle(const struct tls_hsbuf *h) { return h->hdr_have == 0; }

void tls_hsbuf_release(struct tls_hsbuf *h)
{
    free(h->buf);
    memset(h, 0, sizeof *h);
}

static bool wanted(uint8_t type)
{
    switch (type) {
    case TLS_HS_CLIENT_HELLO: case TLS_HS_SERVER_HELLO: case TLS_HS_NEW_SESSION_TICKET:
    case TLS_HS_ENCRYPTED_EXTENSIONS: case TLS_HS_KEY_UPDATE:
        return true;
    default:
        return false;
    }
}

int tls_hsbuf_feed(struct tls_hsbuf *h, const uint8_t *p, size_t n, tls_hs_fn fn, void *arg)
{
    while (n > 0) {
        if (h->hdr_have < 4) {
            size_t k = 4 - h->hdr_have;
            if (k > n)
                k = n;
            memcpy(h->hdr + h->hdr_have, p, k);
            h->hdr_have = (uint8_t)(h->hdr_have + k);
            p += k;
            n -= k;
            if (h->hdr_have < 4)
                return 0;
            h->len = ((uint32_t)h->hdr[1] << 16) | ((uint32_t)h->hdr[2] << 8) | h->hdr[3];
            h->got = 0;
            h->keep = wanted(h->hdr[0]) && h->len <= TLS_HS_MAX_KEEP;
            if (h->keep && h->cap < h->len) {
                size_t cap = h->len < 1024 ? 1024 : h->len;
                free(h->buf);
                h->buf = xmalloc(cap);
                h->cap = cap;
            }
        }
        size_t k = h->len - h->got;
        if (k > n)
            k = n;
        if (h->keep && k)
            memcpy(h->buf + h->got, p, k);
        h->got += (uint32_t)k;
        p += k;
        n -= k;
        if (h->got < h->len)
            return 0;
        h->hdr_have = 0;
        int rc = fn(arg, h->hdr[0], h->keep ? h->buf : NULL, h->len);
        if (rc)
            return rc;
    }
    return 0;
}

/* A bounded copy of a name into dst, printable ASCII only. */
static void copy_name(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (s[i] >= 0x21 && s[i] < 0x7f) ? (char)s[i] : '?';
    dst[n] = 0;
}

static void parse_alpn(struct rd *e, struct tls_hello *h)
{
    uint16_t total = rd_be16(e);
    const uint8_t *q = rd_ptr(e, total);
    if (!q || total < 1)
        return;
    size_t len = q[0];
    if (len == 0 || len + 1 > total)
        return;
    copy_name(h->alpn, sizeof h->alpn, q + 1, len);
    h->has_alpn = true;
}

/* Extensions block: for each extension, the client or server view. */
static int parse_exts(struct rd *r, struct tls_hello *h, int who)
{
    if (rd_left(r) == 0)
        return 0;               /* no extensions at all */
    uint16_t total = rd_be16(r);
    const uint8_t *q = rd_ptr(r, total);
    if (!q)
        return -1;
    struct rd x = rd_make(q, total);
    while (rd_left(&x) > 0) {
        uint16_t type = rd_be16(&x);
        uint16_t len = rd_be16(&x);
        const uint8_t *body = rd_ptr(&x, len);
        if (!body)
            return -1;
        struct rd e = rd_make(body, len);
        switch (type) {
        case EXT_SERVER_NAME:
            if (who == 0 && len >= 2) {
                struct rd l = rd_make(body + 2, len - 2);
                while (rd_left(&l) >= 3) {
                    uint8_t nt = rd_u8(&l);
                    uint16_t nl = rd_be16(&l);
                    const uint8_t *name = rd_ptr(&l, nl);
                    if (!name)
                        break;
                    if (nt == 0) {
                        copy_name(h->sni, sizeof h->sni, name, nl);
                        break;
                    }
                }
            }
            break;
        case EXT_ALPN:
            parse_alpn(&e, h);
            break;
        case EXT_ENCRYPT_THEN_MAC: h->etm = true; break;
        case EXT_EXTENDED_MASTER_SECRET: h->ems = true; break;
        case EXT_SESSION_TICKET: h->ticket = who == 0 ? len > 0 : true; break;
        case EXT_PRE_SHARED_KEY: h->psk = true; break;
        case EXT_EARLY_DATA: h->early_data = true; break;
        case EXT_SUPPORTED_VERSIONS:
            if (who == 0) {
                uint8_t vl = rd_u8(&e);
                const uint8_t *v = rd_ptr(&e, vl);
                for (size_t i = 0; v && i + 1 < vl; i += 2)
                    if (ld_be16(v + i) == 0x0304)
                        h->offers_tls13 = true;
            } else if (who == 1 && len == 2) {
                h->version = ld_be16(body);
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

int tls_parse_client_hello(const uint8_t *b, size_t n, struct tls_hello *h)
{
    memset(h, 0, sizeof *h);
    struct rd r = rd_make(b, n);
    h->legacy_version = rd_be16(&r);
    const uint8_t *rnd = rd_ptr(&r, 32);
    uint8_t sl = rd_u8(&r);
    const uint8_t *sid = rd_ptr(&r, sl);
    rd_skip(&r, rd_be16(&r));           /* cipher suites */
    rd_skip(&r, rd_u8(&r));             /* compression methods */
    if (!rd_ok(&r) || sl > 32)
        return -1;
    memcpy(h->random, rnd, 32);
    memcpy(h->sid, sid, sl);
    h->sid_len = sl;
    h->version = h->legacy_version;
    return parse_exts(&r, h, 0);
}

int tls_parse_server_hello(const uint8_t *b, size_t n, struct tls_hello *h)
{
    memset(h, 0, sizeof *h);
    struct rd r = rd_make(b, n);
    h->legacy_version = rd_be16(&r);
    const uint8_t *rnd = rd_ptr(&r, 32);
    uint8_t sl = rd_u8(&r);
    const uint8_t *sid = rd_ptr(&r, sl);
    h->suite = rd_be16(&r);
    rd_skip(&r, 1);                     /* compression method */
    if (!rd_ok(&r) || sl > 32)
        return -1;
    memcpy(h->random, rnd, 32);
    memcpy(h->sid, sid, sl);
    h->sid_len = sl;
    h->version = h->legacy_version;
    h->hrr = memcmp(rnd, hrr_random, 32) == 0;
    return parse_exts(&r, h, 1);
}

int tls_parse_encrypted_extensions(const uint8_t *b, size_t n, struct tls_hello *h)
{
    struct rd r = rd_make(b, n);
    if (n < 2)
        return -1;
    return parse_exts(&r, h, 2);
}

int tls_parse_ticket12(const uint8_t *b, size_t n, const uint8_t **ticket, size_t *len)
{
    struct rd r = rd_make(b, n);
    rd_skip(&r, 4);                     /* ticket_lifetime_hint */
    uint16_t tl = rd_be16(&r);
    const uint8_t *t = rd_ptr(&r, tl);
    if (!t || tl == 0)
        return -1;
    *ticket = t;
    *len = tl;
    return 0;
}

int tls_client_hello_ticket(const uint8_t *b, size_t n, const uint8_t **ticket, size_t *len)
{
    struct rd r = rd_make(b, n);
    rd_skip(&r, 2 + 32);
    rd_skip(&r, rd_u8(&r));
    rd_skip(&r, rd_be16(&r));
    rd_skip(&r, rd_u8(&r));
    uint16_t total = rd_be16(&r);
    const uint8_t *q = rd_ptr(&r, total);
    if (!q)
        return -1;
    struct rd x = rd_make(q, total);
    while (rd_left(&x) > 0) {
        uint16_t type = rd_be16(&x);
        uint16_t l = rd_be16(&x);
        const uint8_t *body = rd_ptr(&x, l);
        if (!body)
            return -1;
        if (type == EXT_SESSION_TICKET && l > 0) {
            *ticket = body;
            *len = l;
            return 0;
        }
    }
    return -1;
}
