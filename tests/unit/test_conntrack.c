/* test_conntrack.c - the connection tracker's state machine, driven with
 * TCP segments and watched through a recording consumer: which flows exist,
 * what bytes they get (placed and in order), when they close, why, and
 * what their records say.  Cases as a table where they fit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/conntrack.h"

/* ---- a consumer that writes down everything ---- */

#define LOG_MAX 8192

struct rec {
    char log[LOG_MAX];              /* one line per event */
    size_t len;
    unsigned conn_releases;
    /* per flow id: bytes placed (by offset) and given in order */
    char placed[8][256];
    char stream[8][256];
    struct flow_summary done[16];
    unsigned ndone;
};

static void say(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->log + r->len, LOG_MAX - r->len, fmt, ap);
    va_end(ap);
    assert_true(k > 0 && (size_t)k < LOG_MAX - r->len);
    r->len += (size_t)k;
}

static int c_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct rec *r = c->self;
    (void)ts;
    assert_true(f->flow_id < 8 && off + n < 256);
    memcpy(r->placed[f->flow_id] + off, p, n);
    say(r, "data %llu %llu %zu\n", (unsigned long long)f->flow_id, (unsigned long long)off, n);
    return 0;
}

static int c_prepend(struct flow_consumer *c, struct flow *f, uint64_t n)
{
    struct rec *r = c->self;
    char *b = r->placed[f->flow_id];
    memmove(b + n, b, 256 - n);
    memset(b, 0, n);
    say(r, "prepend %llu %llu\n", (unsigned long long)f->flow_id, (unsigned long long)n);
    return 0;
}

static void c_stream(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct rec *r = c->self;
    (void)ts;
    say(r, "stream %llu %llu %zu\n", (unsigned long long)f->flow_id, (unsigned long long)off, n);
    size_t have = strlen(r->stream[f->flow_id]);
    if (off + n <= have) return;                    /* late: seen */
    size_t skip = off < have ? (size_t)(have - off) : 0;
    assert_true(have + n - skip < 256);
    memcpy(r->stream[f->flow_id] + have, p + skip, n - skip);
}

static void c_gap(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    struct rec *r = c->self;
    (void)ts;
    size_t have = strlen(r->stream[f->flow_id]);
    for (uint64_t i = 0; i < len && have < 255; i++) r->stream[f->flow_id][have++] = '_';
    say(r, "gap %llu %llu %llu\n", (unsigned long long)f->flow_id, (unsigned long long)off,
        (unsigned long long)len);
}

static void c_close(struct flow_consumer *c, struct flow *f, bool again)
{
    say(c->self, "close %llu %s%s\n", (unsigned long long)f->flow_id, flow_end_name(f->end), again ? " again" : "");
}

static void c_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    (void)rec;
    say(c->self, "release %llu\n", (unsigned long long)f->flow_id);
}

static void c_conn_release(struct flow_consumer *c, struct conn *cn)
{
    struct rec *r = c->self;
    r->conn_releases++;
    say(r, "conn %llu\n", (unsigned long long)cn->id);
}

static const struct flow_consumer_ops rec_ops = {
    .wants = FC_PLACED | FC_STREAM,
    .data = c_data, .prepend = c_prepend, .stream = c_stream, .gap = c_gap,
    .close = c_close, .release = c_release, .conn_release = c_conn_release,
};

static void on_done(void *arg, const struct flow_summary *s)
{
    struct rec *r = arg;
    assert_true(r->ndone < 16);
    r->done[r->ndone++] = *s;
}

/* ---- harness ---- */

struct h {
    struct conntrack_config cfg;
    struct conntrack *ct;
    struct rec r;
    struct flow_consumer fc;
};

static void h_init(struct h *h)
{
    memset(h, 0, sizeof *h);
    h->cfg.max_seek = 16u << 20;
    h->cfg.max_bytes = UINT64_MAX;
    h->cfg.closed_linger_us = 300ull * 1000000;
    h->cfg.max_closed = 4096;
    h->cfg.max_held_flow = 1u << 20;
    h->cfg.max_held_total = 64u << 20;
}

