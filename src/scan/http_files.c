/* http_files.c - HTTP body files: the pool of open files and the writer
 * thread.  See http_files.h.
 *
 * A file's writing state (fd, size, digest, place in the pool's list) is
 * touched only by whoever writes: the writer thread, or the caller when
 * there is none.  The caller's side is the chunk being filled.  Jobs go
 * through one queue (mutex + condition variables); a file's end sets its
 * done flag, which http_bfile_finish waits for. */
#include "scan/http_files.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "util/io.h"
#include "util/list.h"
#include "util/log.h"
#include "util/outdir.h"
#include "util/xalloc.h"

#define CHUNK_SYNC (32u * 1024)         /* bytes gathered per write() in the caller */
#define CHUNK_THREAD (128u * 1024)      /* per job for the writer thread */
#define FREE_CHUNKS 72                  /* chunks kept for reuse (all in flight, and some) */
#define WAKE_JOBS 64                    /* the writer thread is woken for this many jobs ... */
#define WAKE_BYTES (512u * 1024)        /* ... or bytes */

enum { J_WRITE, J_HOLE, J_END };

struct job {
    struct job *next;
    int op;
    struct http_bfile *b;
    uint8_t *buf;                       /* J_WRITE: a chunk, given back after */
    size_t n;
    uint64_t hole;
};

struct http_bfile {
    struct http_files *fs;
    char *outdir, *path;
    /* the caller's */
    uint8_t *cur;                       /* the chunk being filled */
    size_t len;
    bool ended;
    /* the writer's */
    int fd;
    bool created, failed;
    uint64_t size;
    EVP_MD_CTX *md;
    struct dlnode lru;
    /* shared, under fs->mu */
    bool done;
};

struct http_files {
    unsigned max_open;
    size_t chunk;
    struct dlist lru;                   /* files with an open fd, least recently written first (writer's) */
    bool threaded;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t work, room, done;
    struct job *head, *tail;
    size_t inflight;
    bool stop;
    bool idle;                          /* the writer thread waits for work */
    unsigned unsignalled;               /* jobs queued since it was last woken */
    size_t unsignalled_bytes;
    uint8_t *free_chunks[FREE_CHUNKS];
    unsigned nfree;
};

/* ---- the writing side ---- */

static void fail(struct http_bfile *b, const char *what)
{
    if (!b->failed)
        log_error("%s: %s: %s", b->path, what, strerror(errno));
    b->failed = true;
}

static void close_fd(struct http_bfile *b)
{
    if (b->fd < 0)
        return;
    dlist_unlink(&b->fs->lru, &b->lru);
    if (close(b->fd) < 0)
        fail(b, "close");
    b->fd = -1;
}

/* The file open for writing: made at the first bytes, reopened to append
 * after an eviction; the least recently written files give way. */
static bool open_fd(struct http_bfile *b)
{
    struct http_files *fs = b->fs;
    if (b->failed)                      /* (after a failed write, nothing more: no shifted bytes) */
        return false;
    if (b->fd >= 0) {
        dlist_move_tail(&fs->lru, &b->lru);
        return true;
    }
    int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (b->created ? O_APPEND : O_CREAT | O_TRUNC);
    for (int tries = 0;; tries++) {
        if (fs->lru.n >= fs->max_open)
            close_fd(container_of(fs->lru.head, struct http_bfile, lru));
        b->fd = outdir_open(b->outdir, b->path, flags);
        if (b->fd >= 0)
            break;
        if ((errno == EMFILE || errno == ENFILE) && tries < 8 && fs->lru.head) {
            close_fd(container_of(fs->lru.head, struct http_bfile, lru));
            continue;
        }
        fail(b, b->created ? "cannot reopen" : "cannot create");
        return false;
    }
    b->created = true;
    dlist_append(&fs->lru, &b->lru);
    return true;
}

/* The body's SHA-256 goes on; a digest that fails is not reported. */
static void digest(struct http_bfile *b, const void *p, size_t n)
{
    if (b->md && !b->failed && !EVP_DigestUpdate(b->md, p, n)) {
        EVP_MD_CTX_free(b->md);
        b->md = NULL;
    }
}

static void do_write(struct http_bfile *b, const uint8_t *p, size_t n)
{
    digest(b, p, n);
    if (!open_fd(b))
        return;
    size_t done;
    int r = write_all(b->fd, p, n, &done);
    b->size += done;
    if (r < 0)
        fail(b, "write");
}

