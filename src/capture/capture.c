/* capture.c - packet sources: our file reader (pcapfile.c over decomp.c),
 * with per-link-type BPF filtering, or a live interface (live.c). */
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/decomp.h"
#include "capture/live.h"
#include "capture/pcapfile.h"
#include "util/xalloc.h"

#define FILTER_CACHE 16                 /* compiled programs kept, one per link type */

struct filt {
    int dlt;                            /* LINKTYPE the program was compiled for */
    bool ok;                            /* false: libpcap cannot filter this link type */
    struct bpf_program prog;
    char *why;                          /* libpcap's message when !ok */
};

struct capture {
    char *name;                         /* as given */
    char *disp;                         /* in messages: the path, or "stdin" */
    int fd;                             /* file descriptor we opened, -1 otherwise */
    uint64_t size;
    struct pcapfile *pf;
    const uint8_t *map;                 /* a regular uncompressed file, mapped and read in place */
    size_t maplen;
    size_t released;                    /* pages of the map before this given back */
    const uint8_t *keep;                /* bytes from here on are still in use (capture_keep) */
    struct live *live;
    char *bpf;                          /* NULL: no filter */
    struct filt filt[FILTER_CACHE];
    size_t nfilt;
    size_t evict;
    int state;                          /* 0 running, -1 failed (sticky) */
    volatile sig_atomic_t stop;
    char err[1024];
};

/* LINKTYPE (file) -> DLT (libpcap on this system), where they differ. */
static int lt_to_dlt(int lt)
{
    switch (lt) {
    case 100: return DLT_ATM_RFC1483;
    case 101: case 14: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    case 106: return DLT_ATM_CLIP;
    default: return lt;
    }
}

static struct capture *cap_new(const char *name)
{
    struct capture *c = xcalloc(1, sizeof *c);
    c->name = xstrdup(name);
    c->disp = xstrdup(strcmp(name, "-") == 0 ? "stdin" : name);
    c->fd = -1;
    return c;
}

/* Compile bpf for LINKTYPE lt.  0 = ok, -1 = failed with libpcap's message
 * in msg. */
static int compile_for(const char *bpf, int lt, struct bpf_program *prog, char *msg, size_t len)
{
    pcap_t *dead = pcap_open_dead(lt_to_dlt(lt), CAPTURE_SNAPLEN);
    if (!dead) { snprintf(msg, len, "pcap_open_dead failed"); return -1; }
    int r = pcap_compile(dead, prog, bpf, 1, PCAP_NETMASK_UNKNOWN);
    if (r != 0) snprintf(msg, len, "%s", pcap_geterr(dead));
    pcap_close(dead);
    return r == 0 ? 0 : -1;
}

static struct filt *filter_for(struct capture *c, int dlt)
{
    for (size_t i = 0; i < c->nfilt; i++)
        if (c->filt[i].dlt == dlt) return &c->filt[i];
    struct filt *f;
    if (c->nfilt < FILTER_CACHE) {
        f = &c->filt[c->nfilt++];
    } else {
        f = &c->filt[c->evict];
        c->evict = (c->evict + 1) % FILTER_CACHE;
        if (f->ok) pcap_freecode(&f->prog);
        free(f->why);
    }
    memset(f, 0, sizeof *f);
    f->dlt = dlt;
    char msg[PCAP_ERRBUF_SIZE + 64];
    f->ok = compile_for(c->bpf, dlt, &f->prog, msg, sizeof msg) == 0;
    f->why = f->ok ? NULL : xstrdup(msg);
    return f;
}

static void free_filters(struct capture *c)
{
    for (size_t i = 0; i < c->nfilt; i++) {
        if (c->filt[i].ok) pcap_freecode(&c->filt[i].prog);
        free(c->filt[i].why);
    }
    c->nfilt = 0;
}

/* Check the expression at open time: compiled for the first link type; if
 * only that link type is the problem (the expression compiles for
 * Ethernet), the failure is reported when such a record arrives. */
