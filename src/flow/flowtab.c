/* flowtab.c - see flowtab.h */
#include "flow/flowtab.h"
#include "util/list.h"

void flowtab_init(struct flowtab *t)
{
    htab_init(&t->h, 1024, (size_t)1 << 40);
    t->seed = hash_seed();
}

void flowtab_release(struct flowtab *t)
{
    htab_release(&t->h);
}

uint32_t flowtab_hash(const struct flowtab *t, const struct flowkey *k)
{
    return flowkey_hash(k, t->seed);
}

struct flow *flowtab_find(const struct flowtab *t, const struct flowkey *k, uint32_t h)
{
    for (struct hnode *n = htab_bucket(&t->h, h); n; n = n->next) {
        struct flow *f = container_of(n, struct flow, hn);
        if (n->hash == h && flowkey_eq(&f->key, k))
            return f;
    }
    return NULL;
}

void flowtab_insert(struct flowtab *t, struct flow *f)
{
    htab_insert(&t->h, &f->hn, f->hash);
}

void flowtab_remove(struct flowtab *t, struct flow *f)
{
    htab_remove(&t->h, &f->hn);
}
