/* fuzz_http_conn.c - libFuzzer harness for the two-direction HTTP parser
 * and every content decoder (scan/http_parse.c, scan/http_codec.c).
 *
 * Input: [0] flags: bit 0 keep coded (-Z), bit 1 responses only, bit 2 a
 * small header cap (300), bits 3-4 the decoded-size cap (64 KiB, 1 MiB,
 * 4 MiB, the default), bit 5 no hole callback; then records: [op][len lo]
 * [len hi][len bytes of data for ops 0 and 1]: op % 8 = 0 request bytes,
 * 1 response bytes, 2 a hole of len in the requests, 3 in the responses,
 * 4 end of requests, 5 end of responses, 6 and 7 stop waiting (requests,
 * responses).  A missing tail ends both directions.
 * Checks: begin and end alternate on each direction, numbered 1, 2, ...;
 * body bytes only inside a message, never empty, one body offset per
 * message and inside what was given; zeros for holes only in a body given
 * as sent; end's counts match what was given;
 * decoded output never past the cap; the waiting flag is a boolean.
 * Seeds: tests/fuzz/seeds/http_conn/ (tests/fuzz/seeds/make_http_conn.py:
 * conversations with every coding, and gzip, brotli, zstd and nested bombs).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); abort(); } } while (0)

struct st {
    uint64_t cap;
    bool open[2];
    unsigned count[2];
    uint64_t got[2], body_off[2], holes[2];
    uint64_t fed[2];                     /* stream bytes given so far (data and holes) */
};

static void on_begin(void *arg, const struct http_msg *m)
{
    struct st *s = arg;
    CHECK(m->dir == 0 || m->dir == 1);
    CHECK(!s->open[m->dir]);
    CHECK(m->index == s->count[m->dir] + 1);
    CHECK(m->method && m->uri && m->host && m->content_type && m->coding && m->ext);
    CHECK(m->offset < s->fed[m->dir]);
    s->count[m->dir]++;
    s->open[m->dir] = true;
    s->got[m->dir] = 0;
    s->holes[m->dir] = 0;
    s->body_off[m->dir] = UINT64_MAX;
}

static void on_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    struct st *s = arg;
    CHECK(s->open[m->dir] && n > 0 && p);
    CHECK(m->body_offset < s->fed[m->dir]);
    if (s->body_off[m->dir] == UINT64_MAX)
        s->body_off[m->dir] = m->body_offset;
    CHECK(s->body_off[m->dir] == m->body_offset);
    volatile uint8_t x = p[0];           /* the bytes are readable */
    x ^= p[n - 1];
    (void)x;
    s->got[m->dir] += n;
}

static void on_hole(void *arg, const struct http_msg *m, uint64_t n)
{
    struct st *s = arg;
    CHECK(s->open[m->dir] && n > 0);
    CHECK(m->body_offset < s->fed[m->dir]);
    if (s->body_off[m->dir] == UINT64_MAX)
        s->body_off[m->dir] = m->body_offset;
    CHECK(s->body_off[m->dir] == m->body_offset);
    s->got[m->dir] += n;
    s->holes[m->dir] += n;
}

static void on_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    struct st *s = arg;
    CHECK(s->open[m->dir]);
    CHECK(e->out == s->got[m->dir]);
    CHECK(e->decode_what != NULL);
    if (s->holes[m->dir])
        CHECK(e->as_sent && e->gap && !e->complete);
    if (e->as_sent)
        CHECK(e->out <= e->sent + s->holes[m->dir]);
    else
        CHECK(e->out <= s->cap);
    if (e->capped)
        CHECK(!e->as_sent);
    s->open[m->dir] = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const uint64_t caps[4] = { 64 << 10, 1 << 20, 4 << 20, 0 };
    uint8_t f = data[0];
    struct http_conn_config cfg = { .keep_coded = f & 1, .responses_only = (f >> 1) & 1,
                                    .max_header = (f & 4) ? 300 : 0, .max_decoded = caps[(f >> 3) & 3] };
    struct st s;
    memset(&s, 0, sizeof s);
    s.cap = cfg.max_decoded ? cfg.max_decoded : (256ull << 20);
    const struct http_conn_cb cb = { on_begin, on_body, on_end, (f & 32) ? NULL : on_hole };
    struct http_conn *c = http_conn_new(&cfg, &cb, &s);
    size_t i = 1;
    while (i + 3 <= size) {
        unsigned op = data[i] % 8;
        size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
        i += 3;
        int dir = op & 1;
        if (op < 2) {
            if (len > size - i)
                len = size - i;
            /* a heap copy of exactly len bytes: a read past it shows */
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, data + i, len);
            s.fed[dir] += len;
            http_conn_data(c, dir, copy, len);
            free(copy);
            i += len;
        } else if (op < 4) {
            s.fed[dir] += len;
            http_conn_gap(c, dir, len);
        } else if (op < 6) {
            http_conn_end(c, dir);
        } else {
            http_conn_unwait(c, dir);
        }
        CHECK(http_conn_held(c) <= 2 * (cfg.max_hold ? cfg.max_hold : HTTP_CONN_HOLD));
        bool w = http_conn_waiting(c, dir);
        CHECK(w == true || w == false);
    }
    const struct http_conn_stats *st = http_conn_stats(c);
    CHECK(st->messages[0] == s.count[0] && st->messages[1] == s.count[1]);
    http_conn_free(c);
    CHECK(!s.open[0] && !s.open[1]);
    return 0;
}
