/* tls.c - the tls scanner (-e tls with -S tls_keylog=FILE): the plaintext
 * of every TLS connection whose secrets are in the key log, a file per
 * direction beside its flow file, the handshake's facts in report.xml, and
 * with -e http the HTTP/1.x bodies inside.
 *
 * -S tls_keylog=FILE alone turns it on (SCAN_ON_BY_SETTING).
 *
 * One decryptor (scan/tls/session.h) per connection, in the connection's
 * slot, fed both directions' in-order bytes (FC_STREAM) in capture order.
 * Its plaintext goes to "<flow file>-PLAINTEXT" (scan/tls/tlsfile.h), made
 * at the first byte, so a connection that cannot be decrypted gets no
 * file, and, when the http scanner runs and ALPN is empty or http/1.1, to
 * an HTTP engine (scan/http_parse.h + http_out.h) whose body files are
 * named after the plaintext files.  At each direction's release its
 * <tls> element goes into its fileobject (scan/tls/tlsxml.h); at the
 * connection's release the connection is counted by how it ended.
 *
 * The key log is opened once per run and shared by the instances of the
 * worker threads (-j N): a registry below, counted by reference.  The last
 * instance to finish says the totals (stderr unless -q, and <summary>).
 * See docs/internals/tls.md.
 */
#include "scan/scanner.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "flow/flow.h"
#include "flow/naming.h"
#include "scan/http_out.h"
#include "scan/http_parse.h"
#include "scan/tls/keylog.h"
#include "scan/tls/session.h"
#include "scan/tls/tlsfile.h"
#include "scan/tls/tlsxml.h"
#include "util/log.h"
#include "util/xalloc.h"

#define TLS_MAX_KEYLOGS 64

/* ---- the key log of the run, shared by the instances ---- */

struct tls_shared {
    char *key;                          /* the paths, NUL-separated: which key log this is */
    size_t keylen;
    unsigned nfiles;
    struct tls_keylog *kl;
    unsigned refs, finished;
    struct counters tot;                /* the instances' counts, added as they finish */
    struct tls_shared *next;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_shared *reg;

/* The shared key log of paths[0..n), opened by the first caller.  NULL
 * with a message in err when a file cannot be read. */
static struct tls_shared *shared_get(const char *const *paths, size_t n, char *err, size_t errlen)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(paths[i]) + 1;
    char *key = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(paths[i]) + 1;
        memcpy(key + o, paths[i], l);
        o += l;
    }
    pthread_mutex_lock(&reg_mu);
    struct tls_shared *sh = reg;
    while (sh && !(sh->keylen == len && memcmp(sh->key, key, len) == 0))
        sh = sh->next;
    if (sh) {
        sh->refs++;
        free(key);
    } else {
        struct tls_keylog *kl = tls_keylog_open(paths, n, err, errlen);
        if (kl) {
            sh = xcalloc(1, sizeof *sh);
            sh->key = key;
            sh->keylen = len;
            sh->nfiles = (unsigned)n;
            sh->kl = kl;
            sh->refs = 1;
            sh->next = reg;
            reg = sh;
        } else {
            free(key);
        }
    }
    pthread_mutex_unlock(&reg_mu);
    return sh;
}

static void shared_put(struct tls_shared *sh)
{
    if (!sh)
        return;
    pthread_mutex_lock(&reg_mu);
    if (--sh->refs == 0) {
        struct tls_shared **pp = &reg;
        while (*pp != sh)
            pp = &(*pp)->next;
        *pp = sh->next;
        tls_keylog_free(sh->kl);
        free(sh->key);
        free(sh);
    }
    pthread_mutex_unlock(&reg_mu);
}

/* ---- one instance (one per worker thread) ---- */

struct tls_scan {
    const struct scan_env *env;
    struct tls_shared *sh;
    struct tls_files *files;
    bool http;                          /* -e http runs: HTTP/1.x plaintext to the HTTP engine */
    struct http_conn_config hcfg;
    int http_alert_fd;
    const char *http_cmd;
    size_t max_pending;
};

/* One direction of a connection. */
struct tdir {
    struct tls_file file;
    uint64_t fed;                       /* stream bytes handed to the session */
    bool named;                         /* the file's name is set */
    bool http_named;                    /* the HTTP engine has the file's name */
    bool http_ended;                    /* the HTTP engine was told the direction ended */
};

