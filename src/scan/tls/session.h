/* session.h - one TLS connection's decryptor: both directions' bytes in,
 * the application data out, in order, and what the handshake said.
 *
 * Feed each direction's bytes in stream order (dir 0: the connection's
 * initiator, normally the client; the session finds the client by its
 * ClientHello, so swapped directions work too).  Interleave the directions
 * in capture order.  A direction whose records need something the other
 * direction has not given yet (the client's encrypted records before the
 * ServerHello, the server's before the ClientHello, 0-RTT data before the
 * EncryptedExtensions) is held, up to max_pending bytes, and processed as
 * soon as it can be; tls_session_waiting() says so.
 *
 * What can go wrong ends a direction cleanly, once, with a reason (struct
 * tls_info): no key in the key log, a failed tag or MAC, a hole, an
 * unsupported suite, bytes that are not TLS, a malformed record or message,
 * a cap.  Nothing is given as plaintext that did not pass its tag or MAC.
 */
#ifndef TCPFLOW_SCAN_TLS_SESSION_H
#define TCPFLOW_SCAN_TLS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "scan/tls/keylog.h"

#define TLS_DEFAULT_MAX_PENDING (1u << 20)

/* How a direction ended (or stands). */
enum tls_status {
    TLS_ST_NONE,                /* no byte yet */
    TLS_ST_HANDSHAKE,           /* handshake under way, no application data yet */
    TLS_ST_DECRYPTING,          /* keys known, every record so far decrypted */
    TLS_ST_NO_KEY,              /* the key log has no secret for it */
    TLS_ST_BAD_TAG,             /* a record failed its tag or MAC: wrong secret, or damaged bytes */
    TLS_ST_HOLE,                /* a hole in the capture */
    TLS_ST_UNSUPPORTED,         /* cipher suite, version, SSLv2 hello, renegotiation */
    TLS_ST_NOT_TLS,             /* the bytes are not TLS records */
    TLS_ST_MALFORMED,           /* a bad record header or handshake message */
    TLS_ST_CAP,                 /* max_pending reached while waiting for the other direction */
    TLS_ST_INCOMPLETE,          /* ended while waiting for the other direction */
    TLS_ST_NO_HANDSHAKE,        /* caught mid-connection: no ClientHello, no keys to find */
    TLS_ST_N
};

/* A short name for each status ("decrypted", "no-key", ...). */
const char *tls_status_name(enum tls_status st);

enum tls_early {
    TLS_EARLY_NONE,             /* not offered */
    TLS_EARLY_ACCEPTED,         /* decrypted (CLIENT_EARLY_TRAFFIC_SECRET logged) */
    TLS_EARLY_REJECTED,         /* the server refused it: skipped */
    TLS_EARLY_NO_KEY,           /* accepted, but its secret is not logged: the direction stops */
};

struct tls_dir_info {
    enum tls_status status;
    uint64_t records;           /* records framed */
    uint64_t decrypted;         /* records opened */
    uint64_t app_bytes;         /* plaintext given */
    uint64_t early_skipped;     /* rejected 0-RTT records skipped */
    uint64_t key_updates;
    uint64_t hole_bytes;        /* given by tls_session_gap */
    uint64_t unprocessed;       /* bytes left unread after the direction stopped */
    uint8_t alert_level, alert_desc;   /* the last alert seen (level 0: none) */
};

struct tls_info {
    bool is_tls;                /* a ClientHello was seen */
    int client_dir;             /* the caller's dir that carried the ClientHello, -1 if none */
    uint16_t version;           /* negotiated: 0x0303 TLS 1.2, 0x0304 TLS 1.3 (0: unknown) */
    uint16_t suite;             /* negotiated cipher suite (0: unknown) */
    const char *suite_name;     /* NULL when we cannot decrypt it or it is unknown */
    char sni[256];
    char alpn[64];              /* the negotiated ALPN ("" when none) */
    bool resumed;               /* 1.3 PSK; 1.2 session id or ticket */
    bool hrr;                   /* HelloRetryRequest */
    bool etm;                   /* encrypt-then-MAC in use */
    enum tls_early early;
    struct tls_dir_info dir[2]; /* by the caller's dir */
};

struct tls_session_cb {
    /* Application data of dir, in order; p is borrowed for the call. */
    void (*plaintext)(void *arg, int dir, const uint8_t *p, size_t n);
    /* Once, when both directions have ended (or at tls_session_free). */
    void (*info)(void *arg, const struct tls_info *info);
    size_t max_pending;         /* per direction; 0: TLS_DEFAULT_MAX_PENDING */
};

struct tls_session;

/* A session decrypting with the secrets of kl (borrowed; it must outlive
 * the session); cb is copied, arg is given back to the callbacks. */
struct tls_session *tls_session_new(struct tls_keylog *kl, const struct tls_session_cb *cb, void *arg);

/* The next n bytes of dir (0 or 1), in stream order. */
void tls_session_data(struct tls_session *s, int dir, const uint8_t *p, size_t n);

/* n bytes of dir were never captured: dir stops (status hole) after what
 * it holds; later bytes of dir are ignored. */
void tls_session_gap(struct tls_session *s, int dir, uint64_t n);

/* dir ended (FIN, RST, timeout, end of input).  A second call, and bytes
 * after it, are ignored. */
void tls_session_end(struct tls_session *s, int dir);

/* true when dir's bytes are being held until the other direction gives
 * what they need (a driver reading whole files feeds the other one). */
bool tls_session_waiting(const struct tls_session *s, int dir);

/* true when dir will never give plaintext again (stopped or ended). */
bool tls_session_stopped(const struct tls_session *s, int dir);

/* What is known so far. */
const struct tls_info *tls_session_info(const struct tls_session *s);

/* Calls info if it was not called yet, frees everything; NULL is fine. */
void tls_session_free(struct tls_session *s);

#endif
