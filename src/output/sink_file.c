/* sink_file.c - see sink_file.h */
#include "output/sink_file.h"

#include "output/naming.h"
#include "util/log.h"
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

#include <openssl/evp.h>

#define BUF_START   4096u
#define BUF_MAX     (128u * 1024u)
#define MAX_COUNTER 1000000u

struct sink_file {
    struct sink_file_config cfg;
    struct counters *ctr;
    struct flow *lru_head, *lru_tail;   /* flows holding an fd or a buffer */
    int open_fds, max_open;
    size_t buffered;                    /* sum of bcap */
    uint64_t failures;
    char *error;                        /* fatal */
    char lastdir[PATH_MAX];             /* last directory made for a name */
    int depth;                          /* open_retry() nesting */
};

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

struct sink_file *sink_file_new(const struct sink_file_config *cfg, struct counters *c)
{
    struct sink_file *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    if (s->cfg.max_fds < 1) s->cfg.max_fds = 1;
    s->ctr = c;
    return s;
}

const char *sink_file_error(const struct sink_file *s) { return s->error; }
uint64_t sink_file_failures(const struct sink_file *s) { return s->failures; }
int sink_file_open_fds(const struct sink_file *s) { return s->open_fds; }
int sink_file_max_open(const struct sink_file *s) { return s->max_open; }

static void fatal(struct sink_file *s, const char *path, int e)
{
    if (s->error) return;
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "%s: %s", path ? path : "(flow file)", strerror(e));
    s->error = xstrdup(msg);
}

/* ---- LRU of flows holding resources ---- */

static void lru_unlink(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    if (!fs->in_lru) return;
    if (fs->lru_prev) fs->lru_prev->fs.lru_next = fs->lru_next; else s->lru_head = fs->lru_next;
    if (fs->lru_next) fs->lru_next->fs.lru_prev = fs->lru_prev; else s->lru_tail = fs->lru_prev;
    fs->lru_prev = fs->lru_next = NULL;
    fs->in_lru = false;
}

static void lru_touch(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    if (fs->in_lru && s->lru_tail == f) return;
    lru_unlink(s, f);
    fs->lru_prev = s->lru_tail;
    fs->lru_next = NULL;
    if (s->lru_tail) s->lru_tail->fs.lru_next = f; else s->lru_head = f;
    s->lru_tail = f;
    fs->in_lru = true;
}

/* ---- raw I/O ---- */

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

static void close_fd(struct sink_file *s, struct fsink *fs)
{
    if (fs->fd >= 0) {
        close(fs->fd);
        fs->fd = -1;
        s->open_fds--;
    }
}

static int flush(struct sink_file *s, struct flow *f);

/* ---- -FM: digests computed while the bytes are written ---- */

struct fdigest {
    EVP_MD_CTX *md5, *sha256;
    uint64_t upto;                      /* bytes [0, upto) hashed, in order */
    bool broken;                        /* out of order: read the file back */
};

static void dg_destroy(struct fdigest *d)
{
    if (!d) return;
    EVP_MD_CTX_free(d->md5);
    EVP_MD_CTX_free(d->sha256);
    free(d);
}

static void dg_free(struct fsink *fs)
{
    dg_destroy(fs->dg);
    fs->dg = NULL;
}

/* A fresh digest state (broken if OpenSSL fails: then nothing is claimed). */
static struct fdigest *dg_new(void)
{
    struct fdigest *d = xcalloc(1, sizeof *d);
    d->md5 = EVP_MD_CTX_new();
    d->sha256 = EVP_MD_CTX_new();
    if (!d->md5 || !d->sha256 || !EVP_DigestInit_ex(d->md5, EVP_md5(), NULL) ||
        !EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL))
        d->broken = true;
    return d;
}

/* Feed n bytes written at off.  Anything but the next bytes in order
 * (a hole, a rewrite) gives up the in-order digest for this file. */
static void dg_update(struct sink_file *s, struct fsink *fs, uint64_t off, const uint8_t *p, size_t n)
{
    if (!s->cfg.digest || n == 0) return;
    if (!fs->dg) fs->dg = dg_new();
    struct fdigest *d = fs->dg;
    if (d->broken) return;
    if (off != d->upto || !EVP_DigestUpdate(d->md5, p, n) || !EVP_DigestUpdate(d->sha256, p, n)) {
        d->broken = true;
        return;
    }
    d->upto += n;
}

static int open_in_outdir(const struct sink_file *s, const char *path, int flags)
{
    return outdir_open(s->cfg.outdir, path, flags);
}

