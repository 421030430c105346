/* pcapfile.h - our own streaming reader of pcap and pcapng captures.
 *
 * pcap: both byte orders, microsecond (a1b2c3d4), nanosecond (a1b23c4d) and
 * Kuznetsov's modified format (a1b2cd34, 24-byte record headers); the FCS
 * bits of the link type field are masked off; versions before 2.3 with
 * caplen and len swapped are corrected as libpcap does.
 * pcapng: several sections each in its own byte order; Interface
 * Description Blocks (link type, snaplen, if_tsresol, if_tsoffset);
 * Enhanced, Simple and obsolete Packet Blocks; every other block is skipped
 * by its length.
 * Every length is validated before use; records over CAPTURE_MAX_CAPLEN are
 * damage.  Input comes through a decomp stream (so compressed files work)
 * into a 1 MiB buffer: no per-record allocation, records are handed out as
 * pointers into the buffer.
 */
#ifndef TCPFLOW_PCAPFILE_H
#define TCPFLOW_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "capture/decomp.h"

struct pcapfile;

/* Read the file header (for pcapng: the Section Header Block, then any
 * blocks up to the first Interface Description Block or packet) from src,
 * which the reader then owns.  name (copied) is used in messages.  On
 * failure returns NULL (src is freed) with a message naming the file in
 * err: empty file, not a capture ("x: not a pcap or pcapng file (magic
 * 0x...)"), truncated or invalid file header, unreadable input. */
struct pcapfile *pcapfile_open(struct decomp *src, const char *name, char *err, size_t errlen);

/* Next record, as capture_next(): 1 = *out filled (data valid until the
 * next call), 0 = clean end, -1 = damage or read error (pcapfile_error()
 * names the file, the stream offset and the problem).  After 0 or -1 every
 * further call returns the same. */
int pcapfile_next(struct pcapfile *f, struct capture_pkt *out);

/* Message for the last -1 ("" if none). */
const char *pcapfile_error(const struct pcapfile *f);

/* LINKTYPE of the file header, or of the first interface of the first
 * section; -1 when no interface has been seen yet. */
int pcapfile_first_dlt(const struct pcapfile *f);

/* Bytes consumed from the underlying file: the exact offset of the next
 * record for an uncompressed file, compressed bytes read by the decoder
 * for a compressed one. */
uint64_t pcapfile_pos(const struct pcapfile *f);

/* "pcap" or "pcapng". */
const char *pcapfile_format(const struct pcapfile *f);

/* Release the reader and its stream.  NULL is a no-op. */
void pcapfile_free(struct pcapfile *f);

/* Internal (fuzzing, tests): capture_open_file() over the bytes p[0..n),
 * which are borrowed and must outlive the capture.  name is used in
 * messages; compressed data is recognised as for files. */
struct capture *capture_open_mem(const uint8_t *p, size_t n, const char *name, const char *bpf,
                                 char *err, size_t errlen);

#endif
