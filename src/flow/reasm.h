/* reasm.h - ONE direction of a TCP stream: where each segment's bytes go.
 *
 * Stream offsets are 64-bit, counted from the byte after the ISN (offset 0
 * is the first data byte).  Without a SYN the first data byte seen becomes
 * offset 0; data that later turns up before it is placed by moving the
 * origin ("prepend"), which the caller must mirror in its sink.
 *
 * The module keeps the set of offsets already stored (a sorted list of
 * ranges) and, for each segment, emits the parts that are new (policy
 * FIRST: stored bytes win) or the whole segment (policy LAST: newest bytes
 * win, as tcpflow 1.6.1).  It does no I/O and holds no payload.
 */
#ifndef TCPFLOW_REASM_H
#define TCPFLOW_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum reasm_policy { REASM_FIRST = 0, REASM_LAST = 1 };

struct reasm_range { uint64_t start, end; };   /* [start, end) */

/* Cap on stored ranges per direction; past it the smallest range is
 * forgotten (its bytes may then be written again, never lost). */
#define REASM_MAX_RANGES 1024

struct reasm {
    uint32_t isn;            /* seq of the byte before offset 0 */
    bool syn_seen;
    bool fin_seen;
    uint64_t fin_off;        /* offset of the FIN (bytes before it form the stream) */
    uint64_t hi;             /* one past the highest offset stored (logical length) */
    uint64_t pos;            /* end of the last data segment (1.6.1's write position) */
    struct reasm_range *r;   /* sorted, disjoint, non-adjacent */
    uint32_t nr, cap;
    uint32_t forgotten;      /* ranges dropped by the cap */
};

/* Called for each run of bytes to store at stream offset off. */
typedef void (*reasm_emit_fn)(void *arg, uint64_t off, const uint8_t *p, size_t n);

/* Start a direction whose ISN is isn (syn: a SYN was seen). */
void reasm_init(struct reasm *rs, uint32_t isn, bool syn);
void reasm_release(struct reasm *rs);

/* Stream offset of sequence number seq (wrap-safe relative to hi). */
int64_t reasm_offset(const struct reasm *rs, uint32_t seq);

/* Move the origin back by n bytes: every stored offset grows by n. */
void reasm_prepend(struct reasm *rs, uint64_t n);

/* Result of reasm_add. */
struct reasm_result {
    uint64_t new_bytes;      /* bytes emitted */
    uint64_t dup_bytes;      /* bytes already stored (not emitted under FIRST) */
    bool out_of_order;       /* placed before the previous segment's end */
};

/* Place len bytes whose first byte is at stream offset off (>= 0).
 * Emits new bytes through emit (in increasing offset order). */
void reasm_add(struct reasm *rs, uint64_t off, const uint8_t *p, size_t len,
               enum reasm_policy policy, reasm_emit_fn emit, void *arg,
               struct reasm_result *res);

/* true when [0, upto) is fully stored. */
bool reasm_covered(const struct reasm *rs, uint64_t upto);

/* Bytes below hi never stored. */
uint64_t reasm_gap_bytes(const struct reasm *rs);

#endif
