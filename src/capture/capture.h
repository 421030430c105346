/* capture.h - packet sources: capture files and live interfaces.
 *
 * Files are read by our own bounds-checked pcap and pcapng reader, from a
 * path, "-" (stdin), or a compressed file (.gz .xz .lzma .bz2 .zst, also
 * recognised by magic bytes) decompressed in-process.  pcapng sections may
 * have interfaces of different link types; each record carries its own.
 * Timestamps are delivered in microseconds whatever the file's resolution.
 * Live capture goes through libpcap.  A BPF expression, when given, is
 * compiled per link type and applied to every record.
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

/* Open a capture file ("-" = stdin).  bpf may be NULL or "".  On failure
 * returns NULL and writes a message naming the file into err. */
struct capture *capture_open_file(const char *path, const char *bpf, char *err, size_t errlen);

/* Open a live interface (NULL = the first one libpcap finds). */
struct capture *capture_open_live(const char *ifname, bool promisc, int timeout_ms,
                                  const char *bpf, char *err, size_t errlen);

/* Next packet: 1 = *out filled; 0 = end of input; -1 = the input is damaged
 * or unreadable from here on (capture_error() says why, naming the file;
 * everything before was delivered).  A live capture returns 1 with
 * out->caplen == 0 and out->data == NULL when its read timeout passes with
 * no packet, so the caller can do time-based work. */
int capture_next(struct capture *c, struct capture_pkt *out);

/* Message for the last -1, e.g. "x.pcap: truncated record at offset 1234". */
const char *capture_error(const struct capture *c);

/* The link type of the first interface (or the live one), -1 if none yet. */
int capture_first_dlt(const struct capture *c);

/* Progress: bytes consumed from the underlying file (compressed bytes for a
 * compressed file) and its total size (0 if unknown: stdin, pipes, live). */
uint64_t capture_pos(const struct capture *c);
uint64_t capture_size(const struct capture *c);

/* Name of the source as given (path or interface). */
const char *capture_name(const struct capture *c);

/* Ask a live capture to stop (async-signal-safe). */
void capture_breakloop(struct capture *c);

void capture_close(struct capture *c);

#endif
