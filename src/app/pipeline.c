/* pipeline.c - see pipeline.h */
#include "app/pipeline.h"
#include "capture/pcapwrite.h"
#include "decode/decode.h"
#include "flow/conntrack.h"
#include "flow/dispatch.h"
#include "output/hooks.h"
#include "output/kpcap.h"
#include "output/sink_console.h"
#include "output/sink_file.h"
#include "scan/scanner.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scan_inst {
    const struct scanner *sc;
    void *self;
    struct flow_consumer fc;
};

/* The consumers of flows: one set for the tracker, or one per worker (-j). */
struct cset {
    struct sink_file *sink;
    struct sink_console *console;
    struct hooks *hooks;
    struct scan_env env;
    struct counters scan_ctr;
    struct scan_inst scans[OPTIONS_MAX_SCANNERS];
    size_t nscans;
};

struct pipeline {
    const struct options *o;
    struct decoder *dec;
    struct conntrack *ct;
    struct dispatch *disp;              /* -j: the consumers on workers */
    struct cset *sets;                  /* nsets: 1, or one per worker */
    unsigned nsets;
    struct scan_inst pscans[OPTIONS_MAX_SCANNERS];     /* scanners with packet hooks (the reader's) */
    size_t npscans;
    struct counters pscan_ctr;
    struct scan_env penv;
    struct kpcap *kp;                   /* -K */
    struct pcapwrite *w;                /* -w: records not processed */
    bool w_failed;
    uint64_t w_failures;
    struct counters ctr;                /* -w's and --shard's */
    int64_t now_us;
};

/* ---- -w: records that reached IP but were not TCP we could use ---- */

static void write_unprocessed(void *arg, int64_t ts, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                              int dlt)
{
    struct pipeline *p = arg;
    if (p->w_failed) return;
    if (!p->w) {
        char err[1024];
        p->w = pcapwrite_open(p->o->wfile, dlt, err, sizeof err);
        if (!p->w) {
            log_error("cannot write -w file %s", err);
            p->w_failed = true;
            p->w_failures++;
            return;
        }
    }
    if (dlt != pcapwrite_dlt(p->w)) {
        p->ctr.n[C_OUT_W_OTHER_DLT]++;      /* a pcap file has one link type */
        return;
    }
    if (pcapwrite_packet(p->w, ts, data, caplen, wirelen) < 0) {
        log_error("write to %s failed: %s", p->o->wfile, strerror(errno));
        p->w_failed = true;
        p->w_failures++;
    }
}

static void view(void *arg, const struct decode_view *v)
{
    struct pipeline *p = arg;
    for (size_t i = 0; i < p->npscans; i++)
        p->pscans[i].sc->packet(p->pscans[i].self, v);
}

/* ---- the stages' configurations ---- */

static int max_fds(const struct options *o)
{
    return o->max_fds > 0 ? o->max_fds : sink_file_default_max_fds();
}

static struct decoder *make_decoder(struct pipeline *p)
{
    const struct options *o = p->o;
    struct decode_config dc;
    decode_config_default(&dc);
    dc.check_fcs = o->check_fcs;
    for (size_t i = 0; i < o->nsettings; i++) {          /* -S tunnels=, vxlan_ports= ... */
        char name[64], err[256];
        const char *eq = strchr(o->settings[i], '=');
        size_t n = eq ? (size_t)(eq - o->settings[i]) : 0;
        if (!eq || n >= sizeof name) continue;
        memcpy(name, o->settings[i], n);
        name[n] = '\0';
        (void)tunnel_config_set(&dc.tun, name, eq + 1, err, sizeof err);   /* checked by options */
    }
    dc.frag.timeout_us = o->frag_timeout_us;
    dc.frag.max_bytes = o->frag_memcap;
    dc.frag.max_datagrams = o->frag_max_datagrams;
    if (!defrag_policy_parse(o->frag_policy, &dc.frag.policy))
        dc.frag.policy = DEFRAG_FIRST;
    dc.frag.keep_frames = o->wfile != NULL;
    struct decoder *d = decoder_new(&dc);
    if (o->wfile) decoder_set_unprocessed(d, write_unprocessed, p);
    decoder_set_view(d, view, p);
    return d;
}

