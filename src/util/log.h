/* log.h - messages on stderr as "<argv0>: <message>", like tcpflow 1.6.1. */
#ifndef TCPFLOW_LOG_H
#define TCPFLOW_LOG_H

extern int log_level;           /* -d N; 1 by default, 10 with -v */

void log_init(const char *argv0);
const char *log_progname(void);
/* Always printed. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed unless -q. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_quiet(int quiet);
/* Printed when log_level >= level. */
void log_debug(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
