#!/usr/bin/env bash
# deps.sh — checks the Debian packages the build and tests need; installs them when root,
# otherwise prints the exact apt-get line and fails. Used by `make` (build deps) and `make test`.
set -u
build_pkgs="gcc make pkg-config libcurl4-openssl-dev libsqlite3-dev libcjson-dev libzstd-dev zlib1g-dev libbrotli-dev libnghttp2-dev libssl-dev libgnutls28-dev"
test_pkgs="libcmocka-dev curl wget python3 python3-h2 python3-httpx python3-requests openssl sqlite3"
test_pkgs="$test_pkgs nodejs chromium"   # ship and report tests: OTLP receiver, headless browser
test_pkgs="$test_pkgs golang-go"         # Go crypto/tls capture tests build their clients
test_pkgs="$test_pkgs man-db groff-base" # the CLI's man pages are rendered by a test (man -l)
fuzz_pkgs="clang libclang-rt-dev"
# entry/GOT patching decodes with capstone (dlopen'ed at run time); node and PHP are test hosts
build_pkgs="$build_pkgs libcapstone-dev"
test_pkgs="$test_pkgs php-cli php-curl"
# npm installs the Node test clients (openai, @anthropic-ai/sdk, the OTLP proto roots); NodeSource's
# nodejs ships its own npm and conflicts with Debian's, so Debian's is asked for only when absent.
command -v npm >/dev/null 2>&1 || test_pkgs="$test_pkgs npm"
profile_pkgs="valgrind strace"
case "${1:-build}" in
  build) want="$build_pkgs" ;;
  test) want="$build_pkgs $test_pkgs" ;;
  fuzz) want="$build_pkgs $fuzz_pkgs" ;;
  profile) want="$build_pkgs $test_pkgs $profile_pkgs" ;;
  *) echo "usage: $0 build|test|fuzz|profile" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "promptlog: not a Debian system; install the equivalents of:$missing" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  echo "promptlog: installing missing packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
  echo "promptlog: apt-get install failed" >&2
  exit 1
fi
echo "promptlog: missing packages. Run:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
