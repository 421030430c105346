/* test_flowtab.c - the flow table: insert/find/remove, keys that differ in
 * one field, forced hash collisions (chains), many entries and growth,
 * the reverse key, per-table seeds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "flow/flowtab.h"

static void key4(struct flowkey *k, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    memset(k, 0, sizeof *k);
    k->family = 4;
    k->src[0] = (uint8_t)(src >> 24); k->src[1] = (uint8_t)(src >> 16);
    k->src[2] = (uint8_t)(src >> 8);  k->src[3] = (uint8_t)src;
    k->dst[0] = (uint8_t)(dst >> 24); k->dst[1] = (uint8_t)(dst >> 16);
    k->dst[2] = (uint8_t)(dst >> 8);  k->dst[3] = (uint8_t)dst;
    k->sport = sport;
    k->dport = dport;
}

static struct flow *mk(struct flowtab *t, const struct flowkey *k)
{
    struct flow *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->key = *k;
    f->hash = flowtab_hash(t, k);
    return f;
}

static struct flow *find(const struct flowtab *t, const struct flowkey *k)
{
    return flowtab_find(t, k, flowtab_hash(t, k));
}

/* Every flow in the table is in the bucket its hash names, and n matches. */
static void check_invariants(const struct flowtab *t)
{
    assert_true(t->h.nb >= 1024);
    assert_int_equal(t->h.nb & (t->h.nb - 1), 0);     /* power of two */
    size_t n = 0;
    for (size_t i = 0; i < t->h.nb; i++)
        for (const struct hnode *x = t->h.b[i]; x; x = x->next) {
            const struct flow *f = container_of(x, struct flow, hn);
            assert_int_equal(f->hash & (t->h.nb - 1), i);
            n++;
        }
    assert_int_equal(n, t->h.n);
}

static void test_init_release(void **st)
{
    (void)st;
    struct flowtab t;
    memset(&t, 0xa5, sizeof t);
    flowtab_init(&t);
    assert_non_null(t.h.b);
    assert_int_equal(t.h.nb, 1024);
    assert_int_equal(t.h.n, 0);
    for (size_t i = 0; i < t.h.nb; i++)
        assert_null(t.h.b[i]);
    struct flowkey k;
    key4(&k, 0x0a000001, 1, 0x0a000002, 2);
    assert_null(find(&t, &k));
    flowtab_release(&t);
    assert_null(t.h.b);
    assert_int_equal(t.h.nb, 0);
    assert_int_equal(t.h.n, 0);
}

static void test_insert_find_remove(void **st)
{
    (void)st;
    struct flowtab t;
    flowtab_init(&t);
    struct flowkey k1, k2;
    key4(&k1, 0x0a000001, 1234, 0x0a000002, 80);
    key4(&k2, 0x0a000002, 80, 0x0a000001, 1234);
    struct flow *a = mk(&t, &k1);
    flowtab_insert(&t, a);
    assert_int_equal(t.h.n, 1);
    assert_ptr_equal(find(&t, &k1), a);
    assert_null(find(&t, &k2));            /* the other direction is another key */
    struct flow *b = mk(&t, &k2);
    flowtab_insert(&t, b);
    assert_int_equal(t.h.n, 2);
    assert_ptr_equal(find(&t, &k1), a);
    assert_ptr_equal(find(&t, &k2), b);
    check_invariants(&t);

    flowtab_remove(&t, a);
    assert_int_equal(t.h.n, 1);
    assert_null(a->hn.next);
    assert_null(find(&t, &k1));
    assert_ptr_equal(find(&t, &k2), b);
    /* insert again after removal */
    flowtab_insert(&t, a);
    assert_ptr_equal(find(&t, &k1), a);
    flowtab_remove(&t, b);
    flowtab_remove(&t, a);
    assert_int_equal(t.h.n, 0);
    assert_null(find(&t, &k1));
    assert_null(find(&t, &k2));
    check_invariants(&t);
    free(a);
    free(b);
    flowtab_release(&t);
}

