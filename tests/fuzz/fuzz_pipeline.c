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
#include "app/pipeline.h"
#include "scan/scanner.h"

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
    /* a quarter of the inputs: netviz counts too */
    const struct scanner *nv = scanner_find("netviz");
    for (size_t r = 0; scanner_registry[r]; r++)
        if (scanner_registry[r] == nv) o.scan[r] = size > 0 && (data[0] & 0xC0) == 0xC0;
    char err[256];
    struct pipeline *t = pipeline_new(&o, err, sizeof err);
    if (!t) abort();
    int64_t ts = 1000000000LL * 1000000;
    size_t i = 0;
    while (i + 4 <= size) {
        int dlt = dlts[data[i] & 15];
        ts += (int64_t)data[i + 1] * 100000;
        size_t n = (size_t)data[i + 2] | ((size_t)data[i + 3] << 8);
        i += 4;
        if (n > size - i) n = size - i;
        struct capture_pkt p = { ts, (uint32_t)n, (uint32_t)n + 4, dlt, data + i };
        pipeline_packet(t, &p);
        i += n;
    }
    pipeline_finish(t, FLOW_END_EOF);
    void *nvs = pipeline_scanner(t, "netviz");
    struct netviz *v = nvs ? netviz_of(nvs) : NULL;
    if (v) {
        char *words = netviz_text(v, "fuzz");
        if (!words || !strstr(words, "Packets analyzed: ")) abort();
        free(words);
    }
    pipeline_free(t);
    options_release(&o);
    return 0;
}
