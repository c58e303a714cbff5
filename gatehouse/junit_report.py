"""The JUnit XML report, for CI systems that show test results (GitLab, Jenkins, Azure DevOps).

One test suite per file, one test case per workload and policy: a case fails
when admission would deny the workload for that policy, with each finding in
the failure's text; dry-run findings leave the case passing, with the findings
in its ``system-out``; a policy that does not apply in the workload's namespace
is a skipped case. Unreadable input is an ``error`` case in a last suite named
``gatehouse``, so a CI system that reads only this file still sees it.

It follows the JUnit XML schema that Jenkins publishes (junit-10.xsd), which
GitLab and Azure DevOps read too. Written a file at a time, as each suite's
counts are known once its file is read.
"""

import re
from collections.abc import Iterable, Sequence
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from gatehouse.reports import ObjectResult, Report
from policies.config import Config
from policies.engine import Finding
from policies.workloads import MALFORMED_ID

_VERDICTS = {
    "enforce": "denied",
    "dry-run": "would be denied (dry-run)",
    "scheduled": "to be denied once the policy enforces",
    "excepted": "allowed by an exception",
}
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class JunitReport(Report):
    def __init__(self, out: TextIO, config: Config) -> None:
        super().__init__(out)
        self.config = config
        self.out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gatehouse scan">\n'
        )

    def add(self, results: Iterable[ObjectResult]) -> None:
        cases: list[str] = []
        failures = skipped = 0
        source = None
        for result in results:
            source = result.source
            for case, outcome in self._cases(result):
                cases.append(case)
                failures += outcome == "failure"
                skipped += outcome == "skipped"
        if source is None:
            return  # no workload in this file: nothing was tested
        self.out.write(
            f'  <testsuite name={_attr(source)} tests="{len(cases)}" failures="{failures}"'
            f' errors="0" skipped="{skipped}">\n' + "".join(cases) + "  </testsuite>\n"
        )

    def finish(
        self,
        *,
        checked: int | None = None,
        sections: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        if problems:
            errors = "".join(
                f'    <testcase classname="gatehouse" name={_attr(problem)}>'
                f"<error message={_attr(problem)}/></testcase>\n"
                for problem in problems
            )
            self.out.write(
                f'  <testsuite name="gatehouse" tests="{len(problems)}" failures="0"'
                f' errors="{len(problems)}" skipped="0">\n{errors}  </testsuite>\n'
            )
        self.out.write("</testsuites>\n")

    def _cases(self, result: ObjectResult) -> Iterable[tuple[str, str]]:
        """Each test case of one workload as XML, with its outcome."""
        by_policy: dict[str, list[Finding]] = {}
        for finding in result.findings:
            by_policy.setdefault(finding.violation.policy, []).append(finding)
        malformed = MALFORMED_ID in by_policy
        name = f"{result.named} ({result.source}:{result.line})" if result.line else result.named
        namespace = result.namespace or ""
        for policy in self.config.policies:
            if not policy.enabled:
                continue
            pid = policy.policy.id
            if namespace in self.config.exempt_namespaces or namespace in policy.exempt_namespaces:
                why = f"namespace {namespace} is exempt"
            elif malformed:
                why = f"not checked: the pod spec is malformed (see {MALFORMED_ID})"
            else:
                yield _case(pid, name, result, by_policy.get(pid, []))
                continue
            yield _case_xml(pid, name, f"<skipped message={_attr(why)}/>"), "skipped"
        if malformed:
            yield _case(MALFORMED_ID, name, result, by_policy[MALFORMED_ID])


def _case(policy: str, name: str, result: ObjectResult, findings: list[Finding]) -> tuple[str, str]:
    if not findings:
        return _case_xml(policy, name, ""), "passed"
    lines = "\n".join(_finding_line(result, f) for f in findings)
    if any(f.mode == "enforce" for f in findings):
        message = "; ".join(_short(f) for f in findings)
        body = f"<failure type={_attr(policy)} message={_attr(message)}>{_text(lines)}</failure>"
        return _case_xml(policy, name, body), "failure"
    return _case_xml(policy, name, f"<system-out>{_text(lines)}</system-out>"), "passed"


def _case_xml(policy: str, name: str, body: str) -> str:
    return f"    <testcase classname={_attr(policy)} name={_attr(name)}>{body}</testcase>\n"


def _short(finding: Finding) -> str:
    label = finding.violation.container_label
    return f"container {label}: {finding.violation.message}" if label else finding.violation.message


def _finding_line(result: ObjectResult, finding: Finding) -> str:
    v = finding.violation
    line = result.line_of(finding)
    where = f"{result.source}:{line}: " if line is not None else ""
    return f"{where}{_VERDICTS[finding.mode]}: {_short(finding)} ({v.path}). Fix: {v.hint}"


def _attr(text: str) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", text))


def _text(text: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", text))
