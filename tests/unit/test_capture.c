/* test_capture.c - the pcap/pcapng reader, damage handling, compressed
 * inputs, stdin, BPF, the shared corpus against libpcap; live capture: a
 * smoke test, the configuration, loss counters, snaplen, "any", messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bzlib.h>
#include <dirent.h>
#include <fcntl.h>
#include <lzma.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/capture.h"
#include "capture/pcapfile.h"

#define CORPUS "/work/shared/corpus"

/* ---- a byte builder ---- */

struct bb {
    uint8_t *p;
    size_t n, cap;
    bool be;
    size_t blk;                 /* start of the pcapng block being built */
    size_t ends[4096];          /* offsets where a record / block ends (clean cut points) */
    int nends;
    size_t pkt_ends[4096];      /* offsets where a delivered packet ends */
    int npkts;
};

static void put(struct bb *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put8(struct bb *b, uint8_t v) { put(b, &v, 1); }

static void put16(struct bb *b, uint16_t v)
{
    uint8_t q[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    if (b->be) { q[0] = (uint8_t)(v >> 8); q[1] = (uint8_t)v; }
    put(b, q, 2);
}

static void put32(struct bb *b, uint32_t v)
{
    uint8_t q[4];
    for (int i = 0; i < 4; i++) q[b->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    put(b, q, 4);
}

static void pad4(struct bb *b)
{
    while (b->n % 4) put8(b, 0);
}

static void mark_end(struct bb *b, bool packet)
{
    b->ends[b->nends++] = b->n;
    if (packet) b->pkt_ends[b->npkts++] = b->n;
}

/* classic pcap */
static void pcap_hdr(struct bb *b, uint32_t magic, uint16_t minor, uint32_t linktype)
{
    put32(b, magic);
    put16(b, 2);
    put16(b, minor);
    put32(b, 0);
    put32(b, 0);
    put32(b, 65535);
    put32(b, linktype);
    mark_end(b, false);
}

static void pcap_rec(struct bb *b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wirelen,
                     const uint8_t *data)
{
    put32(b, sec);
    put32(b, frac);
    put32(b, caplen);
    put32(b, wirelen);
    put(b, data, caplen);
    mark_end(b, true);
}

/* pcapng */
static void blk_begin(struct bb *b, uint32_t type)
{
    b->blk = b->n;
    put32(b, type);
    put32(b, 0);
}

static void blk_end(struct bb *b, bool packet)
{
    pad4(b);
    uint32_t len = (uint32_t)(b->n - b->blk + 4);
    put32(b, len);
    size_t save = b->n;
    b->n = b->blk + 4;
    put32(b, len);
    b->n = save;
    mark_end(b, packet);
}

static void ng_shb(struct bb *b)
{
    blk_begin(b, 0x0A0D0D0A);
    put32(b, 0x1A2B3C4D);
    put16(b, 1);
    put16(b, 0);
    put32(b, 0xffffffff);
    put32(b, 0xffffffff);
    /* an option: shb_userappl */
    put16(b, 4);
    put16(b, 5);
    put(b, "tests", 5);
    pad4(b);
    put16(b, 0);
    put16(b, 0);
    blk_end(b, false);
}

/* tsresol < 0: no option; tsoffset != 0: if_tsoffset option */
static void ng_idb(struct bb *b, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    blk_begin(b, 1);
    put16(b, linktype);
    put16(b, 0);
    put32(b, snaplen);
    put16(b, 2);                        /* if_name */
    put16(b, 3);
    put(b, "lo0", 3);
    pad4(b);
    if (tsresol >= 0) {
        put16(b, 9);
        put16(b, 1);
        put8(b, (uint8_t)tsresol);
        pad4(b);
    }
    if (tsoffset) {
        put16(b, 14);
        put16(b, 8);
        uint64_t v = (uint64_t)tsoffset;
        if (b->be) { put32(b, (uint32_t)(v >> 32)); put32(b, (uint32_t)v); }
        else { put32(b, (uint32_t)v); put32(b, (uint32_t)(v >> 32)); }
    }
    put16(b, 0);
    put16(b, 0);
    blk_end(b, false);
}

static void ng_epb(struct bb *b, uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t wirelen,
                   const uint8_t *data, bool with_option)
{
    blk_begin(b, 6);
    put32(b, ifid);
    put32(b, (uint32_t)(ts >> 32));
    put32(b, (uint32_t)ts);
    put32(b, caplen);
    put32(b, wirelen);
    put(b, data, caplen);
    pad4(b);
    if (with_option) {
        put16(b, 2);                    /* epb_flags */
        put16(b, 4);
        put32(b, 1);
        put16(b, 0);
        put16(b, 0);
    }
    blk_end(b, true);
}

static void ng_spb(struct bb *b, uint32_t wirelen, const uint8_t *data, uint32_t stored)
{
    blk_begin(b, 3);
    put32(b, wirelen);
    put(b, data, stored);
    blk_end(b, true);
}

static void ng_pb(struct bb *b, uint16_t ifid, uint64_t ts, uint32_t caplen, uint32_t wirelen,
                  const uint8_t *data)
{
    blk_begin(b, 2);
    put16(b, ifid);
    put16(b, 0);
    put32(b, (uint32_t)(ts >> 32));
    put32(b, (uint32_t)ts);
    put32(b, caplen);
    put32(b, wirelen);
    put(b, data, caplen);
    blk_end(b, true);
}

static void ng_other(struct bb *b, uint32_t type, size_t bodylen)
{
    blk_begin(b, type);
    for (size_t i = 0; i < bodylen; i++) put8(b, (uint8_t)(0xa0 + i));
    blk_end(b, false);
}

static void bb_free(struct bb *b) { free(b->p); free(b); }

static struct bb *bb_new(bool be)
{
    struct bb *b = calloc(1, sizeof *b);
    b->be = be;
    return b;
}

static uint8_t payload[300000];

static void fill_payload(void)
{
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + (i >> 8));
}

static char tmpdir[64];

static const char *tmpfile_with(const char *name, const void *p, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
    return path;
}

struct rec {
    int64_t ts;
    uint32_t caplen, wirelen;
    int dlt;
    const uint8_t *data;
};

static int read_all(struct capture *c, struct rec *out, int max, int *n)
{
    struct capture_pkt p;
    int r;
    *n = 0;
    while ((r = capture_next(c, &p)) == 1) {
        if (*n < max) {
            out[*n].ts = p.ts_us;
            out[*n].caplen = p.caplen;
            out[*n].wirelen = p.wirelen;
            out[*n].dlt = p.dlt;
            out[*n].data = NULL;
            assert_non_null(p.data);
        }
        (*n)++;
    }
    return r;
}

/* ---- classic pcap ---- */

static struct bb *three_records(bool be, uint32_t magic, uint32_t linktype)
{
    struct bb *b = bb_new(be);
    pcap_hdr(b, magic, 4, linktype);
    pcap_rec(b, 1700000000, 999999999, 60, 60, payload);
    pcap_rec(b, 1700000001, 1000, 0, 0, payload);
    pcap_rec(b, 1700000002, 123456, 1500, 9000, payload + 5);
    return b;
}

static void check_three(struct capture *c, bool nsec, int dlt)
{
    struct capture_pkt p;
    assert_int_equal(capture_first_dlt(c), dlt);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.ts_us, 1700000000LL * 1000000 + (nsec ? 999999 : 999999999));
    assert_int_equal(p.caplen, 60);
    assert_int_equal(p.wirelen, 60);
    assert_int_equal(p.dlt, dlt);
    assert_memory_equal(p.data, payload, 60);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.ts_us, 1700000001LL * 1000000 + (nsec ? 1 : 1000));
    assert_int_equal(p.caplen, 0);
    assert_non_null(p.data);            /* only a live timeout has data == NULL */
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.ts_us, 1700000002LL * 1000000 + (nsec ? 123 : 123456));
    assert_int_equal(p.caplen, 1500);
    assert_int_equal(p.wirelen, 9000);
    assert_memory_equal(p.data, payload + 5, 1500);
    assert_int_equal(capture_next(c, &p), 0);
    assert_int_equal(capture_next(c, &p), 0);
}

