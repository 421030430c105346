/* fuzz_http_scan.c - libFuzzer harness for the http scanner's glue
 * (scan/http.c, http_out.c, http_files.c): flow events of both directions
 * of one connection, in any order, through the scanner's hooks.
 *
 * Input: [0] flags: bit 0 a writer thread (else lines to an alert fd: no
 * thread), bit 1 body files written (to a directory under /dev/shm, else
 * named nowhere), bit 2 -Z, bit 3 the first flow sent the SYN, bit 4 the
 * SHA-256 of each body, bit 5 a small decoded-size cap; then records
 * [op][flow][len lo][len hi][len bytes for op 0]: op % 6 = 0 in-order bytes
 * at the flow's next offset (minus flow>>1 & 7 bytes, times 700 with
 * flow & 0x80: late bytes again, or filling a hole),
 * 1 a hole of len, 2 bytes prepended (len), 3 the flow joins the
 * connection, 4 its release (then a new flow of the same key may join
 * the connection while the other lives), 5 release of both (the
 * connection goes; later flows make a new one).  Flow: bit 0 which direction.
 * Checks: no crash, leak or sanitizer report; every released record's XML
 * is well-formed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "flow/flow.h"
#include "scan/scanner.h"
#include "util/counters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct scanner scan_http;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static const char *opt_alert = "-1", *opt_digest = "NO", *opt_max = "268435456";
static char dir[64];
static struct counters ctr;

static const char *setting(const struct scan_env *env, const char *name)
{
    (void)env;
    if (!strcmp(name, "http_alert_fd")) return opt_alert;
    if (!strcmp(name, "http_digest")) return opt_digest;
    if (!strcmp(name, "http_max_decoded")) return opt_max;
    return "";
}

static bool enabled(const struct scan_env *env, const char *name)
{
    (void)env; (void)name;
    return false;
}

struct fz {
    struct flow_consumer fc;
    struct conn cn;
    struct flow *f[2];
    uint64_t next[2];
    char name[2][128];
    bool files;
};

static struct flow *new_flow(struct fz *z, int i, bool client)
{
    struct flow *f = calloc(1, sizeof *f);
    f->key.family = 4;
    uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
    memcpy(i ? f->key.dst : f->key.src, a, 4);
    memcpy(i ? f->key.src : f->key.dst, b, 4);
    f->key.sport = i ? 80 : 1234;
    f->key.dport = i ? 1234 : 80;
    f->client = client && i == 0;
    if (z->files)
        f->name = z->name[i];
    z->next[i] = 0;
    return f;
}

static void join(struct fz *z, int i, bool client)
{
    if (z->f[i])
        return;
    z->f[i] = new_flow(z, i, client);
    z->f[i]->conn = &z->cn;
    if (!z->cn.dir[0])
        z->cn.dir[0] = z->f[i];
    else if (!z->cn.dir[1])
        z->cn.dir[1] = z->f[i];
    z->cn.refs++;
}

static void release(struct fz *z, int i)
{
    struct flow *f = z->f[i];
    if (!f)
        return;
    struct flow_summary rec;
    memset(&rec, 0, sizeof rec);
    z->fc.ops->release(&z->fc, f, &rec);
    if (rec.scanner_xml) {
        char *doc = malloc(rec.xml_len + 16);
        snprintf(doc, rec.xml_len + 16, "<r>%s</r>", rec.scanner_xml);
        xmlDocPtr d = xmlReadMemory(doc, (int)strlen(doc), "r.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        CHECK(d != NULL);
        xmlFreeDoc(d);
        free(doc);
    }
    flowsum_release(&rec);
    if (z->cn.dir[0] == f) z->cn.dir[0] = NULL;
    if (z->cn.dir[1] == f) z->cn.dir[1] = NULL;
    z->cn.refs--;
    free(f);
    z->f[i] = NULL;
    if (z->cn.refs == 0) {                /* both released: the connection goes, as the tracker does */
        z->fc.ops->conn_release(&z->fc, &z->cn);
        CHECK(z->cn.slot[z->fc.slot] == NULL);
        memset(&z->cn, 0, sizeof z->cn);
    }
}

/* The body files go when the fuzzer does. */
static void cleanup(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/dev/shm/fuzz_http_scan.%d", (int)getpid());
        mkdir(dir, 0700);
        atexit(cleanup);
    }
    uint8_t fl = data[0];
    static int devnull = -1;
    if (devnull < 0)
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    char afd[16];
    snprintf(afd, sizeof afd, "%d", devnull);
    opt_alert = (fl & 1) ? "-1" : afd;
    opt_digest = (fl & 16) ? "YES" : "NO";
    opt_max = (fl & 32) ? "100000" : "268435456";
    memset(&ctr, 0, sizeof ctr);
    struct scan_env env = { .outdir = dir, .files = false, .gunzip = !(fl & 4), .max_bytes = UINT64_MAX,
                            .tmpl = "%A.%a-%B.%b%V%v%C%c", .ctr = &ctr, .setting = setting,
                            .enabled = enabled };
    char err[256];
    void *self = scan_http.create(&env, err, sizeof err);
    CHECK(self != NULL);
    struct fz z;
    memset(&z, 0, sizeof z);
    z.fc.ops = scan_http.flow;
    z.fc.self = self;
    z.fc.slot = 1;
    z.files = (fl & 2) != 0;
    env.files = true;                     /* names: the flow's (files) or none */
    snprintf(z.name[0], sizeof z.name[0], "%s/c", dir);
    snprintf(z.name[1], sizeof z.name[1], "%s/s", dir);
    bool client = (fl & 8) != 0;
    size_t i = 1;
    while (i + 4 <= size) {
        unsigned op = data[i] % 6, which = data[i + 1];
        size_t len = (size_t)data[i + 2] | (size_t)data[i + 3] << 8;
        int d = which & 1;
        i += 4;
        if (op == 0) {
            if (len > size - i)
                len = size - i;
            join(&z, d, client);
            uint64_t back = ((which >> 1) & 7) * ((which & 0x80) ? 700 : 1);
            uint64_t off = z.next[d] >= back ? z.next[d] - back : 0;
            if (len)
                z.fc.ops->stream(&z.fc, z.f[d], off, data + i, len, 0);
            if (off + len > z.next[d])
                z.next[d] = off + len;
            i += len;
        } else if (op == 1) {
            join(&z, d, client);
            if (len)
                z.fc.ops->gap(&z.fc, z.f[d], z.next[d], len, 0);
            z.next[d] += len;
        } else if (op == 2) {
            if (z.f[d]) {
                z.fc.ops->prepend(&z.fc, z.f[d], len);
                z.next[d] += len;
            }
        } else if (op == 3) {
            join(&z, d, client);
        } else if (op == 4) {
            release(&z, d);
        } else {
            release(&z, 0);
            release(&z, 1);
        }
    }
    release(&z, 0);
    release(&z, 1);
    scan_http.destroy(self);
    return 0;
}
