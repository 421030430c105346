/* pcapwrite.c - see pcapwrite.h.  Little-endian microsecond pcap 2.4. */
#include "capture/pcapwrite.h"
#include "util/xalloc.h"
#include <errno.h>
#include <string.h>

struct pcapwrite { FILE *f; int dlt; bool failed; };

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

void pcapwrite_file_header(uint8_t h[PCAP_FILE_HDR], int dlt)
{
    le32(h, 0xa1b2c3d4u);
    h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0;
    le32(h + 8, 0);
    le32(h + 12, 0);
    le32(h + 16, 262144);
    le32(h + 20, (uint32_t)dlt);
}

void pcapwrite_record_header(uint8_t r[PCAP_REC_HDR], int64_t ts_us, uint32_t caplen, uint32_t wirelen)
{
    int64_t s = ts_us >= 0 ? ts_us / 1000000 : 0;
    le32(r, (uint32_t)s);
    le32(r + 4, (uint32_t)(ts_us >= 0 ? ts_us % 1000000 : 0));
    le32(r + 8, caplen);
    le32(r + 12, wirelen);
}

struct pcapwrite *pcapwrite_open(const char *path, int dlt, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wbe");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t h[PCAP_FILE_HDR];
    pcapwrite_file_header(h, dlt);
    if (fwrite(h, sizeof h, 1, f) != 1) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    struct pcapwrite *w = xcalloc(1, sizeof *w);
    w->f = f;
    w->dlt = dlt;
    return w;
}

int pcapwrite_dlt(const struct pcapwrite *w) { return w->dlt; }

int pcapwrite_packet(struct pcapwrite *w, int64_t ts_us, const uint8_t *data,
                     uint32_t caplen, uint32_t wirelen)
{
    uint8_t r[PCAP_REC_HDR];
    pcapwrite_record_header(r, ts_us, caplen, wirelen);
    if (fwrite(r, sizeof r, 1, w->f) != 1 || (caplen && fwrite(data, caplen, 1, w->f) != 1)) {
        w->failed = true;
        return -1;
    }
    return 0;
}

int pcapwrite_close(struct pcapwrite *w)
{
    if (!w) return 0;
    int r = (fclose(w->f) != 0 || w->failed) ? -1 : 0;
    free(w);
    return r;
}
