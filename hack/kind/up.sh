#!/usr/bin/env bash
# make kind-up: create the local cluster from hack/kind/cluster.yaml, or reuse it.
set -euo pipefail
# shellcheck source=hack/kind/lib.sh
source "$(dirname "$0")/lib.sh"

require kind docker kubectl

installed=$(kind version | awk '{print $2}')
if [[ $installed != "$KIND_VERSION" ]]; then
  echo "note: kind $installed found; the pinned node image comes from kind $KIND_VERSION's release notes" >&2
fi

if cluster_exists; then
  log "kind cluster $KIND_CLUSTER already exists: using it (make kind-down to start afresh)"
  kind export kubeconfig --name "$KIND_CLUSTER"
else
  log "creating kind cluster $KIND_CLUSTER"
  kind create cluster --name "$KIND_CLUSTER" --config "$KIND_CONFIG" --wait 180s
fi
kubectl --context "$KIND_CONTEXT" wait --for=condition=Ready nodes --all --timeout=180s >/dev/null
log "cluster ready; kubectl context: $KIND_CONTEXT"
