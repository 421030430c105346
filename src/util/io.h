/* io.h - writing everything, whatever write(2) takes at a time. */
#ifndef TCPFLOW_UTIL_IO_H
#define TCPFLOW_UTIL_IO_H

#include <stddef.h>
#include <sys/uio.h>

/* Write all of iov[0..n) to fd (iov is consumed), retrying EINTR and short
 * writes.  *done (may be NULL) gets the bytes written, also on failure.
 * Returns 0, or -1 with errno set (EIO for a write that took nothing). */
int writev_all(int fd, struct iovec *iov, int n, size_t *done);

/* The same for one buffer. */
int write_all(int fd, const void *p, size_t n, size_t *done);

#endif
