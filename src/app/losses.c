/* losses.c - see losses.h */
#include "app/losses.h"
#include "util/log.h"

#include <inttypes.h>
#include <string.h>

/* Counters of packets (or datagrams) skipped because they were damaged,
 * cut short or could not be completed: their bytes are missing from the
 * flows.  Not here: what was skipped by request (BPF, -R, -b), what is not
 * TCP, what was kept (retransmissions, keep-alives, SYN data). */
static const enum counter_id skipped_ids[] = {
    C_CAP_OVERSIZE, C_LINK_TRUNCATED, C_LINK_80211_BAD_FCS, C_LINK_TOO_DEEP,
    C_IP_TRUNCATED, C_IP_BAD_VERSION, C_IP_BAD_HEADER, C_IP_EXTHDR_BAD,
    C_TCP_TRUNCATED, C_TCP_BAD_OFFSET,
    C_FRAG_TIMEOUT, C_FRAG_END_INCOMPLETE, C_FRAG_OVERSIZE, C_FRAG_BAD_LENGTH,
    C_FRAG_MEMCAP, C_FRAG_TOO_MANY, C_FRAG_STALE,
};

/* Said as an error of its input already (app/inputs.c): in the report only. */
static const char unsupported_text[] = "records of an unsupported link type";

void losses_init(struct losses *l) { memset(l, 0, sizeof *l); }

void losses_flow(struct losses *l, const struct flow_summary *s)
{
    l->flows++;
    if (!s->gap_bytes) return;
    l->gap_flows++;
    l->gap_bytes += s->gap_bytes;
    l->gap_stream_bytes += s->filesize;
}

void losses_finish(struct losses *l, const struct inputs_result *in, const struct counters *ctr,
                   uint64_t unsupported, bool stopped_early)
{
    l->in = *in;
    l->unsupported = unsupported;
    l->report_unprocessed = stopped_early;
    l->n_skipped = 0;
    l->n_skipped_total = 0;
    for (size_t i = 0; i < sizeof skipped_ids / sizeof skipped_ids[0]; i++) {
        uint64_t v = ctr->n[skipped_ids[i]];
        if (!v) continue;
        l->skipped[l->n_skipped].name = counter_text(skipped_ids[i]);
        l->skipped[l->n_skipped++].value = v;
        l->n_skipped_total += v;
    }
    if (unsupported) {
        l->skipped[l->n_skipped].name = unsupported_text;
        l->skipped[l->n_skipped++].value = unsupported;
        l->n_skipped_total += unsupported;
    }
}

/* Captured packets never handed to the pipeline (the run stopped early). */
static uint64_t unprocessed(const struct losses *l)
{
    const struct capture_stats *c = &l->in.cap;
    return l->report_unprocessed && c->captured > c->delivered ? c->captured - c->delivered : 0;
}

/* "<v> <what>", with ", " between the parts of a line. */
static void part(FILE *f, int *n, uint64_t v, const char *what)
{
    fprintf(f, "%s%" PRIu64 " %s", (*n)++ ? ", " : "", v, what);
}

static int print_capture(const struct losses *l, FILE *f, bool detail)
{
    const struct capture_stats *c = &l->in.cap;
    const char *p = log_progname();
    int lines = 0;
    if (detail) {
        fprintf(f, "%s: capture: %" PRIu64 " received, %" PRIu64 " dropped by the kernel, %" PRIu64
                " dropped by the interface, %" PRIu64 " captured, %" PRIu64 " delivered, %" PRIu64
                " truncated, %" PRIu64 " ring waits, ring peak %" PRIu64 " of %" PRIu64
                " bytes, kernel buffer %" PRIu64 " bytes\n",
                p, c->received, c->kernel_drops, c->if_drops, c->captured, c->delivered, c->truncated,
                c->ring_waits, c->ring_peak, c->ring_bytes, c->buffer_bytes);
        lines++;
    }
    uint64_t up = unprocessed(l), lost = c->kernel_drops + c->if_drops + up;
    if (!lost) return lines;
    int n = 0;
    fprintf(f, "%s: %s: %" PRIu64 " packet%s lost: ", p, l->in.source, lost, lost == 1 ? "" : "s");
    if (c->kernel_drops) part(f, &n, c->kernel_drops, "dropped by the kernel (its capture buffer was full)");
    if (c->if_drops) part(f, &n, c->if_drops, "dropped by the interface");
    if (up) part(f, &n, up, "captured but not processed (the run stopped)");
    fprintf(f, "; %" PRIu64 " received\n", c->received);
    return lines + 1;
}

int losses_print(const struct losses *l, FILE *f, enum losses_holes holes, bool detail)
{
    const char *p = log_progname();
    int lines = l->in.live ? print_capture(l, f, detail) : 0;
    if (l->gap_bytes) {
        static const char *const how[] = { " (written as zeros)", " (shown as gaps)", "" };
        bool one = l->gap_flows == 1;
        fprintf(f, "%s: %" PRIu64 " flow%s: %" PRIu64 " of %s %" PRIu64
                " bytes were not in the capture%s\n", p, l->gap_flows, one ? " has holes" : "s have holes",
                l->gap_bytes, one ? "its" : "their", l->gap_stream_bytes, how[holes]);
        lines++;
    }
    if (l->in.truncated) {
        fprintf(f, "%s: %" PRIu64 " of %" PRIu64 " packets were cut short by the snap length\n", p,
                l->in.truncated, l->in.records);
        lines++;
    }
    if (l->n_skipped && !(l->n_skipped == 1 && l->unsupported)) {
        int n = 0;
        fprintf(f, "%s: skipped: ", p);
        for (size_t i = 0; i < l->n_skipped; i++)
            if (l->skipped[i].name != unsupported_text)
                part(f, &n, l->skipped[i].value, l->skipped[i].name);
        fputc('\n', f);
        lines++;
    }
    return lines;
}

void losses_dfxml(const struct losses *l, struct dfxml_losses *out)
{
    const struct capture_stats *c = &l->in.cap;
    memset(out, 0, sizeof *out);
    out->live = l->in.live;
    out->source = l->in.source;
    out->received = c->received;
    out->kernel_drops = c->kernel_drops;
    out->if_drops = c->if_drops;
    out->captured = c->captured;
    out->processed = c->delivered;
    out->snaplen = c->snaplen;
    out->buffer_bytes = c->buffer_bytes;
    out->ring_bytes = c->ring_bytes;
    out->ring_peak = c->ring_peak;
    out->ring_waits = c->ring_waits;
    out->gap_flows = l->gap_flows;
    out->gap_bytes = l->gap_bytes;
    out->gap_stream_bytes = l->gap_stream_bytes;
    out->packets = l->in.records;
    out->truncated = l->in.truncated;
    out->skipped = l->skipped;
    out->n_skipped = l->n_skipped;
}
