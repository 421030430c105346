/* test_pktring.c - the ring between the capture thread and capture_next:
 * records come out as they went in, in order, across every wrap; a full
 * ring refuses (never overwrites); sizes; and a producer thread against a
 * consumer thread, every byte checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/pktring.h"

/* The bytes of record number i: a pattern that differs per record and
 * per offset, so a record read from the wrong place cannot pass. */
static uint8_t pat(uint64_t i, size_t k) { return (uint8_t)(i * 131 + k * 7 + (k >> 8)); }

static uint32_t len_of(uint64_t i, uint32_t max)
{
    uint64_t x = i * 2654435761u;
    return (uint32_t)((x >> 7) % (max + 1));    /* 0..max, 0 included */
}

static void put_rec(struct pktring *r, uint64_t i, uint32_t len)
{
    uint8_t *d = pktring_reserve(r, len);
    assert_non_null(d);
    for (uint32_t k = 0; k < len; k++) d[k] = pat(i, k);
    struct pktring_rec h = { (int64_t)i * 1000, len, len + 4 };
    pktring_commit(r, &h);
}

static void get_rec(struct pktring *r, uint64_t i, uint32_t len)
{
    struct pktring_rec h;
    const uint8_t *d;
    assert_true(pktring_peek(r, &h, &d));
    assert_int_equal(h.ts_us, (int64_t)i * 1000);
    assert_int_equal(h.caplen, len);
    assert_int_equal(h.wirelen, len + 4);
    for (uint32_t k = 0; k < len; k++)
        if (d[k] != pat(i, k)) fail_msg("record %llu byte %u differs", (unsigned long long)i, k);
    pktring_release(r);
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(pktring_rec_bytes(0), 16);
    assert_int_equal(pktring_rec_bytes(1), 24);
    assert_int_equal(pktring_rec_bytes(8), 24);
    assert_int_equal(pktring_rec_bytes(9), 32);
    assert_int_equal(pktring_min_bytes(1500), 2 * (16 + 1504));
    struct pktring *r = pktring_new(10, 1500);       /* raised to the minimum */
    assert_non_null(r);
    assert_int_equal(pktring_size(r), pktring_min_bytes(1500));
    pktring_free(r);
    r = pktring_new(100001, 64);                     /* rounded up to a multiple of 8 */
    assert_int_equal(pktring_size(r), 100008);
    assert_null(pktring_reserve(r, 65));             /* over max_caplen */
    pktring_free(r);
    pktring_free(NULL);
}

static void test_fifo_and_full(void **state)
{
    (void)state;
    struct pktring *r = pktring_new(1024, 200);
    struct pktring_rec h;
    const uint8_t *d;
    assert_false(pktring_peek(r, &h, &d));
    assert_int_equal(pktring_used(r), 0);
    /* 1024 bytes hold 4 records of 200 (216 bytes each), not 5 */
    for (uint64_t i = 0; i < 4; i++) put_rec(r, i, 200);
    assert_int_equal(pktring_used(r), 4 * 216);
    assert_null(pktring_reserve(r, 200));
    assert_null(pktring_reserve(r, 200));            /* refusing changes nothing */
    assert_non_null(pktring_reserve(r, 100));        /* 160 left: 116 fits */
    get_rec(r, 0, 200);
    /* the record reserved above was never committed: the next reserve
     * starts at the same place, and the consumer never sees it */
    put_rec(r, 4, 100);
    /* 256 bytes free: 40 at the end (a wrap marker) + 216 at the start */
    put_rec(r, 5, 200);
    assert_int_equal(pktring_used(r), 1024);
    assert_null(pktring_reserve(r, 0));
    for (uint64_t i = 1; i < 4; i++) get_rec(r, i, 200);
    get_rec(r, 4, 100);
    get_rec(r, 5, 200);
    assert_false(pktring_peek(r, &h, &d));
    assert_int_equal(pktring_used(r), 0);
    assert_int_equal(pktring_published(r), 6);
    assert_int_equal(pktring_released(r), 6);
    pktring_release(r);                              /* nothing peeked: no-op */
    assert_int_equal(pktring_released(r), 6);
    pktring_free(r);
}

/* Every length from 0 to max, in a ring barely above its minimum, so that
 * records wrap at every possible distance from the end (marker or none). */
