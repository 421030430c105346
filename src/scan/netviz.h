/* netviz.h - the netviz scanner (-e netviz, -a): a one-page PDF summary of
 * the traffic, <outdir>/report.pdf, drawn with cairo.
 *
 * Frames are counted as 1.6.1 counts them (on Ethernet those that carry
 * IP, on other links all): wire length, time, the ethertype class; IP packets by source and destination address, TCP
 * segments by source and destination port.  The page holds 1.6.1's text:
 * input, date range, packet and byte totals, transport shares, the time
 * histogram's span and interval, and the top 3 of each address and port
 * table with their share; the charts are drawn from the same numbers.
 * Memory is bounded: a fixed time histogram, two 65,536-entry port tables
 * and at most NETVIZ_MAX_ADDRS addresses per table (later new addresses
 * are counted in the totals only).  See docs/internals/netviz.md.
 */
#ifndef TCPFLOW_NETVIZ_H
#define TCPFLOW_NETVIZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETVIZ_MAX_ADDRS 65536

struct netviz;

struct netviz *netviz_new(void);
void netviz_free(struct netviz *v);

/* One frame: time, wire length, link type and bytes (for the ethertype). */
void netviz_frame(struct netviz *v, int64_t ts_us, uint32_t wirelen, int dlt,
                  const uint8_t *frame, uint32_t caplen);
/* The frame just given was an IP packet (family 4/6, 16-byte addresses);
 * has_ports: a TCP segment's ports. */
void netviz_ip(struct netviz *v, int family, const uint8_t src[16], const uint8_t dst[16],
               bool has_ports, uint16_t sport, uint16_t dport);

/* Write the page as PDF to fd (not closed).  input: what the header names
 * as the input.  Returns 0, or -1 with a message in err. */
int netviz_write(struct netviz *v, int fd, const char *input, char *err, size_t errlen);

/* The text lines of the page, as written (for tests): a malloc'd string,
 * lines separated by '\n'. */
char *netviz_text(struct netviz *v, const char *input);

/* The counters of the netviz scanner instance self (what create returned). */
struct netviz *netviz_of(void *self);

#endif
