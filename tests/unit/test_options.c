/* test_options.c - the 1.6.1 command line: every option, -S settings,
 * -F/-T order, errors and their results (OPT_EXIT_ERR -> exit 1,
 * OPT_EXIT_USAGE -> exit 2, OPT_EXIT_OK -> exit 0), messages, -h/-V/-H texts.
 *
 * options_parse uses getopt_long (global state, printed messages, log_level),
 * so each parse runs in a forked child exactly as in the program (fresh
 * getopt state, one parse per process): the child's stdout and stderr go to
 * temporary files and the resulting struct options is sent back (scalars as
 * they are, strings copied).
 *
 * test_regr_* are regressions: each failed on a bug this file found, since fixed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flow/naming.h"
#include "app/options.h"
#include "util/version.h"
#include "util/log.h"

/* ---- harness: parse in a child ---- */

struct res {
    enum opt_result r;
    struct options o;          /* strings below are the parent's copies */
    int log_level;
    char *out, *err;           /* the child's stdout and stderr */
    char **paths;              /* o.inputs[i].path copies */
};

/* -V: 1.6.1's line, then this implementation and its version (util/version.h) */
static const char *version_line(void)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "TCPFLOW 1.6.1 (%s %s)\n", tcpflow_impl_name, tcpflow_impl_version);
    return buf;
}

static void put_str(FILE *f, const char *s)
{
    int32_t n = s ? (int32_t)strlen(s) : -1;
    fwrite(&n, sizeof n, 1, f);
    if (s) fwrite(s, 1, (size_t)n, f);
}

static char *get_str(FILE *f)
{
    int32_t n;
    assert_int_equal(fread(&n, sizeof n, 1, f), 1);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    return s;
}

static char *slurp(FILE *f)
{
    fflush(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    return s;
}

static void child(FILE *fo, FILE *fe, FILE *fd, int argc, char **argv)
{
    if (dup2(fileno(fo), 1) < 0 || dup2(fileno(fe), 2) < 0) _exit(99);
    struct options o;
    enum opt_result r = options_parse(&o, argc, argv);
    fflush(stdout);
    fflush(stderr);
    fwrite(&r, sizeof r, 1, fd);
    fwrite(&o, sizeof o, 1, fd);
    fwrite(&log_level, sizeof log_level, 1, fd);
    for (size_t i = 0; i < o.ninputs; i++) {
        put_str(fd, o.inputs[i].path);
        fwrite(&o.inputs[i].finish_only, sizeof(bool), 1, fd);
    }
    put_str(fd, o.iface);
    put_str(fd, o.bpf);
    put_str(fd, o.outdir);
    put_str(fd, o.tmpl);
    put_str(fd, o.lockname);
    put_str(fd, o.report);
    put_str(fd, o.wfile);
    put_str(fd, o.user);
    put_str(fd, o.chroot);
    put_str(fd, o.frag_policy);
    for (size_t i = 0; i < o.nsettings; i++)
        put_str(fd, o.settings[i]);
    if (fflush(fd) != 0) _exit(98);
    options_release(&o);
    _exit(0);
}

/* Parse "tcpflow" + the NULL-terminated arguments. */
static void run_v(struct res *R, const char *first, va_list ap)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"tcpflow";
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc < 63);
        argv[argc++] = (char *)a;
    }
    argv[argc] = NULL;

    FILE *fo = tmpfile(), *fe = tmpfile(), *fd = tmpfile();
    assert_non_null(fo);
    assert_non_null(fe);
    assert_non_null(fd);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child(fo, fe, fd, argc, argv);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    memset(R, 0, sizeof *R);
    R->out = slurp(fo);
    R->err = slurp(fe);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "child died (status 0x%x); stderr:\n%s\n", st, R->err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    rewind(fd);
    assert_int_equal(fread(&R->r, sizeof R->r, 1, fd), 1);
    assert_int_equal(fread(&R->o, sizeof R->o, 1, fd), 1);
    assert_int_equal(fread(&R->log_level, sizeof R->log_level, 1, fd), 1);
    struct options *o = &R->o;
    o->argv = NULL;
    if (o->ninputs) {
        o->inputs = calloc(o->ninputs, sizeof o->inputs[0]);
        R->paths = calloc(o->ninputs, sizeof R->paths[0]);
        assert_non_null(o->inputs);
        assert_non_null(R->paths);
        for (size_t i = 0; i < o->ninputs; i++) {
            R->paths[i] = get_str(fd);
            o->inputs[i].path = R->paths[i];
            assert_int_equal(fread(&o->inputs[i].finish_only, sizeof(bool), 1, fd), 1);
        }
    } else
        o->inputs = NULL;
    o->iface = get_str(fd);
    o->bpf = get_str(fd);
    o->outdir = get_str(fd);
    o->tmpl = get_str(fd);
    o->lockname = get_str(fd);
    o->report = get_str(fd);
    o->wfile = get_str(fd);
    o->user = get_str(fd);
    o->chroot = get_str(fd);
    o->frag_policy = get_str(fd);
    if (o->nsettings) {
        o->settings = calloc(o->nsettings, sizeof o->settings[0]);
        assert_non_null(o->settings);
        for (size_t i = 0; i < o->nsettings; i++)
            o->settings[i] = get_str(fd);
    } else
        o->settings = NULL;
    fclose(fo);
    fclose(fe);
    fclose(fd);
}

static void run(struct res *R, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    run_v(R, first, ap);
    va_end(ap);
}

static void res_free(struct res *R)
{
    struct options *o = &R->o;
    for (size_t i = 0; i < o->ninputs; i++) free(R->paths[i]);
    free(R->paths);
    free(o->inputs);
    free((char *)o->iface);
    free(o->bpf);
    free((char *)o->outdir);
    free(o->tmpl);
    free((char *)o->lockname);
    free((char *)o->report);
    free((char *)o->wfile);
    free((char *)o->user);
    free((char *)o->chroot);
    free((char *)o->frag_policy);
    for (size_t i = 0; i < o->nsettings; i++) free(o->settings[i]);
    free(o->settings);
    free(R->out);
    free(R->err);
}

