/* options.c - see options.h */
#include "app/options.h"
#include "decode/tunnel.h"
#include "flow/naming.h"
#include "scan/scanner.h"
#include "util/log.h"
#include "util/version.h"
#include "util/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* -h prints usage_head and usage_tail; -hh puts usage_settings and
 * usage_scanners between them and usage_names after them (1.6.1's layout). */
static const char usage_head[] =
"usage: %s [-aBcCDgHhIJKlpPqsvVZ0] [-b max_bytes] [-d debug_level] \n"
"     [-[eE] scanner] [-f max_fds] [-F[ctTXMkmg]] [-h|--help] [-i iface]\n"
"     [-l files...] [-L semlock] [-m min_bytes] [-o outdir] [-r file] [-R file]\n"
"     [-S name=value] [-T template] [-U|--relinquish-privileges user] [-v|--verbose]\n"
"     [-V|--version] [-w file] [-x scanner] [-X xmlfile] [-z|--chroot dir] [-j jobs]\n"
"     [--shard I/N] [expression]\n"
"\n"
"   -a: do ALL post-processing.\n"
"   -A: deprecated (-AH was replaced by -a); prints a note and is otherwise ignored\n"
"   -b max_bytes: max number of bytes per flow to save\n"
"   -d debug_level: debug level; default is 1\n"
"   -f: maximum number of file descriptors to use\n"
"   -h: print this help message (-hh for more help)\n"
"   -H: print detailed information about each scanner\n"
"   -i: network interface on which to listen\n"
"   -j jobs: threads in all: the reader and jobs-1 writing flows (default 1: one thread)\n"
"   -I: write for each flow another file *.findx to provide byte-indexed timestamps\n"
"   -g: output each flow in alternating colors (note change!)\n"
"   -l: treat non-flag arguments as input files rather than a pcap expression\n"
"   -L  semlock - specifies that writes are locked using a named semaphore\n"
"   -p: don't use promiscuous mode\n"
"   -P: keep the state of closed flows (accepted for compatibility)\n"
"   -q: quiet mode - do not print warnings or the progress line\n"
"   -r file      : read packets from tcpdump pcap file (may be repeated)\n"
"   -R file      : read packets from tcpdump pcap file TO FINISH CONNECTIONS\n"
"   -v           : verbose operation equivalent to -d 10\n"
"   -V           : print version number and exit\n"
"   -w  file     : write packets not processed to file\n"
"   --shard I/N  : keep only the connections of shard I of N (0 <= I < N), for one of N runs\n"
"   -o  outdir   : specify output directory (default '.')\n"
"   -X  filename : DFXML output to filename\n"
"   -m  bytes    : specifies skip that starts a new stream (default 16777216).\n"
"   -F{p} : filename prefix/suffix (-hh for options)\n"
"   -T{t} : filename template (-hh for options; default %%A.%%a-%%B.%%b%%V%%v%%C%%c)\n"
"   -Z       do not decompress gzip-compressed HTTP transactions\n"
"   -K: output|keep pcap flow structure.\n"
"\n"
"Security:\n"
"   -U user  relinquish privleges and become user (if running as root)\n"
"   -z dir   chroot to dir (requires that -U be used).\n"
"\n"
"Control of Scanners:\n"
"   -e scanner   - enable scanner (%s, all)\n"
"   -x scanner   - disable scanner\n"
"   -E scanner   - turn off all scanners except scanner\n"
"   -S name=value  Set a configuration parameter (-hh for info)\n"
"\n";

static const char usage_tail[] =
"Console output options:\n"
"   -B: binary output, even with -c or -C (normally -c or -C turn it off)\n"
"   -c: console print only (don't create files)\n"
"   -C: console print only, but without the display of source/dest header\n"
"   -0: don't print newlines after packets when printing to console\n"
"   -s: strip non-printable characters (change to '.')\n"
"   -J: output json format.\n"
"   -D: output in hex (useful to combine with -c or -C)\n"
"\n"
"expression: tcpdump-like filtering expression\n"
"\n"
"See the man page for additional information.\n";

static const char usage_activated[] =
"Activated options -S name=value:\n"
"   -S tdelta=0\tTime delta in seconds\n"
"   -S packet-buffer-timeout=10\tTime in milliseconds between each callback from libpcap\n"
"\n";

static const char usage_limits[] =
"Reassembly and resource limits (and their defaults): \n"
"   -S tcp_overlap=first    Overlapping retransmissions: first (stored bytes win) or last (1.6.1)\n"
"   -S max_flows=0    Open flows kept at most; 0 = no limit (idle ones are closed first)\n"
"   -S closed_linger=300    Seconds a closed flow is remembered for late retransmissions\n"
"   -S max_closed=4096    Closed flows remembered at most\n"
"   -S write_buffer_memcap=67108864    Bytes of flow data buffered in memory at most\n"
"   -S frag_timeout=60    Seconds an incomplete fragmented IP datagram is kept\n"
"   -S frag_policy=first    Fragment overlaps: first, last, bsd, linux, windows, solaris\n"
"   -S frag_memcap=67108864    Bytes of IP fragments held at most\n"
"   -S frag_max_datagrams=65536    Fragmented datagrams in progress at most\n"
"   -S capture_buffer=33554432    Live capture: bytes of the kernel buffer (libpcap's, tcpdump -B)\n"
"   -S capture_ring=67108864    Live capture: bytes of the ring behind it; 0 = no capture thread\n"
"\n";

/* The settings block of -hh and -H: the scanners' settings from the registry. */
static void usage_settings(FILE *out)
{
    fputs(usage_activated, out);
    fputs("Settable Options (and their defaults): \n", out);
    fputs("   -S enable_report=YES    Enable report.xml ()\n", out);
    for (size_t i = 0; scanner_registry[i]; i++)
        for (const struct scan_setting *st = scanner_registry[i]->settings; st && st->name; st++)
            fprintf(out, "   -S %s=%s    %s (%s)\n", st->name, st->def, st->help, scanner_registry[i]->name);
    fputs("   -S debug-prefix=    Text put before debug messages (accepted for compatibility)\n\n", out);
    fputs(usage_limits, out);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Scanners off (then on) by default, by name, as 1.6.1 lists them. */
static void usage_scanners(FILE *out)
{
    const char *names[OPTIONS_MAX_SCANNERS];
    for (int on = 0; on <= 1; on++) {
        size_t n = 0;
        for (size_t i = 0; scanner_registry[i] && n < OPTIONS_MAX_SCANNERS; i++)
            if (!!(scanner_registry[i]->flags & SCAN_ON_BY_DEFAULT) == on)
                names[n++] = scanner_registry[i]->name;
        qsort(names, n, sizeof names[0], cmp_name);
        fputs(on ? "These scanners enabled by default; disable with -x:\n"
                 : "These scanners disabled by default; enable with -e:\n", out);
        for (size_t i = 0; i < n; i++)
            fprintf(out, "   -%c %s - %s scanner %s\n", on ? 'x' : 'e', names[i], on ? "disable" : "enable", names[i]);
        fputs("\n", out);
    }
}

static const char usage_names[] =
"\n"
"Filename Prefixes:\n"
"   -Fc : append the connection counter to ALL filenames\n"
"   -Ft : prepend the time_t UTC timestamp to ALL filenames\n"
"   -FT : prepend the ISO8601 UTC timestamp to ALL filenames\n"
"   -FX : Do not output any files (other than report files)\n"
"   -FM : Calculate the MD5 for every flow (stores in DFXML)\n"
"   -Fk : Bin output in 1K directories\n"
"   -Fm : Bin output in 1M directories (2 levels)\n"
"   -Fg : Bin output in 1G directories (3 levels)\n"
"\n"
"Filename template format for option -T:\n"
"  %A/%a - source IP address/port;          %B/%b - dest IP address/port\n"
"  %E/%e - source/dest Ethernet Mac address\n"
"  %V/%v - VLAN number, '--' if no vlan/'' if no vlan\n"
"  %T/%t - Timestamp in ISO8601 format/unix time_t\n"
"  %c - connection_count for connections>0 / %# for all connections;  %C - 'c' if connection_count >0\n"
"  %N - (connection_number )             % 1000\n"
"  %K - (connection_number / 1000)       % 1000\n"
"  %M - (connection_number / 1000000)    % 1000\n"
"  %G - (connection_number / 1000000000) % 1000\n"
"  %S - session ID\n"
"  %% - Output a '%'\n"
"\n"
"Default value is: '%A.%a-%B.%b%V%v%C%c'\n"
"\n"
"Note: -F letters edit the template in command-line order; -T replaces it.\n"
"      Filename template format handles '/' to create sub-directories.\n"
"\n"
"Long options: --chroot=dir (-z), --help (-h), --relinquish-privileges=user (-U),\n"
"              --verbose (-v), --version (-V), --shard=I/N\n";

/* One scanner for -H, in 1.6.1's layout. */
static void scanner_info(const char *name, bool on, const char *desc)
{
    printf("\nScanner Name: %s\n", name);
    printf("flags:  %s \n", on ? "NONE" : "SCANNER_DISABLED");
    printf("Scanner Interface version: 4\n");
    printf("Description: %s\n", desc);
    printf("Feature Names: \n");
}

static void usage(FILE *out, int level)
{
    char names[512] = "";
    for (size_t i = 0, n = 0; scanner_registry[i]; i++) {
        int k = snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", scanner_registry[i]->name);
        if (k < 0 || (size_t)k >= sizeof names - n) break;
        n += (size_t)k;
    }
    fprintf(out, usage_head, log_progname(), names);
    if (level > 1) {
        usage_settings(out);
        usage_scanners(out);
    }
    fputs(usage_tail, out);
    if (level > 1) fputs(usage_names, out);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9') return false;      /* no sign, no blanks */
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s) return false;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* getopt's complaint (c is ':' or '?'; arg the argument it stopped at), in
 * glibc's own wording, as 1.6.1 prints it through opterr. */
static void bad_option(int c, const char *arg)
{
    if (!strncmp(arg, "--", 2)) {
        size_t nl = strcspn(arg, "=");
        if (c == ':')
            log_error("option '%.*s' requires an argument", (int)nl, arg);
        else if (optopt && arg[nl] == '=')
            log_error("option '%.*s' doesn't allow an argument", (int)nl, arg);
        else
            log_error("unrecognized option '%s'", arg);
    } else if (c == ':') {
        log_error("option requires an argument -- '%c'", optopt);
    } else if (optopt && optopt != '?') {
        log_error("invalid option -- '%c'", optopt);
    } else {
        log_error("unrecognized option '%s'", arg);
    }
}

/* "I/N" with 0 <= I < N <= 65536 */
static bool parse_shard(struct options *o, const char *v)
{
    const char *slash = strchr(v, '/');
    if (!slash || slash == v || slash - v > 20) return false;
    char a[24];
    memcpy(a, v, (size_t)(slash - v));
    a[slash - v] = '\0';
    uint64_t i, n;
    if (!parse_u64(a, &i) || !parse_u64(slash + 1, &n) || n < 1 || n > 65536 || i >= n) return false;
    o->shard_i = (unsigned)i;
    o->shard_n = (unsigned)n;
    return true;
}

static void add_input(struct options *o, const char *path, bool finish_only)
{
    o->inputs = xreallocarray(o->inputs, o->ninputs + 1, sizeof o->inputs[0]);
    o->inputs[o->ninputs].path = path;
    o->inputs[o->ninputs].finish_only = finish_only;
    o->ninputs++;
}

/* Apply one -S name=value.  Returns false (message printed) on a bad value. */
static bool apply_setting(struct options *o, const char *name, const char *v)
{
    uint64_t u;
    int64_t i;
#define NUM_U(field, scale) do { if (!parse_u64(v, &u)) goto bad; o->field = u * (scale); } while (0)
    if (!strcmp(name, "tdelta")) {
        /* within +-10^10 s (317 years), so that microseconds fit */
        if (!parse_i64(v, &i) || i > 10000000000LL || i < -10000000000LL) goto bad;
        o->tdelta_us = i * 1000000;
    } else if (!strcmp(name, "packet-buffer-timeout")) {
        if (!parse_u64(v, &u) || u > 100000) goto bad;
        o->pbuf_timeout_ms = (int)u;
    } else if (!strcmp(name, "enable_report")) o->enable_report = setting_yes(v);
    else if (!strcmp(name, "check_fcs")) o->check_fcs = setting_yes(v);
    else if (!strcmp(name, "tcp_timeout")) {
        if (!parse_u64(v, &u) || u > 100000000) goto bad;
        o->tcp_timeout_us = (int64_t)u * 1000000;
    } else if (!strcmp(name, "tcp_overlap")) {
        if (!strcmp(v, "first")) o->tcp_overlap_last = false;
        else if (!strcmp(v, "last")) o->tcp_overlap_last = true;
        else goto bad;
    } else if (!strcmp(name, "frag_timeout")) {
        if (!parse_u64(v, &u) || u > 100000000) goto bad;
        o->frag_timeout_us = (int64_t)u * 1000000;
    } else if (!strcmp(name, "frag_policy")) o->frag_policy = v;
    else if (!strcmp(name, "frag_memcap")) NUM_U(frag_memcap, 1);
    else if (!strcmp(name, "frag_max_datagrams")) NUM_U(frag_max_datagrams, 1);
    else if (!strcmp(name, "write_buffer_memcap")) NUM_U(max_buffered, 1);
    else if (!strcmp(name, "max_flows")) NUM_U(max_flows, 1);
    /* live capture sizes in bytes (capture/capture.h) */
    else if (!strcmp(name, "capture_buffer")) NUM_U(capture_buffer, 1);
    else if (!strcmp(name, "capture_ring")) { NUM_U(capture_ring, 1); o->capture_ring_set = true; }
    else if (!strcmp(name, "closed_linger")) {
        if (!parse_u64(v, &u) || u > 100000000) goto bad;
        o->closed_linger_us = u * 1000000;
    } else if (!strcmp(name, "max_closed")) NUM_U(max_closed, 1);
    else if (!strcmp(name, "http_cmd")) o->http_cmd = v;
    else if (!strcmp(name, "http_alert_fd")) {
        if (!parse_i64(v, &i) || i < -1 || i > 65535) goto bad;
        o->http_alert_fd = (int)i;
    } else if (!strcmp(name, "tcp_cmd")) o->tcp_cmd = v;
    else if (!strcmp(name, "tcp_alert_fd")) {
        if (!parse_i64(v, &i) || i < -1 || i > 65535) goto bad;
        o->tcp_alert_fd = (int)i;
    } else if (!strcmp(name, "netviz_histogram_dump") || !strcmp(name, "netviz_histogram_size") ||
             !strcmp(name, "debug-prefix")) {
        /* accepted; acted on by the scanners that use them */
    } else {
        /* the tunnel decoder's: checked here, applied by the pipeline */
        struct tunnel_config tc;
        char err[256];
        tunnel_config_default(&tc);
        int t = tunnel_config_set(&tc, name, v, err, sizeof err);
        if (t < 0) {
            log_error("invalid value for -S %s", err);
            return false;
        }
        if (t == 0 && !scanner_for_setting(name))
            log_debug(1, "warning: unknown setting '%s' ignored", name);
    }
    return true;
#undef NUM_U
bad:
    log_error("invalid value for -S %s: '%s'", name, v);
    return false;
}

static void defaults(struct options *o)
{
    memset(o, 0, sizeof *o);
    o->promisc = true;
    o->outdir = ".";
    o->tmpl = xstrdup(NAMING_DEFAULT_TEMPLATE);
    o->store_files = true;
    o->console_header = true;
    o->max_bytes = UINT64_MAX;
    o->max_seek = 16u * 1024 * 1024;
    o->enable_report = true;
    o->gunzip_http = true;
    o->http_alert_fd = -1;
    o->http_cmd = "";
    o->tcp_alert_fd = -1;
    o->tcp_cmd = "";
    o->progress = true;
    o->pbuf_timeout_ms = 10;
    o->check_fcs = true;
    o->frag_timeout_us = 60 * 1000000LL;
    o->frag_memcap = 64u << 20;
    o->frag_max_datagrams = 65536;
    o->frag_policy = "first";
    o->max_buffered = 64u << 20;
    o->closed_linger_us = 300ull * 1000000;
    o->max_closed = 4096;
    for (size_t i = 0; scanner_registry[i] && i < OPTIONS_MAX_SCANNERS; i++)
        o->scan[i] = scanner_registry[i]->flags & SCAN_ON_BY_DEFAULT;
}

static bool scanner_set(struct options *o, const char *name, bool on)
{
    if (!strcmp(name, "all")) {
        for (size_t i = 0; scanner_registry[i]; i++)
            if (scanner_registry[i]->flags & SCAN_IN_ALL) o->scan[i] = on;
        return true;
    }
    for (size_t i = 0; scanner_registry[i]; i++) {
        if (!strcmp(scanner_registry[i]->name, name)) {
            o->scan[i] = on;
            o->scan_off[i] = !on;
            return true;
        }
    }
    log_error("Invalid scanner name '%s'", name);
    return false;
}

bool options_scanner_on(const struct options *o, const char *name)
{
    for (size_t i = 0; scanner_registry[i]; i++)
        if (!strcmp(scanner_registry[i]->name, name)) return o->scan[i];
    return false;
}

const char *options_setting(const struct options *o, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = o->nsettings; i-- > 0;)
        if (!strncmp(o->settings[i], name, n) && o->settings[i][n] == '=')
            return o->settings[i] + n + 1;
    return NULL;
}

/* After the switch: inputs and the expression from the words left, the
 * order of -R files, the checks between options, the final template. */
static enum opt_result finalize(struct options *o, int argc, char **argv, bool list_files, bool Fx, bool Fc)
{
    if (list_files) {
        for (int i = optind; i < argc; i++)
            add_input(o, argv[i], false);
    } else if (optind < argc) {
        size_t n = 0;
        for (int i = optind; i < argc; i++) n += strlen(argv[i]) + 1;
        o->bpf = xmalloc(n + 1);
        o->bpf[0] = '\0';
        for (int i = optind; i < argc; i++) {
            if (i > optind) strcat(o->bpf, " ");
            strcat(o->bpf, argv[i]);
        }
    }
    /* -R files come after every -r/-l file */
    for (size_t i = 0, k = 0; i < o->ninputs; i++) {
        if (!o->inputs[i].finish_only) {
            struct input t = o->inputs[i];
            memmove(&o->inputs[k + 1], &o->inputs[k], (i - k) * sizeof t);
            o->inputs[k++] = t;
        }
    }
    if (o->chroot && !o->user) { log_error("-z option requires -U option"); return OPT_EXIT_ERR; }
    if (o->wfile && o->ninputs == 0) { log_error("currently the -w option requires the -r option"); return OPT_EXIT_ERR; }
    /* -S tls_keylog=FILE is enough to decrypt: a scanner whose first setting is given runs */
    for (size_t i = 0; scanner_registry[i]; i++) {
        const struct scanner *sc = scanner_registry[i];
        if ((sc->flags & SCAN_ON_BY_SETTING) && sc->settings && sc->settings[0].name && !o->scan_off[i] &&
            options_setting(o, sc->settings[0].name))
            o->scan[i] = true;
    }
    if (!options_scanner_on(o, "tcpdemux") || Fx || o->console || o->pcap_per_flow) o->store_files = false;
    for (size_t i = 0; scanner_registry[i]; i++) {
        if (o->scan[i] && (scanner_registry[i]->flags & SCAN_NEEDS_FILES) && Fx) {
            log_error("ERROR: post_processing currently requires storing output.");
            return OPT_EXIT_ERR;
        }
    }
    if (options_scanner_on(o, "md5")) o->md5 = true;
    {
        /* -Fc already put the counter on every name */
        char *t = Fc ? xstrdup(o->tmpl) : naming_finalize(o->tmpl);
        char err[512];
        free(o->tmpl);
        o->tmpl = t;
        if (!naming_check(o->tmpl, err, sizeof err)) { log_error("%s", err); return OPT_EXIT_ERR; }
    }
    return OPT_RUN;
}

enum opt_result options_parse(struct options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "chroot", required_argument, NULL, 'z' },
        { "shard", required_argument, NULL, 1 },
        { "help", no_argument, NULL, 'h' },
        { "relinquish-privileges", required_argument, NULL, 'U' },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    defaults(o);
    o->argc = argc;
    o->argv = argv;
    int helps = 0, c;
    bool list_files = false, want_scanner_info = false, Fx = false, Fc = false;
    uint64_t u;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":aA:Bb:cCd:DE:e:F:f:gHhIi:Jj:KlL:m:o:pPqR:r:S:sT:U:Vvw:x:X:z:Z0",
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'a': scanner_set(o, "all", true); o->md5 = true; break;
        case 'A': log_error("-AH has been deprecated. Just use -a"); break;
        case 'b':
            if (!parse_u64(optarg, &o->max_bytes)) { log_error("-b: invalid number of bytes '%s'", optarg); return OPT_EXIT_ERR; }
            break;
        case 'B': o->console_binary = true; break;
        case 'c': o->console = true; o->console_header = true; break;
        case 'C': o->console = true; o->console_header = false; break;
        case 'd': {
            int64_t d;
            if (!parse_i64(optarg, &d)) { log_error("-d: invalid debug level '%s'", optarg); return OPT_EXIT_ERR; }
            log_level = d < 0 ? 1 : (int)(d > 1000 ? 1000 : d);
            break;
        }
        case 'D': o->console_hex = true; break;
        case 'e': if (!scanner_set(o, optarg, true)) return OPT_EXIT_ERR; break;
        case 'E':                       /* off, even those a setting turns on (tls_keylog) */
            memset(o->scan, 0, sizeof o->scan);
            memset(o->scan_off, 1, sizeof o->scan_off);
            if (!scanner_set(o, optarg, true)) return OPT_EXIT_ERR;
            break;
        case 'x': if (!scanner_set(o, optarg, false)) return OPT_EXIT_ERR; break;
        case 'F':
            for (const char *p = optarg; *p; p++) {
                if (*p == 'X') Fx = true;
                else if (*p == 'M') o->md5 = true;
                else if (*p == 'c' && naming_apply_F(&o->tmpl, *p)) Fc = true;
                else if (!naming_apply_F(&o->tmpl, *p))
                    log_error("-F invalid format specification '%c'", *p);
            }
            break;
        case 'f':
            if (!parse_u64(optarg, &u) || u > 1000000) { log_error("-f: invalid number '%s'", optarg); return OPT_EXIT_ERR; }
            o->max_fds = u ? (int)u : 1;
            break;
        case 'g': o->console_color = true; break;
        case 'H': want_scanner_info = true; break;
        case 'h': helps++; break;
        case 'I': o->findx = true; break;
        case 'i': o->iface = optarg; break;
        case 'J': o->console_json = true; break;
        case 'j':
            if (!parse_u64(optarg, &u) || u < 1 || u > 1024) { log_error("-j: invalid number of jobs '%s' (1 to 1024)", optarg); return OPT_EXIT_ERR; }
            o->jobs = (unsigned)u;
            break;
        case 1:                         /* --shard I/N */
            if (!parse_shard(o, optarg)) { log_error("--shard: invalid shard '%s' (I/N with 0 <= I < N)", optarg); return OPT_EXIT_ERR; }
            break;
        case 'K': o->pcap_per_flow = true; break;
        case 'l': list_files = true; break;
        case 'L': o->lockname = optarg; break;
        case 'm':
            if (!parse_u64(optarg, &o->max_seek)) { log_error("-m: invalid number '%s'", optarg); return OPT_EXIT_ERR; }
            break;
        case 'o': o->outdir = optarg; break;
        case 'p': o->promisc = false; break;
        case 'P': o->keep_closed = true; break;
        case 'q': o->quiet = true; o->progress = false; log_set_quiet(1); break;
        case 'R': add_input(o, optarg, true); break;
        case 'r': add_input(o, optarg, false); break;
        case 'S': {
            const char *eq = strchr(optarg, '=');
            if (!eq || strchr(eq + 1, '=') || eq == optarg) {
                log_error("Invalid parameter: %s (use -S name=value)", optarg);
                return OPT_EXIT_ERR;
            }
            char *name = xmalloc((size_t)(eq - optarg) + 1);
            memcpy(name, optarg, (size_t)(eq - optarg));
            name[eq - optarg] = '\0';
            bool ok = apply_setting(o, name, eq + 1);
            free(name);
            if (!ok) return OPT_EXIT_ERR;
            o->settings = xreallocarray(o->settings, o->nsettings + 1, sizeof o->settings[0]);
            o->settings[o->nsettings++] = optarg;
            break;
        }
        case 's': o->console_strip = true; break;
        case 'T': {
            /* checked once finalized: as in 1.6.1, "x%" becomes "x%%C%c" */
            free(o->tmpl);
            o->tmpl = xstrdup(optarg);
            Fc = false;
            break;
        }
        case 'U': o->user = optarg; break;
        case 'V':       /* 1.6.1's line first (scripts read it), then who we are */
            printf("TCPFLOW %s (%s %s)\n", TCPFLOW_COMPAT_VERSION, tcpflow_impl_name,
                   tcpflow_impl_version);
            return OPT_EXIT_OK;
        case 'v': log_level = 10; break;
        case 'w': o->wfile = optarg; break;
        case 'X': o->report = optarg; break;
        case 'z': o->chroot = optarg; break;
        case 'Z': o->gunzip_http = false; break;
        case '0': o->console_nonl = true; break;
        case ':':                       /* a known option without its argument */
        case '?':
        default:
            bad_option(c, optind > 0 && optind <= argc ? argv[optind - 1] : "");
            usage(stderr, 1);
            return OPT_EXIT_USAGE;
        }
    }
    if (helps) {
        printf("TCPFLOW version %s\n\n", TCPFLOW_VERSION);
        usage(stdout, helps);
        return OPT_EXIT_OK;
    }
    if (want_scanner_info) {
        for (size_t i = 0; scanner_registry[i]; i++)
            scanner_info(scanner_registry[i]->name, o->scan[i], scanner_registry[i]->description);
        fputs("\n", stdout);
        usage_settings(stdout);
        usage_scanners(stdout);
        return OPT_EXIT_OK;
    }
    return finalize(o, argc, argv, list_files, Fx, Fc);
}

void options_release(struct options *o)
{
    free(o->inputs);
    free(o->bpf);
    free(o->tmpl);
    free(o->settings);
    memset(o, 0, sizeof *o);
}
