/* registry.c - every scanner, in the order -H lists them.  A new scanner
 * is one file defining `const struct scanner scan_<name>` and one line
 * here. */
#include "scan/scanner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern const struct scanner scan_md5, scan_http, scan_netviz, scan_tcpdemux, scan_wifiviz, scan_python, scan_tls;

const struct scanner *const scanner_registry[] = {
    &scan_md5,
    &scan_http,
    &scan_netviz,
    &scan_tcpdemux,
    &scan_wifiviz,
    &scan_python,
    &scan_tls,
    NULL,
};

/* tcpdemux is the flow files themselves (output/sink_file.c): the entry
 * gives its name (-x tcpdemux turns files off) and its settings. */
static const struct scan_setting tcpdemux_settings[] = {
    { "tcp_timeout", "0", "Timeout for TCP connections" },
    { "tcp_cmd", "", "Command to execute on each TCP flow" },
    { "tcp_alert_fd", "-1", "File descriptor to send information about completed TCP flows" },
    { NULL, NULL, NULL },
};

const struct scanner scan_tcpdemux = {
    .name = "tcpdemux",
    .description = "Writes each TCP flow direction to its own file (turn off for a report only)",
    .flags = SCAN_ON_BY_DEFAULT,
    .settings = tcpdemux_settings,
};

const struct scanner *scanner_find(const char *name)
{
    for (size_t i = 0; scanner_registry[i]; i++)
        if (!strcmp(scanner_registry[i]->name, name))
            return scanner_registry[i];
    return NULL;
}

const struct scanner *scanner_for_setting(const char *name)
{
    for (size_t i = 0; scanner_registry[i]; i++)
        for (const struct scan_setting *s = scanner_registry[i]->settings; s && s->name; s++)
            if (!strcmp(s->name, name))
                return scanner_registry[i];
    return NULL;
}

bool setting_yes(const char *v)
{
    return v && (v[0] == 'Y' || v[0] == 'y' || v[0] == 'T' || v[0] == 't' || v[0] == '1');
}

bool setting_count(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long u = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-' || u == 0)
        return false;
    *out = u;
    return true;
}
