/* sink_file.c - see sink_file.h */
#include "output/sink_file.h"

#include "flow/naming.h"
#include "util/list.h"
#include "util/log.h"
#include "util/outdir.h"
#include "util/spawn.h"
#include "util/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define BUF_START   4096u
#define BUF_MAX     (128u * 1024u)
#define MAX_COUNTER 1000000u

/* The output state of one flow's file (in the flow's slot). */
struct fsink {
    struct flow *f;
    char *path;              /* set once the file exists */
    int fd;                  /* -1 when not open */
    uint8_t *buf;            /* pending bytes for [boff, boff+blen) */
    uint32_t blen, bcap;
    uint64_t boff;
    uint64_t stored;         /* file length on disk (after -b) */
    uint32_t counter;        /* connection counter used in the name */
    bool failed;             /* the file could not be created/written */
    char *fx;                /* -I: pending .findx lines */
    uint32_t fxlen, fxcap;
    uint64_t fx_last;        /* offset of the last line written */
    bool fx_created, fx_unsorted;
    struct dlnode lru;       /* in the sink's LRU while fd/buf held */
    bool in_lru;
    struct dlnode all;       /* every state of the sink */
};

struct sink_file {
    struct sink_file_config cfg;
    struct flow_consumer fc;
    struct counters ctr;
    struct dlist lru;                   /* flows holding an fd or a buffer, least recent first */
    struct dlist all;                   /* every flow's state */
    int open_fds, max_open;
    size_t buffered;                    /* sum of bcap */
    uint64_t failures;
    char *error;                        /* fatal */
    char lastdir[PATH_MAX];             /* last directory made for a name */
    int depth;                          /* open_retry() nesting */
};

static struct fsink *fs_get(const struct sink_file *s, const struct flow *f)
{
    return f->slot[s->fc.slot];
}

/* The flow's state, made at its first use. */
static struct fsink *fs_make(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = f->slot[s->fc.slot];
    if (fs) return fs;
    fs = xcalloc(1, sizeof *fs);
    fs->f = f;
    fs->fd = -1;
    f->slot[s->fc.slot] = fs;
    dlist_append(&s->all, &fs->all);
    return fs;
}

const char *sink_file_error(const struct sink_file *s) { return s->error; }
uint64_t sink_file_failures(const struct sink_file *s) { return s->failures; }
int sink_file_open_fds(const struct sink_file *s) { return s->open_fds; }
int sink_file_max_open(const struct sink_file *s) { return s->max_open; }
const struct counters *sink_file_counters(const struct sink_file *s) { return &s->ctr; }

const char *sink_file_path(const struct sink_file *s, const struct flow *f)
{
    const struct fsink *fs = fs_get(s, f);
    return fs ? fs->path : NULL;
}
uint32_t sink_file_counter(const struct sink_file *s, const struct flow *f)
{
    const struct fsink *fs = fs_get(s, f);
    return fs ? fs->counter : 0;
}
uint64_t sink_file_stored(const struct sink_file *s, const struct flow *f)
{
    const struct fsink *fs = fs_get(s, f);
    return fs ? fs->stored : 0;
}
bool sink_file_failed(const struct sink_file *s, const struct flow *f)
{
    const struct fsink *fs = fs_get(s, f);
    return fs && fs->failed;
}
int sink_file_fd(const struct sink_file *s, const struct flow *f)
{
    const struct fsink *fs = fs_get(s, f);
    return fs ? fs->fd : -1;
}

static void fatal(struct sink_file *s, const char *path, int e)
{
    if (s->error) return;
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "%s: %s", path ? path : "(flow file)", strerror(e));
    s->error = xstrdup(msg);
}

/* ---- LRU of flows holding resources ---- */

static void lru_unlink(struct sink_file *s, struct fsink *fs)
{
    if (!fs->in_lru) return;
    dlist_unlink(&s->lru, &fs->lru);
    fs->in_lru = false;
}

static void lru_touch(struct sink_file *s, struct fsink *fs)
{
    if (fs->in_lru) {
        dlist_move_tail(&s->lru, &fs->lru);
        return;
    }
    dlist_append(&s->lru, &fs->lru);
    fs->in_lru = true;
}

