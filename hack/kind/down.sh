#!/usr/bin/env bash
# make kind-down: delete the local cluster (nothing else: the image stays in Docker).
set -euo pipefail
# shellcheck source=hack/kind/lib.sh
source "$(dirname "$0")/lib.sh"

require kind

if cluster_exists; then
  log "deleting kind cluster $KIND_CLUSTER"
  kind delete cluster --name "$KIND_CLUSTER"
else
  log "no kind cluster $KIND_CLUSTER: nothing to delete"
fi
