#!/usr/bin/env bash
# Builds helm from its Go module into a cache outside the repo, keyed by version; seconds once cached.
# Prints the binary's path as its last line on stdout; progress goes to stderr.
set -euo pipefail
HELM_VERSION="${GOASSIST_HELM_VERSION:-v3.22.0}"
CACHE="${GOASSIST_CACHE:-$HOME/.cache/goassist}"
BIN="$CACHE/helm/$HELM_VERSION/bin"
log() { printf '[helm-build] %s\n' "$*" >&2; }
if [[ -x "$BIN/helm" ]] && "$BIN/helm" version --short 2>/dev/null | grep -q "$HELM_VERSION"; then
  echo "$BIN/helm"
  exit 0
fi
mkdir -p "$BIN"
exec 9>"$BIN/.build.lock"
flock 9
if [[ -x "$BIN/helm" ]] && "$BIN/helm" version --short 2>/dev/null | grep -q "$HELM_VERSION"; then
  echo "$BIN/helm"
  exit 0
fi
log "building helm $HELM_VERSION (a few minutes the first time)"
GOBIN="$BIN" CGO_ENABLED=0 go install \
  -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
log "built $BIN/helm"
echo "$BIN/helm"
