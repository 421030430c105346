/* fuzz_scan_tls.c - libFuzzer harness for the tls scanner's glue
 * (src/scan/tls.c, tls/tlsfile.c, tls/tlsxml.c) over the TLS engine and
 * the HTTP engine: events as the connection tracker gives them.
 *
 * Input: as fuzz_tls.c's (a key log section: [0..1] its length L, 0 for
 * RFC 8448's secrets; then segments: [0] flags, [1..2] length n, n bytes),
 * with these flags: bit 0 the direction, bit 1 a hole of n bytes instead of
 * data, bit 2 the direction closes after it, bit 3 the segment is given
 * again from 3 bytes before its start (late and overlapping bytes), bit 4
 * the server's direction is the connection's first.
 * The plaintext files go to a directory in /dev/shm (emptied each run,
 * removed at exit).
 * Checks: nothing crashes, leaks or reads out of bounds; every XML
 * fragment the scanner adds is well-formed; a plaintext file is never
 * larger than the bytes given.
 */
#include <dirent.h>
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
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const struct scanner scan_tls;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static const char rfc_keylog[] =
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n"
    "CLIENT_TRAFFIC_SECRET_0 cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5\n"
    "SERVER_TRAFFIC_SECRET_0 cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643\n";

static char dir[128], keylog[160];

struct fenv {
    struct scan_env env;
    struct counters ctr;
    const char *kl[1];
};

static const char *f_setting(const struct scan_env *env, const char *name)
{
    (void)env;
    if (!strcmp(name, "tls_keylog")) return keylog;
    if (!strcmp(name, "tls_max_pending")) return "65536";
    if (!strcmp(name, "http_alert_fd")) return "-1";
    if (!strcmp(name, "tls_keylog_env")) return "NO";
    return "";
}

static const char *const *f_setting_all(const struct scan_env *env, const char *name, size_t *n)
{
    const struct fenv *e = (const struct fenv *)env;
    *n = strcmp(name, "tls_keylog") ? 0 : 1;
    return e->kl;
}

static bool f_enabled(const struct scan_env *env, const char *name)
{
    (void)env;
    return !strcmp(name, "http");
}

/* Empties the directory; returns the bytes of the plaintext files in it. */
static uint64_t empty_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[400];
    uint64_t plain = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t l = strlen(e->d_name);
        struct stat st;
        if (l > 10 && !strcmp(e->d_name + l - 10, "-PLAINTEXT") && stat(p, &st) == 0)
            plain += (uint64_t)st.st_size;
        unlink(p);
    }
    if (d)
        closedir(d);
    return plain;
}

static void xml_ok(const char *x)
{
    if (!x)
        return;
    size_t n = strlen(x);
    char *doc = malloc(n + 8);
    memcpy(doc, "<r>", 3);
    memcpy(doc + 3, x, n);
    memcpy(doc + 3 + n, "</r>", 5);
    xmlDocPtr d = xmlReadMemory(doc, (int)(n + 7), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    CHECK(d != NULL);
    xmlFreeDoc(d);
    free(doc);
}

static uint64_t empty_dir(void);

/* At exit: the scratch directory and key log go. */
static void cleanup(void)
{
    empty_dir();
    rmdir(dir);
    unlink(keylog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        log_set_quiet(1);
        snprintf(dir, sizeof dir, "/dev/shm/fuzz_scan_tls.%d", (int)getpid());
        CHECK(mkdir(dir, 0700) == 0 || access(dir, W_OK) == 0);
        snprintf(keylog, sizeof keylog, "%s.keys", dir);
        atexit(cleanup);
    }
    if (size < 2)
        return 0;
    size_t L = (size_t)data[0] << 8 | data[1];
    if (L > size - 2)
        L = size - 2;
    FILE *kf = fopen(keylog, "w");
    CHECK(kf != NULL);
    if (L)
        fwrite(data + 2, 1, L, kf);
    else
        fputs(rfc_keylog, kf);
    fclose(kf);
    const uint8_t *p = data + 2 + L;
    size_t n = size - 2 - L;

    struct fenv e;
    memset(&e, 0, sizeof e);
    e.kl[0] = keylog;
    e.env = (struct scan_env){ .outdir = dir, .files = (n & 1) != 0, .gunzip = true, .max_bytes = UINT64_MAX,
                               .tmpl = "%A.%a-%B.%b%V%v%C%c", .ctr = &e.ctr, .setting = f_setting,
                               .setting_all = f_setting_all, .enabled = f_enabled };
    char err[512];
    void *self = scan_tls.create(&e.env, err, sizeof err);
    CHECK(self != NULL);
    struct flow f[2];
    struct conn cn;
    memset(f, 0, sizeof f);
    memset(&cn, 0, sizeof cn);
    char name[2][300];
    for (int w = 0; w < 2; w++) {
        f[w].key.family = 4;
        f[w].key.src[0] = (uint8_t)(10 + w);
        f[w].key.dst[0] = (uint8_t)(11 - w);
        f[w].key.sport = w ? 443 : 5555;
        f[w].key.dport = w ? 5555 : 443;
        f[w].conn = &cn;
        snprintf(name[w], sizeof name[w], "%s/flow%d", dir, w);
        if (e.env.files)
            f[w].name = name[w];
    }
    bool server_first = n > 0 && (p[0] & 16);
    cn.dir[server_first] = &f[0];
    cn.dir[!server_first] = &f[1];
    cn.refs = 2;
    struct flow_consumer c = { scan_tls.flow, self, 2 };
    uint64_t off[2] = { 0, 0 };
    bool closed[2] = { false, false };
    uint64_t given[2] = { 0, 0 };
    while (n >= 3) {
        int d = p[0] & 1, fl = p[0];
        size_t len = (size_t)p[1] << 8 | p[2];
        p += 3;
        n -= 3;
        if (len > n)
            len = n;
        if (fl & 2) {
            c.ops->gap(&c, &f[d], off[d], len, 0);
            off[d] += len;
        } else if (len) {
            c.ops->stream(&c, &f[d], off[d], p, len, 0);
            if ((fl & 8) && off[d] >= 3)
                c.ops->stream(&c, &f[d], off[d] - 3, p, len, 0);   /* 3 bytes before: a mismatch is fine */
            off[d] += len;
            given[d] += len;
        }
        if ((fl & 4) && !closed[d]) {
            c.ops->close(&c, &f[d], false);
            closed[d] = true;
        }
        p += len;
        n -= len;
    }
    struct flow_summary rec[2];
    memset(rec, 0, sizeof rec);
    for (int w = 0; w < 2; w++)
        c.ops->close(&c, &f[w], closed[w]);
    for (int w = 0; w < 2; w++) {
        c.ops->release(&c, &f[w], &rec[w]);
        xml_ok(rec[w].scanner_xml);
        flowsum_release(&rec[w]);
    }
    c.ops->conn_release(&c, &cn);
    CHECK(cn.slot[2] == NULL);
    struct scan_end end = { "fuzz", NULL };
    scan_tls.finish(self, &end, err, sizeof err);
    xml_ok(end.summary_xml);
    free(end.summary_xml);
    scan_tls.destroy(self);
    CHECK(empty_dir() <= given[0] + given[1]);
    return 0;
}