/* Keys that differ in a single field are different flows. */
static void test_key_fields(void **st)
{
    (void)st;
    struct flowtab t;
    flowtab_init(&t);
    struct flowkey base, v[8];
    key4(&base, 0x0a000001, 1234, 0x0a000002, 80);
    for (int i = 0; i < 8; i++) v[i] = base;
    v[0].sport = 1235;
    v[1].dport = 81;
    v[2].src[3] = 9;
    v[3].dst[3] = 9;
    v[4].family = 6;                       /* same bytes, other family */
    v[5].src[15] = 1;                      /* a byte IPv4 does not use */
    v[6].dst[8] = 1;
    v[7].sport = 80; v[7].dport = 1234;    /* ports swapped, addresses not */
    struct flow *fb = mk(&t, &base);
    flowtab_insert(&t, fb);
    struct flow *fv[8];
    for (int i = 0; i < 8; i++) {
        assert_null(find(&t, &v[i]));
        fv[i] = mk(&t, &v[i]);
        flowtab_insert(&t, fv[i]);
    }
    assert_int_equal(t.h.n, 9);
    assert_ptr_equal(find(&t, &base), fb);
    for (int i = 0; i < 8; i++)
        assert_ptr_equal(find(&t, &v[i]), fv[i]);
    /* find with a wrong hash does not find the flow */
    assert_null(flowtab_find(&t, &base, fb->hash ^ 1u));
    for (int i = 0; i < 8; i++) {
        flowtab_remove(&t, fv[i]);
        free(fv[i]);
    }
    assert_ptr_equal(find(&t, &base), fb);
    flowtab_remove(&t, fb);
    free(fb);
    assert_int_equal(t.h.n, 0);
    flowtab_release(&t);
}

/* Flows with the same hash share a chain: any one can be removed, the
 * others stay findable (head, middle, tail). */
static void test_collisions(void **st)
{
    (void)st;
    struct flowtab t;
    flowtab_init(&t);
    enum { N = 6 };
    struct flowkey k[N];
    struct flow *f[N];
    for (int i = 0; i < N; i++) {
        key4(&k[i], 0xc0a80001, (uint16_t)(1000 + i), 0xc0a80002, 443);
        f[i] = mk(&t, &k[i]);
        f[i]->hash = 0x12345678u;            /* all in one bucket, same hash */
        flowtab_insert(&t, f[i]);
    }
    for (int i = 0; i < N; i++)
        assert_ptr_equal(flowtab_find(&t, &k[i], 0x12345678u), f[i]);
    /* the same bucket, another hash: not found */
    assert_null(flowtab_find(&t, &k[0], 0x12345678u + (uint32_t)t.h.nb));
    check_invariants(&t);
    int order[N] = { 2, 5, 0, 4, 1, 3 };     /* middle, head (last inserted), tail... */
    for (int j = 0; j < N; j++) {
        int r = order[j];
        flowtab_remove(&t, f[r]);
        assert_int_equal(t.h.n, (size_t)(N - j - 1));
        assert_null(flowtab_find(&t, &k[r], 0x12345678u));
        for (int i = 0; i < N; i++) {
            bool gone = false;
            for (int m = 0; m <= j; m++) gone |= order[m] == i;
            if (!gone) assert_ptr_equal(flowtab_find(&t, &k[i], 0x12345678u), f[i]);
        }
        check_invariants(&t);
    }
    for (int i = 0; i < N; i++) free(f[i]);
    flowtab_release(&t);
}

/* Keys with the same hash that differ in one field only are told apart by
 * the key comparison itself. */
