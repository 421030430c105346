/* test_dfxml.c - the DFXML report: written, parsed back with libxml2 and
 * checked by XPath; format lines compared with tcpflow 1.6.1's; disk-full
 * and fatal-signal endings still well-formed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "report/dfxml.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_dfxml.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/report.xml", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static xmlDocPtr load(const char *p)
{
    return xmlReadFile(p, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* string(expr), malloc'd */
static char *xs(xmlDocPtr d, const char *expr)
{
    char q[512];
    snprintf(q, sizeof q, "string(%s)", expr);
    xmlXPathContextPtr c = xmlXPathNewContext(d);
    assert_non_null(c);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST q, c);
    assert_non_null(o);
    char *s = strdup(o->stringval ? (const char *)o->stringval : "");
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
    return s;
}

static void check_str(xmlDocPtr d, const char *expr, const char *want)
{
    char *got = xs(d, expr);
    if (strcmp(got, want))
        print_error("%s: got '%s' want '%s'\n", expr, got, want);
    assert_string_equal(got, want);
    free(got);
}

static double xn(xmlDocPtr d, const char *expr)
{
    xmlXPathContextPtr c = xmlXPathNewContext(d);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, c);
    assert_non_null(o);
    double v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
    return v;
}

#define check_num(d, expr, want) assert_int_equal((long)xn(d, expr), (long)(want))

/* Undo the escaped='1' convention. */
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

static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static void xmllint_ok(const char *p)
{
    if (access("/usr/bin/xmllint", X_OK) != 0)
        return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "/usr/bin/xmllint --noout '%s'", p);
    assert_int_equal(system(cmd), 0);
}

static char *argv_weird[] = { "tcpflow", "-r", "in <&>'\".pcap", "-S", "x=\xff\x01\\", NULL };

static struct dfxml_run base_run(void)
{
    struct dfxml_run r = { .argc = 5, .argv = argv_weird, .start_us = 1700000000000000,
                           .version = "1.6.1" };
    return r;
}

/* The first flow of tcpflow_test1.pcap as 1.6.1 reported it. */
static struct flow_summary flow_v4(void)
{
    struct flow_summary fs = {
        .filename = "/tmp/dfxml/x/074.125.019.101.00080-192.168.001.102.50956",
        .filesize = 136, .stored = 136,
        .start_us = 1223315694796605, .end_us = 1223315694850204,
        .has_mac = true, .mac_dst = { 0x00, 0x1f, 0x5b, 0xc7, 0xfa, 0xd2 },
        .mac_src = { 0x00, 0x0f, 0xcc, 0xfe, 0xcc, 0xdc },
        .family = 4, .src = { 74, 125, 19, 101 }, .dst = { 192, 168, 1, 102 },
        .sport = 80, .dport = 50956, .packets = 3, .len = 342, .caplen = 342,
        .end = FLOW_END_FIN, .complete = true, .flow_id = 1, .session_id = 0,
    };
    return fs;
}

/* ---- tests ------------------------------------------------------------ */

static void test_escape(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } t[] = {
        { "abc", NULL },
        { "a\\b", NULL },                       /* valid: no escaping needed */
        { "<&>'\"\t\n\r", NULL },               /* the writer escapes these */
        { "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", NULL },   /* e-acute, euro, emoji */
        { "\x7f\xc2\x80", NULL },               /* DEL, U+0080: allowed by XML 1.0 */
        { "a\\\xff", "a\\\\\\xff" },            /* backslash doubled once escaping */
        { "\x01", "\\x01" },
        { "\x1b[0m", "\\x1b[0m" },
        { "\xc0\xaf", "\\xc0\\xaf" },           /* overlong */
        { "\xed\xa0\x80", "\\xed\\xa0\\x80" },  /* surrogate */
        { "\xef\xbf\xbe", "\\xef\\xbf\\xbe" },  /* U+FFFE */
        { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },   /* > U+10FFFF */
        { "\xe2\x82", "\\xe2\\x82" },           /* truncated at the end */
        { "\xe2\x82x", "\\xe2\\x82x" },
        { "\xc3\xa9\xff\xc3\xa9", "\xc3\xa9\\xff\xc3\xa9" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *e = dfxml_escape(t[i].in);
        if (!t[i].out) {
            assert_null(e);
        } else {
            assert_non_null(e);
            assert_string_equal(e, t[i].out);
            char *u = unescape(e);
            assert_string_equal(u, t[i].in);
            free(u);
        }
        free(e);
    }
}

