/* libFuzzer harness: a sequence of frames through the whole pipeline
 * (link, IP, defrag, TCP, flow table, reassembly, the netviz counters and
 * the words of its page) with no file output.
 * Input: repeated [dlt selector:1][ts step:1][len:2 LE][frame:len]. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "scan/netviz.h"
#include "app/options.h"
#include "app/tcpflow.h"

static const int dlts[] = { 1, 0, 101, 113, 276, 9, 104, 127, 105, 228, 229, 108, 12, 14, 50, 6 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char a0[] = "tcpflow", a1[] = "-FX", a2[] = "-m", a3[] = "100000",
                a4[] = "-S", a5[] = "tcp_timeout=5";
    char *argv[] = { a0, a1, a2, a3, a4, a5, NULL };
    struct options o;
    if (options_parse(&o, 6, argv) != OPT_RUN) return 0;
    o.max_closed = 8;
    o.frag_memcap = 1 << 16;
    o.scan_netviz = size > 0 && (data[0] & 0xC0) == 0xC0;  /* a quarter of the inputs: netviz counts too */
    struct tcpflow *t = tcpflow_new(&o);
    int64_t ts = 1000000000LL * 1000000;
    size_t i = 0;
    while (i + 4 <= size) {
        int dlt = dlts[data[i] & 15];
        ts += (int64_t)data[i + 1] * 100000;
        size_t n = (size_t)data[i + 2] | ((size_t)data[i + 3] << 8);
        i += 4;
        if (n > size - i) n = size - i;
        struct capture_pkt p = { ts, (uint32_t)n, (uint32_t)n + 4, dlt, data + i };
        tcpflow_packet(t, &p);
        i += n;
    }
    tcpflow_finish(t, FLOW_END_EOF);
    if (tcpflow_netviz(t)) {
        char *words = netviz_text(tcpflow_netviz(t), "fuzz");
        if (!words || !strstr(words, "Packets analyzed: ")) abort();
        free(words);
    }
    tcpflow_free(t);
    options_release(&o);
    return 0;
}
