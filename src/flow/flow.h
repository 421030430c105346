/* flow.h - one direction of a TCP connection, and the connection.
 *
 * The connection tracker (conntrack.c) owns both.  Consumers (sinks,
 * scanners; see consumer.h) read them and keep their own state in the slot
 * the tracker gave them.
 */
#ifndef TCPFLOW_FLOW_FLOW_H
#define TCPFLOW_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/flowkey.h"
#include "flow/flowsum.h"
#include "flow/reasm.h"
#include "util/htab.h"
#include "util/list.h"

struct tunnel;
struct decoded;

/* Consumers per tracker at most (sinks and scanners). */
#define FLOW_SLOTS 8

enum flow_state { FLOW_OPEN, FLOW_CLOSED };

struct conn;

struct flow {
    struct flowkey key;
    uint32_t hash;                       /* symmetric: both directions alike */
    enum flow_state state;
    struct hnode hn;                     /* in the flow table */
    struct dlnode ln;                    /* idle list (open) or closed list */
    struct conn *conn;                   /* both directions */
    const struct tunnel *tun;            /* NULL when not tunneled */
    uint64_t flow_id, session_id;
    int64_t first_us, last_us;
    uint64_t packets, len, caplen, ooo, violations;
    bool has_mac, has_vlan, client;      /* client: a pure SYN was seen */
    bool in_table;                       /* linked in the flow table */
    bool in_list;                        /* linked in the idle or closed list */
    uint8_t mac_src[6], mac_dst[6];
    uint16_t vlan;
    enum flow_end end;
    struct reasm rs;
    const char *name;                    /* the flow file's path once it exists (set by the file
                                            sink; borrowed; NULL without one): consumers after
                                            the sink may name their own files after it */
    void *stream;                        /* in-order view state (flow/stream.c), if any */
    void *slot[FLOW_SLOTS];              /* consumers' per-flow state */
};

/* Both directions of a connection: a direction opened while its reverse
 * is open joins the reverse's connection (and its session id). */
struct conn {
    uint64_t id;                         /* the session id */
    struct flow *dir[2];                 /* [0] the first direction seen, [1] its reverse */
    unsigned refs;                       /* directions not released yet */
    void *slot[FLOW_SLOTS];              /* consumers' per-connection state */
};

/* 0 when f is the first direction of its connection, 1 for the reverse. */
static inline int flow_dir(const struct flow *f)
{
    return f->conn && f->conn->dir[1] == f;
}

/* What names are made of, from the segment d: the key, the time (first and
 * last packet), the link layer (MACs, VLAN) and the tunnel.  Everything
 * else of *f is left as it is. */
void flow_name_fields(struct flow *f, const struct decoded *d);

/* -b: how many of n bytes placed at stream offset off are kept when at
 * most max bytes of the stream are (UINT64_MAX: all). */
static inline size_t flow_clip(uint64_t max, uint64_t off, size_t n)
{
    if (off >= max) return 0;
    return n > max - off ? (size_t)(max - off) : n;
}

/* The key of d's segment. */
void flow_key_of(struct flowkey *k, const struct decoded *d);

#endif
