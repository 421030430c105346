/* htab.c - see htab.h */
#include "util/htab.h"
#include "util/xalloc.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void htab_init(struct htab *t, size_t nb, size_t max_nb)
{
    t->nb = nb ? nb : 1;
    t->max_nb = max_nb < t->nb ? t->nb : max_nb;
    t->n = 0;
    t->b = xcalloc(t->nb, sizeof t->b[0]);
}

void htab_release(struct htab *t)
{
    free(t->b);
    t->b = NULL;
    t->nb = t->n = 0;
}

static void grow(struct htab *t)
{
    size_t nb = t->nb * 2;
    struct hnode **b = xcalloc(nb, sizeof b[0]);
    for (size_t i = 0; i < t->nb; i++) {
        for (struct hnode *x = t->b[i], *nx; x; x = nx) {
            nx = x->next;
            size_t j = x->hash & (nb - 1);
            x->next = b[j];
            b[j] = x;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

void htab_insert(struct htab *t, struct hnode *x, uint64_t h)
{
    if (t->n >= t->nb && t->nb < t->max_nb)
        grow(t);
    x->hash = h;
    size_t j = h & (t->nb - 1);
    x->next = t->b[j];
    t->b[j] = x;
    t->n++;
}

void htab_remove(struct htab *t, struct hnode *x)
{
    struct hnode **pp = &t->b[x->hash & (t->nb - 1)];
    while (*pp && *pp != x)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = x->next;
        t->n--;
    }
    x->next = NULL;
}

void htab_drain(struct htab *t, void (*fn)(void *arg, struct hnode *x), void *arg)
{
    for (size_t i = 0; i < t->nb; i++) {
        struct hnode *x = t->b[i];
        t->b[i] = NULL;
        while (x) {
            struct hnode *nx = x->next;
            x->next = NULL;
            t->n--;
            fn(arg, x);
            x = nx;
        }
    }
}

uint64_t hash_seed(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
        s = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
    return s;
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t h = hash_mix(seed, n);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = hash_mix(h, w);
        b += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, b, n);
        h = hash_mix(h, w);
    }
    return hash_mix(h, seed >> 17);
}