static void test_time(void **state)
{
    (void)state;
    char b[40];
    assert_string_equal(dfxml_time(b, sizeof b, 1223315694796605), "2008-10-06T17:54:54.796605Z");
    assert_string_equal(dfxml_time(b, sizeof b, 0), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(dfxml_time(b, sizeof b, -1), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(dfxml_time(b, sizeof b, 1000000000001000), "2001-09-09T01:46:40.001000Z");
}

/* Several fileobjects, weird strings, parsed back. */
static void test_roundtrip(void **state)
{
    (void)state;
    char err[256] = "";
    struct dfxml_pair cfg[] = { { "tcp_timeout", "10" }, { "it's", "a\"b'c" },
                                { "bad", "\xfe\\" } };
    struct dfxml_pair libs[] = { { "cairo", "1.16.0" } };
    struct dfxml_run run = base_run();
    run.config = cfg;
    run.n_config = 3;
    run.libraries = libs;
    run.n_libraries = 1;
    run.tdelta = -5;
    struct dfxml *x = dfxml_open(path, &run, err, sizeof err);
    assert_non_null(x);

    struct flow_summary a = flow_v4();
    a.has_md5 = true;
    memset(a.md5, 0xab, 16);
    assert_int_equal(dfxml_fileobject(x, &a, "<byte_runs>\n <byte_run file_offset='177'><fileobject>"
                                             "<filename>b&amp;</filename></fileobject></byte_run>\n"
                                             "</byte_runs>"), 0);

    struct flow_summary b = flow_v4();      /* IPv6, no mac, odd counters */
    b.filename = "out/<&>'\".txt";
    b.family = 6;
    memset(b.src, 0, 16);
    memset(b.dst, 0, 16);
    b.src[0] = 0x20; b.src[1] = 0x01; b.src[2] = 0x0d; b.src[3] = 0xb8; b.src[15] = 1;
    b.dst[15] = 1;
    b.has_mac = false;
    b.out_of_order = 2;
    b.violations = 7;
    b.caplen = 300;
    b.end = FLOW_END_RST;
    b.complete = false;
    b.has_vlan = true;
    b.vlan = 42;
    b.stored = 100;
    b.gap_bytes = 36;
    b.has_sha256 = true;
    for (int i = 0; i < 32; i++)
        b.sha256[i] = (uint8_t)i;
    assert_int_equal(dfxml_fileobject(x, &b, "<bad>"), 0);

    struct flow_summary c = flow_v4();      /* invalid UTF-8, control byte, backslash */
    c.filename = "out/\xff\xfe\x01\\x41\xc3\xa9.bin";
    c.has_mac = true;
    memset(c.mac_src, 0, 6);                /* all-zero source mac: omitted */
    assert_int_equal(dfxml_fileobject(x, &c, NULL), 0);

    struct flow_summary d = flow_v4();      /* no file */
    d.filename = NULL;
    d.filesize = 0;
    d.stored = 0;
    assert_int_equal(dfxml_fileobject(x, &d, ""), 0);
    assert_int_equal(dfxml_count(x), 4);

    struct dfxml_counter ctr[] = { { "IP fragments seen", 3 }, { "it's \xff", 9 } };
    struct dfxml_end end = { .status = "interrupted by SIGINT", .open_fds_at_end = 1,
                             .max_open_flows = 2, .total_flows = 4, .flow_map_size = 3,
                             .total_packets = 59, .counters = ctr, .n_counters = 2,
                             .summary_xml = "<ssids>\n</ssids>" };
    assert_int_equal(dfxml_close(x, &end, err, sizeof err), 0);
    xmllint_ok(path);

    xmlDocPtr doc = load(path);
    assert_non_null(doc);
    check_str(doc, "/dfxml/@xmloutputversion", "1.0");
    check_num(doc, "count(//configuration)", 1);
    check_num(doc, "count(/dfxml/fileobject)", 4);
    check_num(doc, "count(//fileobject)", 5);       /* one nested in byte_runs */
    check_str(doc, "//*[local-name()='metadata']/*[local-name()='type']", "Feature Extraction");
    check_str(doc, "/dfxml/creator/program", "TCPFLOW");
    check_str(doc, "/dfxml/creator/version", "1.6.1");
    check_num(doc, "count(/dfxml/creator/build_environment/library)", 5);
    check_str(doc, "/dfxml/creator/build_environment/library[1]/@name", "libpcap");
    check_str(doc, "/dfxml/creator/build_environment/library[5]/@version", "1.16.0");
    check_str(doc, "/dfxml/creator/execution_environment/start_time", "2023-11-14T22:13:20Z");
    check_str(doc, "/dfxml/creator/execution_environment/command_line/@escaped", "1");
    char *cl = xs(doc, "/dfxml/creator/execution_environment/command_line");
    char *ucl = unescape(cl);
    assert_string_equal(ucl, "tcpflow -r in <&>'\".pcap -S x=\xff\x01\\");
    free(cl);
    free(ucl);
    check_str(doc, "/dfxml/configuration/setting[1]/@name", "tcp_timeout");
    check_str(doc, "/dfxml/configuration/setting[1]", "10");
    check_num(doc, "count(/dfxml/configuration/setting[1]/@escaped)", 0);
    check_str(doc, "/dfxml/configuration/setting[2]/@name", "it's");
    check_str(doc, "/dfxml/configuration/setting[2]", "a\"b'c");
    check_str(doc, "/dfxml/configuration/setting[3]/@escaped", "1");
    check_str(doc, "/dfxml/configuration/setting[3]", "\\xfe\\\\");
    check_str(doc, "/dfxml/tdelta", "-5");

    /* fileobject 1: exactly 1.6.1's values */
    check_str(doc, "/dfxml/fileobject[1]/filename", a.filename);
    check_str(doc, "/dfxml/fileobject[1]/filesize", "136");
    check_str(doc, "/dfxml/fileobject[1]/tcpflow/@startime", "2008-10-06T17:54:54.796605Z");
    check_str(doc, "/dfxml/fileobject[1]/tcpflow/@mac_saddr", "00:0f:cc:fe:cc:dc");
    check_str(doc, "/dfxml/fileobject[1]/tcpflow/@end_reason", "fin");
    check_str(doc, "/dfxml/fileobject[1]/tcpflow/@complete", "1");
    check_str(doc, "/dfxml/fileobject[1]/hashdigest[@type='MD5']", "abababababababababababababababab");
    check_str(doc, "/dfxml/fileobject[1]/byte_runs/byte_run/@file_offset", "177");
    check_str(doc, "/dfxml/fileobject[1]/byte_runs//filename", "b&");

    /* fileobject 2: IPv6, optional attributes present, invalid fragment kept as text */
    check_str(doc, "/dfxml/fileobject[2]/filename", "out/<&>'\".txt");
    check_num(doc, "count(/dfxml/fileobject[2]/filename/@escaped)", 0);
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@family", "10");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@src_ipn", "2001:db8::1");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@dst_ipn", "::1");
    check_num(doc, "count(/dfxml/fileobject[2]/tcpflow/@mac_daddr)", 0);
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@out_of_order_count", "2");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@violations", "7");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@caplen", "300");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@end_reason", "rst");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@complete", "0");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@vlan", "42");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@stored", "100");
    check_str(doc, "/dfxml/fileobject[2]/tcpflow/@gap_bytes", "36");
    check_str(doc, "/dfxml/fileobject[2]/hashdigest[@type='SHA256']",
              "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    check_str(doc, "/dfxml/fileobject[2]/invalid_scanner_xml", "<bad>");

    /* fileobject 3: escaped filename, recoverable byte for byte */
    check_str(doc, "/dfxml/fileobject[3]/filename/@escaped", "1");
    char *fn = xs(doc, "/dfxml/fileobject[3]/filename");
    assert_string_equal(fn, "out/\\xff\\xfe\\x01\\\\x41\xc3\xa9.bin");
    char *ufn = unescape(fn);
    assert_string_equal(ufn, c.filename);
    free(fn);
    free(ufn);
    check_num(doc, "count(/dfxml/fileobject[3]/tcpflow/@mac_saddr)", 0);
    check_str(doc, "/dfxml/fileobject[3]/tcpflow/@mac_daddr", "00:1f:5b:c7:fa:d2");

    /* fileobject 4: no filename, filesize 0 */
    check_num(doc, "count(/dfxml/fileobject[4]/filename)", 0);
    check_str(doc, "/dfxml/fileobject[4]/filesize", "0");
    check_num(doc, "count(/dfxml/fileobject[4]/*)", 2);

    /* trailer */
    check_num(doc, "count(/dfxml/summary/ssids)", 1);
    check_str(doc, "/dfxml/open_fds_at_end", "1");
    check_str(doc, "/dfxml/max_open_flows", "2");
    check_str(doc, "/dfxml/total_flows", "4");
    check_str(doc, "/dfxml/flow_map_size", "3");
    check_str(doc, "/dfxml/total_packets", "59");
    check_num(doc, "count(/dfxml/rusage/*)", 9);
    check_str(doc, "/dfxml/counters/counter[1]/@name", "IP fragments seen");
    check_str(doc, "/dfxml/counters/counter[1]", "3");
    check_str(doc, "/dfxml/counters/counter[2]/@escaped", "1");
    check_str(doc, "/dfxml/counters/counter[2]/@name", "it's \\xff");
    check_str(doc, "/dfxml/run_status", "interrupted by SIGINT");
    check_str(doc, "name(/dfxml/*[last()])", "run_status");
    check_num(doc, "count(//report_error)", 0);
    xmlFreeDoc(doc);

    /* Formats, byte for byte. */
    char *txt = slurp(path, NULL);
    assert_non_null(strstr(txt, "<?xml version='1.0' encoding='UTF-8'?>\n<dfxml xmloutputversion='1.0'>\n"));
    /* 1.6.1's line for this flow, then our extra attributes */
    assert_non_null(strstr(txt,
        "<tcpflow startime='2008-10-06T17:54:54.796605Z' endtime='2008-10-06T17:54:54.850204Z' "
        "mac_daddr='00:1f:5b:c7:fa:d2' mac_saddr='00:0f:cc:fe:cc:dc' family='2' src_ipn='74.125.19.101' "
        "dst_ipn='192.168.1.102' srcport='80' dstport='50956' packets='3' len='342'"));
    assert_non_null(strstr(txt, "packets='3' len='342' end_reason='fin' complete='1' flow_id='1' session_id='0'/>\n"));
    assert_non_null(strstr(txt, "packets='3' out_of_order_count='2' violations='7' len='342' caplen='300' "
                                "end_reason='rst'"));
    assert_non_null(strstr(txt, "<setting name=\"it's\">a&quot;b'c</setting>"));
    assert_non_null(strstr(txt, "    <hashdigest type='MD5'>abababababababababababababababab</hashdigest>\n"));
    assert_non_null(strstr(txt, "  <fileobject>\n    <filename>"));
    assert_non_null(strstr(txt, "\n  <rusage>\n    <utime>"));
    assert_non_null(strstr(txt, "</run_status>\n</dfxml>\n"));
    free(txt);
}

