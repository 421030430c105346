/* keylog.c - NSS key log parsing, a table keyed by client random, re-reading
 * of growing files, and the TLS 1.2 session cache. */
#include "scan/tls/keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "util/xalloc.h"

struct entry {
    uint8_t cr[32];
    bool inuse, used;
    struct tls_secrets s;
};

struct kfile {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t off;                  /* where the next read starts (a line start) */
    bool seen;                  /* dev/ino known */
};

struct sess {
    uint8_t key[32];            /* SHA-256(kind || id) */
    uint8_t ms[48];
    bool inuse;
};

struct tls_keylog {
    pthread_mutex_t mu;
    struct entry *tab;
    size_t cap, n;              /* cap: a power of two */
    struct kfile *files;
    size_t nfiles;
    struct sess *sessions;      /* TLS_KEYLOG_MAX_SESSIONS, lazily */
    struct tls_keylog_stats st;
};

static const struct { const char *label; int kind; } labels[] = {
    { "CLIENT_RANDOM", TLS_SK_MASTER },
    { "CLIENT_EARLY_TRAFFIC_SECRET", TLS_SK_CLIENT_EARLY },
    { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLS_SK_CLIENT_HS },
    { "SERVER_HANDSHAKE_TRAFFIC_SECRET", TLS_SK_SERVER_HS },
    { "CLIENT_TRAFFIC_SECRET_0", TLS_SK_CLIENT_AP },
    { "SERVER_TRAFFIC_SECRET_0", TLS_SK_SERVER_AP },
    { "EXPORTER_SECRET", -1 },
    { "EARLY_EXPORTER_SECRET", -1 },
};

static size_t hash_cr(const uint8_t cr[32])
{
    size_t h = 0;
    memcpy(&h, cr, sizeof h);   /* the client random is random */
    return h;
}

static struct entry *find(struct tls_keylog *kl, const uint8_t cr[32], bool create)
{
    if (create && (kl->n + 1) * 2 > kl->cap) {
        if (kl->n >= TLS_KEYLOG_MAX_ENTRIES)
            goto probe;
        size_t ncap = kl->cap ? kl->cap * 2 : 1024;
        struct entry *nt = xcalloc(ncap, sizeof *nt);
        for (size_t i = 0; i < kl->cap; i++) {
            if (!kl->tab[i].inuse)
                continue;
            size_t j = hash_cr(kl->tab[i].cr) & (ncap - 1);
            while (nt[j].inuse)
                j = (j + 1) & (ncap - 1);
            nt[j] = kl->tab[i];
        }
        free(kl->tab);
        kl->tab = nt;
        kl->cap = ncap;
    }
probe:
    if (!kl->cap)
        return NULL;
    size_t j = hash_cr(cr) & (kl->cap - 1);
    while (kl->tab[j].inuse) {
        if (memcmp(kl->tab[j].cr, cr, 32) == 0)
            return &kl->tab[j];
        j = (j + 1) & (kl->cap - 1);
    }
    if (!create || kl->n >= TLS_KEYLOG_MAX_ENTRIES || (kl->n + 1) * 2 > kl->cap)
        return NULL;
    memset(&kl->tab[j], 0, sizeof kl->tab[j]);
    kl->tab[j].inuse = true;
    memcpy(kl->tab[j].cr, cr, 32);
    kl->n++;
    kl->st.entries = kl->n;
    return &kl->tab[j];
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Hex s[0..n) into out (at most cap bytes); its length, or -1. */
static long unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int a = hexval(s[i]), b = hexval(s[i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i / 2] = (uint8_t)(a << 4 | b);
    }
    return (long)(n / 2);
}

