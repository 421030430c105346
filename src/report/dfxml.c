/* dfxml.c - the DFXML run report; see dfxml.h and docs/internals/report.md.
 *
 * Bytes go through an xmlOutputBuffer whose write callback is ours, so we
 * know exactly how many bytes reached the descriptor and when a write
 * failed (errno).  'committed' is the file offset just after the last
 * complete element at a safe point (end of the header, end of a
 * fileobject): everything up to it is well-formed except for the missing
 * "</dfxml>", which is what the recovery paths rely on.
 */
#include "report/dfxml_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "util/xalloc.h"


/* ---- output plumbing ------------------------------------------------- */

static int out_write(void *ctx, const char *buf, int len)
{
    struct dfxml *x = ctx;
    if (x->dead || len < 0)
        return -1;
    int done = 0;
    while (done < len) {
        x->in_write = 1;
        ssize_t n = write(x->fd, buf + done, (size_t)(len - done));
        if (n > 0)
            x->written += n;
        x->in_write = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            x->io_errno = n < 0 ? errno : EIO;
            x->dead = 1;
            return -1;
        }
        done += (int)n;
    }
    return len;
}

static int out_close(void *ctx)
{
    (void)ctx;                  /* the descriptor is closed by dfxml_close() */
    return 0;
}

/* libxml2 reports I/O failures through its error channel; keep them off
 * stderr and remember the first one for dfxml_error(). */
static void quiet_error(void *ctx, xmlErrorPtr e)
{
    struct dfxml *x = ctx;
    if (x && e && e->message && !x->err[0]) {
        snprintf(x->err, sizeof x->err, "%s: %s", x->label, e->message);
        size_t n = strlen(x->err);
        while (n && (x->err[n - 1] == '\n' || x->err[n - 1] == ' '))
            x->err[--n] = 0;
    }
}


struct errguard dx_guard_on(struct dfxml *x)
{
    struct errguard g = { xmlStructuredError, xmlStructuredErrorContext };
    xmlSetStructuredErrorFunc(x, quiet_error);
    return g;
}

void dx_guard_off(struct errguard g)
{
    xmlSetStructuredErrorFunc(g.ctx, g.fn);
}

void dx_fail(struct dfxml *x)
{
    if (!x->failed) {
        x->failed = 1;
        if (x->io_errno)
            snprintf(x->err, sizeof x->err, "%s: write failed: %s", x->label,
                     strerror(x->io_errno));
        else if (!x->err[0])
            snprintf(x->err, sizeof x->err, "%s: XML writer error", x->label);
    }
}

static xmlTextWriterPtr new_writer(struct dfxml *x)
{
    xmlOutputBufferPtr out = xmlOutputBufferCreateIO(out_write, out_close, x, NULL);
    if (!out)
        return NULL;
    x->out = out;
    xmlTextWriterPtr w = xmlNewTextWriter(out);
    if (!w) {
        xmlOutputBufferClose(out);
        return NULL;
    }
    if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
        xmlTextWriterSetQuoteChar(w, '\'') < 0) {
        xmlFreeTextWriter(w);
        return NULL;
    }
    return w;
}

/* Flush everything to the descriptor; on success the current offset is a
 * safe point. */
void dx_commit(struct dfxml *x)
{
    if (!x->failed && xmlTextWriterFlush(x->w) < 0)
        dx_fail(x);
    if (!x->failed)
        x->committed = x->last_end = x->written;
}

static struct dfxml *open_common(int fd, int own_fd, const char *label,
                                 const struct dfxml_run *run, char *err, size_t errlen)
{
    static const struct dfxml_run none;
    if (!run)
        run = &none;
    xmlInitParser();
    struct dfxml *x = xcalloc(1, sizeof *x);
    x->fd = fd;
    x->own_fd = own_fd;
    x->label = xstrdup(label);
    x->committed = -1;
    struct stat st;
    x->is_reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    off_t here = lseek(fd, 0, SEEK_CUR);
    x->written = here > 0 ? (int64_t)here : 0;
    x->start_us = run->start_us;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    x->open_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    clock_gettime(CLOCK_MONOTONIC, &x->open_mono);

    struct errguard g = dx_guard_on(x);
    x->w = new_writer(x);
    if (!x->w) {
        snprintf(x->err, sizeof x->err, "%s: cannot create the XML writer", x->label);
        x->failed = 1;
    } else {
        w_header(x, run);
        dx_commit(x);
    }
    dx_guard_off(g);
    if (x->failed) {
        if (err && errlen)
            snprintf(err, errlen, "%s", x->err);
        x->dead = 1;
        if (x->w)
            xmlFreeTextWriter(x->w);
        if (own_fd)
            close(fd);
        free(x->label);
        free(x);
        return NULL;
    }
    return x;
}

