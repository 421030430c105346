/* Unit tests: real TLS connections (Python's ssl over memory BIOs, see
 * tests/data/tls/gen.py) decrypted by the session, one per cipher suite and
 * MAC order, RSA and ECDHE key exchange, resumption by id, ticket and PSK;
 * in capture order, byte by byte, and one whole direction after the other. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "test_tls_common.h"

static void check(const char *name, const struct transcript *t, const struct got *g)
{
    if (g->n[0] != t->ptn[0] || g->n[1] != t->ptn[1])
        fail_msg("%s: got %zu/%zu bytes, want %zu/%zu (status %s/%s)", name, g->n[0], g->n[1], t->ptn[0],
                 t->ptn[1], tls_status_name(g->info.dir[0].status), tls_status_name(g->info.dir[1].status));
    assert_memory_equal(g->b[0], t->pt[0], t->ptn[0]);
    assert_memory_equal(g->b[1], t->pt[1], t->ptn[1]);
    assert_int_equal(g->info.dir[0].status, TLS_ST_DECRYPTING);
    assert_int_equal(g->info.dir[1].status, TLS_ST_DECRYPTING);
    assert_int_equal(g->info.version, t->version);
    assert_int_equal(g->info.resumed, t->resumed);
    assert_int_equal(g->infos, 1);
    assert_string_equal(g->info.sni, "tls.test");
}

static void one(const char *name, int etm)
{
    struct transcript t;
    if (transcript_load(name, &t) < 0)
        fail_msg("cannot read %s/%s.tlst", tls_data_dir(), name);
    struct tls_keylog *kl = keylog_text(t.keylog, t.keylog_len);
    struct got g = { 0 };
    run_capture_order(&t, kl, &g, 0, 0);
    check(name, &t, &g);
    if (etm >= 0)
        assert_int_equal(g.info.etm, etm);
    got_free(&g);
    run_capture_order(&t, kl, &g, 1, 0);
    check(name, &t, &g);
    got_free(&g);
    run_file_order(&t, kl, &g, 0);
    check(name, &t, &g);
    got_free(&g);
    run_file_order(&t, kl, &g, 1000);
    check(name, &t, &g);
    got_free(&g);
    /* a flipped bit in the server's last record: everything before it only */
    struct chunk *last = NULL;
    for (size_t i = 0; i < t.nc; i++)
        if (t.c[i].who == 1)
            last = &t.c[i];
    last->p[last->n - 1] ^= 0x40;
    run_capture_order(&t, kl, &g, 0, 0);
    assert_int_equal(g.info.dir[1].status, TLS_ST_BAD_TAG);
    assert_true(g.n[1] < t.ptn[1]);
    assert_memory_equal(g.b[1], t.pt[1], g.n[1]);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&t);
}

static void t_tls13_default(void **st) { (void)st; one("t13_default", 0); }
static void t_tls12_ecdhe_rsa_aes128gcm(void **st) { (void)st; one("t12_ecdhe_rsa_aes128gcm", 0); }
static void t_tls12_ecdhe_rsa_aes256gcm(void **st) { (void)st; one("t12_ecdhe_rsa_aes256gcm", 0); }
static void t_tls12_rsa_aes128gcm(void **st) { (void)st; one("t12_rsa_aes128gcm", 0); }
static void t_tls12_chacha(void **st) { (void)st; one("t12_ecdhe_ecdsa_chacha", 0); }
static void t_tls12_cbc_sha1_etm(void **st) { (void)st; one("t12_ecdhe_rsa_aes128sha_etm", 1); }
static void t_tls12_cbc_sha1_mte(void **st) { (void)st; one("t12_ecdhe_rsa_aes128sha_mte", 0); }
static void t_tls12_cbc_sha256(void **st) { (void)st; one("t12_rsa_aes256sha256", 1); }
static void t_tls12_cbc_sha384_mte(void **st) { (void)st; one("t12_ecdhe_ecdsa_aes256sha384_mte", 0); }
static void t_tls13_psk(void **st) { (void)st; one("t13_resumed_a", -1); one("t13_resumed_b", -1); }
static void t_tls12_resumed_id(void **st) { (void)st; one("t12_resumed_id_a", -1); one("t12_resumed_id_b", -1); }
static void t_tls12_resumed_ticket(void **st) { (void)st; one("t12_resumed_ticket_a", -1); one("t12_resumed_ticket_b", -1); }

/* A resumed TLS 1.2 connection whose own CLIENT_RANDOM line is missing:
 * the master secret of the session it resumes is remembered. */
static void resumed_without_line(const char *a, const char *b)
{
    struct transcript ta, tb;
    assert_int_equal(transcript_load(a, &ta), 0);
    assert_int_equal(transcript_load(b, &tb), 0);
    struct tls_keylog *kl = keylog_text(ta.keylog, ta.keylog_len);
    struct got g = { 0 };
    run_capture_order(&tb, kl, &g, 0, 0);               /* before the first one: unknown */
    assert_int_equal(g.info.dir[0].status, TLS_ST_NO_KEY);
    assert_int_equal(g.info.dir[1].status, TLS_ST_NO_KEY);
    got_free(&g);
    run_capture_order(&ta, kl, &g, 0, 0);
    check(a, &ta, &g);
    got_free(&g);
    run_capture_order(&tb, kl, &g, 0, 0);
    check(b, &tb, &g);
    got_free(&g);
    tls_keylog_free(kl);
    transcript_free(&ta);
    transcript_free(&tb);
}

static void t_tls12_resumed_id_cache(void **st) { (void)st; resumed_without_line("t12_resumed_id_a", "t12_resumed_id_b"); }
static void t_tls12_resumed_ticket_cache(void **st) { (void)st; resumed_without_line("t12_resumed_ticket_a", "t12_resumed_ticket_b"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_tls13_default), cmocka_unit_test(t_tls12_ecdhe_rsa_aes128gcm),
        cmocka_unit_test(t_tls12_ecdhe_rsa_aes256gcm), cmocka_unit_test(t_tls12_rsa_aes128gcm),
        cmocka_unit_test(t_tls12_chacha), cmocka_unit_test(t_tls12_cbc_sha1_etm),
        cmocka_unit_test(t_tls12_cbc_sha1_mte), cmocka_unit_test(t_tls12_cbc_sha256),
        cmocka_unit_test(t_tls12_cbc_sha384_mte), cmocka_unit_test(t_tls13_psk),
        cmocka_unit_test(t_tls12_resumed_id), cmocka_unit_test(t_tls12_resumed_ticket),
        cmocka_unit_test(t_tls12_resumed_id_cache), cmocka_unit_test(t_tls12_resumed_ticket_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
