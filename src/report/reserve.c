/* reserve.c - see reserve.h */
#include "report/reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_RESERVE (64 * 1024)
#define REPORT_ROOM (16 * 1024)     /* a trailer plus one fileobject fit in this */

bool reserve_room(struct reserve *r, int64_t size)
{
    if (r->fd < 0 || size < 0) return true;
    if (size + REPORT_ROOM <= r->reserved_end) return true;
    if (fallocate(r->fd, FALLOC_FL_KEEP_SIZE, size, REPORT_RESERVE) == 0) {
        r->reserved_end = size + REPORT_RESERVE;
        return true;
    }
    if (errno != ENOSPC && errno != EDQUOT) {  /* not supported here: no reserve at all */
        close(r->fd);
        r->fd = -1;
        return true;
    }
    return size + REPORT_ROOM <= r->reserved_end;
}

void reserve_open(struct reserve *r, const char *path)
{
    r->reserved_end = 0;
    r->fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (r->fd >= 0 && (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(r->fd);
        r->fd = -1;
    }
    if (r->fd >= 0 && fstat(r->fd, &st) == 0)
        reserve_room(r, st.st_size);         /* the first reserve, while there is space */
}

void reserve_close(struct reserve *r)
{
    struct stat st;
    if (r->fd < 0) return;
    if (fstat(r->fd, &st) == 0 && r->reserved_end > st.st_size) {
        /* tmpfs lets a hole be punched past the end, ext4 frees the blocks
         * past the end on a truncate to the same size */
        if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                      r->reserved_end - st.st_size) == 0) { /* nothing else to do */ }
        if (ftruncate(r->fd, st.st_size) == 0) { /* same */ }
    }
    close(r->fd);
    r->fd = -1;
}
