"""Render the chart for its default values and every chart/ci/*-values.yaml into a folder,
so ``gatehouse scan`` can hold Gatehouse's own workloads to its own policies."""

import sys
from pathlib import Path

from tests.chart.render import ci_values, render, to_yaml


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, values in {"default": {}, **ci_values()}.items():
        (out / f"{name}.yaml").write_text(to_yaml(render(values).objects))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