static int parse_line1(struct tls_keylog *kl, const char *s, size_t n)
{
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (n == 0 || s[0] == '#')
        return 0;
    const char *f[3];
    size_t fl[3], nf = 0, i = 0;
    while (i < n && nf < 4) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t st = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        if (nf == 3) { nf = 4; break; }
        f[nf] = s + st;
        fl[nf++] = i - st;
    }
    if (nf != 3) {
        kl->st.bad_lines++;
        return 0;
    }
    int kind = -2;
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++)
        if (strlen(labels[k].label) == fl[0] && memcmp(labels[k].label, f[0], fl[0]) == 0)
            kind = labels[k].kind;
    if (kind == -2) {
        kl->st.unsupported++;
        return 0;
    }
    uint8_t cr[32], sec[48];
    long sl = unhex(f[2], fl[2], sec, sizeof sec);
    if (unhex(f[1], fl[1], cr, sizeof cr) != 32 || sl < 0 ||
        (kind == TLS_SK_MASTER ? sl != 48 : (sl != 32 && sl != 48))) {
        kl->st.bad_lines++;
        return 0;
    }
    if (kind < 0)
        return 0;
    struct entry *e = find(kl, cr, true);
    if (!e) {
        kl->st.over_cap++;
        return 0;
    }
    e->s.have |= 1u << kind;
    e->s.len[kind] = (uint8_t)sl;
    memcpy(e->s.v[kind], sec, (size_t)sl);
    kl->st.lines++;
    return 1;
}

/* One line (no newline); returns 1 when a secret was taken.  quiet: a
 * line that may still be being written (not counted when bad). */
static int parse_line(struct tls_keylog *kl, const char *s, size_t n, bool quiet)
{
    uint64_t bad = kl->st.bad_lines, unsup = kl->st.unsupported;
    int rc = parse_line1(kl, s, n);
    if (quiet && rc == 0) {
        kl->st.bad_lines = bad;
        kl->st.unsupported = unsup;
    }
    return rc;
}

/* Every complete line of text[0..n); returns the bytes used (up to the end
 * of the last complete line) and adds to *taken.  last: 1 the unterminated
 * last line is taken and used (text from memory), 2 it is taken quietly
 * but not used (a file being written: it is read again when complete). */
static size_t parse_text(struct tls_keylog *kl, const char *text, size_t n, int last, int *taken)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] != '\n')
            continue;
        if (i - start <= TLS_KEYLOG_MAX_LINE)
            *taken += parse_line(kl, text + start, i - start, false);
        else
            kl->st.bad_lines++;
        start = i + 1;
    }
    if (last && start < n && n - start <= TLS_KEYLOG_MAX_LINE) {
        *taken += parse_line(kl, text + start, n - start, last == 2);
        if (last == 1)
            start = n;
    } else if (last == 1 && start < n) {
        kl->st.bad_lines++;
        start = n;
    }
    return start;
}

void tls_keylog_add_text(struct tls_keylog *kl, const char *text, size_t n)
{
    int taken = 0;
    pthread_mutex_lock(&kl->mu);
    parse_text(kl, text, n, 1, &taken);
    pthread_mutex_unlock(&kl->mu);
}

/* Reads file f from its offset; first: the open-time read (an unterminated
 * last line is taken).  Returns lines taken or -1 with errno set. */
static int read_file(struct tls_keylog *kl, struct kfile *f, bool first)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -1;
    }
    if (f->seen && (st.st_dev != f->dev || st.st_ino != f->ino || st.st_size < f->off)) {
        f->off = 0;             /* replaced or truncated: from the start */
        kl->st.rereads++;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->seen = true;
    int taken = 0;
    if (st.st_size <= f->off) {
        close(fd);
        return 0;
    }
    size_t cap = 65536;
    char *buf = xmalloc(cap);
    size_t have = 0;
    off_t pos = f->off;
    for (;;) {
        ssize_t r = pread(fd, buf + have, cap - have, pos + (off_t)have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return -1;
        }
        have += (size_t)r;
        bool eof = r == 0;
        size_t used = parse_text(kl, buf, have, eof && first ? 2 : 0, &taken);
        if (!eof && used == 0 && have == cap) {
            used = have;        /* a line longer than the buffer: skip it */
            kl->st.bad_lines++;
        }
        pos += (off_t)used;
        memmove(buf, buf + used, have - used);
        have -= used;
        if (eof)
            break;
    }
    f->off = pos;
    free(buf);
    close(fd);
    return taken;
}

