/* cipher.c - opening TLS records: AEAD (GCM, ChaCha20-Poly1305) and
 * AES-CBC with HMAC, both MAC orders.  libcrypto does all the work. */
#include "scan/tls/cipher.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define TAG_LEN 16

void tls_cipher_release(struct tls_cipher *c)
{
    EVP_CIPHER_CTX_free(c->ctx);
    EVP_MAC_CTX_free(c->mac);
    memset(c, 0, sizeof *c);
}

/* A decryption context for the suite's cipher with key set, IV not yet. */
static EVP_CIPHER_CTX *ctx_new(const struct tls_suite *s, const uint8_t *key)
{
    EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, s->cipher, NULL);
    if (!ci)
        return NULL;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (x && EVP_DecryptInit_ex2(x, ci, key, NULL, NULL) != 1) {
        EVP_CIPHER_CTX_free(x);
        x = NULL;
    }
    EVP_CIPHER_free(ci);
    if (x && s->mode == TLS_MODE_CBC)
        EVP_CIPHER_CTX_set_padding(x, 0);
    return x;
}

int tls_cipher_init13(struct tls_cipher *c, const struct tls_suite *s, const uint8_t *secret)
{
    uint8_t key[TLS_MAX_KEY];
    tls_cipher_release(c);
    if (s->mode == TLS_MODE_CBC || tls13_traffic_keys(s, secret, key, c->iv) < 0)
        return -1;
    c->ctx = ctx_new(s, key);
    if (!c->ctx)
        return -1;
    c->suite = s;
    c->version = 0x0304;
    c->tls13 = true;
    return 0;
}

int tls_cipher_init12(struct tls_cipher *c, const struct tls_suite *s, uint16_t version,
                      const struct tls12_keys *k, bool etm)
{
    tls_cipher_release(c);
    if (s->tls13)
        return -1;
    c->ctx = ctx_new(s, k->key);
    if (!c->ctx)
        return -1;
    if (s->mode == TLS_MODE_CBC) {
        EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
        c->mac = m ? EVP_MAC_CTX_new(m) : NULL;
        EVP_MAC_free(m);
        OSSL_PARAM p[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)s->mac, 0),
            OSSL_PARAM_construct_end(),
        };
        if (!c->mac || EVP_MAC_init(c->mac, k->mac, s->mac_len, p) != 1) {
            tls_cipher_release(c);
            return -1;
        }
    }
    memcpy(c->iv, k->iv, s->iv_len);
    c->suite = s;
    c->version = version;
    c->etm = etm && s->mode == TLS_MODE_CBC;
    return 0;
}

static void seq_nonce(const struct tls_cipher *c, uint8_t nonce[12])
{
    memcpy(nonce, c->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(c->seq >> (56 - 8 * i));
}

static void put_seq(uint8_t *q, uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        q[i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* AEAD: nonce, aad, ciphertext in[0..n) with the tag after it. */
static int aead_open(struct tls_cipher *c, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                     const uint8_t *in, size_t n, uint8_t *out)
{
    int l = 0, l2 = 0;
    if (EVP_DecryptInit_ex2(c->ctx, NULL, NULL, nonce, NULL) != 1 ||
        EVP_DecryptUpdate(c->ctx, NULL, &l, aad, (int)aadlen) != 1 ||
        (n && EVP_DecryptUpdate(c->ctx, out, &l, in, (int)n) != 1) ||
        EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)(in + n)) != 1)
        return TLS_OPEN_CRYPTO;
    return EVP_DecryptFinal_ex(c->ctx, out + l, &l2) == 1 ? TLS_OPEN_OK : TLS_OPEN_TAG;
}

static int open_aead(struct tls_cipher *c, uint8_t type, uint16_t ver, const uint8_t *in, size_t n,
                     uint8_t *out, size_t *outlen, uint8_t *ctype)
{
    uint8_t nonce[12], aad[13];
    size_t aadlen;
    const uint8_t *ct = in;
    size_t clen;
    if (c->tls13) {
        if (n < TAG_LEN + 1)
            return TLS_OPEN_SHORT;
        seq_nonce(c, nonce);
        aad[0] = type; aad[1] = (uint8_t)(ver >> 8); aad[2] = (uint8_t)ver;
        aad[3] = (uint8_t)(n >> 8); aad[4] = (uint8_t)n;
        aadlen = 5;
        clen = n - TAG_LEN;
    } else {
        size_t explicit_len = c->suite->mode == TLS_MODE_GCM ? 8 : 0;
        if (n < explicit_len + TAG_LEN)
            return TLS_OPEN_SHORT;
        if (explicit_len) {
            memcpy(nonce, c->iv, 4);
            memcpy(nonce + 4, in, 8);
        } else {
            seq_nonce(c, nonce);
        }
        ct = in + explicit_len;
        clen = n - explicit_len - TAG_LEN;
        put_seq(aad, c->seq);
        aad[8] = type; aad[9] = (uint8_t)(ver >> 8); aad[10] = (uint8_t)ver;
        aad[11] = (uint8_t)(clen >> 8); aad[12] = (uint8_t)clen;
        aadlen = 13;
    }
    int rc = aead_open(c, nonce, aad, aadlen, ct, clen, out);
    if (rc != TLS_OPEN_OK)
        return rc;
    if (!c->tls13) {
        *outlen = clen;
        *ctype = type;
        return TLS_OPEN_OK;
    }
    while (clen > 0 && out[clen - 1] == 0)      /* TLSInnerPlaintext padding */
        clen--;
    if (clen == 0)
        return TLS_OPEN_EMPTY;
    *ctype = out[clen - 1];
    *outlen = clen - 1;
    return TLS_OPEN_OK;
}

/* HMAC(seq || type || ver || len || p[0..n)) compared with want. */
static int mac_check(struct tls_cipher *c, uint8_t type, uint16_t ver, const uint8_t *p, size_t n,
                     const uint8_t *want)
{
    uint8_t hdr[13], mac[TLS_MAX_MAC];
    size_t ml = 0;
    put_seq(hdr, c->seq);
    hdr[8] = type; hdr[9] = (uint8_t)(ver >> 8); hdr[10] = (uint8_t)ver;
    hdr[11] = (uint8_t)(n >> 8); hdr[12] = (uint8_t)n;
    if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(c->mac, hdr, 13) != 1 ||
        (n && EVP_MAC_update(c->mac, p, n) != 1) || EVP_MAC_final(c->mac, mac, &ml, sizeof mac) != 1)
        return TLS_OPEN_CRYPTO;
    return ml == c->suite->mac_len && memcmp(mac, want, ml) == 0 ? TLS_OPEN_OK : TLS_OPEN_TAG;
}

