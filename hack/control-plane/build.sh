#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager at the versions go.mod pins,
# once, into a cache keyed by the Kubernetes version, and prints that directory.
# Everything else (progress, timing) goes to stderr, so callers can do
#   bin=$(hack/control-plane/build.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is needed to build the control plane (Go $(sed -n 's/^go //p' go.mod) or newer)"

# The versions come from go.mod alone: bump them there with `go get -tool`.
module_version() { go list -m -f '{{.Version}}' "$1"; }
kube_version=$(module_version k8s.io/kubernetes)
etcd_version=$(module_version go.etcd.io/etcd/server/v3)
kube_minor=${kube_version#v1.}
kube_minor=${kube_minor%%.*}

cache_root=${GATEHOUSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse}
out="$cache_root/control-plane/$kube_version"

# Everything that changes the binaries: a changed go.sum or flag rebuilds them.
version_pkg=k8s.io/component-base/version
client_version_pkg=k8s.io/client-go/pkg/version
ldflags="-s -w"
for pkg in "$version_pkg" "$client_version_pkg"; do
  # /version must tell the truth: Helm checks a chart's kubeVersion against it.
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
stamp=$({ cat go.mod go.sum; go version; echo "$ldflags"; } | sha256sum | cut -d' ' -f1)
binaries=(etcd kube-apiserver kube-controller-manager)

built() {
  [[ -f "$out/STAMP" && "$(cat "$out/STAMP")" == "$stamp" ]] || return 1
  local b
  for b in "${binaries[@]}"; do [[ -x "$out/$b" ]] || return 1; done
}

mkdir -p "$cache_root/control-plane"
exec 9>"$cache_root/control-plane/.lock"
flock 9 # two builds at once would only race to the same result

if built; then
  log "control plane $kube_version (etcd $etcd_version) already built: $out"
  echo "$out"
  exit 0
fi

start=$SECONDS
log "control plane: kubernetes $kube_version, etcd $etcd_version with $(go version | cut -d' ' -f3)"
log "downloading the modules the three need (cached in $(go env GOMODCACHE))"
# Go prints each module it downloads; the package list sizes the progress below.
pkgs=$(mktemp)
CGO_ENABLED=0 go list -deps tool >"$pkgs"
total=$(wc -l <"$pkgs")
rm -f "$pkgs"
log "modules ready after $((SECONDS - start))s"
((total > 0)) || die "go list found no packages for the tools in go.mod"

# One `go build` for the three: they share most of their packages, which are then
# compiled once. CGO off and -trimpath: no C toolchain needed, and a cache hit
# whatever the checkout's path. -s -w: no symbol tables, a quarter of the link time.
log "compiling up to $total packages (each line is one compiled; cached ones are skipped)"
tmp=$(mktemp -d "$cache_root/control-plane/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -v -trimpath -ldflags "$ldflags" -o "$tmp/" tool 2>&1 \
  | awk -v total="$total" '/^(#|go: |[^ ]+\.go:)/ { print; fflush(); next }
      { n++; printf "    [%d/%d] %s\n", n, total, $0; fflush() }' >&2
# Go names a binary after its package path less the major version: .../server/v3 -> server.
mv "$tmp/server" "$tmp/etcd"
for b in "${binaries[@]}"; do [[ -x "$tmp/$b" ]] || die "the build made no $b"; done
echo "$stamp" >"$tmp/STAMP"
printf 'kubernetes %s\netcd %s\n%s\n' "$kube_version" "$etcd_version" "$(go version)" >"$tmp/VERSIONS"

chmod 755 "$tmp" # mktemp made it private; the binaries are no secret
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "built in $((SECONDS - start))s: $out"
echo "$out"
