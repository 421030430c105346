/* python_embed.c - see python_embed.h.
 *
 * Python.h gives the types and the inline macros that only read structures
 * (Py_TYPE, PyTuple_GET_ITEM, PyBytes_AS_STRING); every function and data
 * symbol of libpython is reached through the table P, filled by dlsym.  The
 * binary is not linked with libpython, so a call that bypassed P (Py_DECREF,
 * Py_None, ...) would fail the link: use decref() and the P fields.
 *
 * What runs in Python is kept in one small helper module (HELPER below):
 * the call with its exception handling and the conversion of the result,
 * the traceback, the mapping of a file for a memoryview.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "scan/python_embed.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR_(x) #x
#define STR(x) STR_(x)
/* The library of the version the headers describe (Debian: libpython3.X). */
#define PY_SONAME "libpython" STR(PY_MAJOR_VERSION) "." STR(PY_MINOR_VERSION) ".so.1.0"

#if defined(__SANITIZE_ADDRESS__)
#define PE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PE_ASAN 1
#endif
#endif

/* ---- libpython, loaded ---- */

static struct {
    bool loaded;
    void (*PreConfig_InitPythonConfig)(PyPreConfig *);
    PyStatus (*PreInitialize)(const PyPreConfig *);
    void (*Config_InitPythonConfig)(PyConfig *);
    PyStatus (*InitializeFromConfig)(const PyConfig *);
    void (*Config_Clear)(PyConfig *);
    int (*Status_Exception)(PyStatus);
    int (*FinalizeEx)(void);
    PyThreadState *(*Eval_SaveThread)(void);
    void (*Eval_RestoreThread)(PyThreadState *);
    PyGILState_STATE (*GILState_Ensure)(void);
    void (*GILState_Release)(PyGILState_STATE);
    PyObject *(*Import_ImportModule)(const char *);
    PyObject *(*Import_AddModule)(const char *);
    PyObject *(*Module_GetDict)(PyObject *);
    PyObject *(*Run_StringFlags)(const char *, int, PyObject *, PyObject *, PyCompilerFlags *);
    PyObject *(*Dict_New)(void);
    PyObject *(*Dict_GetItemString)(PyObject *, const char *);
    int (*Dict_SetItemString)(PyObject *, const char *, PyObject *);
    PyObject *(*Sys_GetObject)(const char *);
    int (*List_Insert)(PyObject *, Py_ssize_t, PyObject *);
    PyObject *(*Unicode_DecodeFSDefault)(const char *);
    PyObject *(*Unicode_FromString)(const char *);
    PyObject *(*Unicode_DecodeLatin1)(const char *, Py_ssize_t, const char *);
    const char *(*Unicode_AsUTF8)(PyObject *);
    PyObject *(*Bytes_FromStringAndSize)(const char *, Py_ssize_t);
    PyObject *(*MemoryView_FromObject)(PyObject *);
    PyObject *(*Long_FromLongLong)(long long);
    PyObject *(*Long_FromUnsignedLongLong)(unsigned long long);
    long (*Long_AsLong)(PyObject *);
    PyObject *(*Object_GetAttrString)(PyObject *, const char *);
    PyObject *(*Object_Vectorcall)(PyObject *, PyObject *const *, size_t, PyObject *);
    int (*Callable_Check)(PyObject *);
    void (*Err_Fetch)(PyObject **, PyObject **, PyObject **);
    void (*Err_NormalizeException)(PyObject **, PyObject **, PyObject **);
    void (*Err_Clear)(void);
    void (*Dealloc)(PyObject *);
    PyObject *None, *True, *False;
} P;

