/* runreport.h - report.xml for this run: opened with the run's command
 * line and settings before any packet, a fileobject per released flow
 * (left out, and counted, when the disk no longer has room for the
 * trailer), closed with the totals, counters and the run's status. */
#ifndef TCPFLOW_APP_RUNREPORT_H
#define TCPFLOW_APP_RUNREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app/options.h"
#include "app/pipeline.h"
#include "app/privs.h"
#include "flow/flowsum.h"
#include "report/dfxml.h"

struct runreport;

/* NULL and a message said when it cannot be created. */
struct runreport *runreport_open(const struct options *o, const struct privs *pv, int argc, char **argv);

/* The flow-done callback for the pipeline (arg: the runreport). */
void runreport_flow(void *arg, const struct flow_summary *rec);

/* Say it if the process dies by a signal (SIGSEGV, SIGABRT, ...): the report
 * still ends well-formed, "killed by signal N". */
void runreport_catch_fatal(struct runreport *r);

/* What the trailer says of the run. */
struct runreport_end {
    const char *status;         /* run status text */
    struct pipeline_stats at_end;   /* when the input ended, before flows were closed */
    struct pipeline_stats final;
    const struct counters *counters;
    const char *summary_xml;    /* scanners' fragments, or NULL */
    const struct dfxml_losses *losses;  /* <losses> (report/dfxml.h), or NULL */
};

/* Write the trailer and close.  0, or -1 after saying why. */
int runreport_close(struct runreport *r, const struct runreport_end *end);

#endif
