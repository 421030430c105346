/* dfxml.h - the DFXML run report (report.xml), streamed.
 *
 * Layout follows tcpflow 1.6.1 (see docs/internals/report.md): a header
 * written and flushed by dfxml_open(), one <fileobject> per finished flow
 * direction written and flushed by dfxml_fileobject(), and a trailer
 * (summary, counters, rusage, run status) written by dfxml_close().
 *
 * All XML escaping is done by libxml2's xmlTextWriter.  Strings that are not
 * valid UTF-8, or hold characters XML 1.0 forbids, are written in a
 * reversible backslash form and their element gets escaped='1':
 * "\\" stands for a backslash and "\xNN" for the byte 0xNN.
 *
 * I/O errors (disk full, ...) never crash: the failing call returns -1 with
 * a message, later dfxml_fileobject() calls return -1 at once, and
 * dfxml_close() cuts the file back to the last complete <fileobject> and
 * still tries to end it well-formed.
 *
 * A handle is used by one thread; it is not async-signal-safe, except
 * dfxml_close_on_signal().
 */
#ifndef TCPFLOW_DFXML_H
#define TCPFLOW_DFXML_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flowsum.h"

struct dfxml;

/* A name/value string pair (a -S setting, an extra library). */
struct dfxml_pair {
    const char *name;
    const char *value;
};

/* A named counter for the trailer. */
struct dfxml_counter {
    const char *name;
    uint64_t value;
};

/* What the header records.  Everything is borrowed for the call. */
struct dfxml_run {
    int argc;                   /* the real command line, argv[0] included; */
    char *const *argv;          /*   joined with single spaces in <command_line> */
    int64_t start_us;           /* wall-clock start of the run, us since the epoch */
    const char *version;        /* program version for <version>, e.g. "1.6.1" */
    int64_t tdelta;             /* -S tdelta, seconds; printed in <tdelta> */
    const struct dfxml_pair *config;    /* settings, in <configuration> */
    size_t n_config;
    const struct dfxml_pair *libraries; /* libraries besides libpcap, libxml2, */
    size_t n_libraries;                 /*   zlib and OpenSSL (those are built in) */
};

/* What the run lost, for <losses> (docs/internals/report.md).  Borrowed. */
struct dfxml_losses {
    int live;                   /* a live capture was read: <capture> */
    const char *source;         /*   its interface */
    uint64_t received;          /*   accepted by the kernel's filter */
    uint64_t kernel_drops;      /*   dropped: the kernel buffer was full */
    uint64_t if_drops;          /*   dropped by the interface or driver */
    uint64_t captured;          /*   read out of the kernel buffer */
    uint64_t processed;         /*   handed to the pipeline */
    uint32_t snaplen;
    uint64_t buffer_bytes, ring_bytes, ring_peak, ring_waits;
    uint64_t gap_flows;         /* flow directions with holes: <missing_bytes> */
    uint64_t gap_bytes;         /*   bytes never captured */
    uint64_t gap_stream_bytes;  /*   the length of those streams */
    uint64_t packets;           /* records read: <truncated> */
    uint64_t truncated;         /*   captured shorter than on the wire */
    const struct dfxml_counter *skipped;    /* <skipped>: per reason */
    size_t n_skipped;
};

/* What the trailer records.  Everything is borrowed for the call. */
struct dfxml_end {
    const char *status;         /* <run_status>: "complete", "interrupted by SIGINT",
                                   "error: ...", "disk full"; NULL = "unknown" */
    uint64_t open_fds_at_end;   /* flow files open when the input ended */
    uint64_t max_open_flows;    /* peak simultaneously open flow files */
    uint64_t total_flows;       /* flow objects created */
    uint64_t flow_map_size;     /* flows still active when the input ended */
    uint64_t total_packets;     /* packets accepted into some flow */
    const struct dfxml_counter *counters;   /* in <counters>; omitted when 0 */
    size_t n_counters;
    const char *summary_xml;    /* well-formed XML fragment put inside <summary>,
                                   or NULL for an empty <summary/> */
    const struct dfxml_losses *losses;  /* <losses>, or NULL for none */
};