static bool load_python(char *err, size_t errlen)
{
    if (P.loaded)
        return true;
    /* RTLD_GLOBAL: the standard library's extension modules (lib-dynload)
     * are not linked with libpython and take its symbols from the process. */
    void *h = dlopen(PY_SONAME, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        snprintf(err, errlen, "python: cannot load %s (Debian package libpython%d.%d): %s", PY_SONAME,
                 PY_MAJOR_VERSION, PY_MINOR_VERSION, dlerror());
        return false;
    }
    struct { void *slot; const char *name; } syms[] = {
        { &P.PreConfig_InitPythonConfig, "PyPreConfig_InitPythonConfig" },
        { &P.PreInitialize, "Py_PreInitialize" },
        { &P.Config_InitPythonConfig, "PyConfig_InitPythonConfig" },
        { &P.InitializeFromConfig, "Py_InitializeFromConfig" },
        { &P.Config_Clear, "PyConfig_Clear" },
        { &P.Status_Exception, "PyStatus_Exception" },
        { &P.FinalizeEx, "Py_FinalizeEx" },
        { &P.Eval_SaveThread, "PyEval_SaveThread" },
        { &P.Eval_RestoreThread, "PyEval_RestoreThread" },
        { &P.GILState_Ensure, "PyGILState_Ensure" },
        { &P.GILState_Release, "PyGILState_Release" },
        { &P.Import_ImportModule, "PyImport_ImportModule" },
        { &P.Import_AddModule, "PyImport_AddModule" },
        { &P.Module_GetDict, "PyModule_GetDict" },
        { &P.Run_StringFlags, "PyRun_StringFlags" },
        { &P.Dict_New, "PyDict_New" },
        { &P.Dict_GetItemString, "PyDict_GetItemString" },
        { &P.Dict_SetItemString, "PyDict_SetItemString" },
        { &P.Sys_GetObject, "PySys_GetObject" },
        { &P.List_Insert, "PyList_Insert" },
        { &P.Unicode_DecodeFSDefault, "PyUnicode_DecodeFSDefault" },
        { &P.Unicode_FromString, "PyUnicode_FromString" },
        { &P.Unicode_DecodeLatin1, "PyUnicode_DecodeLatin1" },
        { &P.Unicode_AsUTF8, "PyUnicode_AsUTF8" },
        { &P.Bytes_FromStringAndSize, "PyBytes_FromStringAndSize" },
        { &P.MemoryView_FromObject, "PyMemoryView_FromObject" },
        { &P.Long_FromLongLong, "PyLong_FromLongLong" },
        { &P.Long_FromUnsignedLongLong, "PyLong_FromUnsignedLongLong" },
        { &P.Long_AsLong, "PyLong_AsLong" },
        { &P.Object_GetAttrString, "PyObject_GetAttrString" },
        { &P.Object_Vectorcall, "PyObject_Vectorcall" },
        { &P.Callable_Check, "PyCallable_Check" },
        { &P.Err_Fetch, "PyErr_Fetch" },
        { &P.Err_NormalizeException, "PyErr_NormalizeException" },
        { &P.Err_Clear, "PyErr_Clear" },
        { &P.Dealloc, "_Py_Dealloc" },
        { &P.None, "_Py_NoneStruct" },
        { &P.True, "_Py_TrueStruct" },
        { &P.False, "_Py_FalseStruct" },
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *f = dlsym(h, syms[i].name);
        if (!f) {
            snprintf(err, errlen, "python: %s lacks %s", PY_SONAME, syms[i].name);
            return false;
        }
        memcpy(syms[i].slot, &f, sizeof f);   /* POSIX: a function's address from dlsym */
    }
    P.loaded = true;                /* never unloaded: Python cannot be */
    return true;
}

static void decref(PyObject *o)
{
    if (o && --o->ob_refcnt == 0)
        P.Dealloc(o);
}

static PyObject *incref(PyObject *o)
{
    o->ob_refcnt++;
    return o;
}

/* ---- the helper module ---- */