static void test_pcap_variants(void **state)
{
    (void)state;
    static const struct { bool be; uint32_t magic; bool nsec; } v[] = {
        { false, 0xa1b2c3d4, false }, { true, 0xa1b2c3d4, false },
        { false, 0xa1b23c4d, true }, { true, 0xa1b23c4d, true },
    };
    for (size_t i = 0; i < 4; i++) {
        struct bb *b = three_records(v[i].be, v[i].magic, 1);
        const char *path = tmpfile_with("v.pcap", b->p, b->n);
        char err[256];
        struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
        assert_non_null(c);
        assert_string_equal(capture_name(c), path);
        check_three(c, v[i].nsec, 1);
        assert_int_equal(capture_pos(c), b->n);
        assert_int_equal(capture_size(c), b->n);
        capture_close(c);
        bb_free(b);
    }
}

static void test_pcap_fcs_bits_masked(void **state)
{
    (void)state;
    /* FCS length 4 present (0x04000000 | 4 << 28) on Ethernet */
    struct bb *b = three_records(false, 0xa1b2c3d4, 0x44000001u);
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "fcs.pcap", NULL, err, sizeof err);
    assert_non_null(c);
    check_three(c, false, 1);
    capture_close(c);
    bb_free(b);
}

static void test_pcap_kuznetsov_and_old_versions(void **state)
{
    (void)state;
    struct bb *b = bb_new(true);
    pcap_hdr(b, 0xa1b2cd34, 4, 1);
    for (int i = 0; i < 2; i++) {
        put32(b, 100 + (uint32_t)i);
        put32(b, 5);
        put32(b, 20);
        put32(b, 40);
        put32(b, 7);                    /* ifindex */
        put16(b, 0x0800);               /* protocol */
        put8(b, 0);                     /* pkt_type */
        put8(b, 0);
        put(b, payload, 20);
    }
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "k.pcap", NULL, err, sizeof err);
    assert_non_null(c);
    struct capture_pkt p;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(capture_next(c, &p), 1);
        assert_int_equal(p.ts_us, (100 + i) * 1000000LL + 5);
        assert_int_equal(p.caplen, 20);
        assert_int_equal(p.wirelen, 40);
        assert_memory_equal(p.data, payload, 20);
    }
    assert_int_equal(capture_next(c, &p), 0);
    capture_close(c);
    bb_free(b);

    /* version 2.2: caplen and len inverted when caplen > len */
    b = bb_new(false);
    pcap_hdr(b, 0xa1b2c3d4, 2, 1);
    put32(b, 1); put32(b, 2); put32(b, 100); put32(b, 30);
    put(b, payload, 30);
    c = capture_open_mem(b->p, b->n, "old.pcap", NULL, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.caplen, 30);
    assert_int_equal(p.wirelen, 100);
    assert_int_equal(capture_next(c, &p), 0);
    capture_close(c);
    bb_free(b);

    /* version 1.0 is refused */
    b = bb_new(false);
    put32(b, 0xa1b2c3d4); put16(b, 1); put16(b, 0);
    for (int i = 0; i < 4; i++) put32(b, 1);
    c = capture_open_mem(b->p, b->n, "v1.pcap", NULL, err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "v1.pcap: unsupported pcap format version 1.0");
    bb_free(b);
}

/* Cut a capture at every byte: open fails before the header is complete,
 * otherwise exactly the complete records come out, then 0 at a record
 * boundary or -1 inside a record. */
static void every_prefix(const struct bb *b, size_t hdrlen, const char *fmt)
{
    for (size_t cut = 0; cut <= b->n; cut++) {
        char err[256] = "";
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, b->p, cut);
        struct capture *c = capture_open_mem(copy, cut, "cut.pcap", NULL, err, sizeof err);
        if (cut < hdrlen) {
            assert_null(c);
            if (cut == 0) assert_string_equal(err, "cut.pcap: empty file");
            else assert_true(strncmp(err, "cut.pcap: ", 10) == 0);
            free(copy);
            continue;
        }
        assert_non_null(c);
        int want = 0;
        while (want < b->npkts && b->pkt_ends[want] <= cut) want++;
        bool boundary = false;
        for (int i = 0; i < b->nends; i++) if (b->ends[i] == cut) boundary = true;
        struct rec recs[64];
        int n;
        int r = read_all(c, recs, 64, &n);
        if (n != want || r != (boundary ? 0 : -1))
            fail_msg("%s cut at %zu: %d records (want %d), r=%d (%s)", fmt, cut, n, want, r,
                     capture_error(c));
        if (r < 0) {
            char pfx[64];
            snprintf(pfx, sizeof pfx, "cut.pcap: truncated ");
            if (strncmp(capture_error(c), pfx, strlen(pfx)) != 0)
                fail_msg("cut at %zu: %s", cut, capture_error(c));
            assert_non_null(strstr(capture_error(c), " at offset "));
            struct capture_pkt p;
            assert_int_equal(capture_next(c, &p), -1);      /* sticky */
        }
        capture_close(c);
        free(copy);
    }
}