/* One connection: in f->conn->slot[c->slot]. */
struct tconn {
    struct tls_scan *ts;
    struct tls_session *s;              /* NULL once the bytes proved not to be TLS */
    struct tdir d[2];
    struct http_conn *hc;
    struct http_out *ho;
    int http;                           /* 0 undecided, 1 parsed as HTTP, -1 not */
};

static const struct tls_info *info_of(const struct tconn *tc) { return tls_session_info(tc->s); }

/* The HTTP engine's direction for the session's dir. */
static int hdir(const struct tconn *tc, int dir)
{
    return info_of(tc)->client_dir == dir ? HTTP_C2S : HTTP_S2C;
}

/* Whether the plaintext goes to the HTTP engine: -e http, ALPN none or
 * http/1.1 (h2: the plaintext file only). */
static void decide_http(struct tconn *tc)
{
    const struct tls_info *in = info_of(tc);
    tc->http = -1;
    if (!tc->ts->http || in->client_dir < 0 || (in->alpn[0] && strcmp(in->alpn, "http/1.1") != 0))
        return;
    struct http_out_config oc = { .outdir = tc->ts->env->outdir, .alert_fd = tc->ts->http_alert_fd,
                                  .cmd = tc->ts->http_cmd };
    tc->ho = http_out_new(&oc, tc->ts->env->ctr);
    tc->hc = http_conn_new(&tc->ts->hcfg, &http_out_cb, tc->ho);
    tc->http = 1;
    tc->ts->env->ctr->n[C_TLS_HTTP_CONNS]++;
}

/* The session's plaintext: to the file, and to the HTTP engine. */
static void on_plain(void *arg, int dir, const uint8_t *p, size_t n)
{
    struct tconn *tc = arg;
    struct tdir *d = &tc->d[dir];
    tls_file_write(tc->ts->files, &d->file, p, n);
    if (tc->http == 0)
        decide_http(tc);
    if (tc->http < 0)
        return;
    int h = hdir(tc, dir);
    if (!d->http_named && (d->file.path || d->file.failed)) {     /* bodies named after the file made */
        http_out_set_path(tc->ho, h, d->file.failed ? NULL : d->file.path);
        d->http_named = true;
    }
    http_conn_data(tc->hc, h, p, n);
}

/* A direction the session is done with (stopped, or ended and not
 * waiting) is ended in the HTTP engine: cut, unless it ended cleanly. */
static void http_sync(struct tconn *tc)
{
    if (tc->http <= 0)
        return;
    for (int dir = 0; dir < 2; dir++) {
        struct tdir *d = &tc->d[dir];
        if (d->http_ended || !tls_session_stopped(tc->s, dir) || tls_session_waiting(tc->s, dir))
            continue;
        enum tls_status st = info_of(tc)->dir[dir].status;
        if (st != TLS_ST_DECRYPTING && st != TLS_ST_HANDSHAKE)
            http_conn_gap(tc->hc, hdir(tc, dir), 1);
        http_conn_end(tc->hc, hdir(tc, dir));
        d->http_ended = true;
    }
}

/* After the session was given something: a connection that proved not to
 * be TLS is let go (nothing more is looked at). */
static void after_feed(struct tconn *tc)
{
    const struct tls_info *in = info_of(tc);
    if (!in->is_tls && (in->dir[0].status == TLS_ST_NOT_TLS || in->dir[1].status == TLS_ST_NOT_TLS)) {
        tls_session_free(tc->s);
        tc->s = NULL;
        return;
    }
    http_sync(tc);
}

/* The plaintext file's name, from the flow file's (once it exists). */
static void name_dir(struct tconn *tc, struct tdir *d, const struct flow *f)
{
    const struct scan_env *env = tc->ts->env;
    if (!f->name && env->files)
        return;                         /* (named when the flow file is made) */
    /* no flow file (-FX, -c): the name it would have had (counter 0);
     * made exclusively, c1, c2, ... before the suffix when taken */
    char name[4096];
    const char *base = naming_flow_base(f, env->files, env->tmpl, env->outdir, env->tdelta_us, name,
                                        sizeof name);
    if (base)
        tls_file_name(&d->file, base, !f->name);
    d->named = true;
}

static struct tconn *conn_new(struct tls_scan *ts)
{
    struct tconn *tc = xcalloc(1, sizeof *tc);
    tc->ts = ts;
    struct tls_session_cb cb = { on_plain, NULL, ts->max_pending };
    tc->s = tls_session_new(ts->sh->kl, &cb, tc);
    return tc;
}

