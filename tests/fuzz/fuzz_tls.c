/* fuzz_tls.c - libFuzzer harness for the TLS engine (src/scan/tls/): the
 * record framing, the handshake parsers and the session state machine.
 *
 * Input: a key log section, then a byte stream cut into segments:
 *   [0..1] big-endian length L of a key log text, [2..2+L) the key log;
 *   then segments: [0] bit 0: direction, bit 1: a hole instead of data,
 *   bits 2-7: ignored; [1..2] big-endian length n; n bytes.
 * The key log is fixed to RFC 8448's secrets when L is 0, so the seeds
 * (RFC 8448's records, and real transcripts) reach the decryption paths.
 * Checks: nothing crashes, leaks or reads out of bounds; plaintext only
 * comes with a status of decrypting; the statuses are in range; the held
 * bytes never exceed the cap; the hsbuf and parsers are also fed the raw
 * input directly.
 *
 * Build: see the Makefile (fuzz-build); seeds: tests/fuzz/seeds/tls/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/tls/handshake.h"
#include "scan/tls/keylog.h"
#include "scan/tls/record.h"
#include "scan/tls/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static const char rfc_keylog[] =
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n"
    "CLIENT_TRAFFIC_SECRET_0 cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5\n"
    "SERVER_TRAFFIC_SECRET_0 cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643\n";

struct st {
    struct tls_session *s;
    uint64_t plain[2];
    int infos;
};

static void on_plain(void *arg, int dir, const uint8_t *p, size_t n)
{
    struct st *x = arg;
    CHECK(dir == 0 || dir == 1);
    CHECK(n > 0 && n <= TLS_REC_MAX);
    CHECK(p != NULL);
    volatile uint8_t sink = p[0] ^ p[n - 1];
    (void)sink;
    x->plain[dir] += n;
}

static void on_info(void *arg, const struct tls_info *in)
{
    struct st *x = arg;
    x->infos++;
    for (int d = 0; d < 2; d++) {
        CHECK(in->dir[d].status < TLS_ST_N);
        CHECK(in->dir[d].app_bytes == x->plain[d]);
        if (x->plain[d])
            CHECK(in->dir[d].decrypted > 0);
    }
    CHECK(strlen(in->sni) < sizeof in->sni && strlen(in->alpn) < sizeof in->alpn);
}

static int on_msg(void *arg, uint8_t type, const uint8_t *b, size_t n)
{
    struct tls_hello h;
    const uint8_t *t;
    size_t tl;
    (void)arg;
    if (!b)
        return 0;
    switch (type) {
    case TLS_HS_CLIENT_HELLO:
        tls_parse_client_hello(b, n, &h);
        if (tls_client_hello_ticket(b, n, &t, &tl) == 0)
            CHECK(t >= b && t + tl <= b + n);
        break;
    case TLS_HS_SERVER_HELLO: tls_parse_server_hello(b, n, &h); break;
    case TLS_HS_ENCRYPTED_EXTENSIONS: memset(&h, 0, sizeof h); tls_parse_encrypted_extensions(b, n, &h); break;
    case TLS_HS_NEW_SESSION_TICKET:
        if (tls_parse_ticket12(b, n, &t, &tl) == 0)
            CHECK(t >= b && t + tl <= b + n);
        break;
    default: break;
    }
    return 0;
}

/* The records and handshake messages of the raw input, without a session. */
static void raw(const uint8_t *p, size_t n)
{
    struct tls_recrd r = { { 0 }, 0, NULL, 0 };
    struct tls_hsbuf hs;
    memset(&hs, 0, sizeof hs);
    size_t step = n % 7 + 1;
    const uint8_t *q = p;
    size_t left = n;
    while (left) {
        size_t k = left < step ? left : step;
        const uint8_t *seg = q;
        size_t sl = k;
        q += k;
        left -= k;
        for (;;) {
            struct tls_rec rec;
            int rc = tls_recrd_next(&r, &seg, &sl, &rec);
            if (rc <= 0) {
                if (rc < 0)
                    left = 0;
                break;
            }
            CHECK(rec.len <= TLS_REC_MAX);
            if (rec.type == TLS_CT_HANDSHAKE)
                tls_hsbuf_feed(&hs, rec.frag, rec.len, on_msg, NULL);
        }
    }
    tls_recrd_release(&r);
    tls_hsbuf_release(&hs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tls_keylog *rfc;
    if (!rfc) {
        char err[128];
        rfc = tls_keylog_open(NULL, 0, err, sizeof err);
        tls_keylog_add_text(rfc, rfc_keylog, sizeof rfc_keylog - 1);
    }
    if (size < 2)
        return 0;
    size_t L = (size_t)data[0] << 8 | data[1];
    if (L > size - 2)
        L = size - 2;
    struct tls_keylog *kl = rfc, *own = NULL;
    if (L) {
        char err[128];
        own = kl = tls_keylog_open(NULL, 0, err, sizeof err);
        tls_keylog_add_text(kl, (const char *)data + 2, L);
    }
    const uint8_t *p = data + 2 + L;
    size_t n = size - 2 - L;
    raw(p, n);
    struct st x;
    memset(&x, 0, sizeof x);
    struct tls_session_cb cb = { on_plain, on_info, n % 3 == 0 ? 4096 : 0 };
    x.s = tls_session_new(kl, &cb, &x);
    while (n >= 3) {
        int dir = p[0] & 1, hole = p[0] & 2;
        size_t len = (size_t)p[1] << 8 | p[2];
        p += 3;
        n -= 3;
        if (len > n)
            len = n;
        if (hole)
            tls_session_gap(x.s, dir, len);
        else
            tls_session_data(x.s, dir, p, len);
        p += len;
        n -= len;
    }
    tls_session_end(x.s, 0);
    tls_session_end(x.s, 1);
    CHECK(x.infos == 1);
    tls_session_free(x.s);
    CHECK(x.infos == 1);
    tls_keylog_free(own);
    return 0;
}
