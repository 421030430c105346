/* spawn.c - see spawn.h. */
#include "util/spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/io.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_CHILDREN 10

static unsigned children;

void alert_line(int fd, const char *what, const char *name)
{
    if (fd < 0)
        return;
    size_t n = strlen(what) + strlen(name) + 3;
    char *line = xmalloc(n);
    int len = snprintf(line, n, "%s\t%s\n", what, name);
    (void)write_all(fd, line, (size_t)len, NULL);   /* the reader went away: nothing to do */
    free(line);
}

static void wait_one(void)
{
    for (;;) {
        if (waitpid(-1, NULL, 0) > 0) {
            children--;
            return;
        }
        if (errno != EINTR) {
            children = 0;              /* ECHILD: none left to wait for */
            return;
        }
    }
}

void spawn_cmd(const char *cmd, const char *file)
{
    while (children >= MAX_CHILDREN)
        wait_one();
    size_t n = strlen(cmd) + strlen(file) + 2;
    char *line = xmalloc(n);
    snprintf(line, n, "%s %s", cmd, file);
    fflush(stdout);                    /* what we printed comes before what it prints */
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    free(line);
    if (pid > 0)
        children++;
    else
        log_error("cannot run '%s': fork: %s", cmd, strerror(errno));
}

void spawn_wait_all(void)
{
    while (children > 0)
        wait_one();
}
