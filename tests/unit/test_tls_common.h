/* test_tls_common.h - helpers shared by the test_tls_*.c unit tests: hex,
 * transcripts (tests/data/tls/NAME.tlst, see gen.py there), a plaintext
 * collector, and feeding a session in several orders and cuts. */
#ifndef TEST_TLS_COMMON_H
#define TEST_TLS_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scan/tls/keylog.h"
#include "scan/tls/session.h"

static inline size_t unhex_into(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1] && n < cap; ) {
        if (h[0] == ' ' || h[0] == '\n') { h++; continue; }
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

/* malloc'd bytes of a hex string */
static inline uint8_t *unhex_dup(const char *h, size_t *n)
{
    size_t cap = strlen(h) / 2 + 1;
    uint8_t *b = malloc(cap);
    *n = unhex_into(h, b, cap);
    return b;
}

struct chunk { int who; uint8_t *p; size_t n; };

struct transcript {
    char *keylog;               /* the key log text */
    size_t keylog_len;
    struct chunk c[256];
    size_t nc;
    uint8_t *pt[2];             /* what each side sent */
    size_t ptn[2];
    uint16_t version;
    int resumed;
};

static inline const char *tls_data_dir(void)
{
    const char *d = getenv("TLS_TEST_DATA");
    return d ? d : "tests/data/tls";
}

static inline int transcript_load(const char *name, struct transcript *t)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.tlst", tls_data_dir(), name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    memset(t, 0, sizeof *t);
    t->keylog = calloc(1, 65536);
    static char line[1 << 20];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 'K') {
            size_t l = strlen(line + 2);
            memcpy(t->keylog + t->keylog_len, line + 2, l);
            t->keylog_len += l;
            t->keylog[t->keylog_len++] = '\n';
        } else if ((line[0] == 'C' || line[0] == 'S') && line[1] == ' ' && t->nc < 256) {
            t->c[t->nc].who = line[0] == 'S';
            t->c[t->nc].p = unhex_dup(line + 2, &t->c[t->nc].n);
            t->nc++;
        } else if (line[0] == 'P' && (line[1] == '0' || line[1] == '1')) {
            int w = line[1] - '0';
            t->pt[w] = unhex_dup(line + 3, &t->ptn[w]);
        } else if (line[0] == 'V') {
            unsigned v = 0;
            char suite[128];
            int r = 0;
            sscanf(line, "V %x %127s R %d", &v, suite, &r);
            t->version = (uint16_t)v;
            t->resumed = r;
        }
    }
    fclose(f);
    return 0;
}

static inline void transcript_free(struct transcript *t)
{
    free(t->keylog);
    for (size_t i = 0; i < t->nc; i++)
        free(t->c[i].p);
    free(t->pt[0]);
    free(t->pt[1]);
}

/* What a session gave. */
struct got {
    uint8_t *b[2];
    size_t n[2], cap[2];
    int infos;
    struct tls_info info;
};

static inline void got_plain(void *arg, int dir, const uint8_t *p, size_t n)
{
    struct got *g = arg;
    if (g->n[dir] + n > g->cap[dir]) {
        g->cap[dir] = (g->n[dir] + n) * 2;
        g->b[dir] = realloc(g->b[dir], g->cap[dir]);
    }
    memcpy(g->b[dir] + g->n[dir], p, n);
    g->n[dir] += n;
}

static inline void got_info(void *arg, const struct tls_info *info)
{
    struct got *g = arg;
    g->infos++;
    g->info = *info;
}

static inline void got_free(struct got *g)
{
    free(g->b[0]);
    free(g->b[1]);
    memset(g, 0, sizeof *g);
}

static const struct tls_session_cb got_cb = { got_plain, got_info, 0 };

static inline struct tls_keylog *keylog_text(const char *text, size_t n)
{
    char err[256];
    struct tls_keylog *kl = tls_keylog_open(NULL, 0, err, sizeof err);
    if (kl && text)
        tls_keylog_add_text(kl, text, n);
    return kl;
}

/* Feeds chunk bytes in pieces of at most step bytes (0: whole), and the
 * first piece cut at cut (0: none). */
static inline void feed_chunk(struct tls_session *s, int dir, const uint8_t *p, size_t n, size_t step, size_t cut)
{
    if (cut && cut < n) {
        tls_session_data(s, dir, p, cut);
        p += cut;
        n -= cut;
    }
    while (n) {
        size_t k = step && step < n ? step : n;
        tls_session_data(s, dir, p, k);
        p += k;
        n -= k;
    }
}

/* Runs transcript t in capture order (dir of the client: cdir). */
static inline void run_capture_order(const struct transcript *t, struct tls_keylog *kl, struct got *g, size_t step, int cdir)
{
    struct tls_session *s = tls_session_new(kl, &got_cb, g);
    for (size_t i = 0; i < t->nc; i++)
        feed_chunk(s, t->c[i].who ? !cdir : cdir, t->c[i].p, t->c[i].n, step, 0);
    tls_session_end(s, 0);
    tls_session_end(s, 1);
    tls_session_free(s);
}

/* Runs t as a driver reading two files would: each direction whole, the
 * client first, switching while one is waiting. */
static inline void run_file_order(const struct transcript *t, struct tls_keylog *kl, struct got *g, size_t step)
{
    uint8_t *all[2] = { NULL, NULL };
    size_t n[2] = { 0, 0 };
    for (size_t i = 0; i < t->nc; i++) {
        int w = t->c[i].who;
        all[w] = realloc(all[w], n[w] + t->c[i].n);
        memcpy(all[w] + n[w], t->c[i].p, t->c[i].n);
        n[w] += t->c[i].n;
    }
    struct tls_session *s = tls_session_new(kl, &got_cb, g);
    size_t off[2] = { 0, 0 };
    int dir = 0;
    while (off[0] < n[0] || off[1] < n[1]) {
        if (off[dir] >= n[dir] || tls_session_waiting(s, dir)) {
            if (off[!dir] < n[!dir])
                dir = !dir;
            else if (off[dir] >= n[dir])
                break;
        }
        size_t k = n[dir] - off[dir];
        if (step && k > step)
            k = step;
        tls_session_data(s, dir, all[dir] + off[dir], k);
        off[dir] += k;
        if (off[dir] == n[dir])
            tls_session_end(s, dir);
    }
    tls_session_end(s, 0);
    tls_session_end(s, 1);
    tls_session_free(s);
    free(all[0]);
    free(all[1]);
}

#endif
