/* version.h - which program this is, and which tcpflow it is compatible with.
 *
 * TCPFLOW_COMPAT_VERSION is the version of tcpflow whose behaviour we
 * reproduce (what 1.6.1 scripts look for in `-V` and report.xml);
 * tcpflow_impl_name and tcpflow_impl_version name this implementation and
 * its own version, taken at build time from `git describe` or a VERSION
 * file (scripts/version.sh, generated into the build directory). */
#ifndef TCPFLOW_VERSION_H
#define TCPFLOW_VERSION_H

#define TCPFLOW_COMPAT_VERSION "1.6.1"

extern const char tcpflow_impl_name[];
extern const char tcpflow_impl_version[];

#endif