static struct fsink *lru_fs(struct dlnode *n) { return dlist_entry(n, struct fsink, lru); }

/* mkdir -p for the directory part of path. */
static int make_parents(struct sink_file *s, const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) return 0;
    size_t n = (size_t)(slash - path);
    if (n == 0 || n >= sizeof dir) return 0;
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (strcmp(dir, s->lastdir) == 0) return 0;
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0777) < 0 && errno != EEXIST) return -1;
            *p = c;
            if (c == '\0') break;
        }
    }
    snprintf(s->lastdir, sizeof s->lastdir, "%s", dir);
    return 0;
}


int sink_file_default_max_fds(void)
{
    struct rlimit rl;
    long n = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        n = (long)rl.rlim_cur;
    else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        n = 1L << 20;
    /* keep a margin for the report, inputs, libraries, stdio */
    n = n > 64 ? n - 32 : n / 2;
    if (n > 65536) n = 65536;
    return n < 1 ? 1 : (int)n;
}


static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) { errno = EIO; return -1; }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}


static void free_buf(struct sink_file *s, struct fsink *fs)
{
    if (fs->buf) {
        s->buffered -= fs->bcap;
        free(fs->buf);
        fs->buf = NULL;
    }
    fs->bcap = fs->blen = 0;
}

static void free_fx(struct sink_file *s, struct fsink *fs)
{
    if (fs->fx) {
        s->buffered -= fs->fxcap;
        free(fs->fx);
        fs->fx = NULL;
    }
    fs->fxlen = fs->fxcap = 0;
}

static void close_fd(struct sink_file *s, struct fsink *fs)
{
    if (fs->fd >= 0) {
        close(fs->fd);
        fs->fd = -1;
        s->open_fds--;
    }
}

static int flush(struct sink_file *s, struct fsink *fs);
static int write_at(struct sink_file *s, struct fsink *fs, uint64_t off, const uint8_t *p, size_t n);
static void findx_flush(struct sink_file *s, struct fsink *fs);

/* Give back a descriptor: the least recently used flow other than keep
 * that holds one writes its buffer through that descriptor, then closes it.
 * Only flows that already hold an fd are taken, so this never has to open a
 * file (which could need an eviction in turn, without end).  false if no
 * other flow holds a descriptor. */
static bool evict_fd(struct sink_file *s, struct fsink *keep)
{
    for (struct fsink *v = lru_fs(s->lru.head); v; v = lru_fs(v->lru.next)) {
        if (v == keep || v->fd < 0) continue;
        if (v->blen) {
            int r = write_at(s, v, v->boff, v->buf, v->blen);
            v->blen = 0;
            if (r < 0 && s->error) return false;
        }
        s->ctr.n[C_OUT_FD_EVICT]++;
        close_fd(s, v);
        if (v->fxlen) findx_flush(s, v);     /* after the close: an fd is free */
        free_buf(s, v);
        free_fx(s, v);
        lru_unlink(s, v);
        return true;
    }
    return false;
}

/* Give back memory: the least recently used flow other than keep writes its
 * buffer out (opening its file may evict a descriptor, never a buffer) and
 * frees it, and closes its fd. */
static bool evict_buf(struct sink_file *s, struct fsink *keep)
{
    for (struct fsink *v = lru_fs(s->lru.head); v; v = lru_fs(v->lru.next)) {
        if (v == keep) continue;
        if (flush(s, v) < 0 && s->error) return false;
        free_buf(s, v);
        free_fx(s, v);
        if (v->fd >= 0) s->ctr.n[C_OUT_FD_EVICT]++;
        close_fd(s, v);
        lru_unlink(s, v);
        return true;
    }
    return false;
}

/* open(), first giving back a descriptor when at the budget, and again
 * (closing other flows' files) while the system says EMFILE/ENFILE.
 * s->depth bounds the nesting (findx_flush of an evicted flow opens too). */
