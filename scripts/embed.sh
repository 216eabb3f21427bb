#!/bin/sh
# embed.sh NAME FILE — prints a C header defining `static const char NAME[]` holding FILE's text,
# so an asset (the report's HTML template) is compiled into the binary and needs no install path.
# Escapes backslashes, quotes and '?' (no trigraphs); one string literal per line. sed, not awk:
# awk's gsub gives backslashes in the replacement a meaning of their own.
set -eu
name="$1"; file="$2"
echo "/* generated from $file by scripts/embed.sh: do not edit */"
echo "static const char ${name}[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/    "/' -e 's/$/\\n"/' "$file"
echo ";"
