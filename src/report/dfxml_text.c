/* dfxml_text.c - strings in the report: XML-safe escaping and times. */
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
#include "util/xmlchar.h"


/* ---- strings --------------------------------------------------------- */


int dx_needs_escape(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t n = xml_char_len(s, SIZE_MAX);
        if (!n)
            return 1;
        s += n;
    }
    return 0;
}

char *dfxml_escape(const char *str)
{
    if (!str || !dx_needs_escape(str))
        return NULL;
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    char *out = xmalloc(len * 4 + 1), *o = out;
    static const char hex[] = "0123456789abcdef";
    while (*s) {
        size_t n = *s == '\\' ? 0 : xml_char_len(s, SIZE_MAX);
        if (*s == '\\') {
            *o++ = '\\';
            *o++ = '\\';
            s++;
        } else if (n) {
            memcpy(o, s, n);
            o += n;
            s += n;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[*s >> 4];
            *o++ = hex[*s & 15];
            s++;
        }
    }
    *o = 0;
    return out;
}

static void split_time(int64_t us, int64_t *sec, int64_t *frac)
{
    *sec = us / 1000000;
    *frac = us % 1000000;
    if (*frac < 0) {
        *frac += 1000000;
        *sec -= 1;
    }
}

char *dx_format_time(char *buf, size_t len, int64_t us, int with_frac)
{
    int64_t sec, frac;
    split_time(us, &sec, &frac);
    time_t t = (time_t)sec;
    struct tm tm;
    /* one gmtime and format per second of capture time: flows close in
     * bursts, and this runs for every fileobject */
    static int64_t cached_sec = INT64_MIN;
    static char cached[80];
    if (with_frac && len >= 28 && sec == cached_sec) {
        memcpy(buf, cached, 19);
        buf[19] = '.';
        for (int i = 25; i >= 20; i--) {
            buf[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        buf[26] = 'Z';
        buf[27] = 0;
        return buf;
    }
    if ((int64_t)t != sec || !gmtime_r(&t, &tm)) {
        snprintf(buf, len, "%" PRId64 ".%06" PRId64, sec, frac);
        return buf;
    }
    if (with_frac && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900) {
        int n = snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = n == 19 ? sec : INT64_MIN;
    }
    if (with_frac)
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    else
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

char *dfxml_time(char *buf, size_t len, int64_t us)
{
    return dx_format_time(buf, len, us, 1);
}