static void contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        fprintf(stderr, "expected to find [%s] in:\n[%s]\n", needle, hay);
        fail();
    }
}

static void lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle)) {
        fprintf(stderr, "did not expect [%s] in:\n[%s]\n", needle, hay);
        fail();
    }
}

/* Expect OPT_EXIT_ERR (exit 1) and exactly one stderr line "tcpflow: msg". */
static void expect_err(const char *msg, const char *first, ...)
{
    struct res R;
    va_list ap;
    va_start(ap, first);
    run_v(&R, first, ap);
    va_end(ap);
    char want[512];
    snprintf(want, sizeof want, "tcpflow: %s\n", msg);
    if (R.r != OPT_EXIT_ERR || strcmp(R.err, want) != 0) {
        fprintf(stderr, "want OPT_EXIT_ERR and [%s], got %d and [%s]\n", want, R.r, R.err);
        fail();
    }
    assert_string_equal(R.out, "");
    res_free(&R);
}

/* Expect OPT_RUN and no output at all; the caller checks and frees R. */
static void expect_run(struct res *R, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    run_v(R, first, ap);
    va_end(ap);
    if (R->r != OPT_RUN)
        fprintf(stderr, "result %d, stderr [%s]\n", R->r, R->err);
    assert_int_equal(R->r, OPT_RUN);
    assert_string_equal(R->out, "");
    assert_string_equal(R->err, "");
}

/* ---- defaults ---- */

static void test_defaults(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, NULL);
    const struct options *o = &R.o;
    assert_int_equal(o->ninputs, 0);
    assert_null(o->iface);
    assert_true(o->promisc);
    assert_null(o->bpf);
    assert_string_equal(o->outdir, ".");
    assert_string_equal(o->tmpl, NAMING_DEFAULT_TEMPLATE);
    assert_true(o->store_files);
    assert_false(o->console);
    assert_false(o->console_hex);
    assert_false(o->console_binary);
    assert_false(o->console_strip);
    assert_false(o->console_nonl);
    assert_false(o->console_color);
    assert_false(o->console_json);
    assert_null(o->lockname);
    assert_false(o->md5);
    assert_false(o->findx);
    assert_false(o->pcap_per_flow);
    assert_false(o->quiet);
    assert_false(o->keep_closed);
    assert_true(o->max_bytes == UINT64_MAX);
    assert_int_equal(o->max_seek, 16777216);
    assert_int_equal(o->max_fds, 0);
    assert_null(o->report);
    assert_true(o->enable_report);
    assert_null(o->wfile);
    assert_null(o->user);
    assert_null(o->chroot);
    assert_true(o->gunzip_http);
    assert_true(o->progress);
    assert_int_equal(o->tdelta_us, 0);
    assert_int_equal(o->pbuf_timeout_ms, 10);
    assert_int_equal(o->tcp_timeout_us, 0);
    assert_false(o->tcp_overlap_last);
    assert_true(o->check_fcs);
    assert_int_equal(o->frag_timeout_us, 60 * 1000000LL);
    assert_int_equal(o->frag_memcap, 67108864);
    assert_int_equal(o->frag_max_datagrams, 65536);
    assert_string_equal(o->frag_policy, "first");
    assert_int_equal(o->max_buffered, 67108864);
    assert_int_equal(o->closed_linger_us, 300ull * 1000000);
    assert_int_equal(o->max_closed, 4096);
    assert_int_equal(o->max_flows, 0);
    assert_false(options_scanner_on(o, "http"));
    assert_false(options_scanner_on(o, "md5"));
    assert_false(options_scanner_on(o, "netviz"));
    assert_true(options_scanner_on(o, "tcpdemux"));
    assert_int_equal(o->argc, 1);
    assert_int_equal(o->nsettings, 0);
    assert_int_equal(R.log_level, 1);
    res_free(&R);
}

/* ---- inputs and the expression ---- */

static void test_inputs_order(void **st)
{
    (void)st;
    struct res R;
    /* -R files come after every -r and -l file, each group in order */
    expect_run(&R, "-R", "f1", "-r", "a", "-R", "f2", "-r", "b", "-l", "c", "d", NULL);
    static const char *want[] = { "a", "b", "c", "d", "f1", "f2" };
    static const bool fin[] = { false, false, false, false, true, true };
    assert_int_equal(R.o.ninputs, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(R.o.inputs[i].path, want[i]);
        assert_int_equal(R.o.inputs[i].finish_only, fin[i]);
    }
    assert_null(R.o.bpf);           /* -l: the arguments are files */
    assert_int_equal(R.o.argc, 12);
    res_free(&R);

    expect_run(&R, "-r", "-", NULL);
    assert_int_equal(R.o.ninputs, 1);
    assert_string_equal(R.o.inputs[0].path, "-");
    assert_false(R.o.inputs[0].finish_only);
    res_free(&R);

    /* -R only */
    expect_run(&R, "-R", "x", "-R", "y", NULL);
    assert_int_equal(R.o.ninputs, 2);
    assert_string_equal(R.o.inputs[0].path, "x");
    assert_string_equal(R.o.inputs[1].path, "y");
    assert_true(R.o.inputs[0].finish_only && R.o.inputs[1].finish_only);
    res_free(&R);
}