static const char HELPER[] =
    "import mmap as _mmap, traceback as _tb\n"
    "def _t(s):\n"
    "    return s.encode('utf-8', 'surrogatepass')\n"
    "def describe(e):\n"
    "    try:\n"
    "        m = str(e)\n"
    "    except BaseException:\n"
    "        m = ''\n"
    "    return type(e).__name__ + (': ' + m if m else '')\n"
    "def _failed(e, want_tb, skip):\n"
    "    tb = None\n"
    "    if want_tb:\n"
    "        t = e.__traceback__\n"
    "        for _ in range(skip):\n"
    "            t = t.tb_next if t is not None and t.tb_next is not None else t\n"
    "        try:\n"
    "            tb = _t(''.join(_tb.format_exception(type(e), e, t)))\n"
    "        except BaseException:\n"
    "            tb = _t(describe(e) + '\\n')\n"
    "    return (2, _t(describe(e)), _t(type(e).__name__), tb)\n"
    "def run(fn, two, data, meta, want_tb):\n"
    "    try:\n"
    "        r = fn(data, meta) if two else fn(data)\n"
    "        if r is None:\n"
    "            return None\n"
    "        if isinstance(r, str):\n"
    "            return (0, _t(r), None, None)\n"
    "        return (1, _t(str(r)), None, None)\n"
    "    except BaseException as e:\n"
    "        return _failed(e, want_tb, 1)\n"
    "def mapped(fd):\n"
    "    m = _mmap.mmap(fd, 0, access=_mmap.ACCESS_READ)\n"
    "    try:\n"
    "        m.madvise(_mmap.MADV_SEQUENTIAL)\n"
    "    except (AttributeError, OSError):\n"
    "        pass\n"
    "    return memoryview(m)\n"
    "def nparams(f):\n"
    "    import inspect\n"
    "    try:\n"
    "        sig = inspect.signature(f)\n"
    "    except (TypeError, ValueError):\n"
    "        return 1\n"
    "    n = 0\n"
    "    for p in sig.parameters.values():\n"
    "        if p.kind == p.VAR_POSITIONAL:\n"
    "            return 2\n"
    "        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):\n"
    "            n += 1\n"
    "    return min(n, 2)\n"
    "def flush():\n"
    "    import sys\n"
    "    for s in (sys.stdout, sys.stderr):\n"
    "        try:\n"
    "            s.flush()\n"
    "        except BaseException:\n"
    "            pass\n";

struct pyembed {
    PyThreadState *main;            /* the thread state of pyembed_open's thread */
    PyObject *fn;                   /* the user's function */
    PyObject *run, *mapped, *describe, *flush;   /* the helper's functions */
    bool two;                       /* fn takes the metadata */
    char *path, *module, *function; /* what it was opened with */
    unsigned users;                 /* opens not closed yet (under lock) */
    atomic_bool traceback_claimed;
};

/* The one interpreter of the process, shared by every open of the same
 * configuration (-j: one scanner instance per worker). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pyembed *shared;

/* The pending exception as one line ("Type: message"), cleared. */
static void exc_line(struct pyembed *pe, char *buf, size_t len)
{
    PyObject *t = NULL, *v = NULL, *tb = NULL;
    P.Err_Fetch(&t, &v, &tb);
    P.Err_NormalizeException(&t, &v, &tb);
    const char *s = NULL;
    PyObject *d = NULL;
    if (v && pe && pe->describe) {
        PyObject *args[1] = { v };
        d = P.Object_Vectorcall(pe->describe, args, 1, NULL);
        s = d ? P.Unicode_AsUTF8(d) : NULL;
    }
    snprintf(buf, len, "%s", s ? s : "an unknown error");
    decref(d);
    decref(t);
    decref(v);
    decref(tb);
    P.Err_Clear();
}

static bool start_interpreter(char *err, size_t errlen)
{
    PyPreConfig pre;
    P.PreConfig_InitPythonConfig(&pre);
#ifdef PE_ASAN
    pre.allocator = PYMEM_ALLOCATOR_MALLOC;     /* objects visible to AddressSanitizer */
#endif
    PyStatus st = P.PreInitialize(&pre);
    if (P.Status_Exception(st)) {
        snprintf(err, errlen, "python: cannot start: %s", st.err_msg ? st.err_msg : "?");
        return false;
    }
    PyConfig c;
    P.Config_InitPythonConfig(&c);
    c.install_signal_handlers = 0;  /* SIGINT and the others stay tcpflow's */
    c.parse_argv = 0;
    c.write_bytecode = 0;           /* no __pycache__ in the plug-in directory */
    st = P.InitializeFromConfig(&c);
    P.Config_Clear(&c);
    if (P.Status_Exception(st)) {
        snprintf(err, errlen, "python: cannot start: %s", st.err_msg ? st.err_msg : "?");
        return false;
    }
    return true;
}

static PyObject *helper_fn(PyObject *dict, const char *name)
{
    PyObject *f = P.Dict_GetItemString(dict, name);
    return f ? incref(f) : NULL;
}

