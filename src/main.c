/* main.c - options -> pipeline -> inputs -> report -> exit status.
 * With options.c the only place that decides to exit. */
#include "app/inputs.h"
#include "app/losses.h"
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

/* The output directory, made if needed: it holds the flow files, -K's
 * pcaps and the default report.xml (-FX included). */
static int setup_outdir(const struct options *o, const struct privs *pv)
{
    if (!o->store_files && !o->pcap_per_flow && !(o->enable_report && !o->console && !o->report))
        return 0;
    char *od = privs_path(pv, o->outdir);             /* inside the -z directory */
    bool created;
    int r = prepare_outdir(od, &created);
    if (r == 0 && created) privs_chown(pv, od);        /* -U: the user writes there */
    free(od);
    return r;
}

/* What report.xml says of the run. */
static void run_status(char *s, size_t n, const char *error, int sig, bool live, bool input_failed,
                       bool out_failed, bool scan_failed)
{
    if (error) snprintf(s, n, "error: %s", error);
    else if (sig && live) snprintf(s, n, "stopped by %s", inputs_signal_name(sig));
    else if (sig) snprintf(s, n, "interrupted by %s", inputs_signal_name(sig));
    else if (!input_failed && !out_failed && !scan_failed) snprintf(s, n, "complete");
    else
        snprintf(s, n, "completed with %s%s%s%s%s errors", input_failed ? "input" : "",
                 input_failed && (out_failed || scan_failed) ? (out_failed && scan_failed ? ", " : " and ") : "",
                 out_failed ? "output" : "", out_failed && scan_failed ? " and " : "",
                 scan_failed ? "scanner" : "");
}

/* The tracker's done callback: the losses count holes, the report gets
 * its fileobject. */
struct on_done { struct losses *losses; struct runreport *rep; };

static void flow_done(void *arg, const struct flow_summary *rec)
{
    struct on_done *d = arg;
    losses_flow(d->losses, rec);
    if (d->rep) runreport_flow(d->rep, rec);
}

/* Everything after the inputs: outputs finished, errors and losses said,
 * the report ended.  Returns the exit status: 1 when something failed; a
 * file input interrupted by a signal gives 128 + its number (130 for
 * SIGINT), while a signal is how a live capture normally stops (0).  A
 * console whose reader went away (EPIPE) ends quietly (0). */
static int finish(struct pipeline *p, struct runreport *rep, struct losses *ls, const struct options *o, int rc)
{
    int input_rc_of_run = rc;               /* the inputs' own: damaged, unreadable */
    int sig = inputs_signal();
    struct inputs_result in;
    inputs_get_result(&in);
    struct pipeline_stats at_end, st;       /* before the remaining flows are closed */
    pipeline_drain(p);                      /* -j: the workers caught up with the input */
    pipeline_stats(p, &at_end);
    pipeline_finish(p, sig ? FLOW_END_SIGNAL : FLOW_END_EOF);
    char input[1024], *summary = NULL;
    inputs_describe(o, input, sizeof input);
    bool scan_failed = pipeline_scanners_finish(p, input, &summary) < 0;
    if (scan_failed) rc = 1;
    bool gone = in.reader_gone || pipeline_reader_gone(p);
    const char *error = gone ? NULL : pipeline_error(p);
    if (error) {
        log_error("stopped: %s", error);
        rc = 1;
    }
    bool input_failed = input_rc_of_run != 0;
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
    losses_finish(ls, &in, &ctr, pipeline_unsupported(p), error != NULL);
    if (!o->quiet || log_level >= 2)
        losses_print(ls, stderr, o->store_files ? HOLES_ZEROS : o->console ? HOLES_GAPS : HOLES_UNSHOWN,
                     log_level >= 2);
    if (log_level >= 2) {
        fprintf(stderr, "%s: %" PRIu64 " flows, %" PRIu64 " packets in flows\n", log_progname(),
                st.total_flows, st.total_packets);
        fprintf(stderr, "%s: skipped or dropped:\n", log_progname());
        counters_print(&ctr, stderr);
    }
    if (rep) {
        char status[700];
        run_status(status, sizeof status, error, sig, in.live, input_failed, wf || body_failures, scan_failed);
        struct dfxml_losses dl;
        losses_dfxml(ls, &dl);
        struct runreport_end end = { status, at_end, st, &ctr, summary, &dl };
        if (runreport_close(rep, &end) < 0) rc = 1;
    }
    free(summary);
    warn_many_files(o, st.total_flows);
    if (sig && !in.live) return 128 + sig;
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
    char err[1024];
    if (!privs_lookup(&pv, o.user, o.chroot, err, sizeof err)) {
        log_error("%s", err);
        options_release(&o);
        return 1;
    }
    inputs_catch_signals();
    /* the live capture first: a bad interface leaves no directory or report */
    if ((o.ninputs == 0 && inputs_open_live(&o) < 0) || setup_outdir(&o, &pv) < 0) {
        inputs_close_live();
        options_release(&o);
        return 1;
    }
    struct pipeline *p = pipeline_new(&o, err, sizeof err);
    if (!p) {
        log_error("%s", err);
        inputs_close_live();
        options_release(&o);
        return 1;
    }
    struct runreport *rep = NULL;
    if (o.enable_report && !o.console) {
        rep = runreport_open(&o, &pv, argc, argv);
        if (!rep) {
            inputs_close_live();
            pipeline_free(p);
            options_release(&o);
            return 1;
        }
        runreport_catch_fatal(rep);
    }
    struct losses losses;
    losses_init(&losses);
    struct on_done done = { &losses, rep };
    pipeline_set_done(p, flow_done, &done);
    int rc = inputs_run(p, &o, &pv);
    rc = finish(p, rep, &losses, &o, rc);
    pipeline_free(p);
    options_release(&o);
    return rc;
}