static void test_expression(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "-r", "x.pcap", "tcp", "and", "port", "80", NULL);
    assert_string_equal(R.o.bpf, "tcp and port 80");
    assert_int_equal(R.o.ninputs, 1);
    res_free(&R);
    expect_run(&R, "host 10.0.0.1", NULL);
    assert_string_equal(R.o.bpf, "host 10.0.0.1");
    res_free(&R);
    /* "--" ends the options */
    expect_run(&R, "--", "-c", NULL);
    assert_string_equal(R.o.bpf, "-c");
    assert_false(R.o.console);
    res_free(&R);
}

/* ---- numbers ---- */

static void test_numbers(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "-b", "100", "-m", "0", "-f", "7", "-d", "5", NULL);
    assert_int_equal(R.o.max_bytes, 100);
    assert_int_equal(R.o.max_seek, 0);
    assert_int_equal(R.o.max_fds, 7);
    assert_int_equal(R.log_level, 5);
    res_free(&R);

    expect_run(&R, "-b", "0", "-f", "0", "-m", "18446744073709551615", NULL);
    assert_int_equal(R.o.max_bytes, 0);
    assert_int_equal(R.o.max_fds, 1);        /* -f 0 = 1 */
    assert_true(R.o.max_seek == UINT64_MAX);
    res_free(&R);

    expect_run(&R, "-f", "1000000", "-b18446744073709551615", NULL);
    assert_int_equal(R.o.max_fds, 1000000);
    assert_true(R.o.max_bytes == UINT64_MAX);
    res_free(&R);

    /* -d: negative means 1, capped at 1000; -v is 10; the last one wins */
    expect_run(&R, "-d", "-3", NULL);
    assert_int_equal(R.log_level, 1);
    res_free(&R);
    expect_run(&R, "-d", "5000", NULL);
    assert_int_equal(R.log_level, 1000);
    res_free(&R);
    expect_run(&R, "-d", "0", NULL);
    assert_int_equal(R.log_level, 0);
    res_free(&R);
    expect_run(&R, "-v", NULL);
    assert_int_equal(R.log_level, 10);
    res_free(&R);
    expect_run(&R, "-v", "-d2", NULL);
    assert_int_equal(R.log_level, 2);
    res_free(&R);
}

static void test_number_errors(void **st)
{
    (void)st;
    expect_err("-b: invalid number of bytes 'abc'", "-b", "abc", NULL);
    expect_err("-b: invalid number of bytes '-1'", "-b", "-1", NULL);
    expect_err("-b: invalid number of bytes '12k'", "-b", "12k", NULL);
    expect_err("-b: invalid number of bytes ''", "-b", "", NULL);
    expect_err("-b: invalid number of bytes '18446744073709551616'", "-b", "18446744073709551616", NULL);
    expect_err("-m: invalid number 'x'", "-m", "x", NULL);
    expect_err("-m: invalid number '-5'", "-m", "-5", NULL);
    expect_err("-f: invalid number '1000001'", "-f", "1000001", NULL);
    expect_err("-f: invalid number '-1'", "-f", "-1", NULL);
    expect_err("-f: invalid number '2x'", "-f", "2x", NULL);
    expect_err("-d: invalid debug level 'high'", "-d", "high", NULL);
    /* the first error stops the parse: later options are not looked at */
    expect_err("-b: invalid number of bytes 'z'", "-b", "z", "-Q", NULL);
}

/* ---- flags ---- */

static void test_console_flags(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "-c", NULL);
    assert_true(R.o.console);
    assert_true(R.o.console_header);
    assert_false(R.o.store_files);          /* -c: no flow files */
    res_free(&R);

    expect_run(&R, "-C", "-D", "-B", "-s", "-0", "-g", "-J", NULL);
    assert_true(R.o.console);
    assert_false(R.o.console_header);
    assert_true(R.o.console_hex);
    assert_true(R.o.console_binary);
    assert_true(R.o.console_strip);
    assert_true(R.o.console_nonl);
    assert_true(R.o.console_color);
    assert_true(R.o.console_json);
    assert_false(R.o.store_files);
    res_free(&R);

    /* the later of -c/-C decides the header */
    expect_run(&R, "-C", "-c", NULL);
    assert_true(R.o.console_header);
    res_free(&R);
    expect_run(&R, "-cC", NULL);
    assert_false(R.o.console_header);
    res_free(&R);

    /* console flags without -c/-C do not turn the console on */
    expect_run(&R, "-D", "-J", NULL);
    assert_false(R.o.console);
    assert_true(R.o.store_files);
    res_free(&R);
}

static void test_misc_flags(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "-i", "eth0", "-p", "-P", "-q", "-K", "-I", "-L", "sem1", "-o", "out",
               "-U", "nobody", "-z", "/jail", "-X", "rep.xml", "-Z", "-r", "in.pcap", "-w", "un.pcap",
               NULL);
    const struct options *o = &R.o;
    assert_string_equal(o->iface, "eth0");
    assert_false(o->promisc);
    assert_true(o->keep_closed);
    assert_true(o->quiet);
    assert_false(o->progress);
    assert_true(o->pcap_per_flow);
    assert_true(o->findx);
    assert_string_equal(o->lockname, "sem1");
    assert_string_equal(o->outdir, "out");
    assert_string_equal(o->user, "nobody");
    assert_string_equal(o->chroot, "/jail");
    assert_string_equal(o->report, "rep.xml");
    assert_false(o->gunzip_http);
    assert_string_equal(o->wfile, "un.pcap");
    assert_false(o->store_files);                  /* -K writes pcaps instead of flow files (1.6.1) */
    res_free(&R);
    expect_run(&R, "-r", "in.pcap", NULL);
    assert_true(R.o.store_files);
    assert_false(R.o.pcap_per_flow);
    res_free(&R);

    /* grouped flags and attached arguments */
    expect_run(&R, "-pqIoout2", "-ieth1", NULL);
    assert_false(R.o.promisc);
    assert_true(R.o.quiet);
    assert_true(R.o.findx);
    assert_string_equal(R.o.outdir, "out2");
    assert_string_equal(R.o.iface, "eth1");
    res_free(&R);

    /* -A x: a note, then nothing else (its argument is eaten: -AH is not -H) */
    run(&R, "-AH", NULL);
    assert_int_equal(R.r, OPT_RUN);
    assert_string_equal(R.err, "tcpflow: -AH has been deprecated. Just use -a\n");
    assert_string_equal(R.out, "");
    assert_false(options_scanner_on(&R.o, "md5"));
    res_free(&R);

    /* -o: the last one wins */
    expect_run(&R, "-o", "a", "-o", "b", NULL);
    assert_string_equal(R.o.outdir, "b");
    res_free(&R);
}

