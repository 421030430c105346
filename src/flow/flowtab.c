/* flowtab.c - see flowtab.h */
#include "flow/flowtab.h"
#include "util/xalloc.h"
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

void flowtab_init(struct flowtab *t)
{
    memset(t, 0, sizeof *t);
    t->nb = 1024;
    t->b = xcalloc(t->nb, sizeof t->b[0]);
    if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != (ssize_t)sizeof t->seed)
        t->seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
}

void flowtab_release(struct flowtab *t)
{
    free(t->b);
    t->b = NULL;
    t->nb = t->n = 0;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return h;
}

uint32_t flowtab_hash(const struct flowtab *t, const struct flowkey *k)
{
    uint64_t w[5] = { 0 };
    memcpy(w, k, sizeof *k < sizeof w ? sizeof *k : sizeof w);
    uint64_t h = t->seed;
    for (int i = 0; i < 5; i++)
        h = mix(h, w[i]);
    h = mix(h, t->seed >> 17);
    return (uint32_t)(h ^ (h >> 32));
}

static inline int key_eq(const struct flowkey *a, const struct flowkey *b)
{
    return a->sport == b->sport && a->dport == b->dport && a->family == b->family &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

struct flow *flowtab_find(const struct flowtab *t, const struct flowkey *k, uint32_t h)
{
    for (struct flow *f = t->b[h & (t->nb - 1)]; f; f = f->hnext)
        if (f->hash == h && key_eq(&f->key, k))
            return f;
    return NULL;
}

static void grow(struct flowtab *t)
{
    size_t nb = t->nb * 2;
    struct flow **b = xcalloc(nb, sizeof b[0]);
    for (size_t i = 0; i < t->nb; i++) {
        struct flow *f = t->b[i];
        while (f) {
            struct flow *nx = f->hnext;
            size_t j = f->hash & (nb - 1);
            f->hnext = b[j];
            b[j] = f;
            f = nx;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

void flowtab_insert(struct flowtab *t, struct flow *f)
{
    if (t->n >= t->nb)
        grow(t);
    size_t j = f->hash & (t->nb - 1);
    f->hnext = t->b[j];
    t->b[j] = f;
    t->n++;
}

void flowtab_remove(struct flowtab *t, struct flow *f)
{
    struct flow **pp = &t->b[f->hash & (t->nb - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = f->hnext;
        t->n--;
    }
    f->hnext = NULL;
}

void flowkey_reverse(const struct flowkey *k, struct flowkey *out)
{
    *out = *k;
    out->sport = k->dport;
    out->dport = k->sport;
    memcpy(out->src, k->dst, 16);
    memcpy(out->dst, k->src, 16);
}
