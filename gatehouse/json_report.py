"""The JSON report: a list of findings, one object each, in input order.

Written as the findings come: the list's items are indented as a whole list
dumped with two-space indentation would be, so the text is the same either way.
"""

from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import orjson

from gatehouse.reports import ObjectResult, Report
from policies.engine import Finding
from policies.rollout import PolicyException, show_instant


class JsonReport(Report):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.started = False

    def add(self, results: Iterable[ObjectResult]) -> None:
        for result in results:
            for finding in result.findings:
                item = orjson.dumps(json_finding(result, finding), option=orjson.OPT_INDENT_2)
                self.out.write(("[\n  " if not self.started else ",\n  ") + _indented(item))
                self.started = True

    def finish(
        self,
        *,
        checked: int | None = None,
        sections: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        self.out.write("\n]\n" if self.started else "[]\n")


def json_finding(result: ObjectResult, finding: Finding) -> dict[str, Any]:
    violation = finding.violation
    return {
        "file": result.source,
        "line": result.line_of(finding),
        "objectLine": result.line,
        "kind": result.kind,
        "namespace": result.namespace,
        "name": result.name,
        "policy": violation.policy,
        "container": violation.container or None,
        "containerType": violation.container_kind,
        "path": violation.path,
        "message": violation.message,
        "hint": violation.hint,
        "mode": finding.mode,
        **rollout_fields(finding),
        **result.extra,
    }


def rollout_fields(finding: Finding) -> dict[str, Any]:
    """When a scheduled finding starts to deny; the exception that allows it, or that lapsed."""
    fields: dict[str, Any] = {}
    if finding.enforce_from is not None:
        fields["enforceFrom"] = show_instant(finding.enforce_from)
    if finding.exception is not None:
        key = "exception" if finding.mode == "excepted" else "exceptionExpired"
        fields[key] = exception_fields(finding.exception)
    return fields


def exception_fields(exception: PolicyException) -> dict[str, Any]:
    return {
        "reason": exception.reason,
        "owner": exception.owner,
        "expires": exception.expiry,
        "ticket": exception.ticket,
        "config": exception.where,
    }


def _indented(item: bytes) -> str:
    return item.decode().replace("\n", "\n  ")