static void test_long_options(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "--chroot=/c", "--relinquish-privileges=u", "--verbose", NULL);
    assert_string_equal(R.o.chroot, "/c");
    assert_string_equal(R.o.user, "u");
    assert_int_equal(R.log_level, 10);
    res_free(&R);
    expect_run(&R, "--chroot", "/d", "--relinquish-privileges", "v", NULL);
    assert_string_equal(R.o.chroot, "/d");
    assert_string_equal(R.o.user, "v");
    res_free(&R);
    /* an unambiguous prefix is accepted (getopt_long) */
    expect_run(&R, "--verb", NULL);
    assert_int_equal(R.log_level, 10);
    res_free(&R);
    run(&R, "--version", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    assert_string_equal(R.out, version_line());
    res_free(&R);
    run(&R, "--help", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    contains(R.out, "usage: tcpflow ");
    res_free(&R);
}

/* ---- -F and -T ---- */

static void tmpl_is(const char *want, const char *first, ...)
{
    struct res R;
    va_list ap;
    va_start(ap, first);
    run_v(&R, first, ap);
    va_end(ap);
    if (R.r != OPT_RUN || strcmp(R.o.tmpl, want) != 0) {
        fprintf(stderr, "want template [%s], got %d [%s] stderr [%s]\n", want, R.r,
                R.o.tmpl ? R.o.tmpl : "(null)", R.err);
        fail();
    }
    assert_string_equal(R.err, "");
    res_free(&R);
}

static void test_F_T_order(void **st)
{
    (void)st;
    tmpl_is("%tT%A.%a-%B.%b%V%v%C%c", "-Ft", NULL);
    tmpl_is("%T%A.%a-%B.%b%V%v%C%c", "-FT", NULL);
    tmpl_is("%K/%A.%a-%B.%b%V%v%C%c", "-Fk", NULL);
    tmpl_is("%M000-%M999/%M%K/%A.%a-%B.%b%V%v%C%c", "-Fm", NULL);
    tmpl_is("%G000000-%G999999/%G%M000-%G%M999/%G%M%K/%A.%a-%B.%b%V%v%C%c", "-Fg", NULL);
    /* letters in order, within one -F and across several */
    tmpl_is("%K/%tT%A.%a-%B.%b%V%v%C%c", "-Ftk", NULL);
    tmpl_is("%tT%K/%A.%a-%B.%b%V%v%C%c", "-Fk", "-Ft", NULL);
    /* -T replaces: an earlier -F is lost, a later one edits the new template */
    tmpl_is("x%C%c", "-Fk", "-T", "x", NULL);
    tmpl_is("%K/x%C%c", "-T", "x", "-Fk", NULL);
    tmpl_is("y%C%c", "-T", "x", "-T", "y", NULL);
    /* finalize: %C%c appended unless %c is there; %# does not count */
    tmpl_is("%A%c", "-T", "%A%c", NULL);
    tmpl_is("%N%#%C%c", "-T", "%N%#", NULL);
    tmpl_is("d/%S/%A%C%c", "-T", "d/%S/%A", NULL);
    /* a trailing lone % pairs with the appended %C%c (1.6.1: names x%C, x%C1) */
    tmpl_is("x%%C%c", "-T", "x%", NULL);
    /* X and M do not touch the template */
    tmpl_is(NAMING_DEFAULT_TEMPLATE, "-FXM", NULL);
}

static void test_F_counter(void **st)
{
    (void)st;
    /* -Fc: the counter on every name, nothing appended */
    tmpl_is("%A.%a-%B.%b%V%vc%#", "-Fc", NULL);
    tmpl_is("xc%#", "-T", "x", "-Fc", NULL);
    tmpl_is("x%#", "-T", "x%c", "-Fc", NULL);
    /* a later -T cancels -Fc */
    tmpl_is("x%C%c", "-Fc", "-T", "x", NULL);
    /* other letters after c keep it */
    tmpl_is("%K/%A.%a-%B.%b%V%vc%#", "-Fck", NULL);
    tmpl_is("%tTxc%#", "-T", "x", "-Fc", "-Ft", NULL);
}

static void test_F_unknown_letter(void **st)
{
    (void)st;
    struct res R;
    run(&R, "-Fqk", "-Fz", NULL);
    assert_int_equal(R.r, OPT_RUN);
    assert_string_equal(R.err, "tcpflow: -F invalid format specification 'q'\n"
                               "tcpflow: -F invalid format specification 'z'\n");
    assert_string_equal(R.o.tmpl, "%K/%A.%a-%B.%b%V%v%C%c");   /* k still applied */
    res_free(&R);
}

static void test_T_errors(void **st)
{
    (void)st;
    struct res R;
    run(&R, "-T", "x%Q", NULL);
    assert_int_equal(R.r, OPT_EXIT_ERR);
    assert_string_equal(R.out, "");
    contains(R.err, "tcpflow: Invalid filename_template: x%Q");
    contains(R.err, "(unknown code %Q)\n");
    res_free(&R);

    run(&R, "-T", "x%c%", NULL);
    assert_int_equal(R.r, OPT_EXIT_ERR);
    assert_string_equal(R.err, "tcpflow: Invalid filename_template: x%c% (ends with a lone %)\n");
    res_free(&R);

    run(&R, "-T", "%A%k", "-Fc", NULL);
    assert_int_equal(R.r, OPT_EXIT_ERR);
    contains(R.err, "(unknown code %k)");
    res_free(&R);

    /* replaced by a good one: fine */
    tmpl_is("ok%C%c", "-T", "x%Q", "-T", "ok", NULL);
}

/* ---- scanners, -FX, -FM ---- */

static void test_scanners(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "-FM", NULL);
    assert_true(R.o.md5);
    assert_false(options_scanner_on(&R.o, "md5"));
    assert_true(R.o.store_files);
    res_free(&R);

    expect_run(&R, "-e", "md5", NULL);
    assert_true(R.o.md5);
    assert_true(options_scanner_on(&R.o, "md5"));
    res_free(&R);

    expect_run(&R, "-a", NULL);
    assert_true(R.o.md5);
    assert_true(options_scanner_on(&R.o, "md5") && options_scanner_on(&R.o, "http") && options_scanner_on(&R.o, "netviz") && options_scanner_on(&R.o, "tcpdemux"));
    assert_true(R.o.store_files);
    res_free(&R);

    expect_run(&R, "-e", "all", "-x", "netviz", "-e", "wifiviz", NULL);
    assert_true(options_scanner_on(&R.o, "md5") && options_scanner_on(&R.o, "http") && options_scanner_on(&R.o, "tcpdemux"));
    assert_false(options_scanner_on(&R.o, "netviz"));
    res_free(&R);

    expect_run(&R, "-x", "tcpdemux", NULL);
    assert_false(options_scanner_on(&R.o, "tcpdemux"));
    assert_false(R.o.store_files);
    res_free(&R);

    /* -E: everything off, tcpdemux included, then one on */
    expect_run(&R, "-E", "http", NULL);
    assert_true(options_scanner_on(&R.o, "http"));
    assert_false(options_scanner_on(&R.o, "md5") || options_scanner_on(&R.o, "netviz") || options_scanner_on(&R.o, "tcpdemux"));
    assert_false(R.o.store_files);
    res_free(&R);
    expect_run(&R, "-a", "-E", "tcpdemux", NULL);
    assert_true(options_scanner_on(&R.o, "tcpdemux"));
    assert_false(options_scanner_on(&R.o, "md5") || options_scanner_on(&R.o, "netviz") || options_scanner_on(&R.o, "http"));
    assert_true(R.o.store_files);
    assert_true(R.o.md5);                   /* -a's own md5 stays */
    res_free(&R);
    expect_run(&R, "-E", "md5", "-S", "tls_keylog=/dev/null", NULL);
    assert_false(options_scanner_on(&R.o, "tls"));   /* -E: the key log does not turn tls on */
    res_free(&R);
    expect_run(&R, "-S", "tls_keylog=/dev/null", NULL);
    assert_true(options_scanner_on(&R.o, "tls"));
    res_free(&R);

    /* -FX: report only */
    expect_run(&R, "-FX", NULL);
    assert_false(R.o.store_files);
    assert_true(R.o.enable_report);
    res_free(&R);

    expect_err("Invalid scanner name 'bogus'", "-e", "bogus", NULL);
    expect_err("Invalid scanner name 'MD5'", "-x", "MD5", NULL);
    expect_err("Invalid scanner name ''", "-E", "", NULL);
    expect_err("ERROR: post_processing currently requires storing output.", "-e", "md5", "-FX", NULL);
    expect_err("ERROR: post_processing currently requires storing output.", "-FX", "-a", NULL);
    /* the http scanner streams: it works without flow files (1.6.1 refused) */
    expect_run(&R, "-FX", "-e", "http", NULL);
    assert_false(R.o.store_files);
    assert_true(options_scanner_on(&R.o, "http"));
    res_free(&R);
    /* -FM alone is not post-processing */
    expect_run(&R, "-FXM", NULL);
    assert_true(R.o.md5);
    assert_false(R.o.store_files);
    res_free(&R);
}

