/* handshake.h - TLS handshake messages: reassembly across records, and the
 * parsing of the hellos and the few other messages decryption needs.
 *
 * Every byte is untrusted: each parser is bounds-checked (decode/rd.h) and
 * returns -1 on a malformed message, leaving what it had filled in.
 */
#ifndef TCPFLOW_SCAN_TLS_HANDSHAKE_H
#define TCPFLOW_SCAN_TLS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TLS_HS_HELLO_REQUEST = 0, TLS_HS_CLIENT_HELLO = 1, TLS_HS_SERVER_HELLO = 2,
    TLS_HS_NEW_SESSION_TICKET = 4, TLS_HS_END_OF_EARLY_DATA = 5, TLS_HS_ENCRYPTED_EXTENSIONS = 8,
    TLS_HS_CERTIFICATE = 11, TLS_HS_SERVER_KEY_EXCHANGE = 12, TLS_HS_CERTIFICATE_REQUEST = 13,
    TLS_HS_SERVER_HELLO_DONE = 14, TLS_HS_CERTIFICATE_VERIFY = 15, TLS_HS_CLIENT_KEY_EXCHANGE = 16,
    TLS_HS_FINISHED = 20, TLS_HS_KEY_UPDATE = 24, TLS_HS_MESSAGE_HASH = 254,
};

#define TLS_HS_MAX_KEEP 65536   /* bodies kept for parsing; larger ones are skipped */

/* One direction's handshake message reassembler. */
struct tls_hsbuf {
    uint8_t hdr[4];
    uint8_t hdr_have;
    uint32_t len;               /* body length of the current message */
    uint32_t got;               /* body bytes seen */
    bool keep;                  /* the body is gathered in buf */
    uint8_t *buf;               /* malloc'd, up to TLS_HS_MAX_KEEP */
    size_t cap;
};

/* Called once per complete message: body is NULL when it was too large to
 * keep (len is still its length).  Returns 0 to go on, nonzero to stop
 * (tls_hsbuf_feed then returns that value). */
typedef int (*tls_hs_fn)(void *arg, uint8_t type, const uint8_t *body, size_t len);

/* Feeds handshake-record plaintext; calls fn for each message completed.
 * Returns 0, or fn's nonzero value. */
int tls_hsbuf_feed(struct tls_hsbuf *h, const uint8_t *p, size_t n, tls_hs_fn fn, void *arg);

/* true when no message is partly gathered (key changes happen there). */
bool tls_hsbuf_idle(const struct tls_hsbuf *h);

void tls_hsbuf_release(struct tls_hsbuf *h);

/* What the hellos (and EncryptedExtensions) say. */
struct tls_hello {
    uint16_t legacy_version;
    uint8_t random[32];
    uint8_t sid[32];
    uint8_t sid_len;
    uint16_t suite;             /* ServerHello: the cipher suite */
    uint16_t version;           /* ServerHello: selected (supported_versions), else legacy */
    bool offers_tls13;          /* ClientHello: supported_versions lists 0x0304 */
    bool hrr;                   /* ServerHello: a HelloRetryRequest */
    bool etm;                   /* encrypt_then_mac extension */
    bool ems;                   /* extended_master_secret extension */
    bool early_data;            /* CH: offered; EE: accepted */
    bool psk;                   /* CH: pre_shared_key offered; SH: selected */
    bool ticket;                /* CH: a non-empty session_ticket; SH: session_ticket ext (a ticket will come) */
    bool has_alpn;
    char sni[256];              /* printable ASCII only, else '?' */
    char alpn[64];              /* CH: the first protocol offered; SH/EE: the selected one */
};

/* The bodies (after the 4-byte header) of ClientHello, ServerHello (also
 * HelloRetryRequest) and EncryptedExtensions.  0, or -1 when malformed. */
int tls_parse_client_hello(const uint8_t *b, size_t n, struct tls_hello *h);
int tls_parse_server_hello(const uint8_t *b, size_t n, struct tls_hello *h);
int tls_parse_encrypted_extensions(const uint8_t *b, size_t n, struct tls_hello *h);

/* TLS 1.2 NewSessionTicket (RFC 5077): the ticket; 0 or -1. */
int tls_parse_ticket12(const uint8_t *b, size_t n, const uint8_t **ticket, size_t *len);

/* A ClientHello's session_ticket extension (the ticket offered), or -1. */
int tls_client_hello_ticket(const uint8_t *b, size_t n, const uint8_t **ticket, size_t *len);

#endif
