/* Unit tests for reasm: placement tables (in order, reordered, duplicate,
 * overlaps under both policies, gaps, wrap, prepend, range cap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "flow/reasm.h"

/* A tiny "file": what the emits wrote. */
struct img { uint8_t b[256]; uint64_t len; int emits; };

static void put(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    struct img *im = arg;
    assert_true(off + n <= sizeof im->b);
    memcpy(im->b + off, p, n);
    if (off + n > im->len) im->len = off + n;
    im->emits++;
}

struct seg { uint32_t rel; const char *data; };   /* rel: offset from ISN+1 */

static void run(enum reasm_policy pol, const struct seg *s, size_t n, const char *want,
                uint64_t want_dup)
{
    struct reasm rs;
    struct img im = { { 0 }, 0, 0 };
    uint64_t dup = 0;
    const uint32_t isn = 0xfffffff0u;    /* every table also crosses the wrap */
    reasm_init(&rs, isn, true);
    for (size_t i = 0; i < n; i++) {
        struct reasm_result r;
        int64_t off = reasm_offset(&rs, isn + 1 + s[i].rel);
        assert_int_equal(off, s[i].rel);
        reasm_add(&rs, (uint64_t)off, (const uint8_t *)s[i].data, strlen(s[i].data), pol, put, &im, &r);
        dup += r.dup_bytes;
    }
    assert_int_equal(im.len, strlen(want));
    assert_memory_equal(im.b, want, strlen(want));
    assert_int_equal(dup, want_dup);
    assert_int_equal(rs.hi, strlen(want));
    reasm_release(&rs);
}

static void t_in_order(void **st)
{
    const struct seg s[] = { { 0, "AAAA" }, { 4, "BBBB" }, { 8, "CCCC" } };
    run(REASM_FIRST, s, 3, "AAAABBBBCCCC", 0);
}

static void t_reordered(void **st)
{
    const struct seg s[] = { { 4, "BBBB" }, { 0, "AAAA" }, { 8, "CCCC" } };
    run(REASM_FIRST, s, 3, "AAAABBBBCCCC", 0);
}

static void t_duplicate(void **st)
{
    const struct seg s[] = { { 0, "AAAA" }, { 0, "AAAA" }, { 4, "BBBB" } };
    run(REASM_FIRST, s, 3, "AAAABBBB", 4);
}

static void t_overlap_first(void **st)
{
    /* SPEC 3.3 overlap.pcap: 1.6.1 gives AAyyXXXXXXXX; first-wins keeps stored bytes */
    const struct seg s[] = { { 0, "AAAAAAAA" }, { 4, "XXXXXXXX" }, { 2, "yy" } };
    run(REASM_FIRST, s, 3, "AAAAAAAAXXXX", 6);
}

static void t_overlap_last(void **st)
{
    const struct seg s[] = { { 0, "AAAAAAAA" }, { 4, "XXXXXXXX" }, { 2, "yy" } };
    run(REASM_LAST, s, 3, "AAyyXXXXXXXX", 6);
}

static void t_overlap_spanning_holes(void **st)
{
    /* a segment covering two holes and two stored runs */
    const struct seg s[] = { { 2, "bb" }, { 6, "dd" }, { 0, "AABBCCDDEE" } };
    run(REASM_FIRST, s, 3, "AAbbCCddEE", 4);
}

static void t_gap(void **st)
{
    struct reasm rs;
    struct img im = { { 0 }, 0, 0 };
    struct reasm_result r;
    reasm_init(&rs, 1000, true);
    reasm_add(&rs, 0, (const uint8_t *)"AAAA", 4, REASM_FIRST, put, &im, &r);
    reasm_add(&rs, 10, (const uint8_t *)"CCCC", 4, REASM_FIRST, put, &im, &r);
    assert_int_equal(rs.hi, 14);
    assert_int_equal(reasm_gap_bytes(&rs), 6);
    assert_false(reasm_covered(&rs, 14));
    assert_true(reasm_covered(&rs, 4));
    reasm_add(&rs, 4, (const uint8_t *)"BBBBBB", 6, REASM_FIRST, put, &im, &r);
    assert_true(reasm_covered(&rs, 14));
    assert_int_equal(rs.nr, 1);
    assert_memory_equal(im.b, "AAAABBBBBBCCCC", 14);
    reasm_release(&rs);
}

static void t_prepend(void **st)
{
    /* SPEC midstream.pcap: MIDDLE@10, END@16, then 0123456789@0 */
    struct reasm rs;
    reasm_init(&rs, 5000 + 10 - 1, false);       /* first byte seen (seq 5010) is offset 0 */
    struct img im = { { 0 }, 0, 0 };
    struct reasm_result r;
    reasm_add(&rs, (uint64_t)reasm_offset(&rs, 5010), (const uint8_t *)"MIDDLE", 6, REASM_FIRST, put, &im, &r);
    reasm_add(&rs, (uint64_t)reasm_offset(&rs, 5016), (const uint8_t *)"END", 3, REASM_FIRST, put, &im, &r);
    int64_t off = reasm_offset(&rs, 5000);
    assert_int_equal(off, -10);
    reasm_prepend(&rs, 10);
    assert_int_equal(reasm_offset(&rs, 5000), 0);
    assert_int_equal(rs.hi, 19);
    assert_int_equal(rs.r[0].start, 10);
    reasm_add(&rs, 0, (const uint8_t *)"0123456789", 10, REASM_FIRST, put, &im, &r);
    assert_true(reasm_covered(&rs, 19));
    reasm_release(&rs);
}

static void t_offset_far(void **st)
{
    /* offsets past 4 GiB: hi carries the high bits */
    struct reasm rs;
    reasm_init(&rs, 7, true);
    rs.hi = (5ull << 32) + 100;
    uint32_t seq = 7 + 1 + (uint32_t)rs.hi;
    assert_int_equal(reasm_offset(&rs, seq), (int64_t)rs.hi);
    assert_int_equal(reasm_offset(&rs, seq - 50), (int64_t)rs.hi - 50);
    assert_int_equal(reasm_offset(&rs, seq + 1000), (int64_t)rs.hi + 1000);
}

static void count_emit(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
    *(uint64_t *)arg += n;
}

static void t_range_cap(void **st)
{
    /* more disjoint ranges than the cap: some are forgotten, none lost */
    struct reasm rs;
    reasm_init(&rs, 0, true);
    static uint8_t big[4 * REASM_MAX_RANGES + 8];
    struct reasm_result r;
    uint64_t emitted = 0;
    for (uint32_t i = 0; i < REASM_MAX_RANGES + 10; i++) {
        reasm_add(&rs, (uint64_t)i * 4, big, 1, REASM_FIRST, count_emit, &emitted, &r);
        assert_int_equal(r.new_bytes, 1);
    }
    assert_int_equal(emitted, REASM_MAX_RANGES + 10);
    assert_true(rs.nr <= REASM_MAX_RANGES);
    assert_true(rs.forgotten >= 10);
    /* a forgotten byte offered again is written again (never lost) */
    reasm_add(&rs, 0, big, 1, REASM_FIRST, count_emit, &emitted, &r);
    assert_true(r.new_bytes <= 1);
    reasm_release(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_in_order), cmocka_unit_test(t_reordered), cmocka_unit_test(t_duplicate),
        cmocka_unit_test(t_overlap_first), cmocka_unit_test(t_overlap_last),
        cmocka_unit_test(t_overlap_spanning_holes), cmocka_unit_test(t_gap), cmocka_unit_test(t_prepend),
        cmocka_unit_test(t_offset_far), cmocka_unit_test(t_range_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
