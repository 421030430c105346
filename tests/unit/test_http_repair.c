/* test_http_repair.c - late bytes filling holes of the in-order view
 * (scan/http_repair.c): holes filled in any order and pieces, what is
 * contiguous given at once, the caps, draining with holes left. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "scan/http_repair.h"

#define N 20000

/* What came out, in order: bytes, with holes as '#'. */
struct got {
    uint8_t b[N + 100];
    uint64_t end;
    unsigned gaps;
};

static void on_data(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    struct got *g = arg;
    assert_int_equal(off, g->end);                 /* in order, nothing twice */
    assert_true(off + n <= sizeof g->b);
    memcpy(g->b + off, p, n);
    g->end = off + n;
}

static void on_gap(void *arg, uint64_t off, uint64_t n)
{
    struct got *g = arg;
    assert_int_equal(off, g->end);
    memset(g->b + off, '#', (size_t)n);
    g->end = off + n;
    g->gaps++;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A stream of N bytes from offset 100: holes given by the view, the bytes
 * after them, then the holes' bytes late in random pieces and order: the
 * output is the stream, whole, in order. */
static void test_fill_any_order(void **state)
{
    (void)state;
    static uint8_t src[N];
    uint64_t seed = 12345;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < N; i++)
            src[i] = (uint8_t)rnd(&seed);
        struct got g;
        memset(&g, 0, sizeof g);
        g.end = 100;
        struct http_repair_out out = { &g, on_data, on_gap };
        struct http_repair *r = http_repair_new(100);
        /* holes [1000, 3000), [5000, 5001), [9000, 15000) */
        uint64_t holes[3][2] = { { 1000, 3000 }, { 5000, 5001 }, { 9000, 15000 } };
        uint64_t at = 0;
        for (int h = 0; h < 3; h++) {
            assert_true(http_repair_data(r, 100 + at, src + at, (size_t)(holes[h][0] - at), 1 << 20));
            assert_true(http_repair_gap(r, 100 + holes[h][0], holes[h][1] - holes[h][0], 1 << 20));
            at = holes[h][1];
        }
        assert_true(http_repair_data(r, 100 + at, src + at, (size_t)(N - at), 1 << 20));
        assert_false(http_repair_drain(r, &out, false));
        assert_int_equal(g.end, 1100);               /* up to the first hole */
        /* the holes' bytes, late, in random pieces (some overlapping what is there) */
        bool done = false;
        for (int k = 0; k < 400 && !done; k++) {
            int h = (int)(rnd(&seed) % 3);
            uint64_t lo = holes[h][0] > 20 ? holes[h][0] - 20 : 0;
            uint64_t a = lo + rnd(&seed) % (holes[h][1] + 20 - lo);
            size_t n = 1 + (size_t)(rnd(&seed) % 900);
            if (a + n > N)
                n = (size_t)(N - a);
            assert_true(http_repair_data(r, 100 + a, src + a, n, 1 << 20));
            done = http_repair_drain(r, &out, false);
        }
        for (int h = 0; h < 3 && !done; h++) {       /* whatever is left */
            assert_true(http_repair_data(r, 100 + holes[h][0], src + holes[h][0],
                                         (size_t)(holes[h][1] - holes[h][0]), 1 << 20));
            done = http_repair_drain(r, &out, false);
        }
        assert_true(done);
        assert_int_equal(g.end, 100 + N);
        assert_int_equal(g.gaps, 0);
        assert_memory_equal(g.b + 100, src, N);
        http_repair_free(r);
    }
}

/* Holes never filled: given as holes when drained whole; bytes before the
 * start are ignored; the caps say no. */
static void test_drain_and_caps(void **state)
{
    (void)state;
    struct got g;
    memset(&g, 0, sizeof g);
    struct http_repair_out out = { &g, on_data, on_gap };
    struct http_repair *r = http_repair_new(0);
    assert_true(http_repair_gap(r, 0, 10, 100));
    assert_true(http_repair_data(r, 10, (const uint8_t *)"abcdef", 6, 100));
    assert_true(http_repair_gap(r, 20, 5, 100));                 /* [16, 25) missing: 16..19 not seen */
    assert_true(http_repair_data(r, 25, (const uint8_t *)"xyz", 3, 100));
    assert_true(http_repair_data(r, 3, (const uint8_t *)"DEF", 3, 100));    /* fills a middle piece */
    assert_false(http_repair_drain(r, &out, false));
    assert_int_equal(g.end, 0);
    assert_int_equal(http_repair_bytes(r), 28);
    assert_false(http_repair_data(r, 28, (const uint8_t *)"q", 100, 100));  /* past the cap */
    assert_true(http_repair_drain(r, &out, true));
    assert_int_equal(g.end, 28);
    assert_memory_equal(g.b, "###DEF####abcdef#########xyz", 28);
    assert_int_equal(g.gaps, 3);
    http_repair_free(r);

    r = http_repair_new(50);
    assert_false(http_repair_gap(r, 50, 1000, 100));             /* a hole past the cap */
    assert_false(http_repair_data(r, 2000, (const uint8_t *)"q", 1, 100));
    memset(&g, 0, sizeof g);                                     /* refused: nothing kept, */
    g.end = 50;                                                  /* (the caller gives the hole) */
    assert_true(http_repair_drain(r, &out, true));
    assert_int_equal(g.end, 50);
    assert_int_equal(g.gaps, 0);
    http_repair_free(r);
    r = http_repair_new(0);
    for (unsigned i = 0; i < HTTP_REPAIR_RANGES; i++)
        assert_true(http_repair_gap(r, 2 * i + 1, 1, 1000) && http_repair_data(r, 2 * i + 2, (const uint8_t *)"z", 1, 1000));
    assert_false(http_repair_gap(r, 1000, 1, 100000));           /* one hole too many */
    http_repair_shift(r, 10);
    memset(&g, 0, sizeof g);
    g.end = 10;
    assert_true(http_repair_drain(r, &out, true));
    assert_int_equal(g.gaps, HTTP_REPAIR_RANGES);                /* [0,2), then every odd byte */
    http_repair_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_any_order),
        cmocka_unit_test(test_drain_and_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