static void test_fragments(void **state)
{
    (void)state;
    static const struct { const char *frag; int ok; } t[] = {
        { "<a x='1'>t</a>", 1 },
        { "<![CDATA[<&]]>", 1 },
        { "<p:x xmlns:p='urn:x'/>", 1 },
        { "text &amp; &#233; <!-- c --> <?pi x?>", 1 },
        { "</r><r>", 0 },
        { "</fileobject><fileobject>", 0 },
        { "&nbsp;", 0 },
        { "<a:b/>", 0 },                        /* undeclared prefix */
        { "x ]]> y", 0 },
        { "<?xml version='1.0'?><a/>", 0 },
        { "<!DOCTYPE a><a/>", 0 },
        { "<a>\x01</a>", 0 },
        { "<a>\xff</a>", 0 },
        { "<a>&#0;</a>", 0 },
        { "<a>", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char err[256];
        struct dfxml_run run = base_run();
        struct dfxml *x = dfxml_open(path, &run, err, sizeof err);
        assert_non_null(x);
        struct flow_summary fs = flow_v4();
        assert_int_equal(dfxml_fileobject(x, &fs, t[i].frag), 0);
        struct dfxml_end end = { .status = "complete" };
        assert_int_equal(dfxml_close(x, &end, err, sizeof err), 0);
        xmlDocPtr doc = load(path);
        assert_non_null(doc);
        double invalid = xn(doc, "count(/dfxml/fileobject/invalid_scanner_xml)");
        if ((int)invalid != !t[i].ok)
            print_error("fragment %zu '%s'\n", i, t[i].frag);
        assert_int_equal((int)invalid, !t[i].ok);
        if (!t[i].ok) {
            char *s = xs(doc, "/dfxml/fileobject/invalid_scanner_xml");
            char *u = unescape(s);
            assert_string_equal(u, t[i].frag);
            free(s);
            free(u);
        }
        check_num(doc, "count(/dfxml/fileobject)", 1);
        xmlFreeDoc(doc);
    }
}

/* The disk is full from the start: a clean error, no crash. */
static void test_dev_full(void **state)
{
    (void)state;
    char err[256] = "";
    struct dfxml_run run = base_run();
    assert_null(dfxml_open("/dev/full", &run, err, sizeof err));
    assert_non_null(strstr(err, "/dev/full"));
    assert_non_null(strstr(err, "No space left on device"));

    int fd = open("/dev/full", O_WRONLY);
    assert_true(fd >= 0);
    err[0] = 0;
    assert_null(dfxml_open_fd(fd, 1, &run, err, sizeof err));   /* closes fd */
    assert_non_null(strstr(err, "No space left on device"));
    assert_int_equal(fcntl(fd, F_GETFD), -1);

    err[0] = 0;
    assert_null(dfxml_open("/nonexistent-dir/report.xml", &run, err, sizeof err));
    assert_non_null(strstr(err, "No such file or directory"));
}

static off_t fsize(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

/* The file stops growing mid-run (RLIMIT_FSIZE stands in for a full
 * disk): the failing fileobject and later ones are refused, and close
 * cuts back to the last complete fileobject and ends the file there.
 * room = bytes allowed past the second fileobject. */
static void full_midway(long room, int want_trailer)
{
    char err[512] = "";
    struct dfxml_run run = base_run();
    struct dfxml *x = dfxml_open(path, &run, err, sizeof err);
    assert_non_null(x);
    struct flow_summary fs = flow_v4();
    assert_int_equal(dfxml_fileobject(x, &fs, NULL), 0);
    assert_int_equal(dfxml_fileobject(x, &fs, NULL), 0);
    assert_int_equal(dfxml_flush(x), 0);        /* batches: make them reach the file */
    off_t safe = fsize(path);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)(safe + room);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

    static char big[20000];
    memset(big, 'A', sizeof big - 1);
    memcpy(big, "<big>", 5);
    memcpy(big + sizeof big - 7, "</big>", 7);
    assert_int_equal(dfxml_fileobject(x, &fs, big), -1);
    assert_non_null(strstr(dfxml_error(x), "File too large"));
    assert_int_equal(dfxml_fileobject(x, &fs, NULL), -1);       /* sticky */
    assert_int_equal(dfxml_count(x), 2);

    struct dfxml_end end = { .status = "disk full", .total_flows = 4 };
    assert_int_equal(dfxml_close(x, &end, err, sizeof err), -1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    assert_non_null(strstr(err, "File too large"));
    assert_non_null(strstr(err, want_trailer ? "2 fileobject(s) lost" : "lost"));

    xmllint_ok(path);
    xmlDocPtr doc = load(path);
    assert_non_null(doc);
    check_num(doc, "count(/dfxml/fileobject)", 2);
    check_num(doc, "count(//big)", 0);
    if (want_trailer) {
        check_str(doc, "/dfxml/run_status", "disk full");
        check_str(doc, "/dfxml/total_flows", "4");
        check_str(doc, "/dfxml/report_error/@lost_fileobjects", "2");
        char *e = xs(doc, "/dfxml/report_error");
        assert_non_null(strstr(e, "write failed: File too large"));
        free(e);
    } else {
        check_num(doc, "count(/dfxml/run_status)", 0);
    }
    xmlFreeDoc(doc);
    assert_true(fsize(path) <= safe + room);
}

static void test_full_midway(void **state)
{
    (void)state;
    full_midway(4096, 1);
}

static void test_full_no_room_for_trailer(void **state)
{
    (void)state;
    full_midway(20, 0);         /* only "</dfxml>\n" fits */
}

/* A fatal signal: cut to the last complete fileobject, end the file. */
static void test_close_on_signal(void **state)
{
    (void)state;
    char err[256] = "";
    struct dfxml_run run = base_run();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    struct dfxml *x = dfxml_open_fd(fd, 1, &run, err, sizeof err);
    assert_non_null(x);
    struct flow_summary fs = flow_v4();
    assert_int_equal(dfxml_fileobject(x, &fs, NULL), 0);
    assert_int_equal(dfxml_flush(x), 0);
    /* half a fileobject reached the file when the crash came */
    assert_int_equal(write(fd, "  <fileobject>\n    <filen", 25), 25);
    assert_int_equal(dfxml_close_on_signal(x, 11), 0);
    struct dfxml_end end = { .status = "complete" };
    assert_int_equal(dfxml_close(x, &end, err, sizeof err), 0);     /* frees only */
    xmllint_ok(path);
    xmlDocPtr doc = load(path);
    assert_non_null(doc);
    check_num(doc, "count(/dfxml/fileobject)", 1);
    check_str(doc, "/dfxml/run_status", "killed by signal 11");
    xmlFreeDoc(doc);
}

/* Pipes cannot be cut back: the signal ending works only between
 * fileobjects; a normal close works. */
static void test_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    char err[256] = "";
    struct dfxml_run run = base_run();
    struct dfxml *x = dfxml_open_fd(p[1], 0, &run, err, sizeof err);
    assert_non_null(x);
    struct flow_summary fs = flow_v4();
    assert_int_equal(dfxml_fileobject(x, &fs, NULL), 0);
    assert_int_equal(dfxml_flush(x), 0);
    assert_int_equal(dfxml_close_on_signal(x, 6), 0);
    assert_int_equal(dfxml_close(x, NULL, err, sizeof err), 0);
    close(p[1]);
    static char buf[65536];
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    assert_true(n > 0);
    xmlDocPtr doc = xmlReadMemory(buf, (int)n, "pipe.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    assert_non_null(doc);
    check_str(doc, "/dfxml/run_status", "killed by signal 6");
    check_num(doc, "count(/dfxml/fileobject)", 1);
    xmlFreeDoc(doc);
}

/* Plain fileobjects go to the writer in one raw piece: the bytes must be
 * exactly those of the element-by-element path, for every shape of flow,
 * and with raw and non-raw fileobjects mixed (indentation state). */
static char *report_with(int raw, off_t *len)
{
    char err[256] = "";
    struct dfxml_run run = base_run();
    struct dfxml *x = dfxml_open(path, &run, err, sizeof err);
    assert_non_null(x);
    dfxml_set_raw(x, raw);
    struct flow_summary a = flow_v4();
    struct flow_summary b = flow_v4();            /* IPv6, VLAN, no MAC, hashes, gaps */
    b.family = 6;
    memset(b.src, 0, 16); b.src[0] = 0xfd; b.src[15] = 1;
    memset(b.dst, 0, 16); b.dst[0] = 0xfd; b.dst[15] = 2;
    b.has_mac = false; b.has_vlan = true; b.vlan = 7; b.gap_bytes = 9; b.stored = 3;
    b.out_of_order = 2; b.violations = 1; b.caplen = 300; b.complete = false; b.end = FLOW_END_RST;
    b.has_md5 = b.has_sha256 = true;
    memset(b.md5, 0xab, 16); memset(b.sha256, 0x5c, 32);
    struct flow_summary c = flow_v4();            /* needs escaping: always the writer */
    c.filename = "out/a&b<c>'d\e";
    struct flow_summary d = flow_v4();            /* no file; a MAC of zeros is left out */
    d.filename = NULL;
    memset(d.mac_src, 0, 6);
    d.start_us = -1500000;                        /* before 1970 */
    struct flow_summary e = flow_v4();            /* not UTF-8: escaped='1' */
    e.filename = "out/\xffÿ";
    struct flow_summary g = flow_v4();            /* tunneled: a description longer than an address */
    g.encap = "gre_198.18.0.1_198.18.0.2+vxlan.42_fd00:1::1234:5678:9abc:def0_fd00:2::1234:5678:9abc:def0";
    const struct flow_summary *seq[] = { &a, &b, &c, &a, &d, &e, &b, &a, &g };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        assert_int_equal(dfxml_fileobject(x, seq[i], NULL), 0);
    assert_int_equal(dfxml_fileobject(x, &a, "<x y='1'/>"), 0);   /* a scanner fragment */
    assert_int_equal(dfxml_fileobject(x, &a, NULL), 0);
    struct dfxml_end end = { .status = "complete" };
    assert_int_equal(dfxml_close(x, &end, err, sizeof err), 0);
    xmllint_ok(path);
    size_t n;
    char *t = slurp(path, &n);
    assert_non_null(t);
    char *cut = strstr(t, "  <summary");            /* the trailer has times */
    assert_non_null(cut);
    *cut = 0;
    *len = (off_t)(cut - t);
    return t;
}

static void test_raw_same_bytes(void **state)
{
    (void)state;
    off_t l1, l2;
    char *slow = report_with(0, &l1);
    char *fast = report_with(1, &l2);
    /* the header has the wall-clock start: compare from the first fileobject */
    char *s1 = strstr(slow, "  <fileobject>"), *s2 = strstr(fast, "  <fileobject>");
    assert_non_null(s1);
    assert_non_null(s2);
    assert_string_equal(s1, s2);
    assert_non_null(strstr(s1, "src_ipn='fd00::1'"));
    assert_non_null(strstr(s1, "escaped='1'"));
    assert_non_null(strstr(s1, "a&amp;b&lt;c&gt;"));
    assert_non_null(strstr(s1, " encapsulation='gre_198.18.0.1_198.18.0.2+vxlan.42_fd00:1::1234:5678:9abc:def0_fd00:2::1234:5678:9abc:def0'"));
    free(slow);
    free(fast);
}

/* <losses>: totals always, details only when not zero, <capture> for a
 * live run (an odd interface name escaped). */
static void test_losses(void **state)
{
    (void)state;
    char err[256] = "";
    struct dfxml_run run = base_run();
    struct dfxml_counter sk[] = { { "IP headers cut short by the capture", 3 }, { "never", 0 },
                                  { "fragmented datagrams incomplete at end of input", 19 } };
    struct dfxml_losses l = {
        .live = 1, .source = "eth\xff" "0", .received = 1000, .kernel_drops = 40, .if_drops = 2,
        .captured = 958, .processed = 950, .snaplen = 262144, .buffer_bytes = 1 << 25,
        .ring_bytes = 1 << 26, .ring_peak = 12345, .ring_waits = 1,
        .gap_flows = 2, .gap_bytes = 978420, .gap_stream_bytes = 999150,
        .packets = 878, .truncated = 691, .skipped = sk, .n_skipped = 3,
    };
    struct dfxml *x = dfxml_open(path, &run, err, sizeof err);
    assert_non_null(x);
    struct dfxml_end end = { .status = "stopped by SIGINT", .losses = &l };
    assert_int_equal(dfxml_close(x, &end, err, sizeof err), 0);
    xmllint_ok(path);
    xmlDocPtr doc = load(path);
    assert_non_null(doc);
    check_num(doc, "count(/dfxml/losses)", 1);
    check_num(doc, "count(/dfxml/losses/following-sibling::*)", 1);     /* run_status */
    check_num(doc, "/dfxml/losses/@dropped_packets", 42);
    check_num(doc, "/dfxml/losses/@missing_bytes", 978420);
    check_num(doc, "/dfxml/losses/@truncated_packets", 691);
    check_num(doc, "/dfxml/losses/@skipped", 22);
    check_str(doc, "/dfxml/losses/capture/@interface", "eth\\xff0");
    check_str(doc, "/dfxml/losses/capture/@escaped", "1");
    check_num(doc, "/dfxml/losses/capture/@received", 1000);
    check_num(doc, "/dfxml/losses/capture/@kernel_drops", 40);
    check_num(doc, "/dfxml/losses/capture/@interface_drops", 2);
    check_num(doc, "/dfxml/losses/capture/@captured", 958);
    check_num(doc, "/dfxml/losses/capture/@processed", 950);
    check_num(doc, "/dfxml/losses/capture/@snaplen", 262144);
    check_num(doc, "/dfxml/losses/capture/@ring_peak", 12345);
    check_num(doc, "/dfxml/losses/missing_bytes/@flows", 2);
    check_num(doc, "/dfxml/losses/missing_bytes/@bytes", 978420);
    check_num(doc, "/dfxml/losses/missing_bytes/@of", 999150);
    check_num(doc, "/dfxml/losses/truncated/@packets", 691);
    check_num(doc, "/dfxml/losses/truncated/@of", 878);
    check_num(doc, "/dfxml/losses/skipped/@count", 22);
    check_num(doc, "count(/dfxml/losses/skipped/reason)", 2);
    check_str(doc, "/dfxml/losses/skipped/reason[2]", "fragmented datagrams incomplete at end of input");
    check_num(doc, "/dfxml/losses/skipped/reason[2]/@count", 19);
    xmlFreeDoc(doc);

    /* a file run that lost nothing: the totals, no children */
    struct dfxml_losses none = { .packets = 10 };
    x = dfxml_open(path, &run, err, sizeof err);
    assert_non_null(x);
    end.status = "complete";
    end.losses = &none;
    assert_int_equal(dfxml_close(x, &end, err, sizeof err), 0);
    char *txt = slurp(path, NULL);
    assert_non_null(strstr(txt, "\n  <losses dropped_packets='0' missing_bytes='0' truncated_packets='0' skipped='0'/>\n"
                                "  <run_status>complete</run_status>\n</dfxml>\n"));
    free(txt);
}

/* No fileobjects, no config, NULL end: still a complete document. */
static void test_empty(void **state)
{
    (void)state;
    char err[256] = "";
    struct dfxml *x = dfxml_open(path, NULL, err, sizeof err);
    assert_non_null(x);
    assert_int_equal(dfxml_close(x, NULL, err, sizeof err), 0);
    assert_int_equal(dfxml_close(NULL, NULL, NULL, 0), 0);
    xmlDocPtr doc = load(path);
    assert_non_null(doc);
    check_num(doc, "count(/dfxml/fileobject)", 0);
    check_str(doc, "/dfxml/run_status", "unknown");
    check_str(doc, "/dfxml/creator/version", "1.6.1");
    check_str(doc, "/dfxml/creator/execution_environment/command_line", "");
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_time),
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
        cmocka_unit_test(test_dev_full),
        cmocka_unit_test_setup_teardown(test_full_midway, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_no_room_for_trailer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_on_signal, setup, teardown),
        cmocka_unit_test(test_pipe),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_losses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_same_bytes, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