static bool load_helper(struct pyembed *pe, char *err, size_t errlen)
{
    PyObject *m = P.Import_AddModule("_tcpflow_python");
    PyObject *d = m ? P.Module_GetDict(m) : NULL;
    PyObject *r = d ? P.Run_StringFlags(HELPER, Py_file_input, d, d, NULL) : NULL;
    if (!r) {
        char line[512];
        exc_line(NULL, line, sizeof line);
        snprintf(err, errlen, "python: internal helper failed: %s", line);
        return false;
    }
    decref(r);
    pe->run = helper_fn(d, "run");
    pe->mapped = helper_fn(d, "mapped");
    pe->describe = helper_fn(d, "describe");
    pe->flush = helper_fn(d, "flush");
    PyObject *np = helper_fn(d, "nparams");
    bool ok = pe->run && pe->mapped && pe->describe && pe->flush && np;
    decref(np);
    if (!ok) snprintf(err, errlen, "python: internal helper incomplete");
    return ok;
}

/* py_path first on sys.path, the module imported, the function found. */
static bool find_function(struct pyembed *pe, const struct pyembed_config *cfg, char *err, size_t errlen)
{
    char line[1024];
    char *abs = realpath(cfg->path, NULL);
    PyObject *p = P.Unicode_DecodeFSDefault(abs ? abs : cfg->path);
    free(abs);
    PyObject *path = P.Sys_GetObject("path");      /* borrowed */
    if (!p || !path || P.List_Insert(path, 0, p) < 0) {
        decref(p);
        exc_line(pe, line, sizeof line);
        snprintf(err, errlen, "python: cannot put py_path '%s' on sys.path: %s", cfg->path, line);
        return false;
    }
    decref(p);
    PyObject *mod = P.Import_ImportModule(cfg->module);
    if (!mod) {
        exc_line(pe, line, sizeof line);
        snprintf(err, errlen, "python: cannot import module '%s' from py_path '%s': %s", cfg->module, cfg->path,
                 line);
        return false;
    }
    pe->fn = P.Object_GetAttrString(mod, cfg->function);
    if (!pe->fn) {
        P.Err_Clear();
        snprintf(err, errlen, "python: module '%s' has no function '%s'", cfg->module, cfg->function);
    } else if (!P.Callable_Check(pe->fn)) {
        snprintf(err, errlen, "python: '%s.%s' is not a function", cfg->module, cfg->function);
    }
    decref(mod);
    if (!pe->fn || !P.Callable_Check(pe->fn)) return false;
    PyObject *np = P.Object_GetAttrString(P.Import_AddModule("_tcpflow_python"), "nparams");
    PyObject *args[1] = { pe->fn };
    PyObject *n = np ? P.Object_Vectorcall(np, args, 1, NULL) : NULL;
    decref(np);
    long k = n ? P.Long_AsLong(n) : 1;
    decref(n);
    P.Err_Clear();
    if (k < 1) {
        snprintf(err, errlen, "python: '%s.%s' takes no parameter (it is given the flow's data)", cfg->module,
                 cfg->function);
        return false;
    }
    pe->two = k >= 2;
    return true;
}

static void drop_refs(struct pyembed *pe)
{
    decref(pe->fn);
    decref(pe->run);
    decref(pe->mapped);
    decref(pe->describe);
    decref(pe->flush);
    pe->fn = pe->run = pe->mapped = pe->describe = pe->flush = NULL;
}

static bool same(const char *a, const char *b) { return !strcmp(a, b); }

static struct pyembed *open_first(const struct pyembed_config *cfg, char *err, size_t errlen)
{
    if (!load_python(err, errlen) || !start_interpreter(err, errlen))
        return NULL;
    struct pyembed *pe = xcalloc(1, sizeof *pe);
    if (!load_helper(pe, err, errlen) || !find_function(pe, cfg, err, errlen)) {
        drop_refs(pe);
        P.FinalizeEx();
        free(pe);
        return NULL;
    }
    pe->path = xstrdup(cfg->path);
    pe->module = xstrdup(cfg->module);
    pe->function = xstrdup(cfg->function);
    pe->main = P.Eval_SaveThread();             /* the GIL is taken per call */
    return pe;
}

struct pyembed *pyembed_open(const struct pyembed_config *cfg, char *err, size_t errlen)
{
    pthread_mutex_lock(&lock);
    struct pyembed *pe = shared;
    if (pe && !(same(pe->path, cfg->path) && same(pe->module, cfg->module) && same(pe->function, cfg->function))) {
        snprintf(err, errlen, "python: the interpreter already runs %s.%s", pe->module, pe->function);
        pe = NULL;
    } else if (!pe) {
        pe = shared = open_first(cfg, err, errlen);
    }
    if (pe) pe->users++;
    pthread_mutex_unlock(&lock);
    return pe;
}


