/* outdir.c - see outdir.h */
#include "util/outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Without following a symbolic link in any directory the template puts
 * under the output directory: for a name
 * "outdir/a/b/name" each of a, b is opened with O_NOFOLLOW|O_DIRECTORY
 * (and created when O_CREAT is asked), so a symlink planted there cannot
 * send the file elsewhere.  The last component gets the caller's flags
 * (which include O_NOFOLLOW).  Names without a directory part, and
 * templates that are absolute or climb with "..", are the user's choice and
 * opened as they are. */
int outdir_open(const char *od, const char *path, int flags)
{
    bool here = !od || !od[0] || strcmp(od, ".") == 0;
    size_t odl = here ? 0 : strlen(od);
    const char *rel = path;
    if (!here) {
        if (strncmp(path, od, odl) != 0 || path[odl] != '/') return open(path, flags, 0666);
        rel = path + odl + 1;
    }
    if (!strchr(rel, '/') || rel[0] == '/' || strstr(rel, "..")) return open(path, flags, 0666);
    int dfd = open(here ? "." : od, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    char comp[NAME_MAX + 1];
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash) break;
        size_t n = (size_t)(slash - p);
        if (n > NAME_MAX) {
            close(dfd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        p = slash + 1;
        if (n == 0 || strcmp(comp, ".") == 0) continue;
        int nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && (flags & O_CREAT)) {
            if (mkdirat(dfd, comp, 0777) < 0 && errno != EEXIST) {
                int e = errno;
                close(dfd);
                errno = e;
                return -1;
            }
            nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        int e = errno;
        close(dfd);
        if (nfd < 0) {
            errno = e;
            return -1;
        }
        dfd = nfd;
    }
    int fd = openat(dfd, p, flags, 0666);
    int e = errno;
    close(dfd);
    errno = e;
    return fd;
}