/* ---- -S ---- */

static void test_settings_values(void **st)
{
    (void)st;
    struct res R;
    expect_run(&R, "-S", "tdelta=5", "-S", "packet-buffer-timeout=20", "-S", "enable_report=NO",
               "-S", "check_fcs=no", "-S", "tcp_timeout=30", "-S", "tcp_overlap=last",
               "-S", "frag_timeout=7", "-S", "frag_policy=linux", "-S", "frag_memcap=1000",
               "-S", "frag_max_datagrams=3", "-S", "write_buffer_memcap=4096",
               "-S", "max_flows=11", "-S", "closed_linger=0", "-S", "max_closed=12", NULL);
    const struct options *o = &R.o;
    assert_int_equal(o->tdelta_us, 5000000);
    assert_int_equal(o->pbuf_timeout_ms, 20);
    assert_false(o->enable_report);
    assert_false(o->check_fcs);
    assert_int_equal(o->tcp_timeout_us, 30000000);
    assert_true(o->tcp_overlap_last);
    assert_int_equal(o->frag_timeout_us, 7000000);
    assert_string_equal(o->frag_policy, "linux");
    assert_int_equal(o->frag_memcap, 1000);
    assert_int_equal(o->frag_max_datagrams, 3);
    assert_int_equal(o->max_buffered, 4096);
    assert_int_equal(o->max_flows, 11);
    assert_int_equal(o->closed_linger_us, 0);
    assert_int_equal(o->max_closed, 12);
    assert_int_equal(o->nsettings, 14);
    assert_string_equal(o->settings[0], "tdelta=5");
    assert_string_equal(o->settings[6], "frag_timeout=7");
    assert_string_equal(o->settings[13], "max_closed=12");
    res_free(&R);

    expect_run(&R, "-S", "tdelta=-3600", "-S", "tcp_overlap=last", "-S", "tcp_overlap=first",
               "-S", "tcp_timeout=100000000", "-S", "closed_linger=100000000",
               "-S", "packet-buffer-timeout=100000", "-S", "frag_timeout=0", NULL);
    assert_int_equal(R.o.tdelta_us, -3600LL * 1000000);
    assert_false(R.o.tcp_overlap_last);
    assert_int_equal(R.o.tcp_timeout_us, 100000000LL * 1000000);
    assert_int_equal(R.o.closed_linger_us, 100000000ull * 1000000);
    assert_int_equal(R.o.pbuf_timeout_ms, 100000);
    assert_int_equal(R.o.frag_timeout_us, 0);
    res_free(&R);
}

