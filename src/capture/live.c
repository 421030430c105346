/* live.c - live capture: libpcap handle, capture thread, ring, counters.
 *
 * The capture thread loops on pcap_dispatch() over a non-blocking handle and
 * copies every packet into the ring; the consumer (capture_next) takes them
 * out.  When the ring is full the thread waits for room (the kernel buffer
 * takes the burst meanwhile, and counts what it cannot take); it never drops.
 * Wake-ups go through eventfds: the side that goes to sleep raises its flag,
 * fences, and looks again before poll(); the other side writes the eventfd
 * only when it sees the flag.  Every poll also has a timeout, so a missed
 * wake-up could only delay, never hang.  capture_breakloop may run in a
 * signal handler: it sets an atomic flag and writes eventfds, both
 * async-signal-safe. */
#include "capture/live.h"

#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "capture/pktring.h"
#include "util/xalloc.h"

#define STATS_EVERY_MS 250          /* kernel counters refreshed by the thread */
#define SAFETY_POLL_MS 100          /* longest sleep without looking again */

struct live {
    pcap_t *p;
    char *name;
    int lt;                         /* LINKTYPE */
    int pfd;                        /* pollable fd of the non-blocking handle, or -1 */
    int timeout_ms;
    uint32_t snaplen;
    uint64_t buffer_bytes;
    bool immediate;
    char warn[PCAP_ERRBUF_SIZE + 128];
    _Atomic int stop;               /* capture_breakloop */
    uint64_t delivered;             /* consumer */
    /* direct reading (no ring) */
    uint64_t captured_direct, truncated_direct;
    /* capture thread */
    struct pktring *ring;
    pthread_t thr;
    bool thr_started, joined;
    int data_efd, space_efd, stop_efd;
    _Atomic int done;               /* the thread has stopped: nothing more comes */
    _Atomic int cons_waiting, prod_waiting;
    _Atomic size_t prod_need;       /* free bytes that make a wake-up worth it */
    bool holding;                   /* consumer: a peeked record not yet released */
    int failed;                     /* thread: error in err (read after done) */
    char err[1024];
    pthread_mutex_t mu;             /* guards the fields below */
    struct pcap_stat ps;
    bool ps_ok;
    uint64_t ring_waits, ring_peak, truncated;
};

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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(int fd)
{
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r;                        /* EAGAIN: the counter is already non-zero */
}

static void drain(int fd)
{
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
}

/* ---- opening ---- */

/* "a, b, c" of the devices libpcap lists, into buf. */
static void list_devices(char *buf, size_t len)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_if_t *all = NULL;
    buf[0] = 0;
    if (pcap_findalldevs(&all, ebuf) != 0) return;
    size_t n = 0;
    for (pcap_if_t *d = all; d && n + 1 < len; d = d->next) {
        int k = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", d->name);
        if (k < 0 || (size_t)k >= len - n) { buf[n] = 0; break; }
        n += (size_t)k;
    }
    pcap_freealldevs(all);
}

/* The message for a failed pcap_activate. */
static void activate_error(struct live *l, int r, char *err, size_t errlen)
{
    const char *detail = pcap_geterr(l->p);
    char devs[512];
    switch (r) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        list_devices(devs, sizeof devs);
        snprintf(err, errlen, "%s: no such interface (interfaces here: %s)", l->name,
                 *devs ? devs : "none that libpcap can see");
        break;
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, errlen, "%s: no permission to capture: run as root, or give tcpflow "
                 "CAP_NET_RAW (%s)", l->name, detail);
        break;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        snprintf(err, errlen, "%s: no permission for promiscuous mode (-p captures without "
                 "it): %s", l->name, detail);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, errlen, "%s: the interface is not up", l->name);
        break;
    default:
        if (r == PCAP_ERROR || !detail || !*detail)
            snprintf(err, errlen, "%s: %s", l->name, r == PCAP_ERROR ? detail : pcap_statustostr(r));
        else
            snprintf(err, errlen, "%s: %s (%s)", l->name, pcap_statustostr(r), detail);
    }
}

