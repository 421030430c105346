/* main.c - options -> run context -> inputs -> exit status.
 * With options.c the only place that decides to exit. */
#include "capture/capture.h"
#include "decode/datalink.h"
#include "app/options.h"
#include "app/privs.h"
#include "report/dfxml.h"
#include "output/sink_console.h"
#include "scan/netviz.h"
#include "output/sink_file.h"
#include "app/tcpflow.h"
#include "util/log.h"
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;
static struct capture *live_cap;            /* the capture being read, file or live */
/* A file input blocked in read() (a stalled pipe) must still end at once on
 * SIGINT/SIGTERM/SIGHUP: the reader retries reads interrupted by a signal,
 * so the handler puts /dev/null under the input's descriptor and the read
 * returns end of file. */
static volatile sig_atomic_t input_fd = -1;
static int devnull_fd = -1;

static void on_signal(int sig)
{
    got_signal = sig;
    if (live_cap) capture_breakloop(live_cap);
    if (input_fd >= 0 && devnull_fd >= 0) dup2(devnull_fd, input_fd);
}

/* A crash or an abort (out of memory) still ends the report well-formed,
 * "killed by signal N", then dies by the same signal.  Under AddressSanitizer
 * only SIGABRT is taken: the sanitizer reports the others itself. */
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

static void catch_fatal_signals(void)
{
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

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    }
    return "a signal";
}

/* Open a file input and find its descriptor (for on_signal): "-" is fd 0;
 * a path gets the lowest free descriptor (open() is the first thing that
 * takes one), and is checked afterwards to really be the file (same device
 * and inode).  It is armed during the open already: reading the file header
 * from a stalled pipe blocks too. */