/* Create (truncate) path and write the header: declaration, <dfxml>,
 * metadata, creator, configuration, tdelta; flushed to the file.
 * Returns the handle, or NULL with a message in err (errlen > 0) on failure
 * (the file may then exist, partly written). */
struct dfxml *dfxml_open(const char *path, const struct dfxml_run *run,
                         char *err, size_t errlen);

/* dfxml_open(), and with nofollow set the last component of path must not be
 * a symbolic link (O_NOFOLLOW: the default report.xml in an output directory
 * someone else could write to); the message then says so. */
struct dfxml *dfxml_open_path(const char *path, int nofollow, const struct dfxml_run *run,
                              char *err, size_t errlen);

/* Same over an already open descriptor (stdout, a memfd).  The handle owns
 * fd (closes it in dfxml_close) when own_fd is nonzero.  On failure with
 * own_fd set, fd is closed. */
struct dfxml *dfxml_open_fd(int fd, int own_fd, const struct dfxml_run *run,
                            char *err, size_t errlen);

/* Append one <fileobject> for fs (borrowed); flushed in batches.  scanner_xml, when
 * not NULL, is a fragment put at the end of the fileobject; it is checked to
 * be well-formed (and namespace-well-formed) and, if it is not, written as
 * escaped text inside <invalid_scanner_xml> instead (the call still returns
 * 0).  Returns 0, or -1 on an I/O error (message in dfxml_error()); after
 * one failure every later call returns -1 without writing. */
int dfxml_fileobject(struct dfxml *x, const struct flow_summary *fs,
                     const char *scanner_xml);

/* The last error message, or "" if none.  Valid until the next call. */
const char *dfxml_error(const struct dfxml *x);

/* Number of fileobjects written so far (they reach the file in batches of
 * about 64 KiB, and all of them by dfxml_close()). */
uint64_t dfxml_count(const struct dfxml *x);

/* Write out what the writer holds (fileobjects are flushed in batches of
 * 64 KiB or once a second); 0, or -1 on an I/O error. */
int dfxml_flush(struct dfxml *x);

/* Plain fileobjects (every string needs no escaping) are laid out in one
 * piece and given to the writer raw (the default, on), or, off, built
 * element by element like the others: the same bytes (test_dfxml). */
void dfxml_set_raw(struct dfxml *x, int on);

/* The report's length once everything written so far is flushed; -1 after
 * a failure. */
int64_t dfxml_offset(const struct dfxml *x);

/* Write the trailer (<summary>, totals, <rusage>, <counters>, <losses>, <run_status>),
 * close every open element, close the file and free x.  Usable after any
 * fatal error: pass the error as end->status.  If a write failed earlier
 * or fails now, the file is cut back to the last complete fileobject (when
 * it is a regular file) and ended there, with <report_error> telling how
 * many fileobjects were lost.  Returns 0, or -1 with a message in err if
 * the report lost anything or could not be ended.  x == NULL returns 0. */
int dfxml_close(struct dfxml *x, const struct dfxml_end *end,
                char *err, size_t errlen);

/* Async-signal-safe last resort for a fatal signal (SIGSEGV, SIGABRT, ...):
 * cut the file back to the last complete fileobject (regular files only;
 * elsewhere only if nothing partial was written) and append
 * "<run_status>killed by signal N</run_status></dfxml>".  Uses only
 * ftruncate/pwrite/write and frees nothing; afterwards dfxml_close() only
 * frees x and closes the fd, and nothing else may be called.  For SIGINT
 * and SIGTERM, set a flag in the handler and call dfxml_close() from the
 * main loop instead.  Returns 0 or -1. */
int dfxml_close_on_signal(struct dfxml *x, int signo);

/* Format us (microseconds since the epoch, UTC) as 1.6.1 does:
 * "2008-10-06T17:54:54.796605Z".  buf needs 40 bytes.  Returns buf. */
char *dfxml_time(char *buf, size_t len, int64_t us);

/* The escaped='1' form of s: "\\" for '\\', "\xNN" for every byte that is
 * not part of a valid UTF-8 character allowed by XML 1.0.  Returns a
 * malloc'd string, or NULL when s needs no escaping (write it as is). */
char *dfxml_escape(const char *s);

#endif
