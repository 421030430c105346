/* python.c - the python scanner (-e python): a user's Python function
 * called once per finished flow direction with the flow's bytes; the str it
 * returns goes into the flow's <fileobject> as
 *   <tcpflow:result xmlns:tcpflow="http://afflib.org/tcpflow/" scanner="python"
 *                   path=".." module=".." function="..">text</tcpflow:result>
 * and an exception as <tcpflow:error ... exception="Type">Type: message</tcpflow:error>.
 *
 * The bytes: with flow files, the file itself, mapped (str and bytes are
 * made from the mapping, one copy; a memoryview is the mapping), or read
 * when it is at most 1 MiB (cheaper than mapping it); without
 * (-FX, -c, -x tcpdemux), the placed bytes kept in memory per flow, at most
 * -b bytes, or py_max_bytes when -b is not given, and py_memcap for all
 * flows together (bytes past either are counted and said in the record).
 *
 * The interpreter, the import and the call: scan/python_embed.c.  See
 * docs/internals/python.md.
 */
#include "scan/scanner.h"
#include "scan/python_embed.h"
#include "flow/flow.h"
#include "util/log.h"
#include "util/outdir.h"
#include "util/xalloc.h"
#include "util/xmlchar.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TCPFLOW_NS "http://afflib.org/tcpflow/"
/* Escaped result text written at most (libxml2 refuses text nodes of
 * 10,000,000 bytes and more when the report checks the fragment). */
#define RESULT_MAX 8000000u
/* Flow files up to this size are read, not mapped: mmap and munmap of a
 * small file cost more than reading it (a third of the scanner's time on
 * 120,000 small flows). */
#define READ_MAX (1u << 20)

static const struct scan_setting python_settings[] = {
    { "py_path", ".", "Directory holding the python module (put first on sys.path)" },
    { "py_module", "", "Python module to import, from py_path" },
    { "py_function", "", "Function of the module called with each flow's data" },
    { "py_arg", "str", "What the function is given: str (bytes as latin-1), bytes or memoryview" },
    { "py_max_bytes", "16777216", "Without flow files and -b: bytes of each flow kept for the function" },
    { "py_memcap", "268435456", "Without flow files: bytes kept for the function for all flows at once" },
    { NULL, NULL, NULL },
};

/* The bytes of one flow, kept in memory when there are no flow files. */
struct pyflow {
    uint8_t *buf;
    size_t len, cap;                /* len: highest offset kept + 1 (holes are zeros) */
    uint64_t not_kept;              /* bytes past the bounds */
};

struct py_scan {
    const struct scan_env *env;
    struct pyembed *pe;
    enum pyembed_arg kind;
    const char *module, *function;
    char *result_tag, *error_tag;   /* start tags without their '>' */
    uint64_t bound;                 /* in memory: bytes kept per flow */
    uint64_t memcap;                /* in memory: for all flows of all instances */
    uint8_t *rbuf;                  /* small flow files are read into it */
    size_t rcap;
};

/* What the instances of a run share (-j: one instance per worker thread,
 * each used by its thread only): the memory of py_memcap, and the counts
 * said once at the end, by the last instance to finish. */
static struct {
    pthread_mutex_t lock;           /* instances, finished */
    unsigned instances, finished;
    atomic_uint_fast64_t mem;       /* bytes kept in memory */
    atomic_uint_fast64_t calls, exceptions, unreadable, truncated, not_kept;
} run = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Up to want bytes of py_memcap taken (what is left, maybe 0). */
static uint64_t mem_take(uint64_t want, uint64_t memcap)
{
    uint_fast64_t cur = atomic_load(&run.mem);
    for (;;) {
        uint64_t avail = memcap > cur ? memcap - cur : 0, k = want < avail ? want : avail;
        if (k == 0) return 0;
        if (atomic_compare_exchange_weak(&run.mem, &cur, cur + k)) return k;
    }
}

static void mem_give(uint64_t n) { atomic_fetch_sub(&run.mem, n); }

