/* cipher.h - TLS record protection, read side: one direction's current
 * keys and sequence number, and the opening of one record at a time.
 *
 * Every primitive is libcrypto's (EVP ciphers and AEADs, EVP_MAC HMAC).
 * The EVP contexts are set up once per key; a record costs one IV set, the
 * AAD, the decryption and the tag (or MAC) check.
 */
#ifndef TCPFLOW_SCAN_TLS_CIPHER_H
#define TCPFLOW_SCAN_TLS_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "scan/tls/keys.h"

struct evp_cipher_ctx_st;
struct evp_mac_ctx_st;

struct tls_cipher {
    const struct tls_suite *suite;      /* NULL: no keys (not initialised) */
    struct evp_cipher_ctx_st *ctx;
    struct evp_mac_ctx_st *mac;         /* CBC only */
    uint8_t iv[TLS_MAX_IV];             /* 1.3 / ChaCha: 12-byte IV; GCM 1.2: 4-byte salt; CBC 1.0: chained IV */
    uint64_t seq;                       /* next record's sequence number */
    uint16_t version;                   /* record-layer version of the protocol (0x0301..0x0304) */
    bool tls13;
    bool etm;                           /* CBC: encrypt-then-MAC (RFC 7366) */
};

/* Why a record could not be opened. */
enum tls_open_err {
    TLS_OPEN_OK = 0,
    TLS_OPEN_SHORT = -1,        /* shorter than nonce + tag / IV + MAC */
    TLS_OPEN_TAG = -2,          /* AEAD tag or HMAC mismatch, bad CBC padding */
    TLS_OPEN_EMPTY = -3,        /* 1.3: all padding, no content type */
    TLS_OPEN_CRYPTO = -4,       /* libcrypto refused */
};

/* Set c up for a TLS 1.3 traffic secret (suite->hash_len bytes): derives
 * the key and IV, seq 0.  Releases what c held.  0 or -1. */
int tls_cipher_init13(struct tls_cipher *c, const struct tls_suite *s, const uint8_t *secret);

/* Set c up for TLS 1.0-1.2 with one direction's key block part, seq 0.
 * Releases what c held.  0 or -1. */
int tls_cipher_init12(struct tls_cipher *c, const struct tls_suite *s, uint16_t version,
                      const struct tls12_keys *k, bool etm);

/* Frees the contexts; c is zeroed (no keys).  A zeroed c is fine. */
void tls_cipher_release(struct tls_cipher *c);

/* Opens the record (type, record version ver, fragment in[0..n)) into out
 * (room for n bytes); on success *outlen is the plaintext length and *ctype
 * the content type (1.3: the inner type; else type), seq advances.  On a
 * failure seq advances too (the record was sent and counted by its sender).
 * Returns TLS_OPEN_OK or a negative enum tls_open_err. */
int tls_cipher_open(struct tls_cipher *c, uint8_t type, uint16_t ver, const uint8_t *in, size_t n,
                    uint8_t *out, size_t *outlen, uint8_t *ctype);

#endif
