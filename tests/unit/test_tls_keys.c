/* Unit tests for scan/tls/keys.c and the record reader (record.c):
 * RFC 8448's traffic keys and IVs from its secrets, the suite table, and
 * record framing at every cut and with hostile headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "scan/tls/keys.h"
#include "scan/tls/record.h"
#include "test_tls_common.h"
#include "test_tls_rfc8448.h"

static void keys_of(const char *secret_hex, const char *key_hex, const char *iv_hex)
{
    const struct tls_suite *s = tls_suite_find(0x1301);
    uint8_t secret[32], key[16], iv[12], wk[16], wi[12];
    assert_int_equal(unhex_into(secret_hex, secret, 32), 32);
    assert_int_equal(unhex_into(key_hex, wk, 16), 16);
    assert_int_equal(unhex_into(iv_hex, wi, 12), 12);
    assert_int_equal(tls13_traffic_keys(s, secret, key, iv), 0);
    assert_memory_equal(key, wk, 16);
    assert_memory_equal(iv, wi, 12);
}

/* RFC 8448 section 3: "derive write traffic keys" for each secret */
static void t_rfc8448_traffic_keys(void **st)
{
    (void)st;
    keys_of("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
            "3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30");
    keys_of("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
            "dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f");
    keys_of("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
            "17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9");
    keys_of("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
            "9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984");
}

/* RFC 8448 section 3: Derive-Secret(early, "derived", "") with a context */
static void t_rfc8448_derived(void **st)
{
    (void)st;
    const struct tls_suite *s = tls_suite_find(0x1301);
    uint8_t early[32], empty_hash[32], out[32], want[32];
    unhex_into("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a", early, 32);
    unhex_into("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty_hash, 32);
    unhex_into("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba", want, 32);
    assert_int_equal(tls13_expand_label(s, early, "derived", empty_hash, 32, out, 32), 0);
    assert_memory_equal(out, want, 32);
    /* limits */
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(tls13_expand_label(s, early, big, NULL, 0, out, 32), -1);
}

static void t_suites(void **st)
{
    (void)st;
    static const struct { uint16_t id; int mode; int klen; const char *mac; const char *prf; } want[] = {
        { 0x1301, TLS_MODE_GCM, 16, NULL, "SHA256" }, { 0x1302, TLS_MODE_GCM, 32, NULL, "SHA384" },
        { 0x1303, TLS_MODE_CHACHA, 32, NULL, "SHA256" }, { 0xC02F, TLS_MODE_GCM, 16, NULL, "SHA256" },
        { 0xC030, TLS_MODE_GCM, 32, NULL, "SHA384" }, { 0xCCA8, TLS_MODE_CHACHA, 32, NULL, "SHA256" },
        { 0xC013, TLS_MODE_CBC, 16, "SHA1", "SHA256" }, { 0xC028, TLS_MODE_CBC, 32, "SHA384", "SHA384" },
        { 0x003D, TLS_MODE_CBC, 32, "SHA256", "SHA256" }, { 0x002F, TLS_MODE_CBC, 16, "SHA1", "SHA256" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct tls_suite *s = tls_suite_find(want[i].id);
        assert_non_null(s);
        assert_int_equal(s->mode, want[i].mode);
        assert_int_equal(s->key_len, want[i].klen);
        assert_string_equal(s->prf, want[i].prf);
        if (want[i].mac)
            assert_string_equal(s->mac, want[i].mac);
        else
            assert_null(s->mac);
    }
    assert_null(tls_suite_find(0x1304));        /* CCM: not supported */
    assert_null(tls_suite_find(0x000A));        /* 3DES */
    assert_null(tls_suite_find(0x0000));
}

/* Records of the RFC trace, all in one stream, cut at every position:
 * the same records come out, in place when whole. */
static void t_record_cuts(void **st)
{
    (void)st;
    const char *hex[] = { rfc_sh, rfc_sflight, rfc_nst, rfc_sapp, rfc_salert };
    uint8_t all[2048];
    size_t n = 0, lens[5];
    for (int i = 0; i < 5; i++) {
        size_t k;
        uint8_t *b = unhex_dup(hex[i], &k);
        memcpy(all + n, b, k);
        n += k;
        lens[i] = k - 5;
        free(b);
    }
    for (size_t cut = 0; cut <= n; cut++) {
        struct tls_recrd r;
        memset(&r, 0, sizeof r);
        int got = 0;
        size_t parts[2] = { cut, n - cut };
        const uint8_t *p = all;
        for (int i = 0; i < 2; i++) {
            const uint8_t *q = p;
            size_t left = parts[i];
            struct tls_rec rec;
            int rc;
            while ((rc = tls_recrd_next(&r, &q, &left, &rec)) == 1) {
                assert_true(got < 5);
                assert_int_equal(rec.len, lens[got]);
                got++;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(left, 0);
            p += parts[i];
        }
        assert_int_equal(got, 5);
        assert_int_equal(tls_recrd_held(&r), 0);
        tls_recrd_release(&r);
    }
}

static void t_record_bad_headers(void **st)
{
    (void)st;
    static const struct { uint8_t h[5]; int rc; } cases[] = {
        { { 0x15, 0x03, 0x03, 0x00, 0x02 }, 0 },
        { { 0x13, 0x03, 0x03, 0x00, 0x02 }, TLS_REC_BAD_TYPE },
        { { 0x19, 0x03, 0x03, 0x00, 0x02 }, TLS_REC_BAD_TYPE },
        { { 0x16, 0x02, 0x00, 0x00, 0x02 }, TLS_REC_BAD_VERSION },
        { { 0x17, 0x03, 0x03, 0x48, 0x01 }, TLS_REC_TOO_LONG },
        { { 0x17, 0x03, 0x03, 0x48, 0x00 }, 0 },
        { { 0x17, 0x03, 0x03, 0xff, 0xff }, TLS_REC_TOO_LONG },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tls_rec_check_header(cases[i].h), cases[i].rc);
        /* also when the header arrives a byte at a time */
        struct tls_recrd r;
        memset(&r, 0, sizeof r);
        int rc = 0;
        for (int k = 0; k < 5 && rc == 0; k++) {
            const uint8_t *q = cases[i].h + k;
            size_t left = 1;
            struct tls_rec rec;
            rc = tls_recrd_next(&r, &q, &left, &rec);
        }
        assert_int_equal(rc, cases[i].rc);
        tls_recrd_release(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rfc8448_traffic_keys), cmocka_unit_test(t_rfc8448_derived),
        cmocka_unit_test(t_suites), cmocka_unit_test(t_record_cuts), cmocka_unit_test(t_record_bad_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
