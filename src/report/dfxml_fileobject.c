/* dfxml_fileobject.c - one <fileobject> per finished flow direction. */
#include "report/dfxml_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "util/xalloc.h"


/* ---- fileobjects ----------------------------------------------------- */

/* n <= 32 bytes of a digest in lower-case hex into b[2n+1]; returns b. */
static char *hexstr(char *b, const uint8_t *h, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        b[2 * i] = hex[h[i] >> 4];
        b[2 * i + 1] = hex[h[i] & 15];
    }
    b[2 * n] = 0;
    return b;
}

static void w_hash(struct dfxml *x, const char *type, const uint8_t *h, size_t n)
{
    char b[65];
    hexstr(b, h, n);
    w_start(x, "hashdigest");
    w_attr(x, "type", type);
    w_text(x, b);
    w_end(x);
}

/* inet_ntop, without glibc's sprintf for IPv4 (it showed in profiles) */
static const char *ntop(int af, const uint8_t *a, char *b, size_t len)
{
    if (af != AF_INET || len < 16)
        return inet_ntop(af, a, b, (socklen_t)len);
    char *o = b;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100) *o++ = (char)('0' + v / 100);
        if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : '\0';
    }
    return b;
}

/* The <tcpflow> attributes of fs, in 1.6.1's order (ours after them). */
struct attrs {
    int n;
    const char *name[24];
    const char *v[24];                  /* the value: val[i], or a string borrowed for the call */
    char val[24][INET6_ADDRSTRLEN + 8];
};

/* A value, copied when it fits, else borrowed (the tunnel's description). */
static void attr_add(struct attrs *a, const char *name, const char *v)
{
    size_t k = strnlen(v, sizeof a->val[0]);
    if (k < sizeof a->val[0]) {
        memcpy(a->val[a->n], v, k + 1);
        v = a->val[a->n];
    }
    a->v[a->n] = v;
    a->name[a->n++] = name;
}

static void attr_u64(struct attrs *a, const char *name, uint64_t v)
{
    dx_u64dec(a->val[a->n], v);
    a->v[a->n] = a->val[a->n];
    a->name[a->n++] = name;
}

