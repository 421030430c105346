/* defrag.h - IPv4 and IPv6 fragment reassembly.
 *
 * Datagrams in progress are keyed by (family, src, dst, id, protocol, zone):
 * the zone is the caller's (the VLAN, the tunnel a packet came through).
 * Time is capture time.  Every held byte counts against max_bytes and every
 * datagram in progress against max_datagrams; what a cap refuses, or what
 * expires incomplete, is counted per reason in the counters given to
 * defrag_new.
 *
 * Completed datagrams leave a "tombstone" under their key: (offset, length,
 * MF, hash of the bytes) of the fragments that made them.  A fragment that
 * matches one exactly is a late duplicate and is dropped (FRAG_DUPLICATE)
 * instead of starting a datagram that would corrupt the next one to reuse
 * the id - unless a datagram is in progress under that key and the fragment
 * fits it without conflict.  See docs/internals/defrag.md.
 */
#ifndef TCPFLOW_DEFRAG_H
#define TCPFLOW_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/counters.h"
#include "decode/ip.h"

enum defrag_policy {
    DEFRAG_FIRST,     /* bytes already held win (default; Linux-like for exact dups) */
    DEFRAG_LAST,      /* newer bytes overwrite older ones */
    DEFRAG_BSD,       /* BSD: new data wins where its offset is lower than the old fragment's */
    DEFRAG_LINUX,     /* Linux: new fragment wins unless it starts at the same offset ... see docs */
    DEFRAG_WINDOWS,   /* Windows: old data wins */
    DEFRAG_SOLARIS,   /* Solaris */
};

struct defrag_config {
    int64_t timeout_us;       /* default 60 s */
    size_t max_bytes;         /* cap on held fragment bytes (default 64 MiB) */
    size_t max_datagrams;     /* cap on datagrams in progress (default 65536) */
    enum defrag_policy policy;
    bool keep_frames;         /* keep a copy of each original frame for -w */
    size_t max_tombstones;    /* keys with a tombstone (default 8192; 0: none) */
    int64_t tombstone_us;     /* tombstone life: min(this, timeout_us) (default 10 s;
                                 <= 0: no tombstones) */
};

/* One original frame kept for -w (only when keep_frames). */
struct defrag_frame {
    int64_t ts_us;
    uint32_t wirelen;
    const uint8_t *data;
    uint32_t caplen;
    int dlt;
};

/* Called for each original frame of a datagram that expired or was dropped
 * incomplete (keep_frames only). */
typedef void (*defrag_frame_cb)(void *arg, const struct defrag_frame *f);

struct defrag;

/* Fill *cfg with the defaults. */
void defrag_config_default(struct defrag_config *cfg);

/* Parse a policy name ("first", "last", "bsd", "linux", "windows",
 * "solaris"); returns false for an unknown name. */
bool defrag_policy_parse(const char *name, enum defrag_policy *out);

/* New reassembler; counters is borrowed and must outlive it. */
struct defrag *defrag_new(const struct defrag_config *cfg, struct counters *counters);
/* Frees everything held (counting nothing). NULL is a no-op. */
void defrag_free(struct defrag *d);

/* Frames that defrag_add gives up on go to cb: those of datagrams it drops
 * (caps, oversize, conflicting last fragment, expired when the fragment
 * arrived) and the frame of a fragment it refuses outright (keep_frames
 * only; frames are borrowed for the call).  cb NULL (the default) discards
 * them. */
void defrag_set_drop_cb(struct defrag *d, defrag_frame_cb cb, void *arg);

/* Offer one fragment: ip was decoded from the IP packet pkt[0..pktlen)
 * (ip->frag is true).  zone is part of the key: only fragments of one zone
 * (a VLAN, a tunnel) make a datagram together.  frame describes the
 * original link-layer frame (used only when keep_frames).  Returns true when
 * this fragment completed a datagram: *out and *outlen then hold a whole IP
 * packet (header with corrected length, no fragment header/flags) that
 * ip_decode accepts; the buffer belongs to defrag and stays valid until the
 * next call into defrag.  Returns false when the fragment was held or
 * dropped (counted).
 *
 * With keep_frames, the frames of a datagram defrag_add completes are kept
 * aside (not charged to max_bytes) until the next call into defrag: the
 * caller takes them with defrag_take_done when the datagram turns out to
 * be of no use to it. */
bool defrag_add(struct defrag *d, const struct ip_pkt *ip, uint64_t zone,
                int64_t now_us, const struct defrag_frame *frame,
                const uint8_t **out, size_t *outlen);

/* Hand the frames kept aside from the datagram the last defrag_add
 * completed to cb (NULL: discard them), oldest first, and free them. */
void defrag_take_done(struct defrag *d, defrag_frame_cb cb, void *arg);

/* Expire datagrams whose first fragment is older than the timeout at now_us,
 * and tombstones past their life.  Cost is proportional to the number
 * expired.  cb may be NULL. */
void defrag_expire(struct defrag *d, int64_t now_us, defrag_frame_cb cb, void *arg);

/* End of input: drop every datagram still in progress (counted as
 * FRAG_END_INCOMPLETE), calling cb for their frames, and every tombstone. */
void defrag_finish(struct defrag *d, defrag_frame_cb cb, void *arg);

/* Bytes currently held for datagrams in progress, and their number (for
 * tests and -v). */
size_t defrag_held_bytes(const struct defrag *d);
size_t defrag_datagrams(const struct defrag *d);

/* Bytes held by tombstones, and the number of keys that have one.
 * defrag_held_bytes + defrag_tombstone_bytes never exceeds max_bytes. */
size_t defrag_tombstone_bytes(const struct defrag *d);
size_t defrag_tombstones(const struct defrag *d);

#endif
