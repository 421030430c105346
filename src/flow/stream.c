/* stream.c - see stream.h.
 *
 * Per flow (f->stream) we keep the next offset to give and the records
 * that arrived after a hole, sorted by offset.  Flows holding records are
 * in a list, oldest first, so the total cap gives up the oldest holes.
 */
#include "flow/stream.h"
#include "flow/flow.h"
#include "util/list.h"
#include "util/xalloc.h"

#include <string.h>

/* Bookkeeping charged per held record on top of its bytes. */
#define HELD_OVERHEAD 48u
/* Held records per flow at most (bounds the sorted insertion cost). */
#define MAX_HELD_RECORDS 4096u

struct held {
    struct held *next;
    uint64_t off;
    size_t n;
    int64_t ts;
    uint8_t data[];
};

struct sflow {
    struct flow *f;
    struct dlnode all;              /* every state of the view */
    struct dlnode hl;               /* states holding data, oldest first */
    bool in_hlist;
    uint64_t pos;                   /* next offset to give */
    struct held *head, *tail;       /* sorted by offset */
    size_t nheld;
    size_t held_bytes;              /* bytes + overhead */
};

struct stream {
    struct stream_config c;
    stream_data_fn data;
    stream_gap_fn gap;
    void *arg;
    struct dlist all;
    struct dlist holding;
    size_t held_total;
};

struct stream *stream_new(const struct stream_config *cfg, stream_data_fn data, stream_gap_fn gap, void *arg)
{
    struct stream *s = xcalloc(1, sizeof *s);
    s->c = *cfg;
    s->data = data;
    s->gap = gap;
    s->arg = arg;
    return s;
}

static struct held *pop_held(struct stream *s, struct sflow *sf)
{
    struct held *h = sf->head;
    sf->head = h->next;
    if (!sf->head) sf->tail = NULL;
    sf->nheld--;
    size_t cost = h->n + HELD_OVERHEAD;
    sf->held_bytes -= cost;
    s->held_total -= cost;
    if (!sf->head && sf->in_hlist) {
        dlist_unlink(&s->holding, &sf->hl);
        sf->in_hlist = false;
    }
    return h;
}

static void sflow_free(struct stream *s, struct sflow *sf)
{
    while (sf->head) free(pop_held(s, sf));
    dlist_unlink(&s->all, &sf->all);
    sf->f->stream = NULL;
    free(sf);
}

void stream_free(struct stream *s)
{
    if (!s) return;
    while (s->all.head) sflow_free(s, container_of(s->all.head, struct sflow, all));
    free(s);
}

/* Give what is held and now contiguous with what was given. */
static void release(struct stream *s, struct sflow *sf)
{
    while (sf->head && sf->head->off <= sf->pos) {
        struct held *h = pop_held(s, sf);
        s->data(s->arg, sf->f, h->off, h->data, h->n, h->ts);
        if (h->off + h->n > sf->pos) sf->pos = h->off + h->n;
        free(h);
    }
}

/* Give every held record in order, a gap before each hole. */
static void flush(struct stream *s, struct sflow *sf)
{
    while (sf->head) {
        struct held *h = pop_held(s, sf);
        if (h->off > sf->pos)
            s->gap(s->arg, sf->f, sf->pos, h->off - sf->pos, h->ts);
        s->data(s->arg, sf->f, h->off, h->data, h->n, h->ts);
        if (h->off + h->n > sf->pos) sf->pos = h->off + h->n;
        free(h);
    }
}

static void hold(struct stream *s, struct sflow *sf, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    struct held *h = xmalloc(sizeof *h + n);
    h->off = off;
    h->n = n;
    h->ts = ts;
    memcpy(h->data, p, n);
    h->next = NULL;
    if (!sf->tail || sf->tail->off <= off) {
        if (sf->tail) sf->tail->next = h; else sf->head = h;
        sf->tail = h;
    } else if (off < sf->head->off) {
        h->next = sf->head;
        sf->head = h;
    } else {
        struct held *q = sf->head;
        while (q->next && q->next->off <= off) q = q->next;
        h->next = q->next;
        q->next = h;
    }
    sf->nheld++;
    sf->held_bytes += n + HELD_OVERHEAD;
    s->held_total += n + HELD_OVERHEAD;
    if (!sf->in_hlist) {
        dlist_append(&s->holding, &sf->hl);
        sf->in_hlist = true;
    }
}

static struct sflow *state(struct stream *s, struct flow *f, uint64_t off)
{
    struct sflow *sf = f->stream;
    if (sf) return sf;
    sf = xcalloc(1, sizeof *sf);
    sf->f = f;
    /* Everything below the stream's end before this segment was given
     * already (a flow reopened after a timeout); never start after off. */
    sf->pos = f->rs.hi < off ? f->rs.hi : off;
    dlist_push(&s->all, &sf->all);
    f->stream = sf;
    return sf;
}

void stream_data(struct stream *s, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts_us)
{
    if (f->state != FLOW_OPEN && !f->stream) {
        /* late bytes of a finished flow: their hole was given already */
        if (n) s->data(s->arg, f, off, p, n, ts_us);
        return;
    }
    struct sflow *sf = state(s, f, off);
    if (n == 0) return;
    if (off <= sf->pos) {
        s->data(s->arg, f, off, p, n, ts_us);
        if (off + n > sf->pos) sf->pos = off + n;
        release(s, sf);
        return;
    }
    hold(s, sf, off, p, n, ts_us);
    if (sf->held_bytes > s->c.max_held_flow || sf->nheld > MAX_HELD_RECORDS)
        flush(s, sf);
    while (s->held_total > s->c.max_held_total && s->holding.head)
        flush(s, container_of(s->holding.head, struct sflow, hl));
}

void stream_prepend(struct stream *s, struct flow *f, uint64_t n)
{
    struct sflow *sf = f->stream;
    (void)s;
    if (!sf) return;
    sf->pos += n;
    for (struct held *h = sf->head; h; h = h->next) h->off += n;
}

void stream_flow_end(struct stream *s, struct flow *f)
{
    struct sflow *sf = f->stream;
    if (!sf) return;
    flush(s, sf);
    sflow_free(s, sf);
}
