/* pipeline.c - see pipeline.h */
#include "app/pipeline.h"
#include "capture/pcapwrite.h"
#include "decode/decode.h"
#include "flow/conntrack.h"
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

struct scan_inst {
    const struct scanner *sc;
    void *self;
    struct flow_consumer fc;
};

struct pipeline {
    const struct options *o;
    struct decoder *dec;
    struct conntrack *ct;
    struct sink_file *sink;
    struct sink_console *console;
    struct hooks *hooks;
    struct kpcap *kp;                   /* -K */
    struct pcapwrite *w;                /* -w: records not processed */
    bool w_failed;
    uint64_t w_failures;
    struct counters ctr;                /* -w's own */
    struct scan_env env;
    struct counters scan_ctr;
    struct scan_inst scans[OPTIONS_MAX_SCANNERS];
    size_t nscans;
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
    for (size_t i = 0; i < p->nscans; i++)
        if (p->scans[i].sc->packet)
            p->scans[i].sc->packet(p->scans[i].self, v);
}

/* ---- the stages' configurations ---- */

static int max_fds(const struct options *o)
{
    return o->max_fds > 0 ? o->max_fds : sink_file_default_max_fds();
}

static struct decoder *make_decoder(struct pipeline *p)
{
    const struct options *o = p->o;
    struct decode_config dc = { .check_fcs = o->check_fcs };
    defrag_config_default(&dc.frag);
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

static struct sink_file *make_sink(const struct options *o)
{
    struct sink_file_config sc = {
        .outdir = o->outdir, .tmpl = o->tmpl, .max_bytes = o->max_bytes, .max_fds = max_fds(o),
        .max_buffered = o->max_buffered, .tdelta_us = o->tdelta_us, .findx = o->findx,
        .alert_fd = o->tcp_alert_fd, .cmd = o->tcp_cmd,
    };
    if (o->findx && sc.max_fds > 1) sc.max_fds /= 2;
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

static bool make_scanners(struct pipeline *p, char *err, size_t errlen)
{
    const struct options *o = p->o;
    p->env = (struct scan_env){
        .outdir = o->outdir, .files = o->store_files, .gunzip = o->gunzip_http, .tdelta_us = o->tdelta_us,
        .max_bytes = o->max_bytes, .tmpl = o->tmpl, .ctr = &p->scan_ctr, .setting = setting, .setting_arg = o,
    };
    for (size_t i = 0; scanner_registry[i]; i++) {
        if (!scanner_wanted(o, i)) continue;
        struct scan_inst *si = &p->scans[p->nscans];
        si->sc = scanner_registry[i];
        si->self = si->sc->create(&p->env, err, errlen);
        if (!si->self) return false;
        p->nscans++;
        if (si->sc->flow) {
            si->fc.ops = si->sc->flow;
            si->fc.self = si->self;
            if (!conntrack_add_consumer(p->ct, &si->fc)) {
                snprintf(err, errlen, "too many scanners");
                return false;
            }
        }
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
    if (o->store_files) {
        p->sink = make_sink(o);
        conntrack_add_consumer(p->ct, sink_file_consumer(p->sink));
    }
    if (o->console) {
        p->console = make_console(o, err, errlen);
        if (!p->console) goto fail;
        conntrack_add_consumer(p->ct, sink_console_consumer(p->console));
    }
    if (!p->sink && o->tcp_alert_fd >= 0) {
        struct hooks_config hc = { o->tcp_alert_fd, o->tmpl, o->tdelta_us };
        p->hooks = hooks_new(&hc);
        conntrack_add_consumer(p->ct, hooks_consumer(p->hooks));
    }
    if (!make_scanners(p, err, errlen)) goto fail;
    return p;
fail:
    pipeline_free(p);
    return NULL;
}

void pipeline_set_done(struct pipeline *p, conntrack_done_fn fn, void *arg) { conntrack_set_done(p->ct, fn, arg); }
void pipeline_set_may_start(struct pipeline *p, bool may) { conntrack_set_may_start(p->ct, may); }

/* ---- records ---- */

static void expire(struct pipeline *p, int64_t now)
{
    p->now_us = now;
    conntrack_expire(p->ct, now);
    decoder_expire(p->dec, now);
}

void pipeline_tick(struct pipeline *p, int64_t now_us) { expire(p, now_us); }

void pipeline_packet(struct pipeline *p, const struct capture_pkt *cp)
{
    struct decoded d;
    if (cp->ts_us > p->now_us) expire(p, cp->ts_us);
    if (!decoder_packet(p->dec, cp, &d)) return;
    if (p->kp) {
        kpcap_packet(p->kp, &d);
        return;
    }
    conntrack_packet(p->ct, &d);
}

void pipeline_finish(struct pipeline *p, enum flow_end end)
{
    conntrack_finish(p->ct, end);
    spawn_wait_all();
    decoder_finish(p->dec);
    if (p->w && pcapwrite_close(p->w) < 0 && !p->w_failed) {
        log_error("write to %s failed: %s", p->o->wfile, strerror(errno));
        p->w_failures++;
    }
    p->w = NULL;
}

int pipeline_scanners_finish(struct pipeline *p, const char *input, char **summary_xml)
{
    int rc = 0;
    *summary_xml = NULL;
    for (size_t i = 0; i < p->nscans; i++) {
        const struct scanner *sc = p->scans[i].sc;
        if (!sc->finish) continue;
        struct scan_end end = { input, NULL };
        char err[1024] = "";
        if (sc->finish(p->scans[i].self, &end, err, sizeof err) < 0) {
            if (*err) log_error("%s", err);
            rc = -1;
        }
        if (end.summary_xml) {
            size_t a = *summary_xml ? strlen(*summary_xml) : 0, b = strlen(end.summary_xml);
            *summary_xml = xreallocarray(*summary_xml, a + b + 1, 1);
            memcpy(*summary_xml + a, end.summary_xml, b + 1);
            free(end.summary_xml);
        }
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
    return p->console && sink_console_reader_gone(p->console);
}

uint64_t pipeline_write_failures(const struct pipeline *p)
{
    return (p->sink ? sink_file_failures(p->sink) : 0) + p->w_failures + (p->kp ? kpcap_failures(p->kp) : 0);
}

uint64_t pipeline_unsupported(const struct pipeline *p) { return decoder_unsupported(p->dec); }

void pipeline_stats(const struct pipeline *p, struct pipeline_stats *out)
{
    struct conntrack_stats cs;
    conntrack_stats(p->ct, &cs);
    out->total_flows = cs.total_flows;
    out->total_packets = cs.total_packets;
    out->open_flows = cs.open_flows;
    out->max_open_files = p->sink ? (uint64_t)sink_file_max_open(p->sink) : 0;
    out->open_fds = p->sink ? (uint64_t)sink_file_open_fds(p->sink) : 0;
}

void pipeline_counters(const struct pipeline *p, struct counters *out)
{
    memset(out, 0, sizeof *out);
    counters_add(out, decoder_counters(p->dec));
    counters_add(out, conntrack_counters(p->ct));
    if (p->sink) counters_add(out, sink_file_counters(p->sink));
    if (p->kp) counters_add(out, kpcap_counters(p->kp));
    counters_add(out, &p->scan_ctr);
    counters_add(out, &p->ctr);
}

void pipeline_free(struct pipeline *p)
{
    if (!p) return;
    pipeline_finish(p, FLOW_END_EOF);
    conntrack_free(p->ct);                  /* its consumers still exist */
    for (size_t i = 0; i < p->nscans; i++)
        if (p->scans[i].sc->destroy) p->scans[i].sc->destroy(p->scans[i].self);
    sink_file_free(p->sink);
    sink_console_free(p->console);
    hooks_free(p->hooks);
    kpcap_free(p->kp);
    decoder_free(p->dec);
    free(p);
}
