#!/bin/sh
# Print this implementation's version: from git (`git describe`: the last
# tag, commits since, the commit; "-dirty" for uncommitted changes), else
# from a VERSION file (release tarballs), else "unknown".  Only
# [A-Za-z0-9._+-] are kept, so the result is safe in a C string.
top=$(cd "$(dirname "$0")/.." && pwd)
v=""
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    v=$(git -C "$top" describe --tags --always --dirty 2>/dev/null)
    case $v in
        v[0-9]*) v=${v#v};;
        [0-9a-f]*) case $v in *.*) ;; *) v="git-$v";; esac;;   # no tag: the commit
    esac
fi
[ -z "$v" ] && [ -f "$top/VERSION" ] && v=$(head -n 1 "$top/VERSION")
v=$(printf '%s' "$v" | tr -cd 'A-Za-z0-9._+-')
echo "${v:-unknown}"
