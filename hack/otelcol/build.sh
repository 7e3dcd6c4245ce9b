#!/usr/bin/env bash
# Builds a small OpenTelemetry Collector (OTLP receiver -> file/debug exporter) with the
# collector builder (OCB), from Go modules only, into a cache outside the repo keyed by version:
#   ${GOASSIST_CACHE:-~/.cache/goassist}/otelcol/<version>/otelcol-goassist
# A second run finds the finished binary and returns at once.
# Prints the binary's path as its last line on stdout; progress goes to stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$HERE/builder-config.yaml"
BUILDER_VERSION="${GOASSIST_OCB_VERSION:-v0.165.0}"
# The collector's stable modules (confmap providers) released together with BUILDER_VERSION.
COLLECTOR_STABLE_VERSION="${GOASSIST_OTELCOL_STABLE_VERSION:-v1.71.0}"
# The manifest's contents are part of the key, so editing it rebuilds.
MANIFEST_SUM="$(sha256sum "$MANIFEST" | cut -c1-12)"
CACHE="${GOASSIST_CACHE:-$HOME/.cache/goassist}"
ROOT="$CACHE/otelcol/${BUILDER_VERSION}-${MANIFEST_SUM}"
BIN="$ROOT/otelcol-goassist"
STAMP="$ROOT/.complete"

log() { printf '[otelcol-build] %s\n' "$*" >&2; }

if [[ -f "$STAMP" && -x "$BIN" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "error: the go toolchain is not on PATH"; exit 1; }
mkdir -p "$ROOT/tools" "$ROOT/src"
# Parallel test workers may all ask for the collector: one builds, the others wait for it.
exec 9>"$ROOT/.lock"
flock 9
if [[ -f "$STAMP" && -x "$BIN" ]]; then
  log "built meanwhile: $BIN"
  echo "$BIN"
  exit 0
fi
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -p=2 -buildvcs=false -trimpath"
export GOTOOLCHAIN=local
started=$SECONDS

BUILDER="$ROOT/tools/builder"
if [[ ! -x "$BUILDER" ]]; then
  log "go install go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}"
  GOBIN="$ROOT/tools" go install "go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}"
fi

sed "s#OUTPUT_PATH#$ROOT/src#" "$MANIFEST" >"$ROOT/builder-config.yaml"
# The builder's own module step runs `go mod tidy`, which also fetches the test-only dependencies
# of every component; one of the file exporter's (contrib otlpencodingextension) is refused by the
# module proxy (403). So the builder only generates the sources, and `go build -mod=mod` resolves
# just what the binary imports.
log "generating the collector sources"
"$BUILDER" --config "$ROOT/builder-config.yaml" --skip-get-modules --skip-compilation >&2
# Without its module step the builder writes no go.mod: list the components of the manifest and
# the core modules the generated code imports, at the versions of this builder release; go build
# resolves the rest.
{
  printf 'module goassist.local/otelcol\n\ngo 1.25\n\nrequire (\n'
  sed -nE 's/^[[:space:]]*- gomod:[[:space:]]*(.+)$/\t\1/p' "$MANIFEST"
  for p in env file http https yaml; do
    printf '\tgo.opentelemetry.io/collector/confmap/provider/%sprovider %s\n' "$p" "$COLLECTOR_STABLE_VERSION"
  done
  printf '\tgo.opentelemetry.io/collector/otelcol %s\n' "$BUILDER_VERSION"
  printf '\tgo.opentelemetry.io/collector/service %s\n)\n' "$BUILDER_VERSION"
} >"$ROOT/src/go.mod"
log "building the collector (first build takes several minutes on 2 cores)"
(cd "$ROOT/src" && go build -mod=mod -o otelcol-goassist . >&2)
cp "$ROOT/src/otelcol-goassist" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
touch "$STAMP"
log "built $BIN in $((SECONDS - started))s"
echo "$BIN"
