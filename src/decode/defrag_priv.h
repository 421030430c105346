/* defrag_priv.h - what the parts of the fragment reassembler share
 * (defrag.c, defrag_store.c, defrag_rules.c only).
 *
 * defrag_store.c keeps datagrams in progress: their table and age list,
 * their pieces, the overlap policy, the memory they hold, the output.
 * defrag_rules.c keeps what outlives a datagram and what tells two uses of
 * one id apart: fragment records, tombstones, generations.
 * defrag.c is the interface: it decides, for each fragment, using both.
 */
#ifndef TCPFLOW_DECODE_DEFRAG_PRIV_H
#define TCPFLOW_DECODE_DEFRAG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode/defrag.h"
#include "util/htab.h"
#include "util/list.h"

#define IP_MAXPACKET 65535u
#define FRAG_MAXOFF  65528u            /* 13-bit offset field * 8 */
#define TOMB_MAX_ENTRIES 64u           /* fragments remembered per key */
#define LM_MORE 0x80000000u            /* MF bit in frec.lm */
#define MIN_BUCKETS 64u
#define MAX_BUCKETS ((size_t)1 << 22)

/* Like Linux's ipfrag_max_dist: a datagram in progress that has not seen a
 * fragment while MAX_DIST other fragments came from its source, and now gets
 * one that contradicts what it holds, is a stale datagram whose id is being
 * reused: it is dropped and the new fragment starts afresh. */
#define SRC_SLOTS 4096
#define MAX_DIST 64

struct dg_key {
    uint8_t family, proto, pad[2];
    uint32_t id;
    uint64_t zone;
    uint8_t src[16], dst[16];
};

/* Bytes [off, off+len) of the datagram; they live at data[skip..]. */
struct piece {
    struct dlnode node;                /* in dg.pieces, sorted by offset */
    uint32_t off, len;
    uint32_t skip;                     /* bytes trimmed from the front */
    uint32_t alloc;                    /* bytes allocated in data[] */
    uint32_t seq;                      /* source's fragment count when its bytes came */
    uint8_t data[];
};

/* One fragment that went into a datagram: what a late duplicate of it
 * would look like. */
struct frec {
    uint32_t off;
    uint32_t lm;                       /* length | LM_MORE */
    uint64_t hash;                     /* of the fragment's data bytes */
};

/* A tombstone: the fragments of the datagrams completed lately under key,
 * oldest first, each with the time its datagram completed. */
struct tent {
    struct frec r;
    int64_t ts;
};

struct tomb {
    struct hnode hn;                   /* in defrag.tombs */
    struct dlnode age;                 /* in defrag.tage (last update) */
    struct dg_key key;
    int64_t ts;                        /* last update */
    uint32_t n;
    struct tent *e;                    /* n entries, exactly allocated */
};

struct kframe {
    struct dlnode node;                /* in dg.frames, arrival order */
    uint32_t seq;                      /* source's fragment count when it came */
    struct defrag_frame f;
    uint8_t data[];
};

struct dg {
    struct hnode hn;                   /* in defrag.dgs */
    struct dlnode age;                 /* in defrag.age */
    struct dg_key key;
    int64_t first_ts;
    struct dlist pieces;               /* struct piece */
    uint32_t held;                     /* data bytes held (sum of piece lengths) */
    uint32_t max_end;                  /* highest byte end held */
    uint32_t end;                      /* data length, once end_known */
    bool end_known;
    uint8_t *hdr;                      /* header of the fragment holding byte 0 */
    size_t hdrlen;
    size_t nh_off;                     /* IPv6: see struct ip_pkt */
    uint8_t frag_nh;
    uint32_t nfrags;                   /* fragments accepted (duplicates too) */
    struct frec *rec;                  /* distinct fragments accepted */
    uint32_t nrec, recalloc;
    bool rec_over;                     /* more than TOMB_MAX_ENTRIES: no tombstone */
    uint32_t src_seq;                  /* the source's fragment count at our last fragment */
    /* Late join (see "Stale datagrams" in docs/internals/defrag.md): a fragment
     * that filled a gap more than MAX_DIST fragments of the source after the
     * datagram's previous one.  What came before it is an older generation. */
    bool late;
    uint32_t gen_seq;                  /* src count of the latest late join */
    uint32_t gen_nfrags;               /* nfrags before it */
    uint32_t end_seq;                  /* src count of the fragment that fixed the end */
    size_t cost;                       /* bytes charged to defrag_held_bytes */
    struct dlist frames;               /* struct kframe */
};

struct defrag {
    struct defrag_config cfg;
    struct counters *c;
    struct htab dgs;                   /* struct dg by key */
    struct dlist age;                  /* struct dg, oldest first fragment first */
    size_t held;
    uint32_t src_ctr[SRC_SLOTS];       /* fragments seen per source (hashed) */
    int64_t clock;                     /* capture time, never going back */
    bool clock_set;
    uint64_t seed;
    defrag_frame_cb drop_cb;
    void *drop_arg;
    uint8_t *out;
    size_t outcap;
    struct htab tombs;                 /* struct tomb by key */
    struct dlist tage;                 /* struct tomb, least recently updated first */
    struct dlist done;                 /* struct kframe of completed datagrams (keep_frames) */
    size_t tbytes;                     /* bytes charged for tombstones */
};

