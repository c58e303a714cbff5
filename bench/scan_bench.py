"""Workloads per second and peak memory of ``gatehouse scan``, from a clone.

``gatehouse scan`` is a CI step, so what counts is the whole process, from
interpreter start to the (text) report written: the real command runs as a
subprocess, timed from start to exit, and its peak RSS is read from
``wait4``'s rusage of that very process. A child's peak RSS counts what it
inherited at fork, and this process grows as it scans in process, so the
commands are started by a small launcher process of their own. Inputs:

- the real-world sample in the repository (``bench/corpus``, see its
  SOURCES.md), and the full corpus when it is beside the checkout
  (``../shared/corpus/real-world``), each also timed in process (reading,
  policies and report, without interpreter start-up);
- generated sets of 1k, 10k and 100k workloads (bench/gen_manifests.py: 40
  workloads a file, each with a Service and a ConfigMap). A scan streams its
  report file by file, so its peak RSS should stay flat as the input grows,
  bounded by the largest file; the 100k set is also written as JSON and SARIF.

With ``CHECKOV=/path/to/checkov`` set, Checkov (``-d DIR --framework kubernetes
secrets``) is timed on the corpora as well and the ratio printed.

    make bench-scan          # or: python -m bench.scan_bench [WORKLOADS ...]
"""

import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.gen_manifests import generate
from gatehouse.cli import main as gatehouse_main
from gatehouse.scan import Manifest, manifest_paths, read_text
from policies.secret_detectors import detect
from policies.workloads import MalformedObject, pod_specs

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "bench" / "corpus"
FULL_CORPUS = REPO.parent / "shared" / "corpus" / "real-world"
SIZES = (1_000, 10_000, 100_000)
RUNS = 3
CHECKOV_RUNS = 3
GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))


def say(text: str) -> None:
    print(text, flush=True)


def count_workloads(directory: Path) -> tuple[int, int, int]:
    """Files, workloads and bytes of the manifests under ``directory``."""
    files = workloads = size = 0
    for path in manifest_paths([str(directory)]):
        source, text = read_text(path)
        files += 1
        size += len(text.encode())
        workloads += sum(1 for _ in Manifest(text, source).workloads())
    return files, workloads, size


def env_literals(directory: Path) -> list[tuple[str, str]]:
    """(name, value) of every literal env value in the workloads under ``directory``."""
    pairs = []
    for path in manifest_paths([str(directory)]):
        source, text = read_text(path)
        for workload in Manifest(text, source).workloads():
            try:
                pods = pod_specs(workload.obj)
            except MalformedObject:
                continue
            for pod in pods:
                for container in pod.containers(init=True, ephemeral=True):
                    for var in container.spec.get("env") or []:
                        if isinstance(var.get("value"), str) and var["value"]:
                            pairs.append((str(var.get("name", "")), var["value"]))
    return pairs


def detection_seconds(pairs: list[tuple[str, str]], runs: int = 30) -> float:
    """The least time of ``runs`` passes of ``detect`` over every pair (no verdict cache)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for name, value in pairs:
            detect(name, value)
        best = min(best, time.perf_counter() - start)
    return best


# The launcher: a bare interpreter that runs each command it is sent (a JSON list, a
# line) and answers its exit code, wall seconds and peak RSS in KiB.
LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    start = time.perf_counter()
    child = subprocess.Popen(json.loads(line), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    print(json.dumps([os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss]), flush=True)
"""


class Launcher:
    """The launcher process, started once, before this process grows."""

    def __init__(self) -> None:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-S", "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if process.stdin is None or process.stdout is None:
            raise RuntimeError("the launcher has no pipes")
        self.send, self.receive = process.stdin, process.stdout

    def run(self, command: Sequence[str]) -> tuple[int, float, float]:
        self.send.write(json.dumps(list(command)) + "\n")
        self.send.flush()
        code, seconds, max_rss = json.loads(self.receive.readline())
        return code, seconds, max_rss / 1024


@functools.cache
def launcher() -> Launcher:
    return Launcher()


