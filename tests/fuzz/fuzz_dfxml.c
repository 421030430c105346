/* fuzz_dfxml.c - arbitrary bytes as the strings of a report: the result
 * must always parse as well-formed XML, every string must come back byte
 * for byte (through the escaped='1' convention), and a scanner fragment
 * must never escape its fileobject.
 *
 * Input: 48 bytes of flow numbers (times, addresses, ports, counters),
 * then NUL-separated fields: filename, scanner fragment, setting name,
 * setting value, counter name, argv[0..]. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "report/dfxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 16

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dfxml: %s\n", what);
        abort();
    }
}

static char *xp(xmlXPathContextPtr c, const char *expr)
{
    char q[256];
    snprintf(q, sizeof q, "string(%s)", expr);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST q, c);
    check(o != NULL, "xpath");
    char *s = strdup(o->stringval ? (const char *)o->stringval : "");
    xmlXPathFreeObject(o);
    return s;
}

static double xn(xmlXPathContextPtr c, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, c);
    check(o != NULL, "xpath");
    double v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return v;
}

static char *unescape(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    while (*s) {
        if (s[0] == '\\' && s[1] == '\\') {
            *o++ = '\\';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
            char h[3] = { s[2], s[3], 0 };
            *o++ = (char)strtol(h, NULL, 16);
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = 0;
    return out;
}

/* The string at expr, decoded if escaped_expr says so, must equal want. */
static void same(xmlXPathContextPtr c, const char *expr, const char *escaped_expr, const char *want)
{
    char *got = xp(c, expr), *esc = xp(c, escaped_expr);
    char *dec = strcmp(esc, "1") ? strdup(got) : unescape(got);
    if (strcmp(dec, want)) {
        fprintf(stderr, "%s: got '%s' want '%s'\n", expr, dec, want);
        abort();
    }
    free(got);
    free(esc);
    free(dec);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create("fuzz_dfxml", 0);
        check(fd >= 0, "memfd_create");
        xmlInitParser();
    }
    if (size < 48 || size > 65536)
        return 0;
    struct flow_summary fs;
    memset(&fs, 0, sizeof fs);
    fs.start_us = (int64_t)rd64(data);
    fs.end_us = (int64_t)rd64(data + 8);
    fs.family = data[16] & 1 ? 6 : 4;
    memcpy(fs.src, data + 17, 16);
    memcpy(fs.dst, data + 24, 16);    /* overlaps src: fine */
    fs.has_mac = data[40] & 1;
    memcpy(fs.mac_src, data + 40, 6);
    memcpy(fs.mac_dst, data + 42, 6);
    fs.sport = (uint16_t)(data[44] << 8 | data[45]);
    fs.dport = (uint16_t)(data[46] << 8 | data[47]);
    fs.packets = rd64(data + 1);
    fs.out_of_order = data[2];
    fs.violations = data[3];
    fs.len = rd64(data + 20);
    fs.caplen = rd64(data + 21);
    fs.end = (enum flow_end)(data[5] % 8);
    fs.has_md5 = data[6] & 1;
    fs.has_sha256 = data[6] & 2;

    /* NUL-separated strings */
    char *buf = malloc(size - 48 + 1);
    memcpy(buf, data + 48, size - 48);
    buf[size - 48] = 0;
    char *f[MAXF];
    int nf = 0;
    for (char *p = buf; nf < MAXF;) {
        f[nf++] = p;
        size_t n = strlen(p);
        if (p + n >= buf + (size - 48))
            break;
        p += n + 1;
    }
    static char empty[] = "";
    while (nf < 6)
        f[nf++] = empty;
    fs.filename = f[0];
    const char *frag = f[1];
    struct dfxml_pair cfg = { f[2], f[3] };
    struct dfxml_counter ctr = { f[4], 7 };
    int argc = nf - 5;
    char *argv[MAXF + 1];
    for (int i = 0; i < argc; i++)
        argv[i] = f[5 + i];
    argv[argc] = NULL;

    check(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0, "reset memfd");
    struct dfxml_run run = { .argc = argc, .argv = argv, .start_us = fs.start_us,
                             .version = "1.6.1", .config = &cfg, .n_config = 1 };
    char err[512];
    struct dfxml *x = dfxml_open_fd(fd, 0, &run, err, sizeof err);
    check(x != NULL, "open");
    check(dfxml_fileobject(x, &fs, frag) == 0, "fileobject");
    struct dfxml_end end = { .status = "complete", .total_flows = 1, .counters = &ctr,
                             .n_counters = 1, .summary_xml = frag };
    check(dfxml_close(x, &end, err, sizeof err) == 0, "close");

    off_t len = lseek(fd, 0, SEEK_END);
    check(len > 0 && len < (1 << 26), "size");
    char *out = malloc((size_t)len);
    check(pread(fd, out, (size_t)len, 0) == len, "pread");
    xmlDocPtr doc = xmlReadMemory(out, (int)len, "report.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        fwrite(out, 1, (size_t)len, stderr);
        check(0, "not well-formed");
    }
    xmlXPathContextPtr c = xmlXPathNewContext(doc);
    check(xn(c, "count(/dfxml/fileobject)") == 1, "one fileobject");
    check(xn(c, "count(/dfxml/run_status)") == 1, "one run_status");
    check(xn(c, "count(/dfxml/total_flows)") == 1, "one total_flows");
    check(xn(c, "count(/dfxml/configuration)") == 1, "one configuration");
    same(c, "/dfxml/fileobject/filename", "/dfxml/fileobject/filename/@escaped", f[0]);
    same(c, "/dfxml/configuration/setting/@name", "/dfxml/configuration/setting/@escaped", f[2]);
    same(c, "/dfxml/configuration/setting", "/dfxml/configuration/setting/@escaped", f[3]);
    same(c, "/dfxml/counters/counter/@name", "/dfxml/counters/counter/@escaped", f[4]);
    same(c, "/dfxml/run_status", "/dfxml/run_status/@escaped", "complete");

    /* the command line: argv joined with single spaces */
    size_t cl = 1;
    for (int i = 0; i < argc; i++)
        cl += strlen(argv[i]) + 1;
    char *joined = malloc(cl), *o = joined;
    for (int i = 0; i < argc; i++) {
        if (i)
            *o++ = ' ';
        size_t n = strlen(argv[i]);
        memcpy(o, argv[i], n);
        o += n;
    }
    *o = 0;
    same(c, "/dfxml/creator/execution_environment/command_line",
         "/dfxml/creator/execution_environment/command_line/@escaped", joined);
    free(joined);

    if (*frag && xn(c, "count(/dfxml/fileobject/invalid_scanner_xml)") == 1)
        same(c, "/dfxml/fileobject/invalid_scanner_xml",
             "/dfxml/fileobject/invalid_scanner_xml/@escaped", frag);

    xmlXPathFreeContext(c);
    xmlFreeDoc(doc);
    free(out);
    free(buf);
    return 0;
}
