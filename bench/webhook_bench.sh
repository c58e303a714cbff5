#!/usr/bin/env bash
# make bench: Gatehouse against the bare Flask+gunicorn TLS floor, side by side.
#
# Both servers are pinned to CPU 0, each in its own model: the floor as its README
# measured it (2 gthread workers x 4 threads), Gatehouse one event-loop worker per core
# it may use (here 1; GATEHOUSE_WORKERS=2 to compare two), the load generator
# (wrk, 32 keep-alive connections) to CPU 1, interleaved A,B,A,B by the floor's own
# run_pair.sh. Bodies: the floor's small Pod, 30-container Pod and Deployment reviews,
# each as sent (the Pods come from the ReplicaSet controller, which Gatehouse judges at
# the owner) and re-addressed from a person, so every policy runs on every request.
#
# Then latency at a steady ARRIVAL_RATE (default 500/s) with random arrivals, which
# the floor's fixed-rate mode does not do (bench/arrivals.py says why).
#
# env: FLOOR_DIR (default ../shared/bench), PORT_FLOOR=8602 PORT_GATEHOUSE=8603
#      PORT_GATEHOUSE_PROBES=8604 (Gatehouse's plain-HTTP /readyz),
#      plus the floor's knobs (ROUNDS, default 5 here: this machine's noise needs
#      them; DURATION, CONNS, RATE, ...). Results: .bench/
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
floor="$(realpath -m "${FLOOR_DIR:-$repo/../shared/bench}")"
if [[ ! -x "$floor/run_pair.sh" ]]; then
  echo "bench: the floor harness is not at $floor (set FLOOR_DIR); nothing to compare against" >&2
  exit 2
fi
export BENCH_STATE="${BENCH_STATE:-$repo/.bench}"
export ROUNDS="${ROUNDS:-5}"
mkdir -p "$BENCH_STATE/bodies"
port_floor="${PORT_FLOOR:-8602}" port_gh="${PORT_GATEHOUSE:-8603}"
port_gh_probes="${PORT_GATEHOUSE_PROBES:-8604}"

"$floor/setup.sh" >/dev/null
"$repo/.venv/bin/python" -m bench.person_bodies "$floor/bodies" "$BENCH_STATE/bodies"

cleanup() {
  "$floor/serve_floor.sh" stop floor-orjson >/dev/null 2>&1 || true
  [[ -f "$BENCH_STATE/gatehouse.pid" ]] && kill "$(cat "$BENCH_STATE/gatehouse.pid")" 2>/dev/null || true
  rm -f "$BENCH_STATE/gatehouse.pid"
}
trap cleanup EXIT

FLOOR_JSON=orjson "$floor/serve_floor.sh" start floor-orjson "$port_floor" gthread 2 4
GATEHOUSE_BIND="127.0.0.1:$port_gh" GATEHOUSE_PROBE_BIND="127.0.0.1:$port_gh_probes" \
GATEHOUSE_TLS_CERT="$BENCH_STATE/certs/tls.crt" GATEHOUSE_TLS_KEY="$BENCH_STATE/certs/tls.key" \
  taskset -c "${SERVER_CPUS-0}" "$repo/.venv/bin/gunicorn" -c python:webhook.gunicorn_conf \
  'webhook.app:create_app()' >"$BENCH_STATE/gatehouse.log" 2>&1 &
echo $! >"$BENCH_STATE/gatehouse.pid"
for _ in $(seq 1 100); do
  curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port_gh_probes/readyz" && break
  sleep 0.1
done

summary="$BENCH_STATE/summary.txt"
: >"$summary"
for body in "$floor/bodies/pod_small.json" "$BENCH_STATE/bodies/pod_small.json" \
            "$floor/bodies/pod_large.json" "$BENCH_STATE/bodies/pod_large.json" \
            "$floor/bodies/deployment.json"; do
  label="$(basename "$body" .json)"
  if [[ "$body" == "$BENCH_STATE"* ]]; then label="$label (from a person)"; fi
  echo "== $label"
  out="$("$floor/run_pair.sh" "https://127.0.0.1:$port_floor/validate" \
         "https://127.0.0.1:$port_gh/validate" "$body")"
  echo "$out"
  {
    echo "== $label"
    grep -E '^(median|ratio_)' <<<"$out"
  } >>"$summary"
done

# Latency at a steady rate, reviews arriving at random times (bench/arrivals.py).
for body in "$floor/bodies/pod_small.json" "$BENCH_STATE/bodies/pod_small.json" \
            "$floor/bodies/deployment.json"; do
  label="$(basename "$body" .json)"
  if [[ "$body" == "$BENCH_STATE"* ]]; then label="$label (from a person)"; fi
  {
    echo "== $label at ${ARRIVAL_RATE:-500} reviews/s, random arrivals (floor, then Gatehouse)"
    (cd "$repo" && taskset -c "${LOADGEN_CPUS-1}" .venv/bin/python -m bench.arrivals "$body" \
      "https://127.0.0.1:$port_floor/validate" "https://127.0.0.1:$port_gh/validate" \
      --ca "$BENCH_STATE/certs/tls.crt" --rate "${ARRIVAL_RATE:-500}")
  } | tee -a "$summary"
done
echo
echo "Summary (A = floor, B = Gatehouse):"
cat "$summary"
