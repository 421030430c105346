/* dfxml_int.h - what the parts of the report writer share (dfxml.c: the
 * file, opening, closing and recovery; dfxml_text.c: escaping and times;
 * dfxml_write.c: element helpers and the header; dfxml_fileobject.c: one
 * <fileobject> per flow).  Not for use outside src/report/. */
#ifndef TCPFLOW_REPORT_DFXML_INT_H
#define TCPFLOW_REPORT_DFXML_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <libxml/xmlwriter.h>
#include "report/dfxml.h"

struct dfxml {
    int fd;
    int own_fd;
    int is_reg;                 /* regular file: can be cut back with ftruncate */
    int failed;                 /* sticky: the writer's output is no longer trusted */
    int dead;                   /* the write callback refuses every byte */
    int io_errno;               /* errno of the first failed write, 0 if none */
    volatile int signalled;     /* dfxml_close_on_signal() ended the file */
    volatile int in_write;      /* inside write(): 'written' may lag behind */
    volatile int64_t written;   /* file offset after the last byte written */
    volatile int64_t committed; /* offset after the last complete element, -1 if none */
    int64_t last_end;           /* logical offset after the newest fileobject */
    xmlOutputBufferPtr out;     /* the writer's buffer (owned by w) */
    int no_raw;                 /* tests: always element by element */
    time_t commit_sec;          /* monotonic second of the last flush */
    uint64_t n_objects;         /* fileobjects written (flushed in batches) */
    uint64_t n_lost;            /* fileobjects refused or cut after a failure */
    int64_t start_us;           /* run start (wall clock) */
    int64_t open_us;            /* dfxml_open() time (wall clock) */
    struct timespec open_mono;  /* dfxml_open() time (monotonic) */
    xmlTextWriterPtr w;         /* owns its xmlOutputBuffer */
    char *label;                /* the path, or "report", for messages */
    char err[512];
};

#define DFXML_BATCH (64 * 1024)   /* bytes of fileobjects held before a flush */

struct errguard {
    xmlStructuredErrorFunc fn;
    void *ctx;
};

void dx_commit(struct dfxml *x);
void dx_fail(struct dfxml *x);
void dx_guard_off(struct errguard g);
struct errguard dx_guard_on(struct dfxml *x);
char *dx_format_time(char *buf, size_t len, int64_t us, int with_frac);
int dx_needs_escape(const char *str);
char *dx_u64dec(char *b, uint64_t v);
void w_attr(struct dfxml *x, const char *name, const char *value);
void w_attr_u64(struct dfxml *x, const char *name, uint64_t v);
void w_elem(struct dfxml *x, const char *name, const char *text);
void w_elem_any(struct dfxml *x, const char *name, const char *attr, const char *aval, const char *text);
void w_elem_u64(struct dfxml *x, const char *name, uint64_t v);
void w_end(struct dfxml *x);
void w_fragment(struct dfxml *x, const char *frag, const char *invalid_name);
void w_header(struct dfxml *x, const struct dfxml_run *run);
void w_start(struct dfxml *x, const char *name);
void w_text(struct dfxml *x, const char *text);

#endif