static int open_retry(struct sink_file *s, struct fsink *fs, const char *path, int flags)
{
    int fd;
    s->depth++;
    for (;;) {
        if (s->open_fds >= s->cfg.max_fds && s->depth < 4 && !evict_fd(s, fs) && s->error) {
            fd = -1;
            break;
        }
        fd = outdir_open(s->cfg.outdir, path, flags);
        if (fd >= 0) break;
        int e = errno;
        if ((e == EMFILE || e == ENFILE) && s->depth < 4 && evict_fd(s, fs)) continue;
        errno = e;
        break;
    }
    s->depth--;
    return fd;
}

/* Create the flow's file under the first free name.  -1: it cannot be
 * (said, counted; a full disk stops the run). */
static int create_file(struct sink_file *s, struct fsink *fs)
{
    char path[PATH_MAX];
    uint32_t c = 0;
    bool made = false;
    int fd;
    for (;;) {
        if (naming_render(s->cfg.tmpl, s->cfg.outdir, fs->f, c, s->cfg.tdelta_us, path, sizeof path) < 0) {
            errno = ENAMETOOLONG;
            fd = -1;
            break;
        }
        fd = open_retry(s, fs, path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) break;
        if (errno == EEXIST && ++c < MAX_COUNTER) continue;
        if (errno == ENOENT && !made) {
            made = true;
            if (make_parents(s, path) == 0) continue;
        }
        break;
    }
    if (fd < 0) {
        int e = errno;
        log_error("cannot create %s: %s", path, strerror(e));
        fs->failed = true;
        s->failures++;
        /* every later file would fail the same way: stop the run */
        if (e == ENOSPC || e == EDQUOT || e == EROFS) fatal(s, path, e);
        return -1;
    }
    fs->path = xstrdup(path);
    fs->counter = c;
    fs->f->name = fs->path;
    alert_line(s->cfg.alert_fd, "open", path);
    return fd;
}

/* Make sure the flow's file exists and is open. */
static int ensure_open(struct sink_file *s, struct fsink *fs)
{
    if (fs->fd >= 0) return 0;
    if (fs->failed) return -1;
    int fd;
    if (fs->path) {
        fd = open_retry(s, fs, fs->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            log_error("cannot reopen %s: %s", fs->path, strerror(errno));
            fs->failed = true;
            s->failures++;
            return -1;
        }
    } else if ((fd = create_file(s, fs)) < 0) {
        return -1;
    }
    fs->fd = fd;
    if (++s->open_fds > s->max_open) s->max_open = s->open_fds;
    lru_touch(s, fs);
    return 0;
}

static int write_at(struct sink_file *s, struct fsink *fs, uint64_t off, const uint8_t *p, size_t n)
{
    if (ensure_open(s, fs) < 0) {
        s->ctr.n[C_OUT_WRITE_ERRORS]++;
        return -1;
    }
    if (pwrite_all(fs->fd, p, n, off) < 0) {
        int e = errno;
        s->ctr.n[C_OUT_WRITE_ERRORS]++;
        if (!fs->failed) {
            log_error("write to %s failed: %s", fs->path, strerror(e));
            fs->failed = true;
            s->failures++;
        }
        if (e == ENOSPC || e == EDQUOT || e == EIO || e == EFBIG || e == EROFS) fatal(s, fs->path, e);
        return -1;
    }
    if (off + n > fs->stored) fs->stored = off + n;
    return 0;
}

static int flush(struct sink_file *s, struct fsink *fs)
{
    int r = 0;
    if (fs->blen) {
        r = write_at(s, fs, fs->boff, fs->buf, fs->blen);
        fs->blen = 0;
    }
    if (fs->fxlen) findx_flush(s, fs);
    return r;
}

/* ---- -I: <file>.findx, one "offset|sec.usec|length" line per write ---- */

