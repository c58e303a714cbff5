# shellcheck shell=bash disable=SC2034
# The names the kind scripts, the e2e suite (tests/e2e/kind.py) and the CI workflow
# share, in one place. Plain NAME=value lines only: Python reads this file too, and
# tests/kind checks that the kind config, the chart values and the Makefile agree.

# The kind cluster; kind names its kubeconfig context kind-<cluster>.
KIND_CLUSTER=gatehouse-dev
KIND_CONTEXT=kind-gatehouse-dev
KIND_CONFIG=hack/kind/cluster.yaml
# The kind release whose notes list the node image pinned in the cluster config.
KIND_VERSION=v0.29.0

# The image built from this checkout and loaded into the nodes (never pushed anywhere).
IMAGE=gatehouse:dev

# The Helm release and where it lives, installed with the values for local use.
RELEASE=gatehouse
NAMESPACE=gatehouse
CHART=chart
VALUES=hack/kind/values.yaml

# A tiny image that runs as any user: the probe and the e2e workloads use it.
PAUSE_IMAGE=registry.k8s.io/pause:3.10
