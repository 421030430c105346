/* dfxml_write.c - element helpers (each a no-op once the report failed),
 * scanner fragments, and the report's header. */
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

#include "util/version.h"
#include "util/xalloc.h"


/* ---- writer helpers: each is a no-op once x has failed --------------- */

void w_start(struct dfxml *x, const char *name)
{
    if (!x->failed && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
        dx_fail(x);
}

void w_end(struct dfxml *x)
{
    if (!x->failed && xmlTextWriterEndElement(x->w) < 0)
        dx_fail(x);
}

/* An attribute.  The writer does not escape ' in attribute values, so a
 * value holding one is quoted with " instead (the writer escapes "). */
void w_attr(struct dfxml *x, const char *name, const char *value)
{
    if (x->failed)
        return;
    int dq = strchr(value, '\'') != NULL;
    if (dq)
        xmlTextWriterSetQuoteChar(x->w, '"');
    if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
        dx_fail(x);
    if (dq)
        xmlTextWriterSetQuoteChar(x->w, '\'');
}

/* v in decimal into b (at least 21 bytes); returns b. */
char *dx_u64dec(char *b, uint64_t v)
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
void w_text(struct dfxml *x, const char *text)
{
    if (!x->failed && *text && xmlTextWriterWriteString(x->w, BAD_CAST text) < 0)
        dx_fail(x);
}

/* <name>text</name> for a generated, valid string. */
void w_elem(struct dfxml *x, const char *name, const char *text)
{
    if (!x->failed && xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text) < 0)
        dx_fail(x);
}

void w_attr_u64(struct dfxml *x, const char *name, uint64_t v)
{
    char b[24];
    w_attr(x, name, dx_u64dec(b, v));
}

void w_elem_u64(struct dfxml *x, const char *name, uint64_t v)
{
    char b[24];
    w_elem(x, name, dx_u64dec(b, v));
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
void w_elem_any(struct dfxml *x, const char *name, const char *attr, const char *aval,
                       const char *text)
{
    int esc = dx_needs_escape(text) || (attr && dx_needs_escape(aval));
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
        dx_guard_off(g);
        return 0;
    }
    xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlParseChunk(c, frag, (int)n, 0);
    xmlParseChunk(c, "</r>", 4, 1);
    int ok = c->wellFormed && c->nsWellFormed;
    if (c->myDoc)
        xmlFreeDoc(c->myDoc);
    xmlFreeParserCtxt(c);
    dx_guard_off(g);
    return ok;
}

/* The fragment as is when it is well-formed, else as escaped text in
 * <invalid_NAME>. */
void w_fragment(struct dfxml *x, const char *frag, const char *invalid_name)
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
            dx_fail(x);
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
    if (pv && !dx_needs_escape(pv))
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
        if (!p->name || dx_needs_escape(p->name) || !p->value || dx_needs_escape(p->value))
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
    w_elem(x, "start_time", dx_format_time(b, sizeof b, run->start_us, 0));
    w_end(x);
}

void w_header(struct dfxml *x, const struct dfxml_run *run)
{
    char b[64];
    if (!x->failed && xmlTextWriterWriteRaw(x->w, BAD_CAST "<?xml version='1.0' encoding='UTF-8'?>\n") < 0)
        dx_fail(x);
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

