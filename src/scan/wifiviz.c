/* wifiviz.c - the wifiviz scanner (-e wifiviz, -a): the SSIDs of the
 * 802.11 beacons seen, for the report's <summary>, as tcpflow 1.6.1 writes
 * them:
 *
 *   <ssids>
 *     <ssid mac='00:11:22:33:44:55' ssid='HomeNet' count='2'/>
 *   </ssids>
 *
 * one line per (transmitter address, SSID) pair, sorted by address then
 * SSID bytes, with the number of beacons.  The beacons come from
 * datalink_beacon (radiotap and bare 802.11 captures); -S check_fcs drops
 * radiotap frames whose FCS is wrong.  Distinct pairs are capped
 * (WIFIVIZ_MAX_SSIDS, counted).  See docs/internals/wifiviz.md.
 */
#include "scan/wifiviz.h"
#include "decode/datalink.h"
#include "decode/decode.h"
#include "util/htab.h"
#include "util/list.h"
#include "util/xalloc.h"
#include "util/xmlchar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIFIVIZ_MAX_SSIDS 65536
#define SSID_MAX 255                    /* an element's length is one byte */

struct ssid {
    struct hnode hn;
    uint8_t mac[6];
    uint8_t len;
    uint8_t bytes[SSID_MAX];
    uint64_t count;
};

struct wifiviz {
    bool check_fcs;
    struct counters *ctr;
    struct htab h;
    uint64_t seed;
    struct ssid **all;
    size_t n, cap;
};

static uint64_t ssid_hash(const struct wifiviz *w, const uint8_t *mac, const uint8_t *s, size_t n)
{
    return hash_bytes(s, n, hash_mix(w->seed, hash_bytes(mac, 6, w->seed)));
}

static void *wv_create(const struct scan_env *env, char *err, size_t errlen)
{
    struct wifiviz *w = xcalloc(1, sizeof *w);
    w->check_fcs = setting_yes(env->setting(env, "check_fcs"));
    w->ctr = env->ctr;
    htab_init(&w->h, 64, (size_t)1 << 16);
    w->seed = hash_seed();
    return w;
}

static void wv_destroy(void *self)
{
    struct wifiviz *w = self;
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->all[i]);
    free(w->all);
    htab_release(&w->h);
    free(w);
}

static void wv_packet(void *self, const struct decode_view *v)
{
    struct wifiviz *w = self;
    const struct capture_pkt *cp = v->cp;
    struct wifi_beacon b;
    if ((cp->dlt != 127 && cp->dlt != 105) ||
        !datalink_beacon(cp->dlt, cp->data, cp->caplen, w->check_fcs, &b))
        return;
    uint64_t h = ssid_hash(w, b.mac, b.ssid, b.ssid_len);
    for (struct hnode *n = htab_bucket(&w->h, h); n; n = n->next) {
        struct ssid *s = container_of(n, struct ssid, hn);
        if (n->hash == h && s->len == b.ssid_len && memcmp(s->mac, b.mac, 6) == 0 &&
            (b.ssid_len == 0 || memcmp(s->bytes, b.ssid, b.ssid_len) == 0)) {
            s->count++;
            return;
        }
    }
    if (w->n >= WIFIVIZ_MAX_SSIDS) {
        if (w->ctr)
            w->ctr->n[C_WIFI_SSID_CAP]++;
        return;
    }
    struct ssid *s = xcalloc(1, sizeof *s);
    memcpy(s->mac, b.mac, 6);
    s->len = (uint8_t)b.ssid_len;
    if (b.ssid_len)
        memcpy(s->bytes, b.ssid, b.ssid_len);
    s->count = 1;
    htab_insert(&w->h, &s->hn, h);
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->all = xreallocarray(w->all, w->cap, sizeof *w->all);
    }
    w->all[w->n++] = s;
}

/* By address, then SSID bytes (a prefix first), as 1.6.1's ordered map. */
static int cmp_ssid(const void *pa, const void *pb)
{
    const struct ssid *a = *(struct ssid *const *)pa, *b = *(struct ssid *const *)pb;
    int c = memcmp(a->mac, b->mac, 6);
    if (c)
        return c;
    size_t n = a->len < b->len ? a->len : b->len;
    c = n ? memcmp(a->bytes, b->bytes, n) : 0;
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* The SSID as an attribute value: 1.6.1's entities for ' < > & ", valid
 * UTF-8 as it is; bytes XML cannot hold (control characters, invalid
 * UTF-8) as \xNN, so that the report stays well formed. */
static void put_ssid(FILE *f, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k;
        switch (c) {
        case '\'': fputs("&apos;", f); i++; continue;
        case '<': fputs("&lt;", f); i++; continue;
        case '>': fputs("&gt;", f); i++; continue;
        case '&': fputs("&amp;", f); i++; continue;
        case '"': fputs("&quot;", f); i++; continue;
        default: break;
        }
        if (c >= 0x20 && c < 0x7F) {
            fputc(c, f);
            i++;
        } else if (c >= 0x80 && (k = xml_char_len(s + i, n - i)) != 0) {
            fwrite(s + i, 1, k, f);
            i += k;
        } else {
            fprintf(f, "\\x%02x", c);
            i++;
        }
    }
}

static int wv_finish(void *self, struct scan_end *end, char *err, size_t errlen)
{
    struct wifiviz *w = self;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "wifiviz: out of memory");
        return -1;
    }
    if (w->n)
        qsort(w->all, w->n, sizeof *w->all, cmp_ssid);
    fputs("<ssids>\n", f);
    for (size_t i = 0; i < w->n; i++) {
        const struct ssid *s = w->all[i];
        fprintf(f, "  <ssid mac='%02x:%02x:%02x:%02x:%02x:%02x' ssid='", s->mac[0], s->mac[1],
                s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
        put_ssid(f, s->bytes, s->len);
        fprintf(f, "' count='%llu'/>\n", (unsigned long long)s->count);
    }
    fputs("</ssids>\n", f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        snprintf(err, errlen, "wifiviz: out of memory");
        return -1;
    }
    end->summary_xml = buf;
    return 0;
}

static const struct scan_setting wv_settings[] = {
    { "check_fcs", "YES", "Require valid Frame Check Sum (FCS)" },
    { NULL, NULL, NULL },
};

const struct scanner scan_wifiviz = {
    .name = "wifiviz",
    .description = "Performs wifi isualization",   /* sic: 1.6.1's -H text */
    .flags = SCAN_IN_ALL,
    .settings = wv_settings,
    .create = wv_create,
    .destroy = wv_destroy,
    .packet = wv_packet,
    .flow = NULL,
    .finish = wv_finish,
};
