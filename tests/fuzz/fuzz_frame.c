/* fuzz_frame.c - one link-layer frame through datalink -> ip -> tcp, then
 * through the whole decode stage (decoder_packet: tunnels to any depth).
 *
 * Input: byte 0 selects the link type (low 4 bits index the table below,
 * bit 6 its second half) and check_fcs (bit 4); the rest is the frame.
 * Besides the sanitizers, the harness checks that every view stays inside
 * the one before it, and what decoder_packet hands out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/datalink.h"
#include "decode/decode.h"
#include "decode/ip.h"
#include "decode/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[32] = { 1, 6, 113, 276, 0, 108, 12, 101, 228, 229, 9, 50, 104, 105, 127, 14,
                              239, 242, 7, 129, 10, 178, 1, 1, 1, 1, 239, 242, 1, 1, 228, 229 };

/* The whole decode stage on the frame: what it hands out must be sane. */
static void decode_stage(int dlt, bool check_fcs, const uint8_t *frame, size_t n)
{
    struct decode_config cfg;
    decode_config_default(&cfg);
    cfg.check_fcs = check_fcs;
    struct decoder *d = decoder_new(&cfg);
    struct capture_pkt cp = { 1, (uint32_t)n, (uint32_t)n, dlt, frame };
    struct decoded out;
    if (decoder_packet(d, &cp, &out)) {
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < out.seg.len; i++)
            sum ^= out.seg.data[i];
        (void)sum;
        if (out.ipb && (out.ipb < frame || out.ipb >= frame + n))
            abort();
        if (out.tun && (!out.tun->desc || strchr(out.tun->desc, '/') || out.tun->depth == 0 ||
                        out.tun->depth > cfg.tun.max_depth || strlen(out.tun->desc) > 300))
            abort();
        if (out.whole && out.wlen == 0)
            abort();
    }
    decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int dlt = dlts[(data[0] & 15) | (data[0] & 0x40 ? 16 : 0)];
    bool check_fcs = (data[0] & 16) != 0;
    const uint8_t *f = data + 1;
    size_t n = size - 1;

    /* an exactly-sized copy so that ASan sees any over-read */
    uint8_t *frame = malloc(n ? n : 1);
    if (!frame)
        return 0;
    if (n)
        memcpy(frame, f, n);

    if (!datalink_supported(dlt) || !datalink_name(dlt))
        abort();

    struct l2_info l2;
    const uint8_t *ip = NULL;
    size_t iplen = 0;
    enum counter_id why = C__COUNT;
    if (!datalink_decode(dlt, frame, n, check_fcs, &l2, &ip, &iplen, &why)) {
        if ((unsigned)why >= C__COUNT)
            abort();
        goto out;
    }
    if (ip < frame || iplen > n || (size_t)(ip - frame) > n - iplen)
        abort();
    if (l2.vlan > 0x0FFF)
        abort();

    struct ip_pkt pk;
    if (!ip_decode(ip, iplen, &pk, &why)) {
        if ((unsigned)why >= C__COUNT)
            abort();
        goto out;
    }
    if (pk.l4 < ip || pk.l4len > iplen || (size_t)(pk.l4 - ip) > iplen - pk.l4len)
        abort();
    if (pk.hdr != ip || pk.hdrlen > (size_t)(pk.l4 - ip))
        abort();
    if (pk.frag && pk.family == 6 && (pk.v6_nh_off >= pk.hdrlen || pk.hdr[pk.v6_nh_off] != 44))
        abort();
    if (pk.frag || pk.proto != 6)
        goto out;

    struct tcp_seg s;
    if (!tcp_decode(pk.l4, pk.l4len, &s, &why))
        goto out;
    if (s.data < pk.l4 || s.len > pk.l4len || (size_t)(s.data - pk.l4) > pk.l4len - s.len)
        abort();
    /* touch every payload byte */
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum ^= s.data[i];
    (void)sum;
out:
    decode_stage(dlt, check_fcs, frame, n);
    free(frame);
    return 0;
}