static struct conntrack *make_tracker(const struct options *o)
{
    struct conntrack_config cc = {
        .max_seek = o->max_seek, .max_bytes = o->max_bytes, .tcp_timeout_us = o->tcp_timeout_us,
        .closed_linger_us = o->closed_linger_us, .max_closed = o->max_closed, .max_flows = o->max_flows,
        .overlap_last = o->tcp_overlap_last, .tdelta_us = o->tdelta_us,
        .max_held_flow = 1u << 20, .max_held_total = 64u << 20,
    };
    return conntrack_new(&cc);
}

static struct sink_file *make_sink(const struct options *o, unsigned nsets)
{
    struct sink_file_config sc = {
        .outdir = o->outdir, .tmpl = o->tmpl, .max_bytes = o->max_bytes, .max_fds = max_fds(o),
        .max_buffered = o->max_buffered, .tdelta_us = o->tdelta_us, .findx = o->findx,
        .alert_fd = o->tcp_alert_fd, .cmd = o->tcp_cmd,
    };
    if (o->findx && sc.max_fds > 1) sc.max_fds /= 2;
    /* the budgets are shared by the workers' sinks */
    sc.max_fds = sc.max_fds / (int)nsets > 0 ? sc.max_fds / (int)nsets : 1;
    sc.max_buffered /= nsets;
    return sink_file_new(&sc);
}

static struct sink_console *make_console(const struct options *o, char *err, size_t errlen)
{
    struct sink_console_config cc = {
        .header = o->console_header, .hex = o->console_hex, .binary = o->console_binary,
        .strip = o->console_strip, .nonl = o->console_nonl, .color = o->console_color,
        .json = o->console_json, .outdir = o->outdir, .tmpl = o->tmpl, .tdelta_us = o->tdelta_us,
        .lockname = o->lockname, .out = stdout,
    };
    return sink_console_new(&cc, err, errlen);
}

/* A scanner's setting: as given with -S, else its default. */
static const char *setting(const struct scan_env *env, const char *name)
{
    const struct options *o = env->setting_arg;
    const char *v = options_setting(o, name);
    if (v) return v;
    const struct scanner *sc = scanner_for_setting(name);
    for (const struct scan_setting *s = sc ? sc->settings : NULL; s && s->name; s++)
        if (!strcmp(s->name, name)) return s->def;
    return "";
}

/* Whether scanner i runs: its -e/-x state; the md5 scanner is -FM's too,
 * and only where there are files and a report to put digests in. */
static bool scanner_wanted(const struct options *o, size_t i)
{
    const struct scanner *sc = scanner_registry[i];
    if (!sc->create) return false;
    if (!strcmp(sc->name, "md5")) return o->md5 && o->enable_report && o->store_files;
    return o->scan[i];
}

static bool enabled(const struct scan_env *env, const char *name)
{
    for (size_t i = 0; scanner_registry[i]; i++)
        if (!strcmp(scanner_registry[i]->name, name)) return scanner_wanted(env->setting_arg, i);
    return false;
}

/* Every -S name=value, in order: pointers into the options' settings. */
static const char *const *setting_all(const struct scan_env *env, const char *name, size_t *n)
{
    const struct options *o = env->setting_arg;
    static _Thread_local const char *vals[64];
    size_t k = 0, len = strlen(name);
    for (size_t i = 0; i < o->nsettings && k < 64; i++)
        if (!strncmp(o->settings[i], name, len) && o->settings[i][len] == '=')
            vals[k++] = o->settings[i] + len + 1;
    *n = k;
    return vals;
}

static void make_env(struct scan_env *env, struct counters *ctr, const struct options *o)
{
    *env = (struct scan_env){
        .outdir = o->outdir, .files = o->store_files, .gunzip = o->gunzip_http, .tdelta_us = o->tdelta_us,
        .max_bytes = o->max_bytes, .tmpl = o->tmpl, .ctr = ctr, .setting = setting,
        .setting_all = setting_all, .enabled = enabled, .setting_arg = o,
    };
}

static bool make_scan(struct scan_inst *si, const struct scanner *sc, const struct scan_env *env, char *err,
                      size_t errlen)
{
    si->sc = sc;
    si->self = sc->create(env, err, errlen);
    si->fc.ops = sc->flow;
    si->fc.self = si->self;
    return si->self != NULL;
}

