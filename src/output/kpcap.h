/* kpcap.h - -K: each flow direction's packets into a pcap file of its own.
 *
 * As in tcpflow 1.6.1, -K replaces reassembly: every TCP packet is appended,
 * as captured, to <name>.pcap, where <name> is the flow file name the
 * template gives the direction's first packet with connection counter 0
 * (so every connection on one address/port pair shares the file).  Unlike
 * 1.6.1 the file's link type is the capture's, descriptors are capped (the
 * least recently used file is closed and reopened to append), a planted
 * symlink is never followed, and a datagram reassembled from IP fragments is
 * written whole behind the link header of its last fragment.
 */
#ifndef TCPFLOW_KPCAP_H
#define TCPFLOW_KPCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/counters.h"

struct decoded;
struct kpcap;

struct kpcap_config {
    const char *outdir;
    const char *tmpl;           /* final template */
    int64_t tdelta_us;
    int max_fds;                /* files open at once (>= 1) */
};

struct kpcap *kpcap_new(const struct kpcap_config *cfg);
/* Closes everything. */
void kpcap_free(struct kpcap *k);

/* Append the record of segment d, as captured, to the file of its
 * direction.  Returns -1 when the run must stop (disk full): kpcap_error()
 * says why; a file that cannot be written is said once and counted in
 * kpcap_failures(). */
int kpcap_packet(struct kpcap *k, const struct decoded *d);

const char *kpcap_error(const struct kpcap *k);
uint64_t kpcap_failures(const struct kpcap *k);
const struct counters *kpcap_counters(const struct kpcap *k);

#endif
