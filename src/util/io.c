/* io.c - see io.h. */
#include "util/io.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

int writev_all(int fd, struct iovec *iov, int n, size_t *done)
{
    size_t total = 0;
    int r = 0;
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            r = -1;
            break;
        }
        total += (size_t)w;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    if (done)
        *done = total;
    return r;
}

int write_all(int fd, const void *p, size_t n, size_t *done)
{
    struct iovec iov = { (void *)(uintptr_t)p, n };
    return writev_all(fd, &iov, 1, done);
}
