/* dispatch.c - see dispatch.h.
 *
 * One single-producer single-consumer queue per worker: the reader writes
 * events, the worker reads them.  Positions are monotonic counters; the
 * waiting side sleeps on a condition variable after setting a flag that
 * the other side checks (sequentially consistent, so a wake-up is never
 * lost).  Payload copies go to a per-worker byte ring (the arena), freed
 * in order as the worker finishes the events that use them.
 */
#include "flow/dispatch.h"
#include "flow/flow.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

enum { EV_DATA, EV_PREPEND, EV_STREAM, EV_GAP, EV_CLOSE, EV_RELEASE, EV_CONN_RELEASE, EV_STOP };

/* What consumers may read of a flow that changes while it lives. */
struct snap {
    uint64_t hi, fin_off, packets;
    int64_t last_us;
    uint8_t state, end;
    bool client, syn_seen, fin_seen;
};

struct ev {
    uint8_t type;
    bool again;                 /* EV_CLOSE */
    bool owned;                 /* p was malloc'd for this event */
    int8_t join;                /* the flow's first event: its index in its connection (-1: none) */
    struct snap s;
    struct flow *f;             /* the worker's copy */
    const uint8_t *p;
    uint64_t off, len;
    int64_t ts;
    uint64_t arena_end;         /* arena position freed once handled (0: none) */
    uint64_t seq;               /* EV_RELEASE */
    struct conn *cn;            /* EV_CONN_RELEASE */
    struct flow_summary *rec;   /* EV_RELEASE */
};

struct worker {
    struct dispatch *d;
    pthread_t th;
    bool started;
    struct ev *q;
    size_t qcap;                        /* power of two */
    _Atomic uint64_t qhead, qtail;      /* published by the reader; taken by the worker */
    uint64_t qnext;                     /* the reader's next slot (published in batches) */
    const uint8_t **sptr;               /* the stable payload of each queued event, or NULL (the reader's) */
    uint8_t *arena;
    size_t acap;
    uint64_t awrite;                    /* the reader's position */
    _Atomic uint64_t afree;             /* freed up to here */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_room;
    atomic_int sleeping, waiting;       /* the worker waits for events; the reader for room */
    struct flow_consumer *cons[FLOW_SLOTS];
    unsigned ncons, placed, stream;     /* masks */
};

struct dispatch {
    struct dispatch_config cfg;
    struct flow_consumer fc;
    struct flow_consumer_ops ops;
    struct worker *w;
    const uint8_t *stable_lo, *stable_hi;
    _Atomic(char *) error;
    conntrack_done_fn done;
    void *done_arg;
    /* released records, put back in release order */
    pthread_mutex_t smu;
    pthread_cond_t scv;
    struct flow_summary **win;
    size_t wcap;
    _Atomic uint64_t next_seq;          /* the next record to hand on (written under smu) */
    uint64_t nrel;                      /* records released by the tracker (reader) */
    atomic_int reader_waits;            /* for a place in the window */
};

/* The worker's copy of a flow is a plain struct flow; its record, made at
 * release, travels in the event and goes once handed on. */

/* The dispatcher's state in the tracker: per flow, the copy (its worker
 * is the flow's hash modulo the workers); per connection: */
struct dconn {
    struct conn *copy;
    unsigned w;
};

static size_t pow2(size_t n)
{
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

/* ---- the queue ---- */

static void wake(struct worker *w, atomic_int *flag, pthread_cond_t *cv)
{
    if (atomic_load(flag)) {
        pthread_mutex_lock(&w->mu);
        pthread_cond_broadcast(cv);
        pthread_mutex_unlock(&w->mu);
    }
}

/* The reader waits until ok(w) holds. */
static void wait_room(struct worker *w, bool (*ok)(struct worker *, size_t), size_t arg)
{
    if (ok(w, arg)) return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->waiting, 1);
    while (!ok(w, arg))
        pthread_cond_wait(&w->cv_room, &w->mu);
    atomic_store(&w->waiting, 0);
    pthread_mutex_unlock(&w->mu);
}

static bool queue_empty(struct worker *w, size_t n)
{
    (void)n;
    return atomic_load(&w->qtail) == atomic_load(&w->qhead);
}

#define BATCH 64                        /* events published at once */

/* Make what the reader wrote visible to the worker, and wake it. */
static void publish(struct worker *w)
{
    if (atomic_load_explicit(&w->qhead, memory_order_relaxed) == w->qnext) return;
    atomic_store(&w->qhead, w->qnext);
    wake(w, &w->sleeping, &w->cv_work);
}

