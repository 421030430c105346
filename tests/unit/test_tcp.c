/* test_tcp.c - TCP header decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "decode/tcp.h"

/* sport 443, dport 51000, seq 0xfffffff0, ack 0x80000001, doff 8 (12 bytes
 * of options), flags FIN|PSH|ACK|ECE, window 0x1234; payload "abc". */
static const uint8_t SEG[] = {
    0x01, 0xbb, 0xc7, 0x38, 0xff, 0xff, 0xff, 0xf0, 0x80, 0x00, 0x00, 0x01,
    0x80, 0x59, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,
    'a', 'b', 'c',
};

static bool dec(const uint8_t *p, size_t n, struct tcp_seg *s, enum counter_id *why)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, p, n);
    bool ok = tcp_decode(c, n, s, why);
    if (ok) {
        assert_ptr_equal(s->data, c + (n - s->len));
        assert_memory_equal(s->data, p + (n - s->len), s->len);
    }
    free(c);
    return ok;
}

static void test_fields(void **state)
{
    (void)state;
    struct tcp_seg s;
    enum counter_id why;
    assert_true(dec(SEG, sizeof SEG, &s, &why));
    assert_int_equal(s.sport, 443);
    assert_int_equal(s.dport, 51000);
    assert_int_equal(s.seq, 0xfffffff0u);
    assert_int_equal(s.ack, 0x80000001u);
    assert_int_equal(s.flags, TH_FIN | TH_PUSH | TH_ACK | 0x40);
    assert_int_equal(s.win, 0x1234);
    assert_int_equal(s.len, 3);
}

static void test_every_truncation(void **state)
{
    (void)state;
    struct tcp_seg s;
    enum counter_id why;
    for (size_t L = 0; L <= sizeof SEG; L++) {
        bool ok = dec(SEG, L, &s, &why);
        if (L < 32) {
            assert_false(ok);
            assert_int_equal(why, C_TCP_TRUNCATED);
        } else {
            assert_true(ok);
            assert_int_equal(s.len, L - 32);
        }
    }
    assert_false(tcp_decode(NULL, 0, &s, &why));
    assert_int_equal(why, C_TCP_TRUNCATED);
}

static void test_bad_offset(void **state)
{
    (void)state;
    uint8_t b[sizeof SEG];
    struct tcp_seg s;
    enum counter_id why;
    for (unsigned doff = 0; doff < 16; doff++) {
        memcpy(b, SEG, sizeof b);
        b[12] = (uint8_t)(doff << 4);
        bool ok = dec(b, sizeof b, &s, &why);
        if (doff < 5) {
            assert_false(ok);
            assert_int_equal(why, C_TCP_BAD_OFFSET);
        } else if (doff * 4 > sizeof b) {
            assert_false(ok);
            assert_int_equal(why, C_TCP_TRUNCATED);
        } else {
            assert_true(ok);
            assert_int_equal(s.len, sizeof b - doff * 4);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_bad_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
