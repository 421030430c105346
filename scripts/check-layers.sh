#!/bin/sh
# check-layers.sh: the folders of src/ are the pipeline's stages, and data
# flows one way.  A file may include headers of its own folder and of the
# folders before it, never of one after it; output/ and scan/ are siblings
# and never include each other.  Order (docs/internals/layout.md):
#   util < capture < decode < flow < {output, scan} < report < app, main.c
# Exit 1, naming each offending include, when the tree breaks the order.
cd "$(dirname "$0")/../src" || exit 2
rank() {
    case "$1" in
        util) echo 0;; capture) echo 1;; decode) echo 2;; flow) echo 3;;
        output|scan) echo 4;; report) echo 5;; app|.) echo 6;; *) echo -1;;
    esac
}
bad=0 n=0
for f in $(find . -name '*.c' -o -name '*.h' -o -name '*.inc' | sed 's|^\./||' | sort); do
    dir=${f%%/*}
    [ "$dir" = "$f" ] && dir=.
    if [ "$dir" = . ] && [ "$f" != main.c ]; then
        echo "src/$f: only main.c lives at the top of src/ (put it in a stage folder)"; bad=1; continue
    fi
    me=$(rank "$dir")
    [ "$me" -ge 0 ] || { echo "src/$f: folder $dir/ is not a stage (add it to scripts/check-layers.sh)"; bad=1; continue; }
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        n=$((n+1))
        case "$inc" in */*) ;; *) continue;; esac
        to=${inc%%/*}
        r=$(rank "$to")
        if [ "$r" -lt 0 ]; then
            echo "src/$f: includes \"$inc\" from an unknown folder"; bad=1
        elif [ "$r" -gt "$me" ]; then
            echo "src/$f: includes \"$inc\": $to/ comes after $dir/ in the pipeline"; bad=1
        elif [ "$r" = 4 ] && [ "$me" = 4 ] && [ "$to" != "$dir" ]; then
            echo "src/$f: includes \"$inc\": output/ and scan/ never include each other"; bad=1
        fi
    done
done
[ $bad = 0 ] && echo "layers: $n includes checked, data flows one way"
exit $bad
