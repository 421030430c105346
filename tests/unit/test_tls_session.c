/* Unit tests for the TLS session (scan/tls/session.c) on RFC 8448's
 * published TLS 1.3 trace: capture order, records cut at every byte,
 * byte-by-byte, whole files one direction after the other, swapped
 * directions, a failed tag, a hole, no key, garbage, hostile lengths, the
 * pending cap, and a crafted KeyUpdate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include "scan/tls/keys.h"
#include "test_tls_common.h"
#include "test_tls_rfc8448.h"

/* The RFC trace as (who, hex) in capture order. */
static const struct { int who; const char *hex; } rfc_order[] = {
    { 0, rfc_ch }, { 1, rfc_sh }, { 1, rfc_sflight }, { 0, rfc_cfin }, { 1, rfc_nst },
    { 0, rfc_capp }, { 1, rfc_sapp }, { 0, rfc_calert }, { 1, rfc_salert },
};
#define NRFC (sizeof rfc_order / sizeof rfc_order[0])

static void rfc_transcript(struct transcript *t)
{
    memset(t, 0, sizeof *t);
    t->keylog = strdup(RFC_KEYLOG);
    t->keylog_len = strlen(RFC_KEYLOG);
    for (size_t i = 0; i < NRFC; i++) {
        t->c[i].who = rfc_order[i].who;
        t->c[i].p = unhex_dup(rfc_order[i].hex, &t->c[i].n);
    }
    t->nc = NRFC;
    for (int w = 0; w < 2; w++) {
        t->pt[w] = malloc(50);
        for (int i = 0; i < 50; i++)
            t->pt[w][i] = (uint8_t)i;
        t->ptn[w] = 50;
    }
}

static void expect_both(const struct got *g, const struct transcript *t, int cdir)
{
    assert_int_equal(g->infos, 1);
    assert_int_equal(g->n[cdir], t->ptn[0]);
    assert_memory_equal(g->b[cdir], t->pt[0], t->ptn[0]);
    assert_int_equal(g->n[!cdir], t->ptn[1]);
    assert_memory_equal(g->b[!cdir], t->pt[1], t->ptn[1]);
    assert_int_equal(g->info.dir[0].status, TLS_ST_DECRYPTING);
    assert_int_equal(g->info.dir[1].status, TLS_ST_DECRYPTING);
}