static void test_pcap_every_prefix(void **state)
{
    (void)state;
    struct bb *b = three_records(false, 0xa1b2c3d4, 1);
    every_prefix(b, 24, "pcap");
    bb_free(b);
}

static void test_pcap_truncated_message(void **state)
{
    (void)state;
    struct bb *b = three_records(false, 0xa1b2c3d4, 1);
    const char *path = tmpfile_with("x.pcap", b->p, b->n - 10);
    char err[256], want[512];
    struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
    assert_non_null(c);
    struct rec recs[8];
    int n;
    assert_int_equal(read_all(c, recs, 8, &n), -1);
    assert_int_equal(n, 2);
    snprintf(want, sizeof want, "%s: truncated record at offset %zu (file ends inside a packet)",
             path, b->pkt_ends[1]);
    assert_string_equal(capture_error(c), want);
    capture_close(c);
    bb_free(b);
}

static void test_pcap_caplen_over_limit(void **state)
{
    (void)state;
    struct bb *b = bb_new(false);
    pcap_hdr(b, 0xa1b2c3d4, 4, 1);
    pcap_rec(b, 1, 0, 100, 100, payload);
    pcap_rec(b, 2, 0, CAPTURE_MAX_CAPLEN, CAPTURE_MAX_CAPLEN, payload);   /* at the limit: fine */
    size_t at = b->n;
    pcap_rec(b, 3, 0, CAPTURE_MAX_CAPLEN + 1, CAPTURE_MAX_CAPLEN + 1, payload);
    char err[256], want[256];
    struct capture *c = capture_open_mem(b->p, b->n, "big.pcap", NULL, err, sizeof err);
    struct rec recs[8];
    int n;
    assert_int_equal(read_all(c, recs, 8, &n), -1);
    assert_int_equal(n, 2);
    assert_int_equal(recs[1].caplen, CAPTURE_MAX_CAPLEN);
    snprintf(want, sizeof want,
             "big.pcap: record at offset %zu has caplen 262145, more than the limit of 262144 "
             "(corrupt file?)", at);
    assert_string_equal(capture_error(c), want);
    capture_close(c);
    bb_free(b);
}

static void test_garbage_after_header(void **state)
{
    (void)state;
    struct bb *b = bb_new(false);
    pcap_hdr(b, 0xa1b2c3d4, 4, 1);
    pcap_rec(b, 1, 0, 10, 10, payload);
    for (int i = 0; i < 64; i++) put8(b, (uint8_t)(0xf0 + i % 16));
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "g.pcap", NULL, err, sizeof err);
    struct rec recs[8];
    int n;
    assert_int_equal(read_all(c, recs, 8, &n), -1);
    assert_int_equal(n, 1);
    assert_string_equal(capture_error(c),
                        "g.pcap: record at offset 50 has caplen 4227529208, more than the limit "
                        "of 262144 (corrupt file?)");
    capture_close(c);
    bb_free(b);

    /* pcapng: garbage after the section header */
    b = bb_new(false);
    ng_shb(b);
    ng_idb(b, 1, 0, -1, 0);
    size_t at = b->n;
    put32(b, 0x12345678);
    put32(b, 0x0badf00d);
    put32(b, 0);
    c = capture_open_mem(b->p, b->n, "g.pcapng", NULL, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(read_all(c, recs, 8, &n), -1);
    assert_int_equal(n, 0);
    char want[256];
    snprintf(want, sizeof want,
             "g.pcapng: bad block length 195948557 at offset %zu (block type 0x12345678)", at);
    assert_string_equal(capture_error(c), want);
    capture_close(c);
    bb_free(b);
}

static void test_not_a_capture(void **state)
{
    (void)state;
    char err[256];
    const char *path = tmpfile_with("notes.txt", "hello world, this is text\n", 26);
    struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
    assert_null(c);
    char want[256];
    snprintf(want, sizeof want, "%s: not a pcap or pcapng file (magic 0x68656c6c)", path);
    assert_string_equal(err, want);

    path = tmpfile_with("empty.pcap", "", 0);
    c = capture_open_file(path, NULL, true, err, sizeof err);
    assert_null(c);
    snprintf(want, sizeof want, "%s: empty file", path);
    assert_string_equal(err, want);

    c = capture_open_file("/nonexistent/x.pcap", NULL, true, err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "/nonexistent/x.pcap: No such file or directory");

    c = capture_open_file(tmpdir, NULL, true, err, sizeof err);
    assert_null(c);
    snprintf(want, sizeof want, "%s: is a directory", tmpdir);
    assert_string_equal(err, want);

    c = capture_open_mem((const uint8_t *)"\xd4\xc3\xb2\xa1\x02\x00", 6, "short.pcap", NULL, err,
                         sizeof err);
    assert_null(c);
    assert_string_equal(err, "short.pcap: truncated pcap file header (6 of 24 bytes)");
}

/* ---- pcapng ---- */

/* Two sections (LE, then BE), interfaces of link types 1 (ns), 113 (2^-10 s
 * with an offset), 101 (default us); EPB, SPB, PB; skipped blocks. */
static struct bb *ng_sample(bool be1)
{
    struct bb *b = bb_new(be1);
    ng_shb(b);
    ng_other(b, 4, 8);                              /* NRB before any interface */
    ng_idb(b, 1, 0, 9, 0);
    ng_idb(b, 113, 0, 0x80 | 10, 1000);
    ng_epb(b, 0, 1700000000123456789ull, 60, 60, payload, true);
    ng_other(b, 5, 12);                             /* ISB */
    ng_epb(b, 1, ((uint64_t)1700000000 << 10) | 512, 50, 80, payload + 1, false);
    ng_other(b, 0xBAD, 0);                          /* custom/unknown, empty body */
    ng_spb(b, 40, payload + 2, 40);
    ng_pb(b, 1, 1024, 33, 33, payload + 3);
    b->be = !be1;
    ng_shb(b);                                      /* second section: interfaces reset */
    ng_idb(b, 101, 0, -1, 0);
    ng_epb(b, 0, 1234567, 21, 21, payload + 4, false);
    ng_other(b, 0x0A, 16);                          /* DSB */
    return b;
}

