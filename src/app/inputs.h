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

/* Take SIGINT, SIGTERM, SIGHUP; ignore SIGPIPE. */
void inputs_catch_signals(void);

/* The signal that interrupted the run, or 0. */
int inputs_signal(void);

/* Its name: "SIGINT", "SIGTERM", "SIGHUP". */
const char *inputs_signal_name(int sig);

/* Read every input through p, giving up root (-U) once the first capture
 * is open.  Returns 0, or 1 when an input was damaged or unreadable, or
 * privileges could not be dropped. */
int inputs_run(struct pipeline *p, const struct options *o, struct privs *pv);

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
