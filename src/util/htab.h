/* htab.h - an intrusive chained hash table, and the hash functions.
 *
 * Embed a struct hnode in what you store; the table holds only buckets.
 * The caller computes the hash (hash_bytes with a per-table seed from
 * hash_seed(), so that crafted traffic can only lengthen chains by chance)
 * and compares keys itself while walking a bucket:
 *
 *     for (struct hnode *n = htab_bucket(t, h); n; n = n->next)
 *         if (n->hash == h && key_eq(container_of(n, ...), key)) ...
 *
 * The table doubles when it holds more entries than buckets, up to
 * max_buckets; it never shrinks.
 */
#ifndef TCPFLOW_UTIL_HTAB_H
#define TCPFLOW_UTIL_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
    struct hnode *next;
    uint64_t hash;
};

struct htab {
    struct hnode **b;
    size_t nb;              /* buckets, a power of two */
    size_t n;               /* entries */
    size_t max_nb;
};

/* nb, max_nb: powers of two (max_nb >= nb). */
void htab_init(struct htab *t, size_t nb, size_t max_nb);
/* Frees the buckets only. */
void htab_release(struct htab *t);

/* Link x with hash h (x must not be linked). */
void htab_insert(struct htab *t, struct hnode *x, uint64_t h);
/* Unlink x (a no-op when x is not linked). */
void htab_remove(struct htab *t, struct hnode *x);

/* The chain that holds hash h. */
static inline struct hnode *htab_bucket(const struct htab *t, uint64_t h)
{
    return t->b[h & (t->nb - 1)];
}

/* Unlink every entry, calling fn(arg, x) on each (fn may free x). */
void htab_drain(struct htab *t, void (*fn)(void *arg, struct hnode *x), void *arg);

/* A random seed for a table (from getrandom, else time and pid). */
uint64_t hash_seed(void);
/* One round of mixing: fold w into h. */
static inline uint64_t hash_mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return h;
}
/* Hash n bytes with seed. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
