"""Where the reliability figures go: markdown files under REPORT_DIR (default .reliability/)."""

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.server import REPO

# requests answered right; faults injected; hostile inputs tried; requests cut off with a
# killed worker's connections (each then answered on a new one); wrong or missing answers.
FIGURES = ("requests", "faults", "inputs", "lost", "failures")


class Ledger:
    """What one test did: counted while it runs, recorded as user properties when it ends."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, figure: str, count: int) -> None:
        assert figure in FIGURES, figure
        self.counts[figure] += count


def report_dir() -> Path:
    return Path(os.environ.get("REPORT_DIR") or REPO / ".reliability")


def write_report(name: str, text: str) -> Path:
    directory = report_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
