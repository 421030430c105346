/* fuzz_http.c - libFuzzer harness for the http scanner's parser and
 * decoders (scan/http_compat.c).
 *
 * Input: [0] bit 0: inflate (not -Z); the rest is a flow file's bytes.
 * Checks: begin/end alternate and number the responses 1, 2, ...; data only
 * inside a response, never empty, one offset per body and inside the input;
 * without inflate, every body byte is a byte of the input at or after its
 * offset and the bodies, in order, never overlap; the return value counts
 * the responses begun.  http_mime_ext is given the input too.
 *
 * Build: see the Makefile (fuzz-build); seeds: tests/fuzz/seeds/http/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); abort(); } } while (0)

struct st {
    const uint8_t *buf;
    size_t n;
    bool inflate, open, has_off;
    unsigned begun, ended;
    uint64_t off, got;                 /* current body: offset, bytes so far */
    uint64_t floor;                    /* the end of the previous body (no inflate) */
};

static void on_begin(void *arg, unsigned n, const char *ext, bool has_body)
{
    struct st *s = arg;
    (void)has_body;
    CHECK(!s->open);
    CHECK(n == s->begun + 1);
    CHECK(ext && strlen(ext) < 64);
    s->begun++;
    s->open = true;
    s->has_off = false;
    s->got = 0;
}

static void on_data(void *arg, uint64_t off, const uint8_t *p, size_t len)
{
    struct st *s = arg;
    CHECK(s->open && len > 0);
    CHECK(off < s->n);
    if (!s->has_off) {
        s->has_off = true;
        s->off = off;
        if (!s->inflate)
            CHECK(off >= s->floor);
    }
    CHECK(off == s->off);
    if (!s->inflate) {
        /* raw bytes come straight from the input, after the offset */
        CHECK(p >= s->buf && p + len <= s->buf + s->n);
        CHECK((uint64_t)(p - s->buf) >= off);
        CHECK((uint64_t)(p - s->buf) >= s->floor);
        s->floor = (uint64_t)(p - s->buf) + len;
    } else {
        volatile uint8_t x = 0;
        for (size_t i = 0; i < len; i++)
            x ^= p[i];
        (void)x;
    }
    s->got += len;
}

static void on_end(void *arg)
{
    struct st *s = arg;
    CHECK(s->open);
    s->open = false;
    s->ended++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct st s;
    memset(&s, 0, sizeof s);
    s.inflate = data[0] & 1;
    s.n = size - 1;
    uint8_t *buf = malloc(s.n ? s.n : 1);     /* exactly n bytes: ASan sees any overread */
    CHECK(buf);
    memcpy(buf, data + 1, s.n);
    s.buf = buf;
    struct http_cb cb = { &s, on_begin, on_data, on_end };
    unsigned r = http_scan(buf, s.n, s.inflate, &cb);
    CHECK(!s.open);
    CHECK(r == s.begun && s.begun == s.ended);
    (void)http_is_response_stream(buf, s.n);
    const char *e = http_mime_ext((const char *)buf, s.n);
    CHECK(e && strlen(e) < 64);
    free(buf);
    return 0;
}
