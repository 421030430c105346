/* flowsum.h - what is known about one finished flow direction: the record
 * the connection tracker fills, each consumer adds to at release (file
 * name, digests, scanner XML), and the report writer turns into a
 * <fileobject>.  Handed to the report borrowed for the call. */
#ifndef TCPFLOW_FLOWSUM_H
#define TCPFLOW_FLOWSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flow_end {
    FLOW_END_FIN,        /* FIN seen and every byte before it stored */
    FLOW_END_RST,        /* RST */
    FLOW_END_TIMEOUT,    /* idle longer than tcp_timeout */
    FLOW_END_EOF,        /* still open at the end of the input */
    FLOW_END_NEWCONN,    /* a new SYN reused the 4-tuple */
    FLOW_END_MAXSEEK,    /* a forward jump larger than -m split it */
    FLOW_END_EVICTED,    /* closed to keep memory under the flow cap */
    FLOW_END_SIGNAL,     /* the run was interrupted */
};

/* "fin", "rst", "timeout", "eof", "newconn", "maxseek", "evicted", "signal" */
const char *flow_end_name(enum flow_end e);

struct flow_summary {
    char *filename;             /* path as written (with outdir), NULL if no file; owned */
    bool file_failed;           /* the file could not be created or written whole */
    uint64_t filesize;          /* logical stream length (highest offset + 1) */
    uint64_t stored;            /* bytes actually in the file (after -b) */
    int64_t start_us, end_us;   /* first and last packet (tdelta applied) */
    bool has_mac;
    uint8_t mac_src[6], mac_dst[6];
    int family;                 /* 4 or 6 */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    bool has_vlan;
    uint16_t vlan;
    uint64_t flow_id, session_id;
    uint64_t packets, len, caplen;
    uint64_t out_of_order, violations;
    uint64_t gap_bytes;         /* bytes below filesize never seen (holes) */
    enum flow_end end;
    bool complete;              /* SYN seen, FIN seen, no hole */
    bool syn_seen, fin_seen;
    bool has_md5, has_sha256;
    uint8_t md5[16], sha256[32];
    const char *encap;          /* the tunnel it came through (decode/tunnel.h), or NULL */
    char *scanner_xml;          /* scanners' XML for the fileobject (NULL: none); owned */
    size_t xml_len, xml_cap;
};

/* Append a scanner's XML fragment to the record (copied). */
void flowsum_add_xml(struct flow_summary *s, const char *frag);
/* Free what the record owns (filename, scanner XML). */
void flowsum_release(struct flow_summary *s);

#endif
