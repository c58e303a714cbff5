"""Objects per second of ``gatehouse scan``: the real-world corpus and a generated set.

``gatehouse scan`` is a CI step, so what counts is the whole process, from
interpreter start to the (text) report written: that is timed with the real command,
next to the in-process rate (reading, policies and report, without start-up).
The corpus is read in place from ``../shared/corpus/real-world`` beside the
repository when it is there. With ``CHECKOV=/path/to/checkov`` set, Checkov
(``-d DIR --framework kubernetes secrets``) is timed on the corpus as well and
the ratio printed. The secret detector alone is timed on the corpus's literal env
values too (each value judged once per pass, the verdict cache bypassed).

    make bench-scan          # or: python -m bench.scan_bench
"""

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
from gatehouse.scan import manifest_paths, read_text, workloads
from policies.secret_detectors import detect
from policies.workloads import MalformedObject, pod_specs

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "real-world"
GENERATED_WORKLOADS = 20_000
RUNS = 5
CHECKOV_RUNS = 3


def count_workloads(directory: Path) -> int:
    total = 0
    for path in manifest_paths([str(directory)]):
        source, text = read_text(path)
        total += sum(1 for _ in workloads(text, source))
    return total


def env_literals(directory: Path) -> list[tuple[str, str]]:
    """(name, value) of every literal env value in the workloads under ``directory``."""
    pairs = []
    for path in manifest_paths([str(directory)]):
        source, text = read_text(path)
        for workload in workloads(text, source):
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
    """The least time of ``runs`` passes of ``detect`` over every pair."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for name, value in pairs:
            detect(name, value)
        best = min(best, time.perf_counter() - start)
    return best


def wall_times(command: Sequence[str], runs: int) -> list[float]:
    """Seconds per run of ``command``; exit 1 (findings) is a normal outcome."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own command line
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return times


def in_process_seconds(directory: Path) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        gatehouse_main(["scan", str(directory), "--output", os.devnull])
        best = min(best, time.perf_counter() - start)
    return best


def bench(label: str, directory: Path) -> None:
    objects = count_workloads(directory)
    gatehouse = [
        str(Path(sys.executable).with_name("gatehouse")),
        "scan",
        str(directory),
        "--output",
        os.devnull,
    ]
    times = wall_times(gatehouse, RUNS)
    median = statistics.median(times)
    in_process = in_process_seconds(directory)
    print(f"\n{label}: {objects} workloads in {directory}")
    print(
        f"  gatehouse scan, whole process: median {median:.3f} s, best {min(times):.3f} s "
        f"over {RUNS} runs = {objects / median:,.0f} objects/s"
    )
    print(
        f"  gatehouse scan, in process:    {in_process:.3f} s = "
        f"{objects / in_process:,.0f} objects/s"
    )
    pairs = env_literals(directory)
    if pairs:
        detecting = detection_seconds(pairs)
        print(
            f"  secret detection alone:        {detecting * 1000:.2f} ms for {len(pairs)} literal "
            f"env values = {detecting / len(pairs) * 1e6:.2f} us per value"
        )
    checkov = os.environ.get("CHECKOV")
    if checkov and directory == CORPUS:
        command = [checkov, "-d", str(directory), "--framework", "kubernetes", "secrets"]
        checkov_median = statistics.median(wall_times(command, CHECKOV_RUNS))
        print(
            f"  checkov, whole process:        median {checkov_median:.1f} s over "
            f"{CHECKOV_RUNS} runs = {objects / checkov_median:,.1f} objects/s"
        )
        print(f"  ratio: gatehouse scan is {checkov_median / median:,.0f}x Checkov's objects/s")


def run() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if CORPUS.is_dir():
        bench("real-world corpus", CORPUS)
    else:
        print(f"\nreal-world corpus: not found at {CORPUS}, skipped")
    if not os.environ.get("CHECKOV"):
        print("  (set CHECKOV=/path/to/checkov to time Checkov on the corpus too)")
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmp:
        generate(Path(tmp), GENERATED_WORKLOADS)
        bench("generated set", Path(tmp))


if __name__ == "__main__":
    run()