struct dfxml *dfxml_open_fd(int fd, int own_fd, const struct dfxml_run *run,
                            char *err, size_t errlen)
{
    if (fd < 0) {
        if (err && errlen)
            snprintf(err, errlen, "report: bad descriptor");
        return NULL;
    }
    return open_common(fd, own_fd, "report", run, err, errlen);
}

struct dfxml *dfxml_open(const char *path, const struct dfxml_run *run, char *err, size_t errlen)
{
    return dfxml_open_path(path, 0, run, err, errlen);
}

struct dfxml *dfxml_open_path(const char *path, int nofollow, const struct dfxml_run *run,
                              char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0), 0666);
    if (fd < 0) {
        if (err && errlen && nofollow && errno == ELOOP)
            snprintf(err, errlen, "%s: is a symbolic link, not writing the report through it", path);
        else if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    return open_common(fd, 1, path, run, err, errlen);
}

const char *dfxml_error(const struct dfxml *x)
{
    return x ? x->err : "";
}

int dfxml_flush(struct dfxml *x)
{
    if (!x || x->failed)
        return -1;
    struct errguard g = dx_guard_on(x);
    dx_commit(x);
    dx_guard_off(g);
    return x->failed ? -1 : 0;
}

void dfxml_set_raw(struct dfxml *x, int on)
{
    if (x)
        x->no_raw = !on;
}

int64_t dfxml_offset(const struct dfxml *x)
{
    if (!x || x->failed || !x->out)
        return -1;
    return x->written + (int64_t)xmlOutputBufferGetSize(x->out);
}

uint64_t dfxml_count(const struct dfxml *x)
{
    return x ? x->n_objects : 0;
}

/* ---- trailer --------------------------------------------------------- */