/* The scanners with packet hooks, once, for the reader. */
static bool make_packet_scanners(struct pipeline *p, char *err, size_t errlen)
{
    make_env(&p->penv, &p->pscan_ctr, p->o);
    for (size_t i = 0; scanner_registry[i]; i++) {
        const struct scanner *sc = scanner_registry[i];
        if (!scanner_wanted(p->o, i) || !sc->packet) continue;
        if (!make_scan(&p->pscans[p->npscans], sc, &p->penv, err, errlen)) return false;
        p->npscans++;
    }
    return true;
}

/* One set of flow consumers: sinks, then scanners with flow hooks;
 * add(c) registers each (with the tracker, or with a worker). */
static bool make_set(struct pipeline *p, struct cset *cs, bool (*add)(void *, struct flow_consumer *), void *arg,
                     char *err, size_t errlen)
{
    const struct options *o = p->o;
    if (o->store_files) {
        cs->sink = make_sink(o, p->nsets);
        add(arg, sink_file_consumer(cs->sink));
    }
    if (o->console) {
        cs->console = make_console(o, err, errlen);
        if (!cs->console) return false;
        add(arg, sink_console_consumer(cs->console));
    }
    if (!cs->sink && o->tcp_alert_fd >= 0) {
        struct hooks_config hc = { o->tcp_alert_fd, o->tmpl, o->tdelta_us };
        cs->hooks = hooks_new(&hc);
        add(arg, hooks_consumer(cs->hooks));
    }
    make_env(&cs->env, &cs->scan_ctr, o);
    for (size_t i = 0; scanner_registry[i]; i++) {
        const struct scanner *sc = scanner_registry[i];
        if (!scanner_wanted(o, i) || !sc->flow) continue;
        struct scan_inst *si = &cs->scans[cs->nscans];
        if (!make_scan(si, sc, &cs->env, err, errlen)) return false;
        cs->nscans++;
        if (!add(arg, &si->fc)) {
            snprintf(err, errlen, "too many scanners");
            return false;
        }
    }
    return true;
}

static bool add_to_tracker(void *arg, struct flow_consumer *c) { return conntrack_add_consumer(arg, c); }

struct worker_arg { struct dispatch *d; unsigned w; };

static bool add_to_worker(void *arg, struct flow_consumer *c)
{
    struct worker_arg *wa = arg;
    return dispatch_add_consumer(wa->d, wa->w, c);
}

/* Workers for the flow consumers (-j N: the reader and N - 1 workers), or
 * 0 to run them in the reader:
 * when their output's order must be the reader's (the console, alert
 * lines, commands), or when flows of two connections could get the same
 * file name (a template without all of %A %a %B %b). */
static unsigned workers_for(const struct options *o)
{
    unsigned n = o->jobs ? o->jobs : 1;        /* the default: see docs/internals/jobs.md */
    if (n <= 1 || o->pcap_per_flow) return 0;
    n--;                                        /* the reader is one of them */
    if (o->console || o->tcp_alert_fd >= 0 || o->http_alert_fd >= 0 || *o->tcp_cmd || *o->http_cmd) return 0;
    if (!strstr(o->tmpl, "%A") || !strstr(o->tmpl, "%a") || !strstr(o->tmpl, "%B") || !strstr(o->tmpl, "%b"))
        return 0;
    /* without flow files or a scanner of flows there is nothing for workers
     * to do but format the report, which costs less than handing it over */
    bool flow_scanners = false;
    for (size_t i = 0; scanner_registry[i]; i++)
        if (scanner_registry[i]->flow && scanner_wanted(o, i)) flow_scanners = true;
    if (!o->store_files && !flow_scanners) return 0;
    return n;
}

static bool make_consumers(struct pipeline *p, char *err, size_t errlen)
{
    unsigned nw = workers_for(p->o);
    p->nsets = nw ? nw : 1;
    p->sets = xcalloc(p->nsets, sizeof *p->sets);
    if (!nw) return make_set(p, &p->sets[0], add_to_tracker, p->ct, err, errlen);
    struct dispatch_config dc = { nw, 1024, 1u << 20, 4096 };
    p->disp = dispatch_new(&dc);
    for (unsigned w = 0; w < nw; w++) {
        struct worker_arg wa = { p->disp, w };
        if (!make_set(p, &p->sets[w], add_to_worker, &wa, err, errlen)) return false;
    }
    conntrack_add_consumer(p->ct, dispatch_consumer(p->disp));
    if (!dispatch_start(p->disp)) {
        snprintf(err, errlen, "cannot start %u worker threads", nw);
        return false;
    }
    return true;
}