static struct capture *open_input(const char *path, const char *bpf, char *err, size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int guess = 0;
    if (!is_stdin) {
        guess = dup(2);                     /* the lowest free descriptor */
        if (guess >= 0) close(guess);
    }
    input_fd = guess;
    struct capture *c = capture_open_file(path, bpf, err, errlen);
    if (c && !is_stdin && guess >= 0) {
        struct stat a, b;
        if (fstat(guess, &a) < 0 || stat(path, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
            input_fd = -1;
    }
    if (!c) input_fd = -1;
    return c;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void human(double v, char *out, size_t n)
{
    const char *u[] = { "B", "KB", "MB", "GB", "TB" };
    int i = 0;
    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

struct progress { bool on; int64_t start_ms, last_ms; bool drawn; };

static void progress_draw(struct progress *pg, struct capture *c, struct tcpflow *t, bool final)
{
    int64_t now = mono_ms();
    if (!final && now - pg->last_ms < 500) return;
    pg->last_ms = now;
    uint64_t pos = capture_pos(c), size = capture_size(c);
    struct tcpflow_stats st;
    tcpflow_stats(t, &st);
    double secs = (double)(now - pg->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)pos / secs : 0;
    char a[32], b[32], r[32], left[32] = "";
    human((double)pos, a, sizeof a);
    human(rate, r, sizeof r);
    if (size) {
        human((double)size, b, sizeof b);
        if (rate > 0 && size > pos) {
            long s = (long)((double)(size - pos) / rate);
            snprintf(left, sizeof left, ", %ld:%02ld left", s / 60, s % 60);
        }
        fprintf(stderr, "\r%s: %s of %s (%.0f%%), %" PRIu64 " flows, %s/s%s   ",
                capture_name(c), a, b, 100.0 * (double)pos / (double)size, st.total_flows, r, left);
    } else {
        fprintf(stderr, "\r%s: %s, %" PRIu64 " flows, %s/s   ", capture_name(c), a, st.total_flows, r);
    }
    pg->drawn = true;
    if (final) { fputc('\n', stderr); pg->drawn = false; }
}

/* Read one input to its end.  Returns 0, or 1 if it was damaged/unreadable. */
static int run_input(struct tcpflow *t, struct capture *c, bool show_progress)
{
    struct capture_pkt p;
    struct progress pg = { show_progress, mono_ms(), mono_ms(), false };
    uint64_t n = 0;
    int rc = 0, r;
    int dlt = capture_first_dlt(c);
    if (dlt >= 0 && !datalink_supported(dlt)) {
        log_error("%s: unsupported link type %d (%s)", capture_name(c), dlt, datalink_name(dlt));
        return 1;
    }
    uint64_t unsupported_before = tcpflow_unsupported_records(t);
    while (!got_signal && (r = capture_next(c, &p)) == 1) {
        if (p.data == NULL) {            /* live timeout */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            tcpflow_tick(t, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
            continue;
        }
        tcpflow_packet(t, &p);
        if (tcpflow_error(t)) break;
        if (pg.on && (++n & 4095) == 0) progress_draw(&pg, c, t, false);
    }
    if (pg.drawn) progress_draw(&pg, c, t, true);
    if (!got_signal && !tcpflow_error(t) && r < 0) {
        log_error("%s", capture_error(c));
        rc = 1;
    }
    uint64_t uns = tcpflow_unsupported_records(t) - unsupported_before;
    if (uns) {
        log_error("%s: %" PRIu64 " records of an unsupported link type skipped", capture_name(c), uns);
        rc = 1;
    }
    return rc;
}

/* Every flow file would fail: say so once, before anything is done
 * (access() also sees a read-only file system when root).  user: after -U. */
static bool outdir_writable(const char *dir, const char *user)
{
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0) return true;
    if (user) log_error("cannot write to %s as %s: %s", dir, user, strerror(errno));
    else log_error("cannot write to %s: %s", dir, strerror(errno));
    return false;
}

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
    return outdir_writable(dir, NULL) ? 0 : -1;
}

/* Room kept for the end of the report when the disk fills up: space past
 * the report's end stays allocated (FALLOC_FL_KEEP_SIZE, through a second
 * descriptor), renewed as the report grows.  When it can no longer be
 * renewed, fileobjects that would eat into it are left out (and counted),
 * so the trailer with its run_status still fits. */
#define REPORT_RESERVE (64 * 1024)
#define REPORT_ROOM (16 * 1024)     /* a trailer plus one fileobject fit in this */

struct report_ctx {
    struct dfxml *x;
    int rfd;                        /* second descriptor of a regular report file, or -1 */
    int64_t reserved_end;           /* allocated up to here */
    uint64_t left_out;              /* fileobjects not written to keep the room */
};

/* true if there is room for one more fileobject and the trailer. */
static bool report_room(struct report_ctx *r)
{
    if (r->rfd < 0) return true;
    /* the report's length with what the writer still holds: no syscall
     * per fileobject, and the reserve covers the unflushed batch too */
    int64_t size = r->x ? dfxml_offset(r->x) : -1;
    if (size < 0) return true;
    if (size + REPORT_ROOM <= r->reserved_end) return true;
    if (fallocate(r->rfd, FALLOC_FL_KEEP_SIZE, size, REPORT_RESERVE) == 0) {
        r->reserved_end = size + REPORT_RESERVE;
        return true;
    }
    if (errno != ENOSPC && errno != EDQUOT) {  /* not supported here: no reserve at all */
        close(r->rfd);
        r->rfd = -1;
        return true;
    }
    return size + REPORT_ROOM <= r->reserved_end;
}

static void report_reserve_open(struct report_ctx *r, const char *path)
{
    r->rfd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (r->rfd >= 0 && (fstat(r->rfd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(r->rfd);
        r->rfd = -1;
    }
    report_room(r);                 /* the first reserve, while there is space */
}

/* After the report is closed: give back what is allocated past its end. */
static void report_reserve_close(struct report_ctx *r)
{
    struct stat st;
    if (r->rfd < 0) return;
    if (fstat(r->rfd, &st) == 0 && r->reserved_end > st.st_size) {
        /* tmpfs lets a hole be punched past the end, ext4 frees the blocks
         * past the end on a truncate to the same size */
        if (fallocate(r->rfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                      r->reserved_end - st.st_size) == 0) { /* nothing else to do */ }
        if (ftruncate(r->rfd, st.st_size) == 0) { /* same */ }
    }
    close(r->rfd);
    r->rfd = -1;
}

/* -e netviz: <outdir>/report.pdf (a planted symlink is not followed). */
static int write_netviz(const struct options *o, struct netviz *nv)
{
    const char *d = o->outdir && *o->outdir ? o->outdir : ".";
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/report.pdf", d) >= (int)sizeof path) return -1;
    char input[1024];
    if (o->ninputs == 0) snprintf(input, sizeof input, "%s", o->iface ? o->iface : "");
    else if (o->ninputs == 1) snprintf(input, sizeof input, "%s", o->inputs[0].path);
    else snprintf(input, sizeof input, "%s + %zu more", o->inputs[0].path, o->ninputs - 1);
    int fd = outdir_open(d, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        log_error("%s: %s", path, strerror(errno));
        return -1;
    }
    char err[256];
    int r = netviz_write(nv, fd, input, err, sizeof err);
    if (close(fd) < 0 && r == 0) {
        snprintf(err, sizeof err, "%s", strerror(errno));
        r = -1;
    }
    if (r < 0) log_error("%s: %s", path, err);
    return r;
}

static void on_flow_done(void *arg, const struct flow_summary *fs)
{
    struct report_ctx *r = arg;
    struct flow_summary s = *fs;
    if (!report_room(r)) {
        r->left_out++;
        return;
    }
    dfxml_fileobject(r->x, &s, s.scanner_xml);
}

static char *report_path(const struct options *o)
{
    if (o->report) return strdup(o->report);
    const char *d = o->outdir;
    if (!d || !*d || !strcmp(d, ".")) return strdup("report.xml");
    char *p = malloc(strlen(d) + 12);
    if (p) sprintf(p, "%s/report.xml", d);
    return p;
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

/* -U: give up root once the first capture is open (1.6.1's message), and
 * make sure the user can write where the flow files go. */
static bool drop_now(struct privs *pv, const struct options *o)
{
    char e[700];
    if (!pv->wanted || pv->dropped) return true;
    if (!privs_drop(pv, e, sizeof e)) {
        log_error("%s", e);
        return false;
    }
    fprintf(stderr, "dropped privs to %s\n", pv->user);
    return !o->store_files || outdir_writable(o->outdir && *o->outdir ? o->outdir : ".", pv->user);
}

int main(int argc, char **argv)
{
    struct options o;
    log_init(argv[0]);
    switch (options_parse(&o, argc, argv)) {
    case OPT_RUN: break;
    case OPT_EXIT_OK: options_release(&o); return 0;
    case OPT_EXIT_ERR: options_release(&o); return 1;
    case OPT_EXIT_USAGE: options_release(&o); return 2;
    }
    struct privs pv;
    {
        char perr[600];
        if (!privs_lookup(&pv, o.user, o.chroot, perr, sizeof perr)) {
            log_error("%s", perr);
            options_release(&o);
            return 1;
        }
    }
    /* the output directory also holds the default report.xml (-FX included) */
    if (o.store_files || (o.enable_report && !o.console && !o.report)) {
        char *od = privs_path(&pv, o.outdir);       /* inside the -z directory */
        bool created;
        int r = prepare_outdir(od, &created);
        if (r == 0 && created) privs_chown(&pv, od);  /* -U: the user writes there */
        free(od);
        if (r < 0) {
            options_release(&o);
            return 1;
        }
    }
    devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct tcpflow *t = tcpflow_new(&o);
    int rc = 0;
    char err[1024];
    struct sink_console *console = NULL;
    if (o.console) {
        struct sink_console_config cc = {
            .header = o.console_header, .hex = o.console_hex, .binary = o.console_binary,
            .strip = o.console_strip, .nonl = o.console_nonl, .color = o.console_color,
            .json = o.console_json, .max_bytes = o.max_bytes, .outdir = o.outdir, .tmpl = o.tmpl,
            .tdelta_us = o.tdelta_us, .max_held_flow = 1u << 20, .max_held_total = 64u << 20,
            .lockname = o.lockname, .out = stdout,
        };
        console = sink_console_new(&cc, err, sizeof err);
        if (!console) {
            log_error("%s", err);
            tcpflow_free(t);
            options_release(&o);
            return 1;
        }
        tcpflow_set_console(t, console);
    }
    struct report_ctx rep = { NULL, -1, 0, 0 };
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    if (o.enable_report && !o.console) {
        char *path0 = report_path(&o);
        char *path = path0 ? privs_path(&pv, path0) : NULL;     /* -z: inside the chroot */
        free(path0);
        struct dfxml_pair *cfg = calloc(o.nsettings + 1, sizeof *cfg);
        for (size_t i = 0; cfg && i < o.nsettings; i++) {
            char *eq = strchr(o.settings[i], '=');
            cfg[i].name = o.settings[i];
            cfg[i].value = eq ? eq + 1 : "";
        }
        /* names are "name=value": cut at '=' in a copy */
        char **names = calloc(o.nsettings + 1, sizeof *names);
        for (size_t i = 0; cfg && names && i < o.nsettings; i++) {
            names[i] = strndup(o.settings[i], (size_t)(strchr(o.settings[i], '=') - o.settings[i]));
            cfg[i].name = names[i];
        }
        struct dfxml_run run = {
            .argc = argc, .argv = argv, .start_us = (int64_t)t0.tv_sec * 1000000 + t0.tv_nsec / 1000,
            .version = TCPFLOW_VERSION, .tdelta = o.tdelta_us / 1000000,
            .config = cfg, .n_config = cfg ? o.nsettings : 0,
        };
        if (path) log_debug(1, "reportfilename: %s", path);
        /* the default report.xml: a symlink planted in the output directory
         * is never written through (O_NOFOLLOW, no check-then-open race);
         * -X names a path of the user's choice, followed as 1.6.1 does */
        rep.x = path ? dfxml_open_path(path, !o.report, &run, err, sizeof err) : NULL;
        if (rep.x) {
            privs_chown(&pv, path);             /* -U: as 1.6.1 */
            report_reserve_open(&rep, path);
            crash_report = rep.x;
            catch_fatal_signals();
        }
        if (!rep.x) {
            log_error("%s", path ? err : "out of memory");
            free(path);
            for (size_t i = 0; names && i < o.nsettings; i++) free(names[i]);
            free(names);
            free(cfg);
            tcpflow_free(t);
            sink_console_free(console);
            options_release(&o);
            return 1;
        }
        for (size_t i = 0; names && i < o.nsettings; i++) free(names[i]);
        free(names);
        free(cfg);
        free(path);
    }
    if (rep.x) tcpflow_set_flow_done(t, on_flow_done, &rep);
    bool show_progress = o.progress && isatty(2);
    if (o.ninputs == 0) {
        struct capture_live_config lc;
        capture_live_config_init(&lc);
        lc.ifname = o.iface;
        lc.bpf = o.bpf;
        lc.promisc = o.promisc;
        lc.timeout_ms = o.pbuf_timeout_ms;
        lc.immediate = o.console;               /* console output follows the traffic */
        if (o.capture_buffer) lc.buffer_bytes = o.capture_buffer;
        if (o.capture_ring_set) lc.ring_bytes = o.capture_ring;
        struct capture *c = capture_open_live_cfg(&lc, err, sizeof err);
        if (!c) {
            log_error("%s", err);
            rc = 1;
        } else {
            log_error("listening on %s", capture_name(c));
            live_cap = c;
            if (!drop_now(&pv, &o)) rc = 1;
            else rc |= run_input(t, c, false);
            live_cap = NULL;
            /* TEMPORARY (until the end-of-run loss summary is wired): the
             * live capture's counters at -d 1, read by tests/e2e/t_live.sh */
            struct capture_stats cs;
            capture_stats(c, &cs);
            log_debug(1, "capture: %" PRIu64 " received, %" PRIu64 " dropped by the kernel, %" PRIu64
                      " dropped by the interface, %" PRIu64 " captured, %" PRIu64 " delivered, %" PRIu64
                      " ring waits, ring peak %" PRIu64 " of %" PRIu64 " bytes",
                      cs.received, cs.kernel_drops, cs.if_drops, cs.captured, cs.delivered,
                      cs.ring_waits, cs.ring_peak, cs.ring_bytes);
            capture_close(c);
            if (got_signal) log_error("terminating orderly");
        }
    }
    for (size_t i = 0; i < o.ninputs && !got_signal && !tcpflow_error(t); i++) {
        struct capture *c = open_input(o.inputs[i].path, o.bpf, err, sizeof err);
        if (!c) {
            if (got_signal) break;                  /* interrupted while opening */
            log_error("%s", err);
            rc = 1;
            if (strstr(err, "filter")) break;      /* a bad expression fails every input */
            continue;
        }
        if (!drop_now(&pv, &o)) {               /* never go on as root */
            rc = 1;
            capture_close(c);
            break;
        }
        live_cap = c;
        if (got_signal) capture_breakloop(c);
        tcpflow_set_may_start(t, !o.inputs[i].finish_only);
        rc |= run_input(t, c, show_progress);
        live_cap = NULL;
        input_fd = -1;
        capture_close(c);
    }
    if (got_signal && o.ninputs) log_error("terminating orderly");
    struct tcpflow_stats at_end;            /* before the remaining flows are closed */
    tcpflow_stats(t, &at_end);
    tcpflow_finish(t, got_signal ? FLOW_END_SIGNAL : FLOW_END_EOF);
    if (tcpflow_netviz(t) && write_netviz(&o, tcpflow_netviz(t)) < 0) rc = 1;
    if (tcpflow_error(t)) {
        log_error("stopped: %s", tcpflow_error(t));
        rc = 1;
    }
    int input_rc = rc;
    if (tcpflow_write_failures(t)) {
        log_error("%" PRIu64 " flow file(s) could not be written completely", tcpflow_write_failures(t));
        rc = 1;
    }
    uint64_t body_failures = tcpflow_counters(t)->n[C_HTTP_BODY_FAILED];
    if (body_failures) {
        log_error("%" PRIu64 " HTTP body file(s) could not be written completely", body_failures);
        rc = 1;
    }
    bool out_failed = tcpflow_write_failures(t) || body_failures;
    if (log_level >= 2 || log_level >= 10) {
        struct tcpflow_stats st;
        tcpflow_stats(t, &st);
        fprintf(stderr, "%s: %" PRIu64 " flows, %" PRIu64 " packets in flows\n", log_progname(),
                st.total_flows, st.total_packets);
        fprintf(stderr, "%s: skipped or dropped:\n", log_progname());
        counters_print(tcpflow_counters(t), stderr);
    }
    if (rep.x) {
        struct tcpflow_stats st;
        tcpflow_stats(t, &st);
        const struct counters *ctr = tcpflow_counters(t);
        struct dfxml_counter dc[C__COUNT];
        size_t nd = 0;
        for (int i = 0; i < C__COUNT; i++)
            if (ctr->n[i]) { dc[nd].name = counter_text((enum counter_id)i); dc[nd].value = ctr->n[i]; nd++; }
        char status[700];
        if (tcpflow_error(t)) snprintf(status, sizeof status, "error: %s", tcpflow_error(t));
        else if (got_signal) snprintf(status, sizeof status, "interrupted by %s", signal_name(got_signal));
        else if (input_rc && out_failed) snprintf(status, sizeof status, "completed with input and output errors");
        else if (input_rc) snprintf(status, sizeof status, "completed with input errors");
        else if (out_failed) snprintf(status, sizeof status, "completed with output errors");
        else snprintf(status, sizeof status, "complete");
        if (rep.left_out) {
            size_t n = strlen(status);
            snprintf(status + n, sizeof status - n, "; %" PRIu64 " fileobject(s) left out for lack of space",
                     rep.left_out);
        }
        struct dfxml_end end = {
            .status = status, .open_fds_at_end = at_end.open_fds, .max_open_flows = st.max_open_files,
            .total_flows = st.total_flows, .flow_map_size = at_end.open_flows, .total_packets = st.total_packets,
            .counters = dc, .n_counters = nd,
        };
        crash_report = NULL;
        if (dfxml_close(rep.x, &end, err, sizeof err) < 0) {
            log_error("report: %s", err);
            rc = 1;
        }
        rep.x = NULL;
        report_reserve_close(&rep);
    }
    {
        struct tcpflow_stats st;
        tcpflow_stats(t, &st);
        warn_many_files(&o, st.total_flows);
    }
    tcpflow_free(t);
    sink_console_free(console);
    options_release(&o);
    if (devnull_fd >= 0) close(devnull_fd);
    return rc;
}