static inline void dfg_count(struct defrag *d, enum counter_id id, uint64_t n)
{
    if (d->c)
        d->c->n[id] += n;
}

static inline struct dg *dg_oldest(const struct defrag *d)
{
    return dlist_entry(d->age.head, struct dg, age);
}

static inline struct piece *piece_first(const struct dg *g)
{
    return dlist_entry(g->pieces.head, struct piece, node);
}
static inline struct piece *piece_last(const struct dg *g)
{
    return dlist_entry(g->pieces.tail, struct piece, node);
}
static inline struct piece *piece_next(const struct piece *p)
{
    return dlist_entry(p->node.next, struct piece, node);
}
static inline struct piece *piece_prev(const struct piece *p)
{
    return dlist_entry(p->node.prev, struct piece, node);
}
static inline uint32_t pend(const struct piece *p) { return p->off + p->len; }
static inline const uint8_t *pdata(const struct piece *p) { return p->data + p->skip; }

/* ---- defrag_store.c: datagrams in progress ---- */

uint64_t dg_key_hash(const struct defrag *d, const struct dg_key *k);
struct dg *dg_lookup(const struct defrag *d, const struct dg_key *k, uint64_t h);
/* A new, empty datagram under k, newest in the age list. */
struct dg *dg_create(struct defrag *d, const struct dg_key *k, uint64_t h);
/* Unlink g, hand its kept frames to cb (if any), free it. */
void dg_drop(struct defrag *d, struct dg *g, defrag_frame_cb cb, void *arg);

void piece_free(struct defrag *d, struct dg *g, struct piece *p);
size_t piece_cost(uint32_t alloc);
/* The last piece that ends at or before s (NULL: none). */
struct piece *piece_before(const struct dg *g, uint32_t s);

struct survey {
    uint32_t noverlap;                 /* held pieces sharing bytes with [s,e) */
    bool dup;                          /* every byte of [s,e) held, all equal */
    uint32_t split_tail;               /* LAST: bytes copied when splitting a piece */
};
/* What placing [s,e) (bytes src) into g would touch; reads only. */
void survey(const struct dg *g, enum defrag_policy pol, uint32_t s, uint32_t e,
            const uint8_t *src, struct survey *sv);
/* Place [s,e) into g under the policy.  Returns true when it supplied byte 0. */
bool apply(struct defrag *d, struct dg *g, uint32_t s, uint32_t e, const uint8_t *src,
           uint32_t seq);

uint64_t frame_cost(const struct defrag_frame *f);
/* Evict tombstones, then the oldest datagrams other than keep, until need
 * more bytes fit; false when they cannot fit even with only keep left. */
bool make_room(struct defrag *d, struct dg *keep, uint64_t need);
void keep_frame(struct defrag *d, struct dg *g, const struct defrag_frame *f, uint32_t seq);

/* sum plus the one's-complement sum of p[0..n), folded to 16 bits. */
uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum);
/* Bytes of header that count toward the 65,535 limit. */
size_t hdr_extra(int family, size_t hdrlen);
/* The whole datagram of g into d->out; its length in *outlen. */
void build_output(struct defrag *d, const struct dg *g, size_t *outlen);

/* ---- defrag_rules.c: records, tombstones, generations ---- */

uint64_t frag_hash(const struct defrag *d, const uint8_t *p, uint32_t n, bool more);
void tomb_drop(struct defrag *d, struct tomb *t);
void tomb_expire(struct defrag *d);
/* Is r one of the fragments of a datagram completed under key lately? */
bool tomb_match(const struct defrag *d, const struct dg_key *k, uint64_t h, const struct frec *r);
/* The datagram under key completed with the n distinct fragments r. */
void tomb_add(struct defrag *d, const struct dg_key *k, uint64_t h, const struct frec *r, uint32_t n);
static inline struct tomb *tomb_oldest(const struct defrag *d)
{
    return dlist_entry(d->tage.head, struct tomb, age);
}

/* Bytes that recording one more fragment in g (NULL: a new one) can add. */
size_t rec_need(const struct dg *g);
/* Remember that fragment r went into g (once per distinct fragment). */
void rec_add(struct defrag *d, struct dg *g, const struct frec *r);

/* The TCP checksum of a whole datagram o[0..n) built from g: 1 right, 0
 * wrong, -1 cannot tell. */
int tcp_checksum_ok(const struct dg *g, const uint8_t *o, size_t n);
/* Drop what came before g's late join; false (nothing changed) when there
 * is nothing older. */
bool split_generation(struct defrag *d, struct dg *g);
/* Does [s,e) share bytes with a piece from before g's late join? */
bool overlaps_older(const struct dg *g, uint32_t s, uint32_t e);

#endif
