#!/usr/bin/env bash
# make kind-deploy: build the image from this checkout, load it into the kind nodes,
# install or upgrade the chart with hack/kind/values.yaml, and wait until Gatehouse
# itself answers the API server. Run it again after every code change.
set -euo pipefail
# shellcheck source=hack/kind/lib.sh
source "$(dirname "$0")/lib.sh"

require docker kind helm kubectl
cluster_exists || die "no kind cluster $KIND_CLUSTER: run \`make kind-up\` first"

log "building $IMAGE"
docker build --tag "$IMAGE" .

log "loading $IMAGE into $KIND_CLUSTER"
kind load docker-image "$IMAGE" --name "$KIND_CLUSTER"

# The tag stays the same from build to build; the image ID in a pod annotation
# changes the pod template, so a rebuilt image rolls the pods and an unchanged
# one leaves them alone.
image_id=$(docker image inspect --format '{{.Id}}' "$IMAGE")

log "installing release $RELEASE in namespace $NAMESPACE"
helm upgrade --install "$RELEASE" "$CHART" \
  --kube-context "$KIND_CONTEXT" --namespace "$NAMESPACE" --create-namespace \
  --values "$VALUES" --set-string "podAnnotations.gatehouse\.io/image-id=$image_id"

# The chart names the Deployment after the release (the release name contains "gatehouse").
kubectl --context "$KIND_CONTEXT" --namespace "$NAMESPACE" \
  rollout status "deployment/$RELEASE" --timeout=180s

# A rollout can be complete while the API server still cannot reach the webhook
# (TLS, Service, webhook configuration): only an answer from Gatehouse proves the path.
log "waiting for Gatehouse to answer a server-side dry run"
for _ in $(seq 60); do
  answer=$(kubectl --context "$KIND_CONTEXT" --namespace default run gatehouse-probe \
    --image "$PAUSE_IMAGE" --restart Never --dry-run=server 2>&1 || true)
  if [[ $answer == *"Gatehouse denied"* || $answer == *"would deny"* ]]; then
    log "Gatehouse is answering: kubectl --context $KIND_CONTEXT -n $NAMESPACE logs deploy/$RELEASE"
    exit 0
  fi
  sleep 2
done
printf '%s\n' "$answer" >&2
die "no answer from Gatehouse after 2 minutes: kubectl --context $KIND_CONTEXT -n $NAMESPACE logs deploy/$RELEASE"
