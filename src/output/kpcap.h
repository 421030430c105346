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
#include "flow/flow.h"

struct options;
struct kpcap;

/* max_fds: files open at once (>= 1). */
struct kpcap *kpcap_new(const struct options *o, struct counters *c, int max_fds);
/* Closes everything. */
void kpcap_free(struct kpcap *k);

/* Append one frame (dlt, the record's time and lengths) to the file of
 * fl's direction.  fl carries what names are made of (key, first_us, VLAN,
 * MACs: this packet's); its flow_id is set when a new direction is named.  Returns -1 when the run must stop (disk full):
 * kpcap_error() says why; a file that cannot be written is said once and
 * counted in kpcap_failures(). */
int kpcap_packet(struct kpcap *k, struct flow *fl, int dlt, int64_t ts_us,
                 const uint8_t *frame, uint32_t caplen, uint32_t wirelen);

const char *kpcap_error(const struct kpcap *k);
uint64_t kpcap_failures(const struct kpcap *k);

#endif