static void t_rfc_capture_order(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    run_capture_order(&t, kl, &g, 0, 0);
    expect_both(&g, &t, 0);
    assert_int_equal(g.info.version, 0x0304);
    assert_int_equal(g.info.suite, 0x1301);
    assert_string_equal(g.info.suite_name, "TLS_AES_128_GCM_SHA256");
    assert_string_equal(g.info.sni, "server");
    assert_int_equal(g.info.client_dir, 0);
    assert_false(g.info.resumed);
    assert_false(g.info.hrr);
    assert_int_equal(g.info.dir[0].alert_level, 1);      /* close_notify */
    assert_int_equal(g.info.dir[0].alert_desc, 0);
    assert_int_equal(g.info.dir[1].decrypted, 4);       /* flight, ticket, data, alert */
    assert_int_equal(g.info.dir[0].decrypted, 3);
    struct tls_keylog_stats ks;
    tls_keylog_get_stats(kl, &ks);
    assert_int_equal(ks.lines, 4);
    assert_int_equal(ks.entries, 1);
    assert_int_equal(ks.used, 1);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

/* Each direction's stream cut in two at every byte, the other fed whole. */
static void t_rfc_every_cut(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    uint8_t all[2][2048];
    size_t n[2] = { 0, 0 };
    for (size_t i = 0; i < t.nc; i++) {
        memcpy(all[t.c[i].who] + n[t.c[i].who], t.c[i].p, t.c[i].n);
        n[t.c[i].who] += t.c[i].n;
    }
    for (int w = 0; w < 2; w++) {
        for (size_t cut = 1; cut < n[w]; cut++) {
            struct got g = { 0 };
            struct tls_session *s = tls_session_new(kl, &got_cb, &g);
            /* the ClientHello first, then w's stream in two pieces, then the rest */
            size_t chn = t.c[0].n;
            tls_session_data(s, 0, all[0], chn);
            if (w == 1) {
                tls_session_data(s, 1, all[1], cut);
                tls_session_data(s, 1, all[1] + cut, n[1] - cut);
                tls_session_data(s, 0, all[0] + chn, n[0] - chn);
            } else {
                tls_session_data(s, 1, all[1], n[1]);
                if (cut > chn) {
                    tls_session_data(s, 0, all[0] + chn, cut - chn);
                    tls_session_data(s, 0, all[0] + cut, n[0] - cut);
                } else {
                    tls_session_data(s, 0, all[0] + chn, n[0] - chn);
                }
            }
            tls_session_end(s, 0);
            tls_session_end(s, 1);
            tls_session_free(s);
            expect_both(&g, &t, 0);
            got_free(&g);
        }
    }
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void t_rfc_byte_by_byte(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    for (size_t step = 1; step <= 7; step++) {
        struct got g = { 0 };
        run_capture_order(&t, kl, &g, step, 0);
        expect_both(&g, &t, 0);
        got_free(&g);
        run_file_order(&t, kl, &g, step);
        expect_both(&g, &t, 0);
        got_free(&g);
    }
    tls_keylog_free(kl);
    transcript_free(&t);
}

/* Both records of each segment pair in one segment: several records per segment. */
static void t_rfc_many_per_segment(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    run_file_order(&t, kl, &g, 0);
    expect_both(&g, &t, 0);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void t_rfc_swapped(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    run_capture_order(&t, kl, &g, 0, 1);
    expect_both(&g, &t, 1);
    assert_int_equal(g.info.client_dir, 1);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void t_rfc_bad_tag(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    t.c[6].p[20] ^= 1;                                  /* server application data */
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    run_capture_order(&t, kl, &g, 0, 0);
    assert_int_equal(g.n[1], 0);
    assert_int_equal(g.info.dir[1].status, TLS_ST_BAD_TAG);
    assert_int_equal(g.info.dir[1].unprocessed, 24);   /* the alert after it: counted, unread */
    assert_int_equal(g.n[0], 50);
    assert_int_equal(g.info.dir[0].status, TLS_ST_DECRYPTING);
    got_free(&g);
    /* a wrong secret: every server record fails at once */
    char *bad = strdup(t.keylog);
    char *p = strstr(bad, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
    p[strlen("SERVER_HANDSHAKE_TRAFFIC_SECRET ") + 64 + 1] ^= 1;
    struct tls_keylog *kl2 = keylog_text(bad, strlen(bad));
    t.c[6].p[20] ^= 1;
    run_capture_order(&t, kl2, &g, 0, 0);
    assert_int_equal(g.info.dir[1].status, TLS_ST_BAD_TAG);
    assert_int_equal(g.n[1], 0);
    assert_int_equal(g.n[0], 50);
    got_free(&g);
    free(bad);
    tls_keylog_free(kl2);
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void t_rfc_hole(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    struct tls_session *s = tls_session_new(kl, &got_cb, &g);
    for (size_t i = 0; i < t.nc; i++) {
        if (i == 4) {
            tls_session_gap(s, 1, t.c[i].n);           /* the ticket record was never captured */
            continue;
        }
        tls_session_data(s, t.c[i].who, t.c[i].p, t.c[i].n);
    }
    tls_session_end(s, 0);
    tls_session_end(s, 1);
    tls_session_free(s);
    assert_int_equal(g.info.dir[1].status, TLS_ST_HOLE);
    assert_int_equal(g.info.dir[1].hole_bytes, 227);
    assert_int_equal(g.info.dir[1].unprocessed, 72 + 24);
    assert_int_equal(g.n[1], 0);
    assert_int_equal(g.n[0], 50);
    got_free(&g);
    /* a hole inside a record: what was held of it is counted, nothing given */
    s = tls_session_new(kl, &got_cb, &g);
    for (size_t i = 0; i < 6; i++)
        tls_session_data(s, t.c[i].who, t.c[i].p, t.c[i].n);
    tls_session_data(s, 1, t.c[6].p, 30);
    tls_session_gap(s, 1, 10);
    tls_session_data(s, 1, t.c[6].p + 40, t.c[6].n - 40);
    tls_session_free(s);
    assert_int_equal(g.info.dir[1].status, TLS_ST_HOLE);
    assert_int_equal(g.n[1], 0);
    assert_int_equal(g.info.dir[1].unprocessed, 30 + 32);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void t_rfc_no_key(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text("CLIENT_RANDOM 00 11\n# nothing\n", 30);
    struct got g = { 0 };
    run_capture_order(&t, kl, &g, 0, 0);
    assert_int_equal(g.infos, 1);
    assert_int_equal(g.info.dir[0].status, TLS_ST_NO_KEY);
    assert_int_equal(g.info.dir[1].status, TLS_ST_NO_KEY);
    assert_true(g.info.is_tls);
    assert_string_equal(g.info.sni, "server");
    assert_int_equal(g.n[0] + g.n[1], 0);
    struct tls_keylog_stats ks;
    tls_keylog_get_stats(kl, &ks);
    assert_int_equal(ks.bad_lines, 1);
    got_free(&g);
    /* only the handshake secrets: the handshake decrypts, the data does not */
    const char *hs = "CLIENT_HANDSHAKE_TRAFFIC_SECRET " RFC_CLIENT_RANDOM " b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
                     "SERVER_HANDSHAKE_TRAFFIC_SECRET " RFC_CLIENT_RANDOM " b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n";
    struct tls_keylog *kl2 = keylog_text(hs, strlen(hs));
    run_capture_order(&t, kl2, &g, 0, 0);
    assert_int_equal(g.info.dir[0].status, TLS_ST_NO_KEY);
    assert_int_equal(g.info.dir[1].status, TLS_ST_NO_KEY);
    assert_int_equal(g.info.dir[1].decrypted, 1);
    assert_int_equal(g.info.dir[0].decrypted, 1);
    assert_int_equal(g.n[0] + g.n[1], 0);
    got_free(&g);
    tls_keylog_free(kl2);
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void one_dir(const uint8_t *p, size_t n, enum tls_status want0, enum tls_status want1)
{
    struct tls_keylog *kl = keylog_text(NULL, 0);
    struct got g = { 0 };
    struct tls_session *s = tls_session_new(kl, &got_cb, &g);
    tls_session_data(s, 0, p, n);
    tls_session_data(s, 1, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17);
    tls_session_end(s, 1);
    tls_session_end(s, 0);
    assert_true(tls_session_stopped(s, 0));
    tls_session_free(s);
    assert_int_equal(g.infos, 1);
    assert_int_equal(g.info.dir[0].status, want0);
    assert_int_equal(g.info.dir[1].status, want1);
    assert_false(g.info.is_tls);
    assert_int_equal(g.n[0] + g.n[1], 0);
    got_free(&g);
    tls_keylog_free(kl);
}

static void t_garbage(void **st)
{
    (void)st;
    one_dir((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, TLS_ST_NOT_TLS, TLS_ST_NOT_TLS);
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    one_dir(junk, sizeof junk, TLS_ST_NOT_TLS, TLS_ST_NOT_TLS);
    /* TLS records, but caught mid-connection: no ClientHello */
    const uint8_t mid[] = { 0x17, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb };
    one_dir(mid, sizeof mid, TLS_ST_NO_HANDSHAKE, TLS_ST_NOT_TLS);
}

static void t_hostile_lengths(void **st)
{
    (void)st;
    struct tls_keylog *kl = keylog_text(RFC_KEYLOG, strlen(RFC_KEYLOG));
    size_t chn;
    uint8_t *ch = unhex_dup(rfc_ch, &chn);
    struct got g = { 0 };
    /* a record longer than any TLS record may be */
    uint8_t rec[] = { 0x16, 0x03, 0x03, 0xff, 0xff, 0x01 };
    struct tls_session *s = tls_session_new(kl, &got_cb, &g);
    tls_session_data(s, 0, ch, chn);
    tls_session_data(s, 0, rec, sizeof rec);
    assert_true(tls_session_stopped(s, 0));
    tls_session_free(s);
    assert_int_equal(g.info.dir[0].status, TLS_ST_MALFORMED);
    got_free(&g);
    /* a ClientHello claiming 16 MB: skipped unread, never buffered */
    ch[6] = 0xff; ch[7] = 0xff; ch[8] = 0xff;
    s = tls_session_new(kl, &got_cb, &g);
    tls_session_data(s, 0, ch, chn);
    for (int i = 0; i < 100; i++) {
        uint8_t more[5 + 1000] = { 0x16, 0x03, 0x03, 0x03, 0xe8 };
        tls_session_data(s, 0, more, sizeof more);
    }
    assert_false(g.info.is_tls);
    tls_session_free(s);
    assert_int_equal(g.info.dir[0].status, TLS_ST_HANDSHAKE);
    assert_int_equal(g.info.dir[0].records, 101);
    got_free(&g);
    free(ch);
    tls_keylog_free(kl);
}

static void t_pending_cap(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    struct tls_session_cb cb = got_cb;
    cb.max_pending = 100;
    struct tls_session *s = tls_session_new(kl, &cb, &g);
    for (size_t i = 0; i < t.nc; i++)         /* the client's whole stream first */
        if (t.c[i].who == 0)
            tls_session_data(s, 0, t.c[i].p, t.c[i].n);
    assert_true(tls_session_stopped(s, 0));
    for (size_t i = 0; i < t.nc; i++)
        if (t.c[i].who == 1)
            tls_session_data(s, 1, t.c[i].p, t.c[i].n);
    tls_session_free(s);
    assert_int_equal(g.info.dir[0].status, TLS_ST_CAP);
    assert_int_equal(g.info.dir[0].unprocessed, 58 + 72 + 24);
    assert_int_equal(g.n[0], 0);
    assert_int_equal(g.n[1], 50);
    got_free(&g);
    /* just enough: the client waits, then goes on */
    cb.max_pending = 58 + 72 + 24;
    s = tls_session_new(kl, &cb, &g);
    for (size_t i = 0; i < t.nc; i++)
        if (t.c[i].who == 0)
            tls_session_data(s, 0, t.c[i].p, t.c[i].n);
    assert_true(tls_session_waiting(s, 0));
    for (size_t i = 0; i < t.nc; i++)
        if (t.c[i].who == 1)
            tls_session_data(s, 1, t.c[i].p, t.c[i].n);
    assert_false(tls_session_waiting(s, 0));
    tls_session_free(s);
    expect_both(&g, &t, 0);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

/* HKDF-Expand-Label written out by hand (not through keys.c). */
static void expand(const uint8_t *secret, const char *label, size_t outlen, uint8_t *out)
{
    uint8_t info[64];
    size_t ll = strlen(label), n = 0;
    info[n++] = 0; info[n++] = (uint8_t)outlen; info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6); n += 6;
    memcpy(info + n, label, ll); n += ll;
    info[n++] = 0;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
        OSSL_PARAM_construct_end(),
    };
    EVP_KDF *k = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(k);
    assert_int_equal(EVP_KDF_derive(c, out, outlen, p), 1);
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(k);
}

/* A TLS 1.3 AES-128-GCM record of inner type `type` under secret, seq. */
static size_t seal(const uint8_t secret[32], uint64_t seq, uint8_t type, const uint8_t *p, size_t n, uint8_t *out)
{
    uint8_t key[16], iv[12], pt[512];
    expand(secret, "key", 16, key);
    expand(secret, "iv", 12, iv);
    for (int i = 0; i < 8; i++)
        iv[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
    memcpy(pt, p, n);
    pt[n] = type;
    size_t clen = n + 1 + 16;
    out[0] = 0x17; out[1] = 3; out[2] = 3; out[3] = (uint8_t)(clen >> 8); out[4] = (uint8_t)clen;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv), 1);
    assert_int_equal(EVP_EncryptUpdate(c, NULL, &l, out, 5), 1);
    assert_int_equal(EVP_EncryptUpdate(c, out + 5, &l, pt, (int)n + 1), 1);
    assert_int_equal(EVP_EncryptFinal_ex(c, out + 5 + l, &l), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + n + 1), 1);
    EVP_CIPHER_CTX_free(c);
    return 5 + clen;
}

static void t_key_update(void **st)
{
    (void)st;
    struct transcript t;
    rfc_transcript(&t);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    uint8_t s0[32], s1[32], s2[32];
    size_t sl;
    uint8_t *tmp = unhex_dup("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", &sl);
    memcpy(s0, tmp, 32);
    free(tmp);
    expand(s0, "traffic upd", 32, s1);
    expand(s1, "traffic upd", 32, s2);
    /* server: ticket (seq 0), data (1), KeyUpdate (2, update_requested) | data (0),
     * KeyUpdate (1, split over two records with data after: not allowed to
     * change keys mid-message, so whole) | data (0) */
    uint8_t ku[] = { 24, 0, 0, 1, 1 };
    uint8_t rec[6][600];
    size_t rl[6];
    rl[0] = seal(s0, 2, 22, ku, sizeof ku, rec[0]);
    rl[1] = seal(s1, 0, 23, (const uint8_t *)"after one update", 16, rec[1]);
    ku[4] = 0;
    rl[2] = seal(s1, 1, 22, ku, sizeof ku, rec[2]);
    rl[3] = seal(s2, 0, 23, (const uint8_t *)"after two", 9, rec[3]);
    struct got g = { 0 };
    struct tls_session *s = tls_session_new(kl, &got_cb, &g);
    for (size_t i = 0; i < t.nc - 1; i++)               /* all but the server's alert */
        tls_session_data(s, t.c[i].who, t.c[i].p, t.c[i].n);
    for (int i = 0; i < 4; i++)
        feed_chunk(s, 1, rec[i], rl[i], 3, 0);
    tls_session_end(s, 0);
    tls_session_end(s, 1);
    tls_session_free(s);
    assert_int_equal(g.info.dir[1].status, TLS_ST_DECRYPTING);
    assert_int_equal(g.info.dir[1].key_updates, 2);
    assert_int_equal(g.n[1], 50 + 16 + 9);
    assert_memory_equal(g.b[1] + 50, "after one updateafter two", 25);
    got_free(&g);
    /* data after a KeyUpdate still under the old key: a failed tag */
    s = tls_session_new(kl, &got_cb, &g);
    for (size_t i = 0; i < t.nc - 1; i++)
        tls_session_data(s, t.c[i].who, t.c[i].p, t.c[i].n);
    tls_session_data(s, 1, rec[0], rl[0]);
    rl[4] = seal(s0, 3, 23, (const uint8_t *)"old key", 7, rec[4]);
    tls_session_data(s, 1, rec[4], rl[4]);
    tls_session_free(s);
    assert_int_equal(g.info.dir[1].status, TLS_ST_BAD_TAG);
    assert_int_equal(g.n[1], 50);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rfc_capture_order), cmocka_unit_test(t_rfc_every_cut),
        cmocka_unit_test(t_rfc_byte_by_byte), cmocka_unit_test(t_rfc_many_per_segment),
        cmocka_unit_test(t_rfc_swapped), cmocka_unit_test(t_rfc_bad_tag), cmocka_unit_test(t_rfc_hole),
        cmocka_unit_test(t_rfc_no_key), cmocka_unit_test(t_garbage), cmocka_unit_test(t_hostile_lengths),
        cmocka_unit_test(t_pending_cap), cmocka_unit_test(t_key_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
