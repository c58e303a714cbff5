"""Worker memory over a soak: RSS per worker, sampled every N answered requests.

No absolute number is asserted anywhere: RSS depends on the Python build,
glibc's arenas and the machine. What a leak changes is the *shape*: memory
that keeps growing after warm-up, in proportion to the requests served.
"""

import threading
from dataclasses import dataclass, field

from tests.reliability.procfs import rss_kib
from tests.reliability.report import table

# The second half of a soak may add at most this share of a worker's first sample.
SETTLED_GROWTH = 0.25


@dataclass
class RssCurve:
    pids: tuple[int, ...]
    points: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (answered, KiB)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sample(self, answered: int) -> None:
        sizes = tuple(rss_kib(pid) for pid in self.pids)
        with self._lock:
            self.points.append((answered, sizes))

    def unsettled(self, growth: float = SETTLED_GROWTH) -> list[str]:
        """Workers whose RSS grew over the second half by more than ``growth`` x the first sample.

        The first sample is taken after warm-up (every kind of review has been
        served by then), so imports, caches and allocator arenas are already in it.
        """
        points = sorted(self.points)
        if len(points) < 3:
            return [f"only {len(points)} samples"]
        first, middle, last = points[0][1], points[len(points) // 2][1], points[-1][1]
        return [
            f"worker {pid}: {middle[i]} -> {last[i]} KiB over the second half "
            f"(first sample {first[i]} KiB)"
            for i, pid in enumerate(self.pids)
            if last[i] - middle[i] > growth * first[i]
        ]

    def markdown(self) -> str:
        header = ["requests", *(f"worker {n + 1} RSS (MiB)" for n in range(len(self.pids)))]
        rows = [
            (answered, *(f"{kib / 1024:.1f}" for kib in sizes))
            for answered, sizes in sorted(self.points)
        ]
        return table(header, rows)