static void attr_mac(struct attrs *a, const char *name, const uint8_t *m)
{
    static const uint8_t zero[6];
    if (!memcmp(m, zero, 6))
        return;
    static const char hex[] = "0123456789abcdef";
    char *b = a->val[a->n];
    for (int i = 0; i < 6; i++) {
        b[3 * i] = hex[m[i] >> 4];
        b[3 * i + 1] = hex[m[i] & 15];
        b[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    a->v[a->n] = b;
    a->name[a->n++] = name;
}

static void tcpflow_attrs(const struct flow_summary *fs, struct attrs *a)
{
    char b[INET6_ADDRSTRLEN + 8];
    a->n = 0;
    attr_add(a, "startime", dfxml_time(b, sizeof b, fs->start_us));
    attr_add(a, "endtime", dfxml_time(b, sizeof b, fs->end_us));
    if (fs->has_mac) {
        attr_mac(a, "mac_daddr", fs->mac_dst);
        attr_mac(a, "mac_saddr", fs->mac_src);
    }
    int af = fs->family == 4 ? AF_INET : fs->family == 6 ? AF_INET6 : -1;
    if (af < 0) {
        attr_u64(a, "family", (uint64_t)(unsigned)fs->family);
    } else {
        attr_u64(a, "family", (uint64_t)af);
        if (ntop(af, fs->src, b, sizeof b))
            attr_add(a, "src_ipn", b);
        if (ntop(af, fs->dst, b, sizeof b))
            attr_add(a, "dst_ipn", b);
    }
    attr_u64(a, "srcport", fs->sport);
    attr_u64(a, "dstport", fs->dport);
    attr_u64(a, "packets", fs->packets);
    if (fs->out_of_order)
        attr_u64(a, "out_of_order_count", fs->out_of_order);
    if (fs->violations)
        attr_u64(a, "violations", fs->violations);
    attr_u64(a, "len", fs->len);
    if (fs->caplen != fs->len)
        attr_u64(a, "caplen", fs->caplen);
    /* ours; DFXML readers ignore unknown attributes */
    const char *why = flow_end_name(fs->end);
    attr_add(a, "end_reason", why && !dx_needs_escape(why) ? why : "?");
    attr_add(a, "complete", fs->complete ? "1" : "0");
    attr_u64(a, "flow_id", fs->flow_id);
    attr_u64(a, "session_id", fs->session_id);
    if (fs->has_vlan)
        attr_u64(a, "vlan", fs->vlan);
    if (fs->encap)                          /* the tunnel(s) the flow came through */
        attr_add(a, "encapsulation", fs->encap);
    if (fs->stored != fs->filesize)
        attr_u64(a, "stored", fs->stored);
    if (fs->gap_bytes)
        attr_u64(a, "gap_bytes", fs->gap_bytes);
}

static void w_tcpflow(struct dfxml *x, const struct attrs *a)
{
    w_start(x, "tcpflow");
    for (int i = 0; i < a->n; i++)
        w_attr(x, a->name[i], a->v[i]);
    w_end(x);
}

/* Nothing in s that XML would escape: printable ASCII without & < > ' " */
static int plain(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '&' || *s == '<' || *s == '>' || *s == '\'' || *s == '"')
            return 0;
    return 1;
}

struct sbuf {
    char *p;
    size_t n, cap;
    int over;
};

static void sb_putn(struct sbuf *b, const char *s, size_t k)
{
    if (b->n + k >= b->cap) {
        b->over = 1;
        return;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
}

static void sb_put(struct sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }
/* a string literal */
#define SB_LIT(b, lit) sb_putn(b, lit, sizeof lit - 1)

/* The whole <fileobject> as the writer would lay it out, when every string
 * in it is plain (no escaping needed, nothing escaped by hand); the writer
 * then takes it with xmlTextWriterWriteRaw, one call instead of ~40.  0 if
 * not possible (the caller uses the writer element by element). */
static size_t fileobject_raw(const struct flow_summary *fs, const struct attrs *a, char *out, size_t cap)
{
    /* the attributes are ours (numbers, addresses, times, MACs), plain by
     * construction, but for the tunnel's description */
    if ((fs->filename && !plain(fs->filename)) || (fs->encap && !plain(fs->encap)))
        return 0;
    struct sbuf b = { out, 0, cap, 0 };
    char num[24];
    SB_LIT(&b, "  <fileobject>\n");
    if (fs->filename) {
        SB_LIT(&b, "    <filename>");
        sb_put(&b, fs->filename);
        SB_LIT(&b, "</filename>\n");
    }
    SB_LIT(&b, "    <filesize>");
    sb_put(&b, dx_u64dec(num, fs->filesize));
    SB_LIT(&b, "</filesize>\n    <tcpflow");
    for (int i = 0; i < a->n; i++) {
        SB_LIT(&b, " ");
        sb_put(&b, a->name[i]);
        SB_LIT(&b, "='");
        sb_put(&b, a->v[i]);
        SB_LIT(&b, "'");
    }
    SB_LIT(&b, "/>\n");
    char d[65];
    if (fs->has_md5) {
        SB_LIT(&b, "    <hashdigest type='MD5'>");
        sb_put(&b, hexstr(d, fs->md5, sizeof fs->md5));
        SB_LIT(&b, "</hashdigest>\n");
    }
    if (fs->has_sha256) {
        SB_LIT(&b, "    <hashdigest type='SHA256'>");
        sb_put(&b, hexstr(d, fs->sha256, sizeof fs->sha256));
        SB_LIT(&b, "</hashdigest>\n");
    }
    SB_LIT(&b, "  </fileobject>\n");
    return b.over ? 0 : b.n;
}

int dfxml_fileobject(struct dfxml *x, const struct flow_summary *fs, const char *scanner_xml)
{
    if (!x || !fs)
        return -1;
    if (x->failed) {
        x->n_lost++;
        return -1;
    }
    struct errguard g = dx_guard_on(x);
    struct attrs a;
    tcpflow_attrs(fs, &a);
    char raw[4096];
    size_t nraw = !x->no_raw && (!scanner_xml || !*scanner_xml) ? fileobject_raw(fs, &a, raw, sizeof raw) : 0;
    if (nraw) {
        if (xmlTextWriterWriteRawLen(x->w, BAD_CAST raw, (int)nraw) < 0)
            dx_fail(x);
    } else {
        w_start(x, "fileobject");
        if (fs->filename)
            w_elem_any(x, "filename", NULL, NULL, fs->filename);
        w_elem_u64(x, "filesize", fs->filesize);
        w_tcpflow(x, &a);
        if (fs->has_md5)
            w_hash(x, "MD5", fs->md5, sizeof fs->md5);
        if (fs->has_sha256)
            w_hash(x, "SHA256", fs->sha256, sizeof fs->sha256);
        w_fragment(x, scanner_xml, "invalid_scanner_xml");
        w_end(x);
    }
    /* Flushed in batches (64 KiB, or once a second), not per fileobject (a
     * write per flow cost more than the rest of the report).  'committed'
     * follows the fileobject ends that reached the file: a crash loses at
     * most the last batch. */
    if (!x->failed) {
        int64_t end = x->written + (int64_t)xmlOutputBufferGetSize(x->out);
        if (x->last_end <= x->written)
            x->committed = x->last_end;
        x->last_end = end;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
        if (end - x->written >= DFXML_BATCH || now.tv_sec != x->commit_sec) {
            dx_commit(x);
            x->commit_sec = now.tv_sec;
        }
    }
    dx_guard_off(g);
    if (x->failed) {
        x->n_lost++;
        return -1;
    }
    x->n_objects++;
    return 0;
}

