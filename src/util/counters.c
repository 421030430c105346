/* counters.c - names and printing of the drop/skip counters. */
#include "util/counters.h"
#include <inttypes.h>

static const char *const texts[C__COUNT] = {
#define X(id, text) text,
    COUNTER_LIST(X)
#undef X
};

const char *counter_text(enum counter_id id)
{
    return (unsigned)id < C__COUNT ? texts[id] : "?";
}

void counters_print(const struct counters *c, FILE *f)
{
    for (int i = 0; i < C__COUNT; i++)
        if (c->n[i])
            fprintf(f, "  %12" PRIu64 " %s\n", c->n[i], texts[i]);
}

void counters_add(struct counters *dst, const struct counters *src)
{
    for (int i = 0; i < C__COUNT; i++)
        dst->n[i] += src->n[i];
}
