/* inputs.c - see inputs.h */
#include "app/inputs.h"
#include "capture/capture.h"
#include "decode/datalink.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t n_signals;     /* a second one stops a live drain */
static struct capture *live_cap;            /* the capture being read, file or live */
static struct capture *live_open;           /* -i: opened by inputs_open_live */
static struct inputs_result result;
/* A file input blocked in read() (a stalled pipe) must still end at once on
 * SIGINT/SIGTERM/SIGHUP: the reader retries reads interrupted by a signal,
 * so the handler puts /dev/null under the input's descriptor and the read
 * returns end of file. */
static volatile sig_atomic_t input_fd = -1;
static int devnull_fd = -1;

static void on_signal(int sig)
{
    got_signal = sig;
    n_signals++;
    if (live_cap) capture_breakloop(live_cap);
    if (input_fd >= 0 && devnull_fd >= 0) dup2(devnull_fd, input_fd);
}

static void on_sigpipe(int sig) { (void)sig; }

/* SIGINT, SIGTERM, SIGHUP to on_signal.  restart: the calls they interrupt
 * go on (SA_RESTART), so that a console write blocked on a slow reader
 * does not fail with EINTR; a blocked read of the input still ends
 * (on_signal puts /dev/null under it) and the readers' poll()s look at
 * the flags.  Not while an input is being opened: open() of a FIFO with
 * no writer must end on a signal, and nothing is printed then. */
