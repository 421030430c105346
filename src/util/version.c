/* version.c - the build's version strings (see version.h).  The only file
 * that includes the generated version_gen.h, so a new version rebuilds
 * this file alone. */
#include "util/version.h"

#include "version_gen.h"    /* $(BUILD)/gen/version_gen.h: TCPFLOW_IMPL_VERSION */

const char tcpflow_impl_name[] = "tcpflow-c11";
const char tcpflow_impl_version[] = TCPFLOW_IMPL_VERSION;
