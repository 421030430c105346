/* test_losses.c - the end-of-run loss summary: exact lines for each kind of
 * loss, nothing when nothing was lost, the holes counted from the flow
 * records, the report's numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/losses.h"
#include "util/log.h"

/* The lines losses_print writes (malloc'd), and their number in *n. */
static char *print(const struct losses *l, enum losses_holes h, bool detail, int *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *n = losses_print(l, f, h, detail);
    fclose(f);
    return buf;
}

static struct flow_summary flow(uint64_t size, uint64_t gap)
{
    struct flow_summary s;
    memset(&s, 0, sizeof s);
    s.filesize = size;
    s.gap_bytes = gap;
    return s;
}

static void test_nothing_lost(void **state)
{
    (void)state;
    struct losses l;
    losses_init(&l);
    struct flow_summary a = flow(100, 0);
    losses_flow(&l, &a);
    struct inputs_result in = { .records = 10 };
    struct counters c;
    memset(&c, 0, sizeof c);
    c.n[C_IP_NOT_TCP] = 5;                      /* not a loss */
    c.n[C_TCP_DUP_BYTES] = 7;                   /* nor this */
    c.n[C_CAP_BPF_REJECT] = 9;                  /* asked for */
    losses_finish(&l, &in, &c, 0, false);
    int n;
    char *out = print(&l, HOLES_ZEROS, false, &n);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    free(out);
    struct dfxml_losses d;
    losses_dfxml(&l, &d);
    assert_int_equal(d.live, 0);
    assert_int_equal(d.gap_bytes, 0);
    assert_int_equal(d.n_skipped, 0);
    assert_int_equal(d.packets, 10);
}

/* snaplen_truncated_1mb.pcap's numbers */
static void test_holes_and_truncated(void **state)
{
    (void)state;
    struct losses l;
    losses_init(&l);
    struct flow_summary a = flow(999150, 978420), b = flow(40, 0);
    losses_flow(&l, &a);
    losses_flow(&l, &b);
    struct inputs_result in = { .records = 878, .truncated = 691 };
    struct counters c;
    memset(&c, 0, sizeof c);
    c.n[C_TCP_GAP_BYTES] = 999999;              /* the counter is not used for holes */
    losses_finish(&l, &in, &c, 0, false);
    int n;
    char *out = print(&l, HOLES_ZEROS, false, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out,
        "tcpflow: 1 flow has holes: 978420 of its 999150 bytes were not in the capture (written as zeros)\n"
        "tcpflow: 691 of 878 packets were cut short by the snap length\n");
    free(out);
    struct flow_summary c2 = flow(1000, 10);
    losses_flow(&l, &c2);
    out = print(&l, HOLES_GAPS, false, &n);
    assert_non_null(strstr(out, "tcpflow: 2 flows have holes: 978430 of their 1000150 bytes were not in the "
                                "capture (shown as gaps)\n"));
    free(out);
    out = print(&l, HOLES_UNSHOWN, false, &n);
    assert_non_null(strstr(out, "bytes were not in the capture\n"));
    free(out);
    struct dfxml_losses d;
    losses_dfxml(&l, &d);
    assert_int_equal(d.gap_flows, 2);
    assert_int_equal(d.gap_bytes, 978430);
    assert_int_equal(d.gap_stream_bytes, 1000150);
    assert_int_equal(d.truncated, 691);
    assert_int_equal(d.packets, 878);
}

static void test_skipped(void **state)
{
    (void)state;
    struct losses l;
    losses_init(&l);
    struct inputs_result in = { .records = 50 };
    struct counters c;
    memset(&c, 0, sizeof c);
    c.n[C_IP_TRUNCATED] = 3;
    c.n[C_FRAG_END_INCOMPLETE] = 19;
    c.n[C_LINK_NOT_IP] = 4;                     /* not a loss */
    losses_finish(&l, &in, &c, 2, false);
    int n;
    char *out = print(&l, HOLES_ZEROS, false, &n);
    assert_int_equal(n, 1);
    /* records of an unsupported link type were said as an input error: not again */
    assert_string_equal(out, "tcpflow: skipped: 3 IP headers cut short by the capture, 19 fragmented datagrams "
                             "incomplete at end of input\n");
    free(out);
    struct dfxml_losses d;
    losses_dfxml(&l, &d);
    assert_int_equal(d.n_skipped, 3);
    assert_int_equal(d.skipped[1].value, 19);
    assert_string_equal(d.skipped[2].name, "records of an unsupported link type");
    memset(&c, 0, sizeof c);
    losses_finish(&l, &in, &c, 2, false);
    out = print(&l, HOLES_ZEROS, false, &n);
    assert_int_equal(n, 0);
    free(out);
}

static void test_live(void **state)
{
    (void)state;
    struct losses l;
    losses_init(&l);
    struct inputs_result in = { .live = true, .records = 900 };
    snprintf(in.source, sizeof in.source, "eth0");
    in.cap = (struct capture_stats){ .live = true, .final = true, .received = 1000, .kernel_drops = 60,
                                     .if_drops = 2, .captured = 938, .delivered = 930,
                                     .ring_bytes = 64, .buffer_bytes = 32 };
    struct counters c;
    memset(&c, 0, sizeof c);
    losses_finish(&l, &in, &c, 0, false);        /* stopped normally: the 8 left do not count */
    int n;
    char *out = print(&l, HOLES_ZEROS, false, &n);
    assert_int_equal(n, 1);
    assert_string_equal(out, "tcpflow: eth0: 62 packets lost: 60 dropped by the kernel (its capture buffer was "
                             "full), 2 dropped by the interface; 1000 received\n");
    free(out);
    losses_finish(&l, &in, &c, 0, true);         /* stopped on an error: they do */
    out = print(&l, HOLES_ZEROS, true, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out,
        "tcpflow: capture: 1000 received, 60 dropped by the kernel, 2 dropped by the interface, 938 captured, "
        "930 delivered, 0 truncated, 0 ring waits, ring peak 0 of 64 bytes, kernel buffer 32 bytes\n"
        "tcpflow: eth0: 70 packets lost: 60 dropped by the kernel (its capture buffer was full), 2 dropped by "
        "the interface, 8 captured but not processed (the run stopped); 1000 received\n");
    free(out);
    in.cap.kernel_drops = in.cap.if_drops = 0;
    in.cap.captured = in.cap.delivered;
    losses_finish(&l, &in, &c, 0, false);
    out = print(&l, HOLES_ZEROS, false, &n);    /* nothing lost: said only in detail */
    assert_int_equal(n, 0);
    free(out);
    out = print(&l, HOLES_ZEROS, true, &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(out, "tcpflow: capture: 1000 received, 0 dropped by the kernel"));
    free(out);
    struct dfxml_losses d;
    losses_dfxml(&l, &d);
    assert_int_equal(d.live, 1);
    assert_string_equal(d.source, "eth0");
    assert_int_equal(d.received, 1000);
    assert_int_equal(d.processed, 930);
}

int main(void)
{
    log_init("tcpflow");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_lost),
        cmocka_unit_test(test_holes_and_truncated),
        cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
