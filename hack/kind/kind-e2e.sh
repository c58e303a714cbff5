#!/usr/bin/env bash
# make kind-e2e: a fresh cluster, Gatehouse deployed from this checkout, the e2e
# suite, and the cluster deleted again, whether or not a step failed.
# KIND_KEEP=1 keeps the cluster after a failure, to look around.
set -euo pipefail
# shellcheck source=hack/kind/lib.sh
source "$(dirname "$0")/lib.sh"

require kind kubectl helm docker

finish() {
  local status=$?
  if ((status != 0)); then
    log "failed (exit $status): the state of the cluster"
    kubectl --context "$KIND_CONTEXT" get pods --all-namespaces -o wide || true
    kubectl --context "$KIND_CONTEXT" --namespace "$NAMESPACE" \
      logs "deployment/$RELEASE" --all-containers --tail 100 || true
  fi
  if ((status != 0)) && [[ ${KIND_KEEP:-} == 1 ]]; then
    log "KIND_KEEP=1: cluster $KIND_CLUSTER kept; \`make kind-down\` deletes it"
  else
    hack/kind/down.sh || true
  fi
  exit "$status"
}
trap finish EXIT

hack/kind/up.sh
hack/kind/deploy.sh
"${MAKE:-make}" --no-print-directory e2e
