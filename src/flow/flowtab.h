/* flowtab.h - the table of flow directions, keyed by directed 4-tuple
 * (and tunnel).
 *
 * A util/htab with a per-run random seed (hash flooding from crafted
 * traffic only lengthens chains by chance); the hash is the symmetric
 * connection hash, so a direction and its reverse share a chain.  The table
 * owns nothing but its buckets: flows are allocated and freed by the
 * caller, which links them in and out.
 */
#ifndef TCPFLOW_FLOW_FLOWTAB_H
#define TCPFLOW_FLOW_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>
#include "flow/flow.h"
#include "util/htab.h"

struct flowtab {
    struct htab h;
    uint64_t seed;
};

void flowtab_init(struct flowtab *t);
void flowtab_release(struct flowtab *t);   /* frees the buckets only */

uint32_t flowtab_hash(const struct flowtab *t, const struct flowkey *k);
/* The flow with key k (hash h), or NULL. */
struct flow *flowtab_find(const struct flowtab *t, const struct flowkey *k, uint32_t h);
/* Link f (f->key and f->hash set; no flow with that key linked). */
void flowtab_insert(struct flowtab *t, struct flow *f);
/* Unlink f (must be linked). */
void flowtab_remove(struct flowtab *t, struct flow *f);

#endif