static void check_ng_sample(struct capture *c)
{
    struct capture_pkt p;
    assert_int_equal(capture_first_dlt(c), 1);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.dlt, 1);
    assert_int_equal(p.ts_us, 1700000000123456LL);
    assert_int_equal(p.caplen, 60);
    assert_memory_equal(p.data, payload, 60);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.dlt, 113);
    assert_int_equal(p.ts_us, (1700000000LL + 1000) * 1000000 + 500000);
    assert_int_equal(p.caplen, 50);
    assert_int_equal(p.wirelen, 80);
    assert_memory_equal(p.data, payload + 1, 50);
    assert_int_equal(capture_next(c, &p), 1);          /* SPB: interface 0, no timestamp */
    assert_int_equal(p.dlt, 1);
    assert_int_equal(p.ts_us, 0);
    assert_int_equal(p.caplen, 40);
    assert_int_equal(p.wirelen, 40);
    assert_memory_equal(p.data, payload + 2, 40);
    assert_int_equal(capture_next(c, &p), 1);          /* PB on interface 1 */
    assert_int_equal(p.dlt, 113);
    assert_int_equal(p.ts_us, 1000 * 1000000LL + 1000000);
    assert_int_equal(p.caplen, 33);
    assert_memory_equal(p.data, payload + 3, 33);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.dlt, 101);
    assert_int_equal(p.ts_us, 1234567);
    assert_int_equal(p.caplen, 21);
    assert_memory_equal(p.data, payload + 4, 21);
    assert_int_equal(capture_next(c, &p), 0);
    assert_int_equal(capture_first_dlt(c), 1);
}

static void test_pcapng_sections_and_blocks(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        struct bb *b = ng_sample(be);
        const char *path = tmpfile_with("s.pcapng", b->p, b->n);
        char err[256];
        struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
        assert_non_null(c);
        check_ng_sample(c);
        assert_int_equal(capture_pos(c), b->n);
        capture_close(c);
        bb_free(b);
    }
}

static void test_pcapng_every_prefix(void **state)
{
    (void)state;
    struct bb *b = ng_sample(false);
    every_prefix(b, b->ends[0], "pcapng");
    bb_free(b);
}

static void expect_ng_error(struct bb *b, int want_n, const char *want)
{
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "e.pcapng", NULL, err, sizeof err);
    assert_non_null(c);
    struct rec recs[16];
    int n;
    assert_int_equal(read_all(c, recs, 16, &n), -1);
    assert_int_equal(n, want_n);
    assert_string_equal(capture_error(c), want);
    capture_close(c);
}

static void test_pcapng_bad_lengths(void **state)
{
    (void)state;
    char want[256];
    struct bb *b = bb_new(false);
    ng_shb(b);
    ng_idb(b, 1, 0, -1, 0);
    ng_epb(b, 0, 1, 10, 10, payload, false);
    size_t good = b->n;

    /* block length not a multiple of 4 */
    ng_epb(b, 0, 2, 10, 10, payload, false);
    b->p[good + 4] = 45;
    snprintf(want, sizeof want, "e.pcapng: bad block length 45 at offset %zu (block type 0x00000006)",
             good);
    expect_ng_error(b, 1, want);

    /* trailing length differs */
    b->n = good;
    ng_epb(b, 0, 2, 10, 10, payload, false);
    b->p[b->n - 4] = 0x30;
    snprintf(want, sizeof want,
             "e.pcapng: bad block at offset %zu: trailing length 48 differs from the block "
             "length 44", good);
    expect_ng_error(b, 1, want);

    /* caplen larger than the block */
    b->n = good;
    ng_epb(b, 0, 2, 12, 12, payload, false);
    b->p[good + 20] = 200;
    snprintf(want, sizeof want,
             "e.pcapng: packet at offset %zu has caplen 200, more than its block holds (12)", good);
    expect_ng_error(b, 1, want);

    /* undefined interface */
    b->n = good;
    ng_epb(b, 3, 2, 12, 12, payload, false);
    snprintf(want, sizeof want,
             "e.pcapng: packet for undefined interface 3 at offset %zu (1 interface defined)", good);
    expect_ng_error(b, 1, want);

    /* too short for its type */
    b->n = good;
    blk_begin(b, 6);
    put32(b, 0);
    blk_end(b, true);
    snprintf(want, sizeof want,
             "e.pcapng: bad block length 16 at offset %zu (too short for block type 6)", good);
    expect_ng_error(b, 1, want);

    /* caplen over the limit (in a block large enough to hold it) */
    b->n = good;
    ng_epb(b, 0, 2, CAPTURE_MAX_CAPLEN + 4, CAPTURE_MAX_CAPLEN + 4, payload, false);
    snprintf(want, sizeof want,
             "e.pcapng: packet at offset %zu has caplen 262148, more than the limit of 262144 "
             "(corrupt file?)", good);
    expect_ng_error(b, 1, want);

    /* a huge unknown block is skipped by its length even when the file ends */
    b->n = good;
    blk_begin(b, 0x40000000);
    b->n = good + 4;
    put32(b, 0x7ffffffc);
    for (int i = 0; i < 100; i++) put8(b, 1);
    snprintf(want, sizeof want,
             "e.pcapng: truncated block at offset %zu (file ends inside a block)", good);
    expect_ng_error(b, 1, want);

    /* bad byte-order magic in a later section */
    b->n = good;
    blk_begin(b, 0x0A0D0D0A);
    put32(b, 0x11223344);
    put32(b, 0);
    put32(b, 0);
    put32(b, 0);
    blk_end(b, false);
    snprintf(want, sizeof want,
             "e.pcapng: bad byte-order magic 0x44332211 in section header block at offset %zu",
             good);
    expect_ng_error(b, 1, want);

    /* if_tsresol 10^-20 is refused */
    b->n = good;
    ng_idb(b, 1, 0, 20, 0);
    snprintf(want, sizeof want,
             "e.pcapng: unsupported if_tsresol 0x14 in interface description block at offset %zu",
             good);
    expect_ng_error(b, 1, want);
    bb_free(b);

    /* a bad section header is an open failure */
    b = bb_new(false);
    ng_shb(b);
    b->p[12] = 2;
    char err[256];
    assert_null(capture_open_mem(b->p, b->n, "v.pcapng", NULL, err, sizeof err));
    assert_string_equal(err, "v.pcapng: unsupported pcapng version 2.0 at offset 0");
    bb_free(b);
}

static void test_pcapng_spb_snaplen(void **state)
{
    (void)state;
    struct bb *b = bb_new(false);
    ng_shb(b);
    ng_idb(b, 1, 64, -1, 0);
    ng_spb(b, 1000, payload, 64);                   /* snaplen 64: 64 stored */
    ng_spb(b, 10, payload, 12);                     /* 10 on the wire, padded to 12 */
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "spb", NULL, err, sizeof err);
    struct capture_pkt p;
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.caplen, 64);
    assert_int_equal(p.wirelen, 1000);
    assert_int_equal(capture_next(c, &p), 1);
    assert_int_equal(p.caplen, 10);
    assert_int_equal(p.wirelen, 10);
    assert_int_equal(capture_next(c, &p), 0);
    capture_close(c);
    bb_free(b);

    /* an SPB before any interface */
    b = bb_new(false);
    ng_shb(b);
    ng_spb(b, 4, payload, 4);
    c = capture_open_mem(b->p, b->n, "spb", NULL, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(capture_first_dlt(c), -1);
    assert_int_equal(capture_next(c, &p), -1);
    assert_non_null(strstr(capture_error(c), "undefined interface 0"));
    capture_close(c);
    bb_free(b);
}