struct pipeline *pipeline_new(const struct options *o, char *err, size_t errlen)
{
    struct pipeline *p = xcalloc(1, sizeof *p);
    p->o = o;
    p->dec = make_decoder(p);
    p->ct = make_tracker(o);
    if (o->pcap_per_flow) {
        struct kpcap_config kc = { o->outdir, o->tmpl, o->tdelta_us, max_fds(o) };
        p->kp = kpcap_new(&kc);
    }
    if (!make_consumers(p, err, errlen) || !make_packet_scanners(p, err, errlen)) {
        pipeline_free(p);
        return NULL;
    }
    return p;
}

void pipeline_set_done(struct pipeline *p, conntrack_done_fn fn, void *arg)
{
    if (p->disp) dispatch_set_done(p->disp, fn, arg);
    else conntrack_set_done(p->ct, fn, arg);
}
void pipeline_set_may_start(struct pipeline *p, bool may) { conntrack_set_may_start(p->ct, may); }

/* ---- records ---- */

static void expire(struct pipeline *p, int64_t now)
{
    p->now_us = now;
    conntrack_expire(p->ct, now);
    decoder_expire(p->dec, now);
}

void pipeline_tick(struct pipeline *p, int64_t now_us)
{
    expire(p, now_us);
    if (p->disp) dispatch_flush(p->disp);      /* what came in goes out (live capture) */
}

/* --shard I/N: is d's connection this run's? */
static bool my_shard(struct pipeline *p, const struct decoded *d)
{
    if (!p->o->shard_n) return true;
    struct flowkey k;
    flow_key_of(&k, d);
    if (flowkey_shard_hash(&k) % p->o->shard_n == p->o->shard_i) return true;
    p->ctr.n[C_SHARD_OTHER]++;
    return false;
}

void pipeline_packet(struct pipeline *p, const struct capture_pkt *cp)
{
    struct decoded d;
    if (cp->ts_us > p->now_us) expire(p, cp->ts_us);
    if (!decoder_packet(p->dec, cp, &d) || !my_shard(p, &d)) return;
    if (p->kp) {
        kpcap_packet(p->kp, &d);
        return;
    }
    conntrack_packet(p->ct, &d);
}

void pipeline_set_stable(struct pipeline *p, const uint8_t *lo, const uint8_t *hi)
{
    if (p->disp) dispatch_set_stable(p->disp, lo, hi);
}

void pipeline_drain(struct pipeline *p)
{
    if (p->disp) dispatch_drain(p->disp);
}

bool pipeline_threaded(const struct pipeline *p)
{
    return p->disp != NULL;
}

const uint8_t *pipeline_stable_low(struct pipeline *p)
{
    return p->disp ? dispatch_stable_low(p->disp) : NULL;
}

void pipeline_finish(struct pipeline *p, enum flow_end end)
{
    conntrack_finish(p->ct, end);
    if (p->disp) dispatch_drain(p->disp);       /* every record through its consumers */
    spawn_wait_all();
    decoder_finish(p->dec);
    if (p->w && pcapwrite_close(p->w) < 0 && !p->w_failed) {
        log_error("write to %s failed: %s", p->o->wfile, strerror(errno));
        p->w_failures++;
    }
    p->w = NULL;
}

/* One scanner instance's end of run. */
static int finish_one(struct scan_inst *si, const char *input, char **summary_xml)
{
    if (!si->sc->finish) return 0;
    struct scan_end end = { input, NULL };
    char err[1024] = "";
    int rc = 0;
    if (si->sc->finish(si->self, &end, err, sizeof err) < 0) {
        if (*err) log_error("%s", err);
        rc = -1;
    }
    if (end.summary_xml) {
        size_t a = *summary_xml ? strlen(*summary_xml) : 0, b = strlen(end.summary_xml);
        *summary_xml = xreallocarray(*summary_xml, a + b + 1, 1);
        memcpy(*summary_xml + a, end.summary_xml, b + 1);
        free(end.summary_xml);
    }
    return rc;
}