static bool configure(struct live *l, const struct capture_live_config *cfg, bool promisc,
                      char *err, size_t errlen)
{
    uint64_t buf = cfg->buffer_bytes ? cfg->buffer_bytes : CAPTURE_DEFAULT_BUFFER;
    if (buf > INT_MAX) {
        snprintf(err, errlen, "%s: capture buffer of %llu bytes: at most %d", l->name,
                 (unsigned long long)buf, INT_MAX);
        return false;
    }
    if (cfg->snaplen > CAPTURE_SNAPLEN) {
        snprintf(err, errlen, "%s: snap length %u: at most %u", l->name, cfg->snaplen,
                 CAPTURE_SNAPLEN);
        return false;
    }
    if (cfg->timeout_ms < 0) {
        snprintf(err, errlen, "%s: negative read timeout", l->name);
        return false;
    }
    l->snaplen = cfg->snaplen ? cfg->snaplen : CAPTURE_SNAPLEN;
    l->buffer_bytes = buf;
    l->immediate = cfg->immediate;
    l->timeout_ms = cfg->timeout_ms;
    if (pcap_set_snaplen(l->p, (int)l->snaplen) != 0 ||
        pcap_set_promisc(l->p, promisc ? 1 : 0) != 0 ||
        pcap_set_timeout(l->p, cfg->timeout_ms) != 0 ||
        pcap_set_buffer_size(l->p, (int)buf) != 0 ||
        (cfg->immediate && pcap_set_immediate_mode(l->p, 1) != 0)) {
        snprintf(err, errlen, "%s: cannot configure the capture: %s", l->name, pcap_geterr(l->p));
        return false;
    }
    return true;
}

static bool set_filter(struct live *l, const char *bpf, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (pcap_compile(l->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter expression '%s': %s", bpf, pcap_geterr(l->p));
        return false;
    }
    int r = pcap_setfilter(l->p, &prog);
    pcap_freecode(&prog);
    if (r != 0) {
        snprintf(err, errlen, "%s: cannot set filter: %s", l->name, pcap_geterr(l->p));
        return false;
    }
    return true;
}

static void *capture_thread(void *arg);

static bool start_thread(struct live *l, uint64_t ring_bytes, char *err, size_t errlen)
{
    if (ring_bytes > SIZE_MAX / 2 || !(l->ring = pktring_new((size_t)ring_bytes, l->snaplen))) {
        snprintf(err, errlen, "%s: cannot allocate a ring of %llu bytes", l->name,
                 (unsigned long long)ring_bytes);
        return false;
    }
    l->data_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->space_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->stop_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->data_efd < 0 || l->space_efd < 0 || l->stop_efd < 0) {
        snprintf(err, errlen, "%s: eventfd: %s", l->name, strerror(errno));
        return false;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&l->thr, NULL, capture_thread, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        snprintf(err, errlen, "%s: cannot start the capture thread: %s", l->name, strerror(r));
        return false;
    }
    l->thr_started = true;
    return true;
}

