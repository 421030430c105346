/* reserve.h - room kept on the disk for the end of the report.
 *
 * When the disk fills up, the report must still end well-formed, with its
 * run status.  Space past the report's end stays allocated
 * (FALLOC_FL_KEEP_SIZE, through a second descriptor), renewed as the
 * report grows.  When it can no longer be renewed, reserve_room() says no
 * and the caller leaves fileobjects out (counting them), so that the
 * trailer still fits.  Where fallocate is not supported there is no
 * reserve and reserve_room() always says yes.
 */
#ifndef TCPFLOW_REPORT_RESERVE_H
#define TCPFLOW_REPORT_RESERVE_H

#include <stdbool.h>
#include <stdint.h>

struct reserve {
    int fd;                         /* second descriptor of a regular report file, or -1 */
    int64_t reserved_end;           /* allocated up to here */
};

/* Start reserving behind the report file at path (made the first reserve). */
void reserve_open(struct reserve *r, const char *path);
/* Is there room for one more fileobject and the trailer, the report being
 * size bytes long (size < 0: unknown, yes)? */
bool reserve_room(struct reserve *r, int64_t size);
/* After the report is closed: give back what is allocated past its end. */
void reserve_close(struct reserve *r);

#endif
