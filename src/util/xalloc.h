/* xalloc.h - allocation that aborts with a message when memory runs out.
 * Growth is bounded by caps elsewhere; running out here is an environment
 * failure, not an input error. */
#ifndef TCPFLOW_XALLOC_H
#define TCPFLOW_XALLOC_H
#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* Make room for need bytes in p (*cap bytes now): *cap doubles from first
 * (or its current value) until it holds need; returns the block, moved or not. */
void *xgrow(void *p, size_t *cap, size_t need, size_t first);

#endif
