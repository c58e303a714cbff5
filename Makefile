# Gatehouse: every entry point a developer or CI uses. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8443
PROBE_PORT ?= 8080
CERT_DIR ?= .dev-certs

REQUIREMENTS := requirements/runtime.txt requirements/dev.txt requirements/build.txt

# The virtualenv is rebuilt whenever a lock file changes; installs are hash-checked. The
# first build takes a minute or two, so it says what it does and counts the packages.
# setuptools' notice about editable installs (a box of stars) says nothing that applies.
$(BIN)/.installed: $(REQUIREMENTS) pyproject.toml
	@echo "venv: creating $(VENV) with the locked dependencies (a minute or two the first time)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --require-hashes --progress-bar off $(addprefix -r ,$(REQUIREMENTS)) \
	  | awk -v total="$$(grep -ho '^[A-Za-z0-9._-]*==' $(REQUIREMENTS) | sort -u | wc -l)" \
	    '/^(Collecting|Requirement already satisfied)[ :]/ && ++n % 20 == 0 { print "venv: " n " of " total " packages" } \
	     /^Installing collected packages/ { print "venv: installing them" }'
	@echo "venv: installing Gatehouse itself (editable: the checkout is what runs)"
	@PYTHONWARNINGS="ignore:Editable installation" \
	  $(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $@
	@echo "venv: ready; the CLI is $(BIN)/gatehouse"

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) \
	  | sed -e 's/$$(PORT)/$(PORT)/g' -e 's/$$(PROBE_PORT)/$(PROBE_PORT)/g' -e 's|$$(CERT_DIR)|$(CERT_DIR)|g' \
	  | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(BIN)/.installed ## create the virtualenv and install the locked dependencies