/* Hash the file as it is on disk into a fresh state (NULL: cannot open it). */
static struct fdigest *dg_reread(const struct sink_file *s, const char *path)
{
    int fd = open_in_outdir(s, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct fdigest *d = dg_new();
    static uint8_t buf[1 << 16];
    ssize_t n;
    while (!d->broken && (n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || !EVP_DigestUpdate(d->md5, buf, (size_t)n) || !EVP_DigestUpdate(d->sha256, buf, (size_t)n))
            d->broken = true;
    }
    close(fd);
    return d;
}

static bool dg_final(struct fdigest *d, uint8_t md5[16], uint8_t sha256[32])
{
    return d && !d->broken && EVP_DigestFinal_ex(d->md5, md5, NULL) &&
           EVP_DigestFinal_ex(d->sha256, sha256, NULL);
}

bool sink_file_digest(struct sink_file *s, struct flow *f, uint8_t md5[16], uint8_t sha256[32])
{
    struct fsink *fs = &f->fs;
    bool ok = false;
    if (s->cfg.digest && fs->path && !fs->failed) {
        if (fs->blen) flush(s, f);
        struct fdigest *d = fs->dg;
        if (d && !fs->failed && d->upto == fs->stored && dg_final(d, md5, sha256))
            ok = true;
        else
            s->ctr->n[C_OUT_HASH_REREAD]++;
    }
    dg_free(fs);
    return ok;
}

bool sink_file_hash_file(struct sink_file *s, const char *path, uint8_t md5[16], uint8_t sha256[32])
{
    struct fdigest *d = dg_reread(s, path);
    bool ok = dg_final(d, md5, sha256);
    dg_destroy(d);
    return ok;
}
static int write_at(struct sink_file *s, struct flow *f, uint64_t off, const uint8_t *p, size_t n);
static void findx_flush(struct sink_file *s, struct flow *f);
static void free_fx(struct sink_file *s, struct fsink *fs);

/* Give back a descriptor: the least recently used flow other than keep
 * that holds one writes its buffer through that descriptor, then closes it.
 * Only flows that already hold an fd are taken, so this never has to open a
 * file (which could need an eviction in turn, without end).  false if no
 * other flow holds a descriptor. */
static bool evict_fd(struct sink_file *s, struct flow *keep)
{
    for (struct flow *v = s->lru_head; v; v = v->fs.lru_next) {
        struct fsink *fs = &v->fs;
        if (v == keep || fs->fd < 0) continue;
        if (fs->blen) {
            int r = write_at(s, v, fs->boff, fs->buf, fs->blen);
            fs->blen = 0;
            if (r < 0 && s->error) return false;
        }
        s->ctr->n[C_OUT_FD_EVICT]++;
        close_fd(s, fs);
        if (fs->fxlen) findx_flush(s, v);    /* after the close: an fd is free */
        free_buf(s, fs);
        free_fx(s, fs);
        lru_unlink(s, v);
        return true;
    }
    return false;
}

/* Give back memory: the least recently used flow other than keep writes its
 * buffer out (opening its file may evict a descriptor, never a buffer) and
 * frees it, and closes its fd. */
static bool evict_buf(struct sink_file *s, struct flow *keep)
{
    for (struct flow *v = s->lru_head; v; v = v->fs.lru_next) {
        if (v == keep) continue;
        if (flush(s, v) < 0 && s->error) return false;
        free_buf(s, &v->fs);
        free_fx(s, &v->fs);
        if (v->fs.fd >= 0) s->ctr->n[C_OUT_FD_EVICT]++;
        close_fd(s, &v->fs);
        lru_unlink(s, v);
        return true;
    }
    return false;
}

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

/* open() a flow file (or its index) without following a symbolic link in
 * any directory the template puts under the output directory: for a name
 * "outdir/a/b/name" each of a, b is opened with O_NOFOLLOW|O_DIRECTORY
 * (and created when O_CREAT is asked), so a symlink planted there cannot
 * send the file elsewhere.  The last component gets the caller's flags
 * (which include O_NOFOLLOW).  Names without a directory part, and
 * templates that are absolute or climb with "..", are the user's choice and
 * opened as they are. */
int outdir_open(const char *od, const char *path, int flags)
{
    bool here = !od || !od[0] || strcmp(od, ".") == 0;
    size_t odl = here ? 0 : strlen(od);
    const char *rel = path;
    if (!here) {
        if (strncmp(path, od, odl) != 0 || path[odl] != '/') return open(path, flags, 0666);
        rel = path + odl + 1;
    }
    if (!strchr(rel, '/') || rel[0] == '/' || strstr(rel, "..")) return open(path, flags, 0666);
    int dfd = open(here ? "." : od, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    char comp[NAME_MAX + 1];
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash) break;
        size_t n = (size_t)(slash - p);
        if (n > NAME_MAX) {
            close(dfd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        p = slash + 1;
        if (n == 0 || strcmp(comp, ".") == 0) continue;
        int nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && (flags & O_CREAT)) {
            if (mkdirat(dfd, comp, 0777) < 0 && errno != EEXIST) {
                int e = errno;
                close(dfd);
                errno = e;
                return -1;
            }
            nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        int e = errno;
        close(dfd);
        if (nfd < 0) {
            errno = e;
            return -1;
        }
        dfd = nfd;
    }
    int fd = openat(dfd, p, flags, 0666);
    int e = errno;
    close(dfd);
    errno = e;
    return fd;
}

/* open(), first giving back a descriptor when at the budget, and again
 * (closing other flows' files) while the system says EMFILE/ENFILE.
 * s->depth bounds the nesting (findx_flush of an evicted flow opens too). */
static int open_retry(struct sink_file *s, struct flow *f, const char *path, int flags)
{
    int fd;
    s->depth++;
    for (;;) {
        if (s->open_fds >= s->cfg.max_fds && s->depth < 4 && !evict_fd(s, f) && s->error) {
            fd = -1;
            break;
        }
        fd = open_in_outdir(s, path, flags);
        if (fd >= 0) break;
        int e = errno;
        if ((e == EMFILE || e == ENFILE) && s->depth < 4 && evict_fd(s, f)) continue;
        errno = e;
        break;
    }
    s->depth--;
    return fd;
}

/* Make sure f's file exists and is open. */
static int ensure_open(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    if (fs->fd >= 0) return 0;
    if (fs->failed) return -1;
    int fd;
    if (fs->path) {
        fd = open_retry(s, f, fs->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) goto fail_path;
    } else {
        char path[PATH_MAX];
        uint32_t c = 0;
        bool made = false;
        for (;;) {
            if (naming_render(s->cfg.tmpl, s->cfg.outdir, f, c, s->cfg.tdelta_us, path, sizeof path) < 0) {
                errno = ENAMETOOLONG;
                goto fail_name;
            }
            fd = open_retry(s, f, path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) break;
            if (errno == EEXIST && ++c < MAX_COUNTER) continue;
            if (errno == ENOENT && !made) {
                made = true;
                if (make_parents(s, path) == 0) continue;
            }
            goto fail_name;
        }
        fs->path = xstrdup(path);
        fs->counter = c;
        alert_line(s->cfg.alert_fd, "open", path);
        fail_name:
        if (fd < 0) {
            int e = errno;
            log_error("cannot create %s: %s", path, strerror(e));
            fs->failed = true;
            s->failures++;
            /* every later file would fail the same way: stop the run */
            if (e == ENOSPC || e == EDQUOT || e == EROFS) fatal(s, path, e);
            return -1;
        }
    }
    fs->fd = fd;
    if (++s->open_fds > s->max_open) s->max_open = s->open_fds;
    lru_touch(s, f);
    return 0;
fail_path:
    log_error("cannot reopen %s: %s", fs->path, strerror(errno));
    fs->failed = true;
    s->failures++;
    return -1;
}

static int write_at(struct sink_file *s, struct flow *f, uint64_t off, const uint8_t *p, size_t n)
{
    struct fsink *fs = &f->fs;
    if (ensure_open(s, f) < 0) {
        s->ctr->n[C_OUT_WRITE_ERRORS]++;
        return -1;
    }
    if (pwrite_all(fs->fd, p, n, off) < 0) {
        int e = errno;
        s->ctr->n[C_OUT_WRITE_ERRORS]++;
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

static int flush(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    int r = 0;
    if (fs->blen) {
        r = write_at(s, f, fs->boff, fs->buf, fs->blen);
        fs->blen = 0;
    }
    if (fs->fxlen) findx_flush(s, f);
    return r;
}

/* ---- -I: <file>.findx, one "offset|sec.usec|length" line per write ---- */

static void findx_add(struct sink_file *s, struct flow *f, uint64_t off, size_t n, int64_t ts)
{
    struct fsink *fs = &f->fs;
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
static void findx_flush(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    if (!fs->fxlen) return;
    if (!fs->path || fs->failed) { fs->fxlen = 0; return; }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.findx", fs->path);
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (fs->fx_created ? O_APPEND : O_TRUNC);
    int fd = open_retry(s, f, path, flags);
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
static void findx_sort(const struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    if (!fs->fx_unsorted || !fs->path || !fs->fx_created) return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.findx", fs->path);
    /* never through a symbolic link planted under the index's name */
    int ifd = open_in_outdir(s, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
    int ofd = open_in_outdir(s, path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
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

int sink_file_write(struct sink_file *s, struct flow *f, uint64_t off,
                    const uint8_t *p, size_t n, int64_t ts_us)
{
    struct fsink *fs = &f->fs;
    if (s->error) return -1;
    if (off >= s->cfg.max_bytes) {
        s->ctr->n[C_TCP_BYTES_OVER_B] += n;
        if (fs->path == NULL && fs->blen == 0 && s->cfg.max_bytes == 0)
            ensure_open(s, f);          /* -b 0 still creates the (empty) file */
        return 0;
    }
    if (n > s->cfg.max_bytes - off) {
        s->ctr->n[C_TCP_BYTES_OVER_B] += n - (size_t)(s->cfg.max_bytes - off);
        n = (size_t)(s->cfg.max_bytes - off);
    }
    if (fs->failed) { s->ctr->n[C_OUT_WRITE_ERRORS]++; return 0; }
    /* The name (and its connection counter) is taken at the flow's first
     * byte, as 1.6.1 does: flows whose names collide get counters in the
     * order their data starts, not in the order their buffers are written. */
    if (!fs->path && ensure_open(s, f) < 0) {
        s->ctr->n[C_OUT_WRITE_ERRORS]++;
        return s->error ? -1 : 0;
    }
    dg_update(s, fs, off, p, n);

    if (fs->blen && off == fs->boff + fs->blen && fs->blen + n <= BUF_MAX) {
        /* contiguous append */
    } else {
        if (flush(s, f) < 0) return s->error ? -1 : 0;
        if (n >= BUF_MAX) {
            if (s->cfg.findx) findx_add(s, f, off, n, ts_us);
            int r = write_at(s, f, off, p, n);
            lru_touch(s, f);
            return r < 0 && s->error ? -1 : 0;
        }
        fs->boff = off;
    }
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
    if (s->cfg.findx) findx_add(s, f, off, n, ts_us);
    lru_touch(s, f);
    while (s->buffered > s->cfg.max_buffered && evict_buf(s, f))
        ;
    return s->error ? -1 : 0;
}

int sink_file_prepend(struct sink_file *s, struct flow *f, uint64_t n)
{
    struct fsink *fs = &f->fs;
    if (s->error) return -1;
    if (flush(s, f) < 0 && s->error) return -1;
    if (fs->dg) fs->dg->broken = true;          /* the bytes move: read back */
    if (fs->stored == 0 || fs->failed) return 0;
    if (ensure_open(s, f) < 0) return s->error ? -1 : 0;
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
            if (write_at(s, f, from + n, tmp, kk) < 0) { r = -1; break; }
        }
        end = from;
    }
    if (r == 0) {
        memset(tmp, 0, CH);
        uint64_t z = n < fs->stored ? n : fs->stored;
        for (uint64_t o = 0; o < z && r == 0; o += CH) {
            size_t k = z - o > CH ? CH : (size_t)(z - o);
            r = write_at(s, f, o, tmp, k);
        }
    }
    free(tmp);
    if (fs->stored > limit && ftruncate(fs->fd, (off_t)limit) == 0)
        fs->stored = limit;
    if (r < 0 && !s->error) {
        log_error("cannot move data in %s: %s", fs->path, strerror(errno));
        fs->failed = true;
        s->failures++;
    }
    return s->error ? -1 : 0;
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

int sink_file_close(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    int r = flush(s, f);
    free_buf(s, fs);
    free_fx(s, fs);
    findx_sort(s, f);
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
    lru_unlink(s, f);
    return r < 0 && s->error ? -1 : 0;
}

void sink_file_release(struct sink_file *s, struct flow *f)
{
    struct fsink *fs = &f->fs;
    free_buf(s, fs);
    free_fx(s, fs);
    close_fd(s, fs);
    lru_unlink(s, f);
    dg_free(fs);
    free(fs->path);
    fs->path = NULL;
}

void sink_file_free(struct sink_file *s)
{
    if (!s) return;
    while (s->lru_head) {
        struct flow *f = s->lru_head;
        flush(s, f);
        free_buf(s, &f->fs);
        free_fx(s, &f->fs);
        close_fd(s, &f->fs);
        dg_free(&f->fs);
        lru_unlink(s, f);
    }
    free(s->error);
    free(s);
}
