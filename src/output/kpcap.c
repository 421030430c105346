/* kpcap.c - -K per-flow pcap files; see kpcap.h. */
#include "output/kpcap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "output/naming.h"
#include "app/options.h"
#include "capture/pcapwrite.h"
#include "output/sink_file.h"
#include "util/io.h"
#include "util/log.h"
#include "util/xalloc.h"

/* One pcap file (several directions share one when the template gives
 * them the same name). */
struct kfile {
    struct kfile *hnext;               /* by path */
    struct kfile *lprev, *lnext;       /* LRU of open files */
    uint64_t hash;
    int fd;                            /* -1: closed */
    bool created, failed, in_lru, dlt_said;
    int dlt;
    char path[];
};

/* A direction (4-tuple and VLAN) and its file. */
struct kdir {
    struct kdir *hnext;
    uint64_t hash;
    struct flowkey key;
    bool has_vlan;
    uint16_t vlan;
    struct kfile *file;
};

struct kpcap {
    const struct options *o;
    struct counters *c;
    struct kdir **dirs;
    size_t ndirb, ndir;
    struct kfile **files;
    size_t nfileb, nfile;
    struct kfile *lru_head, *lru_tail; /* head: most recently used */
    int open, max_open;
    uint64_t failures, next_id;
    char *error;
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

struct kpcap *kpcap_new(const struct options *o, struct counters *c, int max_fds)
{
    struct kpcap *k = xcalloc(1, sizeof *k);
    k->o = o;
    k->c = c;
    k->max_open = max_fds > 0 ? max_fds : 1;
    k->ndirb = k->nfileb = 1024;
    k->dirs = xcalloc(k->ndirb, sizeof *k->dirs);
    k->files = xcalloc(k->nfileb, sizeof *k->files);
    return k;
}

static void lru_unlink(struct kpcap *k, struct kfile *f)
{
    if (!f->in_lru)
        return;
    if (f->lprev) f->lprev->lnext = f->lnext; else k->lru_head = f->lnext;
    if (f->lnext) f->lnext->lprev = f->lprev; else k->lru_tail = f->lprev;
    f->lprev = f->lnext = NULL;
    f->in_lru = false;
}

static void lru_front(struct kpcap *k, struct kfile *f)
{
    lru_unlink(k, f);
    f->lnext = k->lru_head;
    if (k->lru_head) k->lru_head->lprev = f; else k->lru_tail = f;
    k->lru_head = f;
    f->in_lru = true;
}

static void file_close(struct kpcap *k, struct kfile *f)
{
    if (f->fd < 0)
        return;
    if (close(f->fd) < 0 && !f->failed) {
        log_error("%s: close: %s", f->path, strerror(errno));
        f->failed = true;
        k->failures++;
    }
    f->fd = -1;
    k->open--;
    lru_unlink(k, f);
}

void kpcap_free(struct kpcap *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->nfileb; i++)
        for (struct kfile *f = k->files[i], *n; f; f = n) {
            n = f->hnext;
            file_close(k, f);
            free(f);
        }
    for (size_t i = 0; i < k->ndirb; i++)
        for (struct kdir *d = k->dirs[i], *n; d; d = n) {
            n = d->hnext;
            free(d);
        }
    free(k->dirs);
    free(k->files);
    free(k->error);
    free(k);
}

const char *kpcap_error(const struct kpcap *k) { return k->error; }
uint64_t kpcap_failures(const struct kpcap *k) { return k->failures; }

static void grow_dirs(struct kpcap *k)
{
    size_t nb = k->ndirb * 2;
    struct kdir **t = xcalloc(nb, sizeof *t);
    for (size_t i = 0; i < k->ndirb; i++)
        for (struct kdir *d = k->dirs[i], *n; d; d = n) {
            n = d->hnext;
            d->hnext = t[d->hash & (nb - 1)];
            t[d->hash & (nb - 1)] = d;
        }
    free(k->dirs);
    k->dirs = t;
    k->ndirb = nb;
}

static void grow_files(struct kpcap *k)
{
    size_t nb = k->nfileb * 2;
    struct kfile **t = xcalloc(nb, sizeof *t);
    for (size_t i = 0; i < k->nfileb; i++)
        for (struct kfile *f = k->files[i], *n; f; f = n) {
            n = f->hnext;
            f->hnext = t[f->hash & (nb - 1)];
            t[f->hash & (nb - 1)] = f;
        }
    free(k->files);
    k->files = t;
    k->nfileb = nb;
}

/* The file for path, made if new. */
static struct kfile *file_for(struct kpcap *k, const char *path, int dlt)
{
    uint64_t h = fnv(path, strlen(path), 0xcbf29ce484222325ull);
    for (struct kfile *f = k->files[h & (k->nfileb - 1)]; f; f = f->hnext)
        if (f->hash == h && strcmp(f->path, path) == 0)
            return f;
    if (k->nfile >= k->nfileb)
        grow_files(k);
    size_t n = strlen(path);
    struct kfile *f = xcalloc(1, sizeof *f + n + 1);
    memcpy(f->path, path, n + 1);
    f->hash = h;
    f->fd = -1;
    f->dlt = dlt;
    f->hnext = k->files[h & (k->nfileb - 1)];
    k->files[h & (k->nfileb - 1)] = f;
    k->nfile++;
    return f;
}

