#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd, kwok) from their Go modules with the ordinary `go` client into a cache outside the repo,
# keyed by version. A second run finds the finished cache and returns at once.
# Prints the bin dir as its last line on stdout; progress goes to stderr.
set -euo pipefail

K8S_VERSION="${GOASSIST_K8S_VERSION:-v1.36.5}"
ETCD_VERSION="${GOASSIST_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${GOASSIST_KWOK_VERSION:-v0.8.0}"

# Every k8s.io staging module that k8s.io/kubernetes replaces with ./staging/src/... in its go.mod.
STAGING_MODULES=(
  api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt
  kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming
)
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
ALL_BINARIES=("${K8S_COMMANDS[@]}" etcd kwok)

CACHE="${GOASSIST_CACHE:-$HOME/.cache/goassist}"
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
# Binaries taken from KUBEBUILDER_ASSETS get their own cache dir, so they never mix with built ones.
if [[ -n "${KUBEBUILDER_ASSETS:-}" && -d "${KUBEBUILDER_ASSETS}" ]]; then
  KEY="${KEY}_assets-$(printf '%s' "$(cd "$KUBEBUILDER_ASSETS" && pwd -P)" | sha256sum | cut -c1-12)"
fi
ROOT="$CACHE/controlplane/$KEY"
BIN="$ROOT/bin"
STAMP="$ROOT/.complete"

log() { printf '[controlplane-build] %s\n' "$*" >&2; }

if [[ -f "$STAMP" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

mkdir -p "$BIN" "$ROOT/src"
# Concurrent callers (parallel jest workers, a second shell) wait for one build instead of racing it.
exec 9>"$ROOT/.build.lock"
if ! flock -n 9; then
  log "another build holds $ROOT/.build.lock; waiting"
  flock 9
fi
if [[ -f "$STAMP" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi
export CGO_ENABLED=0
# Two cores are shared with everyone: keep compile parallelism at the core count.
export GOFLAGS="${GOFLAGS:-} -p=2 -buildvcs=false -trimpath"
export GOTOOLCHAIN=local

# Binaries already present in KUBEBUILDER_ASSETS are used as they are (symlinked), not rebuilt.
if [[ -n "${KUBEBUILDER_ASSETS:-}" && -d "${KUBEBUILDER_ASSETS}" ]]; then
  for b in "${ALL_BINARIES[@]}"; do
    if [[ -x "$KUBEBUILDER_ASSETS/$b" && ! -e "$BIN/$b" ]]; then
      ln -s "$KUBEBUILDER_ASSETS/$b" "$BIN/$b"
      log "using $KUBEBUILDER_ASSETS/$b"
    fi
  done
fi

need() { [[ ! -e "$BIN/$1" ]]; }
for b in "${ALL_BINARIES[@]}"; do
  if need "$b"; then
    command -v go >/dev/null || { log "error: the go toolchain is not on PATH (needed to build $b)"; exit 1; }
    break
  fi
done
started=$SECONDS
elapsed() { echo "$((SECONDS - started))s"; }

# --- Kubernetes -------------------------------------------------------------------------------
k8s_needed=()
for c in "${K8S_COMMANDS[@]}"; do need "$c" && k8s_needed+=("$c"); done
if ((${#k8s_needed[@]})); then
  K8S_MOD="$ROOT/src/kubernetes"
  mkdir -p "$K8S_MOD"
  STAGING_VERSION="v0.${K8S_VERSION#v1.}"
  if [[ ! -f "$K8S_MOD/.resolved" ]]; then
    log "resolving k8s.io/kubernetes@$K8S_VERSION (staging modules at $STAGING_VERSION) [$(elapsed)]"
    {
      echo "module goassist.local/controlplane/kubernetes"
      echo
      echo "go 1.26.0"
      echo
      echo "require k8s.io/kubernetes $K8S_VERSION"
      echo
      echo "replace ("
      for m in "${STAGING_MODULES[@]}"; do echo "	k8s.io/$m => k8s.io/$m $STAGING_VERSION"; done
      echo ")"
    } >"$K8S_MOD/go.mod"
    (cd "$K8S_MOD" && for c in "${K8S_COMMANDS[@]}"; do go get "k8s.io/kubernetes/cmd/$c@$K8S_VERSION"; done) >&2
    touch "$K8S_MOD/.resolved"
  fi
  minor="${K8S_VERSION#v1.}"
  minor="${minor%%.*}"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  for c in "${k8s_needed[@]}"; do
    log "building $c $K8S_VERSION [$(elapsed)]"
    (cd "$K8S_MOD" && go build -ldflags "$ldflags" -o "$BIN/.$c.tmp" "k8s.io/kubernetes/cmd/$c")
    mv "$BIN/.$c.tmp" "$BIN/$c"
  done
fi

# --- etcd -------------------------------------------------------------------------------------
if need etcd; then
  ETCD_MOD="$ROOT/src/etcd"
  mkdir -p "$ETCD_MOD"
  if [[ ! -f "$ETCD_MOD/.resolved" ]]; then
    log "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION [$(elapsed)]"
    # server/v3's own go.mod replaces its sibling modules with relative paths, which only hold in
    # etcd's repository; as a dependency they must be pinned to the same release instead.
    cat >"$ETCD_MOD/go.mod" <<EOF
module goassist.local/controlplane/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
EOF
    (cd "$ETCD_MOD" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION") >&2
    touch "$ETCD_MOD/.resolved"
  fi
  log "building etcd $ETCD_VERSION [$(elapsed)]"
  (cd "$ETCD_MOD" && go build -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$BIN/.etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$BIN/.etcd.tmp" "$BIN/etcd"
fi

# --- KWOK -------------------------------------------------------------------------------------
if need kwok; then
  log "building kwok $KWOK_VERSION [$(elapsed)]"
  GOBIN="$ROOT/src/kwok-bin" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$ROOT/src/kwok-bin/kwok" "$BIN/kwok"
fi

for b in "${ALL_BINARIES[@]}"; do
  [[ -x "$BIN/$b" ]] || { log "error: $BIN/$b missing after build"; exit 1; }
done
touch "$STAMP"
log "done in $(elapsed): $BIN"
echo "$BIN"
