/* dfxml.c - the DFXML run report; see dfxml.h and docs/internals/report.md.
 *
 * Bytes go through an xmlOutputBuffer whose write callback is ours, so we
 * know exactly how many bytes reached the descriptor and when a write
 * failed (errno).  'committed' is the file offset just after the last
 * complete element at a safe point (end of the header, end of a
 * fileobject): everything up to it is well-formed except for the missing
 * "</dfxml>", which is what the recovery paths rely on.
 */
#include "report/dfxml.h"

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

#include "util/version.h"
#include "util/xalloc.h"

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

struct errguard {
    xmlStructuredErrorFunc fn;
    void *ctx;
};

static struct errguard guard_on(struct dfxml *x)
{
    struct errguard g = { xmlStructuredError, xmlStructuredErrorContext };
    xmlSetStructuredErrorFunc(x, quiet_error);
    return g;
}

static void guard_off(struct errguard g)
{
    xmlSetStructuredErrorFunc(g.ctx, g.fn);
}

static void fail(struct dfxml *x)
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
static void commit(struct dfxml *x)
{
    if (!x->failed && xmlTextWriterFlush(x->w) < 0)
        fail(x);
    if (!x->failed)
        x->committed = x->last_end = x->written;
}

/* ---- strings --------------------------------------------------------- */

static int is_cont(unsigned char c) { return c >= 0x80 && c <= 0xbf; }

/* Length (1-4) of the XML 1.0 character encoded in valid UTF-8 at s, or 0
 * when the byte at s must be escaped.  s is NUL-terminated, and a NUL is
 * never a continuation byte, so nothing past the terminator is read. */
static size_t xml_char_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return (c >= 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) ? 1 : 0;
    if (c >= 0xc2 && c <= 0xdf)
        return is_cont(s[1]) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        if (!(s[1] >= lo && s[1] <= hi && is_cont(s[2])))
            return 0;
        if (c == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
            return 0;           /* U+FFFE, U+FFFF are not XML characters */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        if (!(s[1] >= lo && s[1] <= hi && is_cont(s[2]) && is_cont(s[3])))
            return 0;
        return 4;
    }
    return 0;
}

static int needs_escape(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t n = xml_char_len(s);
        if (!n)
            return 1;
        s += n;
    }
    return 0;
}

char *dfxml_escape(const char *str)
{
    if (!str || !needs_escape(str))
        return NULL;
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    char *out = xmalloc(len * 4 + 1), *o = out;
    static const char hex[] = "0123456789abcdef";
    while (*s) {
        size_t n = *s == '\\' ? 0 : xml_char_len(s);
        if (*s == '\\') {
            *o++ = '\\';
            *o++ = '\\';
            s++;
        } else if (n) {
            memcpy(o, s, n);
            o += n;
            s += n;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[*s >> 4];
            *o++ = hex[*s & 15];
            s++;
        }
    }
    *o = 0;
    return out;
}

static void split_time(int64_t us, int64_t *sec, int64_t *frac)
{
    *sec = us / 1000000;
    *frac = us % 1000000;
    if (*frac < 0) {
        *frac += 1000000;
        *sec -= 1;
    }
}

