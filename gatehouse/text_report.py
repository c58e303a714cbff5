"""The text report: a block per finding that fits the terminal, then a summary.

Laid out as linters lay out theirs: the first line of a block holds where the
finding is, the verdict, the policy and the message, so ``grep`` finds one line
per finding with everything needed to act on it; below it, indented, the object
and container, the field's path and the fix::

    deploy/app.yaml:26: DENY no-plaintext-secrets: env AWS_ACCESS_KEY_ID holds a literal
      AWS access key id
        in    Deployment shop/payments, container app
        path  spec.template.spec.containers[0].env[1].value
        fix   move the value into a Secret and reference it with valueFrom.secretKeyRef

Text longer than the width wraps at spaces, never inside a word: a long file
name or field path stays whole, to be copied.
"""

import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TextIO

from gatehouse.reports import DEFAULT_WIDTH, ObjectResult, Report
from policies.engine import Finding, exception_note, lapse_note, standing

LABEL_WIDTH = 6  # "path  ": the detail lines' values start in one column
# DENY: admission refuses it. WARN: dry-run, or a policy not enforced yet. EXCEPT: an
# unexpired exception lets it through (its reason is shown).
VERDICTS = {"enforce": "DENY", "excepted": "EXCEPT"}
DETAIL_INDENT = "    "
WRAP_INDENT = "  "


class TextReport(Report):
    def __init__(self, out: TextIO, *, color: bool = False, width: int = DEFAULT_WIDTH) -> None:
        super().__init__(out)
        self.paint = Paint(color)
        self.width = width
        self.workloads = 0
        self.denied = 0
        self.warned_only = 0
        self.excepted = 0
        self.per_policy: Counter[str] = Counter()

    def add(self, results: Iterable[ObjectResult]) -> None:
        for result in results:
            self.workloads += 1
            if not result.findings:
                continue
            counted = [f for f in result.findings if f.mode != "excepted"]
            if result.denied:
                self.denied += 1
            elif counted:
                self.warned_only += 1
            self.excepted += len(result.findings) - len(counted)
            for finding in result.findings:
                if finding.mode != "excepted":
                    self.per_policy[finding.violation.policy] += 1
                self.out.write(self.block(result, finding) + "\n\n")

    def finish(
        self,
        *,
        checked: int | None = None,
        sections: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        paint = self.paint
        total = self.workloads if checked is None else checked
        plural = "" if total == 1 else "s"
        summary = f"{total} workload{plural} scanned, {self.denied} would be denied"
        if self.warned_only:
            summary += f", {self.warned_only} with warnings only"
        if self.excepted:
            summary += f", {self.excepted} finding{'' if self.excepted == 1 else 's'} excepted"
        lines = [f"{section}\n" for section in sections]
        if self.per_policy:
            counts = ", ".join(f"{policy} {n}" for policy, n in sorted(self.per_policy.items()))
            lines.append(self._wrap(f"Findings: {counts}"))
        elif problems:
            # "No findings." over an error reads as a pass in a CI log.
            lines.append(paint.problem("No findings in what could be read; see below."))
        else:
            lines.append(paint.ok("No findings."))
        lines.append(paint.bold(summary))
        lines.extend(paint.problem(self._wrap(f"Incomplete report: {p}")) for p in problems)
        self.out.write("\n".join(lines) + "\n")

    def block(self, result: ObjectResult, finding: Finding) -> str:
        """One finding: where, verdict, policy and message first, then the details."""
        violation, paint = finding.violation, self.paint
        line = result.line_of(finding)
        # Without a line (a cluster's object) the object itself is the place.
        where = f"{result.source}:{line}" if line is not None else result.ref
        verdict = VERDICTS.get(finding.mode, "WARN")
        head = f"{where}: {verdict} {violation.policy}:"
        message = violation.message + lapse_note(finding)
        if finding.mode == "scheduled":
            message = f"{standing(finding)}: {message}"
        # The head is the first line's indent, which is never broken, not even at a space
        # in a file name.
        first, *rest = self._wrap(message, first_indent=f"{head} ").split("\n")
        painted = f"{paint.bold(where)}: {paint.verdict(verdict)} {violation.policy}:"
        lines = [painted + first[len(head) :], *rest]
        inside = [result.named] if line is not None else []
        if violation.container_label:
            inside.append(f"container {violation.container_label}")
        details = ", ".join(inside)
        if result.extra:
            owned = ", ".join(f"{key}: {value}" for key, value in result.extra.items())
            details = f"{details} ({owned})" if details else owned
        allowed_by = (
            exception_note(finding.exception)
            if finding.mode == "excepted" and finding.exception is not None
            else ""
        )
        for label, text in (
            ("in", details),
            ("path", violation.path),
            ("why", allowed_by),
            ("fix", violation.hint),
        ):
            if text:
                lines.append(self._detail(label, text))
        return "\n".join(lines)

    def _detail(self, label: str, text: str) -> str:
        lead = DETAIL_INDENT + label.ljust(LABEL_WIDTH)
        wrapped = self._wrap(text, indent=" " * len(lead), first_indent=" " * len(lead))
        return DETAIL_INDENT + self.paint.dim(label.ljust(LABEL_WIDTH)) + wrapped[len(lead) :]

    def _wrap(self, text: str, indent: str = WRAP_INDENT, first_indent: str = "") -> str:
        return textwrap.fill(
            text,
            self.width,
            initial_indent=first_indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )


class Paint:
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

    def verdict(self, verdict: str) -> str:
        return self._style({"DENY": "31;1", "EXCEPT": "36"}.get(verdict, "33"), verdict)