static void findx_add(struct sink_file *s, struct fsink *fs, uint64_t off, size_t n, int64_t ts)
{
    char line[96];
    ts += s->cfg.tdelta_us;
    long long sec = (long long)(ts >= 0 ? ts / 1000000 : (ts - 999999) / 1000000);
    long long usec = (long long)(ts - (int64_t)sec * 1000000);     /* 0..999999 */
    int k = snprintf(line, sizeof line, "%llu|%lld.%06lld|%zu\n", (unsigned long long)off,
                     sec, usec, n);
    if (fs->fxlen + (uint32_t)k > fs->fxcap) {
        uint32_t nc = fs->fxcap ? fs->fxcap * 2 : 1024;
        while (nc < fs->fxlen + (uint32_t)k) nc *= 2;
        fs->fx = xreallocarray(fs->fx, nc, 1);
        s->buffered += nc - fs->fxcap;
        fs->fxcap = nc;
    }
    memcpy(fs->fx + fs->fxlen, line, (size_t)k);
    fs->fxlen += (uint32_t)k;
    if (fs->fx_created || fs->fxlen > (uint32_t)k) {
        if (off < fs->fx_last) fs->fx_unsorted = true;
    }
    fs->fx_last = off;
}

/* Append the pending lines to the index (no descriptor kept). */
static void findx_flush(struct sink_file *s, struct fsink *fs)
{
    if (!fs->fxlen) return;
    if (!fs->path || fs->failed) { fs->fxlen = 0; return; }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.findx", fs->path);
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (fs->fx_created ? O_APPEND : O_TRUNC);
    int fd = open_retry(s, fs, path, flags);
    if (fd < 0 || pwrite_all(fd, (const uint8_t *)fs->fx, fs->fxlen, 0) < 0) {
        int e = errno;
        log_error("cannot write %s: %s", path, strerror(e));
        s->failures++;
        if (e == ENOSPC || e == EDQUOT) fatal(s, path, e);
    }
    if (fd >= 0) {
        close(fd);
        fs->fx_created = true;
    }
    fs->fxlen = 0;
}

static int cmp_line(const void *a, const void *b)
{
    unsigned long long x = strtoull(*(char *const *)a, NULL, 10), y = strtoull(*(char *const *)b, NULL, 10);
    if (x != y) return x < y ? -1 : 1;
    return *(char *const *)a < *(char *const *)b ? -1 : 1;   /* keep arrival order */
}

