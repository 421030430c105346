/* pcapwrite.h - a classic pcap file writer (for -w). */
#ifndef TCPFLOW_PCAPWRITE_H
#define TCPFLOW_PCAPWRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pcapwrite;

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

/* The 24-byte header of a little-endian microsecond pcap 2.4 file with link
 * type dlt (snaplen 262144), and the 16-byte header of one record (-w, -K). */
void pcapwrite_file_header(uint8_t h[PCAP_FILE_HDR], int dlt);
void pcapwrite_record_header(uint8_t r[PCAP_REC_HDR], int64_t ts_us, uint32_t caplen, uint32_t wirelen);

/* Create path (truncating) with link type dlt; NULL with a message in err. */
struct pcapwrite *pcapwrite_open(const char *path, int dlt, char *err, size_t errlen);
/* Append one record; returns -1 on a write error (errno set). */
int pcapwrite_packet(struct pcapwrite *w, int64_t ts_us, const uint8_t *data,
                     uint32_t caplen, uint32_t wirelen);
int pcapwrite_dlt(const struct pcapwrite *w);
/* Flush and close; -1 if anything failed. NULL is a no-op. */
int pcapwrite_close(struct pcapwrite *w);

#endif
