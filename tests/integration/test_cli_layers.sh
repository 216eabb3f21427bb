#!/usr/bin/env bash
# test_cli_layers.sh — store/ is the only code that talks SQLite: no object built from exporter/
# refers to a sqlite3_ function (every read, the search and the delete go through store.h).
. "$(dirname "$0")/lib.sh"
need nm
n=0
for src in "$ROOT"/exporter/*.c; do
    obj="$BUILD/obj/exporter/$(basename "${src%.c}").o"
    [ -e "$obj" ] || fail "$obj is not built"
    n=$((n + 1))
    if nm -u "$obj" | grep -q ' sqlite3_'; then
        fail "exporter/$(basename "$src") calls SQLite directly: $(nm -u "$obj" | grep ' sqlite3_' | tr -s ' ' | tr '\n' ' ')"
    fi
done
[ "$n" -gt 10 ] || fail "only $n exporter objects found"
# and the check can fail: the store's own objects do call SQLite
nm -u "$BUILD/obj/store/delete.o" | grep -q ' sqlite3_exec' || fail "nm finds no SQLite call even in store/delete.o"