static bool check_filter(struct capture *c, char *err, size_t errlen)
{
    int lt = pcapfile_first_dlt(c->pf);
    if (lt >= 0) {
        struct filt *f = filter_for(c, lt);
        if (f->ok) return true;
    }
    struct bpf_program prog;
    char msg[PCAP_ERRBUF_SIZE + 64];
    if (compile_for(c->bpf, 1, &prog, msg, sizeof msg) == 0) {
        pcap_freecode(&prog);
        return true;
    }
    snprintf(err, errlen, "bad filter expression '%s': %s", c->bpf, msg);
    return false;
}

static struct capture *open_common(struct capture *c, struct decomp *d, const char *bpf,
                                   char *err, size_t errlen)
{
    if (!d) { capture_close(c); return NULL; }
    c->pf = pcapfile_open(d, c->disp, err, errlen);
    if (!c->pf) { capture_close(c); return NULL; }
    if (bpf && *bpf) {
        c->bpf = xstrdup(bpf);
        if (!check_filter(c, err, errlen)) { capture_close(c); return NULL; }
    }
    return c;
}

/* A regular file that is not compressed is read in place through a
 * read-only private mapping: no copy into a buffer, and records stay valid
 * for as long as the file is open (the workers of -j read them there).
 * Pages behind the reader are given back as it goes (release_map), so the
 * mapping never holds much memory.  Only with -j's workers: for one thread
 * read() is cheaper (bench big: 0.60 s against 0.79 s; the page faults, the
 * unmapping and a copy from cold pages cost more than the kernel's copy). */
static bool map_file(struct capture *c)
{
    if (c->size > SIZE_MAX) return false;
    void *m = mmap(NULL, (size_t)c->size, PROT_READ, MAP_PRIVATE, c->fd, 0);
    if (m == MAP_FAILED) return false;
    if (decomp_detect(m, c->size < 16 ? (size_t)c->size : 16) != DECOMP_NONE) {
        munmap(m, (size_t)c->size);
        return false;
    }
    madvise(m, (size_t)c->size, MADV_SEQUENTIAL);
    c->map = m;
    c->maplen = (size_t)c->size;
    return true;
}

#define RELEASE_STEP (256u << 10)

/* Give back the mapped pages more than a step behind the reader and
 * behind what is still in use (capture_keep): a page needed again would be
 * read again from the page cache (the mapping is private and read-only, so
 * nothing changes but the time). */
static void release_map(struct capture *c)
{
    uint64_t pos = pcapfile_pos(c->pf);
    if (c->keep && (uint64_t)(c->keep - c->map) < pos) pos = (uint64_t)(c->keep - c->map);
    if (pos < c->released + 2 * RELEASE_STEP) return;
    size_t upto = (size_t)(pos - RELEASE_STEP) & ~(size_t)(sysconf(_SC_PAGESIZE) - 1);
    if (upto > c->released) {
        madvise((void *)(uintptr_t)(c->map + c->released), upto - c->released, MADV_DONTNEED);
        c->released = upto;
    }
}

void capture_keep(struct capture *c, const uint8_t *from)
{
    c->keep = from && c->map && from >= c->map && from < c->map + c->maplen ? from : NULL;
}

bool capture_mapped(const struct capture *c, const uint8_t **lo, const uint8_t **hi)
{
    if (!c->map) return false;
    *lo = c->map;
    *hi = c->map + c->maplen;
    return true;
}

struct capture *capture_open_file(const char *path, const char *bpf, bool map, char *err,
                                  size_t errlen)
{
    struct capture *c = cap_new(path);
    int fd = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            capture_close(c);
            return NULL;
        }
        c->fd = fd;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: is a directory", c->disp);
            capture_close(c);
            return NULL;
        }
        if (S_ISREG(st.st_mode)) c->size = (uint64_t)st.st_size;
    }
    if (map && c->size >= 4096 && map_file(c)) {
        c->size = c->maplen;
        return open_common(c, decomp_open_mem(c->map, c->maplen, c->disp, err, errlen), bpf, err, errlen);
    }
    return open_common(c, decomp_open_fd(fd, c->disp, err, errlen), bpf, err, errlen);
}

