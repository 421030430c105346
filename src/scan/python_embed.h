/* python_embed.h - CPython for the python scanner (scan/python.c): the
 * interpreter, the user's function, one call per flow.
 *
 * libpython is not linked: pyembed_open loads it (dlopen, the version the
 * headers are of) only when the scanner runs, so runs without -e python
 * neither need it nor map it (about 3 MB of RSS: relocations).
 *
 * One interpreter per process, shared: the first pyembed_open starts it
 * (and releases the GIL before it returns), later ones with the same
 * configuration get the same handle (-j: one scanner instance per worker),
 * another configuration is refused; the last pyembed_close ends it, on the
 * thread of the first pyembed_open.  pyembed_call takes the GIL
 * (PyGILState) for the call and gives it back: it may be called from any
 * thread, at the same time (the GIL serialises the Python code).
 */
#ifndef TCPFLOW_SCAN_PYTHON_EMBED_H
#define TCPFLOW_SCAN_PYTHON_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/flowsum.h"

struct pyembed;

struct pyembed_config {
    const char *path;           /* a directory, put first on sys.path */
    const char *module;         /* imported once */
    const char *function;       /* an attribute of the module, callable */
};

/* The first open loads libpython, starts the interpreter (no signal
 * handlers, no bytecode written), imports the module, finds the function;
 * later ones share it.  NULL with one line in err when anything fails
 * (libpython missing, the module or function not found, an exception at
 * import, another configuration already running). */
struct pyembed *pyembed_open(const struct pyembed_config *cfg, char *err, size_t errlen);

/* Flushes Python's sys.stdout and sys.stderr (what plug-ins printed). */
void pyembed_flush(struct pyembed *pe);

/* One open fewer; the last ends the interpreter (flushing what it
 * buffered).  NULL is a no-op. */
void pyembed_close(struct pyembed *pe);

/* True for the first caller only, of all that share the interpreter (to
 * print one traceback). */
bool pyembed_claim_traceback(struct pyembed *pe);

/* Whether it was claimed (then a call need not format a traceback). */
bool pyembed_traceback_claimed(struct pyembed *pe);

enum pyembed_arg {
    PYARG_STR,                  /* str, the bytes decoded as latin-1 (one copy) */
    PYARG_BYTES,                /* bytes (one copy) */
    PYARG_MEMORYVIEW,           /* read-only memoryview: of the file's mapping (no copy) */
};

/* Parses "str", "bytes", "memoryview"; false for anything else. */
bool pyembed_arg_parse(const char *s, enum pyembed_arg *out);

struct pyembed_input {
    enum pyembed_arg kind;
    const uint8_t *p;           /* the bytes (n of them; p may be NULL when n is 0) */
    size_t n;
    int fd;                     /* >= 0: PYARG_MEMORYVIEW maps this file (its whole size) instead of p */
    const struct flow_summary *rec;   /* the flow, for the metadata */
    uint64_t not_kept;          /* bytes of the flow not given (in-memory bound): metadata 'truncated' */
    bool want_traceback;        /* format the traceback if the function raises */
};

enum pyembed_outcome {
    PYR_NONE,                   /* the function returned None */
    PYR_TEXT,                   /* text: the result (str, or str() of another type) */
    PYR_ERROR,                  /* it raised: text is "Type: message" */
};

struct pyembed_result {
    enum pyembed_outcome outcome;
    bool converted;             /* PYR_TEXT from a type other than str */
    char *text;                 /* UTF-8 (lone surrogates passed through), malloc'd */
    size_t len;
    char *exc_type;             /* PYR_ERROR: the exception's class name */
    char *traceback;            /* PYR_ERROR with want_traceback: the formatted traceback */
};

/* Calls the function once with the flow's bytes (and metadata when it
 * takes it).  Never fails: what went wrong is a PYR_ERROR result. */
void pyembed_call(struct pyembed *pe, const struct pyembed_input *in, struct pyembed_result *res);

/* Frees what a result owns. */
void pyembed_result_free(struct pyembed_result *res);

#endif
