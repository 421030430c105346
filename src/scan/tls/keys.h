/* keys.h - TLS cipher suites and key derivation (TLS 1.3 key schedule,
 * TLS 1.2 key block), every primitive from OpenSSL's libcrypto (EVP_KDF
 * "HKDF" and "TLS1-PRF").
 *
 * Nothing here reads untrusted input beyond lengths already checked by the
 * caller; every function returns 0, or -1 when libcrypto refused.
 */
#ifndef TCPFLOW_SCAN_TLS_KEYS_H
#define TCPFLOW_SCAN_TLS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_MAX_SECRET 48       /* SHA-384 */
#define TLS_MAX_KEY 32
#define TLS_MAX_IV 16
#define TLS_MAX_MAC 48

enum tls_mode {
    TLS_MODE_GCM,               /* AES-GCM: 1.2 explicit 8-byte nonce, 1.3 iv ^ seq */
    TLS_MODE_CHACHA,            /* ChaCha20-Poly1305: iv ^ seq (RFC 7905, RFC 8446) */
    TLS_MODE_CBC,               /* AES-CBC + HMAC (MAC-then-encrypt or encrypt-then-MAC) */
};

/* A cipher suite we can decrypt. */
struct tls_suite {
    uint16_t id;
    const char *name;           /* IANA name */
    enum tls_mode mode;
    const char *cipher;         /* EVP cipher name */
    uint8_t key_len;
    uint8_t iv_len;             /* 1.2 fixed IV (4 GCM, 12 ChaCha, 16 CBC); 1.3: 12 */
    const char *mac;            /* CBC: HMAC digest ("SHA1", "SHA256", "SHA384"); else NULL */
    uint8_t mac_len;            /* CBC: MAC length */
    const char *prf;            /* digest of the PRF / HKDF: "SHA256" or "SHA384" */
    uint8_t hash_len;           /* of prf */
    uint8_t tls13;              /* a TLS 1.3 suite */
};

/* The suite with this IANA id, or NULL when we cannot decrypt it. */
const struct tls_suite *tls_suite_find(uint16_t id);

/* HKDF-Expand-Label(secret, "tls13 " label, ctx, outlen) with the suite's
 * hash (RFC 8446 7.1).  label at most 200 bytes, ctx at most 255. */
int tls13_expand_label(const struct tls_suite *s, const uint8_t *secret, const char *label,
                       const uint8_t *ctx, size_t ctxlen, uint8_t *out, size_t outlen);

/* The write key and IV of a traffic secret (hash_len bytes): key_len and
 * 12 bytes. */
int tls13_traffic_keys(const struct tls_suite *s, const uint8_t *secret, uint8_t *key, uint8_t *iv);

/* The next traffic secret after a KeyUpdate ("traffic upd"), in place. */
int tls13_update_secret(const struct tls_suite *s, uint8_t *secret);

/* TLS 1.0-1.2 key block from the master secret (48 bytes) and the randoms
 * (RFC 5246 6.3): PRF(ms, "key expansion", server_random + client_random).
 * version < 0x0303 uses the MD5+SHA-1 PRF.  outlen at most 2*(48+32+16). */
int tls12_key_block(const struct tls_suite *s, uint16_t version, const uint8_t ms[48],
                    const uint8_t client_random[32], const uint8_t server_random[32],
                    uint8_t *out, size_t outlen);

/* The pieces of a key block for one direction (client writes first). */
struct tls12_keys {
    uint8_t mac[TLS_MAX_MAC];
    uint8_t key[TLS_MAX_KEY];
    uint8_t iv[TLS_MAX_IV];
};

/* Both directions' keys: k[0] the client's write keys, k[1] the server's. */
int tls12_derive(const struct tls_suite *s, uint16_t version, const uint8_t ms[48],
                 const uint8_t client_random[32], const uint8_t server_random[32],
                 struct tls12_keys k[2]);

#endif