/* ---- text for the report ---- */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    b->p = xgrow(b->p, &b->cap, b->n + n + 1, 256);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(struct sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* XML text (or an attribute value) of n bytes at str; when escaping (the
 * text is not valid UTF-8 XML text), a backslash is written \\ and every
 * byte that cannot be written \xNN, as the report does for file names.
 * Stops before max bytes of output; returns the input bytes written. */
static size_t sb_xml(struct sbuf *b, const char *str, size_t n, bool attr, bool escaping, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->n, i = 0;
    while (i < n) {
        char tmp[8];
        const char *o = tmp;
        size_t on, k = 1;
        unsigned c = s[i];
        if (c == '&') o = "&amp;";
        else if (c == '<') o = "&lt;";
        else if (c == '>') o = "&gt;";
        else if (c == '"' && attr) o = "&quot;";
        else if (c == '\r') o = "&#13;";               /* else a parser reads it as a newline */
        else if (c == '\t' && attr) o = "&#9;";
        else if (c == '\n' && attr) o = "&#10;";
        else if (c == '\\' && escaping) o = "\\\\";
        else if ((k = xml_char_len(s + i, n - i)) != 0) o = (const char *)s + i;
        else {
            k = 1;
            tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[c >> 4], tmp[3] = hex[c & 15], tmp[4] = 0;
        }
        on = o == (const char *)s + i ? k : strlen(o);
        if (b->n - start + on > max) break;
        sb_put(b, o, on);
        i += k;
    }
    return i;
}

/* <tcpflow:NAME xmlns:tcpflow=".." scanner="python" path=".." module=".." function=".." */
static char *start_tag(const char *name, const char *path, const char *module, const char *function)
{
    struct sbuf b = { 0 };
    sb_str(&b, "<tcpflow:");
    sb_str(&b, name);
    sb_str(&b, " xmlns:tcpflow=\"" TCPFLOW_NS "\" scanner=\"python\"");
    const char *k[3] = { "path", "module", "function" }, *v[3] = { path, module, function };
    for (int i = 0; i < 3; i++) {
        sb_str(&b, " ");
        sb_str(&b, k[i]);
        sb_str(&b, "=\"");
        sb_xml(&b, v[i], strlen(v[i]), true, xml_needs_escape(v[i], strlen(v[i])), SIZE_MAX);
        sb_str(&b, "\"");
    }
    return b.p;
}

/* The element of one result or error, added to the flow's record. */
static void add_element(struct py_scan *s, struct flow_summary *rec, bool error, const char *exc_type,
                        const char *text, size_t len, uint64_t not_kept)
{
    struct sbuf b = { 0 };
    char num[32];
    bool esc = xml_needs_escape(text, len);
    sb_str(&b, error ? s->error_tag : s->result_tag);
    if (error && exc_type) {
        sb_str(&b, " exception=\"");
        sb_xml(&b, exc_type, strlen(exc_type), true, false, 256);
        sb_str(&b, "\"");
    }
    if (not_kept) {
        snprintf(num, sizeof num, "%" PRIu64, not_kept);
        sb_str(&b, " truncated=\"");
        sb_str(&b, num);
        sb_str(&b, "\"");
    }
    if (esc) sb_str(&b, " escaped=\"1\"");
    struct sbuf t = { 0 };
    size_t done = sb_xml(&t, text, len, false, esc, RESULT_MAX);
    if (done < len) {
        snprintf(num, sizeof num, "%zu", len - done);
        sb_str(&b, " cut=\"");
        sb_str(&b, num);
        sb_str(&b, "\"");
        s->env->ctr->n[C_PY_RESULT_CUT]++;
    }
    sb_str(&b, ">");
    if (t.n) sb_put(&b, t.p, t.n);
    sb_str(&b, error ? "</tcpflow:error>\n" : "</tcpflow:result>\n");
    flowsum_add_xml(rec, b.p);
    free(t.p);
    free(b.p);
}

/* ---- bytes kept in memory (no flow files) ---- */

/* Room for need bytes (at most the bound and what py_memcap leaves);
 * the capacity may end up smaller than need. */
static void grow(struct py_scan *s, struct pyflow *pf, uint64_t need)
{
    if (need <= pf->cap) return;
    uint64_t c = pf->cap ? pf->cap : 512;
    while (c < need) c *= 2;
    if (c > s->bound) c = s->bound;
    if (c <= pf->cap || c > SIZE_MAX) return;
    c = pf->cap + mem_take(c - pf->cap, s->memcap);
    if (c <= pf->cap) return;
    pf->buf = xreallocarray(pf->buf, (size_t)c, 1);
    pf->cap = (size_t)c;
}

static void lost(struct py_scan *s, struct pyflow *pf, uint64_t n)
{
    pf->not_kept += n;
    s->env->ctr->n[C_PY_NOT_KEPT] += n;
    atomic_fetch_add(&run.not_kept, n);
}

static struct pyflow *pyflow_of(struct flow_consumer *c, struct flow *f)
{
    if (!f->slot[c->slot]) f->slot[c->slot] = xcalloc(1, sizeof(struct pyflow));
    return f->slot[c->slot];
}

static int py_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    (void)ts;
    struct py_scan *s = c->self;
    if (s->env->files || n == 0) return 0;
    struct pyflow *pf = pyflow_of(c, f);
    size_t want = flow_clip(s->env->max_bytes, off, n);    /* what -b keeps: a file would hold it */
    size_t k = flow_clip(s->bound, off, want);
    if (k) {
        grow(s, pf, off + k);
        k = off < pf->cap ? (size_t)(pf->cap - off < k ? pf->cap - off : k) : 0;
    }
    if (k) {
        if (off > pf->len) memset(pf->buf + pf->len, 0, (size_t)off - pf->len);
        memcpy(pf->buf + off, p, k);
        if (off + k > pf->len) pf->len = (size_t)(off + k);
    }
    if (want > k) lost(s, pf, want - k);
    return 0;
}