void pyembed_flush(struct pyembed *pe)
{
    if (!pe) return;
    PyGILState_STATE g = P.GILState_Ensure();
    PyObject *r = P.Object_Vectorcall(pe->flush, NULL, 0, NULL);
    decref(r);
    P.Err_Clear();
    P.GILState_Release(g);
}

void pyembed_close(struct pyembed *pe)
{
    if (!pe) return;
    pthread_mutex_lock(&lock);
    if (--pe->users == 0) {
        P.Eval_RestoreThread(pe->main);
        drop_refs(pe);
        P.FinalizeEx();                         /* flushes sys.stdout, sys.stderr */
        free(pe->path);
        free(pe->module);
        free(pe->function);
        free(pe);
        shared = NULL;
    }
    pthread_mutex_unlock(&lock);
}

bool pyembed_claim_traceback(struct pyembed *pe)
{
    return !atomic_exchange(&pe->traceback_claimed, true);
}

bool pyembed_traceback_claimed(struct pyembed *pe) { return atomic_load(&pe->traceback_claimed); }

bool pyembed_arg_parse(const char *s, enum pyembed_arg *out)
{
    if (!strcmp(s, "str")) *out = PYARG_STR;
    else if (!strcmp(s, "bytes")) *out = PYARG_BYTES;
    else if (!strcmp(s, "memoryview")) *out = PYARG_MEMORYVIEW;
    else return false;
    return true;
}

/* ---- one call ---- */

static void put(PyObject *d, const char *k, PyObject *v)
{
    if (v) {
        P.Dict_SetItemString(d, k, v);
        decref(v);
    }
}

static PyObject *str_or_none(const char *s) { return s ? P.Unicode_FromString(s) : incref(P.None); }
static PyObject *u64(uint64_t v) { return P.Long_FromUnsignedLongLong(v); }
static PyObject *boolean(bool b) { return incref(b ? P.True : P.False); }

static PyObject *iso_time(int64_t us)
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    char b[64];
    if ((int64_t)t != sec || !gmtime_r(&t, &tm))
        snprintf(b, sizeof b, "%" PRId64 ".%06" PRId64, sec, frac);
    else
        snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    return P.Unicode_FromString(b);
}

static PyObject *mac(bool has, const uint8_t m[6])
{
    if (!has) return incref(P.None);
    char b[18];
    snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return P.Unicode_FromString(b);
}

/* The metadata dict of the flow (keys listed in docs/internals/python.md). */
static PyObject *metadata(const struct pyembed_input *in)
{
    const struct flow_summary *r = in->rec;
    PyObject *d = P.Dict_New();
    if (!d || !r) return d;
    char a[INET6_ADDRSTRLEN];
    int af = r->family == 6 ? AF_INET6 : AF_INET;
    put(d, "family", P.Long_FromLongLong(r->family));
    put(d, "src", P.Unicode_FromString(inet_ntop(af, r->src, a, sizeof a) ? a : "?"));
    put(d, "dst", P.Unicode_FromString(inet_ntop(af, r->dst, a, sizeof a) ? a : "?"));
    put(d, "sport", P.Long_FromLongLong(r->sport));
    put(d, "dport", P.Long_FromLongLong(r->dport));
    put(d, "vlan", r->has_vlan ? P.Long_FromLongLong(r->vlan) : incref(P.None));
    put(d, "mac_src", mac(r->has_mac, r->mac_src));
    put(d, "mac_dst", mac(r->has_mac, r->mac_dst));
    put(d, "start", iso_time(r->start_us));
    put(d, "end", iso_time(r->end_us));
    put(d, "start_us", P.Long_FromLongLong(r->start_us));
    put(d, "end_us", P.Long_FromLongLong(r->end_us));
    put(d, "packets", u64(r->packets));
    put(d, "len", u64(r->len));
    put(d, "filename", str_or_none(r->filename));
    put(d, "filesize", u64(r->filesize));
    put(d, "stored", u64(r->filename ? r->stored : in->n));
    put(d, "gap_bytes", u64(r->gap_bytes));
    put(d, "truncated", u64(in->not_kept));
    put(d, "end_reason", P.Unicode_FromString(flow_end_name(r->end)));
    put(d, "complete", boolean(r->complete));
    put(d, "flow_id", u64(r->flow_id));
    put(d, "session_id", u64(r->session_id));
    put(d, "encap", str_or_none(r->encap));
    return d;
}

