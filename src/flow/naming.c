/* naming.c - see naming.h */
#include "flow/naming.h"
#include "decode/tunnel.h"
#include "util/xalloc.h"
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char codes[] = "AaBbEeVvUuTtCc#NKMGS%";

bool naming_check(const char *tmpl, char *err, size_t errlen)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '\0') {
            snprintf(err, errlen, "Invalid filename_template: %s (ends with a lone %%)", tmpl);
            return false;
        }
        if (!strchr(codes, p[1])) {
            snprintf(err, errlen, "Invalid filename_template: %s (unknown code %%%c)", tmpl, p[1]);
            return false;
        }
        p++;
    }
    return true;
}

static char *prepend(const char *pre, const char *s)
{
    size_t a = strlen(pre), b = strlen(s);
    char *r = xmalloc(a + b + 1);
    memcpy(r, pre, a);
    memcpy(r + a, s, b + 1);
    return r;
}

bool naming_apply_F(char **tmpl, char letter)
{
    char *n = NULL;
    switch (letter) {
    case 'c': {   /* the counter on every name, 0 included: c0, c1, ... */
        /* code by code, so that "%%c" (a literal "%c") stays as it is */
        const char *t = *tmpl;
        size_t len = strlen(t);
        char *b = xmalloc(len + 4);          /* each rewrite shrinks or keeps; +"c%#" */
        size_t k = 0;
        bool has = false;
        for (size_t i = 0; i < len;) {
            if (t[i] == '%' && !strncmp(t + i, "%C%c", 4)) {
                memcpy(b + k, "c%#", 3); k += 3; i += 4; has = true;
            } else if (t[i] == '%' && t[i + 1] == 'c') {
                memcpy(b + k, "%#", 2); k += 2; i += 2; has = true;
            } else if (t[i] == '%' && t[i + 1]) {
                has |= t[i + 1] == '#';
                b[k++] = t[i++]; b[k++] = t[i++];
            } else {
                b[k++] = t[i++];
            }
        }
        if (!has) { memcpy(b + k, "c%#", 3); k += 3; }
        b[k] = '\0';
        n = b;
        break;
    }
    case 't': n = prepend("%tT", *tmpl); break;
    case 'T': n = prepend("%T", *tmpl); break;
    case 'k': n = prepend("%K/", *tmpl); break;
    case 'm': n = prepend("%M000-%M999/%M%K/", *tmpl); break;
    case 'g': n = prepend("%G000000-%G999999/%G%M000-%G%M999/%G%M%K/", *tmpl); break;
    default: return false;
    }
    free(*tmpl);
    *tmpl = n;
    return true;
}

char *naming_finalize(const char *tmpl)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p == '%' && p[1]) {
            if (p[1] == 'c')
                return xstrdup(tmpl);
            p++;
        }
    }
    char *r = xmalloc(strlen(tmpl) + 5);
    sprintf(r, "%s%%C%%c", tmpl);
    return r;
}

void naming_addr(int family, const uint8_t *a, char *out, size_t outlen)
{
    if (family == 4)
        snprintf(out, outlen, "%03u.%03u.%03u.%03u", a[0], a[1], a[2], a[3]);
    else if (!inet_ntop(AF_INET6, a, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
}

struct obuf { char *p; size_t len, cap; bool over; };

static void put(struct obuf *o, const char *s, size_t n)
{
    if (o->len + n >= o->cap) { o->over = true; return; }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void putf(struct obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct obuf *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_mac(struct obuf *o, const uint8_t *m)
{
    putf(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int naming_render(const char *tmpl, const char *outdir, const struct flow *f,
                  uint32_t count, int64_t tdelta_us, char *out, size_t outlen)
{
    struct obuf o = { out, 0, outlen, false };
    char a[64];
    static const uint8_t zero[6];
    if (outdir && outdir[0] && strcmp(outdir, ".") != 0) {
        put(&o, outdir, strlen(outdir));
        put(&o, "/", 1);
    }
    int64_t t = f->first_us + tdelta_us;
    time_t secs = (time_t)(t >= 0 ? t / 1000000 : (t - 999999) / 1000000);
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%' || p[1] == '\0') {
            put(&o, p, 1);
            continue;
        }
        switch (*++p) {
        case 'A': naming_addr(f->key.family, f->key.src, a, sizeof a); put(&o, a, strlen(a)); break;
        case 'B': naming_addr(f->key.family, f->key.dst, a, sizeof a); put(&o, a, strlen(a)); break;
        case 'a': putf(&o, "%05u", f->key.sport); break;
        case 'b': putf(&o, "%05u", f->key.dport); break;
        case 'E': put_mac(&o, f->has_mac ? f->mac_src : zero); break;
        case 'e': put_mac(&o, f->has_mac ? f->mac_dst : zero); break;
        case 'V': if (f->has_vlan) put(&o, "--", 2); break;
        case 'v': if (f->has_vlan) putf(&o, "%u", f->vlan); break;
        case 'U': if (f->tun) put(&o, "--", 2); break;
        case 'u': if (f->tun) put(&o, f->tun->desc, strlen(f->tun->desc)); break;
        case 'T': {
            struct tm tm;
            gmtime_r(&secs, &tm);
            char tb[40];
            size_t n = strftime(tb, sizeof tb, "%Y-%m-%dT%H:%M:%SZ", &tm);
            put(&o, tb, n);
            break;
        }
        case 't': putf(&o, "%lld", (long long)secs); break;
        case 'C': if (count > 0) put(&o, "c", 1); break;
        case 'c': if (count > 0) putf(&o, "%u", count); break;
        case '#': putf(&o, "%u", count); break;
        case 'N': putf(&o, "%03u", (unsigned)(f->flow_id % 1000)); break;
        case 'K': putf(&o, "%03u", (unsigned)(f->flow_id / 1000 % 1000)); break;
        case 'M': putf(&o, "%03u", (unsigned)(f->flow_id / 1000000 % 1000)); break;
        case 'G': putf(&o, "%03u", (unsigned)(f->flow_id / 1000000000 % 1000)); break;
        case 'S': putf(&o, "%020llu", (unsigned long long)f->session_id); break;
        case '%': put(&o, "%", 1); break;
        default: put(&o, p - 1, 2); break;
        }
    }
    if (o.over || o.len >= outlen)        /* no room for the NUL (outlen 0) */
        return -1;
    out[o.len] = '\0';
    return (int)o.len;
}

const char *naming_flow_base(const struct flow *f, bool files, const char *tmpl, const char *outdir,
                             int64_t tdelta_us, char *out, size_t outlen)
{
    if (f->name)
        return f->name;
    if (files || naming_render(tmpl, outdir, f, 0, tdelta_us, out, outlen) <= 0)
        return NULL;
    return out;
}