/* Every offset grows by n: the bytes move up, zeros below (as the file). */
static int py_prepend(struct flow_consumer *c, struct flow *f, uint64_t n)
{
    struct py_scan *s = c->self;
    struct pyflow *pf = f->slot[c->slot];
    if (s->env->files || !pf || pf->len == 0 || n == 0) return 0;
    uint64_t total = pf->len + n;
    uint64_t want = total < s->env->max_bytes ? total : s->env->max_bytes;
    uint64_t keep = want < s->bound ? want : s->bound;
    grow(s, pf, keep);
    if (keep > pf->cap) keep = pf->cap;
    if (keep > n) memmove(pf->buf + n, pf->buf, (size_t)(keep - n));
    memset(pf->buf, 0, (size_t)(keep < n ? keep : n));
    pf->len = (size_t)keep;
    if (want > keep) lost(s, pf, want - keep);
    return 0;
}

/* The flow ended: give back the room it did not use (late data may grow
 * it again). */
static void py_close(struct flow_consumer *c, struct flow *f, bool again)
{
    (void)again;
    struct pyflow *pf = f->slot[c->slot];
    if (!pf || pf->cap == pf->len) return;
    if (pf->len == 0) {
        free(pf->buf);
        pf->buf = NULL;
    } else {
        pf->buf = xreallocarray(pf->buf, pf->len, 1);
    }
    mem_give(pf->cap - pf->len);
    pf->cap = pf->len;
}

static void pyflow_free(struct pyflow *pf)
{
    if (!pf) return;
    mem_give(pf->cap);
    free(pf->buf);
    free(pf);
}

/* ---- the call, at release ---- */

static void flow_name(const struct flow_summary *rec, char *b, size_t n)
{
    if (rec->filename) {
        snprintf(b, n, "%s", rec->filename);
        return;
    }
    char a1[INET6_ADDRSTRLEN] = "?", a2[INET6_ADDRSTRLEN] = "?";
    int af = rec->family == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, rec->src, a1, sizeof a1);
    inet_ntop(af, rec->dst, a2, sizeof a2);
    snprintf(b, n, "%s.%u -> %s.%u", a1, rec->sport, a2, rec->dport);
}