struct tls_keylog *tls_keylog_open(const char *const *paths, size_t n, char *err, size_t errlen)
{
    struct tls_keylog *kl = xcalloc(1, sizeof *kl);
    pthread_mutex_init(&kl->mu, NULL);
    kl->files = xcalloc(n ? n : 1, sizeof *kl->files);
    for (size_t i = 0; i < n; i++) {
        kl->files[i].path = xstrdup(paths[i]);
        kl->nfiles++;
        if (read_file(kl, &kl->files[i], true) < 0) {
            snprintf(err, errlen, "cannot read the TLS key log %s: %s", paths[i], strerror(errno));
            tls_keylog_free(kl);
            return NULL;
        }
    }
    return kl;
}

void tls_keylog_free(struct tls_keylog *kl)
{
    if (!kl)
        return;
    for (size_t i = 0; i < kl->nfiles; i++)
        free(kl->files[i].path);
    free(kl->files);
    free(kl->tab);
    free(kl->sessions);
    pthread_mutex_destroy(&kl->mu);
    free(kl);
}

static int refresh_locked(struct tls_keylog *kl)
{
    int total = 0, rc = 0;
    for (size_t i = 0; i < kl->nfiles; i++) {
        int t = read_file(kl, &kl->files[i], false);
        if (t < 0)
            rc = -1;
        else
            total += t;
    }
    return rc < 0 ? -1 : total;
}

int tls_keylog_refresh(struct tls_keylog *kl)
{
    pthread_mutex_lock(&kl->mu);
    int rc = refresh_locked(kl);
    pthread_mutex_unlock(&kl->mu);
    return rc;
}

bool tls_keylog_lookup(struct tls_keylog *kl, const uint8_t client_random[32], bool refresh,
                       struct tls_secrets *out)
{
    pthread_mutex_lock(&kl->mu);
    struct entry *e = find(kl, client_random, false);
    if (!e && refresh && refresh_locked(kl) > 0)
        e = find(kl, client_random, false);
    if (e) {
        if (!e->used)
            kl->st.used++;
        e->used = true;
        *out = e->s;
    }
    pthread_mutex_unlock(&kl->mu);
    return e != NULL;
}

static void sess_key(int kind, const uint8_t *id, size_t len, uint8_t key[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t k = (uint8_t)kind;
    unsigned l = 0;
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, &k, 1) != 1 ||
        EVP_DigestUpdate(c, id, len) != 1 || EVP_DigestFinal_ex(c, key, &l) != 1)
        memset(key, 0, 32);
    EVP_MD_CTX_free(c);
}

void tls_keylog_remember(struct tls_keylog *kl, int kind, const uint8_t *id, size_t len, const uint8_t ms[48])
{
    uint8_t key[32];
    if (len == 0)
        return;
    sess_key(kind, id, len, key);
    pthread_mutex_lock(&kl->mu);
    if (!kl->sessions)
        kl->sessions = xcalloc(TLS_KEYLOG_MAX_SESSIONS, sizeof *kl->sessions);
    struct sess *s = &kl->sessions[hash_cr(key) & (TLS_KEYLOG_MAX_SESSIONS - 1)];
    memcpy(s->key, key, 32);    /* a cache: a collision replaces the older one */
    memcpy(s->ms, ms, 48);
    s->inuse = true;
    pthread_mutex_unlock(&kl->mu);
}

bool tls_keylog_recall(struct tls_keylog *kl, int kind, const uint8_t *id, size_t len, uint8_t ms[48])
{
    uint8_t key[32];
    bool found = false;
    if (len == 0)
        return false;
    sess_key(kind, id, len, key);
    pthread_mutex_lock(&kl->mu);
    if (kl->sessions) {
        struct sess *s = &kl->sessions[hash_cr(key) & (TLS_KEYLOG_MAX_SESSIONS - 1)];
        if (s->inuse && memcmp(s->key, key, 32) == 0) {
            memcpy(ms, s->ms, 48);
            found = true;
        }
    }
    pthread_mutex_unlock(&kl->mu);
    return found;
}

void tls_keylog_get_stats(struct tls_keylog *kl, struct tls_keylog_stats *st)
{
    pthread_mutex_lock(&kl->mu);
    *st = kl->st;
    pthread_mutex_unlock(&kl->mu);
}