static void test_collisions_each_field(void **st)
{
    (void)st;
    struct flowtab t;
    flowtab_init(&t);
    struct flowkey base, v[7];
    key4(&base, 0x0a000001, 1234, 0x0a000002, 80);
    for (int i = 0; i < 7; i++) v[i] = base;
    v[0].sport = 1;
    v[1].dport = 1;
    v[2].src[0] = 11;
    v[3].dst[0] = 11;
    v[4].family = 6;
    v[5].src[15] = 1;
    v[6].dst[15] = 1;
    struct flow *fb = mk(&t, &base);
    fb->hash = 77;
    flowtab_insert(&t, fb);
    for (int i = 0; i < 7; i++) {
        assert_null(flowtab_find(&t, &v[i], 77));
        struct flow *f = mk(&t, &v[i]);
        f->hash = 77;
        flowtab_insert(&t, f);
        assert_ptr_equal(flowtab_find(&t, &v[i], 77), f);
        assert_ptr_equal(flowtab_find(&t, &base, 77), fb);
        flowtab_remove(&t, f);
        free(f);
    }
    flowtab_remove(&t, fb);
    free(fb);
    assert_int_equal(t.h.n, 0);
    flowtab_release(&t);
}

/* Many entries: the table doubles when the load passes 1, everything stays
 * findable across growth, removals leave the others. */
static void test_many_and_growth(void **st)
{
    (void)st;
    struct flowtab t;
    flowtab_init(&t);
    enum { N = 100000 };
    struct flow **f = calloc(N, sizeof *f);
    assert_non_null(f);
    size_t last_nb = t.h.nb;
    int grows = 0;
    for (uint32_t i = 0; i < N; i++) {
        struct flowkey k;
        /* many flows between two hosts, differing in ports only, and many hosts */
        if (i % 2)
            key4(&k, 0x0a000001, (uint16_t)(i / 2 % 65536), 0x0a000002, (uint16_t)(80 + i / 131072));
        else
            key4(&k, 0x0b000000 + i, 5555, 0x0c000000 + i * 7, 80);
        assert_null(find(&t, &k));
        f[i] = mk(&t, &k);
        flowtab_insert(&t, f[i]);
        assert_int_equal(t.h.n, i + 1);
        assert_true(t.h.n <= t.h.nb);           /* load never above 1 */
        if (t.h.nb != last_nb) {
            assert_int_equal(t.h.nb, last_nb * 2);
            last_nb = t.h.nb;
            grows++;
        }
        if (i == 1023) assert_int_equal(t.h.nb, 1024);
        if (i == 1024) assert_int_equal(t.h.nb, 2048);    /* the 1025th grows */
    }
    assert_int_equal(t.h.nb, 131072);
    assert_int_equal(grows, 7);
    check_invariants(&t);
    for (uint32_t i = 0; i < N; i++)
        assert_ptr_equal(find(&t, &f[i]->key), f[i]);

    /* the hash spreads the keys: no chain is long */
    size_t longest = 0;
    for (size_t b = 0; b < t.h.nb; b++) {
        size_t len = 0;
        for (struct hnode *x = t.h.b[b]; x; x = x->next) len++;
        if (len > longest) longest = len;
    }
    assert_true(longest <= 16);

    /* remove every third one */
    for (uint32_t i = 0; i < N; i += 3) {
        flowtab_remove(&t, f[i]);
        assert_null(f[i]->hn.next);
    }
    size_t left = N - (N + 2) / 3;
    assert_int_equal(t.h.n, left);
    check_invariants(&t);
    for (uint32_t i = 0; i < N; i++) {
        if (i % 3 == 0) assert_null(find(&t, &f[i]->key));
        else assert_ptr_equal(find(&t, &f[i]->key), f[i]);
    }
    /* and the rest */
    for (uint32_t i = 0; i < N; i++)
        if (i % 3) flowtab_remove(&t, f[i]);
    assert_int_equal(t.h.n, 0);
    check_invariants(&t);
    for (uint32_t i = 0; i < N; i++) free(f[i]);
    free(f);
    flowtab_release(&t);
}