static void catch_stops(bool restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void inputs_catch_signals(void)
{
    if (devnull_fd < 0) devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    catch_stops(true);
    /* SIGPIPE: writes to a closed pipe fail with EPIPE, which the console
     * handles.  A handler rather than SIG_IGN, which children (tcp_cmd)
     * would inherit across exec; a handler is reset to the default there. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);
}

int inputs_signal(void) { return got_signal; }

const char *inputs_signal_name(int sig)
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
static struct capture *open_input(const char *path, const char *bpf, bool map, char *err, size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int guess = 0;
    if (!is_stdin) {
        guess = dup(2);                     /* the lowest free descriptor */
        if (guess >= 0) close(guess);
    }
    input_fd = guess;
    catch_stops(false);
    struct capture *c = capture_open_file(path, bpf, map, err, errlen);
    catch_stops(true);
    if (c && !is_stdin && guess >= 0) {
        struct stat a, b;
        if (fstat(guess, &a) < 0 || stat(path, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
            input_fd = -1;
    }
    if (!c) input_fd = -1;
    return c;
}

/* ---- the progress line ---- */

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

static void progress_draw(struct progress *pg, struct capture *c, struct pipeline *p, bool final)
{
    int64_t now = mono_ms();
    if (!final && now - pg->last_ms < 500) return;
    pg->last_ms = now;
    uint64_t pos = capture_pos(c), size = capture_size(c);
    struct pipeline_stats st;
    pipeline_stats(p, &st);
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

/* The console writes to a pipe whose reader went away (poll says POLLERR
 * on the write end): seen without writing, so a live capture on a quiet
 * interface ends as soon as `| head` exits. */
static bool stdout_reader_gone(void)
{
    struct pollfd pf = { .fd = 1, .events = POLLOUT };
    return poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR);
}

/* Read one input to its end.  Returns 0, or 1 if it was damaged/unreadable.
 * A file stops at once on a signal; a live capture (live) goes on with what
 * its ring already holds (capture_next returns 0 after it), unless a second
 * signal comes. */
static int run_input(struct pipeline *p, struct capture *c, bool show_progress, bool live, bool console)
{
    struct capture_pkt pk;
    struct progress pg = { show_progress, mono_ms(), mono_ms(), false };
    uint64_t n = 0;
    int rc = 0, r = 0;
    int dlt = capture_first_dlt(c);
    if (dlt >= 0 && !datalink_supported(dlt)) {
        log_error("%s: unsupported link type %d (%s)", capture_name(c), dlt, datalink_name(dlt));
        return 1;
    }
    uint64_t unsupported_before = pipeline_unsupported(p);
    for (;;) {
        if (got_signal && (!live || n_signals > 1)) break;
        if ((r = capture_next(c, &pk)) != 1) break;
        n++;
        if (pk.data == NULL) {            /* live timeout */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            pipeline_tick(p, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
            if (console && stdout_reader_gone()) {
                result.reader_gone = true;
                break;
            }
            continue;
        }
        result.records++;
        if (pk.caplen < pk.wirelen) result.truncated++;
        pipeline_packet(p, &pk);
        if (pipeline_error(p)) break;
        if ((n & 1023) == 0) {
            capture_keep(c, pipeline_stable_low(p));   /* -j: pages the workers still read */
            if (console && stdout_reader_gone()) {
                result.reader_gone = true;
                break;
            }
            if (pg.on && (n & 4095) == 0) progress_draw(&pg, c, p, false);
        }
    }
    if (pg.drawn) progress_draw(&pg, c, p, true);
    if (!got_signal && !pipeline_error(p) && !result.reader_gone && r < 0) {
        log_error("%s", capture_error(c));
        rc = 1;
    }
    uint64_t uns = pipeline_unsupported(p) - unsupported_before;
    if (uns) {
        log_error("%s: %" PRIu64 " records of an unsupported link type skipped", capture_name(c), uns);
        rc = 1;
    }
    return rc;
}

/* Console output and the progress line on one terminal would mix. */
static bool progress_allowed(const struct options *o)
{
    if (!o->progress || !isatty(2)) return false;
    if (!o->console || !isatty(1)) return true;
    struct stat a, b;
    return fstat(1, &a) == 0 && fstat(2, &b) == 0 && a.st_rdev != b.st_rdev;
}

bool inputs_outdir_writable(const char *dir, const char *user)
{
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0) return true;
    if (user) log_error("cannot write to %s as %s: %s", dir, user, strerror(errno));
    else log_error("cannot write to %s: %s", dir, strerror(errno));
    return false;
}

bool inputs_drop_privs(struct privs *pv, const struct options *o)
{
    char e[700];
    if (!pv->wanted || pv->dropped) return true;
    if (!privs_drop(pv, e, sizeof e)) {
        log_error("%s", e);
        return false;
    }
    fprintf(stderr, "dropped privs to %s\n", pv->user);
    return !o->store_files || inputs_outdir_writable(o->outdir && *o->outdir ? o->outdir : ".", pv->user);
}

int inputs_open_live(const struct options *o)
{
    char err[1024];
    struct capture_live_config lc;
    capture_live_config_init(&lc);
    lc.ifname = o->iface;
    lc.bpf = o->bpf;
    lc.promisc = o->promisc;
    lc.timeout_ms = o->pbuf_timeout_ms;
    lc.immediate = o->console;               /* console output follows the traffic */
    if (o->capture_buffer) lc.buffer_bytes = o->capture_buffer;
    if (o->capture_ring_set) lc.ring_bytes = o->capture_ring;
    struct capture *c = capture_open_live_cfg(&lc, err, sizeof err);
    if (!c) {
        log_error("%s", err);
        return -1;
    }
    if (capture_warning(c)) log_warn("%s", capture_warning(c));
    log_error("listening on %s", capture_name(c));
    live_open = c;
    return 0;
}

void inputs_close_live(void)
{
    capture_close(live_open);
    live_open = NULL;
}

static int run_live(struct pipeline *p, const struct options *o, struct privs *pv)
{
    struct capture *c = live_open;
    int rc = 0;
    result.live = true;
    snprintf(result.source, sizeof result.source, "%s", capture_name(c));
    live_cap = c;
    if (got_signal) capture_breakloop(c);       /* a signal came before */
    if (!inputs_drop_privs(pv, o)) rc = 1;
    else rc |= run_input(p, c, false, true, o->console);
    live_cap = NULL;
    capture_breakloop(c);                       /* stopped: the counters are final */
    capture_stats(c, &result.cap);
    inputs_close_live();
    if (got_signal) log_error("terminating orderly");
    return rc;
}

int inputs_run(struct pipeline *p, const struct options *o, struct privs *pv)
{
    char err[1024];
    int rc = 0;
    bool show_progress = progress_allowed(o);
    if (o->ninputs == 0) {
        if (!live_open && inputs_open_live(o) < 0) return 1;
        rc |= run_live(p, o, pv);
    }
    for (size_t i = 0; i < o->ninputs && !got_signal && !pipeline_error(p) && !result.reader_gone; i++) {
        struct capture *c = open_input(o->inputs[i].path, o->bpf, pipeline_threaded(p), err, sizeof err);
        if (!c) {
            if (got_signal) break;                  /* interrupted while opening */
            log_error("%s", err);
            rc = 1;
            if (strstr(err, "filter")) break;      /* a bad expression fails every input */
            continue;
        }
        if (!inputs_drop_privs(pv, o)) {           /* never go on as root */
            rc = 1;
            capture_close(c);
            break;
        }
        live_cap = c;
        if (got_signal) capture_breakloop(c);
        pipeline_set_may_start(p, !o->inputs[i].finish_only);
        const uint8_t *lo, *hi;
        if (capture_mapped(c, &lo, &hi)) pipeline_set_stable(p, lo, hi);   /* -j: records read in place */
        rc |= run_input(p, c, show_progress, false, o->console);
        pipeline_set_stable(p, NULL, NULL);     /* the workers are done with its bytes */
        live_cap = NULL;
        input_fd = -1;
        capture_close(c);
    }
    if (got_signal && o->ninputs) log_error("terminating orderly");
    return rc;
}

void inputs_get_result(struct inputs_result *r) { *r = result; }

void inputs_describe(const struct options *o, char *out, size_t n)
{
    if (o->ninputs == 0) snprintf(out, n, "%s", o->iface ? o->iface : "");
    else if (o->ninputs == 1) snprintf(out, n, "%s", o->inputs[0].path);
    else snprintf(out, n, "%s + %zu more", o->inputs[0].path, o->ninputs - 1);
}