/* ---- compressed inputs, stdin ---- */

static struct bb *sample_pcap_big(void)
{
    struct bb *b = bb_new(false);
    pcap_hdr(b, 0xa1b2c3d4, 4, 1);
    for (uint32_t i = 0; i < 600; i++)
        pcap_rec(b, 1000 + i, i, 40 + (i * 37) % 1400, 1500, payload + i);
    return b;
}

static void compare_records(struct capture *c, const struct bb *b, int want_r)
{
    char err[256];
    struct capture *ref = capture_open_mem(b->p, b->n, "ref", NULL, err, sizeof err);
    assert_non_null(ref);
    struct capture_pkt p, q;
    int n = 0, r;
    while ((r = capture_next(c, &p)) == 1) {
        assert_int_equal(capture_next(ref, &q), 1);
        assert_int_equal(p.ts_us, q.ts_us);
        assert_int_equal(p.caplen, q.caplen);
        assert_int_equal(p.wirelen, q.wirelen);
        assert_memory_equal(p.data, q.data, p.caplen);
        n++;
    }
    assert_int_equal(r, want_r);
    if (want_r == 0) {
        assert_int_equal(capture_next(ref, &q), 0);
        assert_int_equal(n, b->npkts);
    }
    capture_close(ref);
}

static uint8_t *compress_with(int kind, const uint8_t *p, size_t n, size_t *outn)
{
    size_t cap = n + n / 2 + 65536;
    uint8_t *o = malloc(cap);
    if (kind == 0) {
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *)(uintptr_t)p;
        z.avail_in = (uInt)n;
        z.next_out = o;
        z.avail_out = (uInt)cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        *outn = z.total_out;
        deflateEnd(&z);
    } else if (kind == 1) {
        *outn = 0;
        assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, p, n, o, outn, cap),
                         LZMA_OK);
    } else if (kind == 2) {
        lzma_options_lzma opt;
        lzma_lzma_preset(&opt, 6);
        lzma_stream s = LZMA_STREAM_INIT;
        assert_int_equal(lzma_alone_encoder(&s, &opt), LZMA_OK);
        s.next_in = p; s.avail_in = n; s.next_out = o; s.avail_out = cap;
        assert_int_equal(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
        *outn = s.total_out;
        lzma_end(&s);
    } else if (kind == 3) {
        unsigned on = (unsigned)cap;
        assert_int_equal(BZ2_bzBuffToBuffCompress((char *)o, &on, (char *)(uintptr_t)p,
                                                  (unsigned)n, 9, 0, 0), BZ_OK);
        *outn = on;
    } else {
        *outn = ZSTD_compress(o, cap, p, n, 3);
        assert_false(ZSTD_isError(*outn));
    }
    return o;
}

static void test_compressed_inputs(void **state)
{
    (void)state;
    struct bb *b = sample_pcap_big();
    static const char *names[] = { "c.pcap.gz", "c.pcap.xz", "c.lzma", "c.pcap", "c.zst" };
    for (int k = 0; k < 5; k++) {
        size_t cn;
        uint8_t *cp = compress_with(k, b->p, b->n, &cn);
        /* a file, whatever its name */
        const char *path = tmpfile_with(names[k], cp, cn);
        char err[256];
        struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
        assert_non_null(c);
        compare_records(c, b, 0);
        assert_int_equal(capture_pos(c), cn);
        assert_int_equal(capture_size(c), cn);
        capture_close(c);
        /* cut in half: the records before the cut, then a decompression error */
        c = capture_open_mem(cp, cn / 2, "half", NULL, err, sizeof err);
        if (c) {
            compare_records(c, b, -1);
            assert_non_null(strstr(capture_error(c), "half: truncated "));
            capture_close(c);
        } else {
            assert_non_null(strstr(err, "half: truncated "));   /* bzip2: first block cut */
        }
        free(cp);
    }
    bb_free(b);
}

static void test_compressed_damage(void **state)
{
    (void)state;
    struct bb *b = sample_pcap_big();
    size_t cn;
    uint8_t *cp = compress_with(0, b->p, b->n, &cn);
    for (size_t i = cn / 2; i < cn / 2 + 32; i++) cp[i] ^= 0x33;
    const char *path = tmpfile_with("bad.pcap.gz", cp, cn);
    char err[256], want[256];
    struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
    assert_non_null(c);
    struct rec recs[1];
    int n;
    assert_int_equal(read_all(c, recs, 1, &n), -1);
    snprintf(want, sizeof want, "%s: corrupt gzip data at compressed offset ", path);
    if (strncmp(capture_error(c), want, strlen(want)) != 0) fail_msg("%s", capture_error(c));
    capture_close(c);
    free(cp);

    /* a gzip file holding no capture */
    cp = compress_with(0, (const uint8_t *)"plain text, not a capture", 25, &cn);
    c = capture_open_mem(cp, cn, "t.gz", NULL, err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "t.gz: not a pcap or pcapng file (magic 0x706c6169 after gzip)");
    free(cp);
    cp = compress_with(4, (const uint8_t *)"", 0, &cn);
    c = capture_open_mem(cp, cn, "e.zst", NULL, err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "e.zst: empty file after zstd");
    free(cp);
    bb_free(b);
}

