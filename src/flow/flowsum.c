/* flowsum.c - see flowsum.h */
#include "flow/flowsum.h"
#include "util/xalloc.h"

#include <string.h>

const char *flow_end_name(enum flow_end e)
{
    switch (e) {
    case FLOW_END_FIN: return "fin";
    case FLOW_END_RST: return "rst";
    case FLOW_END_TIMEOUT: return "timeout";
    case FLOW_END_EOF: return "eof";
    case FLOW_END_NEWCONN: return "newconn";
    case FLOW_END_MAXSEEK: return "maxseek";
    case FLOW_END_EVICTED: return "evicted";
    case FLOW_END_SIGNAL: return "signal";
    }
    return "?";
}

void flowsum_add_xml(struct flow_summary *s, const char *frag)
{
    size_t n = strlen(frag);
    if (n == 0) return;
    s->scanner_xml = xgrow(s->scanner_xml, &s->xml_cap, s->xml_len + n + 1, 256);
    memcpy(s->scanner_xml + s->xml_len, frag, n + 1);
    s->xml_len += n;
}

void flowsum_release(struct flow_summary *s)
{
    free(s->filename);
    free(s->scanner_xml);
    s->filename = NULL;
    s->scanner_xml = NULL;
    s->xml_len = s->xml_cap = 0;
}
