/* xmlchar.h - what XML 1.0 text may hold as it is: for the report and the
 * scanners that write into it (an element they get wrong makes report.xml
 * drop their whole fragment). */
#ifndef TCPFLOW_UTIL_XMLCHAR_H
#define TCPFLOW_UTIL_XMLCHAR_H
#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the XML 1.0 character in valid UTF-8 at s (left bytes
 * there), or 0 when the byte at s must be escaped: control characters,
 * invalid or overlong UTF-8, surrogates, U+FFFE and U+FFFF.  A NUL is never
 * a continuation byte, so a NUL-terminated string may be given left =
 * SIZE_MAX. */
static inline size_t xml_char_len(const unsigned char *s, size_t left)
{
#define XC_CONT(i) ((i) < left && s[i] >= 0x80 && s[i] <= 0xbf)
    unsigned c = s[0];
    if (c < 0x80)
        return (c >= 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) ? 1 : 0;
    if (c >= 0xc2 && c <= 0xdf)
        return XC_CONT(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        if (left < 3 || s[1] < lo || s[1] > hi || !XC_CONT(2))
            return 0;
        if (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
            return 0;                   /* U+FFFE, U+FFFF */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        if (left < 4 || s[1] < lo || s[1] > hi || !XC_CONT(2) || !XC_CONT(3))
            return 0;
        return 4;
    }
    return 0;
#undef XC_CONT
}

/* Must the n bytes at str be escaped to be XML text? */
static inline bool xml_needs_escape(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        size_t k = xml_char_len(s + i, n - i);
        if (!k)
            return true;
        i += k;
    }
    return false;
}

#endif
