/* scanner.h - the scanner interface, and the registry of every scanner.
 *
 * A scanner is one file defining a `const struct scanner scan_<name>`, and
 * one line in scan/registry.c.  The command line takes everything about it
 * from here: its name (-e, -x, -E, -a), its description (-H), and its
 * settings (-S name=value; listed by -hh, written in the report's
 * configuration).
 *
 * Threads (-j N): a scanner with flow hooks gets one instance per worker
 * thread (create is called once per worker; each instance is used by one
 * thread only); both directions of a connection, and all their events,
 * go to one worker, in order.  State shared by instances (a key log) must
 * be thread-safe.  A scanner with a packet hook gets one more instance,
 * used by the reader thread.
 *
 * Life of a scanner in a run:
 *   create   once, before any packet is read; a NULL return (with a message
 *            in err) stops the run with exit status 1 (a plug-in that
 *            cannot be found, a setting that makes no sense).
 *   packet   every decoded frame (optional; the decode stage calls it).
 *   flow     per-flow events from the connection tracker (optional; see
 *            flow/consumer.h): in-order bytes, placed bytes, close, and
 *            release, where the scanner adds its XML to the flow's record.  The tracker calls
 *            the hooks with c->self the pointer create returned.
 *   finish   at the end of the run: files of its own (report.pdf), and a
 *            fragment for the report's <summary>.
 *   destroy  always, last.
 */
#ifndef TCPFLOW_SCAN_SCANNER_H
#define TCPFLOW_SCAN_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/consumer.h"
#include "util/counters.h"

struct decode_view;

/* One -S setting a scanner takes. */
struct scan_setting {
    const char *name;           /* -S name=... */
    const char *def;            /* the default, as text */
    const char *help;           /* one line, for -hh */
};

enum {
    SCAN_ON_BY_DEFAULT = 1,     /* enabled unless -x or -E says otherwise */
    SCAN_IN_ALL = 2,            /* -a and -e all enable it */
    SCAN_NEEDS_FILES = 4,       /* refused with -FX: it reads flow files */
    SCAN_ON_BY_SETTING = 8,     /* enabled when its first setting is given with -S (unless -x) */
};

/* What a scanner is given at create: everything is borrowed for the run. */
struct scan_env {
    const char *outdir;         /* the output directory ("." when none given) */
    bool files;                 /* flow files are written: release records name them */
    bool gunzip;                /* not -Z */
    int64_t tdelta_us;          /* -S tdelta */
    uint64_t max_bytes;         /* -b (UINT64_MAX: none) */
    const char *tmpl;           /* the file name template */
    struct counters *ctr;       /* count here (summed with the run's) */
    /* The value of one of the scanner's settings: as given with -S (the
     * last one), else its default.  Never NULL for a name the scanner
     * declares. */
    const char *(*setting)(const struct scan_env *env, const char *name);
    /* Every value given with -S name=..., in order (n: how many; none: 0). */
    const char *const *(*setting_all)(const struct scan_env *env, const char *name, size_t *n);
    /* Whether the scanner called name runs in this run. */
    bool (*enabled)(const struct scan_env *env, const char *name);
    const void *setting_arg;    /* for these three */
};

/* What a scanner hands in at the end of the run. */
struct scan_end {
    const char *input;          /* what was read: "x.pcap", "x.pcap + 2 more", "eth0" */
    char *summary_xml;          /* out: a fragment for <summary> (malloc'd), or left NULL */
};

struct scanner {
    const char *name;
    const char *description;                    /* one line, for -H */
    unsigned flags;                             /* SCAN_* */
    const struct scan_setting *settings;        /* ends with { NULL }; may be NULL */
    void *(*create)(const struct scan_env *env, char *err, size_t errlen);
    void (*destroy)(void *self);
    void (*packet)(void *self, const struct decode_view *v);   /* may be NULL */
    const struct flow_consumer_ops *flow;       /* may be NULL */
    /* 0, or -1 with a message in err (the run's exit status becomes 1). */
    int (*finish)(void *self, struct scan_end *end, char *err, size_t errlen);   /* may be NULL */
};

/* Every scanner, in the order -H lists them; NULL-terminated. */
extern const struct scanner *const scanner_registry[];

/* The scanner called name, or NULL. */
const struct scanner *scanner_find(const char *name);

/* The scanner that declares setting name, or NULL. */
const struct scanner *scanner_for_setting(const char *name);

/* A setting's value read as yes (1.6.1's reading: Y, y, T, t or 1 first);
 * NULL is no. */
bool setting_yes(const char *v);
/* A setting's value read as a count above 0 (decimal digits, in range). */
bool setting_count(const char *v, uint64_t *out);

#endif
