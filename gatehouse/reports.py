"""What ``gatehouse scan`` and ``gatehouse audit`` print: text, JSON or SARIF.

Both commands hand over the same neutral input, one ``ObjectResult`` per
checked object whether it was read from a file or from a cluster, so a person
or a CI system that reads one report reads the other. Rendering is pure: a
list of results in, a string out; ``deliver`` is where a report leaves the
program, for every command.

Nothing here ever prints a value from a manifest: only kinds, names, field
paths and the policies' own messages, which never quote an env value.
"""

import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gatehouse.version import installed_version
from policies.engine import Finding
from policies.registry import POLICIES
from policies.workloads import MALFORMED_ID

Format = Literal["text", "json", "sarif"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif")

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# valid-pod-spec is reported by policies/workloads.py, not by a registered policy.
_MALFORMED_SUMMARY = "the object must have the shape the Kubernetes API requires"
_MALFORMED_HELP = (
    "A field Gatehouse reads has the wrong type, for example an env value written as an "
    "unquoted number or a container that is not an object. The API server rejects such an "
    "object too; `kubectl apply --dry-run=server -f FILE` shows its own message."
)


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

    def line_of(self, finding: Finding) -> int | None:
        return self.field_lines.get(finding.violation.path, self.line)


def render(
    results: Sequence[ObjectResult],
    fmt: Format,
    *,
    color: bool = False,
    checked: int | None = None,
    sections: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> str:
    """The report in ``fmt``; ``color`` adds ANSI colours to the text format only.

    ``checked`` is how many objects were checked when ``results`` holds only
    those with findings (an audit keeps no clean objects); ``sections`` are
    paragraphs a command adds to the text report before its summary;
    ``problems`` say why the report is incomplete (text: a line each; SARIF: a
    failed invocation with a notification each; JSON, a list of findings, has no
    place for them: the command says so on stderr and by its exit status).
    """
    if fmt == "json":
        return render_json(results)
    if fmt == "sarif":
        return render_sarif(results, problems=problems)
    return render_text(results, color=color, checked=checked, sections=sections, problems=problems)


def render_text(
    results: Sequence[ObjectResult],
    *,
    color: bool = False,
    checked: int | None = None,
    sections: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> str:
    """A block per object with findings, one line per finding, then a summary."""
    paint = _Paint(color)
    blocks = [_text_block(r, paint) for r in results if r.findings]
    per_policy = Counter(f.violation.policy for r in results for f in r.findings)
    denied = sum(r.denied for r in results)
    warned_only = sum(bool(r.findings) and not r.denied for r in results)
    total = len(results) if checked is None else checked
    plural = "" if total == 1 else "s"
    summary = f"{total} workload{plural} scanned, {denied} would be denied"
    if warned_only:
        summary += f", {warned_only} with dry-run findings only"
    lines = ["\n\n".join(blocks) + "\n"] if blocks else []
    lines.extend(f"{section}\n" for section in sections)
    if per_policy:
        counts = ", ".join(f"{policy} {n}" for policy, n in sorted(per_policy.items()))
        lines.append(f"Findings: {counts}")
    else:
        lines.append(paint.ok("No findings."))
    lines.append(paint.bold(summary))
    lines.extend(paint.problem(f"Incomplete report: {problem}") for problem in problems)
    return "\n".join(lines) + "\n"


def _text_block(result: ObjectResult, paint: "_Paint") -> str:
    where = result.source if result.line is None else f"{result.source}:{result.line}"
    namespaced = f"{result.namespace}/{result.name}" if result.namespace else result.name
    header = f"{paint.bold(where)}  {result.kind} {paint.bold(namespaced)}"
    header += "".join(f"  {key}: {value}" for key, value in result.extra.items())
    rows = [
        (
            f.violation.policy,
            f.violation.container_label or "-",
            f"L{line}" if (line := result.line_of(f)) is not None else "-",
            f.violation.path,
            f.violation.message,
        )
        for f in result.findings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [header]
    for finding, row in zip(result.findings, rows, strict=True):
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        hint = paint.dim(f"→ {finding.violation.hint}")
        lines.append(f"  {paint.mode(finding.mode)}  {cells}  {hint}")
    return "\n".join(lines)


class _Paint:
    """ANSI styles when colour is on, plain text otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _style(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._style("1", text)

    def dim(self, text: str) -> str:
        return self._style("2", text)

    def ok(self, text: str) -> str:
        return self._style("32", text)

    def problem(self, text: str) -> str:
        return self._style("31;1", text)

    def mode(self, mode: str) -> str:
        return self._style("31;1", "DENY") if mode == "enforce" else self._style("33", "WARN")


def render_json(results: Sequence[ObjectResult]) -> str:
    """A flat list of findings, one object each, in input order."""
    findings = [
        {
            "file": r.source,
            "line": r.line_of(f),
            "objectLine": r.line,
            "kind": r.kind,
            "namespace": r.namespace,
            "name": r.name,
            "policy": f.violation.policy,
            "container": f.violation.container or None,
            "containerType": f.violation.container_kind,
            "path": f.violation.path,
            "message": f.violation.message,
            "hint": f.violation.hint,
            "mode": f.mode,
            **r.extra,
        }
        for r in results
        for f in r.findings
    ]
    return _json_text(findings)


def render_sarif(results: Sequence[ObjectResult], *, problems: Sequence[str] = ()) -> str:
    """SARIF 2.1.0 with one rule per policy, as GitHub code scanning reads it.

    ``problems`` make the run's invocation unsuccessful, with a notification each.
    """
    from urllib.parse import quote  # here: text reports should not pay for the import

    rules = _sarif_rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    uris = {r.source: quote(r.source.replace("\\", "/")) for r in results}
    sarif_results = [
        _sarif_result(r, f, index, uris[r.source]) for r in results for f in r.findings
    ]
    driver: dict[str, Any] = {"name": "gatehouse", "rules": rules}
    version = installed_version()
    if version:
        driver["version"] = version
    run: dict[str, Any] = {"tool": {"driver": driver}, "results": sarif_results}
    if problems:
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": problem}} for problem in problems
                ],
            }
        ]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return _json_text(log)


def _sarif_rules() -> list[dict[str, Any]]:
    described = [(p.id, p.summary, sys.modules[p.check.__module__].__doc__) for p in POLICIES]
    described.append((MALFORMED_ID, _MALFORMED_SUMMARY, _MALFORMED_HELP))
    return [
        {
            "id": rule_id,
            "shortDescription": {"text": summary},
            "help": {"text": (doc or summary).strip()},
            "defaultConfiguration": {"level": "error"},
        }
        for rule_id, summary, doc in described
    ]


def _sarif_result(
    result: ObjectResult, finding: Finding, index: Mapping[str, int], uri: str
) -> Any:
    v = finding.violation
    who = f"{result.ref}, container {v.container_label}" if v.container else result.ref
    location: dict[str, Any] = {
        "logicalLocations": [
            {"name": v.path, "fullyQualifiedName": f"{result.ref}/{v.path}", "kind": "member"}
        ]
    }
    line = result.line_of(finding)
    if line is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": line},
        }
    return {
        "ruleId": v.policy,
        "ruleIndex": index[v.policy],
        "level": "error" if finding.mode == "enforce" else "warning",
        "message": {"text": f"{who}: {v.message}. Fix: {v.hint}."},
        "locations": [location],
        "properties": {
            "container": v.container or None,
            "containerType": v.container_kind,
            "mode": finding.mode,
            **result.extra,
        },
    }


def deliver(report: str, output: str | None) -> str | None:
    """Write ``report`` to ``output`` (stdout when None); the error message if that fails."""
    if output is None:
        sys.stdout.write(report)
        return None
    try:
        Path(output).write_text(report, encoding="utf-8")
    except OSError as exc:
        return f"{output}: cannot write: {exc.strerror or exc}"
    return None


def wants_color(output: str | None) -> bool:
    """Colour only for a person at a terminal who has not set NO_COLOR."""
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _json_text(value: object) -> str:
    # Imported here: orjson pulls in uuid, json and platform, a tenth of the start-up
    # of a text scan (a CI step), and only JSON and SARIF need it.
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n"
