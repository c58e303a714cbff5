"""What ``gatehouse scan`` and ``gatehouse audit`` print: text, JSON, SARIF or JUnit XML.

Both commands hand over the same neutral input, one ``ObjectResult`` per
checked object whether it was read from a file or from a cluster, so a person
or a CI system that reads one report reads the other. A report is written as
results come: ``add`` takes one file's (or one batch's) results and writes
what it can at once, ``finish`` writes the summary, so a scan of a hundred
thousand workloads holds one file's results at a time, not all of them.
``render`` is the same thing into a string, for a command that has collected
its results anyway (the audit).

Nothing here ever prints a value from a manifest: only kinds, names, field
paths and the policies' own messages, which never quote an env value.
"""

import argparse
import io
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TextIO

from policies.engine import Finding

if TYPE_CHECKING:
    from policies.config import Config

Format = Literal["text", "json", "sarif", "junit"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "junit")
DEFAULT_WIDTH = 100  # columns of a text report that goes to no terminal (CI logs, files)
MIN_WIDTH = 40


@dataclass(frozen=True, slots=True)
class ObjectResult:
    """One checked object and what the policies found in it, wherever it came from.

    ``source`` is the file as the user named it (``<stdin>`` for standard input)
    or, for a cluster audit, something that names the cluster. ``line`` is where
    the object starts in that file; ``field_lines`` maps a finding's field path
    to its own line when the reader could tell. ``extra`` carries what one
    command knows and the other does not (``{"owned": 3}``: pods the object owns);
    it is printed as is in every format.
    """

    source: str
    kind: str
    namespace: str | None
    name: str
    findings: tuple[Finding, ...]
    line: int | None = None
    field_lines: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def denied(self) -> bool:
        """Whether admission would refuse it: dry-run findings are warnings only."""
        return any(f.mode == "enforce" for f in self.findings)

    @property
    def ref(self) -> str:
        """``Kind/namespace/name``, or ``Kind/name`` when the object names no namespace."""
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    @property
    def named(self) -> str:
        """``Kind namespace/name`` as a person reads it, ``Kind name`` without a namespace."""
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    def line_of(self, finding: Finding) -> int | None:
        return self.field_lines.get(finding.violation.path, self.line)


class Report:
    """A report being written to ``out``: ``add`` results as they come, then ``finish``."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def add(self, results: Iterable[ObjectResult]) -> None:
        """Write what can be written of ``results`` (one file's, or one batch's) now."""
        raise NotImplementedError

    def finish(
        self,
        *,
        checked: int | None = None,
        sections: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        """Close the report.

        ``checked`` is how many objects were checked when the results held only
        those with findings (an audit keeps no clean objects); ``sections`` are
        paragraphs a command adds to the text report before its summary;
        ``problems`` say why the report is incomplete (text: a line each; SARIF:
        a failed invocation with a notification each; JUnit: an error each;
        JSON, a list of findings, has no place for them: the command says so on
        stderr and by its exit status).
        """
        raise NotImplementedError


def new_report(
    fmt: Format,
    out: TextIO,
    *,
    color: bool = False,
    width: int = DEFAULT_WIDTH,
    config: "Config | None" = None,
) -> Report:
    """A report in ``fmt``; ``color`` and ``width`` shape the text format only, and
    ``config`` (which policies apply where) the JUnit format, which lists passes too."""
    # Imported here: a run pays only for the format it writes (orjson, XML escaping).
    if fmt == "json":
        from gatehouse.json_report import JsonReport

        return JsonReport(out)
    if fmt == "sarif":
        from gatehouse.sarif_report import SarifReport

        return SarifReport(out)
    if fmt == "junit":
        from gatehouse.junit_report import JunitReport

        if config is None:
            raise ValueError("a JUnit report needs the config: it lists the checks that passed")
        return JunitReport(out, config)
    from gatehouse.text_report import TextReport

    return TextReport(out, color=color, width=width)


def render(
    results: Sequence[ObjectResult],
    fmt: Format,
    *,
    color: bool = False,
    width: int = DEFAULT_WIDTH,
    config: "Config | None" = None,
    checked: int | None = None,
    sections: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> str:
    """The whole report in ``fmt`` as a string."""
    out = io.StringIO()
    report = new_report(fmt, out, color=color, width=width, config=config)
    report.add(results)
    report.finish(checked=checked, sections=sections, problems=problems)
    return out.getvalue()


class OutputError(Exception):
    """The report's file cannot be written; the message names it."""


@contextmanager
def open_output(output: str | None, fmt: Format) -> Iterator[TextIO]:
    """Where the report goes: the file ``output`` (UTF-8), or standard output.

    On standard output the text report takes the terminal's encoding and
    escapes what it cannot show (``\\xe9`` on an ASCII or cp1252 console)
    rather than failing; JSON, SARIF and JUnit are UTF-8 whatever the locale,
    as their specifications say. Raises OutputError when the file cannot be
    opened or written.
    """
    if output is not None:
        try:
            file = open(output, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        except OSError as exc:
            raise OutputError(f"{output}: cannot write: {exc.strerror or exc}") from None
        with file:
            yield file
        return
    stdout = sys.stdout
    binary = getattr(stdout, "buffer", None)
    if fmt == "text" or binary is None:
        if isinstance(stdout, io.TextIOWrapper):
            stdout.reconfigure(errors="backslashreplace")
        yield stdout
        return
    stdout.flush()
    utf8 = io.TextIOWrapper(binary, encoding="utf-8", errors="backslashreplace", newline="\n")
    try:
        yield utf8
    finally:
        try:
            utf8.flush()
        finally:
            utf8.detach()  # standard output stays open for whoever writes next


def add_format_option(parser: argparse.ArgumentParser, formats: Sequence[Format]) -> None:
    parser.add_argument(
        "-f",
        "--format",
        choices=formats,
        default="text",
        help="report format (default: text)",
    )


def wants_color(output: str | None) -> bool:
    """Colour only for a person at a terminal who has not set NO_COLOR."""
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def text_width(output: str | None) -> int:
    """Columns for the text report: ``COLUMNS`` when set, else the terminal's, else 100."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        width = int(columns)
    elif output is None and sys.stdout.isatty():
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    else:
        width = DEFAULT_WIDTH
    return max(width, MIN_WIDTH)
