/* outdir.h - opening files under the output directory safely. */
#ifndef TCPFLOW_UTIL_OUTDIR_H
#define TCPFLOW_UTIL_OUTDIR_H

/* open(2) of path, a name under the output directory od ("" or "."
 * for the current one): every directory between them is opened with
 * O_NOFOLLOW (and made when flags has O_CREAT), so a symlink planted there
 * is never followed; the last component gets flags (add O_NOFOLLOW).
 * Paths outside od, absolute or with "..", are opened as they are (the
 * user's choice).  Mode 0666 (umask applies). */
int outdir_open(const char *od, const char *path, int flags);

#endif
