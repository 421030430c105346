/* capture.h - packet sources: capture files and live interfaces.
 *
 * Files are read by our own bounds-checked pcap and pcapng reader, from a
 * path, "-" (stdin), or a compressed file (.gz .xz .lzma .bz2 .zst, also
 * recognised by magic bytes) decompressed in-process.  pcapng sections may
 * have interfaces of different link types; each record carries its own.
 * Timestamps are delivered in microseconds whatever the file's resolution.
 * Live capture goes through libpcap (capture/live.c): a capture thread
 * drains the kernel buffer into a bounded ring (capture/pktring.c) that
 * capture_next() reads, so the caller's slow moments (file writes) do not
 * make the kernel drop packets; every loss is counted (capture_stats).
 * A BPF expression, when given, is compiled per link type and applied to
 * every record.
 */
#ifndef TCPFLOW_CAPTURE_H
#define TCPFLOW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records longer than this are refused as corrupt (the file is damaged). */
#define CAPTURE_MAX_CAPLEN (256u * 1024u)

struct capture_pkt {
    int64_t ts_us;          /* capture time, microseconds since the epoch */
    uint32_t caplen;        /* bytes in data */
    uint32_t wirelen;       /* original length on the wire */
    int dlt;                /* link type of this record (LINKTYPE_ number) */
    const uint8_t *data;    /* owned by the capture, valid until the next call */
};

struct capture;

/* Live capture defaults.  The kernel buffer (libpcap's buffer size, tcpdump's
 * -B) holds packets until they are read: 2 MiB in libpcap and tcpdump, which
 * a run writing hundreds of flow files at 1 Gbit/s fills in 17 ms.  Ours is
 * 32 MiB: with the ring behind it, 0 drops in tests/e2e/t_live.sh at the lab's
 * highest rate (docs/internals/capture.md has the measurements).  The ring
 * is where the capture thread puts packets for capture_next(), to absorb the
 * caller's slow moments (a 1 s stall every 3 s: 0 drops with it, 40% without);
 * past its first MiB, its pages are touched only as far as a backlog grows. */
#define CAPTURE_DEFAULT_BUFFER (32u << 20)
#define CAPTURE_DEFAULT_RING (64u << 20)
#define CAPTURE_SNAPLEN 262144u

/* How to open a live interface.  capture_live_config_init() sets the
 * defaults; the fields are borrowed for the capture_open_live_cfg() call. */
struct capture_live_config {
    const char *ifname;     /* NULL: the first device libpcap lists */
    const char *bpf;        /* NULL or "": every packet */
    bool promisc;           /* promiscuous mode (default true; -p clears it;
                             * never asked on "any", which cannot) */
    bool immediate;         /* hand each packet over as it arrives (console
                             * modes); otherwise the kernel batches them for
                             * up to timeout_ms (default false) */
    int timeout_ms;         /* capture_next returns an empty packet when this
                             * long passes without one; 0: it waits (default 10) */
    uint32_t snaplen;       /* bytes kept of each packet, 1..CAPTURE_SNAPLEN
                             * (default CAPTURE_SNAPLEN; 0 means the default) */
    uint64_t buffer_bytes;  /* kernel buffer (default CAPTURE_DEFAULT_BUFFER;
                             * 0 means the default; libpcap may round it) */
    uint64_t ring_bytes;    /* our ring (default CAPTURE_DEFAULT_RING); 0: no
                             * capture thread, capture_next reads libpcap
                             * itself (the kernel buffer is all there is) */
};

/* Counters of a capture.  For a live capture, every packet the kernel
 * accepted ends in exactly one of: kernel_drops, still in the kernel buffer
 * when the capture stopped (received - kernel_drops - captured, roughly:
 * the kernel's counters are read at a slightly different time), held in our
 * ring and never handed over (captured - delivered, once stopped), or
 * delivered.  For a file, only live == false and delivered are set. */