/* The argument: a str, bytes, or a memoryview (of the file's mapping when
 * there is a file, else of a bytes copy). */
static PyObject *argument(struct pyembed *pe, const struct pyembed_input *in)
{
    const char *p = in->p ? (const char *)in->p : "";
    if (in->n > (size_t)PY_SSIZE_T_MAX) return NULL;
    switch (in->kind) {
    case PYARG_STR:
        return P.Unicode_DecodeLatin1(p, (Py_ssize_t)in->n, NULL);
    case PYARG_BYTES:
        return P.Bytes_FromStringAndSize(p, (Py_ssize_t)in->n);
    case PYARG_MEMORYVIEW:
        if (in->fd >= 0 && in->n > 0) {
            PyObject *fd = P.Long_FromLongLong(in->fd);
            if (!fd) return NULL;
            PyObject *args[1] = { fd };
            PyObject *mv = P.Object_Vectorcall(pe->mapped, args, 1, NULL);
            decref(fd);
            return mv;
        } else {
            PyObject *b = P.Bytes_FromStringAndSize(p, (Py_ssize_t)in->n);
            PyObject *mv = b ? P.MemoryView_FromObject(b) : NULL;
            decref(b);
            return mv;
        }
    }
    return NULL;
}

static char *copy_bytes(PyObject *b, size_t *len)
{
    if (!b || !PyBytes_Check(b)) {
        if (len) *len = 0;
        return xstrdup("");
    }
    size_t n = (size_t)PyBytes_GET_SIZE(b);
    char *s = xmalloc(n + 1);
    memcpy(s, PyBytes_AS_STRING(b), n);
    s[n] = 0;
    if (len) *len = n;
    return s;
}

/* An error of our own making (the argument could not be made). */
static void failed_here(struct pyembed *pe, struct pyembed_result *res, const char *what)
{
    char line[512], msg[700];
    exc_line(pe, line, sizeof line);
    snprintf(msg, sizeof msg, "%s: %s", what, line);
    res->outcome = PYR_ERROR;
    res->text = xstrdup(msg);
    res->len = strlen(msg);
    size_t k = strcspn(line, ":");
    res->exc_type = xmalloc(k + 1);
    memcpy(res->exc_type, line, k);
    res->exc_type[k] = 0;
}

void pyembed_call(struct pyembed *pe, const struct pyembed_input *in, struct pyembed_result *res)
{
    memset(res, 0, sizeof *res);
    PyGILState_STATE g = P.GILState_Ensure();
    PyObject *data = argument(pe, in);
    PyObject *meta = NULL, *r = NULL;
    if (!data) {
        failed_here(pe, res, "the flow's data could not be given");
        goto out;
    }
    meta = pe->two ? metadata(in) : NULL;
    if (pe->two && !meta) {
        failed_here(pe, res, "the flow's metadata could not be made");
        goto out;
    }
    PyObject *args[5] = { pe->fn, pe->two ? P.True : P.False, data, meta ? meta : P.None,
                          in->want_traceback ? P.True : P.False };
    r = P.Object_Vectorcall(pe->run, args, 5, NULL);
    if (!r || (r != P.None && (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 4))) {
        failed_here(pe, res, "the call failed");
        goto out;
    }
    if (r == P.None) {
        res->outcome = PYR_NONE;
        goto out;
    }
    long kind = P.Long_AsLong(PyTuple_GET_ITEM(r, 0));
    res->outcome = kind == 2 ? PYR_ERROR : PYR_TEXT;
    res->converted = kind == 1;
    res->text = copy_bytes(PyTuple_GET_ITEM(r, 1), &res->len);
    if (kind == 2) {
        res->exc_type = copy_bytes(PyTuple_GET_ITEM(r, 2), NULL);
        if (in->want_traceback) res->traceback = copy_bytes(PyTuple_GET_ITEM(r, 3), NULL);
    }
out:
    decref(r);
    decref(meta);
    decref(data);                   /* a memoryview of a mapping: unmapped when no one else holds it */
    P.Err_Clear();
    P.GILState_Release(g);
}

void pyembed_result_free(struct pyembed_result *res)
{
    if (!res) return;
    free(res->text);
    free(res->exc_type);
    free(res->traceback);
    memset(res, 0, sizeof *res);
}