static void unreadable(struct py_scan *s, struct flow_summary *rec, const char *why)
{
    char msg[600];
    snprintf(msg, sizeof msg, "cannot read the flow file: %s", why);
    atomic_fetch_add(&run.unreadable, 1);
    s->env->ctr->n[C_PY_UNREADABLE]++;
    log_error("python: %s: %s", rec->filename, msg);
    add_element(s, rec, true, NULL, msg, strlen(msg), 0);
}

static void handle_result(struct py_scan *s, struct flow_summary *rec, struct pyembed_result *r, uint64_t not_kept)
{
    if (r->outcome == PYR_NONE) return;
    if (r->outcome == PYR_TEXT) {
        if (r->converted) s->env->ctr->n[C_PY_CONVERTED]++;
        add_element(s, rec, false, NULL, r->text, r->len, not_kept);
        return;
    }
    atomic_fetch_add(&run.exceptions, 1);
    s->env->ctr->n[C_PY_EXCEPTIONS]++;
    if (pyembed_claim_traceback(s->pe)) {
        char name[600];
        flow_name(rec, name, sizeof name);
        log_error("python: %s.%s raised an exception on flow %s (later ones are counted, not shown):", s->module,
                  s->function, name);
        fputs(r->traceback ? r->traceback : r->text, stderr);
        fflush(stderr);
    }
    add_element(s, rec, true, r->exc_type, r->text, r->len, not_kept);
}

/* A small flow file read whole into s->rbuf (in->n: its size; what is
 * there when it got shorter). */
static int read_small(struct py_scan *s, int fd, struct pyembed_input *in)
{
    if (in->n > s->rcap) {
        s->rbuf = xreallocarray(s->rbuf, in->n, 1);
        s->rcap = in->n;
    }
    size_t got = 0;
    while (got < in->n) {
        ssize_t k = read(fd, s->rbuf + got, in->n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    in->p = s->rbuf;
    in->n = got;
    return 0;
}

static void py_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    struct py_scan *s = c->self;
    struct pyflow *pf = f->slot[c->slot];
    f->slot[c->slot] = NULL;
    struct pyembed_input in = { .kind = s->kind, .fd = -1, .rec = rec };
    int fd = -1;
    void *map = NULL;
    size_t maplen = 0;
    if (s->env->files && rec->filename) {
        struct stat st;
        fd = outdir_open(s->env->outdir, rec->filename, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            unreadable(s, rec, strerror(errno));
            goto done;
        }
        if (!S_ISREG(st.st_mode)) {
            unreadable(s, rec, "not a regular file");
            goto done;
        }
        in.n = (size_t)st.st_size;
        if (in.n <= READ_MAX) {
            if (read_small(s, fd, &in) < 0) {
                unreadable(s, rec, strerror(errno));
                goto done;
            }
        } else if (s->kind == PYARG_MEMORYVIEW) {
            in.fd = fd;                             /* Python maps it: the mapping lives as long as the memoryview */
        } else {
            map = mmap(NULL, in.n, PROT_READ, MAP_PRIVATE, fd, 0);
            if (map == MAP_FAILED) {
                map = NULL;
                unreadable(s, rec, strerror(errno));
                goto done;
            }
            maplen = in.n;
            madvise(map, maplen, MADV_SEQUENTIAL);
            in.p = map;
        }
    } else if (!s->env->files && pf) {
        in.p = pf->buf;
        in.n = pf->len;
        in.not_kept = pf->not_kept;
    }
    if (in.not_kept) atomic_fetch_add(&run.truncated, 1);
    in.want_traceback = !pyembed_traceback_claimed(s->pe);
    struct pyembed_result r;
    pyembed_call(s->pe, &in, &r);
    atomic_fetch_add(&run.calls, 1);
    handle_result(s, rec, &r, in.not_kept);
    pyembed_result_free(&r);
done:
    if (map) munmap(map, maplen);
    if (fd >= 0) close(fd);
    pyflow_free(pf);
}

static const struct flow_consumer_ops python_ops = {
    .wants = FC_PLACED,
    .data = py_data,
    .prepend = py_prepend,
    .close = py_close,
    .release = py_release,
};

/* ---- life ---- */

static void python_destroy(void *self)
{
    struct py_scan *s = self;
    if (!s) return;
    pthread_mutex_lock(&run.lock);
    if (--run.instances == 0) {             /* the run is over: a next one starts afresh */
        run.finished = 0;
        atomic_store(&run.calls, 0);
        atomic_store(&run.exceptions, 0);
        atomic_store(&run.unreadable, 0);
        atomic_store(&run.truncated, 0);
        atomic_store(&run.not_kept, 0);
    }
    pthread_mutex_unlock(&run.lock);
    pyembed_close(s->pe);
    free(s->result_tag);
    free(s->error_tag);
    free(s->rbuf);
    free(s);
}

static void *python_create(const struct scan_env *env, char *err, size_t errlen)
{
    const char *path = env->setting(env, "py_path"), *arg = env->setting(env, "py_arg");
    const char *module = env->setting(env, "py_module"), *function = env->setting(env, "py_function");
    enum pyembed_arg kind;
    uint64_t maxb, memcap;
    struct stat st;
    if (!pyembed_arg_parse(arg, &kind)) {
        snprintf(err, errlen, "python: -S py_arg must be str, bytes or memoryview, not '%s'", arg);
        return NULL;
    }
    if (!setting_count(env->setting(env, "py_max_bytes"), &maxb) || !setting_count(env->setting(env, "py_memcap"), &memcap)) {
        snprintf(err, errlen, "python: -S py_max_bytes and py_memcap take a number of bytes (> 0)");
        return NULL;
    }
    if (!*module || !*function) {
        snprintf(err, errlen, "python: -e python needs -S py_module=NAME and -S py_function=NAME");
        return NULL;
    }
    if (!*path) path = ".";
    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "python: py_path '%s' does not exist: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "python: py_path '%s' is not a directory", path);
        return NULL;
    }
    struct pyembed_config pc = { path, module, function };
    struct pyembed *pe = pyembed_open(&pc, err, errlen);
    if (!pe) return NULL;
    struct py_scan *s = xcalloc(1, sizeof *s);
    s->env = env;
    s->pe = pe;
    s->kind = kind;
    s->module = module;
    s->function = function;
    s->bound = env->max_bytes != UINT64_MAX ? env->max_bytes : maxb;
    s->memcap = memcap;
    s->result_tag = start_tag("result", path, module, function);
    s->error_tag = start_tag("error", path, module, function);
    pthread_mutex_lock(&run.lock);
    run.instances++;
    pthread_mutex_unlock(&run.lock);
    return s;
}