struct capture_stats {
    bool live;
    bool final;             /* the capture stopped: the numbers stay */
    uint64_t received;      /* accepted by the kernel's filter (pcap ps_recv) */
    uint64_t kernel_drops;  /* lost: the kernel buffer was full (ps_drop) */
    uint64_t if_drops;      /* lost by the interface or driver (ps_ifdrop) */
    uint64_t captured;      /* read out of the kernel buffer */
    uint64_t delivered;     /* returned by capture_next() */
    uint64_t truncated;     /* captured shorter than on the wire (snaplen) */
    uint64_t ring_waits;    /* times the capture thread found the ring full
                             * and waited (the kernel buffer took the burst) */
    uint64_t ring_peak;     /* most bytes our ring held */
    uint64_t ring_bytes;    /* sizes in force (0: no ring) */
    uint64_t buffer_bytes;
    uint32_t snaplen;
    bool immediate;
};

/* Open a capture file ("-" = stdin).  bpf may be NULL or "".  With map, an
 * uncompressed regular file is read in place (capture_mapped: records stay
 * valid while it is open, for -j's workers); otherwise it is read().  On
 * failure returns NULL and writes a message naming the file into err. */
struct capture *capture_open_file(const char *path, const char *bpf, bool map, char *err,
                                  size_t errlen);

/* Defaults of every field (see struct capture_live_config). */
void capture_live_config_init(struct capture_live_config *cfg);

/* Open a live interface.  On failure returns NULL and writes into err one
 * line that starts with the interface's name: no such interface (with the
 * list of those there are), permission (root or CAP_NET_RAW), not up, a bad
 * filter expression, a size out of range.  With cfg->ring_bytes, a capture
 * thread is running when this returns; it blocks every signal, so handlers
 * run in the caller's threads. */
struct capture *capture_open_live_cfg(const struct capture_live_config *cfg, char *err,
                                      size_t errlen);

/* The same with the defaults but for these fields. */
struct capture *capture_open_live(const char *ifname, bool promisc, int timeout_ms,
                                  const char *bpf, char *err, size_t errlen);

/* A warning of the open that is not an error (e.g. promiscuous mode not
 * supported by the device), or NULL. */
const char *capture_warning(const struct capture *c);

/* Fill *st (see struct capture_stats).  While a live capture runs, the
 * kernel's counters are at most about 250 ms old; once it stopped (end of
 * input, an error, or capture_breakloop) they are final.  Call it before
 * capture_close, at the end of the run, to report what was lost. */
void capture_stats(struct capture *c, struct capture_stats *st);

/* Next packet: 1 = *out filled; 0 = end of input; -1 = the input is damaged
 * or unreadable from here on (capture_error() says why, naming the file;
 * everything before was delivered).  A live capture returns 1 with
 * out->caplen == 0 and out->data == NULL when its read timeout passes with
 * no packet, so the caller can do time-based work.  After
 * capture_breakloop, a live capture with a ring still returns the packets
 * the ring holds (bounded by its size), then 0. */
int capture_next(struct capture *c, struct capture_pkt *out);

/* Message for the last -1, e.g. "x.pcap: truncated record at offset 1234". */
const char *capture_error(const struct capture *c);

/* The link type of the first interface (or the live one), -1 if none yet. */
int capture_first_dlt(const struct capture *c);

/* Progress: bytes consumed from the underlying file (compressed bytes for a
 * compressed file) and its total size (0 if unknown: stdin, pipes, live). */
uint64_t capture_pos(const struct capture *c);
uint64_t capture_size(const struct capture *c);

/* A file read in place: its bytes, [*lo, *hi), stay valid until
 * capture_close (records point into them).  false for other inputs. */
bool capture_mapped(const struct capture *c, const uint8_t **lo, const uint8_t **hi);

/* For a file read in place: its bytes from `from` on are still in use
 * (by threads behind the reader), so their pages are kept; NULL: only the
 * reader's. */
void capture_keep(struct capture *c, const uint8_t *from);

/* Name of the source as given (path or interface). */
const char *capture_name(const struct capture *c);

/* Ask a capture to stop (async-signal-safe): a live capture stops reading
 * the kernel buffer at once; capture_next returns what was already read,
 * then 0. */
void capture_breakloop(struct capture *c);

void capture_close(struct capture *c);

#endif
