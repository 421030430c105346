/* fuzz_decode.c - a sequence of records through one decoder: link types,
 * tunnels to any depth, outer and inner fragments (defrag under small
 * caps), the tunnel table's cap, expiry, the view and -w callbacks.
 *
 * Input: [config:2] then repeated [dlt selector:1][ts step:1][len:2 LE][frame:len].
 *   config[0]: bits 0-2 tunnel_depth - 1, bit 3 keep_frames, bit 4 check_fcs,
 *              bits 5-6 tunnel_max 1 / 2 / 16 / default, bit 7 tunnels off
 *   config[1]: defrag max_bytes = 2048 + 256 * b; max_datagrams = 1 + b % 8
 * Besides the sanitizers: what the decoder hands out stays sane, the
 * callbacks see readable bytes, and the tunnel count never passes its cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[16] = { 1, 1, 1, 1, 0, 101, 113, 276, 228, 229, 239, 242, 9, 127, 105, 7 };

static void touch(const uint8_t *p, size_t n)
{
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum ^= p[i];
    (void)sum;
}

static void view_cb(void *arg, const struct decode_view *v)
{
    touch(v->cp->data, v->cp->caplen);
    if (v->ip) {
        touch(v->ip->l4, v->ip->l4len);
        if (v->ip->family != 4 && v->ip->family != 6)
            abort();
    }
    if (v->tun && !v->tun->desc)
        abort();
}

static void unproc_cb(void *arg, int64_t ts, const uint8_t *frame, uint32_t caplen,
                      uint32_t wirelen, int dlt)
{
    touch(frame, caplen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct decode_config cfg;
    decode_config_default(&cfg);
    uint8_t c0 = data[0], c1 = data[1];
    cfg.tun.max_depth = (c0 & 7) + 1u;
    cfg.frag.keep_frames = c0 & 8;
    cfg.check_fcs = c0 & 16;
    static const size_t caps[4] = { 1, 2, 16, 65536 };
    cfg.tun.max_tunnels = caps[(c0 >> 5) & 3];
    if (c0 & 0x80)
        cfg.tun.kinds = 0;
    cfg.frag.max_bytes = 2048 + 256 * (size_t)c1;
    cfg.frag.max_datagrams = 1 + c1 % 8;
    cfg.frag.timeout_us = 2000000;
    struct decoder *d = decoder_new(&cfg);
    decoder_set_view(d, view_cb, NULL);
    decoder_set_unprocessed(d, unproc_cb, NULL);

    int64_t ts = 1000000000LL * 1000000;
    size_t i = 2;
    while (i + 4 <= size) {
        int dlt = dlts[data[i] & 15];
        ts += (int64_t)data[i + 1] * 100000;
        size_t n = (size_t)data[i + 2] | ((size_t)data[i + 3] << 8);
        i += 4;
        if (n > size - i)
            n = size - i;
        uint8_t *frame = malloc(n ? n : 1);    /* exactly sized, for ASan */
        if (!frame)
            break;
        if (n)
            memcpy(frame, data + i, n);
        struct capture_pkt cp = { ts, (uint32_t)n, (uint32_t)n + 4, dlt, frame };
        struct decoded out;
        if (decoder_packet(d, &cp, &out)) {
            touch(out.seg.data, out.seg.len);
            touch(out.ip.l4, out.ip.l4len);
            if (out.whole)
                touch(out.whole, out.wlen);
            if (out.tun && out.tun->depth > cfg.tun.max_depth && out.tun != &tunnel_overflow)
                abort();
        }
        if (decoder_tunnels(d) > cfg.tun.max_tunnels)
            abort();
        free(frame);
        if (data[i - 4] & 0x80)
            decoder_expire(d, ts);
        i += n;
    }
    decoder_finish(d);
    decoder_free(d);
    return 0;
}
