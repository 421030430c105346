/* testfiles.h - reading back what a module under test wrote (unit tests only). */
#ifndef TCPFLOW_TESTS_TESTFILES_H
#define TCPFLOW_TESTS_TESTFILES_H
#include <stdio.h>
#include <stdlib.h>

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

/* A fresh directory /tmp/<name>.XXXXXX into dir: 0, or -1. */
static inline int test_mkdtemp(char *dir, size_t cap, const char *name)
{
    snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Remove dir and all it holds: 0, or -1. */
static inline int test_rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