static void test_wraps(void **state)
{
    (void)state;
    const uint32_t max = 61;
    struct pktring *r = pktring_new(pktring_min_bytes(max) + 40, max);
    uint64_t in = 0, out = 0;
    for (int round = 0; round < 20000; round++) {
        uint32_t len = len_of(in, max);
        if (pktring_reserve(r, len)) {
            put_rec(r, in, len);
            in++;
        }
        /* take one out on two rounds of three, so the ring fills and empties */
        if (round % 3 != 0 && out < in) {
            get_rec(r, out, len_of(out, max));
            out++;
        }
        if (in == out) assert_int_equal(pktring_used(r), 0);
    }
    while (out < in) { get_rec(r, out, len_of(out, max)); out++; }
    assert_true(in > 10000);
    pktring_free(r);
}

/* ---- two threads ---- */

#define N_THREADED 300000
#define MAX_THREADED 1600

struct shared {
    struct pktring *r;
    uint64_t full;              /* times the producer found the ring full */
};

static void *producer(void *arg)
{
    struct shared *s = arg;
    for (uint64_t i = 0; i < N_THREADED; i++) {
        uint32_t len = len_of(i, MAX_THREADED);
        uint8_t *d;
        while (!(d = pktring_reserve(s->r, len))) { s->full++; sched_yield(); }
        for (uint32_t k = 0; k < len; k++) d[k] = pat(i, k);
        struct pktring_rec h = { (int64_t)i * 1000, len, len + 4 };
        pktring_commit(s->r, &h);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct shared s = { pktring_new(64 * 1024, MAX_THREADED), 0 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &s), 0);
    uint64_t i = 0, empty = 0;
    while (i < N_THREADED) {
        struct pktring_rec h;
        const uint8_t *d;
        if (!pktring_peek(s.r, &h, &d)) { empty++; sched_yield(); continue; }
        uint32_t len = len_of(i, MAX_THREADED);
        if (h.caplen != len || h.ts_us != (int64_t)i * 1000)
            fail_msg("record %llu: caplen %u ts %lld", (unsigned long long)i, h.caplen,
                     (long long)h.ts_us);
        for (uint32_t k = 0; k < len; k++)
            if (d[k] != pat(i, k)) fail_msg("record %llu byte %u differs", (unsigned long long)i, k);
        pktring_release(s.r);
        i++;
    }
    pthread_join(t, NULL);
    assert_int_equal(pktring_used(s.r), 0);
    assert_int_equal(pktring_published(s.r), N_THREADED);
    print_message("threads: %d records, producer found the ring full %llu times, consumer "
                  "found it empty %llu times\n", N_THREADED, (unsigned long long)s.full,
                  (unsigned long long)empty);
    pktring_free(s.r);
}

/* A ring that empties starts again at its beginning: at a rate the consumer
 * keeps up with, only the first records' pages are ever touched. */
static void test_restart_when_empty(void **state)
{
    (void)state;
    struct pktring *r = pktring_new(8 << 20, 1500);     /* restarts 1 MiB in */
    struct pktring_rec h;
    const uint8_t *first = NULL, *d;
    size_t rec = pktring_rec_bytes(1500), at = ((size_t)1 << 20) / rec * rec;
    if (at < ((size_t)1 << 20)) at += rec;
    for (uint64_t i = 0; i < 20000; i++) {
        put_rec(r, i, 1500);
        assert_int_equal(pktring_used(r), rec);
        assert_true(pktring_peek(r, &h, &d));
        if (!first) first = d;
        assert_true(d >= first && d < first + at);
        get_rec(r, i, 1500);
    }
    /* with a backlog, records go on one after the other */
    for (uint64_t i = 0; i < 1000; i++) put_rec(r, i, 1500);
    assert_int_equal(pktring_used(r), 1000 * rec);
    for (uint64_t i = 0; i < 1000; i++) {
        assert_true(pktring_peek(r, &h, &d));
        if (i) assert_ptr_equal(d, first + i * rec);
        else first = d;
        get_rec(r, i, 1500);
    }
    pktring_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_fifo_and_full),
        cmocka_unit_test(test_wraps),
        cmocka_unit_test(test_restart_when_empty),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
