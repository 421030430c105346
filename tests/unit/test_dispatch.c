/* test_dispatch.c - the tracker's consumers on worker threads: the same
 * connections fed to a tracker with its consumer in the same thread, and to
 * one whose consumers run on 1, 3 and 8 workers through the dispatcher,
 * must give every flow the same bytes (placed and in order), the same
 * closes, and the records in the same order.  Payload both copied (the
 * arena, also past its size) and passed by pointer (a stable range). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/conntrack.h"
#include "flow/dispatch.h"

#define NCONN 40
#define MAXF (NCONN * 4)

/* What one consumer saw of every flow, by flow id. */
struct seen {
    char *placed[MAXF];
    size_t placed_len[MAXF];
    char *stream[MAXF];
    size_t stream_len[MAXF];
    char log[MAXF][256];            /* closes, gaps, releases of each flow */
    unsigned conns;
};

static void grow(char **b, size_t *len, uint64_t off, const uint8_t *p, size_t n)
{
    if (off + n > *len) {
        *b = realloc(*b, off + n);
        assert_non_null(*b);
        memset(*b + *len, '_', off + n - *len);
        *len = off + n;
    }
    memcpy(*b + off, p, n);
}

static void note(struct seen *s, const struct flow *f, const char *what)
{
    assert_true(f->flow_id < MAXF);
    size_t k = strlen(s->log[f->flow_id]);
    snprintf(s->log[f->flow_id] + k, sizeof s->log[0] - k, "%s ", what);
}

static int c_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct seen *s = c->self;
    (void)ts;
    grow(&s->placed[f->flow_id], &s->placed_len[f->flow_id], off, p, n);
    return 0;
}

static void c_stream(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct seen *s = c->self;
    (void)ts;
    grow(&s->stream[f->flow_id], &s->stream_len[f->flow_id], off, p, n);
}

static void c_gap(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    (void)off; (void)len; (void)ts;
    note(c->self, f, "gap");
}

static void c_close(struct flow_consumer *c, struct flow *f, bool again)
{
    char b[64];
    /* what a consumer reads of the flow at that moment */
    snprintf(b, sizeof b, "close:%s:%d:%llu:%d%s", flow_end_name(f->end), f->client,
             (unsigned long long)f->rs.hi, flow_dir(f), again ? ":again" : "");
    note(c->self, f, b);
}

static void c_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    char b[64];
    snprintf(b, sizeof b, "release:%llu", (unsigned long long)rec->packets);
    note(c->self, f, b);
    /* a consumer adds to the record */
    flowsum_add_xml(rec, "<x/>");
}

static void c_conn_release(struct flow_consumer *c, struct conn *cn)
{
    struct seen *s = c->self;
    (void)cn;
    __atomic_add_fetch(&s->conns, 1, __ATOMIC_RELAXED);
}

static const struct flow_consumer_ops ops = {
    .wants = FC_PLACED | FC_STREAM,
    .data = c_data, .stream = c_stream, .gap = c_gap, .close = c_close, .release = c_release,
    .conn_release = c_conn_release,
};

/* The records, in the order they came. */
struct order {
    uint64_t ids[MAXF];
    unsigned n;
    bool xml_ok;
};

static void on_done(void *arg, const struct flow_summary *rec)
{
    struct order *o = arg;
    assert_true(o->n < MAXF);
    o->ids[o->n++] = rec->flow_id;
    if (!rec->scanner_xml || strcmp(rec->scanner_xml, "<x/>") != 0) o->xml_ok = false;
}

/* ---- traffic ---- */

static uint8_t wire[1 << 20];          /* every payload lives here: the stable range */

static void seg(struct conntrack *ct, int conn, int dir, uint8_t flags, uint32_t seq, const uint8_t *p,
                size_t n, int64_t t)
{
    struct capture_pkt cp = { 1000000000000000LL + t, 60, 60, 1, NULL };
    struct decoded d;
    memset(&d, 0, sizeof d);
    d.cp = &cp;
    d.ip.family = 4;
    uint8_t a[4] = { 10, 0, (uint8_t)(conn >> 8), (uint8_t)conn }, b[4] = { 10, 1, 0, 1 };
    memcpy(d.ip.src, dir ? b : a, 4);
    memcpy(d.ip.dst, dir ? a : b, 4);
    d.ip.proto = 6;
    d.seg.sport = dir ? 80 : (uint16_t)(1000 + conn);
    d.seg.dport = dir ? (uint16_t)(1000 + conn) : 80;
    d.seg.seq = seq;
    d.seg.flags = flags;
    d.seg.data = p;
    d.seg.len = n;
    conntrack_packet(ct, &d);
}

/* NCONN connections: handshake, data both ways in segments, some reordered,
 * a hole in a few, a big segment in one, FIN or RST. */
