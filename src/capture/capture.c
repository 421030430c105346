/* capture.c - packet sources: our file reader (pcapfile.c over decomp.c)
 * or a live libpcap handle, with per-link-type BPF filtering. */
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/decomp.h"
#include "capture/pcapfile.h"
#include "util/xalloc.h"

#define CAPTURE_SNAPLEN 262144
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
    pcap_t *live;
    int live_dlt;
    int live_fd;                        /* pollable fd of the non-blocking handle, or -1 */
    int timeout_ms;
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

/* DLT (live handle) -> LINKTYPE. */
static int dlt_to_lt(int dlt)
{
    switch (dlt) {
    case DLT_ATM_RFC1483: return 100;
    case DLT_RAW: return 101;
    case DLT_SLIP_BSDOS: return 102;
    case DLT_PPP_BSDOS: return 103;
    case DLT_ATM_CLIP: return 106;
    default: return dlt;
    }
}

static struct capture *cap_new(const char *name)
{
    struct capture *c = xcalloc(1, sizeof *c);
    c->name = xstrdup(name);
    c->disp = xstrdup(strcmp(name, "-") == 0 ? "stdin" : name);
    c->fd = -1;
    c->live_dlt = -1;
    c->live_fd = -1;
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

struct capture *capture_open_file(const char *path, const char *bpf, char *err, size_t errlen)
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
    return open_common(c, decomp_open_fd(fd, c->disp, err, errlen), bpf, err, errlen);
}

struct capture *capture_open_mem(const uint8_t *p, size_t n, const char *name, const char *bpf,
                                 char *err, size_t errlen)
{
    struct capture *c = cap_new(name);
    c->size = n;
    return open_common(c, decomp_open_mem(p, n, c->disp, err, errlen), bpf, err, errlen);
}

struct capture *capture_open_live(const char *ifname, bool promisc, int timeout_ms,
                                  const char *bpf, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    char *dev = NULL;
    ebuf[0] = 0;
    if (ifname) {
        dev = xstrdup(ifname);
    } else {
        pcap_if_t *all = NULL;
        if (pcap_findalldevs(&all, ebuf) != 0) {
            snprintf(err, errlen, "cannot list capture devices: %s", ebuf);
            return NULL;
        }
        if (!all) {
            snprintf(err, errlen, "no capture device found (try -i, or run as root)");
            return NULL;
        }
        dev = xstrdup(all->name);
        pcap_freealldevs(all);
    }
    struct capture *c = cap_new(dev);
    free(dev);
    c->live = pcap_create(c->name, ebuf);
    if (!c->live) {
        snprintf(err, errlen, "%s: %s", c->name, ebuf);
        capture_close(c);
        return NULL;
    }
    pcap_set_snaplen(c->live, CAPTURE_SNAPLEN);
    pcap_set_promisc(c->live, promisc ? 1 : 0);
    pcap_set_timeout(c->live, timeout_ms);
    int r = pcap_activate(c->live);
    if (r < 0) {
        const char *detail = pcap_geterr(c->live);
        if (r == PCAP_ERROR || !detail || !*detail)
            snprintf(err, errlen, "%s: %s", c->name,
                     r == PCAP_ERROR ? detail : pcap_statustostr(r));
        else
            snprintf(err, errlen, "%s: %s (%s)", c->name, pcap_statustostr(r), detail);
        capture_close(c);
        return NULL;
    }
    c->live_dlt = dlt_to_lt(pcap_datalink(c->live));
    /* Linux TPACKET_V3 only times out once a packet has arrived; to return
     * every timeout_ms even on a silent interface we poll() ourselves. */
    c->timeout_ms = timeout_ms;
    if (pcap_setnonblock(c->live, 1, ebuf) == 0) c->live_fd = pcap_get_selectable_fd(c->live);
    if (c->live_fd < 0) pcap_setnonblock(c->live, 0, ebuf);
    if (bpf && *bpf) {
        struct bpf_program prog;
        if (pcap_compile(c->live, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errlen, "bad filter expression '%s': %s", bpf, pcap_geterr(c->live));
            capture_close(c);
            return NULL;
        }
        r = pcap_setfilter(c->live, &prog);
        pcap_freecode(&prog);
        if (r != 0) {
            snprintf(err, errlen, "%s: cannot set filter: %s", c->name, pcap_geterr(c->live));
            capture_close(c);
            return NULL;
        }
    }
    return c;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int live_timeout(struct capture *c, struct capture_pkt *out)
{
    memset(out, 0, sizeof *out);
    out->dlt = c->live_dlt;
    return 1;
}

static int next_live(struct capture *c, struct capture_pkt *out)
{
    int64_t deadline = c->timeout_ms > 0 ? now_ms() + c->timeout_ms : 0;
    for (;;) {
        if (c->stop) return 0;
        struct pcap_pkthdr *h;
        const u_char *data;
        int r = pcap_next_ex(c->live, &h, &data);
        if (r == 1) {
            out->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
            out->caplen = h->caplen;
            out->wirelen = h->len;
            out->dlt = c->live_dlt;
            out->data = data;
            return 1;
        }
        if (r == PCAP_ERROR_BREAK) return 0;
        if (r != 0) {
            snprintf(c->err, sizeof c->err, "%s: %s", c->name, pcap_geterr(c->live));
            c->state = -1;
            return -1;
        }
        if (c->live_fd < 0) return live_timeout(c, out);   /* blocking handle timed out */
        int wait = -1;
        if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) return live_timeout(c, out);
            wait = (int)left;
        }
        struct pollfd pfd = { .fd = c->live_fd, .events = POLLIN };
        int k = poll(&pfd, 1, wait);
        if (k == 0) return live_timeout(c, out);
        if (k < 0 && errno != EINTR) {
            snprintf(c->err, sizeof c->err, "%s: poll: %s", c->name, strerror(errno));
            c->state = -1;
            return -1;
        }
        /* readable, or a signal: look again (and at c->stop) */
    }
}

int capture_next(struct capture *c, struct capture_pkt *out)
{
    if (c->state < 0) return -1;
    if (c->stop) return 0;
    if (c->live) return next_live(c, out);
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
    return c->live ? c->live_dlt : pcapfile_first_dlt(c->pf);
}

uint64_t capture_pos(const struct capture *c) { return c->pf ? pcapfile_pos(c->pf) : 0; }

uint64_t capture_size(const struct capture *c) { return c->size; }

const char *capture_name(const struct capture *c) { return c->name; }

void capture_breakloop(struct capture *c)
{
    c->stop = 1;
    if (c->live) pcap_breakloop(c->live);
}

void capture_close(struct capture *c)
{
    if (!c) return;
    pcapfile_free(c->pf);
    if (c->live) pcap_close(c->live);
    if (c->fd >= 0) close(c->fd);
    free_filters(c);
    free(c->bpf);
    free(c->disp);
    free(c->name);
    free(c);
}
