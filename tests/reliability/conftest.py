"""Sizes and figures for the reliability tests.

Sizes come from the environment so ``make test`` runs everything small and
``make soak`` / ``make fuzz`` run the same tests large:

  SOAK_REQUESTS       reviews in the soak (default 3000; make soak: 100000)
  SOAK_FAULT_ROUNDS   kills and reloads per fault test (default 1; make soak: 5)
  HYPOTHESIS_PROFILE  "fuzz" (make fuzz) multiplies every property test's examples
  REPORT_DIR          where figures are written (default .reliability/, git-ignored)
  REPORT_NAME         the summary's file name there (default summary)

Each test records what it did through the ``ledger`` fixture (requests
survived, faults injected, inputs tried, failures); the totals are printed
at the end of the run and written to REPORT_DIR/REPORT_NAME.md.
"""

import os
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.reliability.report import FIGURES, Ledger, table, write_report

settings.register_profile(
    "fuzz",
    max_examples=2500,  # 25x the default 100; fuzzing.budget() scales every test by it
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


RELIABILITY = "tests/reliability/"


@pytest.fixture
def ledger(record_property: Callable[[str, object], None]) -> Iterator[Ledger]:
    """Figures travel as user properties of the test's teardown report (so also from xdist)."""
    counts = Ledger()
    yield counts
    for figure, count in counts.counts.items():
        record_property(figure, count)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    totals: Counter[str] = Counter()
    per_test: list[tuple[str, str]] = []
    failed = 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            if not isinstance(report, pytest.TestReport) or RELIABILITY not in report.nodeid:
                continue
            failed += report.failed
            if report.when != "teardown":
                continue
            figures: Counter[str] = Counter()
            for key, value in report.user_properties:
                if key in FIGURES:
                    figures[key] += int(str(value))
            totals.update(figures)
            if figures:
                per_test.append(
                    (
                        report.nodeid.split("::", 1)[1],
                        ", ".join(f"{k} {figures[k]}" for k in FIGURES if figures[k]),
                    )
                )
    if not per_test:
        return
    totals["failures"] += failed
    line = (
        f"requests survived {totals['requests']}, faults injected {totals['faults']}, "
        f"inputs tried {totals['inputs']}, requests cut off with a killed worker and "
        f"retried {totals['lost']}, failures: {totals['failures']}"
    )
    terminalreporter.write_sep("-", "reliability")
    terminalreporter.write_line(line)
    path = write_report(
        f"{os.environ.get('REPORT_NAME') or 'summary'}.md",
        f"Totals: {line}\n\n" + table(["test", "figures"], sorted(per_test)),
    )
    terminalreporter.write_line(f"figures written to {path}")
