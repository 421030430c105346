/* list.h - an intrusive doubly linked list.
 *
 * Embed a struct dlnode in what you link; a struct dlist is its head, tail
 * and count.  A node is in at most one list per embedded dlnode; unlinking
 * leaves it with prev == next == NULL.  dlist_entry() gets the container.
 */
#ifndef TCPFLOW_UTIL_LIST_H
#define TCPFLOW_UTIL_LIST_H

#include <stddef.h>

struct dlnode { struct dlnode *prev, *next; };
struct dlist { struct dlnode *head, *tail; size_t n; };

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
/* The struct holding node n, or NULL when n is NULL. */
#define dlist_entry(n, type, member) ((n) ? container_of(n, type, member) : (type *)NULL)

/* Link x at the tail of l (x must not be linked). */
static inline void dlist_append(struct dlist *l, struct dlnode *x)
{
    x->prev = l->tail;
    x->next = NULL;
    if (l->tail) l->tail->next = x; else l->head = x;
    l->tail = x;
    l->n++;
}

/* Link x at the head of l (x must not be linked). */
static inline void dlist_push(struct dlist *l, struct dlnode *x)
{
    x->prev = NULL;
    x->next = l->head;
    if (l->head) l->head->prev = x; else l->tail = x;
    l->head = x;
    l->n++;
}

/* Unlink x from l (x must be linked in l). */
static inline void dlist_unlink(struct dlist *l, struct dlnode *x)
{
    if (x->prev) x->prev->next = x->next; else l->head = x->next;
    if (x->next) x->next->prev = x->prev; else l->tail = x->prev;
    x->prev = x->next = NULL;
    l->n--;
}

/* Insert x (not linked) after at (linked in l; NULL: at the head). */
static inline void dlist_insert_after(struct dlist *l, struct dlnode *at, struct dlnode *x)
{
    if (!at) {
        dlist_push(l, x);
        return;
    }
    x->prev = at;
    x->next = at->next;
    if (at->next) at->next->prev = x; else l->tail = x;
    at->next = x;
    l->n++;
}

/* Move x (linked in l) to the tail. */
static inline void dlist_move_tail(struct dlist *l, struct dlnode *x)
{
    if (l->tail == x) return;
    dlist_unlink(l, x);
    dlist_append(l, x);
}

#endif