static void h_start(struct h *h)
{
    h->ct = conntrack_new(&h->cfg);
    h->fc.ops = &rec_ops;
    h->fc.self = &h->r;
    assert_true(conntrack_add_consumer(h->ct, &h->fc));
    conntrack_set_done(h->ct, on_done, &h->r);
}

static void h_done(struct h *h)
{
    conntrack_free(h->ct);
}

#define C 0     /* client 10.0.0.1:1234 -> server 10.0.0.2:80 */
#define S 1     /* and back */
#define T0 1000000000000000LL

enum { F = TH_FIN, SY = TH_SYN, R = TH_RST, A = TH_ACK };

/* One segment of direction dir at time t (microseconds after T0). */
static void seg(struct h *h, int dir, uint8_t flags, uint32_t seq, const char *data, int64_t t)
{
    struct capture_pkt cp = { T0 + t, 60, 60, 1, NULL };
    struct decoded d;
    memset(&d, 0, sizeof d);
    d.cp = &cp;
    d.ip.family = 4;
    uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
    memcpy(d.ip.src, dir == C ? a : b, 4);
    memcpy(d.ip.dst, dir == C ? b : a, 4);
    d.ip.proto = 6;
    d.seg.sport = dir == C ? 1234 : 80;
    d.seg.dport = dir == C ? 80 : 1234;
    d.seg.seq = seq;
    d.seg.flags = flags;
    d.seg.data = (const uint8_t *)data;
    d.seg.len = data ? strlen(data) : 0;
    conntrack_packet(h->ct, &d);
}

static void expect_log(struct h *h, const char *want)
{
    if (strcmp(h->r.log, want) != 0) {
        fprintf(stderr, "log:\n%s---\nwant:\n%s---\n", h->r.log, want);
        fail();
    }
    h->r.len = 0;
    h->r.log[0] = '\0';
}

/* ---- cases ---- */

/* A whole connection: both directions share a connection and a session
 * id, end with FIN once every byte is in, and are released at the end. */
static void test_handshake_data_fin(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, SY, 100, NULL, 0);
    seg(&h, S, SY | A, 500, NULL, 1);
    seg(&h, C, A, 101, "GET", 2);
    seg(&h, S, A, 501, "OK!", 3);
    seg(&h, C, F | A, 104, NULL, 4);
    seg(&h, S, F | A, 504, NULL, 5);
    expect_log(&h, "data 0 0 3\nstream 0 0 3\ndata 1 0 3\nstream 1 0 3\nclose 0 fin\nclose 1 fin\n");
    conntrack_finish(h.ct, FLOW_END_EOF);
    expect_log(&h, "release 0\nrelease 1\nconn 0\n");
    assert_int_equal(h.r.ndone, 2);
    assert_int_equal(h.r.done[0].session_id, h.r.done[1].session_id);
    assert_true(h.r.done[0].complete && h.r.done[1].complete);
    assert_int_equal(h.r.done[0].end, FLOW_END_FIN);
    assert_int_equal(h.r.done[0].filesize, 3);
    assert_int_equal(h.r.done[0].packets, 3);
    assert_string_equal(h.r.stream[0], "GET");
    assert_string_equal(h.r.stream[1], "OK!");
    h_done(&h);
}

/* Out of order: placed at once, given in order when the hole fills; a
 * FIN before the hole is filled does not close. */
static void test_reorder(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 4, "def", 1);
    seg(&h, C, F | A, 7, NULL, 2);
    seg(&h, C, A, 1, "abc", 3);
    expect_log(&h, "data 0 3 3\ndata 0 0 3\nstream 0 0 3\nstream 0 3 3\nclose 0 fin\n");
    assert_string_equal(h.r.stream[0], "abcdef");
    const struct counters *c = conntrack_counters(h.ct);
    assert_int_equal(c->n[C_TCP_OOO_SEGMENTS], 1);
    assert_int_equal(c->n[C_TCP_GAP_BYTES], 3);
    h_done(&h);
}