static void tls_stream(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n,
                       int64_t ts_us)
{
    (void)ts_us;
    struct tls_scan *ts = c->self;
    if (!f->conn)
        return;
    struct tconn *tc = f->conn->slot[c->slot];
    if (!tc)
        tc = f->conn->slot[c->slot] = conn_new(ts);
    if (!tc->s)
        return;
    int dir = flow_dir(f);
    struct tdir *d = &tc->d[dir];
    if (off + n <= d->fed)
        return;                                 /* late data, given before */
    if (off < d->fed) {
        p += d->fed - off;
        n -= (size_t)(d->fed - off);
    } else if (off > d->fed) {
        tls_session_gap(tc->s, dir, off - d->fed);
    }
    d->fed = off + n;
    if (!d->named)
        name_dir(tc, d, f);
    tls_session_data(tc->s, dir, p, n);
    after_feed(tc);
}

static void tls_gap(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts_us)
{
    (void)ts_us;
    struct tconn *tc = f->conn ? f->conn->slot[c->slot] : NULL;
    if (!tc || !tc->s)
        return;
    int dir = flow_dir(f);
    struct tdir *d = &tc->d[dir];
    if (off + len <= d->fed)
        return;
    tls_session_gap(tc->s, dir, off + len - d->fed);    /* the bytes from where we are */
    d->fed = off + len;
    after_feed(tc);
}

static void tls_close(struct flow_consumer *c, struct flow *f, bool again)
{
    struct tconn *tc = f->conn ? f->conn->slot[c->slot] : NULL;
    if (again || !tc || !tc->s)
        return;
    int dir = flow_dir(f);
    tls_session_end(tc->s, dir);
    after_feed(tc);
    if (tc->s)
        tls_file_close(tc->ts->files, &tc->d[dir].file);
}

static void tls_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    struct tls_scan *ts = c->self;
    struct tconn *tc = f->conn ? f->conn->slot[c->slot] : NULL;
    if (!tc || !tc->s)
        return;
    int dir = flow_dir(f);
    struct tdir *d = &tc->d[dir];
    tls_session_end(tc->s, dir);
    after_feed(tc);
    if (!tc->s)
        return;
    char *inner = NULL;
    if (tc->http > 0) {
        if (!d->http_ended) {
            http_conn_end(tc->hc, hdir(tc, dir));
            d->http_ended = true;
        }
        inner = http_out_xml(tc->ho, hdir(tc, dir));
    }
    struct tls_xml_dir xd = { dir, d->file.path, d->file.size, d->file.failed, inner };
    const struct tls_info *in = info_of(tc);
    if (in->is_tls || in->dir[dir].status == TLS_ST_NO_HANDSHAKE) {
        char *x = tls_xml_dir(in, &xd);
        flowsum_add_xml(rec, x);
        free(x);
    }
    free(inner);
    tls_file_close(ts->files, &d->file);
}

/* The counter of how a connection ended: decrypted when no direction
 * failed and one gave plaintext or finished its handshake encrypted; else
 * the client's reason first. */
static enum counter_id outcome(const struct tls_info *in)
{
    static const enum counter_id by_status[TLS_ST_N] = {
        [TLS_ST_NO_KEY] = C_TLS_CONN_NO_KEY, [TLS_ST_BAD_TAG] = C_TLS_CONN_BAD_TAG,
        [TLS_ST_HOLE] = C_TLS_CONN_HOLE, [TLS_ST_UNSUPPORTED] = C_TLS_CONN_UNSUPPORTED,
        [TLS_ST_NOT_TLS] = C_TLS_CONN_MALFORMED, [TLS_ST_MALFORMED] = C_TLS_CONN_MALFORMED,
        [TLS_ST_CAP] = C_TLS_CONN_CAP, [TLS_ST_INCOMPLETE] = C_TLS_CONN_INCOMPLETE,
        [TLS_ST_NO_HANDSHAKE] = C_TLS_CONN_NO_HANDSHAKE,
    };
    int first = in->client_dir >= 0 ? in->client_dir : 0;
    bool dec = false;
    for (int k = 0; k < 2; k++) {
        const struct tls_dir_info *x = &in->dir[k ? !first : first];
        if (by_status[x->status])
            return by_status[x->status];
        dec |= x->status == TLS_ST_DECRYPTING;
    }
    return dec ? C_TLS_CONN_DECRYPTED : C_TLS_CONN_HANDSHAKE;
}

