/* privs.c - see privs.h */
#include "app/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

bool privs_lookup(struct privs *p, const char *user, const char *root, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (!user) return true;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "Couldn't find user '%s'", user);
        return false;
    }
    p->wanted = true;
    p->user = user;
    p->root = root;
    p->uid = pw->pw_uid;
    p->gid = pw->pw_gid;
    return true;
}

char *privs_path(const struct privs *p, const char *path)
{
    if (!path || !*path) path = ".";
    if (!p->wanted || !p->root) return xstrdup(path);
    size_t n = strlen(p->root) + strlen(path) + 2;
    char *r = xmalloc(n);
    if (!strcmp(path, "."))
        snprintf(r, n, "%s", p->root);
    else
        snprintf(r, n, "%s%s%s", p->root, path[0] == '/' ? "" : "/", path);
    return r;
}

void privs_chown(const struct privs *p, const char *path)
{
    if (!p->wanted || p->dropped || geteuid() != 0 || !path) return;
    if (lchown(path, p->uid, p->gid) < 0)
        fprintf(stderr, "warning: cannot give %s to %s: %s\n", path, p->user, strerror(errno));
}

bool privs_drop(struct privs *p, char *err, size_t errlen)
{
    if (!p->wanted || p->dropped) return true;
    if (p->root) {
        if (chroot(p->root) < 0 || chdir("/") < 0) {
            snprintf(err, errlen, "cannot chroot to %s: %s", p->root, strerror(errno));
            return false;
        }
    }
    if (getuid() == p->uid && geteuid() == p->uid && getgid() == p->gid) {
        p->dropped = true;              /* already that user */
        return true;
    }
    if (initgroups(p->user, p->gid) < 0 || setgid(p->gid) < 0 || setuid(p->uid) < 0) {
        snprintf(err, errlen, "cannot drop privileges to %s: %s", p->user, strerror(errno));
        return false;
    }
    if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "cannot drop privileges to %s: root could be regained", p->user);
        return false;
    }
    p->dropped = true;
    return true;
}