struct capture *capture_open_mem(const uint8_t *p, size_t n, const char *name, const char *bpf,
                                 char *err, size_t errlen)
{
    struct capture *c = cap_new(name);
    c->size = n;
    return open_common(c, decomp_open_mem(p, n, c->disp, err, errlen), bpf, err, errlen);
}

void capture_live_config_init(struct capture_live_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->promisc = true;
    cfg->timeout_ms = 10;
    cfg->snaplen = CAPTURE_SNAPLEN;
    cfg->buffer_bytes = CAPTURE_DEFAULT_BUFFER;
    cfg->ring_bytes = CAPTURE_DEFAULT_RING;
}

struct capture *capture_open_live_cfg(const struct capture_live_config *cfg, char *err,
                                      size_t errlen)
{
    struct live *l = live_open(cfg, err, errlen);
    if (!l) return NULL;
    struct capture *c = cap_new(live_name(l));
    c->live = l;
    return c;
}

struct capture *capture_open_live(const char *ifname, bool promisc, int timeout_ms,
                                  const char *bpf, char *err, size_t errlen)
{
    struct capture_live_config cfg;
    capture_live_config_init(&cfg);
    cfg.ifname = ifname;
    cfg.promisc = promisc;
    cfg.timeout_ms = timeout_ms;
    cfg.bpf = bpf;
    return capture_open_live_cfg(&cfg, err, errlen);
}

const char *capture_warning(const struct capture *c)
{
    return c->live ? live_warning(c->live) : NULL;
}

void capture_stats(struct capture *c, struct capture_stats *st)
{
    if (c->live) {
        live_stats(c->live, st);
        return;
    }
    memset(st, 0, sizeof *st);
}

int capture_next(struct capture *c, struct capture_pkt *out)
{
    if (c->state < 0) return -1;
    if (c->live) {                      /* drains its ring after a stop */
        int r = live_next(c->live, out, c->err, sizeof c->err);
        if (r < 0) c->state = -1;
        return r;
    }
    if (c->stop) return 0;
    if (c->map) release_map(c);
    for (;;) {
        int r = pcapfile_next(c->pf, out);
        if (r < 0) {
            snprintf(c->err, sizeof c->err, "%s", pcapfile_error(c->pf));
            c->state = -1;
        }
        if (r != 1 || !c->bpf) return r;
        struct filt *f = filter_for(c, out->dlt);
        if (!f->ok) {
            snprintf(c->err, sizeof c->err,
                     "%s: cannot apply the filter '%s' to link type %d: %s", c->disp, c->bpf,
                     out->dlt, f->why);
            c->state = -1;
            return -1;
        }
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.caplen = out->caplen;
        h.len = out->wirelen;
        if (pcap_offline_filter(&f->prog, &h, out->data)) return 1;
        if (c->stop) return 0;
    }
}

const char *capture_error(const struct capture *c) { return c->err; }

int capture_first_dlt(const struct capture *c)
{
    return c->live ? live_linktype(c->live) : pcapfile_first_dlt(c->pf);
}

uint64_t capture_pos(const struct capture *c) { return c->pf ? pcapfile_pos(c->pf) : 0; }

uint64_t capture_size(const struct capture *c) { return c->size; }

const char *capture_name(const struct capture *c) { return c->name; }

void capture_breakloop(struct capture *c)
{
    c->stop = 1;
    if (c->live) live_breakloop(c->live);
}

void capture_close(struct capture *c)
{
    if (!c) return;
    pcapfile_free(c->pf);
    if (c->map) munmap((void *)(uintptr_t)c->map, c->maplen);
    live_close(c->live);
    if (c->fd >= 0) close(c->fd);
    free_filters(c);
    free(c->bpf);
    free(c->disp);
    free(c->name);
    free(c);
}
