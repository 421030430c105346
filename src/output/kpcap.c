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

#include "capture/pcapwrite.h"
#include "decode/decode.h"
#include "flow/naming.h"
#include "util/htab.h"
#include "util/list.h"
#include "util/outdir.h"
#include "util/io.h"
#include "util/log.h"
#include "util/xalloc.h"

/* One pcap file (several directions share one when the template gives
 * them the same name). */
struct kfile {
    struct hnode hn;                   /* by path */
    struct dlnode lru;                 /* LRU of open files, most recent first */
    int fd;                            /* -1: closed */
    bool created, failed, in_lru, dlt_said;
    int dlt;
    char path[];
};

/* A direction (4-tuple, tunnel and VLAN) and its file. */
struct kdir {
    struct hnode hn;
    struct flowkey key;
    bool has_vlan;
    uint16_t vlan;
    struct kfile *file;
};

struct kpcap {
    struct kpcap_config cfg;
    struct counters c;
    struct htab dirs, files;
    uint64_t seed;
    struct dlist lru;
    int open, max_open;
    uint64_t failures, next_id;
    char *error;
    uint8_t *kbuf;                     /* a reassembled datagram behind its link header */
    size_t kbufcap;
};

struct kpcap *kpcap_new(const struct kpcap_config *cfg)
{
    struct kpcap *k = xcalloc(1, sizeof *k);
    k->cfg = *cfg;
    k->max_open = cfg->max_fds > 0 ? cfg->max_fds : 1;
    htab_init(&k->dirs, 1024, (size_t)1 << 40);
    htab_init(&k->files, 1024, (size_t)1 << 40);
    k->seed = hash_seed();
    return k;
}

const struct counters *kpcap_counters(const struct kpcap *k) { return &k->c; }

static struct kfile *lru_file(struct dlnode *n) { return dlist_entry(n, struct kfile, lru); }

static void lru_unlink(struct kpcap *k, struct kfile *f)
{
    if (!f->in_lru)
        return;
    dlist_unlink(&k->lru, &f->lru);
    f->in_lru = false;
}

static void lru_front(struct kpcap *k, struct kfile *f)
{
    lru_unlink(k, f);
    dlist_push(&k->lru, &f->lru);
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

static void drop_file(void *arg, struct hnode *n)
{
    struct kfile *f = container_of(n, struct kfile, hn);
    file_close(arg, f);
    free(f);
}

static void drop_dir(void *arg, struct hnode *n)
{
    (void)arg;
    free(container_of(n, struct kdir, hn));
}

void kpcap_free(struct kpcap *k)
{
    if (!k)
        return;
    htab_drain(&k->files, drop_file, k);
    htab_drain(&k->dirs, drop_dir, NULL);
    htab_release(&k->files);
    htab_release(&k->dirs);
    free(k->error);
    free(k->kbuf);
    free(k);
}

const char *kpcap_error(const struct kpcap *k) { return k->error; }
uint64_t kpcap_failures(const struct kpcap *k) { return k->failures; }

/* The file for path, made if new. */
static struct kfile *file_for(struct kpcap *k, const char *path, int dlt)
{
    uint64_t h = hash_bytes(path, strlen(path), k->seed);
    for (struct hnode *n = htab_bucket(&k->files, h); n; n = n->next) {
        struct kfile *f = container_of(n, struct kfile, hn);
        if (n->hash == h && strcmp(f->path, path) == 0)
            return f;
    }
    size_t len = strlen(path);
    struct kfile *f = xcalloc(1, sizeof *f + len + 1);
    memcpy(f->path, path, len + 1);
    f->fd = -1;
    f->dlt = dlt;
    htab_insert(&k->files, &f->hn, h);
    return f;
}

static struct kfile *dir_file(struct kpcap *k, struct flow *fl, int dlt)
{
    struct { struct flowkey key; uint16_t vlan; } hk;
    memset(&hk, 0, sizeof hk);
    hk.key = fl->key;
    hk.vlan = fl->has_vlan ? (uint16_t)(fl->vlan | 0x8000) : 0;
    uint64_t h = hash_bytes(&hk, sizeof hk, k->seed);
    for (struct hnode *n = htab_bucket(&k->dirs, h); n; n = n->next) {
        struct kdir *d = container_of(n, struct kdir, hn);
        if (n->hash == h && flowkey_eq(&d->key, &fl->key) &&
            d->has_vlan == fl->has_vlan && (!fl->has_vlan || d->vlan == fl->vlan))
            return d->file;
    }
    /* a new direction: its name, from this first packet */
    fl->flow_id = k->next_id++;
    char path[PATH_MAX];
    int n = naming_render(k->cfg.tmpl, k->cfg.outdir, fl, 0, k->cfg.tdelta_us, path, sizeof path - 5);
    if (n < 0)
        return NULL;
    memcpy(path + n, ".pcap", 6);
    struct kdir *d = xcalloc(1, sizeof *d);
    d->key = fl->key;
    d->has_vlan = fl->has_vlan;
    d->vlan = fl->vlan;
    d->file = file_for(k, path, dlt);
    htab_insert(&k->dirs, &d->hn, h);
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
    while (k->open >= k->max_open && k->lru.tail)
        file_close(k, lru_file(k->lru.tail));
    for (;;) {
        int flags = f->created ? O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC
                               : O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
        int fd = outdir_open(k->cfg.outdir, f->path, flags);
        if (fd >= 0) {
            f->fd = fd;
            k->open++;
            break;
        }
        if ((errno == EMFILE || errno == ENFILE) && k->lru.tail) {
            file_close(k, lru_file(k->lru.tail));
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

/* Append one frame (link type dlt, the record's time and lengths) to the
 * file of fl's direction. */
static int append(struct kpcap *k, struct flow *fl, int dlt, int64_t ts_us,
                  const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
    if (k->error)
        return -1;
    struct kfile *f = dir_file(k, fl, dlt);
    if (!f) {
        k->c.n[C_OUT_WRITE_ERRORS]++;
        if (!k->failures++)
            log_error("-K: a flow name is too long for the template");
        return 0;
    }
    if (f->failed)
        return 0;
    if (f->dlt != dlt) {               /* inputs of several link types: one file has one */
        k->c.n[C_OUT_WRITE_ERRORS]++;
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

int kpcap_packet(struct kpcap *k, const struct decoded *d)
{
    const struct capture_pkt *cp = d->cp;
    struct flow fl;                    /* what the name of a new file is made of */
    memset(&fl, 0, sizeof fl);
    flow_name_fields(&fl, d);
    const uint8_t *frame = cp->data;
    uint32_t caplen = cp->caplen, wirelen = cp->wirelen;
    if (d->whole) {
        /* a reassembled datagram, whole, behind the link header of the
         * fragment that completed it */
        size_t l2len = d->ipb >= cp->data && d->ipb <= cp->data + cp->caplen ? (size_t)(d->ipb - cp->data) : 0;
        size_t n = l2len + d->wlen;
        if (n > k->kbufcap) {
            k->kbuf = xreallocarray(k->kbuf, n, 1);
            k->kbufcap = n;
        }
        memcpy(k->kbuf, cp->data, l2len);
        memcpy(k->kbuf + l2len, d->whole, d->wlen);
        frame = k->kbuf;
        caplen = wirelen = (uint32_t)n;
    }
    return append(k, &fl, cp->dlt, cp->ts_us, frame, caplen, wirelen);   /* the time as captured */
}
