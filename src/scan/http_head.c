/* http_head.c - an HTTP/1.x header block: start line and the headers
 * that frame a message.  See http_head.h. */
#include "scan/http_head.h"

#include <string.h>

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }
static bool is_sp(uint8_t c) { return c == ' ' || c == '\t'; }

static bool name_is(const uint8_t *p, size_t n, const char *want)
{
    size_t k = strlen(want);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != (uint8_t)want[i])
            return false;
    return true;
}

static bool tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* "HTTP/" DIGIT "." DIGIT SP SP* 1*3DIGIT [ SP reason ] (http-parser 2.9's
 * reading: a two-digit status is accepted, a two-digit version is not). */
bool http_status_line(const uint8_t *p, size_t n, unsigned *status)
{
    if (n < 10 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' ||
        p[7] < '0' || p[7] > '9' || p[8] != ' ')
        return false;
    size_t i = 9;
    while (i < n && p[i] == ' ')
        i++;
    unsigned st = 0, digits = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        st = st * 10 + (unsigned)(p[i] - '0');
        if (++digits > 3)
            return false;
    }
    if (digits == 0 || (i < n && p[i] != ' '))
        return false;
    *status = st;
    return true;
}

/* method SP request-target SP "HTTP/" DIGIT "." DIGIT */
bool http_request_line(const uint8_t *p, size_t n, struct http_head *h)
{
    size_t i = 0;
    while (i < n && i < 32 && tchar(p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != ' ')
        return false;
    h->method = p;
    h->method_n = i;
    while (i < n && p[i] == ' ')
        i++;
    size_t e = n;
    while (e > i && p[e - 1] == ' ')
        e--;
    if (e < i + 10)
        return false;
    const uint8_t *v = p + e - 8;
    if (memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9' ||
        v[-1] != ' ')
        return false;
    size_t ue = e - 9;
    while (ue > i && p[ue - 1] == ' ')
        ue--;
    h->uri = p + i;
    h->uri_n = ue - i;
    return ue > i;
}

enum { H_OK, H_BAD, H_FATAL };

/* One header line: H_BAD when unreadable, H_FATAL when it makes the
 * message unframable (a bad or conflicting Content-Length). */
static int header(bool compat, struct http_head *h, const uint8_t *p, size_t n)
{
    size_t colon = 0;
    while (colon < n && p[colon] != ':')
        colon++;
    if (colon == 0 || colon == n)
        return H_BAD;
    for (size_t i = 0; i < colon; i++)
        if (!tchar(p[i]) && p[i] != ' ')  /* spaces: tolerated, as http-parser does */
            return H_BAD;
    size_t vs = colon + 1;
    while (vs < n && is_sp(p[vs]))
        vs++;
    const uint8_t *v = p + vs;
    size_t vn = n - vs, tn = vn;          /* tn: without trailing blanks */
    while (tn > 0 && is_sp(v[tn - 1]))
        tn--;
    if (!compat)
        vn = tn;                          /* 1.6.1 kept trailing blanks: we do not */
    if (name_is(p, colon, "content-length")) {
        if (tn == 0 || tn > 18)
            return H_FATAL;
        int64_t x = 0;
        for (size_t i = 0; i < tn; i++) {
            if (v[i] < '0' || v[i] > '9')
                return H_FATAL;
            x = x * 10 + (v[i] - '0');
        }
        if (h->clen >= 0 && (compat || h->clen != x))
            return H_FATAL;               /* a second one: 1.6.1 stops; two values: unusable */
        h->clen = x;
    } else if (name_is(p, colon, "transfer-encoding")) {
        size_t k = tn;                    /* chunked when it is the last coding named */
        while (k > 0 && v[k - 1] != ',')
            k--;
        while (k < tn && is_sp(v[k]))
            k++;
        h->te = true;
        h->chunked = name_is(v + k, tn - k, "chunked");
    } else if (name_is(p, colon, "content-type")) {
        h->ctype = v;
        h->ctype_n = vn;
    } else if (name_is(p, colon, "content-encoding")) {
        if (compat)
            h->coding_n = 0;              /* 1.6.1: the last one counts */
        size_t room = sizeof h->coding - 1 - h->coding_n;
        if (!compat && h->coding_n && vn) {
            if (room == 0) {
                h->coding_long = true;
            } else {
                h->coding[h->coding_n++] = ',';
                room--;
            }
        }
        if (vn > room) {
            h->coding_long = true;
            vn = room;
        }
        memcpy(h->coding + h->coding_n, v, vn);
        h->coding_n += vn;
        h->coding[h->coding_n] = '\0';
    } else if (name_is(p, colon, "host")) {
        h->host = v;
        h->host_n = tn;
    } else if (name_is(p, colon, "upgrade")) {
        h->upgrade = true;
    } else if (name_is(p, colon, "connection")) {
        for (size_t i = 0; i + 7 <= tn; i++)
            if (name_is(v + i, 7, "upgrade") && (i == 0 || v[i - 1] == ',' || is_sp(v[i - 1])) &&
                (i + 7 == tn || v[i + 7] == ',' || is_sp(v[i + 7])))
                h->conn_upgrade = true;
    }
    return H_OK;
}

bool http_head_parse(const uint8_t *b, size_t n, bool response, bool compat, struct http_head *h)
{
    memset(h, 0, sizeof *h);
    h->clen = -1;
    size_t i = 0;
    bool first = true;
    while (i < n) {
        const uint8_t *lf = memchr(b + i, '\n', n - i);
        size_t e = lf ? (size_t)(lf - b) : n, s = i;
        i = e + 1;
        if (e > s && b[e - 1] == '\r')
            e--;
        if (first) {
            first = false;
            if (response ? !http_status_line(b + s, e - s, &h->status) : !http_request_line(b + s, e - s, h))
                return false;
            continue;
        }
        if (s == e)
            break;
        if (is_sp(b[s]))
            continue;                     /* a folded line: part of the previous header */
        int r = header(compat, h, b + s, e - s);
        if (r == H_FATAL || (r == H_BAD && compat))
            return false;                 /* (any other unreadable line is ignored) */
    }
    if (h->te && h->clen >= 0) {
        if (compat)
            return false;                 /* http-parser 2.9 refuses the message */
        h->clen = -1;                     /* RFC 9112 6.3: Transfer-Encoding wins */
    }
    if (!response && h->te && !h->chunked)
        return false;                     /* a request body we cannot frame */
    return true;
}
