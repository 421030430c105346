/* httpconn.c - run the two-direction HTTP engine (scan/http_parse +
 * scan/http_out) on the flow files of connections, as build/tcpflow wrote
 * them: a test and measuring tool until the engine is wired in as -e http.
 *
 *   httpconn [-Z] [-m MAXDECODED] [-c CHUNK] [-s SEED] [-n] [-N] [-D] [-q] -o OUTDIR REQFLOW RESPFLOW ...
 *   httpconn ... -o OUTDIR -          pairs "REQFLOW RESPFLOW" read from stdin, one a line
 *
 * REQFLOW and RESPFLOW are file names inside OUTDIR (the client->server and
 * the server->client flow file of one connection; "-" for a missing one).
 * The two files are fed in alternate pieces of CHUNK bytes (default 65536;
 * with -s, random sizes from 1 to CHUNK, seeded), but never the direction
 * the engine says waits for the other (http_conn_waiting), then both ends.  Body
 * files are written next to the flow files.  Output, per message, one line:
 *   msg DIR INDEX REQINDEX METHOD URI STATUS CODING SENT OUT COMPLETE FLAGS BODYFILE
 * (tab-separated; DIR req|resp; FLAGS a comma list of gap, as_sent, error,
 * capped, truncated, or -; BODYFILE - when none), then per direction its
 * report fragment as "xml DIR <byte_runs>...", then "stats ..." at the end.
 * -n: read the files only (no engine), to measure its cost; -N: parse and
 * decode but write no body file; -D: no SHA-256 of the bodies; -q: no per
 * message lines.  Exit status: 0, or 1 when a file cannot be read or a body
 * file written. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scan/http_out.h"
#include "scan/http_parse.h"
#include "util/counters.h"

struct opts {
    bool keep_coded, read_only, quiet, no_files, no_digest;
    uint64_t max_decoded;
    size_t chunk;
    uint64_t seed;
    const char *outdir;
};

struct tap {                             /* http_out's callbacks, plus a line per message */
    struct http_out *out;
    const struct opts *o;
    const char *path[2];
    char body[2][4096];
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void t_begin(void *arg, const struct http_msg *m)
{
    struct tap *t = arg;
    t->body[m->dir][0] = '\0';
    http_out_cb.begin(t->out, m);
}

static void t_body(void *arg, const struct http_msg *m, const uint8_t *p, size_t n)
{
    struct tap *t = arg;
    if (!t->body[m->dir][0] && t->path[m->dir])
        snprintf(t->body[m->dir], sizeof t->body[0], "%s-%s-%03u%s%s", t->path[m->dir],
                 m->dir ? "HTTPBODY" : "HTTPREQBODY", m->index, *m->ext ? "." : "", m->ext);
    http_out_cb.body(t->out, m, p, n);
}

static void t_hole(void *arg, const struct http_msg *m, uint64_t n)
{
    struct tap *t = arg;
    http_out_cb.hole(t->out, m, n);
}

static void t_end(void *arg, const struct http_msg *m, const struct http_msg_end *e)
{
    struct tap *t = arg;
    http_out_cb.end(t->out, m, e);
    if (t->o->quiet)
        return;
    char flags[64] = "";
    if (e->gap) strcat(flags, ",gap");
    if (e->as_sent) strcat(flags, ",as_sent");
    if (e->decode_error) strcat(flags, ",error");
    if (e->capped) strcat(flags, ",capped");
    if (e->truncated) strcat(flags, ",truncated");
    const char *b = t->body[m->dir];
    const char *slash = strrchr(b, '/');
    printf("msg\t%s\t%u\t%u\t%s\t%s\t%u\t%s\t%" PRIu64 "\t%" PRIu64 "\t%d\t%s\t%s\n",
           m->dir ? "resp" : "req", m->index, m->dir ? m->request_index : m->index,
           *m->method ? m->method : "-", *m->uri ? m->uri : "-", m->status, *m->coding ? m->coding : "-", e->sent, e->out, e->complete, flags[0] ? flags + 1 : "-",
           *b ? (slash ? slash + 1 : b) : "-");
}

