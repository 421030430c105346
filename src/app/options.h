/* options.h - the tcpflow 1.6.1 command line, -S settings and usage texts. */
#ifndef TCPFLOW_OPTIONS_H
#define TCPFLOW_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCPFLOW_VERSION "1.6.1"
#define OPTIONS_MAX_SCANNERS 16

struct input { const char *path; bool finish_only; /* -R */ };

struct options {
    struct input *inputs;   /* -r files then -l files, then -R files */
    size_t ninputs;
    const char *iface;      /* -i */
    bool promisc;           /* not -p */
    char *bpf;              /* expression (NULL when none) */
    const char *outdir;     /* -o, default "." */
    char *tmpl;             /* -T / -F edits, finalized */
    bool store_files;       /* not -FX, not -c */
    bool console;           /* -c or -C */
    bool console_header;    /* -c (true) / -C (false) */
    bool console_hex;       /* -D */
    bool console_binary;    /* -B */
    bool console_strip;     /* -s */
    bool console_nonl;      /* -0 */
    bool console_color;     /* -g */
    bool console_json;      /* -J */
    const char *lockname;   /* -L */
    bool md5;               /* -FM or -e md5 */
    bool findx;             /* -I */
    bool pcap_per_flow;     /* -K */
    bool quiet;             /* -q */
    bool keep_closed;       /* -P */
    uint64_t max_bytes;     /* -b; UINT64_MAX = none */
    uint64_t max_seek;      /* -m */
    int max_fds;            /* -f; 0 = from RLIMIT_NOFILE */
    const char *report;     /* -X; NULL = <outdir>/report.xml */
    bool enable_report;
    const char *wfile;      /* -w */
    const char *user;       /* -U */
    const char *chroot;     /* -z */
    bool gunzip_http;       /* not -Z */
    bool progress;          /* progress line allowed (not -q) */
    unsigned jobs;          /* -j; 0 (not given) = 1 */
    unsigned shard_i, shard_n;  /* --shard I/N; shard_n 0 = all connections */
    /* -S settings */
    int64_t tdelta_us;
    int pbuf_timeout_ms;
    int64_t tcp_timeout_us;   /* 0 = none */
    bool tcp_overlap_last;
    bool check_fcs;
    int64_t frag_timeout_us;
    uint64_t frag_memcap;
    uint64_t frag_max_datagrams;
    const char *frag_policy;
    uint64_t max_buffered;
    uint64_t closed_linger_us;
    uint64_t max_closed;
    uint64_t max_flows;
    /* scanners: scan[i] for scanner_registry[i] (scan/scanner.h) */
    bool scan[OPTIONS_MAX_SCANNERS];
    bool scan_off[OPTIONS_MAX_SCANNERS];        /* turned off by name with -x, or by -E */
    uint64_t capture_buffer;  /* -S capture_buffer: 0 = default */
    uint64_t capture_ring;    /* -S capture_ring, if capture_ring_set */
    bool capture_ring_set;
    int http_alert_fd;        /* -S http_alert_fd (-1: none) */
    const char *http_cmd;     /* -S http_cmd ("" none) */
    int tcp_alert_fd;         /* -S tcp_alert_fd (-1: none) */
    const char *tcp_cmd;      /* -S tcp_cmd ("" none) */
    /* for the report */
    int argc;
    char **argv;
    /* settings as given, name=value, for the report */
    char **settings;
    size_t nsettings;
};

enum opt_result { OPT_RUN, OPT_EXIT_OK, OPT_EXIT_ERR, OPT_EXIT_USAGE };

/* Parse argv into *o.  Messages go to stderr.  OPT_RUN: go on. */
enum opt_result options_parse(struct options *o, int argc, char **argv);
void options_release(struct options *o);

/* Whether the scanner called name is enabled (-e, -x, -E, -a, defaults). */
bool options_scanner_on(const struct options *o, const char *name);

/* The value of -S name (the last one given), or NULL. */
const char *options_setting(const struct options *o, const char *name);

#endif