static void do_hole(struct http_bfile *b, uint64_t n)
{
    static const uint8_t zeros[4096];
    for (uint64_t k = 0; b->md && !b->failed && k < n; k += sizeof zeros)
        digest(b, zeros, n - k < sizeof zeros ? (size_t)(n - k) : sizeof zeros);
    if (!open_fd(b))
        return;
    if (b->size + n > (uint64_t)INT64_MAX)
        errno = EFBIG;
    if (b->size + n > (uint64_t)INT64_MAX || ftruncate(b->fd, (off_t)(b->size + n)) < 0 ||
        lseek(b->fd, 0, SEEK_END) < 0) {
        fail(b, "extend");
        return;
    }
    b->size += n;
}

static void do_end(struct http_bfile *b)
{
    close_fd(b);
}

static void run_job(struct job *j)
{
    switch (j->op) {
    case J_WRITE: do_write(j->b, j->buf, j->n); break;
    case J_HOLE: do_hole(j->b, j->hole); break;
    default: do_end(j->b); break;
    }
}

static uint8_t *get_chunk(struct http_files *fs)
{
    uint8_t *c = NULL;
    if (fs->threaded)
        pthread_mutex_lock(&fs->mu);
    if (fs->nfree)
        c = fs->free_chunks[--fs->nfree];
    if (fs->threaded)
        pthread_mutex_unlock(&fs->mu);
    return c ? c : xmalloc(fs->chunk);
}

/* (under fs->mu when threaded) */
static void put_chunk(struct http_files *fs, uint8_t *c)
{
    if (fs->nfree < FREE_CHUNKS)
        fs->free_chunks[fs->nfree++] = c;
    else
        free(c);
}

static void *writer(void *arg)
{
    struct http_files *fs = arg;
    pthread_mutex_lock(&fs->mu);
    for (;;) {
        while (!fs->head && !fs->stop) {
            fs->idle = true;
            pthread_cond_wait(&fs->work, &fs->mu);
            fs->idle = false;
        }
        struct job *j = fs->head;
        if (!j)
            break;                      /* stopped, and nothing left */
        fs->head = j->next;
        if (!fs->head)
            fs->tail = NULL;
        pthread_mutex_unlock(&fs->mu);
        run_job(j);
        pthread_mutex_lock(&fs->mu);
        if (j->buf) {
            put_chunk(fs, j->buf);
            fs->inflight -= j->n;
            pthread_cond_signal(&fs->room);
        }
        if (j->op == J_END) {
            j->b->done = true;
            pthread_cond_broadcast(&fs->done);
        }
        free(j);
    }
    pthread_mutex_unlock(&fs->mu);
    return NULL;
}

/* (under fs->mu) */
static void wake(struct http_files *fs)
{
    fs->unsignalled = 0;
    fs->unsignalled_bytes = 0;
    pthread_cond_signal(&fs->work);
}

/* Run the job now (no thread), or queue it. */
static void submit(struct http_files *fs, int op, struct http_bfile *b, uint8_t *buf, size_t n, uint64_t hole)
{
    if (!fs->threaded) {
        struct job j = { NULL, op, b, buf, n, hole };
        run_job(&j);
        if (buf)
            put_chunk(fs, buf);
        if (op == J_END)
            b->done = true;
        return;
    }
    struct job *j = xmalloc(sizeof *j);
    *j = (struct job){ NULL, op, b, buf, n, hole };
    pthread_mutex_lock(&fs->mu);
    while (buf && fs->inflight > 0 && fs->inflight + n > HTTP_FILES_INFLIGHT) {
        wake(fs);
        pthread_cond_wait(&fs->room, &fs->mu);
    }
    if (buf)
        fs->inflight += n;
    if (fs->tail)
        fs->tail->next = j;
    else
        fs->head = j;
    fs->tail = j;
    /* small bodies come by the thousand: wake the thread for a batch, not
     * for each job (waiting for a file wakes it too) */
    fs->unsignalled++;
    fs->unsignalled_bytes += n;
    if (fs->idle && (fs->unsignalled >= WAKE_JOBS || fs->unsignalled_bytes >= WAKE_BYTES))
        wake(fs);
    pthread_mutex_unlock(&fs->mu);
}

/* ---- the pool ---- */

