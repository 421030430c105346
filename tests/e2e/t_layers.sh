#!/bin/sh
# The layering check (scripts/check-layers.sh) passes on the tree, and fails
# on a copy of src/ where a stage includes one after it, where output/ and
# scan/ include each other, and where a file sits at the top of src/.
. "$(dirname "$0")/lib.sh"
CHECK=$TOP/scripts/check-layers.sh
sh "$CHECK" > "$tmp/out" 2>&1 && ok "the tree: $(tail -1 "$tmp/out")" || bad "the tree: $(cat "$tmp/out")"

plant() {   # plant NAME FILE LINE: copy src/, add LINE to FILE, expect a failure naming FILE
    rm -rf "$tmp/t" && mkdir -p "$tmp/t/scripts" && cp -r "$TOP/src" "$tmp/t/src" && cp "$CHECK" "$tmp/t/scripts/"
    printf '%s\n' "$3" >> "$tmp/t/src/$2"
    if sh "$tmp/t/scripts/check-layers.sh" > "$tmp/out" 2>&1; then bad "$1: not caught"
    elif grep -q "src/$2" "$tmp/out"; then ok "$1: caught ($(head -1 "$tmp/out"))"
    else bad "$1: wrong message: $(cat "$tmp/out")"; fi
}
plant "decode includes flow" decode/ip.c '#include "flow/flow.h"'
plant "flow includes output" flow/reasm.c '#include "output/sink_file.h"'
plant "scan includes output" scan/md5.c '#include "output/sink_file.h"'
plant "output includes report" output/naming.c '#include "report/dfxml.h"'
plant "util includes capture" util/io.c '#include "capture/capture.h"'
plant "a file at the top of src" stray.c '/* nothing */'
finish