static char *format_time(char *buf, size_t len, int64_t us, int with_frac)
{
    int64_t sec, frac;
    split_time(us, &sec, &frac);
    time_t t = (time_t)sec;
    struct tm tm;
    /* one gmtime and format per second of capture time: flows close in
     * bursts, and this runs for every fileobject */
    static int64_t cached_sec = INT64_MIN;
    static char cached[80];
    if (with_frac && len >= 28 && sec == cached_sec) {
        memcpy(buf, cached, 19);
        buf[19] = '.';
        for (int i = 25; i >= 20; i--) {
            buf[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        buf[26] = 'Z';
        buf[27] = 0;
        return buf;
    }
    if ((int64_t)t != sec || !gmtime_r(&t, &tm)) {
        snprintf(buf, len, "%" PRId64 ".%06" PRId64, sec, frac);
        return buf;
    }
    if (with_frac && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900) {
        int n = snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = n == 19 ? sec : INT64_MIN;
    }
    if (with_frac)
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    else
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

char *dfxml_time(char *buf, size_t len, int64_t us)
{
    return format_time(buf, len, us, 1);
}

/* ---- writer helpers: each is a no-op once x has failed --------------- */

static void w_start(struct dfxml *x, const char *name)
{
    if (!x->failed && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
        fail(x);
}

static void w_end(struct dfxml *x)
{
    if (!x->failed && xmlTextWriterEndElement(x->w) < 0)
        fail(x);
}

/* An attribute.  The writer does not escape ' in attribute values, so a
 * value holding one is quoted with " instead (the writer escapes "). */
static void w_attr(struct dfxml *x, const char *name, const char *value)
{
    if (x->failed)
        return;
    int dq = strchr(value, '\'') != NULL;
    if (dq)
        xmlTextWriterSetQuoteChar(x->w, '"');
    if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
        fail(x);
    if (dq)
        xmlTextWriterSetQuoteChar(x->w, '\'');
}

/* v in decimal into b (at least 21 bytes); returns b. */
static char *u64dec(char *b, uint64_t v)
{
    char t[21];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        b[i] = t[n - 1 - i];
    b[n] = 0;
    return b;
}

/* Text content; it must be valid (generated, or already escaped). */
static void w_text(struct dfxml *x, const char *text)
{
    if (!x->failed && *text && xmlTextWriterWriteString(x->w, BAD_CAST text) < 0)
        fail(x);
}

/* <name>text</name> for a generated, valid string. */
static void w_elem(struct dfxml *x, const char *name, const char *text)
{
    if (!x->failed && xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text) < 0)
        fail(x);
}

static void w_attr_u64(struct dfxml *x, const char *name, uint64_t v)
{
    char b[24];
    w_attr(x, name, u64dec(b, v));
}

static void w_elem_u64(struct dfxml *x, const char *name, uint64_t v)
{
    char b[24];
    w_elem(x, name, u64dec(b, v));
}

/* s in the escaped='1' convention, even when it needs no escaping (its
 * backslashes are then doubled).  Always a new string. */
static char *escape_always(const char *s)
{
    char *e = dfxml_escape(s);
    if (e)
        return e;
    char *t = xmalloc(strlen(s) * 2 + 1), *o = t;
    for (; *s; s++) {
        if (*s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = 0;
    return t;
}

/* <name [attr='aval'] [escaped='1']>text</name> for arbitrary strings: if
 * either needs escaping, both are written in the escaped form. */
static void w_elem_any(struct dfxml *x, const char *name, const char *attr, const char *aval,
                       const char *text)
{
    int esc = needs_escape(text) || (attr && needs_escape(aval));
    char *et = esc ? escape_always(text) : NULL;
    char *ea = esc && attr ? escape_always(aval) : NULL;
    w_start(x, name);
    if (attr)
        w_attr(x, attr, ea ? ea : aval);
    if (esc)
        w_attr(x, "escaped", "1");
    w_text(x, et ? et : text);
    w_end(x);
    free(et);
    free(ea);
}

/* ---- scanner fragments ----------------------------------------------- */

static void ignore_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* 1 if frag, put inside an element, keeps the document well-formed and
 * namespace-well-formed.  Entities are not substituted, nothing is
 * fetched, and the parse errors (expected) go nowhere. */
static int fragment_ok(const char *frag)
{
    size_t n = strlen(frag);
    if (n > INT_MAX / 2)
        return 0;
    struct errguard g = { xmlStructuredError, xmlStructuredErrorContext };
    xmlSetStructuredErrorFunc(NULL, ignore_error);
    xmlParserCtxtPtr c = xmlCreatePushParserCtxt(NULL, NULL, "<r>", 3, NULL);
    if (!c) {
        guard_off(g);
        return 0;
    }
    xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlParseChunk(c, frag, (int)n, 0);
    xmlParseChunk(c, "</r>", 4, 1);
    int ok = c->wellFormed && c->nsWellFormed;
    if (c->myDoc)
        xmlFreeDoc(c->myDoc);
    xmlFreeParserCtxt(c);
    guard_off(g);
    return ok;
}

/* The fragment as is when it is well-formed, else as escaped text in
 * <invalid_NAME>. */
static void w_fragment(struct dfxml *x, const char *frag, const char *invalid_name)
{
    if (!frag || !*frag || x->failed)
        return;
    if (fragment_ok(frag)) {
        /* The writer does not indent around raw text: start the fragment
         * on its own line at depth 2 and put the parent's end tag back at
         * depth 1.  Whitespace only, so purely cosmetic. */
        size_t n = strlen(frag);
        if (xmlTextWriterWriteRaw(x->w, BAD_CAST "    ") < 0 ||
            xmlTextWriterWriteRaw(x->w, BAD_CAST frag) < 0 ||
            (frag[n - 1] != '\n' && xmlTextWriterWriteRaw(x->w, BAD_CAST "\n") < 0) ||
            xmlTextWriterWriteRaw(x->w, BAD_CAST "  ") < 0)
            fail(x);
    } else {
        w_elem_any(x, invalid_name, NULL, NULL, frag);
    }
}

/* ---- header ---------------------------------------------------------- */

static const char *compilation_date(char *buf, size_t len)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *d = __DATE__;   /* "Nov 22 2026" */
    const char *m = strstr(months, (char[4]){ d[0], d[1], d[2], 0 });
    int mon = m ? (int)(m - months) / 3 + 1 : 0;
    int day = atoi(d + 4), year = atoi(d + 7);
    snprintf(buf, len, "%04d-%02d-%02dT%s", year, mon, day, __TIME__);
    return buf;
}

static void w_library(struct dfxml *x, const char *name, const char *version)
{
    w_start(x, "library");
    w_attr(x, "name", name);
    w_attr(x, "version", version);
    w_end(x);
}

static void w_libraries(struct dfxml *x, const struct dfxml_run *run)
{
    char b[64];
    const char *pv = pcap_lib_version();      /* "libpcap version 1.10.3 (with TPACKET_V3)" */
    static const char pfx[] = "libpcap version ";
    if (pv && !strncmp(pv, pfx, sizeof pfx - 1)) {
        snprintf(b, sizeof b, "%s", pv + sizeof pfx - 1);
        b[strcspn(b, " ")] = 0;
        pv = b;
    }
    if (pv && !needs_escape(pv))
        w_library(x, "libpcap", pv);

    long xv = atol(xmlParserVersion);         /* "20914" */
    snprintf(b, sizeof b, "%ld.%ld.%ld", xv / 10000, xv / 100 % 100, xv % 100);
    w_library(x, "libxml2", b);
    w_library(x, "zlib", zlibVersion());
#ifdef OPENSSL_VERSION_STRING
    w_library(x, "openssl", OpenSSL_version(OPENSSL_VERSION_STRING));
#else
    w_library(x, "openssl", OpenSSL_version(OPENSSL_VERSION));
#endif
    for (size_t i = 0; i < run->n_libraries; i++) {
        const struct dfxml_pair *p = &run->libraries[i];
        if (!p->name || needs_escape(p->name) || !p->value || needs_escape(p->value))
            continue;           /* library names come from our code; skip nonsense */
        w_library(x, p->name, p->value);
    }
}

static char *join_argv(int argc, char *const *argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        if (argv && argv[i])
            len += strlen(argv[i]) + 1;
    char *s = xmalloc(len), *o = s;
    int first = 1;
    for (int i = 0; i < argc; i++) {
        if (!argv || !argv[i])
            continue;
        if (!first)
            *o++ = ' ';
        first = 0;
        size_t n = strlen(argv[i]);
        memcpy(o, argv[i], n);
        o += n;
    }
    *o = 0;
    return s;
}

static void w_execution_environment(struct dfxml *x, const struct dfxml_run *run)
{
    struct utsname u;
    char b[64];
    w_start(x, "execution_environment");
    if (uname(&u) == 0) {
        w_elem_any(x, "os_sysname", NULL, NULL, u.sysname);
        w_elem_any(x, "os_release", NULL, NULL, u.release);
        w_elem_any(x, "os_version", NULL, NULL, u.version);
        w_elem_any(x, "host", NULL, NULL, u.nodename);
        w_elem_any(x, "arch", NULL, NULL, u.machine);
    }
    char *cl = join_argv(run->argc, run->argv);
    w_elem_any(x, "command_line", NULL, NULL, cl);
    free(cl);
    uid_t uid = getuid();
    w_elem_u64(x, "uid", (uint64_t)uid);
    struct passwd pw, *res = NULL;
    char pwbuf[4096];
    if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_name)
        w_elem_any(x, "username", NULL, NULL, res->pw_name);
    w_elem(x, "start_time", format_time(b, sizeof b, run->start_us, 0));
    w_end(x);
}

static void w_header(struct dfxml *x, const struct dfxml_run *run)
{
    char b[64];
    if (!x->failed && xmlTextWriterWriteRaw(x->w, BAD_CAST "<?xml version='1.0' encoding='UTF-8'?>\n") < 0)
        fail(x);
    w_start(x, "dfxml");
    w_attr(x, "xmloutputversion", "1.0");

    w_start(x, "metadata");
    w_attr(x, "xmlns", "http://afflib.org/tcpflow/");
    w_attr(x, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    w_attr(x, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    w_elem(x, "dc:type", "Feature Extraction");
    w_end(x);

    w_start(x, "creator");
    w_attr(x, "version", "1.0");
    w_elem(x, "program", "TCPFLOW");
    w_elem_any(x, "version", NULL, NULL, run->version ? run->version : "1.6.1");
    /* the 1.6.1 compatibility level above; which program and version ran here */
    w_elem_any(x, "implementation", "version", tcpflow_impl_version, tcpflow_impl_name);
    w_start(x, "build_environment");
    w_elem_any(x, "compiler", NULL, NULL, __VERSION__);
    /* The build flags, when the build passes them as string macros. */
#ifdef TCPFLOW_CPPFLAGS
    w_elem_any(x, "CPPFLAGS", NULL, NULL, TCPFLOW_CPPFLAGS);
#endif
#ifdef TCPFLOW_CFLAGS
    w_elem_any(x, "CFLAGS", NULL, NULL, TCPFLOW_CFLAGS);
#endif
#ifdef TCPFLOW_LDFLAGS
    w_elem_any(x, "LDFLAGS", NULL, NULL, TCPFLOW_LDFLAGS);
#endif
#ifdef TCPFLOW_LIBS
    w_elem_any(x, "LIBS", NULL, NULL, TCPFLOW_LIBS);
#endif
    w_elem(x, "compilation_date", compilation_date(b, sizeof b));
    w_libraries(x, run);
    w_end(x);
    w_execution_environment(x, run);
    w_end(x);

    w_start(x, "configuration");
    for (size_t i = 0; i < run->n_config; i++) {
        const struct dfxml_pair *p = &run->config[i];
        w_elem_any(x, "setting", "name", p->name ? p->name : "", p->value ? p->value : "");
    }
    w_end(x);

    snprintf(b, sizeof b, "%" PRId64, run->tdelta);
    w_elem(x, "tdelta", b);
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

    struct errguard g = guard_on(x);
    x->w = new_writer(x);
    if (!x->w) {
        snprintf(x->err, sizeof x->err, "%s: cannot create the XML writer", x->label);
        x->failed = 1;
    } else {
        w_header(x, run);
        commit(x);
    }
    guard_off(g);
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

/* ---- fileobjects ----------------------------------------------------- */

/* n <= 32 bytes of a digest in lower-case hex into b[2n+1]; returns b. */
static char *hexstr(char *b, const uint8_t *h, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        b[2 * i] = hex[h[i] >> 4];
        b[2 * i + 1] = hex[h[i] & 15];
    }
    b[2 * n] = 0;
    return b;
}

static void w_hash(struct dfxml *x, const char *type, const uint8_t *h, size_t n)
{
    char b[65];
    hexstr(b, h, n);
    w_start(x, "hashdigest");
    w_attr(x, "type", type);
    w_text(x, b);
    w_end(x);
}

/* inet_ntop, without glibc's sprintf for IPv4 (it showed in profiles) */
static const char *ntop(int af, const uint8_t *a, char *b, size_t len)
{
    if (af != AF_INET || len < 16)
        return inet_ntop(af, a, b, (socklen_t)len);
    char *o = b;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100) *o++ = (char)('0' + v / 100);
        if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : '\0';
    }
    return b;
}

/* The <tcpflow> attributes of fs, in 1.6.1's order (ours after them). */
struct attrs {
    int n;
    const char *name[24];
    char val[24][INET6_ADDRSTRLEN + 8];
};

static void attr_add(struct attrs *a, const char *name, const char *v)
{
    size_t k = strnlen(v, sizeof a->val[0] - 1);
    memcpy(a->val[a->n], v, k);
    a->val[a->n][k] = 0;
    a->name[a->n++] = name;
}

static void attr_u64(struct attrs *a, const char *name, uint64_t v)
{
    u64dec(a->val[a->n], v);
    a->name[a->n++] = name;
}

static void attr_mac(struct attrs *a, const char *name, const uint8_t *m)
{
    static const uint8_t zero[6];
    if (!memcmp(m, zero, 6))
        return;
    static const char hex[] = "0123456789abcdef";
    char *b = a->val[a->n];
    for (int i = 0; i < 6; i++) {
        b[3 * i] = hex[m[i] >> 4];
        b[3 * i + 1] = hex[m[i] & 15];
        b[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    a->name[a->n++] = name;
}

static void tcpflow_attrs(const struct flow_summary *fs, struct attrs *a)
{
    char b[INET6_ADDRSTRLEN + 8];
    a->n = 0;
    attr_add(a, "startime", dfxml_time(b, sizeof b, fs->start_us));
    attr_add(a, "endtime", dfxml_time(b, sizeof b, fs->end_us));
    if (fs->has_mac) {
        attr_mac(a, "mac_daddr", fs->mac_dst);
        attr_mac(a, "mac_saddr", fs->mac_src);
    }
    int af = fs->family == 4 ? AF_INET : fs->family == 6 ? AF_INET6 : -1;
    if (af < 0) {
        attr_u64(a, "family", (uint64_t)(unsigned)fs->family);
    } else {
        attr_u64(a, "family", (uint64_t)af);
        if (ntop(af, fs->src, b, sizeof b))
            attr_add(a, "src_ipn", b);
        if (ntop(af, fs->dst, b, sizeof b))
            attr_add(a, "dst_ipn", b);
    }
    attr_u64(a, "srcport", fs->sport);
    attr_u64(a, "dstport", fs->dport);
    attr_u64(a, "packets", fs->packets);
    if (fs->out_of_order)
        attr_u64(a, "out_of_order_count", fs->out_of_order);
    if (fs->violations)
        attr_u64(a, "violations", fs->violations);
    attr_u64(a, "len", fs->len);
    if (fs->caplen != fs->len)
        attr_u64(a, "caplen", fs->caplen);
    /* ours; DFXML readers ignore unknown attributes */
    const char *why = flow_end_name(fs->end);
    attr_add(a, "end_reason", why && !needs_escape(why) ? why : "?");
    attr_add(a, "complete", fs->complete ? "1" : "0");
    attr_u64(a, "flow_id", fs->flow_id);
    attr_u64(a, "session_id", fs->session_id);
    if (fs->has_vlan)
        attr_u64(a, "vlan", fs->vlan);
    if (fs->stored != fs->filesize)
        attr_u64(a, "stored", fs->stored);
    if (fs->gap_bytes)
        attr_u64(a, "gap_bytes", fs->gap_bytes);
}

static void w_tcpflow(struct dfxml *x, const struct attrs *a)
{
    w_start(x, "tcpflow");
    for (int i = 0; i < a->n; i++)
        w_attr(x, a->name[i], a->val[i]);
    w_end(x);
}

/* Nothing in s that XML would escape: printable ASCII without & < > ' " */
static int plain(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '&' || *s == '<' || *s == '>' || *s == '\'' || *s == '"')
            return 0;
    return 1;
}

struct sbuf {
    char *p;
    size_t n, cap;
    int over;
};

static void sb_put(struct sbuf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k >= b->cap) {
        b->over = 1;
        return;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
}

/* The whole <fileobject> as the writer would lay it out, when every string
 * in it is plain (no escaping needed, nothing escaped by hand); the writer
 * then takes it with xmlTextWriterWriteRaw, one call instead of ~40.  0 if
 * not possible (the caller uses the writer element by element). */
static size_t fileobject_raw(const struct flow_summary *fs, const struct attrs *a, char *out, size_t cap)
{
    if (fs->filename && !plain(fs->filename))
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!plain(a->val[i]))
            return 0;
    struct sbuf b = { out, 0, cap, 0 };
    char num[24];
    sb_put(&b, "  <fileobject>\n");
    if (fs->filename) {
        sb_put(&b, "    <filename>");
        sb_put(&b, fs->filename);
        sb_put(&b, "</filename>\n");
    }
    sb_put(&b, "    <filesize>");
    sb_put(&b, u64dec(num, fs->filesize));
    sb_put(&b, "</filesize>\n    <tcpflow");
    for (int i = 0; i < a->n; i++) {
        sb_put(&b, " ");
        sb_put(&b, a->name[i]);
        sb_put(&b, "='");
        sb_put(&b, a->val[i]);
        sb_put(&b, "'");
    }
    sb_put(&b, "/>\n");
    char d[65];
    if (fs->has_md5) {
        sb_put(&b, "    <hashdigest type='MD5'>");
        sb_put(&b, hexstr(d, fs->md5, sizeof fs->md5));
        sb_put(&b, "</hashdigest>\n");
    }
    if (fs->has_sha256) {
        sb_put(&b, "    <hashdigest type='SHA256'>");
        sb_put(&b, hexstr(d, fs->sha256, sizeof fs->sha256));
        sb_put(&b, "</hashdigest>\n");
    }
    sb_put(&b, "  </fileobject>\n");
    return b.over ? 0 : b.n;
}

int dfxml_fileobject(struct dfxml *x, const struct flow_summary *fs, const char *scanner_xml)
{
    if (!x || !fs)
        return -1;
    if (x->failed) {
        x->n_lost++;
        return -1;
    }
    struct errguard g = guard_on(x);
    struct attrs a;
    tcpflow_attrs(fs, &a);
    char raw[4096];
    size_t nraw = !x->no_raw && (!scanner_xml || !*scanner_xml) ? fileobject_raw(fs, &a, raw, sizeof raw) : 0;
    if (nraw) {
        if (xmlTextWriterWriteRawLen(x->w, BAD_CAST raw, (int)nraw) < 0)
            fail(x);
    } else {
        w_start(x, "fileobject");
        if (fs->filename)
            w_elem_any(x, "filename", NULL, NULL, fs->filename);
        w_elem_u64(x, "filesize", fs->filesize);
        w_tcpflow(x, &a);
        if (fs->has_md5)
            w_hash(x, "MD5", fs->md5, sizeof fs->md5);
        if (fs->has_sha256)
            w_hash(x, "SHA256", fs->sha256, sizeof fs->sha256);
        w_fragment(x, scanner_xml, "invalid_scanner_xml");
        w_end(x);
    }
    /* Flushed in batches (64 KiB, or once a second), not per fileobject (a
     * write per flow cost more than the rest of the report).  'committed'
     * follows the fileobject ends that reached the file: a crash loses at
     * most the last batch. */
    if (!x->failed) {
        int64_t end = x->written + (int64_t)xmlOutputBufferGetSize(x->out);
        if (x->last_end <= x->written)
            x->committed = x->last_end;
        x->last_end = end;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
        if (end - x->written >= DFXML_BATCH || now.tv_sec != x->commit_sec) {
            commit(x);
            x->commit_sec = now.tv_sec;
        }
    }
    guard_off(g);
    if (x->failed) {
        x->n_lost++;
        return -1;
    }
    x->n_objects++;
    return 0;
}

const char *dfxml_error(const struct dfxml *x)
{
    return x ? x->err : "";
}

int dfxml_flush(struct dfxml *x)
{
    if (!x || x->failed)
        return -1;
    struct errguard g = guard_on(x);
    commit(x);
    guard_off(g);
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
        fail(x);
    w_start(x, "dfxml");
    w_trailer(x, end);
    w_start(x, "report_error");
    w_attr_u64(x, "lost_fileobjects", x->n_lost);
    w_text(x, why);
    w_end(x);
    if (!x->failed && xmlTextWriterEndDocument(w) < 0)
        fail(x);
    if (!x->failed && xmlTextWriterFlush(w) < 0)
        fail(x);
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
    struct errguard g = guard_on(x);
    if (x->signalled) {         /* already ended by dfxml_close_on_signal() */
        x->failed = 0;
        goto done;
    }
    if (!x->failed) {
        w_trailer(x, end);
        if (!x->failed && xmlTextWriterEndDocument(x->w) < 0)
            fail(x);
        commit(x);
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
    guard_off(g);
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
