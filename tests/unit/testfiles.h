/* testfiles.h - reading back what a module under test wrote (unit tests only). */
#ifndef TCPFLOW_TESTS_TESTFILES_H
#define TCPFLOW_TESTS_TESTFILES_H
#include <stdio.h>

/* dir/name into buf (at most cap bytes, *n of them): buf, or NULL when the
 * file cannot be opened. */
static inline char *test_slurp(const char *dir, const char *name, char *buf, size_t cap, size_t *n)
{
    char p[512];
    *n = 0;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    *n = fread(buf, 1, cap, f);
    fclose(f);
    return buf;
}

#endif