static struct kfile *dir_file(struct kpcap *k, struct flow *fl, int dlt)
{
    struct { struct flowkey key; uint16_t vlan; } hk;
    memset(&hk, 0, sizeof hk);
    hk.key = fl->key;
    hk.vlan = fl->has_vlan ? (uint16_t)(fl->vlan | 0x8000) : 0;
    uint64_t h = fnv(&hk, sizeof hk, 0xcbf29ce484222325ull);
    for (struct kdir *d = k->dirs[h & (k->ndirb - 1)]; d; d = d->hnext)
        if (d->hash == h && memcmp(&d->key, &fl->key, sizeof fl->key) == 0 &&
            d->has_vlan == fl->has_vlan && (!fl->has_vlan || d->vlan == fl->vlan))
            return d->file;
    /* a new direction: its name, from this first packet */
    fl->flow_id = k->next_id++;
    char path[PATH_MAX];
    int n = naming_render(k->o->tmpl, k->o->outdir, fl, 0, k->o->tdelta_us, path, sizeof path - 5);
    if (n < 0)
        return NULL;
    memcpy(path + n, ".pcap", 6);
    if (k->ndir >= k->ndirb)
        grow_dirs(k);
    struct kdir *d = xcalloc(1, sizeof *d);
    d->hash = h;
    d->key = fl->key;
    d->has_vlan = fl->has_vlan;
    d->vlan = fl->vlan;
    d->file = file_for(k, path, dlt);
    d->hnext = k->dirs[h & (k->ndirb - 1)];
    k->dirs[h & (k->ndirb - 1)] = d;
    k->ndir++;
    return d->file;
}

static void failed(struct kpcap *k, struct kfile *f, const char *what, int e)
{
    log_error("%s: %s: %s", f->path, what, strerror(e));
    f->failed = true;
    k->failures++;
    if (!k->error && (e == ENOSPC || e == EDQUOT || e == EROFS || e == EIO || e == EFBIG)) {
        char msg[PATH_MAX + 128];
        snprintf(msg, sizeof msg, "%s: %s", f->path, strerror(e));
        k->error = xstrdup(msg);
    }
}

/* Open f: create it (with its pcap header) the first time in this run,
 * else append.  Descriptors beyond the cap, or EMFILE, close the least
 * recently used file. */
static bool file_open(struct kpcap *k, struct kfile *f)
{
    while (k->open >= k->max_open && k->lru_tail)
        file_close(k, k->lru_tail);
    for (;;) {
        int flags = f->created ? O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC
                               : O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
        int fd = outdir_open(k->o->outdir, f->path, flags);
        if (fd >= 0) {
            f->fd = fd;
            k->open++;
            break;
        }
        if ((errno == EMFILE || errno == ENFILE) && k->lru_tail) {
            file_close(k, k->lru_tail);
            if (k->max_open > 1 && k->open < k->max_open)
                k->max_open = k->open > 0 ? k->open : 1;
            continue;
        }
        failed(k, f, f->created ? "cannot reopen" : "cannot create", errno);
        return false;
    }
    if (!f->created) {
        uint8_t h[PCAP_FILE_HDR];
        pcapwrite_file_header(h, f->dlt);
        f->created = true;
        if (write_all(f->fd, h, sizeof h, NULL) < 0) {
            failed(k, f, "write", errno);
            return false;
        }
    }
    return true;
}

int kpcap_packet(struct kpcap *k, struct flow *fl, int dlt, int64_t ts_us,
                 const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
    if (k->error)
        return -1;
    struct kfile *f = dir_file(k, fl, dlt);
    if (!f) {
        k->c->n[C_OUT_WRITE_ERRORS]++;
        if (!k->failures++)
            log_error("-K: a flow name is too long for the template");
        return 0;
    }
    if (f->failed)
        return 0;
    if (f->dlt != dlt) {               /* inputs of several link types: one file has one */
        k->c->n[C_OUT_WRITE_ERRORS]++;
        if (!f->dlt_said) {
            log_error("%s: packets of link type %d left out (the file has link type %d)", f->path, dlt, f->dlt);
            f->dlt_said = true;
            k->failures++;
        }
        return 0;
    }
    if (f->fd < 0 && !file_open(k, f))
        return k->error ? -1 : 0;
    lru_front(k, f);
    uint8_t rh[PCAP_REC_HDR];
    pcapwrite_record_header(rh, ts_us, caplen, wirelen);
    struct iovec iov[2] = { { rh, sizeof rh }, { (void *)(uintptr_t)frame, caplen } };
    if (writev_all(f->fd, iov, 2, NULL) < 0) {
        failed(k, f, "write", errno);
        file_close(k, f);
        return k->error ? -1 : 0;
    }
    return 0;
}
