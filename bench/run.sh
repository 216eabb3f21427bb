#!/usr/bin/env bash
# run.sh — `make bench`: builds bench/capture_cost.c against the preload objects (same flags as
# the library) and reports the cost of one captured exchange on the program's thread; then, when
# python3 is there, the cost of the preload on plain (non-LLM) curl_easy_perform calls.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
ITER="${BENCH_ITERATIONS:-500}"
cd "$ROOT"

pkgs="sqlite3 libcjson libzstd zlib libbrotlidec libnghttp2"
CFLAGS="-std=c11 -D_GNU_SOURCE -DCURL_DISABLE_TYPECHECK -Wall -Wextra -Werror -O2 -g $(pkg-config --cflags $pkgs libcurl)"
LIBS="$(pkg-config --libs $pkgs) -ldl -lpthread"
objs="$(ls "$BUILD"/obj/util/*.o "$BUILD"/obj/proto/*.o "$BUILD"/obj/llm/*.o "$BUILD"/obj/store/*.o)
      $BUILD/obj/preload/capture.o $BUILD/obj/preload/runtime.o $BUILD/obj/preload/symbols.o"
mkdir -p "$BUILD/bench"
cc $CFLAGS -o "$BUILD/bench/capture_cost" bench/capture_cost.c $objs $LIBS
cc $CFLAGS -o "$BUILD/bench/perform_loop" bench/perform_loop.c $(pkg-config --libs libcurl)

tmp="$(mktemp -d /tmp/promptlog-bench.XXXXXX)"
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT
srv=""
echo "== capture cost (database $tmp/bench.db)"
PROMPTLOG_DATABASE="$tmp/bench.db" "$BUILD/bench/capture_cost" "$ROOT/tests/fixtures" "$ITER"

if command -v python3 >/dev/null; then
    echo "== non-LLM curl_easy_perform, with and without the preload (local http.server)"
    mkdir -p "$tmp/www" && echo hello > "$tmp/www/index.html"
    (cd "$tmp/www" && exec python3 -m http.server 0 --bind 127.0.0.1 >"$tmp/http.log" 2>&1) &
    srv=$!
    port=""
    for _ in $(seq 50); do
        port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$tmp/http.log" | head -1)"
        [ -n "$port" ] && break
        sleep 0.1
    done
    url="http://127.0.0.1:$port/index.html"
    (cd "$tmp" && "$BUILD/bench/perform_loop" "$url" 300 "without preload")
    (cd "$tmp" && LD_PRELOAD="$BUILD/libpromptlog.so" "$BUILD/bench/perform_loop" "$url" 300 "with preload   ")
    [ ! -e "$tmp/prompts.db" ] || { echo "bench: a non-LLM URL created a database" >&2; exit 1; }
fi

echo "== TLS hooks: keep-alive HTTPS loops from python http.client (bench/tls_overhead.sh)"
BUILD="$BUILD" bash "$ROOT/bench/tls_overhead.sh"

echo "== socket hooks: plain-HTTP keep-alive and file I/O loops (bench/socket_overhead.sh)"
BUILD="$BUILD" bash "$ROOT/bench/socket_overhead.sh"

echo "== entry patching: node https keep-alive loops (bench/node_overhead.sh)"
BUILD="$BUILD" bash "$ROOT/bench/node_overhead.sh"

if command -v go >/dev/null; then
    echo "== Go crypto/tls hooks: net/http keep-alive HTTPS loops (bench/go_overhead.sh)"
    BUILD="$BUILD" bash "$ROOT/bench/go_overhead.sh"
fi