static void tls_conn_release(struct flow_consumer *c, struct conn *cn)
{
    struct tls_scan *ts = c->self;
    struct tconn *tc = cn->slot[c->slot];
    if (!tc)
        return;
    cn->slot[c->slot] = NULL;
    struct counters *ctr = ts->env->ctr;
    if (tc->s) {
        tls_session_end(tc->s, 0);
        tls_session_end(tc->s, 1);
        const struct tls_info *in = info_of(tc);
        enum counter_id oc = outcome(in);
        if (in->is_tls)
            ctr->n[C_TLS_CONNS]++;
        if (in->is_tls || oc == C_TLS_CONN_NO_HANDSHAKE)
            ctr->n[oc]++;
        else
            ctr->n[C_TLS_NOT_TLS]++;
        if (!strcmp(in->alpn, "h2"))
            ctr->n[C_TLS_H2_CONNS]++;
        tls_session_free(tc->s);
    } else {
        ctr->n[C_TLS_NOT_TLS]++;
    }
    http_conn_free(tc->hc);
    http_out_free(tc->ho);
    for (int dir = 0; dir < 2; dir++)
        tls_file_release(ts->files, &tc->d[dir].file);
    free(tc);
}

static const char *tls_error(struct flow_consumer *c)
{
    struct tls_scan *ts = c->self;
    return tls_files_error(ts->files);
}

static const struct flow_consumer_ops tls_ops = {
    .wants = FC_STREAM,
    .stream = tls_stream,
    .gap = tls_gap,
    .close = tls_close,
    .release = tls_release,
    .conn_release = tls_conn_release,
    .error = tls_error,
};

/* ---- create, finish ---- */


/* The key log files named by the settings (and SSLKEYLOGFILE when asked). */
static size_t keylog_paths(const struct scan_env *env, const char **paths, char *err, size_t errlen)
{
    size_t n = 0, k = 0;
    const char *const *v = env->setting_all(env, "tls_keylog", &n);
    for (size_t i = 0; i < n && k < TLS_MAX_KEYLOGS; i++)
        if (v[i] && *v[i])
            paths[k++] = v[i];
    if (setting_yes(env->setting(env, "tls_keylog_env"))) {
        const char *e = getenv("SSLKEYLOGFILE");
        if (!e || !*e) {
            snprintf(err, errlen, "tls: -S tls_keylog_env=yes, but SSLKEYLOGFILE is not set");
            return SIZE_MAX;
        }
        if (k < TLS_MAX_KEYLOGS)
            paths[k++] = e;
    }
    if (k == 0) {
        snprintf(err, errlen, "tls: no key log: give -S tls_keylog=FILE (NSS key log, as SSLKEYLOGFILE writes)");
        return SIZE_MAX;
    }
    return k;
}

static void *tls_create(const struct scan_env *env, char *err, size_t errlen)
{
    const char *paths[TLS_MAX_KEYLOGS];
    size_t n = keylog_paths(env, paths, err, errlen);
    if (n == SIZE_MAX)
        return NULL;
    char *end;
    const char *mp = env->setting(env, "tls_max_pending");
    unsigned long long max_pending = strtoull(mp, &end, 10);
    if (!*mp || *end || max_pending < 16 * 1024 + 5 || max_pending > (1ull << 30)) {
        snprintf(err, errlen, "tls: -S tls_max_pending=%s: give bytes from 16389 to 1073741824", mp);
        return NULL;
    }
    struct tls_shared *sh = shared_get(paths, n, err, errlen);
    if (!sh)
        return NULL;
    struct tls_scan *ts = xcalloc(1, sizeof *ts);
    ts->env = env;
    ts->sh = sh;
    ts->max_pending = (size_t)max_pending;
    ts->files = tls_files_new(env->outdir, TLS_FILES_MAX_OPEN, env->ctr);
    ts->http = env->enabled(env, "http");
    ts->hcfg = (struct http_conn_config){ .keep_coded = !env->gunzip };
    const char *fd = env->setting(env, "http_alert_fd");
    ts->http_alert_fd = fd && *fd ? atoi(fd) : -1;
    ts->http_cmd = env->setting(env, "http_cmd");
    return ts;
}