static void test_stdin_pipe(void **state)
{
    (void)state;
    struct bb *b = sample_pcap_big();
    size_t cn;
    uint8_t *cp = compress_with(0, b->p, b->n, &cn);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (size_t o = 0; o < cn; o += 1000) {
            size_t k = cn - o < 1000 ? cn - o : 1000;
            if (write(fds[1], cp + o, k) != (ssize_t)k) _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    int saved = dup(0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);
    char err[256];
    struct capture *c = capture_open_file("-", NULL, true, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(capture_name(c), "-");
    compare_records(c, b, 0);
    assert_int_equal(capture_size(c), 0);
    assert_int_equal(capture_pos(c), cn);
    capture_close(c);
    dup2(saved, 0);
    close(saved);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a truncated plain capture on stdin: the message says "stdin" */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (write(fds[1], b->p, 100) != 100) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    saved = dup(0);
    dup2(fds[0], 0);
    close(fds[0]);
    c = capture_open_file("-", NULL, true, err, sizeof err);
    assert_non_null(c);
    struct rec recs[4];
    int n;
    assert_int_equal(read_all(c, recs, 4, &n), -1);
    assert_int_equal(n, 1);
    assert_string_equal(capture_error(c),
                        "stdin: truncated record at offset 80 (file ends inside a packet)");
    capture_close(c);
    dup2(saved, 0);
    close(saved);
    waitpid(pid, &st, 0);
    free(cp);
    bb_free(b);
}

/* ---- BPF ---- */

/* Ethernet + IPv4 + TCP/UDP (headers only, enough for BPF) */
static size_t frame(uint8_t *f, bool eth, int proto, uint16_t dport)
{
    size_t o = 0;
    if (eth) {
        memset(f, 0x11, 12);
        f[12] = 0x08; f[13] = 0x00;
        o = 14;
    }
    uint8_t *ip = f + o;
    memset(ip, 0, 40);
    ip[0] = 0x45; ip[3] = 40; ip[8] = 64; ip[9] = (uint8_t)proto;
    ip[12] = 10; ip[15] = 1; ip[16] = 10; ip[19] = 2;
    ip[22] = (uint8_t)(dport >> 8); ip[23] = (uint8_t)dport;
    return o + 40;
}

static void test_bpf(void **state)
{
    (void)state;
    uint8_t f[64];
    struct bb *b = bb_new(false);
    ng_shb(b);
    ng_idb(b, 1, 0, -1, 0);
    ng_idb(b, 101, 0, -1, 0);                       /* LINKTYPE_RAW: DLT_RAW for libpcap */
    size_t n;
    n = frame(f, true, 6, 80);   ng_epb(b, 0, 1, (uint32_t)n, (uint32_t)n, f, false);
    n = frame(f, true, 17, 53);  ng_epb(b, 0, 2, (uint32_t)n, (uint32_t)n, f, false);
    n = frame(f, false, 6, 80);  ng_epb(b, 1, 3, (uint32_t)n, (uint32_t)n, f, false);
    n = frame(f, false, 17, 53); ng_epb(b, 1, 4, (uint32_t)n, (uint32_t)n, f, false);
    n = frame(f, true, 6, 22);   ng_epb(b, 0, 5, (uint32_t)n, (uint32_t)n, f, false);
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "f.pcapng", "tcp port 80", err, sizeof err);
    assert_non_null(c);
    struct rec recs[8];
    int k;
    assert_int_equal(read_all(c, recs, 8, &k), 0);
    assert_int_equal(k, 2);
    assert_int_equal(recs[0].ts, 1);
    assert_int_equal(recs[0].dlt, 1);
    assert_int_equal(recs[1].ts, 3);
    assert_int_equal(recs[1].dlt, 101);
    capture_close(c);

    c = capture_open_mem(b->p, b->n, "f.pcapng", "", err, sizeof err);
    assert_int_equal(read_all(c, recs, 8, &k), 0);
    assert_int_equal(k, 5);
    capture_close(c);

    c = capture_open_mem(b->p, b->n, "f.pcapng", "foo bar", err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "bad filter expression 'foo bar': can't parse filter expression: "
                             "syntax error");
    c = capture_open_mem(b->p, b->n, "f.pcapng", "port foo", err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "bad filter expression 'port foo': unknown port 'foo'");
    bb_free(b);

    /* a link type libpcap cannot filter: error when its first record comes */
    b = bb_new(false);
    ng_shb(b);
    ng_idb(b, 1, 0, -1, 0);
    ng_idb(b, 147, 0, -1, 0);                       /* USER0 */
    n = frame(f, true, 6, 80);   ng_epb(b, 0, 1, (uint32_t)n, (uint32_t)n, f, false);
    ng_epb(b, 1, 2, 10, 10, payload, false);
    c = capture_open_mem(b->p, b->n, "u.pcapng", "tcp", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(read_all(c, recs, 8, &k), -1);
    assert_int_equal(k, 1);
    assert_string_equal(capture_error(c),
                        "u.pcapng: cannot apply the filter 'tcp' to link type 147: DLT 147 "
                        "link-layer type filtering not implemented");
    capture_close(c);
    bb_free(b);
}

static void test_breakloop_file(void **state)
{
    (void)state;
    struct bb *b = three_records(false, 0xa1b2c3d4, 1);
    char err[256];
    struct capture *c = capture_open_mem(b->p, b->n, "b", NULL, err, sizeof err);
    struct capture_pkt p;
    assert_int_equal(capture_next(c, &p), 1);
    capture_breakloop(c);
    assert_int_equal(capture_next(c, &p), 0);
    capture_close(c);
    capture_close(NULL);
    bb_free(b);
}

/* ---- the shared corpus ---- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every capture in the corpus read fully; where libpcap can read the file
 * (all but the pcapngs with mixed link types), every record must be equal
 * to libpcap's, and the end (clean or error) too. */
static void test_corpus(void **state)
{
    (void)state;
    DIR *d = opendir(CORPUS);
    if (!d) skip();
    char *names[512];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 512) {
        const char *s = strrchr(e->d_name, '.');
        if (s && (!strcmp(s, ".pcap") || !strcmp(s, ".pcapng") || !strcmp(s, ".cap")))
            names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, name_cmp);
    assert_true(nn > 10);
    int compared = 0, mixed = 0;
    for (int i = 0; i < nn; i++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", CORPUS, names[i]);
        struct capture *c = capture_open_file(path, NULL, true, err, sizeof err);
        if (!c) fail_msg("%s", err);
        int per_dlt[300] = { 0 };
        char eb[PCAP_ERRBUF_SIZE];
        pcap_t *lp = pcap_open_offline(path, eb);
        bool lp_ok = lp != NULL;
        struct capture_pkt p;
        int r, n = 0, lr = 0;
        while ((r = capture_next(c, &p)) == 1) {
            if (p.dlt >= 0 && p.dlt < 300) per_dlt[p.dlt]++;
            n++;
            if (!lp_ok) continue;
            struct pcap_pkthdr *h;
            const u_char *data;
            lr = pcap_next_ex(lp, &h, &data);
            if (lr != 1) { lp_ok = false; continue; }
            int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
            if (ts != p.ts_us || h->caplen != p.caplen || h->len != p.wirelen ||
                memcmp(data, p.data, p.caplen) != 0)
                fail_msg("%s: record %d differs from libpcap's", names[i], n);
        }
        if (strcmp(names[i], "pcapng_many_interfaces.pcapng") == 0) {
            assert_int_equal(r, 0);
            assert_int_equal(n, 64);
            assert_int_equal(per_dlt[1], 62);
            assert_int_equal(per_dlt[0], 2);
            mixed++;
        } else if (strcmp(names[i], "pcapng_ether_sll_truncated.pcapng") == 0) {
            assert_int_equal(r, 0);
            assert_int_equal(n, 159);
            assert_int_equal(per_dlt[1], 59);
            assert_int_equal(per_dlt[113], 100);
            mixed++;
        } else {
            if (!lp_ok) fail_msg("%s: libpcap stopped early (%d records)", names[i], n);
            struct pcap_pkthdr *h;
            const u_char *data;
            lr = pcap_next_ex(lp, &h, &data);
            /* libpcap: -2 at a clean end, -1 on a truncated file */
            if (!((r == 0 && lr == PCAP_ERROR_BREAK) || (r == -1 && lr == PCAP_ERROR)))
                fail_msg("%s: we end with %d (%s), libpcap with %d", names[i], r,
                         capture_error(c), lr);
            if (r == 0) assert_int_equal(capture_pos(c), capture_size(c));
            compared++;
        }
        if (lp) pcap_close(lp);
        capture_close(c);
        free(names[i]);
    }
    assert_int_equal(mixed, 2);
    print_message("corpus: %d files equal to libpcap, %d mixed-link-type pcapng checked\n",
                  compared, mixed);
}

/* ---- live (root only) ---- */

static void test_live_lo(void **state)
{
    (void)state;
    if (geteuid() != 0) skip();
    char err[512];
    struct capture *c = capture_open_live("lo", false, 100, "udp and dst port 45679", err, sizeof err);
    if (!c) { print_message("live: %s\n", err); skip(); }
    assert_string_equal(capture_name(c), "lo");
    assert_int_equal(capture_first_dlt(c), 1);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(45679) };
    to.sin_addr.s_addr = htonl(0x7f000001);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof to), 5);
    close(s);
    int got = 0, timeouts = 0;
    struct capture_pkt p;
    for (int i = 0; i < 100 && (got < 3 || timeouts == 0); i++) {
        assert_int_equal(capture_next(c, &p), 1);
        if (p.caplen == 0) {
            assert_null(p.data);
            timeouts++;
            continue;
        }
        assert_int_equal(p.dlt, 1);
        assert_int_equal(p.caplen, 14 + 20 + 8 + 5);
        assert_memory_equal(p.data + p.caplen - 5, "hello", 5);
        got++;
    }
    assert_int_equal(got, 3);
    assert_true(timeouts > 0);
    capture_breakloop(c);
    assert_int_equal(capture_next(c, &p), 0);
    capture_close(c);

    c = capture_open_live("nonexistent0", false, 100, NULL, err, sizeof err);
    assert_null(c);
    assert_true(strncmp(err, "nonexistent0: ", 14) == 0);
}