/* Overlapping retransmissions: the first bytes win by default, the last
 * under -S tcp_overlap=last (placed again, given again as late data). */
static void test_overlap_policy(void **st)
{
    (void)st;
    for (int last = 0; last <= 1; last++) {
        struct h h;
        h_init(&h);
        h.cfg.overlap_last = last;
        h_start(&h);
        seg(&h, C, SY, 0, NULL, 0);
        seg(&h, C, A, 1, "abcdef", 1);
        seg(&h, C, A, 3, "XY", 2);
        assert_string_equal(h.r.placed[0], last ? "abXYef" : "abcdef");
        assert_string_equal(h.r.stream[0], "abcdef");
        assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_DUP_BYTES], 2);
        h_done(&h);
    }
}

/* A keep-alive probe (one byte at next - 1) is not data. */
static void test_keepalive(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 1, "abc", 1);
    seg(&h, C, A, 3, "c", 2);
    expect_log(&h, "data 0 0 3\nstream 0 0 3\n");
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_KEEPALIVE], 1);
    h_done(&h);
}

/* A capture that starts mid-stream: the first byte seen is offset 0;
 * earlier bytes move the origin (prepend), and its SYN is adopted. */
static void test_midstream_prepend(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, A, 1004, "world", 0);
    seg(&h, C, A, 998, "hello ", 1);
    assert_string_equal(h.r.placed[0], "hello world");
    seg(&h, C, SY, 997, NULL, 2);
    expect_log(&h, "data 0 0 5\nstream 0 0 5\nprepend 0 6\ndata 0 0 6\nstream 0 0 6\n");
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_NEW_CONN_SYN], 0);
    conntrack_finish(h.ct, FLOW_END_EOF);
    assert_true(h.r.done[0].syn_seen);
    assert_int_equal(h.r.done[0].out_of_order, 1);
    h_done(&h);
}

/* A new SYN with another ISN on a finished connection is a new flow (the
 * next connection on the 4-tuple); a SYN retried with the same ISN is not. */
static void test_new_connection(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, SY, 0, NULL, 1);                  /* a retry */
    seg(&h, C, A, 1, "one", 2);
    seg(&h, C, F | A, 4, NULL, 3);
    seg(&h, C, SY, 9000, NULL, 4);
    seg(&h, C, A, 9001, "two", 5);
    expect_log(&h, "data 0 0 3\nstream 0 0 3\nclose 0 fin\ndata 1 0 3\nstream 1 0 3\n");
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_NEW_CONN_SYN], 1);
    assert_string_equal(h.r.placed[1], "two");
    h_done(&h);
}

/* A jump past -m starts a new flow for the same direction. */
static void test_maxseek_split(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_seek = 100;
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 1, "abc", 1);
    seg(&h, C, A, 1000, "far", 2);
    expect_log(&h, "data 0 0 3\nstream 0 0 3\nclose 0 maxseek\ndata 1 0 3\nstream 1 0 3\n");
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_MAXSEEK_SPLIT], 1);
    h_done(&h);
}

/* RST ends a direction at once; a hole is given as a gap at its end. */
static void test_rst_and_hole(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 1, "ab", 1);
    seg(&h, C, A, 5, "ef", 2);
    seg(&h, C, R, 7, NULL, 3);
    expect_log(&h, "data 0 0 2\nstream 0 0 2\ndata 0 4 2\ngap 0 2 2\nstream 0 4 2\nclose 0 rst\n");
    assert_string_equal(h.r.stream[0], "ab__ef");
    conntrack_finish(h.ct, FLOW_END_EOF);
    assert_int_equal(h.r.done[0].gap_bytes, 2);
    assert_false(h.r.done[0].complete);
    h_done(&h);
}

