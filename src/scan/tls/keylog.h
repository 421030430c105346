/* keylog.h - NSS key log files (SSLKEYLOGFILE): the secrets of TLS
 * connections, looked up by ClientHello.random.
 *
 * Lines are "LABEL <client_random hex> <secret hex>"; '#' starts a comment.
 * Labels understood: CLIENT_RANDOM (TLS <= 1.2 master secret),
 * CLIENT_EARLY_TRAFFIC_SECRET, CLIENT_HANDSHAKE_TRAFFIC_SECRET,
 * SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
 * SERVER_TRAFFIC_SECRET_0; EXPORTER_SECRET and EARLY_EXPORTER_SECRET are
 * accepted and unused; others (RSA ...) are counted as unsupported.
 *
 * The files are re-read from where the last read stopped when a lookup
 * misses (a browser appends while tcpflow runs); a file that shrank or was
 * replaced is read again from its start.  The table is capped
 * (TLS_KEYLOG_MAX_ENTRIES client randoms); lines past the cap are counted.
 *
 * Thread-safe: one mutex around the table, so the workers of -j share one
 * key log.  The log also remembers TLS 1.2 session ids and tickets of the
 * connections it decrypted, so a resumed connection whose own
 * CLIENT_RANDOM line is missing still finds its master secret.
 */
#ifndef TCPFLOW_SCAN_TLS_KEYLOG_H
#define TCPFLOW_SCAN_TLS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_KEYLOG_MAX_ENTRIES (1u << 20)
#define TLS_KEYLOG_MAX_LINE 1024
#define TLS_KEYLOG_MAX_SESSIONS 65536   /* remembered TLS 1.2 session ids and tickets */

enum tls_secret_kind {
    TLS_SK_MASTER,              /* CLIENT_RANDOM: 48 bytes */
    TLS_SK_CLIENT_EARLY,
    TLS_SK_CLIENT_HS,
    TLS_SK_SERVER_HS,
    TLS_SK_CLIENT_AP,
    TLS_SK_SERVER_AP,
    TLS_SK_N
};

/* The secrets logged for one client random. */
struct tls_secrets {
    unsigned have;                      /* bit (1 << kind) per secret present */
    uint8_t len[TLS_SK_N];
    uint8_t v[TLS_SK_N][48];
};

struct tls_keylog_stats {
    uint64_t lines;                     /* secret lines taken */
    uint64_t bad_lines;                 /* malformed lines */
    uint64_t unsupported;               /* lines with a label we do not use (RSA, ...) */
    uint64_t over_cap;                  /* lines refused by TLS_KEYLOG_MAX_ENTRIES */
    uint64_t entries;                   /* client randoms known */
    uint64_t used;                      /* of which some connection asked for */
    uint64_t rereads;                   /* times a file was read again */
};

struct tls_keylog;

/* Opens and reads the key log files (paths[0..n)); n may be 0 (secrets come
 * only through tls_keylog_add_text).  NULL with a message in err when a file
 * cannot be opened or read. */
struct tls_keylog *tls_keylog_open(const char *const *paths, size_t n, char *err, size_t errlen);

void tls_keylog_free(struct tls_keylog *kl);

/* Adds the lines of text[0..n) (tests, fuzzing, a key log from memory). */
void tls_keylog_add_text(struct tls_keylog *kl, const char *text, size_t n);

/* Reads what was appended to the files since the last read.  Returns the
 * number of new secret lines, or -1 when a file could not be read (it is
 * tried again next time). */
int tls_keylog_refresh(struct tls_keylog *kl);

/* The secrets of client_random into *out (marks the entry used); when none
 * and refresh is true, re-reads the files first.  true when found. */
bool tls_keylog_lookup(struct tls_keylog *kl, const uint8_t client_random[32], bool refresh,
                       struct tls_secrets *out);

/* TLS 1.2: remember (kind 0: session id, 1: ticket) -> master secret, and
 * recall it.  id at most 32 bytes for session ids, any length for tickets
 * (only a digest of it is kept). */
void tls_keylog_remember(struct tls_keylog *kl, int kind, const uint8_t *id, size_t len, const uint8_t ms[48]);
bool tls_keylog_recall(struct tls_keylog *kl, int kind, const uint8_t *id, size_t len, uint8_t ms[48]);

void tls_keylog_get_stats(struct tls_keylog *kl, struct tls_keylog_stats *st);

#endif
