/* tlsdecrypt.c - test driver of the TLS engine (src/scan/tls/): decrypts
 * one connection from its two ciphertext flow files, as tcpflow writes
 * them (one file per direction), with an NSS key log.
 *
 *   tlsdecrypt [-k KEYLOG]... [-b BYTES] C2S S2C OUT_C2S OUT_S2C
 *
 * Writes the application data of each direction to OUT_C2S and OUT_S2C
 * (created even when empty) and one line on stdout:
 *   version=0304 suite=1301 name=TLS_AES_128_GCM_SHA256 sni=x alpn=http/1.1
 *   resumed=0 hrr=0 etm=0 early=none c2s=decrypted s2c=decrypted
 *   c2s_bytes=N s2c_bytes=N c2s_records=N ... (counts)
 * The directions are read in chunks of -b bytes (default 1 MiB), the
 * client's first, switching to the other file while one waits, as the
 * engine asks.  Exit status: 0, or 1 on a usage, key log or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scan/tls/keylog.h"
#include "scan/tls/session.h"

struct out {
    FILE *f[2];
    int err;
};

static void on_plain(void *arg, int dir, const uint8_t *p, size_t n)
{
    struct out *o = arg;
    if (fwrite(p, 1, n, o->f[dir]) != n)
        o->err = errno ? errno : EIO;
}

static void usage(void)
{
    fprintf(stderr, "usage: tlsdecrypt [-k KEYLOG]... [-b BYTES] C2S S2C OUT_C2S OUT_S2C\n");
    exit(1);
}

static const char *early_name(enum tls_early e)
{
    switch (e) {
    case TLS_EARLY_ACCEPTED: return "accepted";
    case TLS_EARLY_REJECTED: return "rejected";
    case TLS_EARLY_NO_KEY: return "no-key";
    default: return "none";
    }
}

static void print_info(const struct tls_info *in)
{
    static const char *dn[2] = { "c2s", "s2c" };
    printf("version=%04x suite=%04x name=%s sni=%s alpn=%s resumed=%d hrr=%d etm=%d early=%s",
           in->version, in->suite, in->suite_name ? in->suite_name : "-", in->sni[0] ? in->sni : "-",
           in->alpn[0] ? in->alpn : "-", in->resumed, in->hrr, in->etm, early_name(in->early));
    for (int d = 0; d < 2; d++)
        printf(" %s=%s", dn[d], tls_status_name(in->dir[d].status));
    for (int d = 0; d < 2; d++) {
        const struct tls_dir_info *x = &in->dir[d];
        printf(" %s_bytes=%llu %s_records=%llu %s_decrypted=%llu %s_early_skipped=%llu %s_key_updates=%llu"
               " %s_unprocessed=%llu %s_alert=%u.%u",
               dn[d], (unsigned long long)x->app_bytes, dn[d], (unsigned long long)x->records,
               dn[d], (unsigned long long)x->decrypted, dn[d], (unsigned long long)x->early_skipped,
               dn[d], (unsigned long long)x->key_updates, dn[d], (unsigned long long)x->unprocessed,
               dn[d], x->alert_level, x->alert_desc);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *logs[16];
    size_t nlogs = 0, chunk = 1 << 20;
    int c;
    while ((c = getopt(argc, argv, "k:b:")) != -1) {
        if (c == 'k' && nlogs < 16)
            logs[nlogs++] = optarg;
        else if (c == 'b' && atol(optarg) > 0)
            chunk = (size_t)atol(optarg);
        else
            usage();
    }
    if (argc - optind != 4)
        usage();
    char err[512];
    struct tls_keylog *kl = tls_keylog_open(logs, nlogs, err, sizeof err);
    if (!kl) {
        fprintf(stderr, "tlsdecrypt: %s\n", err);
        return 1;
    }
    FILE *in[2];
    struct out o = { { NULL, NULL }, 0 };
    for (int d = 0; d < 2; d++) {
        in[d] = fopen(argv[optind + d], "rb");
        o.f[d] = fopen(argv[optind + 2 + d], "wb");
        if (!in[d] || !o.f[d]) {
            fprintf(stderr, "tlsdecrypt: %s: %s\n", argv[optind + (in[d] ? 2 : 0) + d], strerror(errno));
            return 1;
        }
        setvbuf(o.f[d], NULL, _IOFBF, 1 << 20);
    }
    struct tls_session_cb cb = { on_plain, NULL, 0 };
    struct tls_session *s = tls_session_new(kl, &cb, &o);
    uint8_t *buf = malloc(chunk);
    bool eof[2] = { false, false };
    int dir = 0;
    while (!eof[0] || !eof[1]) {
        if (eof[dir] || tls_session_waiting(s, dir)) {
            if (!eof[!dir])
                dir = !dir;
            else if (eof[dir])
                break;
        }
        size_t n = fread(buf, 1, chunk, in[dir]);
        if (n > 0)
            tls_session_data(s, dir, buf, n);
        if (n < chunk) {
            if (ferror(in[dir])) {
                fprintf(stderr, "tlsdecrypt: %s: read error\n", argv[optind + dir]);
                return 1;
            }
            eof[dir] = true;
            tls_session_end(s, dir);
        }
    }
    tls_session_end(s, 0);
    tls_session_end(s, 1);
    print_info(tls_session_info(s));
    tls_session_free(s);
    free(buf);
    int rc = 0;
    for (int d = 0; d < 2; d++) {
        fclose(in[d]);
        if (fclose(o.f[d]) != 0 || o.err) {
            fprintf(stderr, "tlsdecrypt: %s: write error\n", argv[optind + 2 + d]);
            rc = 1;
        }
    }
    tls_keylog_free(kl);
    return rc;
}