struct http_files *http_files_new(unsigned max_open, bool thread)
{
    struct http_files *fs = xcalloc(1, sizeof *fs);
    fs->max_open = max_open ? max_open : 1;
    fs->chunk = CHUNK_SYNC;
    if (thread) {
        /* (default attributes: these cannot fail on Linux; a writer that
         * cannot start leaves the writing to the caller's thread) */
        pthread_mutex_init(&fs->mu, NULL);
        pthread_cond_init(&fs->work, NULL);
        pthread_cond_init(&fs->room, NULL);
        pthread_cond_init(&fs->done, NULL);
        fs->threaded = pthread_create(&fs->th, NULL, writer, fs) == 0;
        if (fs->threaded) {
            fs->chunk = CHUNK_THREAD;
        } else {
            pthread_cond_destroy(&fs->done);
            pthread_cond_destroy(&fs->room);
            pthread_cond_destroy(&fs->work);
            pthread_mutex_destroy(&fs->mu);
        }
    }
    return fs;
}

bool http_files_threaded(const struct http_files *fs)
{
    return fs->threaded;
}

void http_files_free(struct http_files *fs)
{
    if (!fs)
        return;
    if (fs->threaded) {
        pthread_mutex_lock(&fs->mu);
        fs->stop = true;
        wake(fs);
        pthread_mutex_unlock(&fs->mu);
        pthread_join(fs->th, NULL);
        pthread_cond_destroy(&fs->done);
        pthread_cond_destroy(&fs->room);
        pthread_cond_destroy(&fs->work);
        pthread_mutex_destroy(&fs->mu);
    }
    while (fs->nfree)
        free(fs->free_chunks[--fs->nfree]);
    free(fs);
}

/* ---- a body file ---- */

struct http_bfile *http_bfile_new(struct http_files *fs, const char *outdir, const char *path, bool digest)
{
    struct http_bfile *b = xcalloc(1, sizeof *b);
    b->fs = fs;
    b->outdir = xstrdup(outdir ? outdir : ".");
    b->path = xstrdup(path);
    b->fd = -1;
    if (digest) {
        b->md = EVP_MD_CTX_new();
        if (b->md && !EVP_DigestInit_ex(b->md, EVP_sha256(), NULL)) {
            EVP_MD_CTX_free(b->md);
            b->md = NULL;
        }
    }
    return b;
}

static void send_chunk(struct http_bfile *b)
{
    if (!b->len)
        return;
    submit(b->fs, J_WRITE, b, b->cur, b->len, 0);
    b->cur = NULL;
    b->len = 0;
}

void http_bfile_write(struct http_bfile *b, const uint8_t *p, size_t n)
{
    if (b->ended)
        return;
    size_t chunk = b->fs->chunk;
    while (n > 0) {
        if (!b->cur)
            b->cur = get_chunk(b->fs);
        size_t k = chunk - b->len < n ? chunk - b->len : n;
        memcpy(b->cur + b->len, p, k);
        b->len += k;
        p += k;
        n -= k;
        if (b->len == chunk)
            send_chunk(b);
    }
}

void http_bfile_hole(struct http_bfile *b, uint64_t n)
{
    if (b->ended || n == 0)
        return;
    send_chunk(b);
    submit(b->fs, J_HOLE, b, NULL, 0, n);
}

void http_bfile_close(struct http_bfile *b)
{
    if (b->ended)
        return;
    send_chunk(b);
    if (b->cur) {                       /* an empty chunk: back to the pool */
        if (b->fs->threaded)
            pthread_mutex_lock(&b->fs->mu);
        put_chunk(b->fs, b->cur);
        if (b->fs->threaded)
            pthread_mutex_unlock(&b->fs->mu);
        b->cur = NULL;
    }
    b->ended = true;
    submit(b->fs, J_END, b, NULL, 0, 0);
}

bool http_bfile_done(struct http_bfile *b)
{
    struct http_files *fs = b->fs;
    if (!fs->threaded)
        return b->done;
    pthread_mutex_lock(&fs->mu);
    bool d = b->done;
    pthread_mutex_unlock(&fs->mu);
    return d;
}

void http_bfile_finish(struct http_bfile *b, struct http_bfile_result *r)
{
    http_bfile_close(b);
    struct http_files *fs = b->fs;
    if (fs->threaded) {
        pthread_mutex_lock(&fs->mu);
        while (!b->done) {
            wake(fs);
            pthread_cond_wait(&fs->done, &fs->mu);
        }
        pthread_mutex_unlock(&fs->mu);
    }
    memset(r, 0, sizeof *r);
    r->created = b->created;
    r->failed = b->failed;
    r->size = b->size;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    if (b->md && !b->failed && b->created && EVP_DigestFinal_ex(b->md, md, &mdn) && mdn == 32) {
        r->has_digest = true;
        for (unsigned i = 0; i < 32; i++)
            snprintf(r->sha256 + 2 * i, 3, "%02x", md[i]);
    }
    EVP_MD_CTX_free(b->md);
    free(b->outdir);
    free(b->path);
    free(b);
}