static void w_rusage(struct dfxml *x)
{
    struct rusage ru;
    char b[48];
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        memset(&ru, 0, sizeof ru);
    w_start(x, "rusage");
    snprintf(b, sizeof b, "%ld.%06ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
    w_elem(x, "utime", b);
    snprintf(b, sizeof b, "%ld.%06ld", (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    w_elem(x, "stime", b);
    snprintf(b, sizeof b, "%ld", ru.ru_maxrss);
    w_elem(x, "maxrss", b);
    snprintf(b, sizeof b, "%ld", ru.ru_minflt);
    w_elem(x, "minflt", b);
    snprintf(b, sizeof b, "%ld", ru.ru_majflt);
    w_elem(x, "majflt", b);
    snprintf(b, sizeof b, "%ld", ru.ru_nswap);
    w_elem(x, "nswap", b);
    snprintf(b, sizeof b, "%ld", ru.ru_inblock);
    w_elem(x, "inblock", b);
    snprintf(b, sizeof b, "%ld", ru.ru_oublock);
    w_elem(x, "oublock", b);
    /* wall time since the run started: monotonic since dfxml_open(), plus
     * the (wall clock) time between the run start and dfxml_open() */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t us = ((int64_t)now.tv_sec - x->open_mono.tv_sec) * 1000000 +
                 (now.tv_nsec - x->open_mono.tv_nsec) / 1000;
    if (x->start_us > 0 && x->open_us > x->start_us)
        us += x->open_us - x->start_us;
    if (us < 0)
        us = 0;
    snprintf(b, sizeof b, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
    w_elem(x, "clocktime", b);
    w_end(x);
}

/* <losses>: the totals as attributes (always), then the details that
 * are not zero (<capture> always for a live run). */
static void w_losses(struct dfxml *x, const struct dfxml_losses *l)
{
    uint64_t skipped = 0;
    for (size_t i = 0; i < l->n_skipped; i++)
        skipped += l->skipped[i].value;
    w_start(x, "losses");
    w_attr_u64(x, "dropped_packets", l->kernel_drops + l->if_drops);
    w_attr_u64(x, "missing_bytes", l->gap_bytes);
    w_attr_u64(x, "truncated_packets", l->truncated);
    w_attr_u64(x, "skipped", skipped);
    if (l->live) {
        const char *src = l->source ? l->source : "";
        char *esc = dfxml_escape(src);
        w_start(x, "capture");
        w_attr(x, "interface", esc ? esc : src);
        if (esc)
            w_attr(x, "escaped", "1");
        free(esc);
        w_attr_u64(x, "received", l->received);
        w_attr_u64(x, "kernel_drops", l->kernel_drops);
        w_attr_u64(x, "interface_drops", l->if_drops);
        w_attr_u64(x, "captured", l->captured);
        w_attr_u64(x, "processed", l->processed);
        w_attr_u64(x, "snaplen", l->snaplen);
        w_attr_u64(x, "buffer_bytes", l->buffer_bytes);
        w_attr_u64(x, "ring_bytes", l->ring_bytes);
        w_attr_u64(x, "ring_peak", l->ring_peak);
        w_attr_u64(x, "ring_waits", l->ring_waits);
        w_end(x);
    }
    if (l->gap_bytes) {
        w_start(x, "missing_bytes");
        w_attr_u64(x, "flows", l->gap_flows);
        w_attr_u64(x, "bytes", l->gap_bytes);
        w_attr_u64(x, "of", l->gap_stream_bytes);
        w_end(x);
    }
    if (l->truncated) {
        w_start(x, "truncated");
        w_attr_u64(x, "packets", l->truncated);
        w_attr_u64(x, "of", l->packets);
        w_end(x);
    }
    if (skipped) {
        w_start(x, "skipped");
        w_attr_u64(x, "count", skipped);
        for (size_t i = 0; i < l->n_skipped; i++) {
            if (!l->skipped[i].value)
                continue;
            w_start(x, "reason");
            w_attr_u64(x, "count", l->skipped[i].value);
            w_text(x, l->skipped[i].name ? l->skipped[i].name : "");
            w_end(x);
        }
        w_end(x);
    }
    w_end(x);
}

static void w_trailer(struct dfxml *x, const struct dfxml_end *end)
{
    w_start(x, "summary");
    w_fragment(x, end->summary_xml, "invalid_summary_xml");
    w_end(x);
    w_elem_u64(x, "open_fds_at_end", end->open_fds_at_end);
    w_elem_u64(x, "max_open_flows", end->max_open_flows);
    w_elem_u64(x, "total_flows", end->total_flows);
    w_elem_u64(x, "flow_map_size", end->flow_map_size);
    w_elem_u64(x, "total_packets", end->total_packets);
    w_rusage(x);
    if (end->n_counters && end->counters) {
        w_start(x, "counters");
        for (size_t i = 0; i < end->n_counters; i++) {
            const struct dfxml_counter *c = &end->counters[i];
            char b[24];
            snprintf(b, sizeof b, "%" PRIu64, c->value);
            w_elem_any(x, "counter", "name", c->name ? c->name : "", b);
        }
        w_end(x);
    }
    if (end->losses)
        w_losses(x, end->losses);
    w_elem_any(x, "run_status", NULL, NULL, end->status ? end->status : "unknown");
}

/* The trailer for recover(), rendered in memory as the end of a
 * "<dfxml>" document so that it is indented like the rest.  Returns a
 * malloc'd string starting after "<dfxml>\n", or NULL. */
static char *render_trailer(struct dfxml *x, const struct dfxml_end *end, const char *why)
{
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf)
        return NULL;
    xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
    if (!w) {
        xmlBufferFree(buf);
        return NULL;
    }
    char *res = NULL;
    x->w = w;
    x->failed = 0;
    x->io_errno = 0;
    if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
        xmlTextWriterSetQuoteChar(w, '\'') < 0)
        dx_fail(x);
    w_start(x, "dfxml");
    w_trailer(x, end);
    w_start(x, "report_error");
    w_attr_u64(x, "lost_fileobjects", x->n_lost);
    w_text(x, why);
    w_end(x);
    if (!x->failed && xmlTextWriterEndDocument(w) < 0)
        dx_fail(x);
    if (!x->failed && xmlTextWriterFlush(w) < 0)
        dx_fail(x);
    if (!x->failed) {
        const char *c = (const char *)xmlBufferContent(buf);
        const char *nl = c ? strchr(c, '\n') : NULL;
        if (nl)
            res = xstrdup(nl + 1);
    }
    xmlFreeTextWriter(w);
    x->w = NULL;
    xmlBufferFree(buf);
    return res;
}

/* Cut the file back to the last safe point and end it there.  Returns 0
 * if the file ends well-formed. */
static int recover(struct dfxml *x, const struct dfxml_end *end)
{
    char why[512];
    snprintf(why, sizeof why, "%s", x->err[0] ? x->err : "write failed");
    size_t ll = strlen(x->label);   /* drop the "<label>: " prefix */
    const char *reason = why + (!strncmp(why, x->label, ll) && !strncmp(why + ll, ": ", 2) ? ll + 2 : 0);
    x->dead = 1;                /* whatever the old writer still holds is dropped */
    if (x->w) {
        xmlFreeTextWriter(x->w);
        x->w = NULL;
    }
    if (x->committed < 0)
        return -1;
    if (x->written != x->committed) {
        if (!x->is_reg || ftruncate(x->fd, (off_t)x->committed) != 0 ||
            lseek(x->fd, (off_t)x->committed, SEEK_SET) < 0)
            return -1;
        x->written = x->committed;
    }
    char *t = render_trailer(x, end, reason);
    if (t) {
        x->dead = 0;
        size_t n = strlen(t);
        int ok = n < INT_MAX && out_write(x, t, (int)n) == (int)n;
        free(t);
        if (ok)
            return 0;
    }
    /* Not even that fitted: the shortest possible ending. */
    x->dead = 1;
    if (x->is_reg) {
        if (ftruncate(x->fd, (off_t)x->committed) == 0 &&
            pwrite(x->fd, "</dfxml>\n", 9, (off_t)x->committed) == 9)
            return 0;
    } else if (x->written == x->committed && write(x->fd, "</dfxml>\n", 9) == 9) {
        return 0;
    }
    return -1;
}

int dfxml_close(struct dfxml *x, const struct dfxml_end *end, char *err, size_t errlen)
{
    static const struct dfxml_end none;
    if (!x)
        return 0;
    if (!end)
        end = &none;
    if (err && errlen)
        err[0] = 0;
    int rc = 0;
    char msg[600];
    msg[0] = 0;
    struct errguard g = dx_guard_on(x);
    if (x->signalled) {         /* already ended by dfxml_close_on_signal() */
        x->failed = 0;
        goto done;
    }
    if (!x->failed) {
        w_trailer(x, end);
        if (!x->failed && xmlTextWriterEndDocument(x->w) < 0)
            dx_fail(x);
        dx_commit(x);
    }
    if (x->failed) {
        snprintf(msg, sizeof msg, "%s", x->err);
        if (recover(x, end) == 0)
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
                     "; %" PRIu64 " fileobject(s) lost", x->n_lost);
        else
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "; report left unterminated");
        rc = -1;
    }
done:
    x->dead = 1;
    if (x->w)
        xmlFreeTextWriter(x->w);
    dx_guard_off(g);
    if (x->own_fd && close(x->fd) != 0 && rc == 0) {
        snprintf(msg, sizeof msg, "%s: close: %s", x->label, strerror(errno));
        rc = -1;
    }
    if (rc && err && errlen)
        snprintf(err, errlen, "%s", msg);
    free(x->label);
    free(x);
    return rc;
}

/* ---- fatal signals --------------------------------------------------- */

int dfxml_close_on_signal(struct dfxml *x, int signo)
{
    if (!x || x->fd < 0)
        return -1;
    int64_t at = x->committed;
    if (at < 0)
        return -1;
    char buf[96];
    static const char a[] = "  <run_status>killed by signal ";
    static const char z[] = "</run_status>\n</dfxml>\n";
    size_t n = 0;
    memcpy(buf, a, sizeof a - 1);
    n += sizeof a - 1;
    char d[12];
    int nd = 0;
    unsigned v = signo < 0 ? 0u : (unsigned)signo;
    do {
        d[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && nd < (int)sizeof d);
    while (nd)
        buf[n++] = d[--nd];
    memcpy(buf + n, z, sizeof z - 1);
    n += sizeof z - 1;
    x->dead = 1;
    x->signalled = 1;
    if (x->is_reg) {
        if (ftruncate(x->fd, (off_t)at) != 0)
            return -1;
        return pwrite(x->fd, buf, n, (off_t)at) == (ssize_t)n ? 0 : -1;
    }
    if (x->in_write || x->written != at)
        return -1;
    return write(x->fd, buf, n) == (ssize_t)n ? 0 : -1;
}