struct live *live_open(const struct capture_live_config *cfg, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    ebuf[0] = 0;
    char *dev = NULL;
    if (cfg->ifname) {
        dev = xstrdup(cfg->ifname);
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
    struct live *l = xcalloc(1, sizeof *l);
    l->name = dev;
    l->pfd = l->data_efd = l->space_efd = l->stop_efd = -1;
    pthread_mutex_init(&l->mu, NULL);
    l->p = pcap_create(l->name, ebuf);
    if (!l->p) {
        snprintf(err, errlen, "%s: %s", l->name, ebuf);
        live_close(l);
        return NULL;
    }
    /* "any" cannot be promiscuous: not asking spares a warning per run */
    bool promisc = cfg->promisc && strcmp(l->name, "any") != 0;
    if (!configure(l, cfg, promisc, err, errlen)) { live_close(l); return NULL; }
    int r = pcap_activate(l->p);
    if (r < 0) {
        activate_error(l, r, err, errlen);
        live_close(l);
        return NULL;
    }
    if (r > 0)
        snprintf(l->warn, sizeof l->warn, "%s: %s%s%s", l->name, pcap_statustostr(r),
                 *pcap_geterr(l->p) ? ": " : "", pcap_geterr(l->p));
    l->lt = dlt_to_lt(pcap_datalink(l->p));
    if (cfg->bpf && *cfg->bpf && !set_filter(l, cfg->bpf, err, errlen)) {
        live_close(l);
        return NULL;
    }
    /* Linux TPACKET_V3 only times out once a packet has arrived; to return
     * every timeout_ms even on a silent interface we poll() ourselves. */
    if (pcap_setnonblock(l->p, 1, ebuf) == 0) l->pfd = pcap_get_selectable_fd(l->p);
    if (l->pfd < 0) {
        pcap_setnonblock(l->p, 0, ebuf);
        if (cfg->ring_bytes) {
            snprintf(err, errlen, "%s: cannot poll this device (use no ring)", l->name);
            live_close(l);
            return NULL;
        }
    }
    if (cfg->ring_bytes && !start_thread(l, cfg->ring_bytes, err, errlen)) {
        live_close(l);
        return NULL;
    }
    return l;
}

const char *live_name(const struct live *l) { return l->name; }

int live_linktype(const struct live *l) { return l->lt; }

const char *live_warning(const struct live *l) { return l->warn[0] ? l->warn : NULL; }

/* ---- the capture thread ---- */

static void refresh_stats(struct live *l)
{
    struct pcap_stat s;
    if (pcap_stats(l->p, &s) != 0) return;
    pthread_mutex_lock(&l->mu);
    l->ps = s;
    l->ps_ok = true;
    pthread_mutex_unlock(&l->mu);
}

/* Wait until a record of caplen bytes fits; NULL if asked to stop meanwhile. */
static uint8_t *wait_space(struct live *l, uint32_t caplen)
{
    size_t size = pktring_size(l->ring);
    size_t want = pktring_rec_bytes(caplen) * 2;
    if (want < size / 8) want = size / 8;           /* wake in batches, not per packet */
    atomic_store(&l->prod_need, want);
    for (;;) {
        atomic_store(&l->prod_waiting, 1);
        atomic_thread_fence(memory_order_seq_cst);
        uint8_t *dst = pktring_reserve(l->ring, caplen);
        if (dst || atomic_load(&l->stop)) {
            atomic_store(&l->prod_waiting, 0);
            return dst;
        }
        struct pollfd pf[2] = { { .fd = l->space_efd, .events = POLLIN },
                                { .fd = l->stop_efd, .events = POLLIN } };
        poll(pf, 2, SAFETY_POLL_MS);
        drain(l->space_efd);
    }
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct live *l = (struct live *)user;
    uint32_t cl = h->caplen < l->snaplen ? h->caplen : l->snaplen;
    uint8_t *dst = pktring_reserve(l->ring, cl);
    if (!dst) {
        pthread_mutex_lock(&l->mu);
        l->ring_waits++;
        pthread_mutex_unlock(&l->mu);
        dst = wait_space(l, cl);
        if (!dst) {                 /* stopping: this one stays uncaptured */
            pcap_breakloop(l->p);
            return;
        }
    }
    memcpy(dst, bytes, cl);
    struct pktring_rec rec = { (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec, cl, h->len };
    pktring_commit(l->ring, &rec);
    size_t used = pktring_used(l->ring);
    if (used > l->ring_peak || cl < h->len) {
        pthread_mutex_lock(&l->mu);
        if (used > l->ring_peak) l->ring_peak = used;
        if (cl < h->len) l->truncated++;
        pthread_mutex_unlock(&l->mu);
    }
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&l->cons_waiting)) wake(l->data_efd);
}