static void test_settings_bools(void **st)
{
    (void)st;
    /* true when the value starts with Y, y, T, t or 1 */
    static const char *yes[] = { "enable_report=YES", "enable_report=y", "enable_report=True",
                                 "enable_report=t", "enable_report=1", "enable_report=yikes" };
    static const char *no[] = { "enable_report=NO", "enable_report=n", "enable_report=false",
                                "enable_report=0", "enable_report=", "enable_report=2" };
    struct res R;
    for (size_t i = 0; i < 6; i++) {
        expect_run(&R, "-S", "enable_report=NO", "-S", yes[i], NULL);
        assert_true(R.o.enable_report);
        res_free(&R);
        expect_run(&R, "-S", no[i], NULL);
        assert_false(R.o.enable_report);
        res_free(&R);
    }
    expect_run(&R, "-S", "check_fcs=T", NULL);
    assert_true(R.o.check_fcs);
    res_free(&R);
    expect_run(&R, "-S", "check_fcs=off", NULL);
    assert_false(R.o.check_fcs);
    res_free(&R);
}

static void test_settings_errors(void **st)
{
    (void)st;
    /* exactly one '=' and a name */
    expect_err("Invalid parameter: foo (use -S name=value)", "-S", "foo", NULL);
    expect_err("Invalid parameter: =5 (use -S name=value)", "-S", "=5", NULL);
    expect_err("Invalid parameter: a=b=c (use -S name=value)", "-S", "a=b=c", NULL);
    expect_err("Invalid parameter:  (use -S name=value)", "-S", "", NULL);
    /* bad numbers */
    expect_err("invalid value for -S tdelta: 'x'", "-S", "tdelta=x", NULL);
    expect_err("invalid value for -S tunnel_depth=x: not a number in range", "-S", "tunnel_depth=x", NULL);
    expect_err("invalid value for -S tunnels=bogus: not all, none or a list of tunnel names", "-S",
               "tunnels=bogus", NULL);
    expect_err("invalid value for -S tdelta: ''", "-S", "tdelta=", NULL);
    expect_err("invalid value for -S tdelta: '1.5'", "-S", "tdelta=1.5", NULL);
    expect_err("invalid value for -S packet-buffer-timeout: '100001'", "-S", "packet-buffer-timeout=100001", NULL);
    expect_err("invalid value for -S packet-buffer-timeout: '-1'", "-S", "packet-buffer-timeout=-1", NULL);
    expect_err("invalid value for -S tcp_timeout: '100000001'", "-S", "tcp_timeout=100000001", NULL);
    expect_err("invalid value for -S tcp_timeout: '-1'", "-S", "tcp_timeout=-1", NULL);
    expect_err("invalid value for -S tcp_overlap: 'middle'", "-S", "tcp_overlap=middle", NULL);
    expect_err("invalid value for -S tcp_overlap: 'LAST'", "-S", "tcp_overlap=LAST", NULL);
    expect_err("invalid value for -S frag_timeout: '100000001'", "-S", "frag_timeout=100000001", NULL);
    expect_err("invalid value for -S frag_memcap: '1M'", "-S", "frag_memcap=1M", NULL);
    expect_err("invalid value for -S frag_max_datagrams: '-2'", "-S", "frag_max_datagrams=-2", NULL);
    expect_err("invalid value for -S write_buffer_memcap: ''", "-S", "write_buffer_memcap=", NULL);
    expect_err("invalid value for -S max_flows: '99999999999999999999'", "-S", "max_flows=99999999999999999999", NULL);
    expect_err("invalid value for -S closed_linger: '100000001'", "-S", "closed_linger=100000001", NULL);
    expect_err("invalid value for -S max_closed: 'many'", "-S", "max_closed=many", NULL);
    /* an error after good settings still fails */
    expect_err("invalid value for -S max_flows: 'x'", "-S", "max_closed=1", "-S", "max_flows=x", NULL);
}

static void test_settings_unknown_accepted(void **st)
{
    (void)st;
    struct res R;
    /* unknown names and the scanners' settings are accepted and recorded */
    run(&R, "-S", "no_such_thing=42", "-S", "http_cmd=/bin/true", "-S", "tcp_alert_fd=3",
        "-S", "netviz_histogram_size=10", "-S", "debug-prefix=", "-S", "tcp_cmd=echo x",
        "-S", "http_alert_fd=-1", "-S", "netviz_histogram_dump=1", NULL);
    assert_int_equal(R.r, OPT_RUN);
    /* only the unknown one is mentioned (debug level 1, the default) */
    assert_string_equal(R.err, "tcpflow: warning: unknown setting 'no_such_thing' ignored\n");
    assert_int_equal(R.o.nsettings, 8);
    assert_string_equal(R.o.settings[0], "no_such_thing=42");
    assert_string_equal(R.o.settings[5], "tcp_cmd=echo x");
    assert_string_equal(R.o.settings[7], "netviz_histogram_dump=1");
    res_free(&R);
    /* unknown: a message at -d 1 */
    run(&R, "-d", "1", "-S", "zzz=1", NULL);
    assert_int_equal(R.r, OPT_RUN);
    assert_string_equal(R.err, "tcpflow: warning: unknown setting 'zzz' ignored\n");
    res_free(&R);
    /* ... none at -d 0 */
    expect_run(&R, "-d", "0", "-S", "zzz=1", NULL);
    res_free(&R);
}