/* Every instance finishes; the last one says what happened in the run. */
static int python_finish(void *self, struct scan_end *end, char *err, size_t errlen)
{
    (void)end;
    struct py_scan *s = self;
    pyembed_flush(s->pe);
    pthread_mutex_lock(&run.lock);
    bool last = ++run.finished == run.instances;
    pthread_mutex_unlock(&run.lock);
    if (!last) return 0;
    uint64_t calls = atomic_load(&run.calls), exc = atomic_load(&run.exceptions);
    uint64_t unread = atomic_load(&run.unreadable), part = atomic_load(&run.truncated);
    if (part)
        log_warn("python: %" PRIu64 " flow(s) given in part, %" PRIu64 " bytes left out (kept: %" PRIu64
                 " bytes per flow, py_memcap %" PRIu64 " for all; the bytes of a finished flow are held until it"
                 " is released: -S closed_linger=1 releases flows sooner)", part, (uint64_t)atomic_load(&run.not_kept),
                 s->bound, s->memcap);
    if (!exc && !unread) return 0;
    int n = 0;
    if (exc)
        n = snprintf(err, errlen, "python: %s.%s raised an exception on %" PRIu64 " of %" PRIu64 " flow(s)",
                     s->module, s->function, exc, calls);
    if (unread && n >= 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, "%s%" PRIu64 " flow file(s) could not be read for python",
                 n ? "; " : "python: ", unread);
    return -1;
}

const struct scanner scan_python = {
    .name = "python",
    .description = "Calls a Python function with each flow's data; the str it returns goes in the report",
    .flags = 0,
    .settings = python_settings,
    .create = python_create,
    .destroy = python_destroy,
    .flow = &python_ops,
    .finish = python_finish,
};
