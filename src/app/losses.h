/* losses.h - every loss of a run, said once at its end: packets the live
 * capture dropped (kernel, interface) or never processed, bytes missing
 * from the capture (holes in flows), packets cut short by the snap length,
 * packets skipped as damaged or undecodable.  Printed on stderr (unless -q;
 * also with -q at -v) and recorded in report.xml's <losses>.  Lines and
 * element: docs/internals/report.md.  The exit status does not depend on
 * them: a run that did its job on damaged input exits 0 (as 1.6.1). */
#ifndef TCPFLOW_APP_LOSSES_H
#define TCPFLOW_APP_LOSSES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "app/inputs.h"
#include "flow/flowsum.h"
#include "report/dfxml.h"
#include "util/counters.h"

struct losses {
    uint64_t flows;             /* flow directions released */
    uint64_t gap_flows;         /* of them, with holes */
    uint64_t gap_bytes;         /* bytes never captured, in those */
    uint64_t gap_stream_bytes;  /* the length of those streams */
    struct inputs_result in;
    uint64_t unsupported;       /* records of a link type we cannot decode (said
                                 * as an input error already: in the report only) */
    struct dfxml_counter skipped[C__COUNT + 1];     /* reasons, non-zero */
    size_t n_skipped;
    uint64_t n_skipped_total;
    bool report_unprocessed;    /* say captured packets not processed */
};

void losses_init(struct losses *l);

/* A released flow direction (the tracker's done callback feeds it). */
void losses_flow(struct losses *l, const struct flow_summary *s);

/* The rest, at the end: what the inputs read and lost, the pipeline's
 * counters (copied), records of unsupported link types.  stopped_early:
 * the run stopped on an error, so packets left in the ring count as lost. */
void losses_finish(struct losses *l, const struct inputs_result *in, const struct counters *ctr,
                   uint64_t unsupported, bool stopped_early);

/* How the holes show in the outputs of this run. */
enum losses_holes { HOLES_ZEROS, HOLES_GAPS, HOLES_UNSHOWN };

/* One line per kind of loss, "<prog>: ..." on f; nothing when nothing was
 * lost.  detail: also the live capture's full counters (-v).  Returns the
 * number of lines. */
int losses_print(const struct losses *l, FILE *f, enum losses_holes holes, bool detail);

/* The report's <losses> (pointers into l). */
void losses_dfxml(const struct losses *l, struct dfxml_losses *out);

#endif