static uint8_t *slurp(const char *path, size_t *n)
{
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *b = malloc(len ? len : 1);
    size_t got = 0;
    while (b && got < len) {
        ssize_t r = read(fd, b + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (b && got != len) {
        free(b);
        return NULL;
    }
    *n = len;
    return b;
}

static uint64_t sum_stats[8];

static int one(const struct opts *o, const char *req, const char *resp, struct counters *ctr)
{
    const char *names[2] = { req, resp };
    char *path[2] = { NULL, NULL };
    uint8_t *buf[2] = { NULL, NULL };
    size_t len[2] = { 0, 0 };
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        if (strcmp(names[i], "-") == 0)
            continue;
        size_t pl = strlen(o->outdir) + strlen(names[i]) + 2;
        path[i] = malloc(pl);
        snprintf(path[i], pl, "%s/%s", o->outdir, names[i]);
        buf[i] = slurp(path[i], &len[i]);
        if (!buf[i]) {
            fprintf(stderr, "httpconn: %s: %s\n", path[i], strerror(errno));
            rc = 1;
        }
    }
    if (o->read_only || rc) {
        free(buf[0]); free(buf[1]); free(path[0]); free(path[1]);
        return rc;
    }
    if (!o->quiet)
        printf("conn\t%s\t%s\n", req, resp);
    struct http_out_config oc = { o->outdir, { o->no_files ? NULL : path[0], o->no_files ? NULL : path[1] }, -1,
                                  NULL, !o->no_digest };
    struct tap t;
    memset(&t, 0, sizeof t);
    t.out = http_out_new(&oc, ctr);
    t.o = o;
    t.path[0] = path[0];
    t.path[1] = path[1];
    struct http_conn_config cc = { .keep_coded = o->keep_coded, .max_decoded = o->max_decoded,
                                   .responses_only = !buf[0] };
    struct http_conn_cb cb = { t_begin, t_body, t_end, t_hole };
    struct http_conn *c = http_conn_new(&cc, &cb, &t);
    size_t at[2] = { 0, 0 };
    uint64_t seed = o->seed;
    while (at[0] < len[0] || at[1] < len[1]) {
        for (int d = 0; d < 2; d++) {
            if (http_conn_waiting(c, d) && at[!d] < len[!d])
                continue;                /* the other direction first (files have no timing) */
            size_t k = o->seed ? (size_t)(rnd(&seed) % o->chunk) + 1 : o->chunk;
            if (k > len[d] - at[d])
                k = len[d] - at[d];
            if (k)
                http_conn_data(c, d, buf[d] + at[d], k);
            at[d] += k;
        }
    }
    http_conn_end(c, HTTP_C2S);
    http_conn_end(c, HTTP_S2C);
    const struct http_conn_stats *s = http_conn_stats(c);
    uint64_t v[8] = { s->messages[0], s->messages[1], s->resyncs, s->unpaired, s->capped, s->decode_errors,
                      s->skipped, s->header_too_long };
    for (int i = 0; i < 8; i++)
        sum_stats[i] += v[i];
    http_conn_free(c);
    for (int d = 0; d < 2; d++) {
        char *x = http_out_xml(t.out, d);
        if (x && !o->quiet)
            printf("xml\t%s\t%s\n", d ? "resp" : "req", x);
        free(x);
    }
    if (http_out_failures(t.out))
        rc = 1;
    http_out_free(t.out);
    free(buf[0]); free(buf[1]); free(path[0]); free(path[1]);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = { .chunk = 65536 };
    int ch;
    while ((ch = getopt(argc, argv, "Zm:c:s:nNDqo:")) != -1) {
        switch (ch) {
        case 'Z': o.keep_coded = true; break;
        case 'm': o.max_decoded = strtoull(optarg, NULL, 10); break;
        case 'c': o.chunk = (size_t)strtoull(optarg, NULL, 10); break;
        case 's': o.seed = strtoull(optarg, NULL, 10) | 1; break;
        case 'n': o.read_only = true; break;
        case 'N': o.no_files = true; break;
        case 'D': o.no_digest = true; break;
        case 'q': o.quiet = true; break;
        case 'o': o.outdir = optarg; break;
        default: return 2;
        }
    }
    if (!o.outdir || o.chunk == 0 || (argc - optind != 1 && (argc - optind) % 2 != 0) || argc == optind) {
        fprintf(stderr, "usage: httpconn [-Z] [-m MAX] [-c CHUNK] [-s SEED] [-n] [-N] [-D] [-q] -o OUTDIR "
                        "(REQFLOW RESPFLOW ... | -)\n");
        return 2;
    }
    struct counters ctr;
    memset(&ctr, 0, sizeof ctr);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 0;
    unsigned conns = 0;
    if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
        char line[8192], a[4096], b[4096];
        while (fgets(line, sizeof line, stdin)) {
            if (sscanf(line, "%4095s %4095s", a, b) != 2)
                continue;
            rc |= one(&o, a, b, &ctr);
            conns++;
        }
    } else {
        for (int i = optind; i + 1 < argc; i += 2) {
            rc |= one(&o, argv[i], argv[i + 1], &ctr);
            conns++;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("stats\tconns=%u requests=%" PRIu64 " responses=%" PRIu64 " resyncs=%" PRIu64 " unpaired=%" PRIu64
           " capped=%" PRIu64 " decode_errors=%" PRIu64 " skipped=%" PRIu64 " header_too_long=%" PRIu64
           " req_bodies=%" PRIu64 " resp_bodies=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f\n",
           conns, sum_stats[0], sum_stats[1], sum_stats[2], sum_stats[3], sum_stats[4], sum_stats[5],
           sum_stats[6], sum_stats[7], ctr.n[C_HTTP_REQ_BODIES], ctr.n[C_HTTP_BODIES],
           ctr.n[C_HTTP_BODY_FAILED], secs);
    return rc;
}