static void traffic(struct conntrack *ct)
{
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof wire; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        wire[i] = (uint8_t)('a' + x % 26);
    }
    int64_t t = 0;
    for (int c = 0; c < NCONN; c++) {
        seg(ct, c, 0, TH_SYN, 1000, NULL, 0, t++);
        seg(ct, c, 1, TH_SYN | TH_ACK, 5000, NULL, 0, t++);
    }
    size_t base = 0;
    for (int round = 0; round < 6; round++) {
        for (int c = 0; c < NCONN; c++) {
            size_t n = 100 + (size_t)((c * 37 + round * 11) % 400);
            if (c == 3 && round == 2) n = 300000;            /* past the arena's half */
            uint32_t off = (uint32_t)(round * 1000);
            const uint8_t *p = wire + (base % (sizeof wire - 300000));
            base += 997;
            if (c % 5 == 1 && round == 1) continue;          /* a hole, never filled */
            if (c % 4 == 2 && round == 3) {                  /* reordered: the next comes first */
                seg(ct, c, 0, TH_ACK, 1001 + off + 1000, p + 10, 200, t++);
            }
            seg(ct, c, 0, TH_ACK, 1001 + off, p, n < 1000 ? n : (c == 3 ? n : 1000), t++);
            seg(ct, c, 1, TH_ACK, 5001 + off, p + 5, n / 2, t++);
        }
    }
    for (int c = 0; c < NCONN; c++) {
        if (c % 7 == 0) {
            seg(ct, c, 0, TH_RST, 1001 + 6000, NULL, 0, t++);
        } else {
            seg(ct, c, 0, TH_FIN | TH_ACK, 1001 + 6000, NULL, 0, t++);
            seg(ct, c, 1, TH_FIN | TH_ACK, 5001 + 6000, NULL, 0, t++);
        }
    }
}

static struct conntrack *tracker(void)
{
    struct conntrack_config cfg = {
        .max_seek = 16u << 20, .max_bytes = UINT64_MAX, .closed_linger_us = 300ull * 1000000, .max_closed = 10,
        .max_held_flow = 1u << 20, .max_held_total = 64u << 20,
    };
    return conntrack_new(&cfg);
}

static void free_seen(struct seen *s)
{
    for (int i = 0; i < MAXF; i++) {
        free(s->placed[i]);
        free(s->stream[i]);
    }
}

/* Every flow's view is the same in a and in the merge of b[0..nb). */
static void same_views(struct seen *a, struct seen *b, unsigned nb)
{
    unsigned conns = 0;
    for (unsigned w = 0; w < nb; w++) conns += b[w].conns;
    assert_int_equal(a->conns, conns);
    for (int i = 0; i < MAXF; i++) {
        struct seen *m = NULL;
        for (unsigned w = 0; w < nb; w++)
            if (b[w].log[i][0]) { assert_null(m); m = &b[w]; }    /* one worker per flow */
        if (!a->log[i][0]) { assert_null(m); continue; }
        assert_non_null(m);
        assert_string_equal(a->log[i], m->log[i]);
        assert_int_equal(a->placed_len[i], m->placed_len[i]);
        assert_memory_equal(a->placed[i], m->placed[i], a->placed_len[i]);
        assert_int_equal(a->stream_len[i], m->stream_len[i]);
        if (a->stream_len[i]) assert_memory_equal(a->stream[i], m->stream[i], a->stream_len[i]);
    }
}

static void run_workers(unsigned nw, bool stable)
{
    static struct seen one, many[8];
    memset(&one, 0, sizeof one);
    memset(many, 0, sizeof many);
    struct order o1 = { .xml_ok = true }, o2 = { .xml_ok = true };

    struct conntrack *ct = tracker();
    struct flow_consumer c1 = { &ops, &one, 0 };
    conntrack_add_consumer(ct, &c1);
    conntrack_set_done(ct, on_done, &o1);
    traffic(ct);
    conntrack_free(ct);

    ct = tracker();
    struct dispatch_config dc = { nw, 64, 1u << 16, 16 };      /* small: the reader waits often */
    struct dispatch *d = dispatch_new(&dc);
    struct flow_consumer cw[8];
    for (unsigned w = 0; w < nw; w++) {
        cw[w] = (struct flow_consumer){ &ops, &many[w], 0 };
        assert_true(dispatch_add_consumer(d, w, &cw[w]));
    }
    dispatch_set_done(d, on_done, &o2);
    conntrack_add_consumer(ct, dispatch_consumer(d));
    assert_true(dispatch_start(d));
    if (stable) dispatch_set_stable(d, wire, wire + sizeof wire);
    traffic(ct);
    conntrack_finish(ct, FLOW_END_EOF);
    dispatch_drain(d);
    assert_null(dispatch_error(d));
    conntrack_free(ct);
    dispatch_free(d);

    assert_true(o1.n > 0);
    assert_int_equal(o1.n, o2.n);
    assert_memory_equal(o1.ids, o2.ids, o1.n * sizeof o1.ids[0]);
    assert_true(o1.xml_ok && o2.xml_ok);
    same_views(&one, many, nw);
    free_seen(&one);
    for (unsigned w = 0; w < nw; w++) free_seen(&many[w]);
}

static void test_one_worker(void **st) { (void)st; run_workers(1, false); }
static void test_three_workers(void **st) { (void)st; run_workers(3, false); }
static void test_eight_workers_stable(void **st) { (void)st; run_workers(8, true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_worker),
        cmocka_unit_test(test_three_workers),
        cmocka_unit_test(test_eight_workers_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
