/* log.c - see log.h */
#include "util/log.h"
#include <stdarg.h>
#include <stdio.h>

int log_level = 1;
static const char *prog = "tcpflow";
static int quiet;

void log_init(const char *argv0) { if (argv0 && *argv0) prog = argv0; }
const char *log_progname(void) { return prog; }
void log_set_quiet(int q) { quiet = q; }

static void vout(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vout(const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    fprintf(stderr, "%s: %s\n", prog, buf);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vout(fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    if (quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vout(fmt, ap);
    va_end(ap);
}

void log_debug(int level, const char *fmt, ...)
{
    if (log_level < level) return;
    va_list ap;
    va_start(ap, fmt);
    vout(fmt, ap);
    va_end(ap);
}
