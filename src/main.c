/* main.c - options -> pipeline -> inputs -> report -> exit status.
 * With options.c the only place that decides to exit. */
#include "app/inputs.h"
#include "app/options.h"
#include "app/pipeline.h"
#include "app/privs.h"
#include "app/runreport.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The output directory exists (made if not) and can be written. */
static int prepare_outdir(const char *dir, bool *created)
{
    if (!dir || !*dir) dir = ".";
    struct stat st;
    *created = false;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            log_error("outdir is not a directory: %s", dir);
            return -1;
        }
    } else if (mkdir(dir, 0777) < 0) {
        log_error("cannot create %s: %s", dir, strerror(errno));
        return -1;
    } else {
        *created = true;
    }
    return inputs_outdir_writable(dir, NULL) ? 0 : -1;
}

/* 1.6.1's end-of-run advice when one directory got too many files. */
static void warn_many_files(const struct options *o, uint64_t flows)
{
    if (o->quiet || !o->store_files || flows <= 10000) return;
    const char *dir = (o->outdir && *o->outdir) ? o->outdir : ".";
    DIR *d = opendir(dir);
    if (!d) return;
    uint64_t n = 0;
    while (readdir(d)) n++;
    closedir(d);
    if (n < 10000) return;
    fprintf(stderr,
            "*** tcpflow WARNING:\n"
            "*** Modern operating systems do not perform well \n"
            "*** with more than 10,000 entries in a directory.\n"
            "***\n"
            "*** tcpflow created %" PRIu64 " files in output directory %s\n"
            "***\n"
            "*** Next time, specify command line option -Fk , -Fm , or -Fg \n"
            "*** This will cause tcpflow to use directories called 000, 001, 002 ... 999\n"
            "***\n", n, dir);
}

/* Set-up before any packet: privileges looked up, the output directory. */
static int setup(struct options *o, struct privs *pv)
{
    char perr[600];
    if (!privs_lookup(pv, o->user, o->chroot, perr, sizeof perr)) {
        log_error("%s", perr);
        return -1;
    }
    /* the output directory also holds the default report.xml (-FX included) */
    if (o->store_files || (o->enable_report && !o->console && !o->report)) {
        char *od = privs_path(pv, o->outdir);         /* inside the -z directory */
        bool created;
        int r = prepare_outdir(od, &created);
        if (r == 0 && created) privs_chown(pv, od);    /* -U: the user writes there */
        free(od);
        if (r < 0) return -1;
    }
    return 0;
}

/* What report.xml says of the run. */
static void run_status(char *s, size_t n, const char *error, int sig, bool input_failed, bool out_failed)
{
    if (error) snprintf(s, n, "error: %s", error);
    else if (sig) snprintf(s, n, "interrupted by %s", inputs_signal_name(sig));
    else if (input_failed && out_failed) snprintf(s, n, "completed with input and output errors");
    else if (input_failed) snprintf(s, n, "completed with input errors");
    else if (out_failed) snprintf(s, n, "completed with output errors");
    else snprintf(s, n, "complete");
}

/* Everything after the inputs: outputs finished, errors said, the report
 * ended.  Returns the exit status. */
static int finish(struct pipeline *p, struct runreport *rep, const struct options *o, int rc)
{
    int sig = inputs_signal();
    struct pipeline_stats at_end, st;       /* before the remaining flows are closed */
    pipeline_stats(p, &at_end);
    pipeline_finish(p, sig ? FLOW_END_SIGNAL : FLOW_END_EOF);
    char input[1024], *summary = NULL;
    inputs_describe(o, input, sizeof input);
    if (pipeline_scanners_finish(p, input, &summary) < 0) rc = 1;
    const char *error = pipeline_error(p);
    if (error) {
        log_error("stopped: %s", error);
        rc = 1;
    }
    int input_rc = rc;
    uint64_t wf = pipeline_write_failures(p);
    if (wf) {
        log_error("%" PRIu64 " flow file(s) could not be written completely", wf);
        rc = 1;
    }
    struct counters ctr;
    pipeline_counters(p, &ctr);
    uint64_t body_failures = ctr.n[C_HTTP_BODY_FAILED];
    if (body_failures) {
        log_error("%" PRIu64 " HTTP body file(s) could not be written completely", body_failures);
        rc = 1;
    }
    pipeline_stats(p, &st);
    if (log_level >= 2) {
        fprintf(stderr, "%s: %" PRIu64 " flows, %" PRIu64 " packets in flows\n", log_progname(),
                st.total_flows, st.total_packets);
        fprintf(stderr, "%s: skipped or dropped:\n", log_progname());
        counters_print(&ctr, stderr);
    }
    if (rep) {
        char status[700];
        run_status(status, sizeof status, error, sig, input_rc != 0, wf || body_failures);
        struct runreport_end end = { status, at_end, st, &ctr, summary };
        if (runreport_close(rep, &end) < 0) rc = 1;
    }
    free(summary);
    warn_many_files(o, st.total_flows);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    struct privs pv;
    log_init(argv[0]);
    switch (options_parse(&o, argc, argv)) {
    case OPT_RUN: break;
    case OPT_EXIT_OK: options_release(&o); return 0;
    case OPT_EXIT_ERR: options_release(&o); return 1;
    case OPT_EXIT_USAGE: options_release(&o); return 2;
    }
    if (setup(&o, &pv) < 0) {
        options_release(&o);
        return 1;
    }
    inputs_catch_signals();
    char err[1024];
    struct pipeline *p = pipeline_new(&o, err, sizeof err);
    if (!p) {
        log_error("%s", err);
        options_release(&o);
        return 1;
    }
    struct runreport *rep = NULL;
    if (o.enable_report && !o.console) {
        rep = runreport_open(&o, &pv, argc, argv);
        if (!rep) {
            pipeline_free(p);
            options_release(&o);
            return 1;
        }
        runreport_catch_fatal(rep);
        pipeline_set_done(p, runreport_flow, rep);
    }
    int rc = inputs_run(p, &o, &pv);
    rc = finish(p, rep, &o, rc);
    pipeline_free(p);
    options_release(&o);
    return rc;
}
