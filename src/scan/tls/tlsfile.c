/* tlsfile.c - plaintext files with a capped set of open descriptors.  See
 * tlsfile.h. */
#include "scan/tls/tlsfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/counters.h"
#include "util/io.h"
#include "util/log.h"
#include "util/outdir.h"
#include "util/xalloc.h"

#define EXCL_TRIES 10000                /* c1 ... c9999, then give up */

struct tls_files {
    char *outdir;
    unsigned max_open;
    struct counters *ctr;
    struct dlist open;                  /* least recently written first */
    uint64_t failures;
    char *error;                        /* a full disk: the run stops */
};

struct tls_files *tls_files_new(const char *outdir, unsigned max_open, struct counters *ctr)
{
    struct tls_files *fs = xcalloc(1, sizeof *fs);
    fs->outdir = xstrdup(outdir ? outdir : ".");
    fs->max_open = max_open ? max_open : 1;
    fs->ctr = ctr;
    return fs;
}

static void close_fd(struct tls_files *fs, struct tls_file *f)
{
    if (!f->path || f->fd < 0)
        return;
    dlist_unlink(&fs->open, &f->ln);
    close(f->fd);
    f->fd = -1;
}

void tls_files_free(struct tls_files *fs)
{
    if (!fs)
        return;
    while (fs->open.head) {
        struct tls_file *f = container_of(fs->open.head, struct tls_file, ln);
        close_fd(fs, f);
    }
    free(fs->outdir);
    free(fs->error);
    free(fs);
}

void tls_file_name(struct tls_file *f, const char *base, bool exclusive)
{
    if (f->path || f->base || !base)
        return;
    f->base = xstrdup(base);
    f->exclusive = exclusive;
}

/* Closes the least recently written file; false when none is open. */
static bool evict(struct tls_files *fs)
{
    if (!fs->open.head)
        return false;
    close_fd(fs, container_of(fs->open.head, struct tls_file, ln));
    return true;
}

/* open under outdir; out of descriptors: close one and try again. */
static int open_retry(struct tls_files *fs, const char *path, int flags)
{
    for (;;) {
        int fd = outdir_open(fs->outdir, path, flags);
        if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || !evict(fs))
            return fd;
    }
}

static void fail(struct tls_files *fs, struct tls_file *f, const char *name, const char *what, int e)
{
    log_error("%s: %s: %s", name, what, strerror(e));
    f->failed = true;
    fs->failures++;
    fs->ctr->n[C_TLS_FILE_FAILED]++;
    if ((e == ENOSPC || e == EDQUOT || e == EROFS) && !fs->error) {
        size_t n = strlen(name) + 64;
        fs->error = xmalloc(n);
        snprintf(fs->error, n, "%s writing %s", strerror(e), name);
    }
}

/* Makes f's file: its path and an open descriptor.  false: failed. */
static bool make(struct tls_files *fs, struct tls_file *f)
{
    size_t cap = strlen(f->base) + sizeof TLS_PLAIN_SUFFIX + 16;
    char *path = xmalloc(cap);
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (f->exclusive ? O_EXCL : O_TRUNC);
    int fd = -1;
    for (unsigned c = 0; c < (f->exclusive ? EXCL_TRIES : 1u); c++) {
        if (c)
            snprintf(path, cap, "%sc%u%s", f->base, c, TLS_PLAIN_SUFFIX);
        else
            snprintf(path, cap, "%s%s", f->base, TLS_PLAIN_SUFFIX);
        fd = open_retry(fs, path, flags);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        fail(fs, f, path, "cannot create", errno);
        free(path);
        return false;
    }
    f->path = path;
    f->fd = fd;
    dlist_append(&fs->open, &f->ln);
    fs->ctr->n[C_TLS_FILES]++;
    return true;
}

/* The descriptor of a made file, reopened to append when it was closed. */
static bool reopen(struct tls_files *fs, struct tls_file *f)
{
    if (f->fd >= 0) {
        dlist_move_tail(&fs->open, &f->ln);
        return true;
    }
    int fd = open_retry(fs, f->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fail(fs, f, f->path, "cannot reopen", errno);
        return false;
    }
    f->fd = fd;
    dlist_append(&fs->open, &f->ln);
    return true;
}

int tls_file_write(struct tls_files *fs, struct tls_file *f, const uint8_t *p, size_t n)
{
    if (f->failed || !f->base)
        return -1;
    if (n == 0)
        return 0;
    if (!(f->path ? reopen(fs, f) : make(fs, f)))
        return -1;
    while (fs->open.n > fs->max_open && fs->open.head != &f->ln)
        evict(fs);
    size_t done = 0;
    if (write_all(f->fd, p, n, &done) < 0) {
        f->size += done;
        fail(fs, f, f->path, "write", errno);
        close_fd(fs, f);
        return -1;
    }
    f->size += n;
    return 0;
}

void tls_file_close(struct tls_files *fs, struct tls_file *f)
{
    close_fd(fs, f);
}

void tls_file_release(struct tls_files *fs, struct tls_file *f)
{
    close_fd(fs, f);
    free(f->base);
    free(f->path);
    f->base = f->path = NULL;
}

const char *tls_files_error(const struct tls_files *fs) { return fs->error; }

uint64_t tls_files_failures(const struct tls_files *fs) { return fs->failures; }