static bool queue_slot(struct worker *w, size_t n)
{
    (void)n;
    return w->qnext - atomic_load(&w->qtail) < w->qcap;
}

/* Room for a quarter of the queue (the reader, once full, waits that long). */
static bool queue_quarter(struct worker *w, size_t n)
{
    (void)n;
    return w->qnext - atomic_load(&w->qtail) <= w->qcap - w->qcap / 4;
}

static void push(struct worker *w, const struct ev *e)
{
    if (!queue_slot(w, 0)) {
        publish(w);                     /* the worker must see what it is to take */
        wait_room(w, queue_quarter, 0);
    }
    w->q[w->qnext & (w->qcap - 1)] = *e;
    w->sptr[w->qnext & (w->qcap - 1)] =
        e->p && !e->owned && !e->arena_end && e->len && w->d->stable_lo ? e->p : NULL;
    w->qnext++;
    if (w->qnext - atomic_load_explicit(&w->qhead, memory_order_relaxed) >= BATCH) publish(w);
}

static bool arena_room(struct worker *w, size_t end)
{
    return end - atomic_load(&w->afree) <= w->acap;
}

/* n bytes of p for worker w: by pointer when stable, else a copy in the
 * arena (or, past half the arena, on the heap: *owned). */
static const uint8_t *carry(struct dispatch *d, struct worker *w, const uint8_t *p, size_t n, uint64_t *end,
                            bool *owned)
{
    *end = 0;
    *owned = false;
    if (n == 0 || (p >= d->stable_lo && p + n <= d->stable_hi && d->stable_lo))
        return p;
    if (n > w->acap / 2) {
        uint8_t *c = xmalloc(n);
        memcpy(c, p, n);
        *owned = true;
        return c;
    }
    uint64_t at = w->awrite;
    size_t phys = at & (w->acap - 1);
    if (phys + n > w->acap) at += w->acap - phys;       /* no wrap inside a payload */
    if (!arena_room(w, at + n)) publish(w);
    wait_room(w, arena_room, at + n);
    uint8_t *c = w->arena + (at & (w->acap - 1));
    memcpy(c, p, n);
    w->awrite = at + n;
    *end = at + n;
    return c;
}

/* ---- the worker ---- */

/* A short pause while spinning. */
static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void apply(struct flow *c, const struct snap *s)
{
    c->rs.hi = s->hi;
    c->rs.fin_off = s->fin_off;
    c->packets = s->packets;
    c->last_us = s->last_us;
    c->state = (enum flow_state)s->state;
    c->end = (enum flow_end)s->end;
    c->client = s->client;
    c->rs.syn_seen = s->syn_seen;
    c->rs.fin_seen = s->fin_seen;
}

static void note_error(struct worker *w)
{
    struct dispatch *d = w->d;
    if (atomic_load(&d->error)) return;
    for (unsigned i = 0; i < w->ncons; i++) {
        const char *e = w->cons[i]->ops->error ? w->cons[i]->ops->error(w->cons[i]) : NULL;
        char *none = NULL;
        if (e) {
            char *copy = xstrdup(e);
            if (!atomic_compare_exchange_strong(&d->error, &none, copy)) free(copy);
            return;
        }
    }
}

/* Hand released records on in release order. */
static void sequence(struct dispatch *d, struct flow_summary *rec, uint64_t seq)
{
    pthread_mutex_lock(&d->smu);
    d->win[seq % d->wcap] = rec;
    struct flow_summary *r;
    uint64_t next = atomic_load(&d->next_seq);
    while ((r = d->win[next % d->wcap])) {
        d->win[next % d->wcap] = NULL;
        if (d->done) d->done(d->done_arg, r);
        flowsum_release(r);
        free(r);
        atomic_store(&d->next_seq, ++next);
    }
    if (atomic_load(&d->reader_waits)) pthread_cond_broadcast(&d->scv);
    pthread_mutex_unlock(&d->smu);
}

static void release(struct worker *w, struct ev *e)
{
    struct flow *f = e->f;
    for (unsigned i = 0; i < w->ncons; i++)
        if (w->cons[i]->ops->release)
            w->cons[i]->ops->release(w->cons[i], f, e->rec);
    if (f->conn) {
        if (f->conn->dir[0] == f) f->conn->dir[0] = NULL;
        if (f->conn->dir[1] == f) f->conn->dir[1] = NULL;
    }
    free(f);
    sequence(w->d, e->rec, e->seq);            /* frees the record once handed on */
}