/* tcp_timeout closes an idle flow; a later segment reopens the same flow. */
static void test_timeout_reopen(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.tcp_timeout_us = 10 * 1000000;
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 1, "ab", 1);
    conntrack_expire(h.ct, T0 + 20 * 1000000);
    seg(&h, C, A, 3, "cd", 21 * 1000000);
    seg(&h, C, F | A, 5, NULL, 22 * 1000000);
    expect_log(&h, "data 0 0 2\nstream 0 0 2\nclose 0 timeout\ndata 0 2 2\nstream 0 2 2\nclose 0 fin\n");
    assert_string_equal(h.r.stream[0], "abcd");
    assert_int_equal(conntrack_counters(h.ct)->n[C_FLOW_TIMEOUT], 1);
    h_done(&h);
}

/* Late data for a finished flow lands in it (close again, no new flow);
 * data past its end is a new flow; closed flows beyond max_closed are
 * released oldest first. */
static void test_late_data_and_max_closed(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_closed = 1;
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 1, "abc", 1);
    seg(&h, C, A, 5, "e", 2);
    seg(&h, C, R, 6, NULL, 3);
    seg(&h, C, A, 4, "d", 4);                       /* late */
    expect_log(&h, "data 0 0 3\nstream 0 0 3\ndata 0 4 1\ngap 0 3 1\nstream 0 4 1\nclose 0 rst\n"
                   "data 0 3 1\nstream 0 3 1\nclose 0 rst again\n");
    assert_string_equal(h.r.placed[0], "abcde");
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_LATE_TO_CLOSED], 1);
    seg(&h, S, SY | A, 100, NULL, 5);
    seg(&h, S, R, 101, NULL, 6);                    /* the second closed flow: the first goes */
    expect_log(&h, "close 1 rst\nrelease 0\nconn 0\n");     /* flow 1 came after 0 closed: its own connection */
    h_done(&h);
}

/* max_flows closes the least recently active flow (counted). */
static void test_max_flows(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_flows = 1;
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, S, SY | A, 100, NULL, 1);
    expect_log(&h, "close 0 evicted\n");
    assert_int_equal(conntrack_counters(h.ct)->n[C_FLOW_EVICTED], 1);
    h_done(&h);
}

/* -R inputs finish flows but start none. */
static void test_may_start(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    conntrack_set_may_start(h.ct, false);
    seg(&h, C, A, 1, "abc", 1);
    seg(&h, S, SY | A, 100, NULL, 2);
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_IGNORED_R], 1);
    expect_log(&h, "data 0 0 3\nstream 0 0 3\n");
    h_done(&h);
}

/* -b: placed bytes go on whole (each sink keeps its share), the in-order
 * view gets only the bytes within -b. */
static void test_max_bytes_stream(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h.cfg.max_bytes = 4;
    h_start(&h);
    seg(&h, C, SY, 0, NULL, 0);
    seg(&h, C, A, 1, "abc", 1);
    seg(&h, C, A, 4, "defg", 2);
    seg(&h, C, A, 8, "hij", 3);
    assert_string_equal(h.r.placed[0], "abcdefghij");
    assert_string_equal(h.r.stream[0], "abcd");
    h_done(&h);
}

/* A segment with no flow that cannot start one is counted, nothing else. */
static void test_no_flow(void **st)
{
    (void)st;
    struct h h;
    h_init(&h);
    h_start(&h);
    seg(&h, C, A, 1, NULL, 0);
    seg(&h, C, F | A, 1, NULL, 1);
    assert_int_equal(conntrack_counters(h.ct)->n[C_TCP_IGNORED_NO_FLOW], 2);
    struct conntrack_stats cs;
    conntrack_stats(h.ct, &cs);
    assert_int_equal(cs.total_flows, 0);
    expect_log(&h, "");
    h_done(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_data_fin),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_overlap_policy),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_midstream_prepend),
        cmocka_unit_test(test_new_connection),
        cmocka_unit_test(test_maxseek_split),
        cmocka_unit_test(test_rst_and_hole),
        cmocka_unit_test(test_timeout_reopen),
        cmocka_unit_test(test_late_data_and_max_closed),
        cmocka_unit_test(test_max_flows),
        cmocka_unit_test(test_may_start),
        cmocka_unit_test(test_max_bytes_stream),
        cmocka_unit_test(test_no_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
