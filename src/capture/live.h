/* live.h - a live interface through libpcap, read by a capture thread into
 * a bounded ring (pktring.h), or directly when the ring is off.  Used by
 * capture.c only: callers see struct capture (capture.h). */
#ifndef TCPFLOW_LIVE_H
#define TCPFLOW_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "capture/capture.h"

struct live;

/* Open, configure and activate the interface, set the filter, start the
 * capture thread (cfg->ring_bytes > 0).  NULL with a message in err, which
 * starts with the interface's name. */
struct live *live_open(const struct capture_live_config *cfg, char *err, size_t errlen);

/* The interface's name (the one libpcap chose when cfg->ifname was NULL). */
const char *live_name(const struct live *l);

/* LINKTYPE of the interface. */
int live_linktype(const struct live *l);

/* A warning of the open, or NULL. */
const char *live_warning(const struct live *l);

/* capture_next() for a live interface: 1 with *out (caplen 0 and data NULL
 * on a read timeout), 0 once stopped and drained, -1 on a capture error
 * (message in err, naming the interface). */
int live_next(struct live *l, struct capture_pkt *out, char *err, size_t errlen);

/* Stop reading the kernel buffer (async-signal-safe). */
void live_breakloop(struct live *l);

/* Counters (capture_stats). */
void live_stats(struct live *l, struct capture_stats *st);

/* Stop the thread, close the handle, free (NULL: no-op). */
void live_close(struct live *l);

#endif
