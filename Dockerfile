# syntax=docker/dockerfile:1
# Gatehouse, the admission webhook: `docker build -t gatehouse:0.1.0 .`
#
# The base is pinned by tag and by digest (the multi-platform index of the official
# image): the tag says what it is, the digest makes a rebuild use the very same
# bytes even if the tag is re-pushed. Bump both together.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# --- build: resolve nothing, install the locked, hash-checked dependencies into a venv ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The lock file alone first: this layer is rebuilt only when the dependencies change.
COPY requirements/runtime.txt requirements/build.txt requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt -r requirements/build.txt
COPY pyproject.toml README.md ./
COPY gatehouse gatehouse
COPY policies policies
COPY webhook webhook
# The build backend came hash-checked from build.txt: no isolated env fetching its own.
RUN pip install --no-deps --no-cache-dir --no-build-isolation .

# --- runtime: the slim base plus the venv; no compilers, no sources, no pip caches ---
FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="gatehouse" \
      org.opencontainers.image.description="Kubernetes validating admission webhook: no plaintext secrets in env, no root containers, resource limits required" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm"
# A named user for tools that look the UID up; the chart runs the pod as this very
# UID/GID (values.yaml podSecurityContext), numeric so runAsNonRoot can be verified.
RUN groupadd --system --gid 65532 gatehouse \
 && useradd --system --uid 65532 --gid 65532 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin gatehouse
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532:65532
# 8443: HTTPS, /validate only (GATEHOUSE_BIND); 8080: plain HTTP, /healthz, /readyz and
# /metrics (GATEHOUSE_PROBE_BIND). The server's defaults, which the chart spells out.
EXPOSE 8443 8080
# Exactly the command line tests/server.py runs (tests/chart/test_dockerfile.py checks).
CMD ["gunicorn", "-c", "python:webhook.gunicorn_conf", "webhook.app:create_app()"]