/* ---- live: configuration, counters, messages (root only) ---- */

static void test_live_config_defaults(void **state)
{
    (void)state;
    struct capture_live_config cfg;
    memset(&cfg, 0x5a, sizeof cfg);
    capture_live_config_init(&cfg);
    assert_null(cfg.ifname);
    assert_null(cfg.bpf);
    assert_true(cfg.promisc);
    assert_false(cfg.immediate);
    assert_int_equal(cfg.timeout_ms, 10);
    assert_int_equal(cfg.snaplen, CAPTURE_SNAPLEN);
    assert_int_equal(cfg.buffer_bytes, CAPTURE_DEFAULT_BUFFER);
    assert_int_equal(cfg.ring_bytes, CAPTURE_DEFAULT_RING);
    /* files have no live counters */
    char err[512];
    struct capture *c = capture_open_file(CORPUS "/does-not-exist.pcap", NULL, true, err, sizeof err);
    assert_null(c);
}

/* Send n UDP datagrams of len bytes to 127.0.0.1:port. */
static void send_udp(int port, int n, size_t len)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    int big = 8 << 20;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    to.sin_addr.s_addr = htonl(0x7f000001);
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < n; i++) {
        memcpy(buf, &i, sizeof i);
        /* lo may refuse briefly when its queue is full: the kernel counts
         * those as the sender's, not as capture drops, so retry */
        while (sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof to) < 0) usleep(100);
    }
    close(s);
}

/* Read until n packets were delivered or about 3 s passed without one. */
static int drain_live(struct capture *c, int n, uint32_t *caplen, uint32_t *wirelen)
{
    struct capture_pkt p;
    int got = 0, idle = 0;
    while (got < n && idle < 300) {
        assert_int_equal(capture_next(c, &p), 1);
        if (!p.data) { idle++; continue; }
        idle = 0;
        if (caplen) *caplen = p.caplen;
        if (wirelen) *wirelen = p.wirelen;
        got++;
    }
    return got;
}

/* A burst the kernel buffer cannot hold while nobody reads: the kernel
 * drops, and the counters add up.  On lo the kernel's filter sees every
 * packet twice (going out and coming in) and libpcap discards the outgoing
 * copy after the capture: received is 2n, a drop may be either copy, and
 * captured counts the incoming copies only.  (tests/e2e/t_live.sh checks
 * received = kernel drops + captured exactly, on a veth.)  With a ring (the
 * capture thread stuck on a full ring, ring_waits counted) and without. */
static void live_drops(size_t ring)
{
    char err[512];
    struct capture_live_config cfg;
    capture_live_config_init(&cfg);
    cfg.ifname = "lo";
    cfg.bpf = "udp and dst port 45681";
    cfg.promisc = false;
    cfg.buffer_bytes = 1;               /* the smallest libpcap will make */
    cfg.ring_bytes = ring;
    struct capture *c = capture_open_live_cfg(&cfg, err, sizeof err);
    if (!c) { print_message("live: %s\n", err); skip(); }
    const int n = 3000;
    send_udp(45681, n, 1400);
    usleep(300 * 1000);                 /* let the thread fill its ring */
    int got = drain_live(c, n, NULL, NULL);
    capture_breakloop(c);
    struct capture_pkt p;
    while (capture_next(c, &p) == 1) got++;
    struct capture_stats st;
    capture_stats(c, &st);
    print_message("ring %zu: %d sent, %llu received, %llu kernel drops, %llu captured, "
                  "%llu delivered, %llu ring waits, peak %llu of %llu\n", ring, n,
                  (unsigned long long)st.received, (unsigned long long)st.kernel_drops,
                  (unsigned long long)st.captured, (unsigned long long)st.delivered,
                  (unsigned long long)st.ring_waits, (unsigned long long)st.ring_peak,
                  (unsigned long long)st.ring_bytes);
    assert_true(st.live);
    assert_true(st.final);
    assert_int_equal(st.received, 2 * n);
    assert_true(st.kernel_drops > 0);
    assert_int_equal(st.if_drops, 0);
    assert_int_equal(st.delivered, (uint64_t)got);
    assert_int_equal(st.captured, st.delivered);
    assert_true(st.delivered < (uint64_t)n);
    assert_true(st.kernel_drops + st.captured >= (uint64_t)n);
    assert_true(st.kernel_drops + st.captured <= 2 * (uint64_t)n);
    assert_int_equal(st.truncated, 0);
    if (ring) {
        assert_true(st.ring_waits > 0);
        assert_true(st.ring_peak > 0 && st.ring_peak <= st.ring_bytes);
        assert_true(st.ring_bytes >= ring);
    } else {
        assert_int_equal(st.ring_bytes, 0);
    }
    capture_close(c);
}