int pipeline_scanners_finish(struct pipeline *p, const char *input, char **summary_xml)
{
    int rc = 0;
    *summary_xml = NULL;
    for (size_t r = 0; scanner_registry[r]; r++) {     /* in the registry's order */
        for (size_t i = 0; i < p->npscans; i++)
            if (p->pscans[i].sc == scanner_registry[r]) rc |= finish_one(&p->pscans[i], input, summary_xml);
        for (unsigned k = 0; k < p->nsets; k++)
            for (size_t i = 0; i < p->sets[k].nscans; i++)
                if (p->sets[k].scans[i].sc == scanner_registry[r])
                    rc |= finish_one(&p->sets[k].scans[i], input, summary_xml);
    }
    return rc;
}

/* ---- state ---- */

const char *pipeline_error(const struct pipeline *p)
{
    if (p->kp && kpcap_error(p->kp)) return kpcap_error(p->kp);
    return conntrack_error(p->ct);
}

bool pipeline_reader_gone(const struct pipeline *p)
{
    return p->nsets && p->sets[0].console && sink_console_reader_gone(p->sets[0].console);   /* one set with -c */
}

uint64_t pipeline_write_failures(const struct pipeline *p)
{
    uint64_t n = p->w_failures + (p->kp ? kpcap_failures(p->kp) : 0);
    for (unsigned k = 0; k < p->nsets; k++)
        if (p->sets[k].sink) n += sink_file_failures(p->sets[k].sink);
    return n;
}

uint64_t pipeline_unsupported(const struct pipeline *p) { return decoder_unsupported(p->dec); }

void pipeline_stats(const struct pipeline *p, struct pipeline_stats *out)
{
    struct conntrack_stats cs;
    conntrack_stats(p->ct, &cs);
    out->total_flows = cs.total_flows;
    out->total_packets = cs.total_packets;
    out->open_flows = cs.open_flows;
    out->max_open_files = out->open_fds = 0;
    for (unsigned k = 0; k < p->nsets; k++) {
        if (!p->sets[k].sink) continue;
        out->max_open_files += (uint64_t)sink_file_max_open(p->sets[k].sink);
        out->open_fds += (uint64_t)sink_file_open_fds(p->sets[k].sink);
    }
}

void pipeline_counters(const struct pipeline *p, struct counters *out)
{
    memset(out, 0, sizeof *out);
    counters_add(out, decoder_counters(p->dec));
    counters_add(out, conntrack_counters(p->ct));
    for (unsigned k = 0; k < p->nsets; k++) {
        if (p->sets[k].sink) counters_add(out, sink_file_counters(p->sets[k].sink));
        counters_add(out, &p->sets[k].scan_ctr);
    }
    if (p->kp) counters_add(out, kpcap_counters(p->kp));
    counters_add(out, &p->pscan_ctr);
    counters_add(out, &p->ctr);
}

void *pipeline_scanner(const struct pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->npscans; i++)
        if (!strcmp(p->pscans[i].sc->name, name)) return p->pscans[i].self;
    for (size_t i = 0; p->nsets && i < p->sets[0].nscans; i++)
        if (!strcmp(p->sets[0].scans[i].sc->name, name)) return p->sets[0].scans[i].self;
    return NULL;
}

static void free_set(struct cset *cs)
{
    for (size_t i = 0; i < cs->nscans; i++)
        if (cs->scans[i].sc->destroy) cs->scans[i].sc->destroy(cs->scans[i].self);
    sink_file_free(cs->sink);
    sink_console_free(cs->console);
    hooks_free(cs->hooks);
}

void pipeline_free(struct pipeline *p)
{
    if (!p) return;
    pipeline_finish(p, FLOW_END_EOF);
    conntrack_free(p->ct);                  /* its consumers still exist */
    dispatch_free(p->disp);                 /* workers done: their consumers may go */
    for (unsigned k = 0; k < p->nsets && p->sets; k++)
        free_set(&p->sets[k]);
    free(p->sets);
    for (size_t i = 0; i < p->npscans; i++)
        if (p->pscans[i].sc->destroy) p->pscans[i].sc->destroy(p->pscans[i].self);
    kpcap_free(p->kp);
    decoder_free(p->dec);
    free(p);
}