static void test_ipv6_keys(void **st)
{
    (void)st;
    struct flowtab t;
    flowtab_init(&t);
    enum { N = 3000 };
    struct flow *f[N];
    for (int i = 0; i < N; i++) {
        struct flowkey k;
        memset(&k, 0, sizeof k);
        k.family = 6;
        k.src[0] = 0x20; k.src[1] = 0x01;
        k.src[14] = (uint8_t)(i >> 8); k.src[15] = (uint8_t)i;
        k.dst[0] = 0xfe; k.dst[1] = 0x80; k.dst[15] = 1;
        k.sport = 443;
        k.dport = 50000;
        f[i] = mk(&t, &k);
        flowtab_insert(&t, f[i]);
    }
    assert_int_equal(t.h.nb, 4096);
    for (int i = 0; i < N; i++) {
        struct flowkey k = f[i]->key;
        assert_ptr_equal(find(&t, &k), f[i]);
        k.src[15] ^= 0x80;          /* a neighbour's key (or nobody's) */
        struct flow *o = find(&t, &k);
        assert_true(o != f[i]);
    }
    for (int i = 0; i < N; i++) {
        flowtab_remove(&t, f[i]);
        free(f[i]);
    }
    assert_int_equal(t.h.n, 0);
    flowtab_release(&t);
}

static void test_hash(void **st)
{
    (void)st;
    struct flowtab t1, t2;
    flowtab_init(&t1);
    flowtab_init(&t2);
    struct flowkey a, b;
    key4(&a, 0x0a000001, 1234, 0x0a000002, 80);
    b = a;
    /* a function of the key (all of it) */
    assert_int_equal(flowtab_hash(&t1, &a), flowtab_hash(&t1, &b));
    int differ = 0;
    for (int i = 0; i < 16; i++) {
        b = a;
        b.sport = (uint16_t)(b.sport + 1 + i);
        if (flowtab_hash(&t1, &a) != flowtab_hash(&t1, &b)) differ++;
    }
    assert_true(differ >= 15);
    /* each table has its own seed: the same keys hash differently */
    differ = 0;
    for (int i = 0; i < 16; i++) {
        b = a;
        b.dport = (uint16_t)i;
        if (flowtab_hash(&t1, &b) != flowtab_hash(&t2, &b)) differ++;
    }
    assert_true(differ >= 15);
    flowtab_release(&t1);
    flowtab_release(&t2);
}

static void test_reverse(void **st)
{
    (void)st;
    struct flowkey k, r, rr;
    memset(&k, 0, sizeof k);
    k.family = 6;
    for (int i = 0; i < 16; i++) {
        k.src[i] = (uint8_t)i;
        k.dst[i] = (uint8_t)(0xf0 + i);
    }
    k.sport = 1234;
    k.dport = 80;
    flowkey_reverse(&k, &r);
    assert_int_equal(r.family, 6);
    assert_int_equal(r.sport, 80);
    assert_int_equal(r.dport, 1234);
    assert_memory_equal(r.src, k.dst, 16);
    assert_memory_equal(r.dst, k.src, 16);
    flowkey_reverse(&r, &rr);
    assert_memory_equal(&rr, &k, sizeof k);

    /* the reverse of a linked flow's key finds the other direction */
    struct flowtab t;
    flowtab_init(&t);
    struct flow *a = mk(&t, &k), *b = mk(&t, &r);
    flowtab_insert(&t, a);
    assert_null(find(&t, &r));
    flowtab_insert(&t, b);
    struct flowkey x;
    flowkey_reverse(&a->key, &x);
    assert_ptr_equal(find(&t, &x), b);
    flowkey_reverse(&b->key, &x);
    assert_ptr_equal(find(&t, &x), a);
    flowtab_remove(&t, a);
    flowtab_remove(&t, b);
    free(a);
    free(b);
    flowtab_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_release),
        cmocka_unit_test(test_insert_find_remove),
        cmocka_unit_test(test_key_fields),
        cmocka_unit_test(test_collisions),
        cmocka_unit_test(test_collisions_each_field),
        cmocka_unit_test(test_many_and_growth),
        cmocka_unit_test(test_ipv6_keys),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_reverse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