static void test_live_drops_counted(void **state)
{
    (void)state;
    if (geteuid() != 0) skip();
    live_drops(0);
    live_drops(64 * 1024);
}

/* No loss with the defaults on the same burst; snaplen cuts packets and
 * counts them; immediate mode delivers. */
static void test_live_defaults_snaplen(void **state)
{
    (void)state;
    if (geteuid() != 0) skip();
    char err[512];
    struct capture_live_config cfg;
    capture_live_config_init(&cfg);
    cfg.ifname = "lo";
    cfg.bpf = "udp and dst port 45682";
    cfg.promisc = false;
    struct capture *c = capture_open_live_cfg(&cfg, err, sizeof err);
    if (!c) { print_message("live: %s\n", err); skip(); }
    const int n = 3000;
    send_udp(45682, n, 1400);
    assert_int_equal(drain_live(c, n, NULL, NULL), n);
    struct capture_stats st;
    capture_stats(c, &st);
    assert_false(st.final);
    assert_int_equal(st.delivered, n);
    capture_breakloop(c);
    capture_stats(c, &st);
    assert_true(st.final);
    assert_int_equal(st.kernel_drops, 0);
    assert_int_equal(st.received, 2 * n);         /* lo: both copies, see above */
    assert_int_equal(st.captured, n);
    assert_int_equal(st.buffer_bytes, CAPTURE_DEFAULT_BUFFER);
    capture_close(c);

    cfg.bpf = "udp and dst port 45683";
    cfg.snaplen = 100;
    cfg.immediate = true;
    cfg.ring_bytes = 1;                 /* raised to the smallest ring */
    c = capture_open_live_cfg(&cfg, err, sizeof err);
    assert_non_null(c);
    send_udp(45683, 5, 500);
    uint32_t caplen = 0, wirelen = 0;
    assert_int_equal(drain_live(c, 5, &caplen, &wirelen), 5);
    assert_int_equal(caplen, 100);
    assert_int_equal(wirelen, 14 + 20 + 8 + 500);
    capture_stats(c, &st);
    assert_int_equal(st.truncated, 5);
    assert_int_equal(st.snaplen, 100);
    assert_true(st.immediate);
    capture_close(c);
}

/* "any" (Linux cooked capture) with promiscuous mode asked: opens, no
 * warning, delivers. */
static void test_live_any(void **state)
{
    (void)state;
    if (geteuid() != 0) skip();
    char err[512];
    struct capture_live_config cfg;
    capture_live_config_init(&cfg);
    cfg.ifname = "any";
    cfg.bpf = "udp and dst port 45684";
    struct capture *c = capture_open_live_cfg(&cfg, err, sizeof err);
    if (!c) { print_message("live: %s\n", err); skip(); }
    assert_string_equal(capture_name(c), "any");
    assert_null(capture_warning(c));
    int lt = capture_first_dlt(c);
    assert_true(lt == 113 || lt == 276);
    send_udp(45684, 2, 10);
    uint32_t caplen = 0;
    int got = drain_live(c, 2, &caplen, NULL);
    assert_true(got >= 1);
    capture_close(c);
}

/* Messages name the interface and say what to do. */
static void test_live_errors(void **state)
{
    (void)state;
    if (geteuid() != 0) skip();
    char err[512];
    struct capture_live_config cfg;
    capture_live_config_init(&cfg);
    cfg.ifname = "nosuchif9";
    assert_null(capture_open_live_cfg(&cfg, err, sizeof err));
    print_message("%s\n", err);
    assert_true(strncmp(err, "nosuchif9: no such interface (interfaces here: ", 47) == 0);
    assert_non_null(strstr(err, "lo"));
    cfg.ifname = "lo";
    cfg.bpf = "udp and dst port";
    assert_null(capture_open_live_cfg(&cfg, err, sizeof err));
    assert_true(strncmp(err, "bad filter expression 'udp and dst port': ", 42) == 0);
    cfg.bpf = NULL;
    cfg.buffer_bytes = (uint64_t)1 << 40;
    assert_null(capture_open_live_cfg(&cfg, err, sizeof err));
    assert_string_equal(err, "lo: capture buffer of 1099511627776 bytes: at most 2147483647");
    cfg.buffer_bytes = 0;
    cfg.snaplen = CAPTURE_SNAPLEN + 1;
    assert_null(capture_open_live_cfg(&cfg, err, sizeof err));
    assert_string_equal(err, "lo: snap length 262145: at most 262144");
}

static int setup(void **state)
{
    (void)state;
    fill_payload();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_capture.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *files[] = { "v.pcap", "x.pcap", "notes.txt", "empty.pcap", "s.pcapng",
                                   "c.pcap.gz", "c.pcap.xz", "c.lzma", "c.pcap", "c.zst",
                                   "bad.pcap.gz" };
    char path[256];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_variants),
        cmocka_unit_test(test_pcap_fcs_bits_masked),
        cmocka_unit_test(test_pcap_kuznetsov_and_old_versions),
        cmocka_unit_test(test_pcap_every_prefix),
        cmocka_unit_test(test_pcap_truncated_message),
        cmocka_unit_test(test_pcap_caplen_over_limit),
        cmocka_unit_test(test_garbage_after_header),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_pcapng_sections_and_blocks),
        cmocka_unit_test(test_pcapng_every_prefix),
        cmocka_unit_test(test_pcapng_bad_lengths),
        cmocka_unit_test(test_pcapng_spb_snaplen),
        cmocka_unit_test(test_compressed_inputs),
        cmocka_unit_test(test_compressed_damage),
        cmocka_unit_test(test_stdin_pipe),
        cmocka_unit_test(test_bpf),
        cmocka_unit_test(test_breakloop_file),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_live_lo),
        cmocka_unit_test(test_live_config_defaults),
        cmocka_unit_test(test_live_drops_counted),
        cmocka_unit_test(test_live_defaults_snaplen),
        cmocka_unit_test(test_live_any),
        cmocka_unit_test(test_live_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
