/* privs.h - -U user and -z dir: give up root after the first capture is open.
 *
 * privs_lookup() resolves the user at start (an unknown user is an error
 * before anything is done).  With -z, paths used before the chroot (the
 * output directory, the report) are mapped into the chroot directory by
 * privs_path(), so that they name the same files as the relative or
 * absolute paths used after it (the process chdir()s to the new root).
 * privs_drop() does chroot + chdir("/"), then initgroups, setgid, setuid,
 * and checks that root cannot be regained.
 */
#ifndef TCPFLOW_PRIVS_H
#define TCPFLOW_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs {
    bool wanted;            /* -U given */
    bool dropped;
    const char *user, *root;
    uid_t uid;
    gid_t gid;
};

/* user NULL: nothing to do (p->wanted false).  false: err says why. */
bool privs_lookup(struct privs *p, const char *user, const char *root, char *err, size_t errlen);

/* path as seen from outside the chroot (malloc'd; a copy when no -z). */
char *privs_path(const struct privs *p, const char *path);

/* Give the file or directory to the user (after creating it as root). */
void privs_chown(const struct privs *p, const char *path);

/* Drop now (idempotent).  false: err says why; the run must stop. */
bool privs_drop(struct privs *p, char *err, size_t errlen);

#endif
