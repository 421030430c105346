/* spawn.h - the -S *_cmd and *_alert_fd hooks: a line to a descriptor, a
 * command run on a file. */
#ifndef TCPFLOW_UTIL_SPAWN_H
#define TCPFLOW_UTIL_SPAWN_H

/* Write "<what>\t<name>\n" to fd (nothing when fd < 0); EINTR retried, a
 * failure ignored (the reader went away). */
void alert_line(int fd, const char *what, const char *name);

/* Run "<cmd> <file>" through /bin/sh -c in a child, at most 10 at once
 * (waits for one when at the limit).  The child execs at once: nothing of
 * ours is flushed or run in it. */
void spawn_cmd(const char *cmd, const char *file);

/* Wait for every child spawn_cmd started. */
void spawn_wait_all(void);

#endif
