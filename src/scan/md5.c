/* md5.c - the md5 scanner (-e md5, -FM, -a): the MD5 and SHA-256 of every
 * flow file, in its report record.
 *
 * The digests are computed while the bytes are placed when every byte of
 * the file is placed once, in order, from offset 0 (the common case); else
 * (bytes out of order, rewritten or moved by a prepend) the file is read
 * back at release (counted as OUT_HASH_REREAD).
 */
#include "scan/scanner.h"
#include "flow/flow.h"
#include "util/outdir.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

struct md5_scan {
    const struct scan_env *env;
};

/* Digests of one flow, computed while the bytes come. */
struct fdigest {
    EVP_MD_CTX *md5, *sha256;
    uint64_t upto;                      /* bytes [0, upto) hashed, in order */
    bool broken;                        /* out of order: read the file back */
};

static void dg_free(struct fdigest *d)
{
    if (!d) return;
    EVP_MD_CTX_free(d->md5);
    EVP_MD_CTX_free(d->sha256);
    free(d);
}

/* A fresh digest state (broken if OpenSSL fails: then nothing is claimed). */
static struct fdigest *dg_new(void)
{
    struct fdigest *d = xcalloc(1, sizeof *d);
    d->md5 = EVP_MD_CTX_new();
    d->sha256 = EVP_MD_CTX_new();
    if (!d->md5 || !d->sha256 || !EVP_DigestInit_ex(d->md5, EVP_md5(), NULL) ||
        !EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL))
        d->broken = true;
    return d;
}

static bool dg_final(struct fdigest *d, uint8_t md5[16], uint8_t sha256[32])
{
    return d && !d->broken && EVP_DigestFinal_ex(d->md5, md5, NULL) &&
           EVP_DigestFinal_ex(d->sha256, sha256, NULL);
}

/* Hash the file as it is on disk (no symlink followed under outdir). */
static bool hash_file(const char *outdir, const char *path, uint8_t md5[16], uint8_t sha256[32])
{
    int fd = outdir_open(outdir, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    struct fdigest *d = dg_new();
    uint8_t *buf = xmalloc(1 << 16);
    ssize_t n;
    while (!d->broken && (n = read(fd, buf, 1 << 16)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || !EVP_DigestUpdate(d->md5, buf, (size_t)n) || !EVP_DigestUpdate(d->sha256, buf, (size_t)n))
            d->broken = true;
    }
    free(buf);
    close(fd);
    bool ok = dg_final(d, md5, sha256);
    dg_free(d);
    return ok;
}

/* n bytes placed at off: anything but the next bytes in order (a hole, a
 * rewrite) gives up the in-order digest of this flow. */
static int md5_data(struct flow_consumer *c, struct flow *f, uint64_t off, const uint8_t *p, size_t n, int64_t ts)
{
    (void)ts;
    struct md5_scan *m = c->self;
    n = flow_clip(m->env->max_bytes, off, n);       /* what the file keeps */
    if (n == 0) return 0;
    struct fdigest *d = f->slot[c->slot];
    if (!d) d = f->slot[c->slot] = dg_new();
    if (d->broken) return 0;
    if (off != d->upto || !EVP_DigestUpdate(d->md5, p, n) || !EVP_DigestUpdate(d->sha256, p, n)) {
        d->broken = true;
        return 0;
    }
    d->upto += n;
    return 0;
}

static int md5_prepend(struct flow_consumer *c, struct flow *f, uint64_t n)
{
    (void)n;
    struct fdigest *d = f->slot[c->slot];
    if (d) d->broken = true;                /* the bytes move: read back */
    return 0;
}

static void md5_release(struct flow_consumer *c, struct flow *f, struct flow_summary *rec)
{
    struct md5_scan *m = c->self;
    struct fdigest *d = f->slot[c->slot];
    f->slot[c->slot] = NULL;
    bool ok = false;
    if (rec->filename) {
        if (!rec->file_failed) {
            if (d && d->upto == rec->stored && dg_final(d, rec->md5, rec->sha256))
                ok = true;
            else
                m->env->ctr->n[C_OUT_HASH_REREAD]++;
        }
        if (!ok) ok = hash_file(m->env->outdir, rec->filename, rec->md5, rec->sha256);
    }
    rec->has_md5 = rec->has_sha256 = ok;
    dg_free(d);
}

static const struct flow_consumer_ops md5_ops = {
    .wants = FC_PLACED,
    .data = md5_data,
    .prepend = md5_prepend,
    .release = md5_release,
};

static void *md5_create(const struct scan_env *env, char *err, size_t errlen)
{
    (void)err; (void)errlen;
    struct md5_scan *m = xcalloc(1, sizeof *m);
    m->env = env;
    return m;
}

static void md5_destroy(void *self) { free(self); }

const struct scanner scan_md5 = {
    .name = "md5",
    .description = "MD5 and SHA-256 of every flow file, written in the report (like -FM)",
    .flags = SCAN_IN_ALL | SCAN_NEEDS_FILES,
    .create = md5_create,
    .destroy = md5_destroy,
    .flow = &md5_ops,
};