static int cbc_decrypt(struct tls_cipher *c, const uint8_t *iv, const uint8_t *in, size_t n, uint8_t *out)
{
    int l = 0;
    if (EVP_DecryptInit_ex2(c->ctx, NULL, NULL, iv, NULL) != 1 ||
        EVP_DecryptUpdate(c->ctx, out, &l, in, (int)n) != 1 || (size_t)l != n)
        return TLS_OPEN_CRYPTO;
    return TLS_OPEN_OK;
}

/* The length of the content before the CBC padding of p[0..n), or -1. */
static long unpad(const uint8_t *p, size_t n)
{
    if (n == 0)
        return -1;
    size_t pad = p[n - 1];
    if (pad + 1 > n)
        return -1;
    for (size_t i = n - 1 - pad; i < n; i++)
        if (p[i] != pad)
            return -1;
    return (long)(n - 1 - pad);
}

static int open_cbc(struct tls_cipher *c, uint8_t type, uint16_t ver, const uint8_t *in, size_t n,
                    uint8_t *out, size_t *outlen)
{
    const size_t bs = 16, ml = c->suite->mac_len;
    bool explicit_iv = c->version >= 0x0302;
    uint8_t iv[16];
    const uint8_t *ct = in;
    size_t clen = n;
    if (c->etm) {
        if (n < ml)
            return TLS_OPEN_SHORT;
        clen = n - ml;
        int rc = mac_check(c, type, ver, in, clen, in + clen);
        if (rc != TLS_OPEN_OK)
            return rc;
    }
    if (explicit_iv) {
        if (clen < bs)
            return TLS_OPEN_SHORT;
        memcpy(iv, in, bs);
        ct = in + bs;
        clen -= bs;
    } else {
        memcpy(iv, c->iv, bs);
    }
    if (clen == 0 || clen % bs || (!c->etm && clen < ml + 1))
        return TLS_OPEN_SHORT;
    int rc = cbc_decrypt(c, iv, ct, clen, out);
    if (rc != TLS_OPEN_OK)
        return rc;
    if (!explicit_iv)
        memcpy(c->iv, ct + clen - bs, bs);      /* TLS 1.0: the next record's IV */
    long body = unpad(out, clen);
    if (body < 0)
        return TLS_OPEN_TAG;
    if (c->etm) {
        *outlen = (size_t)body;
        return TLS_OPEN_OK;
    }
    if ((size_t)body < ml)
        return TLS_OPEN_TAG;
    size_t plen = (size_t)body - ml;
    rc = mac_check(c, type, ver, out, plen, out + plen);
    if (rc != TLS_OPEN_OK)
        return rc;
    *outlen = plen;
    return TLS_OPEN_OK;
}

int tls_cipher_open(struct tls_cipher *c, uint8_t type, uint16_t ver, const uint8_t *in, size_t n,
                    uint8_t *out, size_t *outlen, uint8_t *ctype)
{
    int rc;
    if (!c->suite)
        return TLS_OPEN_CRYPTO;
    if (c->suite->mode == TLS_MODE_CBC) {
        rc = open_cbc(c, type, ver, in, n, out, outlen);
        *ctype = type;
    } else {
        rc = open_aead(c, type, ver, in, n, out, outlen, ctype);
    }
    c->seq++;
    return rc;
}