static void handle(struct worker *w, struct ev *e)
{
    if (e->f) apply(e->f, &e->s);
    if (e->f && e->join >= 0) e->f->conn->dir[e->join] = e->f;
    for (unsigned i = 0; i < w->ncons; i++) {
        struct flow_consumer *c = w->cons[i];
        const struct flow_consumer_ops *o = c->ops;
        switch (e->type) {
        case EV_DATA: if (w->placed & (1u << i)) o->data(c, e->f, e->off, e->p, e->len, e->ts); break;
        case EV_PREPEND: if (w->placed & (1u << i) && o->prepend) o->prepend(c, e->f, e->off); break;
        case EV_STREAM: if (w->stream & (1u << i) && o->stream) o->stream(c, e->f, e->off, e->p, e->len, e->ts); break;
        case EV_GAP: if (w->stream & (1u << i) && o->gap) o->gap(c, e->f, e->off, e->len, e->ts); break;
        case EV_CLOSE: if (o->close) o->close(c, e->f, e->again); break;
        case EV_CONN_RELEASE: if (o->conn_release) o->conn_release(c, e->cn); break;
        default: break;
        }
    }
    if (e->type == EV_RELEASE) release(w, e);
    if (e->type == EV_CONN_RELEASE) free(e->cn);
    if (e->owned) free((void *)(uintptr_t)e->p);
    note_error(w);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        uint64_t t = atomic_load_explicit(&w->qtail, memory_order_relaxed);
        for (int spin = 0; spin < 2000 && atomic_load(&w->qhead) == t; spin++)
            relax();
        if (atomic_load(&w->qhead) == t) {
            pthread_mutex_lock(&w->mu);
            atomic_store(&w->sleeping, 1);
            while (atomic_load(&w->qhead) == t)
                pthread_cond_wait(&w->cv_work, &w->mu);
            atomic_store(&w->sleeping, 0);
            pthread_mutex_unlock(&w->mu);
        }
        struct ev e = w->q[t & (w->qcap - 1)];
        bool stop = e.type == EV_STOP;
        if (!stop) handle(w, &e);
        if (e.arena_end) atomic_store(&w->afree, e.arena_end);
        atomic_store(&w->qtail, t + 1);
        /* a waiting reader is woken once a quarter of the queue is free
         * again (or all of it), not for every event: no ping-pong */
        if (((t + 1) & (w->qcap / 4 - 1)) == 0 || t + 1 == atomic_load(&w->qhead))
            wake(w, &w->waiting, &w->cv_room);
        if (stop) return NULL;
    }
}

/* ---- the dispatcher as the tracker's consumer ---- */

static struct dispatch *disp_of(struct flow_consumer *c) { return c->self; }

static void snap_of(const struct flow *f, struct snap *s)
{
    s->hi = f->rs.hi;
    s->fin_off = f->rs.fin_off;
    s->packets = f->packets;
    s->last_us = f->last_us;
    s->state = (uint8_t)f->state;
    s->end = (uint8_t)f->end;
    s->client = f->client;
    s->syn_seen = f->rs.syn_seen;
    s->fin_seen = f->rs.fin_seen;
}

/* The copy's pointer in the tracker's slot; bit 0: the worker has seen it. */
#define SENT ((uintptr_t)1)

static unsigned worker_of(const struct dispatch *d, const struct flow *f) { return f->hash % d->cfg.workers; }

/* f's copy for its worker, made at its first event: the tracker's fields
 * and none of its links; its connection is the worker's copy of f's. */
static struct flow *copy_of(struct dispatch *d, struct flow *f)
{
    unsigned k = d->fc.slot;
    uintptr_t v = (uintptr_t)f->slot[k];
    if (v) return (struct flow *)(v & ~SENT);
    struct flow *c = xmalloc(sizeof *c);
    memcpy(c, f, sizeof *c);
    memset(&c->hn, 0, sizeof c->hn);
    memset(&c->ln, 0, sizeof c->ln);
    memset(c->slot, 0, sizeof c->slot);
    c->stream = NULL;
    c->rs.r = NULL;
    c->rs.nr = c->rs.cap = 0;
    c->conn = NULL;
    if (f->conn) {
        struct dconn *dc = f->conn->slot[k];
        if (!dc) {
            dc = xcalloc(1, sizeof *dc);
            dc->copy = xcalloc(1, sizeof *dc->copy);
            dc->copy->id = f->conn->id;
            dc->w = worker_of(d, f);      /* both directions hash alike */
            f->conn->slot[k] = dc;
        }
        c->conn = dc->copy;             /* the worker links it in (ev.join) */
    }
    f->slot[k] = c;
    return c;
}