static void *capture_thread(void *arg)
{
    struct live *l = arg;
    int64_t next_stats = now_ms() + STATS_EVERY_MS;
    while (!atomic_load(&l->stop)) {
        int n = pcap_dispatch(l->p, -1, on_packet, (u_char *)l);
        if (n == PCAP_ERROR_BREAK) break;
        if (n < 0) {
            snprintf(l->err, sizeof l->err, "%s: %s", l->name, pcap_geterr(l->p));
            l->failed = 1;
            break;
        }
        int64_t t = now_ms();
        if (t >= next_stats) {
            refresh_stats(l);
            next_stats = t + STATS_EVERY_MS;
        }
        if (n == 0) {
            struct pollfd pf[2] = { { .fd = l->pfd, .events = POLLIN },
                                    { .fd = l->stop_efd, .events = POLLIN } };
            int k = poll(pf, 2, STATS_EVERY_MS);
            if (k < 0 && errno != EINTR) {
                snprintf(l->err, sizeof l->err, "%s: poll: %s", l->name, strerror(errno));
                l->failed = 1;
                break;
            }
            if (k > 0 && (pf[0].revents & (POLLERR | POLLHUP | POLLNVAL)) &&
                !(pf[0].revents & POLLIN)) {
                snprintf(l->err, sizeof l->err, "%s: the interface went away", l->name);
                l->failed = 1;
                break;
            }
        }
    }
    refresh_stats(l);
    atomic_store(&l->done, 1);
    wake(l->data_efd);
    return NULL;
}

/* ---- the consumer ---- */

static int timeout_pkt(struct live *l, struct capture_pkt *out)
{
    memset(out, 0, sizeof *out);
    out->dlt = l->lt;
    return 1;
}

static void deliver(struct live *l, struct capture_pkt *out, const struct pktring_rec *h,
                    const uint8_t *data)
{
    out->ts_us = h->ts_us;
    out->caplen = h->caplen;
    out->wirelen = h->wirelen;
    out->dlt = l->lt;
    out->data = data;
    l->holding = true;
    l->delivered++;
}

static void release(struct live *l)
{
    if (!l->holding) return;
    pktring_release(l->ring);
    l->holding = false;
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&l->prod_waiting) &&
        pktring_size(l->ring) - pktring_used(l->ring) >= atomic_load(&l->prod_need)) {
        int one = 1;
        if (atomic_compare_exchange_strong(&l->prod_waiting, &one, 0)) wake(l->space_efd);
    }
}