.PHONY: lock
lock: ## re-resolve requirements/*.in into hash-pinned lock files
	for set in runtime build dev; do \
	  $(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	    --no-emit-find-links -o requirements/$$set.txt requirements/$$set.in; \
	done

# trustme names the CA client.pem (what a client trusts); ca.pem says what it is.
$(CERT_DIR)/ca.pem: | $(BIN)/.installed
	mkdir -p $(CERT_DIR)
	$(BIN)/python -m trustme -q -d $(CERT_DIR) -i localhost 127.0.0.1 ::1
	mv $(CERT_DIR)/client.pem $(CERT_DIR)/ca.pem

.PHONY: certs
certs: $(CERT_DIR)/ca.pem ## a local CA (ca.pem) and a certificate for localhost (server.pem, server.key) in $(CERT_DIR)/

.PHONY: run
run: venv certs ## serve the webhook on https://127.0.0.1:$(PORT) (PORT=...), probes and metrics on http://127.0.0.1:$(PROBE_PORT) (PROBE_PORT=...)
	@$(BIN)/python hack/check_ports.py PORT=127.0.0.1:$(PORT) PROBE_PORT=127.0.0.1:$(PROBE_PORT)
	GATEHOUSE_TLS_CERT=$(CERT_DIR)/server.pem GATEHOUSE_TLS_KEY=$(CERT_DIR)/server.key \
	GATEHOUSE_BIND=127.0.0.1:$(PORT) GATEHOUSE_PROBE_BIND=127.0.0.1:$(PROBE_PORT) \
	$(BIN)/gunicorn -c python:webhook.gunicorn_conf 'webhook.app:create_app()'

.PHONY: test
test: venv ## run every test (kind e2e and cluster suites deselected: see make e2e, make cluster-test)
	$(BIN)/pytest -n auto -q

.PHONY: readme
readme: venv ## rewrite README.md's checked examples from the commands they show
	$(BIN)/python -m tests.readme_examples --write

.PHONY: bench
bench: venv ## req/s and p50/p99 of the webhook next to the bare Flask+gunicorn TLS floor
	bench/webhook_bench.sh

.PHONY: bench-hostile
bench-hostile: venv ## each attack on the webhook: the attacker's answer time and a bystander's p99 meanwhile
	$(BIN)/python -m bench.hostile_bench

.PHONY: bench-detect
bench-detect: venv ## worst time per env value of the secret detector on adversarial inputs, 1 KB to 1 MB
	$(BIN)/python -m bench.detect_bench --markdown

.PHONY: bench-tls-keys
bench-tls-keys: venv ## ECDSA P-256 and RSA-2048: time to make a key, server CPU per TLS handshake
	$(BIN)/python -m bench.tls_keys_bench

.PHONY: bench-scan
bench-scan: venv ## workloads/s and peak RSS of gatehouse scan: the real-world sample, 1k, 10k and 100k generated workloads
	$(BIN)/python -m bench.scan_bench

# --- Local testing on a kind cluster: hack/kind/, tests/e2e/, docs/testing.md "Local testing with kind" ---

.PHONY: kind-up
kind-up: ## create the gatehouse-dev kind cluster (hack/kind/cluster.yaml), or reuse it
	hack/kind/up.sh

.PHONY: kind-deploy
kind-deploy: ## build the image, load it into kind, helm upgrade --install, wait for the webhook
	hack/kind/deploy.sh

.PHONY: e2e
e2e: venv ## the e2e suite against the kind cluster (E2E_ALLOW_ANY_CONTEXT=1: current context)
	$(BIN)/pytest -m e2e tests/e2e

.PHONY: e2e-plan
e2e-plan: venv ## list the e2e scenarios (no cluster needed)
	$(BIN)/pytest --collect-only -q -m e2e tests/e2e

.PHONY: kind-down
kind-down: ## delete the kind cluster
	hack/kind/down.sh

.PHONY: kind-e2e
kind-e2e: venv ## kind-up, kind-deploy, e2e, kind-down: the cluster is deleted even on failure
	hack/kind/kind-e2e.sh

# --- A real control plane: hack/control-plane/, tests/cluster/, docs/testing.md "A real control plane" ---
CONTROL_PLANE_DIR ?= .control-plane

.PHONY: control-plane
control-plane: ## build etcd, kube-apiserver and kube-controller-manager once (needs Go; cached by version)
	hack/control-plane/build.sh >/dev/null

.PHONY: control-plane-up
control-plane-up: venv control-plane ## start the control plane on loopback and print its kubeconfig
	$(BIN)/python -m tests.cluster.control_plane up $(CONTROL_PLANE_DIR)

.PHONY: control-plane-down
control-plane-down: venv ## stop what control-plane-up started
	$(BIN)/python -m tests.cluster.control_plane down $(CONTROL_PLANE_DIR)

.PHONY: cluster-test
cluster-test: venv control-plane ## the cluster suite and the kubelet-free e2e scenarios, on the real control plane
	$(BIN)/pytest -p no:randomly --control-plane -m 'cluster or (e2e and not kubelet)' tests/cluster tests/e2e

PY_CODE := webhook policies gatehouse tests bench hack .ci
SHELL_SCRIPTS := $(shell git ls-files '*.sh') .ci/run
YAML_FILES := chart/values.yaml chart/Chart.yaml chart/ci policies/default-config.yaml .pre-commit-hooks.yaml \
	$(wildcard .github) .yamllint

.PHONY: lint
lint: venv ## everything CI checks before the tests: code, secrets, supply chain, image, shell, YAML, chart
	$(BIN)/ruff check $(PY_CODE)
	$(BIN)/ruff format --check $(PY_CODE)
	$(BIN)/mypy webhook policies gatehouse
	$(BIN)/bandit -q -ll -r webhook policies gatehouse
	$(BIN)/python .ci/scan_repo_secrets.py
	$(BIN)/python .ci/pip_audit.py
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck $(SHELL_SCRIPTS)
	$(BIN)/yamllint --strict $(YAML_FILES)
	rm -rf .lint/chart && PYTHONPATH=. $(BIN)/python .ci/render_chart.py .lint/chart
	$(BIN)/gatehouse scan .lint/chart

# --- Reliability: tests/reliability/ runs small in make test; these run it large ----------------
REPORT_DIR ?= .reliability
FUZZ_TESTS := tests/reliability/test_hostile_input.py tests/reliability/test_hostile_wire.py

.PHONY: soak
soak: venv ## long soak and fault run against real gunicorn; figures in .reliability/
	SOAK_REQUESTS=100000 SOAK_FAULT_ROUNDS=5 REPORT_DIR=$(REPORT_DIR) REPORT_NAME=soak-summary \
	$(BIN)/pytest -q -rxX -p no:randomly tests/reliability -m soak

.PHONY: fuzz
fuzz: venv ## many more hypothesis examples over the decoder, the policies and the wire
	HYPOTHESIS_PROFILE=fuzz REPORT_DIR=$(REPORT_DIR) REPORT_NAME=fuzz \
	$(BIN)/pytest -q -rxX -p no:randomly $(FUZZ_TESTS)

.PHONY: bench-audit
bench-audit: venv ## objects/s and peak RSS of gatehouse audit on 10k and 100k objects, also with a fifth violating (fake API server)
	$(BIN)/python -m bench.audit_bench
