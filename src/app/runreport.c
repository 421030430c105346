/* runreport.c - see runreport.h */
#include "app/runreport.h"
#include "report/dfxml.h"
#include "report/reserve.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct runreport {
    struct dfxml *x;
    struct reserve rsv;
    uint64_t left_out;              /* fileobjects not written to keep the room */
};

/* ---- a crash still ends the report ---- */

static struct dfxml *volatile crash_report;

static void on_fatal(int sig)
{
    struct dfxml *x = crash_report;
    crash_report = NULL;
    if (x) dfxml_close_on_signal(x, sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

#if defined(__SANITIZE_ADDRESS__)
#define TCPFLOW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TCPFLOW_ASAN 1
#endif
#endif

/* Under AddressSanitizer only SIGABRT is taken: the sanitizer reports the
 * others itself. */
void runreport_catch_fatal(struct runreport *r)
{
    crash_report = r->x;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(SIGABRT, &sa, NULL);
#ifndef TCPFLOW_ASAN
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
#endif
}

/* ---- opening ---- */

static char *report_path(const struct options *o)
{
    if (o->report) return xstrdup(o->report);
    const char *d = o->outdir;
    if (!d || !*d || !strcmp(d, ".")) return xstrdup("report.xml");
    char *p = xmalloc(strlen(d) + 12);
    sprintf(p, "%s/report.xml", d);
    return p;
}

struct runreport *runreport_open(const struct options *o, const struct privs *pv, int argc, char **argv)
{
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    char *path0 = report_path(o);
    char *path = privs_path(pv, path0);             /* -z: inside the chroot */
    free(path0);
    /* the settings, "name=value", cut at '=' */
    struct dfxml_pair *cfg = xcalloc(o->nsettings + 2, sizeof *cfg);
    char **names = xcalloc(o->nsettings + 1, sizeof *names);
    for (size_t i = 0; i < o->nsettings; i++) {
        const char *eq = strchr(o->settings[i], '=');
        names[i] = eq ? strndup(o->settings[i], (size_t)(eq - o->settings[i])) : xstrdup(o->settings[i]);
        cfg[i].name = names[i] ? names[i] : "";
        cfg[i].value = eq ? eq + 1 : "";
    }
    size_t ncfg = o->nsettings;
    char shard[48];
    if (o->shard_n) {                   /* --shard: which part of the connections this is */
        snprintf(shard, sizeof shard, "%u/%u", o->shard_i, o->shard_n);
        cfg[ncfg].name = "shard";
        cfg[ncfg].value = shard;
        ncfg++;
    }
    struct dfxml_run run = {
        .argc = argc, .argv = argv, .start_us = (int64_t)t0.tv_sec * 1000000 + t0.tv_nsec / 1000,
        .version = TCPFLOW_VERSION, .tdelta = o->tdelta_us / 1000000,
        .config = cfg, .n_config = ncfg,
    };
    log_debug(1, "reportfilename: %s", path);
    char err[1024];
    struct runreport *r = NULL;
    /* the default report.xml: a symlink planted in the output directory
     * is never written through (O_NOFOLLOW, no check-then-open race); -X
     * names a path of the user's choice, followed as 1.6.1 does */
    struct dfxml *x = dfxml_open_path(path, !o->report, &run, err, sizeof err);
    if (x) {
        privs_chown(pv, path);                      /* -U: as 1.6.1 */
        r = xcalloc(1, sizeof *r);
        r->x = x;
        reserve_open(&r->rsv, path);
    } else {
        log_error("%s", err);
    }
    for (size_t i = 0; i < o->nsettings; i++) free(names[i]);
    free(names);
    free(cfg);
    free(path);
    return r;
}

void runreport_flow(void *arg, const struct flow_summary *rec)
{
    struct runreport *r = arg;
    /* the report's length with what the writer still holds: no syscall
     * per fileobject, and the reserve covers the unflushed batch too */
    if (!reserve_room(&r->rsv, dfxml_offset(r->x))) {
        r->left_out++;
        return;
    }
    dfxml_fileobject(r->x, rec, rec->scanner_xml);
}

int runreport_close(struct runreport *r, const struct runreport_end *end)
{
    struct dfxml_counter dc[C__COUNT];
    size_t nd = 0;
    for (int i = 0; i < C__COUNT; i++)
        if (end->counters->n[i]) {
            dc[nd].name = counter_text((enum counter_id)i);
            dc[nd].value = end->counters->n[i];
            nd++;
        }
    char status[800];
    snprintf(status, sizeof status, "%s", end->status);
    if (r->left_out) {
        size_t n = strlen(status);
        snprintf(status + n, sizeof status - n, "; %" PRIu64 " fileobject(s) left out for lack of space",
                 r->left_out);
    }
    struct dfxml_end de = {
        .status = status, .open_fds_at_end = end->at_end.open_fds, .max_open_flows = end->final.max_open_files,
        .total_flows = end->final.total_flows, .flow_map_size = end->at_end.open_flows,
        .total_packets = end->final.total_packets, .counters = dc, .n_counters = nd,
        .summary_xml = end->summary_xml, .losses = end->losses,
    };
    crash_report = NULL;
    char err[1024];
    int rc = 0;
    if (dfxml_close(r->x, &de, err, sizeof err) < 0) {
        log_error("report: %s", err);
        rc = -1;
    }
    reserve_close(&r->rsv);
    free(r);
    return rc;
}