/* ---- requirements between options ---- */

static void test_requirements(void **st)
{
    (void)st;
    struct res R;
    expect_err("-z option requires -U option", "-z", "/jail", NULL);
    expect_err("-z option requires -U option", "--chroot=/jail", NULL);
    expect_run(&R, "-z", "/jail", "-U", "nobody", NULL);
    res_free(&R);

    expect_err("currently the -w option requires the -r option", "-w", "x.pcap", NULL);
    expect_err("currently the -w option requires the -r option", "-w", "x.pcap", "-i", "lo", NULL);
    expect_run(&R, "-w", "x.pcap", "-R", "in.pcap", NULL);
    assert_string_equal(R.o.wfile, "x.pcap");
    res_free(&R);
    expect_run(&R, "-w", "x.pcap", "-l", "in.pcap", NULL);
    assert_int_equal(R.o.ninputs, 1);
    res_free(&R);
}

/* ---- -V, -h, -H ---- */

static void test_version(void **st)
{
    (void)st;
    struct res R;
    run(&R, "-V", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    assert_string_equal(R.out, version_line());
    assert_true(strncmp(R.out, "TCPFLOW 1.6.1 (tcpflow-c11 ", 27) == 0);
    assert_true(strlen(tcpflow_impl_version) > 0);
    assert_string_equal(R.err, "");
    res_free(&R);
    /* at once: later options (even bad ones) are not looked at */
    run(&R, "-c", "-V", "-Q", "-b", "x", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    assert_string_equal(R.out, version_line());
    assert_string_equal(R.err, "");
    res_free(&R);
}

static void test_help(void **st)
{
    (void)st;
    struct res R;
    run(&R, "-h", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    assert_string_equal(R.err, "");
    assert_true(strncmp(R.out, "TCPFLOW version 1.6.1\n\nusage: tcpflow [-aBcCDgHhIJKlpPqsvVZ0] ", 60) == 0);
    /* printf-expanded: single % signs */
    contains(R.out, "   -T{t} : filename template (-hh for options; default %A.%a-%B.%b%V%v%C%c)\n");
    contains(R.out, "Console output options:\n");
    contains(R.out, "See the man page for additional information.\n");
    lacks(R.out, "Filename Prefixes:");
    lacks(R.out, "Activated options -S name=value:");
    size_t short_len = strlen(R.out);
    res_free(&R);

    run(&R, "-hh", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    contains(R.out, "Activated options -S name=value:\n");
    contains(R.out, "   -S tcp_overlap=first    ");
    contains(R.out, "These scanners disabled by default; enable with -e:\n");
    contains(R.out, "Filename Prefixes:\n   -Fc : append the connection counter to ALL filenames\n");
    contains(R.out, "  %N - (connection_number )             % 1000\n");
    contains(R.out, "Default value is: '%A.%a-%B.%b%V%v%C%c'\n");
    /* long usage: settings and scanners before the console part, names after */
    assert_true(strstr(R.out, "Activated options") < strstr(R.out, "Console output options:"));
    assert_true(strstr(R.out, "Console output options:") < strstr(R.out, "Filename Prefixes:"));
    assert_true(strlen(R.out) > short_len + 1000);
    size_t long_len = strlen(R.out);
    res_free(&R);

    /* -h -h is -hh; more h's change nothing; -h wins over the rest of the line */
    run(&R, "-h", "-h", "-h", "-c", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    assert_int_equal(strlen(R.out), long_len);
    res_free(&R);
}

static void test_scanner_info(void **st)
{
    (void)st;
    struct res R;
    run(&R, "-H", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    assert_string_equal(R.err, "");
    contains(R.out, "\nScanner Name: md5\nflags:  SCANNER_DISABLED \nScanner Interface version: 4\n");
    contains(R.out, "\nScanner Name: tcpdemux\nflags:  NONE \n");
    contains(R.out, "\nScanner Name: wifiviz\nflags:  SCANNER_DISABLED \n");
    contains(R.out, "Activated options -S name=value:\n");
    contains(R.out, "These scanners enabled by default; disable with -x:\n");
    res_free(&R);
    /* reflects -e/-x given before or after it */
    run(&R, "-H", "-e", "md5", "-x", "tcpdemux", NULL);
    assert_int_equal(R.r, OPT_EXIT_OK);
    contains(R.out, "\nScanner Name: md5\nflags:  NONE \n");
    contains(R.out, "\nScanner Name: tcpdemux\nflags:  SCANNER_DISABLED \n");
    res_free(&R);
}

/* ---- usage errors: exit 2 ---- */

/* OPT_EXIT_USAGE, stderr = first_line (or, if exact is false, one line
 * containing first_line), then the short usage. */
static void usage_error_v(bool exact, const char *first_line, const char *first, va_list ap)
{
    struct res R;
    run_v(&R, first, ap);
    assert_int_equal(R.r, OPT_EXIT_USAGE);
    assert_string_equal(R.out, "");
    const char *nl = strchr(R.err, '\n');
    assert_non_null(nl);
    size_t n = (size_t)(nl + 1 - R.err);
    bool ok = exact ? strlen(first_line) == n && strncmp(R.err, first_line, n) == 0
                    : strncmp(R.err, "tcpflow: ", 9) == 0 && strstr(R.err, first_line) && strstr(R.err, first_line) < nl;
    if (!ok) {
        fprintf(stderr, "want first stderr line %s [%s], got [%.*s]\n", exact ? "=" : "containing",
                first_line, (int)n, R.err);
        fail();
    }
    /* then the short usage on stderr */
    assert_true(strncmp(R.err + n, "usage: tcpflow [-aBcCDgHhIJKlpPqsvVZ0] ", 39) == 0);
    contains(R.err + n, "See the man page for additional information.\n");
    lacks(R.err, "Filename Prefixes:");
    res_free(&R);
}

static void usage_error(const char *first_line, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    usage_error_v(true, first_line, first, ap);
    va_end(ap);
}

static void usage_error_naming(const char *part, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    usage_error_v(false, part, first, ap);
    va_end(ap);
}

static void test_usage_errors(void **st)
{
    (void)st;
    usage_error("tcpflow: invalid option -- 'Q'\n", "-Q", NULL);
    usage_error("tcpflow: invalid option -- 'y'\n", "-c", "-y", NULL);
    usage_error("tcpflow: invalid option -- 'k'\n", "-ck", NULL);
    usage_error_naming("'j'", "-cj", NULL);      /* -j (ours: 1.6.1 has none) needs a number */
    usage_error("tcpflow: unrecognized option '--bogus'\n", "--bogus", NULL);
    usage_error("tcpflow: unrecognized option '--chrootx=y'\n", "--chrootx=y", NULL);
    /* a missing argument, or an argument to --version, is a usage error too
     * (the exact wording is a known bug, see test_regr_missing_argument_message) */
    usage_error_naming("'r'", "-r", NULL);
    usage_error_naming("'S'", "-c", "-S", NULL);
    usage_error_naming("-", "--version=3", NULL);
    /* before -h/-V are honoured */
    usage_error("tcpflow: invalid option -- 'Q'\n", "-h", "-Q", NULL);
}

/* ---- regressions: bugs these tests found, fixed ---- */

/* Regression (bug found by this test, fixed): options.c options_parse uses the getopt string "+aA:B..." (leading
 * '+': stop at the first non-option).  1.6.1's getopt string has no '+', so
 * GNU getopt permutes: options after the filter expression or after -l files
 * are still options.  Checked with /usr/bin/tcpflow 1.6.1:
 *   tcpflow -r demo.pcap port 80 -c   -> console output, filter "port 80", exit 0
 * ours: filter "port 80 -c" -> "bad filter expression 'port 80 -c'", exit 1. */
static void test_regr_options_after_expression(void **st)
{
    (void)st;
    struct res R;
    run(&R, "-r", "x.pcap", "port", "80", "-c", NULL);
    assert_int_equal(R.r, OPT_RUN);
    assert_true(R.o.console);
    assert_string_equal(R.o.bpf, "port 80");
    res_free(&R);
    run(&R, "-l", "a.pcap", "-c", "b.pcap", NULL);
    assert_int_equal(R.r, OPT_RUN);
    assert_true(R.o.console);
    assert_int_equal(R.o.ninputs, 2);
    assert_string_equal(R.o.inputs[1].path, "b.pcap");
    res_free(&R);
}

/* Regression (bug found by this test, fixed): options.c parse_u64 rejects a leading '-' only as the first
 * character; strtoull skips white space and then negates, so " -1" is
 * accepted as 18446744073709551615 (-b, -m, -f and every unsigned -S value).
 * An invalid number must be an error (man page, SETTINGS). */
static void test_regr_negative_after_space(void **st)
{
    (void)st;
    expect_err("invalid value for -S max_flows: ' -1'", "-S", "max_flows= -1", NULL);
    expect_err("-b: invalid number of bytes ' -1'", "-b", " -1", NULL);
}

/* Regression (bug found by this test, fixed): options.c apply_setting("tdelta") computes i * 1000000 in int64_t with
 * no bound: -S tdelta=10000000000000 is a signed overflow (undefined
 * behaviour; UBSan aborts the program, otherwise tdelta wraps to a
 * meaningless value).  Every other time setting is bounded (<= 10^8 s);
 * tdelta should be too (and the sum with packet times must not overflow). */
static void test_regr_tdelta_overflow(void **st)
{
    (void)st;
    expect_err("invalid value for -S tdelta: '10000000000000'", "-S", "tdelta=10000000000000", NULL);
}

/* Regression (bug found by this test, fixed): options.c options_parse (case '?') prints "invalid option -- 'r'"
 * for a known option whose argument is missing (-r at the end of the line)
 * and "invalid option -- 'V'" for --version=3, because opterr = 0 and every
 * '?' with optopt set is reported as an invalid option.  1.6.1 (checked
 * with /usr/bin/tcpflow) says "option requires an argument -- 'r'" and
 * "option '--version' doesn't allow an argument". */
static void test_regr_missing_argument_message(void **st)
{
    (void)st;
    usage_error("tcpflow: option requires an argument -- 'r'\n", "-r", NULL);
    usage_error("tcpflow: option '--version' doesn't allow an argument\n", "--version=3", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_inputs_order),
        cmocka_unit_test(test_expression),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_console_flags),
        cmocka_unit_test(test_misc_flags),
        cmocka_unit_test(test_long_options),
        cmocka_unit_test(test_F_T_order),
        cmocka_unit_test(test_F_counter),
        cmocka_unit_test(test_F_unknown_letter),
        cmocka_unit_test(test_T_errors),
        cmocka_unit_test(test_scanners),
        cmocka_unit_test(test_settings_values),
        cmocka_unit_test(test_settings_bools),
        cmocka_unit_test(test_settings_errors),
        cmocka_unit_test(test_settings_unknown_accepted),
        cmocka_unit_test(test_requirements),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_scanner_info),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_regr_options_after_expression),
        cmocka_unit_test(test_regr_negative_after_space),
        cmocka_unit_test(test_regr_tdelta_overflow),
        cmocka_unit_test(test_regr_missing_argument_message),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    return r;
}
