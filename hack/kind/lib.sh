# shellcheck shell=bash
# Sourced by the hack/kind scripts: the shared names, the repository root as the
# working directory, and the checks every step starts with.

# shellcheck source=hack/kind/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit

log() {
  printf '\033[1m==> %s\033[0m\n' "$*" >&2
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# One line per missing tool with where to get it, then stop: a half-run step
# leaves more to clean up than one that never started.
require() {
  local tool missing=0
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    missing=1
    case $tool in
      kind) echo "missing: kind: $KIND_VERSION or newer, https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2 ;;
      kubectl) echo "missing: kubectl: https://kubernetes.io/docs/tasks/tools/" >&2 ;;
      helm) echo "missing: helm: 3.14 or newer, https://helm.sh/docs/intro/install/" >&2 ;;
      docker) echo "missing: docker: https://docs.docker.com/get-started/get-docker/" >&2 ;;
      *) echo "missing: $tool" >&2 ;;
    esac
  done
  if [[ " $* " == *" docker "* ]] && command -v docker >/dev/null 2>&1 \
    && ! docker info >/dev/null 2>&1; then
    missing=1
    echo "docker: the CLI is installed but no Docker daemon answers: start Docker Desktop or \`sudo systemctl start docker\`" >&2
  fi
  ((missing == 0)) || exit 1
}

cluster_exists() {
  kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"
}