static int next_ring(struct live *l, struct capture_pkt *out, char *err, size_t errlen)
{
    release(l);
    int64_t deadline = l->timeout_ms > 0 ? now_ms() + l->timeout_ms : 0;
    struct pktring_rec h;
    const uint8_t *data;
    for (;;) {
        if (pktring_peek(l->ring, &h, &data)) { deliver(l, out, &h, data); return 1; }
        if (atomic_load(&l->done)) {
            /* the thread's last records were published before done */
            if (pktring_peek(l->ring, &h, &data)) { deliver(l, out, &h, data); return 1; }
            if (l->failed) { snprintf(err, errlen, "%s", l->err); return -1; }
            return 0;
        }
        int wait = SAFETY_POLL_MS;
        if (deadline && !atomic_load(&l->stop)) {      /* stopping: wait for the thread */
            int64_t left = deadline - now_ms();
            if (left <= 0) return timeout_pkt(l, out);
            if (left < wait) wait = (int)left;
        }
        atomic_store(&l->cons_waiting, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (pktring_used(l->ring) == 0 && !atomic_load(&l->done)) {
            struct pollfd pf = { .fd = l->data_efd, .events = POLLIN };
            poll(&pf, 1, wait);
        }
        atomic_store(&l->cons_waiting, 0);
        drain(l->data_efd);
    }
}

/* No ring: read libpcap here (the kernel buffer is the only buffer). */
static int next_direct(struct live *l, struct capture_pkt *out, char *err, size_t errlen)
{
    int64_t deadline = l->timeout_ms > 0 ? now_ms() + l->timeout_ms : 0;
    for (;;) {
        if (atomic_load(&l->stop)) return 0;
        struct pcap_pkthdr *h;
        const u_char *data;
        int r = pcap_next_ex(l->p, &h, &data);
        if (r == 1) {
            out->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
            out->caplen = h->caplen;
            out->wirelen = h->len;
            out->dlt = l->lt;
            out->data = data;
            l->captured_direct++;
            l->delivered++;
            if (h->caplen < h->len) l->truncated_direct++;
            return 1;
        }
        if (r == PCAP_ERROR_BREAK) return 0;
        if (r != 0) {
            snprintf(err, errlen, "%s: %s", l->name, pcap_geterr(l->p));
            return -1;
        }
        if (l->pfd < 0) return timeout_pkt(l, out);     /* blocking handle timed out */
        int wait = -1;
        if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) return timeout_pkt(l, out);
            wait = (int)left;
        }
        struct pollfd pfd = { .fd = l->pfd, .events = POLLIN };
        int k = poll(&pfd, 1, wait);
        if (k == 0) return timeout_pkt(l, out);
        if (k < 0 && errno != EINTR) {
            snprintf(err, errlen, "%s: poll: %s", l->name, strerror(errno));
            return -1;
        }
        /* readable, or a signal: look again (and at stop) */
    }
}

int live_next(struct live *l, struct capture_pkt *out, char *err, size_t errlen)
{
    return l->ring ? next_ring(l, out, err, errlen) : next_direct(l, out, err, errlen);
}

void live_breakloop(struct live *l)
{
    atomic_store(&l->stop, 1);
    if (l->stop_efd >= 0) wake(l->stop_efd);
    if (l->data_efd >= 0) wake(l->data_efd);
    if (!l->ring) pcap_breakloop(l->p);
}

static void join(struct live *l)
{
    if (!l->thr_started || l->joined) return;
    live_breakloop(l);
    pthread_join(l->thr, NULL);
    l->joined = true;
}

void live_stats(struct live *l, struct capture_stats *st)
{
    memset(st, 0, sizeof *st);
    st->live = true;
    st->snaplen = l->snaplen;
    st->immediate = l->immediate;
    st->buffer_bytes = l->buffer_bytes;
    st->delivered = l->delivered;
    if (!l->ring) {
        struct pcap_stat s;
        if (pcap_stats(l->p, &s) == 0) {
            st->received = s.ps_recv;
            st->kernel_drops = s.ps_drop;
            st->if_drops = s.ps_ifdrop;
        }
        st->captured = l->captured_direct;
        st->truncated = l->truncated_direct;
        st->final = atomic_load(&l->stop) != 0;
        return;
    }
    if (atomic_load(&l->stop)) join(l);             /* final numbers */
    st->final = atomic_load(&l->done) != 0;
    st->ring_bytes = pktring_size(l->ring);
    st->captured = pktring_published(l->ring);
    pthread_mutex_lock(&l->mu);
    if (l->ps_ok) {
        st->received = l->ps.ps_recv;
        st->kernel_drops = l->ps.ps_drop;
        st->if_drops = l->ps.ps_ifdrop;
    }
    st->ring_waits = l->ring_waits;
    st->ring_peak = l->ring_peak;
    st->truncated = l->truncated;
    pthread_mutex_unlock(&l->mu);
}

void live_close(struct live *l)
{
    if (!l) return;
    join(l);
    if (l->p) pcap_close(l->p);
    pktring_free(l->ring);
    if (l->data_efd >= 0) close(l->data_efd);
    if (l->space_efd >= 0) close(l->space_efd);
    if (l->stop_efd >= 0) close(l->stop_efd);
    pthread_mutex_destroy(&l->mu);
    free(l->name);
    free(l);
}