def run_once(command: Sequence[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run; exit 1 (findings) is a normal outcome."""
    code, seconds, rss = launcher().run(command)
    if code not in (0, 1):
        sys.exit(f"{command[0]} failed ({code}): its error is above")
    return seconds, rss


def measure(directory: Path, runs: int, fmt: str = "text") -> tuple[float, float]:
    """The median wall time and the highest peak RSS of ``runs`` scans of ``directory``."""
    command = [GATEHOUSE, "scan", str(directory), "--format", fmt, "--output", os.devnull]
    results = [run_once(command) for _ in range(runs)]
    return statistics.median(s for s, _ in results), max(rss for _, rss in results)


def in_process_seconds(directory: Path) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        gatehouse_main(["scan", str(directory), "--output", os.devnull])
        best = min(best, time.perf_counter() - start)
    return best


def corpus(label: str, directory: Path) -> None:
    files, workloads, size = count_workloads(directory)
    say(f"\n{label}: {files} files, {workloads} workloads, {size / 1e6:.1f} MB ({directory})")
    seconds, rss = measure(directory, RUNS)
    say(
        f"  gatehouse scan, whole process: median {seconds:.3f} s of {RUNS} = "
        f"{workloads / seconds:,.0f} workloads/s, peak RSS {rss:.0f} MiB"
    )
    in_process = in_process_seconds(directory)
    say(
        f"  gatehouse scan, in process:    {in_process:.3f} s = "
        f"{workloads / in_process:,.0f} workloads/s"
    )
    pairs = env_literals(directory)
    if pairs:
        detecting = detection_seconds(pairs)
        say(
            f"  secret detection alone:        {detecting * 1000:.2f} ms for {len(pairs)} literal "
            f"env values = {detecting / len(pairs) * 1e6:.2f} us per value"
        )
    checkov = os.environ.get("CHECKOV")
    if checkov:
        command = [checkov, "-d", str(directory), "--framework", "kubernetes", "secrets"]
        checkov_seconds = statistics.median(run_once(command)[0] for _ in range(CHECKOV_RUNS))
        say(
            f"  checkov, whole process:        median {checkov_seconds:.1f} s of "
            f"{CHECKOV_RUNS} = {workloads / checkov_seconds:,.1f} workloads/s "
            f"(gatehouse scan: {checkov_seconds / seconds:,.0f}x)"
        )


def generated(sizes: Sequence[int]) -> None:
    say("\ngenerated sets (40 workloads a file, each with a Service and a ConfigMap):")
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as empty:
        start_rss = run_once([GATEHOUSE, "scan", "--allow-empty", empty])[1]
    say(f"  nothing to read (start-up alone): peak RSS {start_rss:.0f} MiB")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmp:
            say(f"  {size:>7,} workloads: generating...")
            generate(Path(tmp), size)
            megabytes = sum(f.stat().st_size for f in Path(tmp).rglob("*.yaml")) / 1e6
            runs = RUNS if size <= 10_000 else 1
            seconds, rss = measure(Path(tmp), runs)
            say(
                f"  {size:>7,} workloads ({megabytes:,.0f} MB): {seconds:6.2f} s "
                f"({'median of ' + str(runs) if runs > 1 else 'one run'}) = "
                f"{size / seconds:>6,.0f} workloads/s, peak RSS {rss:.0f} MiB (text)"
            )
            if size == max(sizes):
                for fmt in ("json", "sarif"):
                    seconds, rss = measure(Path(tmp), 1, fmt)
                    say(
                        f"  {size:>7,} workloads as {fmt}: {seconds:6.2f} s, peak RSS {rss:.0f} MiB"
                    )


def run(sizes: Sequence[int] = SIZES) -> None:
    say(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    launcher()  # while this process is small
    corpus("real-world sample (bench/corpus)", SAMPLE)
    if FULL_CORPUS.is_dir():
        corpus("full real-world corpus", FULL_CORPUS)
    else:
        say(f"\n(the full real-world corpus is not at {FULL_CORPUS}: the sample only)")
    if not os.environ.get("CHECKOV"):
        say("(set CHECKOV=/path/to/checkov to time Checkov on the corpora too)")
    generated(sizes)


if __name__ == "__main__":
    run([int(a) for a in sys.argv[1:]] or SIZES)