static void send(struct dispatch *d, struct flow *f, struct ev *e)
{
    unsigned k = d->fc.slot;
    e->f = copy_of(d, f);
    e->join = -1;
    if (!((uintptr_t)f->slot[k] & SENT)) {
        f->slot[k] = (void *)((uintptr_t)f->slot[k] | SENT);
        if (f->conn) e->join = (int8_t)flow_dir(f);
    }
    snap_of(f, &e->s);
    push(&d->w[worker_of(d, f)], e);
}

static void send_bytes(struct dispatch *d, struct flow *f, int type, uint64_t off, const uint8_t *p, size_t n,
                       int64_t ts)
{
    struct ev e = { .type = (uint8_t)type, .off = off, .len = n, .ts = ts };
    e.p = carry(d, &d->w[worker_of(d, f)], p, n, &e.arena_end, &e.owned);
    send(d, f, &e);
}

static int d_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    send_bytes(disp_of(c), f, EV_DATA, off, p, n, ts);
    return 0;
}

static int d_prepend(struct flow_consumer *c, struct flow *f, uint64_t n)
{
    struct ev e = { .type = EV_PREPEND, .off = n };
    send(disp_of(c), f, &e);
    return 0;
}

static void d_stream(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    send_bytes(disp_of(c), f, EV_STREAM, off, p, n, ts);
}

static void d_gap(struct flow_consumer *c, struct flow *f, uint64_t off, uint64_t len, int64_t ts)
{
    struct ev e = { .type = EV_GAP, .off = off, .len = len, .ts = ts };
    send(disp_of(c), f, &e);
}

static void d_close(struct flow_consumer *c, struct flow *f, bool again)
{
    struct ev e = { .type = EV_CLOSE, .again = again };
    send(disp_of(c), f, &e);
}

static bool window_room(struct dispatch *d, uint64_t seq)
{
    return seq - atomic_load(&d->next_seq) < d->wcap;
}

static void d_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    struct dispatch *d = disp_of(c);
    struct ev e = { .type = EV_RELEASE, .seq = d->nrel++ };
    e.rec = xmalloc(sizeof *e.rec);
    *e.rec = *rec;                     /* what the tracker knows; the workers add the rest */
    rec->filename = NULL;
    rec->scanner_xml = NULL;
    rec->xml_len = rec->xml_cap = 0;
    if (!window_room(d, e.seq)) {
        for (unsigned i = 0; i < d->cfg.workers; i++) publish(&d->w[i]);   /* they must see the older ones */
        pthread_mutex_lock(&d->smu);
        atomic_store(&d->reader_waits, 1);
        while (e.seq - atomic_load(&d->next_seq) >= d->wcap - d->wcap / 4)   /* a quarter free */
            pthread_cond_wait(&d->scv, &d->smu);
        atomic_store(&d->reader_waits, 0);
        pthread_mutex_unlock(&d->smu);
    }
    send(d, f, &e);
    f->slot[c->slot] = NULL;
}

static void d_conn_release(struct flow_consumer *c, struct conn *cn)
{
    struct dispatch *d = disp_of(c);
    struct dconn *dc = cn->slot[c->slot];
    if (!dc) return;
    cn->slot[c->slot] = NULL;
    struct ev e = { .type = EV_CONN_RELEASE, .cn = dc->copy };
    push(&d->w[dc->w], &e);
    free(dc);
}

static const char *d_error(struct flow_consumer *c)
{
    return atomic_load(&disp_of(c)->error);
}

/* ---- construction ---- */

