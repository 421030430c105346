/* hooks.h - -S tcp_alert_fd when no flow files are written (-c, -FX): a
 * "close<TAB>name" line when each flow ends, the name it would have had
 * ("" for a flow without data).  With flow files, sink_file says it. */
#ifndef TCPFLOW_OUTPUT_HOOKS_H
#define TCPFLOW_OUTPUT_HOOKS_H

#include <stdint.h>
#include "flow/consumer.h"

struct hooks_config {
    int alert_fd;               /* -S tcp_alert_fd (>= 0) */
    const char *tmpl;           /* final template */
    int64_t tdelta_us;
};

struct hooks;

struct hooks *hooks_new(const struct hooks_config *cfg);
void hooks_free(struct hooks *h);
struct flow_consumer *hooks_consumer(struct hooks *h);

#endif
