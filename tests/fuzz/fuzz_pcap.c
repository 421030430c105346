/* fuzz_pcap.c - libFuzzer harness: the input is a whole capture file (pcap,
 * pcapng, or any of them compressed), read through to the end. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/capture.h"
#include "capture/decomp.h"
#include "capture/pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_BYTES (64u * 1024 * 1024)  /* stop decompression bombs early */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) { decomp_set_lzma_memlimit(16u << 20); once = 1; }
    char err[512];
    struct capture *c = capture_open_mem(data, size, "fuzz", NULL, err, sizeof err);
    if (!c) {
        if (strncmp(err, "fuzz: ", 6) != 0) __builtin_trap();   /* messages name the file */
        return 0;
    }
    struct capture_pkt p;
    uint64_t total = 0;
    volatile uint8_t sink = 0;
    int r;
    while ((r = capture_next(c, &p)) == 1) {
        if (p.caplen > CAPTURE_MAX_CAPLEN || !p.data) __builtin_trap();
        if (p.caplen) sink ^= p.data[0] ^ p.data[p.caplen - 1];    /* touch the bounds */
        total += p.caplen + 16;
        if (total > FUZZ_MAX_BYTES) break;
    }
    if (r < 0 && strncmp(capture_error(c), "fuzz: ", 6) != 0) __builtin_trap();
    (void)capture_first_dlt(c);
    (void)capture_pos(c);
    capture_close(c);
    (void)sink;
    return 0;
}
