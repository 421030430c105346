/* keys.c - cipher suite table, TLS 1.3 HKDF-Expand-Label, TLS 1.2 key block. */
#include "scan/tls/keys.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#define GCM(id, name, klen, prf, hl) { id, name, TLS_MODE_GCM, klen == 16 ? "AES-128-GCM" : "AES-256-GCM", klen, 4, NULL, 0, prf, hl, 0 }
#define CHA(id, name) { id, name, TLS_MODE_CHACHA, "ChaCha20-Poly1305", 32, 12, NULL, 0, "SHA256", 32, 0 }
#define CBC(id, name, klen, mac, mlen, prf, hl) { id, name, TLS_MODE_CBC, klen == 16 ? "AES-128-CBC" : "AES-256-CBC", klen, 16, mac, mlen, prf, hl, 0 }

static const struct tls_suite suites[] = {
    /* TLS 1.3 */
    { 0x1301, "TLS_AES_128_GCM_SHA256", TLS_MODE_GCM, "AES-128-GCM", 16, 12, NULL, 0, "SHA256", 32, 1 },
    { 0x1302, "TLS_AES_256_GCM_SHA384", TLS_MODE_GCM, "AES-256-GCM", 32, 12, NULL, 0, "SHA384", 48, 1 },
    { 0x1303, "TLS_CHACHA20_POLY1305_SHA256", TLS_MODE_CHACHA, "ChaCha20-Poly1305", 32, 12, NULL, 0, "SHA256", 32, 1 },
    /* TLS 1.2 AES-GCM */
    GCM(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM(0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM(0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM(0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM(0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    /* TLS 1.2 ChaCha20-Poly1305 (RFC 7905) */
    CHA(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    CHA(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    CHA(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    /* AES-CBC with HMAC-SHA1 */
    CBC(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    CBC(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    CBC(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    CBC(0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    CBC(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    CBC(0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    CBC(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, "SHA1", 20, "SHA256", 32),
    CBC(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, "SHA1", 20, "SHA256", 32),
    /* AES-CBC with HMAC-SHA256 / SHA384 */
    CBC(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, "SHA256", 32, "SHA256", 32),
    CBC(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", 32, "SHA256", 32, "SHA256", 32),
    CBC(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, "SHA256", 32, "SHA256", 32),
    CBC(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, "SHA384", 48, "SHA384", 48),
    CBC(0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", 32, "SHA384", 48, "SHA384", 48),
    CBC(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, "SHA384", 48, "SHA384", 48),
    CBC(0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", 16, "SHA256", 32, "SHA256", 32),
    CBC(0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", 32, "SHA384", 48, "SHA384", 48),
};

const struct tls_suite *tls_suite_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == id)
            return &suites[i];
    return NULL;
}

/* One EVP_KDF derivation with the given parameters. */
static int kdf(const char *name, OSSL_PARAM *params, uint8_t *out, size_t outlen)
{
    EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
    if (!k)
        return -1;
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(k);
    EVP_KDF_free(k);
    if (!c)
        return -1;
    int rc = EVP_KDF_derive(c, out, outlen, params) > 0 ? 0 : -1;
    EVP_KDF_CTX_free(c);
    return rc;
}

int tls13_expand_label(const struct tls_suite *s, const uint8_t *secret, const char *label,
                       const uint8_t *ctx, size_t ctxlen, uint8_t *out, size_t outlen)
{
    uint8_t info[2 + 1 + 6 + 200 + 1 + 255];
    size_t ll = strlen(label);
    if (ll > 200 || ctxlen > 255 || outlen > 0xffff)
        return -1;
    size_t n = 0;
    info[n++] = (uint8_t)(outlen >> 8);
    info[n++] = (uint8_t)outlen;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = (uint8_t)ctxlen;
    if (ctxlen)
        memcpy(info + n, ctx, ctxlen);
    n += ctxlen;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)s->prf, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, s->hash_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
        OSSL_PARAM_construct_end(),
    };
    return kdf("HKDF", p, out, outlen);
}

int tls13_traffic_keys(const struct tls_suite *s, const uint8_t *secret, uint8_t *key, uint8_t *iv)
{
    if (tls13_expand_label(s, secret, "key", NULL, 0, key, s->key_len) < 0)
        return -1;
    return tls13_expand_label(s, secret, "iv", NULL, 0, iv, 12);
}

int tls13_update_secret(const struct tls_suite *s, uint8_t *secret)
{
    uint8_t next[TLS_MAX_SECRET];
    if (tls13_expand_label(s, secret, "traffic upd", NULL, 0, next, s->hash_len) < 0)
        return -1;
    memcpy(secret, next, s->hash_len);
    return 0;
}

int tls12_key_block(const struct tls_suite *s, uint16_t version, const uint8_t ms[48],
                    const uint8_t client_random[32], const uint8_t server_random[32],
                    uint8_t *out, size_t outlen)
{
    uint8_t seed[13 + 64];
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, server_random, 32);
    memcpy(seed + 45, client_random, 32);
    const char *md = version < 0x0303 ? "MD5-SHA1" : s->prf;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)ms, 48),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
        OSSL_PARAM_construct_end(),
    };
    return kdf("TLS1-PRF", p, out, outlen);
}

int tls12_derive(const struct tls_suite *s, uint16_t version, const uint8_t ms[48],
                 const uint8_t client_random[32], const uint8_t server_random[32],
                 struct tls12_keys k[2])
{
    uint8_t kb[2 * (TLS_MAX_MAC + TLS_MAX_KEY + TLS_MAX_IV)];
    size_t m = s->mac_len, kl = s->key_len, il = s->iv_len;
    size_t n = 2 * (m + kl + il);
    if (tls12_key_block(s, version, ms, client_random, server_random, kb, n) < 0)
        return -1;
    memset(k, 0, 2 * sizeof k[0]);
    const uint8_t *q = kb;
    memcpy(k[0].mac, q, m); q += m;
    memcpy(k[1].mac, q, m); q += m;
    memcpy(k[0].key, q, kl); q += kl;
    memcpy(k[1].key, q, kl); q += kl;
    memcpy(k[0].iv, q, il); q += il;
    memcpy(k[1].iv, q, il);
    return 0;
}
