/* inputs.h - reading the inputs of a run into the pipeline: the live
 * interface (-i) or the capture files (-r, -l, -R) in order, with the
 * progress line, and SIGINT/SIGTERM/SIGHUP ending the run orderly (even a
 * read blocked on a stalled pipe ends at once). */
#ifndef TCPFLOW_APP_INPUTS_H
#define TCPFLOW_APP_INPUTS_H

#include <stdbool.h>
#include "app/options.h"
#include "app/pipeline.h"
#include "app/privs.h"
#include "capture/capture.h"

/* Take SIGINT, SIGTERM, SIGHUP; SIGPIPE does nothing (writes fail with
 * EPIPE instead; children still get the default). */
void inputs_catch_signals(void);

/* The signal that interrupted the run, or 0. */
int inputs_signal(void);

/* Its name: "SIGINT", "SIGTERM", "SIGHUP". */
const char *inputs_signal_name(int sig);

/* -i: open the live interface now (before the report is created, so that
 * a bad interface leaves nothing behind), say libpcap's warning if any (unless
 * -q) and "listening on IFACE".  0, or -1 after saying why. */
int inputs_open_live(const struct options *o);

/* Close the live capture opened above if inputs_run() did not (the run
 * stopped before it). */
void inputs_close_live(void);

/* Read every input through p, giving up root (-U) once the first capture
 * is open (the live one opened by inputs_open_live, or opened here).
 * Returns 0, or 1 when an input was damaged or unreadable, or privileges
 * could not be dropped. */
int inputs_run(struct pipeline *p, const struct options *o, struct privs *pv);

/* What the inputs read and lost. */
struct inputs_result {
    bool live;                  /* a live capture was read */
    char source[256];           /* its interface */
    struct capture_stats cap;   /* its counters, final (read when it stopped) */
    uint64_t records;           /* records processed, every input */
    uint64_t truncated;         /* of them, captured shorter than on the wire */
    bool reader_gone;           /* the console's reader went away */
};
void inputs_get_result(struct inputs_result *r);

/* The inputs as the netviz page names them: "x.pcap", "x.pcap + 2 more",
 * or the interface. */
void inputs_describe(const struct options *o, char *out, size_t n);

/* -U: give up root now (1.6.1's message), and make sure the user can write
 * where the flow files go.  false: said why; the run must stop. */
bool inputs_drop_privs(struct privs *pv, const struct options *o);

/* Every flow file would fail: say so once, before anything is done.
 * user: after -U. */
bool inputs_outdir_writable(const char *dir, const char *user);

#endif