/* Rewrite the index sorted by offset (only when lines came out of order). */
static void findx_sort(const struct sink_file *s, struct fsink *fs)
{
    if (!fs->fx_unsorted || !fs->path || !fs->fx_created) return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.findx", fs->path);
    /* never through a symbolic link planted under the index's name */
    int ifd = outdir_open(s->cfg.outdir, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *in = ifd >= 0 ? fdopen(ifd, "r") : NULL;
    if (!in) {
        if (ifd >= 0) close(ifd);
        return;
    }
    char *text = NULL;
    size_t cap = 0, len = 0;
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0) {
        if (len + k + 1 > cap) { cap = (len + k + 1) * 2; text = xreallocarray(text, cap, 1); }
        memcpy(text + len, buf, k);
        len += k;
    }
    fclose(in);
    if (!text) return;
    text[len] = '\0';
    size_t n = 0, ncap = 1024;
    char **lines = xreallocarray(NULL, ncap, sizeof *lines);
    for (char *p = text; *p; ) {
        char *e = strchr(p, '\n');
        if (n == ncap) { ncap *= 2; lines = xreallocarray(lines, ncap, sizeof *lines); }
        lines[n++] = p;
        if (!e) break;
        *e = '\0';
        p = e + 1;
    }
    qsort(lines, n, sizeof *lines, cmp_line);
    int ofd = outdir_open(s->cfg.outdir, path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    FILE *out = ofd >= 0 ? fdopen(ofd, "w") : NULL;
    if (!out && ofd >= 0) close(ofd);
    if (out) {
        for (size_t i = 0; i < n; i++) fprintf(out, "%s\n", lines[i]);
        fclose(out);
    }
    free(lines);
    free(text);
    fs->fx_unsorted = false;
}


/* Append n bytes to the flow's buffer (contiguous with it, or a new one). */
static void buffer(struct sink_file *s, struct fsink *fs, uint64_t off, const uint8_t *p, size_t n)
{
    if (fs->blen == 0) fs->boff = off;
    if (fs->blen + n > fs->bcap) {
        uint32_t nc = fs->bcap ? fs->bcap : BUF_START;
        while (nc < fs->blen + n) nc *= 2;
        if (nc > BUF_MAX) nc = BUF_MAX;
        fs->buf = xreallocarray(fs->buf, nc, 1);
        s->buffered += nc - fs->bcap;
        fs->bcap = nc;
    }
    memcpy(fs->buf + fs->blen, p, n);
    fs->blen += (uint32_t)n;
}

int sink_file_write(struct sink_file *s, struct flow *f, uint64_t off,
                    const uint8_t *p, size_t n, int64_t ts_us)
{
    if (s->error) return -1;
    struct fsink *fs = fs_make(s, f);
    size_t k = flow_clip(s->cfg.max_bytes, off, n);
    s->ctr.n[C_TCP_BYTES_OVER_B] += n - k;
    if (k == 0) {
        if (fs->path == NULL && fs->blen == 0 && s->cfg.max_bytes == 0)
            ensure_open(s, fs);         /* -b 0 still creates the (empty) file */
        return s->error ? -1 : 0;
    }
    n = k;
    if (fs->failed) { s->ctr.n[C_OUT_WRITE_ERRORS]++; return 0; }
    /* The name (and its connection counter) is taken at the flow's first
     * byte, as 1.6.1 does: flows whose names collide get counters in the
     * order their data starts, not in the order their buffers are written. */
    if (!fs->path && ensure_open(s, fs) < 0) {
        s->ctr.n[C_OUT_WRITE_ERRORS]++;
        return s->error ? -1 : 0;
    }
    if (!(fs->blen && off == fs->boff + fs->blen && fs->blen + n <= BUF_MAX)) {
        if (flush(s, fs) < 0) return s->error ? -1 : 0;
        if (n >= BUF_MAX) {
            if (s->cfg.findx) findx_add(s, fs, off, n, ts_us);
            int r = write_at(s, fs, off, p, n);
            lru_touch(s, fs);
            return r < 0 && s->error ? -1 : 0;
        }
    }
    buffer(s, fs, off, p, n);
    if (s->cfg.findx) findx_add(s, fs, off, n, ts_us);
    lru_touch(s, fs);
    while (s->buffered > s->cfg.max_buffered && evict_buf(s, fs))
        ;
    return s->error ? -1 : 0;
}

/* Move the stored bytes up by n (from the end down), zero the first n. */
static int shift_up(struct sink_file *s, struct fsink *fs, uint64_t n)
{
    enum { CH = 1 << 20 };
    uint8_t *tmp = xmalloc(CH);
    uint64_t end = fs->stored;
    uint64_t limit = s->cfg.max_bytes;
    int r = 0;
    while (end > 0) {
        size_t k = end > CH ? CH : (size_t)end;
        uint64_t from = end - k;
        ssize_t got = pread(fs->fd, tmp, k, (off_t)from);
        if (got != (ssize_t)k) { r = -1; break; }
        /* keep within -b */
        if (from + n < limit) {
            size_t kk = (from + n + k > limit) ? (size_t)(limit - from - n) : k;
            if (write_at(s, fs, from + n, tmp, kk) < 0) { r = -1; break; }
        }
        end = from;
    }
    if (r == 0) {
        memset(tmp, 0, CH);
        uint64_t z = n < fs->stored ? n : fs->stored;
        for (uint64_t o = 0; o < z && r == 0; o += CH) {
            size_t k = z - o > CH ? CH : (size_t)(z - o);
            r = write_at(s, fs, o, tmp, k);
        }
    }
    free(tmp);
    if (fs->stored > limit && ftruncate(fs->fd, (off_t)limit) == 0)
        fs->stored = limit;
    return r;
}

int sink_file_prepend(struct sink_file *s, struct flow *f, uint64_t n)
{
    struct fsink *fs = fs_get(s, f);
    if (s->error) return -1;
    if (!fs) return 0;
    if (flush(s, fs) < 0 && s->error) return -1;
    if (fs->stored == 0 || fs->failed) return 0;
    if (ensure_open(s, fs) < 0) return s->error ? -1 : 0;
    if (shift_up(s, fs, n) < 0 && !s->error) {
        log_error("cannot move data in %s: %s", fs->path, strerror(errno));
        fs->failed = true;
        s->failures++;
    }
    return s->error ? -1 : 0;
}

int sink_file_close(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = fs_get(s, f);
    if (!fs) return 0;
    int r = flush(s, fs);
    free_buf(s, fs);
    free_fx(s, fs);
    findx_sort(s, fs);
    if (fs->path) {
        int64_t t = f->first_us + s->cfg.tdelta_us;
        struct timespec ts[2];
        ts[0].tv_sec = (time_t)(t >= 0 ? t / 1000000 : 0);
        ts[0].tv_nsec = t >= 0 ? (long)(t % 1000000) * 1000 : 0;
        ts[1] = ts[0];
        if (fs->fd >= 0) futimens(fs->fd, ts);
        else utimensat(AT_FDCWD, fs->path, ts, AT_SYMLINK_NOFOLLOW);
    }
    close_fd(s, fs);
    lru_unlink(s, fs);
    return r < 0 && s->error ? -1 : 0;
}

static void fs_free(struct sink_file *s, struct fsink *fs)
{
    free_buf(s, fs);
    free_fx(s, fs);
    close_fd(s, fs);
    lru_unlink(s, fs);
    dlist_unlink(&s->all, &fs->all);
    fs->f->slot[s->fc.slot] = NULL;
    if (fs->f->name == fs->path) fs->f->name = NULL;
    free(fs->path);
    free(fs);
}

void sink_file_release(struct sink_file *s, struct flow *f, struct flow_summary *rec)
{
    struct fsink *fs = fs_get(s, f);
    if (!fs) return;
    if (rec) {
        rec->filename = fs->path;           /* handed over */
        fs->path = NULL;
        f->name = NULL;
        rec->stored = fs->stored;
        rec->file_failed = fs->failed;
    }
    fs_free(s, fs);
}

/* ---- as a consumer ---- */

static struct sink_file *sf_of(struct flow_consumer *c) { return c->self; }

static int c_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    return sink_file_write(sf_of(c), f, off, p, n, ts);
}

