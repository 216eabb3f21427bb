# build.sh — sourced by bench/run.sh and bench/profile.sh: bench_build compiles the bench programs
# into $BUILD/bench (txn_floor: SQLite alone, bench/txn_floor.c). capture_cost links the
# library's own objects (same flags as the library) to
# time pl_capture_commit in-process; perform_loop links libcurl. Needs ROOT and BUILD.

bench_build() {
    local pkgs="sqlite3 libcjson libzstd zlib libbrotlidec libnghttp2" cflags libs objs
    cflags="-std=c11 -D_GNU_SOURCE -DCURL_DISABLE_TYPECHECK -Wall -Wextra -Werror -O2 -g $(pkg-config --cflags $pkgs libcurl)"
    libs="$(pkg-config --libs $pkgs) -ldl -lpthread"
    mkdir -p "$BUILD/bench"
    cc $cflags -o "$BUILD/bench/perform_loop" "$ROOT/bench/perform_loop.c" $(pkg-config --libs libcurl) || return 1
    cc $cflags -o "$BUILD/bench/txn_floor" "$ROOT/bench/txn_floor.c" $(pkg-config --libs sqlite3) || return 1
    # Every library object but the hooks: capture_cost calls the pipeline, not the interposers.
    # The engine objects are linked in (not dlopen'ed): the table is then found statically, as in
    # the unit tests, and the preload objects come along as in test_conn (their hooks let our own
    # I/O through untouched). engine/host.o is the dlopen'ed engine's alone.
    objs="$(ls "$BUILD"/obj/util/*.o "$BUILD"/obj/proto/*.o "$BUILD"/obj/llm/*.o "$BUILD"/obj/store/*.o \
                "$BUILD"/obj/preload/*.o "$BUILD"/obj/engine/*.o | grep -v '/engine/host\.o$')"
    # The preload's layout is being reworked (issue 14): if capture_cost no longer links, say so
    # and go on with the program benchmarks, which do not depend on it.
    rm -f "$BUILD/bench/capture_cost"
    cc $cflags -o "$BUILD/bench/capture_cost" "$ROOT/bench/capture_cost.c" $objs $libs ||
        echo "bench: capture_cost does not build against this tree; its figure is skipped" >&2
    return 0
}