static void tls_destroy(void *self)
{
    struct tls_scan *ts = self;
    if (!ts)
        return;
    tls_files_free(ts->files);
    shared_put(ts->sh);
    free(ts);
}

/* The line said at the end: connections by how they ended, and the key
 * log entries no connection used. */
static void say_totals(const struct counters *t, const struct tls_keylog_stats *ks)
{
    static const struct { enum counter_id id; const char *what; } parts[] = {
        { C_TLS_CONN_DECRYPTED, "decrypted" }, { C_TLS_CONN_HANDSHAKE, "handshake only" },
        { C_TLS_CONN_NO_KEY, "no key in the key log" }, { C_TLS_CONN_BAD_TAG, "failed tag (wrong secret?)" },
        { C_TLS_CONN_HOLE, "cut by a hole" }, { C_TLS_CONN_UNSUPPORTED, "unsupported" },
        { C_TLS_CONN_MALFORMED, "malformed" }, { C_TLS_CONN_CAP, "over tls_max_pending" },
        { C_TLS_CONN_INCOMPLETE, "incomplete" }, { C_TLS_CONN_NO_HANDSHAKE, "caught mid-stream" },
    };
    char line[1024];
    int o = snprintf(line, sizeof line, "tls: %" PRIu64 " connection%s", t->n[C_TLS_CONNS],
                     t->n[C_TLS_CONNS] == 1 ? "" : "s");
    const char *sep = ": ";
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && o > 0 && (size_t)o < sizeof line; i++) {
        if (!t->n[parts[i].id])
            continue;
        o += snprintf(line + o, sizeof line - (size_t)o, "%s%" PRIu64 " %s", sep, t->n[parts[i].id], parts[i].what);
        sep = ", ";
    }
    if (o > 0 && (size_t)o < sizeof line)
        snprintf(line + o, sizeof line - (size_t)o, "; key log: %" PRIu64 " entr%s, %" PRIu64 " matched no connection",
                 ks->entries, ks->entries == 1 ? "y" : "ies", ks->entries - ks->used);
    log_warn("%s", line);
    if (ks->bad_lines)
        log_warn("tls: %" PRIu64 " key log line(s) could not be read", ks->bad_lines);
}

static int tls_finish(void *self, struct scan_end *end, char *err, size_t errlen)
{
    struct tls_scan *ts = self;
    struct tls_shared *sh = ts->sh;
    struct counters *ctr = ts->env->ctr;
    pthread_mutex_lock(&reg_mu);
    for (int i = C_TLS_CONNS; i <= C_TLS_H2_CONNS; i++)
        sh->tot.n[i] += ctr->n[i];
    bool last = ++sh->finished == sh->refs;
    pthread_mutex_unlock(&reg_mu);
    if (!last)
        return 0;
    struct tls_keylog_stats ks;
    tls_keylog_get_stats(sh->kl, &ks);
    ctr->n[C_TLS_KEYLOG_UNUSED] += ks.entries - ks.used;
    ctr->n[C_TLS_KEYLOG_BAD_LINES] += ks.bad_lines;
    ctr->n[C_TLS_KEYLOG_OVER_CAP] += ks.over_cap;
    say_totals(&sh->tot, &ks);
    end->summary_xml = tls_xml_summary(&sh->tot, &ks, sh->nfiles);
    if (sh->tot.n[C_TLS_FILE_FAILED]) {
        snprintf(err, errlen, "%" PRIu64 " TLS plaintext file(s) could not be written completely",
                 sh->tot.n[C_TLS_FILE_FAILED]);
        return -1;
    }
    return 0;
}

static const struct scan_setting tls_settings[] = {
    { "tls_keylog", "", "TLS key log file (NSS format, as SSLKEYLOGFILE writes); repeat for several" },
    { "tls_keylog_env", "NO", "YES: also read the key log file named by $SSLKEYLOGFILE" },
    { "tls_max_pending", "1048576", "bytes a TLS direction holds while it waits for the other one" },
    { NULL, NULL, NULL },
};

const struct scanner scan_tls = {
    .name = "tls",
    .description = "Decrypts TLS with a key log (-S tls_keylog=FILE): plaintext files, HTTP bodies with -e http",
    .flags = SCAN_ON_BY_SETTING,
    .settings = tls_settings,
    .create = tls_create,
    .destroy = tls_destroy,
    .flow = &tls_ops,
    .finish = tls_finish,
};