struct dispatch *dispatch_new(const struct dispatch_config *cfg)
{
    struct dispatch *d = xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    if (d->cfg.workers < 1) d->cfg.workers = 1;
    d->wcap = cfg->release_window ? cfg->release_window : 4096;
    d->win = xcalloc(d->wcap, sizeof *d->win);
    pthread_mutex_init(&d->smu, NULL);
    pthread_cond_init(&d->scv, NULL);
    d->w = xcalloc(d->cfg.workers, sizeof *d->w);
    for (unsigned i = 0; i < d->cfg.workers; i++) {
        struct worker *w = &d->w[i];
        w->d = d;
        w->qcap = pow2(cfg->queue_events ? cfg->queue_events : 65536);
        w->q = xcalloc(w->qcap, sizeof *w->q);
        w->sptr = xcalloc(w->qcap, sizeof *w->sptr);
        w->acap = pow2(cfg->arena_bytes ? cfg->arena_bytes : 8u << 20);
        w->arena = xmalloc(w->acap);
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv_work, NULL);
        pthread_cond_init(&w->cv_room, NULL);
    }
    d->ops.data = d_data;
    d->ops.prepend = d_prepend;
    d->ops.stream = d_stream;
    d->ops.gap = d_gap;
    d->ops.close = d_close;
    d->ops.release = d_release;
    d->ops.conn_release = d_conn_release;
    d->ops.error = d_error;
    d->fc.ops = &d->ops;
    d->fc.self = d;
    return d;
}

bool dispatch_add_consumer(struct dispatch *d, unsigned wi, struct flow_consumer *c)
{
    struct worker *w = &d->w[wi];
    if (w->ncons >= FLOW_SLOTS) return false;
    c->slot = w->ncons;
    w->cons[w->ncons] = c;
    if (c->ops->wants & FC_PLACED) w->placed |= 1u << w->ncons;
    if (c->ops->wants & FC_STREAM) w->stream |= 1u << w->ncons;
    w->ncons++;
    d->ops.wants |= c->ops->wants;       /* the tracker gives what some consumer wants */
    return true;
}

void dispatch_set_done(struct dispatch *d, conntrack_done_fn fn, void *arg)
{
    d->done = fn;
    d->done_arg = arg;
}

struct flow_consumer *dispatch_consumer(struct dispatch *d) { return &d->fc; }

const char *dispatch_error(struct dispatch *d) { return atomic_load(&d->error); }

bool dispatch_start(struct dispatch *d)
{
    /* signals are the reader's to take (SIGINT stops the input): the
     * workers start with every signal blocked */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    bool ok = true;
    for (unsigned i = 0; i < d->cfg.workers && ok; i++) {
        ok = pthread_create(&d->w[i].th, NULL, worker_main, &d->w[i]) == 0;
        d->w[i].started = ok;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

void dispatch_flush(struct dispatch *d)
{
    for (unsigned i = 0; i < d->cfg.workers; i++)
        if (d->w[i].started) publish(&d->w[i]);
}

void dispatch_drain(struct dispatch *d)
{
    dispatch_flush(d);
    for (unsigned i = 0; i < d->cfg.workers; i++)
        if (d->w[i].started) wait_room(&d->w[i], queue_empty, 0);
}

const uint8_t *dispatch_stable_low(struct dispatch *d)
{
    const uint8_t *low = NULL;
    for (unsigned i = 0; i < d->cfg.workers; i++) {
        struct worker *w = &d->w[i];
        /* a worker's stable payloads come in capture order: its first is its lowest */
        for (uint64_t k = atomic_load(&w->qtail); k < w->qnext; k++) {
            const uint8_t *p = w->sptr[k & (w->qcap - 1)];
            if (p) {
                if (!low || p < low) low = p;
                break;
            }
        }
    }
    return low;
}

void dispatch_set_stable(struct dispatch *d, const uint8_t *lo, const uint8_t *hi)
{
    if (d->stable_lo) dispatch_drain(d);   /* nothing in flight points into the old range */
    d->stable_lo = lo;
    d->stable_hi = hi;
}

void dispatch_free(struct dispatch *d)
{
    if (!d) return;
    for (unsigned i = 0; i < d->cfg.workers; i++) {
        struct worker *w = &d->w[i];
        if (w->started) {
            struct ev e = { .type = EV_STOP };
            push(w, &e);
            publish(w);
            pthread_join(w->th, NULL);
        }
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv_work);
        pthread_cond_destroy(&w->cv_room);
        free(w->q);
        free(w->sptr);
        free(w->arena);
    }
    free(d->w);
    for (size_t i = 0; i < d->wcap; i++)
        if (d->win[i]) { flowsum_release(d->win[i]); free(d->win[i]); }
    free(d->win);
    pthread_mutex_destroy(&d->smu);
    pthread_cond_destroy(&d->scv);
    free(atomic_load(&d->error));
    free(d);
}
