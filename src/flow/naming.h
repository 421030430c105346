/* naming.h - flow file names from a template (-T, -F, -o).
 *
 * Codes: %A %a %B %b (addresses, ports), %E %e (MACs), %V %v (VLAN),
 * %T %t (first packet time), %C %c %# (connection counter), %N %K %M %G
 * (flow id digits), %S (session id), %% (a percent sign).
 */
#ifndef TCPFLOW_NAMING_H
#define TCPFLOW_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/flow.h"

#define NAMING_DEFAULT_TEMPLATE "%A.%a-%B.%b%V%v%C%c"

/* Check every % code of tmpl.  Returns true, or false with a message in err
 * naming the bad code. */
bool naming_check(const char *tmpl, char *err, size_t errlen);

/* Apply one -F letter to *tmpl (a heap string, replaced).  Returns false
 * for a letter that does not edit the template (X, M are handled by the
 * caller) or an unknown one. */
bool naming_apply_F(char **tmpl, char letter);

/* If tmpl has no %c (as 1.6.1: %# does not count), return a new string with %C%c appended; else a
 * copy. */
char *naming_finalize(const char *tmpl);

/* Render the name of flow f with connection counter count into out
 * (outdir prefix included unless outdir is "" or ".").  tdelta_us is added
 * to times.  Returns the length, or -1 if it does not fit. */
int naming_render(const char *tmpl, const char *outdir, const struct flow *f,
                  uint32_t count, int64_t tdelta_us, char *out, size_t outlen);

/* Address text as in names: IPv4 %03d octets, IPv6 inet_ntop. */
void naming_addr(int family, const uint8_t *a, char *out, size_t outlen);

/* The name a scanner's files of flow f are named after: its flow file's
 * (f->name), or without flow files (files false: -FX, -c) the name the
 * flow file would have had (counter 0).  NULL when there is none (the flow
 * file could not be made, or the name does not fit out). */
const char *naming_flow_base(const struct flow *f, bool files, const char *tmpl, const char *outdir,
                             int64_t tdelta_us, char *out, size_t outlen);

#endif
