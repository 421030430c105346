/* test_util.c - util/htab.h (intrusive chained hash table) and util/list.h
 * (intrusive doubly linked list), as defrag and the tunnel table use them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/htab.h"
#include "util/list.h"

struct item {
    struct hnode hn;
    struct dlnode node;
    uint32_t key;
    bool freed;
};

static struct item *find(const struct htab *t, uint32_t key, uint64_t seed)
{
    uint64_t h = hash_bytes(&key, sizeof key, seed);
    for (struct hnode *n = htab_bucket(t, h); n; n = n->next) {
        struct item *it = container_of(n, struct item, hn);
        if (n->hash == h && it->key == key)
            return it;
    }
    return NULL;
}

static void test_hash_bytes(void **state)
{
    (void)state;
    uint8_t a[13] = "abcdefghijkl", b[13] = "abcdefghijkl";
    assert_true(hash_bytes(a, 13, 1) == hash_bytes(b, 13, 1));
    assert_true(hash_bytes(a, 13, 1) != hash_bytes(a, 13, 2));   /* the seed counts */
    assert_true(hash_bytes(a, 12, 1) != hash_bytes(a, 13, 1));   /* the length counts */
    b[12] = 1;
    assert_true(hash_bytes(a, 13, 1) != hash_bytes(b, 13, 1));   /* the tail byte counts */
    b[12] = 0;
    b[0] = 'x';
    assert_true(hash_bytes(a, 13, 1) != hash_bytes(b, 13, 1));
}

/* Insert 1000 keys into a table starting at 4 buckets capped at 64: every
 * key is found, the table grew to its cap and no further, removing half
 * leaves exactly the other half. */
static void test_htab_grow_find_remove(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint64_t seed = hash_seed();
    struct htab t;
    htab_init(&t, 4, 64);
    struct item *it = calloc(N, sizeof *it);
    assert_non_null(it);
    for (uint32_t i = 0; i < N; i++) {
        it[i].key = i * 7919u;
        htab_insert(&t, &it[i].hn, hash_bytes(&it[i].key, sizeof it[i].key, seed));
        assert_int_equal(t.n, i + 1);
    }
    assert_int_equal(t.nb, 64);
    for (uint32_t i = 0; i < N; i++)
        assert_ptr_equal(find(&t, i * 7919u, seed), &it[i]);
    assert_null(find(&t, 3, seed));
    for (uint32_t i = 0; i < N; i += 2)
        htab_remove(&t, &it[i].hn);
    assert_int_equal(t.n, N / 2);
    for (uint32_t i = 0; i < N; i++)
        assert_ptr_equal(find(&t, i * 7919u, seed), i % 2 ? &it[i] : NULL);
    htab_remove(&t, &it[0].hn);                /* not linked: a no-op */
    assert_int_equal(t.n, N / 2);
    htab_release(&t);
    free(it);
}

static void mark_freed(void *arg, struct hnode *x)
{
    (*(int *)arg)++;
    container_of(x, struct item, hn)->freed = true;
}

static void test_htab_drain(void **state)
{
    (void)state;
    struct htab t;
    htab_init(&t, 8, 8);
    struct item it[20];
    memset(it, 0, sizeof it);
    for (uint32_t i = 0; i < 20; i++) {
        it[i].key = i;
        htab_insert(&t, &it[i].hn, i);          /* colliding hashes: chains of 2-3 */
    }
    int n = 0;
    htab_drain(&t, mark_freed, &n);
    assert_int_equal(n, 20);
    assert_int_equal(t.n, 0);
    for (int i = 0; i < 20; i++)
        assert_true(it[i].freed);
    for (size_t b = 0; b < t.nb; b++)
        assert_null(t.b[b]);
    htab_release(&t);
}

static void check_order(const struct dlist *l, const uint32_t *want, size_t n)
{
    assert_int_equal(l->n, n);
    size_t i = 0;
    const struct dlnode *prev = NULL;
    for (const struct dlnode *x = l->head; x; x = x->next, i++) {
        assert_true(i < n);
        assert_ptr_equal(x->prev, prev);
        assert_int_equal(container_of(x, struct item, node)->key, want[i]);
        prev = x;
    }
    assert_int_equal(i, n);
    assert_ptr_equal(l->tail, prev);
}

static void test_list(void **state)
{
    (void)state;
    struct dlist l = { NULL, NULL, 0 };
    struct item it[5];
    memset(it, 0, sizeof it);
    for (uint32_t i = 0; i < 5; i++)
        it[i].key = i;
    assert_null(dlist_entry(l.head, struct item, node));
    dlist_append(&l, &it[1].node);
    dlist_append(&l, &it[2].node);
    dlist_push(&l, &it[0].node);
    check_order(&l, (const uint32_t[]){ 0, 1, 2 }, 3);
    dlist_insert_after(&l, &it[2].node, &it[4].node);     /* at the tail */
    dlist_insert_after(&l, &it[2].node, &it[3].node);     /* in the middle */
    check_order(&l, (const uint32_t[]){ 0, 1, 2, 3, 4 }, 5);
    dlist_move_tail(&l, &it[0].node);
    dlist_move_tail(&l, &it[0].node);                     /* already last: no change */
    check_order(&l, (const uint32_t[]){ 1, 2, 3, 4, 0 }, 5);
    dlist_unlink(&l, &it[3].node);
    assert_null(it[3].node.prev);
    assert_null(it[3].node.next);
    dlist_unlink(&l, &it[1].node);                        /* the head */
    dlist_unlink(&l, &it[0].node);                        /* the tail */
    check_order(&l, (const uint32_t[]){ 2, 4 }, 2);
    dlist_insert_after(&l, NULL, &it[3].node);            /* NULL: at the head */
    check_order(&l, (const uint32_t[]){ 3, 2, 4 }, 3);
    assert_ptr_equal(dlist_entry(l.head, struct item, node), &it[3]);
    dlist_unlink(&l, &it[3].node);
    dlist_unlink(&l, &it[2].node);
    dlist_unlink(&l, &it[4].node);
    check_order(&l, NULL, 0);
    assert_null(l.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_bytes),
        cmocka_unit_test(test_htab_grow_find_remove),
        cmocka_unit_test(test_htab_drain),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
