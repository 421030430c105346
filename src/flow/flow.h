/* flow.h - one direction of a TCP connection, as kept by the flow table. */
#ifndef TCPFLOW_FLOW_H
#define TCPFLOW_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include "flow/reasm.h"
#include "flow/flowsum.h"

struct tunnel;

struct flowkey {
    uint8_t family;          /* 4 or 6 */
    uint8_t pad;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

enum flow_state { FLOW_OPEN, FLOW_CLOSED };

/* Output state of a flow file (owned by sink_file). */
struct fsink {
    char *path;              /* set once the file exists */
    int fd;                  /* -1 when not open */
    uint8_t *buf;            /* pending bytes for [boff, boff+blen) */
    uint32_t blen, bcap;
    uint64_t boff;
    uint64_t stored;         /* file length on disk (after -b) */
    uint32_t counter;        /* connection counter used in the name */
    bool failed;             /* the file could not be created/written */
    char *fx;                /* -I: pending .findx lines */
    uint32_t fxlen, fxcap;
    uint64_t fx_last;        /* offset of the last line written */
    bool fx_created, fx_unsorted;
    struct flow *lru_prev, *lru_next;   /* in the sink's LRU while fd/buf held */
    bool in_lru;
    struct fdigest *dg;      /* -FM: MD5/SHA-256 of the bytes written in order */
};

struct flow {
    struct flowkey key;
    uint32_t hash;
    enum flow_state state;
    struct flow *hnext;                  /* hash chain */
    struct flow *prev, *next;            /* idle list (open) or closed list */
    uint64_t flow_id, session_id;
    int64_t first_us, last_us;
    uint64_t packets, len, caplen, ooo, violations;
    bool has_mac, has_vlan, client;      /* client: a pure SYN was seen */
    bool in_table;                       /* linked in the flow table */
    bool in_list;                        /* linked in the idle or closed list */
    uint8_t mac_src[6], mac_dst[6];
    uint16_t vlan;
    const struct tunnel *tun;            /* the tunnel it came through, or NULL (decode/tunnel.h) */
    enum flow_end end;
    struct reasm rs;
    struct fsink fs;
    void *console;                       /* console sink state, if any */
};

#endif
