#!/bin/sh
# Compiles the streaming PocketSphinx decoder (ps-stream.c) into dist/native/goassist-ps-stream.
# Needs: gcc, pkg-config and the Debian packages libpocketsphinx-dev, libsphinxbase-dev
# (the decoder then runs with pocketsphinx-en-us's model and the libpocketsphinx3 library).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out="$root/dist/native/goassist-ps-stream"
mkdir -p "$(dirname "$out")"
if [ -x "$out" ] && [ "$out" -nt "$here/ps-stream.c" ]; then exit 0; fi
if ! pkg-config --exists pocketsphinx sphinxbase; then
  echo "build.sh: pkg-config cannot find pocketsphinx/sphinxbase: install libpocketsphinx-dev libsphinxbase-dev pkg-config (make system-deps does)" >&2
  exit 1
fi
# shellcheck disable=SC2046 # pkg-config prints several flags on purpose
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$out.tmp" "$here/ps-stream.c" $(pkg-config --cflags --libs pocketsphinx sphinxbase)
mv "$out.tmp" "$out"
echo "built $out"