static int c_prepend(struct flow_consumer *c, struct flow *f, uint64_t n)
{
    return sink_file_prepend(sf_of(c), f, n);
}

/* The file is finished: close it, then -S tcp_alert_fd and tcp_cmd. */
static void c_close(struct flow_consumer *c, struct flow *f, bool again)
{
    struct sink_file *s = sf_of(c);
    sink_file_close(s, f);
    if (again) return;
    const char *path = sink_file_path(s, f);
    alert_line(s->cfg.alert_fd, "close", path ? path : "");
    if (path && s->cfg.cmd && *s->cfg.cmd) spawn_cmd(s->cfg.cmd, path);
}

static void c_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    sink_file_release(sf_of(c), f, rec);
}

static const char *c_error(struct flow_consumer *c) { return sink_file_error(sf_of(c)); }

static const struct flow_consumer_ops sink_file_ops = {
    .wants = FC_PLACED,
    .data = c_data,
    .prepend = c_prepend,
    .close = c_close,
    .release = c_release,
    .error = c_error,
};

struct flow_consumer *sink_file_consumer(struct sink_file *s) { return &s->fc; }

struct sink_file *sink_file_new(const struct sink_file_config *cfg)
{
    struct sink_file *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    if (s->cfg.max_fds < 1) s->cfg.max_fds = 1;
    s->fc.ops = &sink_file_ops;
    s->fc.self = s;
    return s;
}

void sink_file_free(struct sink_file *s)
{
    if (!s) return;
    while (s->lru.head) {
        struct fsink *fs = lru_fs(s->lru.head);
        flush(s, fs);
        free_buf(s, fs);
        free_fx(s, fs);
        close_fd(s, fs);
        lru_unlink(s, fs);
    }
    /* states of flows never released (the tracker releases every flow
     * before the sink goes: only when used alone) */
    while (s->all.head)
        fs_free(s, dlist_entry(s->all.head, struct fsink, all));
    free(s->error);
    free(s);
}
