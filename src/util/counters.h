/* counters.h - why packets and bytes were skipped or dropped.
 *
 * Malformed or uninteresting input is never fatal and never logged per
 * packet: it is counted here, per reason, and printed at -v.  Each module
 * owns the reasons in its own block; add new ones to the end of a block.
 */
#ifndef TCPFLOW_COUNTERS_H
#define TCPFLOW_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

#define COUNTER_LIST(X) \
    /* capture */ \
    X(CAP_BPF_REJECT,        "packets rejected by the BPF filter") \
    X(CAP_OVERSIZE,          "records with caplen over the limit") \
    /* link layer (datalink.c) */ \
    X(LINK_TRUNCATED,        "frames too short for their link header") \
    X(LINK_NOT_IP,           "frames carrying no IP (ARP, LLDP, ...)") \
    X(LINK_UNKNOWN_FAMILY,   "NULL/LOOP frames with an unknown address family") \
    X(LINK_80211_NOT_DATA,   "802.11 frames that are not data frames") \
    X(LINK_80211_BAD_FCS,    "802.11 frames with a bad FCS") \
    X(LINK_TOO_DEEP,         "frames with too many nested tags/labels") \
    X(LINK_BAD_HEADER,       "frames with a malformed link header (NFLOG TLVs, Juniper magic)") \
    /* IP (ip.c) */ \
    X(IP_TRUNCATED,          "IP headers cut short by the capture") \
    X(IP_BAD_VERSION,        "packets with an IP version other than 4 or 6") \
    X(IP_BAD_HEADER,         "IP headers with invalid lengths") \
    X(IP_NOT_TCP,            "IP packets not carrying TCP") \
    X(IP_PAYLOAD_CLIPPED,    "IP packets whose payload was cut by the capture") \
    X(IP_FRAGMENT,           "IP fragments seen") \
    X(IP_EXTHDR_BAD,         "IPv6 packets with malformed extension headers") \
    /* defrag (defrag.c) */ \
    X(FRAG_REASSEMBLED,      "IP datagrams reassembled from fragments") \
    X(FRAG_TIMEOUT,          "fragmented datagrams expired incomplete") \
    X(FRAG_OVERSIZE,         "fragments past 65535 bytes") \
    X(FRAG_BAD_LENGTH,       "non-last fragments not a multiple of 8 bytes") \
    X(FRAG_CONFLICT_LAST,    "fragments conflicting with the last fragment") \
    X(FRAG_OVERLAP,          "fragments overlapping earlier ones") \
    X(FRAG_DUPLICATE,        "duplicate fragments") \
    X(FRAG_MEMCAP,           "fragments dropped by the memory cap") \
    X(FRAG_TOO_MANY,         "fragments dropped by the datagram cap") \
    X(FRAG_END_INCOMPLETE,   "fragmented datagrams incomplete at end of input") \
    X(FRAG_STALE,            "stale datagrams dropped when their id was reused") \
    X(FRAG_STALE_SPLIT,      "fragments of an older datagram set aside when a reuse of its id was detected late") \
    /* tunnels (tunnel.c, tun_*.c) */ \
    X(TUN_DECAPSULATED,      "tunnel headers decoded (every level)") \
    X(TUN_TRUNCATED,         "tunnel headers cut short") \
    X(TUN_BAD_HEADER,        "malformed tunnel headers") \
    X(TUN_UNSUPPORTED,       "tunnel headers of a version or kind not decoded (GRE routing, DTLS, fragments)") \
    X(TUN_NOT_IP,            "tunnel packets carrying no IP (keep-alives, control, ARP)") \
    X(TUN_TOO_DEEP,          "packets nested deeper than tunnel_depth") \
    X(TUN_OVER_CAP,          "packets of tunnels past tunnel_max (sharing one identity)") \
    /* http scanner (scan/http*.c) */ \
    X(HTTP_CONNS,            "connections where HTTP messages were parsed") \
    X(HTTP_BODIES,           "HTTP bodies written") \
    X(HTTP_BODY_FAILED,      "HTTP body files that could not be written") \
    X(HTTP_UNPAIRED,         "HTTP responses framed without their request") \
    X(HTTP_RESYNCS,          "times the HTTP parser looked for the next message (bytes it could not parse, holes)") \
    X(HTTP_HEADER_TOO_LONG,  "HTTP header blocks over 80 KiB") \
    X(HTTP_SKIPPED_BYTES,    "bytes of HTTP connections not parsed (tunnels, resynchronisation)") \
    X(HTTP_REQ_BODIES,       "HTTP request bodies written") \
    X(HTTP_CAPPED,           "HTTP bodies cut at http_max_decoded (decompression bombs)") \
    X(HTTP_UNDECODABLE,      "HTTP bodies whose content coding could not be decoded") \
    /* wifiviz scanner (scan/wifiviz.c) */ \
    X(WIFI_SSID_CAP,         "beacons of new SSIDs past the wifiviz cap") \
    /* tls scanner (scan/tls.c): connections by how they ended, files, key log */ \
    X(TLS_CONNS,             "TLS connections (a ClientHello seen)") \
    X(TLS_CONN_DECRYPTED,    "TLS connections decrypted to their end") \
    X(TLS_CONN_HANDSHAKE,    "TLS connections that ended in their handshake (no application data)") \
    X(TLS_CONN_NO_KEY,       "TLS connections whose secrets are not in the key log") \
    X(TLS_CONN_BAD_TAG,      "TLS connections with a record failing its tag or MAC (wrong secret, damaged bytes)") \
    X(TLS_CONN_HOLE,         "TLS connections cut by a hole in the capture") \
    X(TLS_CONN_UNSUPPORTED,  "TLS connections with an unsupported version, suite or renegotiation") \
    X(TLS_CONN_MALFORMED,    "TLS connections with a malformed record or handshake message") \
    X(TLS_CONN_CAP,          "TLS connections cut by the tls_max_pending cap") \
    X(TLS_CONN_INCOMPLETE,   "TLS connections that ended waiting for the other direction") \
    X(TLS_CONN_NO_HANDSHAKE, "TLS connections caught mid-stream (no handshake to find keys)") \
    X(TLS_NOT_TLS,           "connections that are not TLS") \
    X(TLS_FILES,             "TLS plaintext files written") \
    X(TLS_FILE_FAILED,       "TLS plaintext files that could not be written") \
    X(TLS_HTTP_CONNS,        "TLS connections whose plaintext was parsed as HTTP/1.x") \
    X(TLS_H2_CONNS,          "TLS connections with ALPN h2 (plaintext file only)") \
    X(TLS_KEYLOG_UNUSED,     "key log entries that matched no connection") \
    X(TLS_KEYLOG_BAD_LINES,  "key log lines that could not be read") \
    X(TLS_KEYLOG_OVER_CAP,   "key log lines past the entry cap") \
    /* TCP (tcp.c) */ \
    X(TCP_TRUNCATED,         "TCP headers cut short") \
    X(TCP_BAD_OFFSET,        "TCP headers with an invalid data offset") \
    X(TCP_IGNORED_NO_FLOW,   "TCP packets for no flow that cannot start one") \
    X(TCP_IGNORED_R,         "packets of new flows ignored in -R inputs") \
    X(TCP_SYN_WITH_DATA,     "SYN segments carrying data") \
    X(TCP_BEFORE_ISN,        "segments carrying bytes before the ISN") \
    X(TCP_KEEPALIVE,         "keep-alive segments ignored") \
    X(TCP_DUP_BYTES,         "retransmitted bytes already stored") \
    X(TCP_CONFLICT_BYTES,    "retransmitted bytes differing from stored ones") \
    X(TCP_OOO_SEGMENTS,      "segments arriving out of order") \
    X(TCP_GAP_BYTES,         "bytes never captured (holes left as zeros)") \
    X(TCP_NEW_CONN_SYN,      "new connections on a reused 4-tuple") \
    X(TCP_MAXSEEK_SPLIT,     "flows split by a jump larger than -m") \
    X(TCP_LATE_TO_CLOSED,    "late segments written to an already closed flow") \
    X(TCP_RANGES_MERGED,     "coverage ranges merged by the per-flow cap") \
    X(TCP_BYTES_OVER_B,      "bytes not stored because of -b") \
    /* flows / output */ \
    X(FLOW_EVICTED,          "flows closed to stay under the flow cap") \
    X(FLOW_TIMEOUT,          "flows closed by tcp_timeout") \
    X(OUT_FD_EVICT,          "flow files closed to free a descriptor") \
    X(OUT_WRITE_ERRORS,      "write errors") \
    X(OUT_HASH_REREAD,       "flow files read back to hash them (-FM, bytes out of order)") \
    X(OUT_W_OTHER_DLT,       "-w packets of a link type other than the -w file's") \
    /* --shard (app/pipeline.c) */ \
    X(SHARD_OTHER,           "TCP packets of connections of other shards (--shard)") \
    /* python scanner (scan/python.c) */ \
    X(PY_EXCEPTIONS,         "python function calls that raised an exception") \
    X(PY_CONVERTED,          "python results that were not str (written as str() of them)") \
    X(PY_NOT_KEPT,           "bytes not given to the python function (in memory: past py_max_bytes or py_memcap)") \
    X(PY_UNREADABLE,         "flow files the python scanner could not read") \
    X(PY_RESULT_CUT,         "python results cut to fit the report")

enum counter_id {
#define X(id, text) C_##id,
    COUNTER_LIST(X)
#undef X
    C__COUNT
};

struct counters {
    uint64_t n[C__COUNT];
};

/* Text describing a counter. */
const char *counter_text(enum counter_id id);
/* Add every counter of src to dst. */
void counters_add(struct counters *dst, const struct counters *src);
/* Print every non-zero counter as "  <value> <text>" lines to f. */
void counters_print(const struct counters *c, FILE *f);

#endif
