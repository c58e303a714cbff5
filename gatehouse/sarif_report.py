"""The SARIF 2.1.0 report, one rule per policy, as GitHub code scanning reads it.

Written as the findings come: the log's opening (schema, tool, rules) first,
then one result per line, then the closing, with the run's invocation marked
unsuccessful when the report is incomplete.
"""

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO
from urllib.parse import quote

import orjson

from gatehouse.json_report import rollout_fields
from gatehouse.reports import ObjectResult, Report
from gatehouse.version import installed_version
from policies.engine import Finding, exception_note, lapse_note, standing
from policies.registry import POLICIES
from policies.workloads import MALFORMED_HELP, MALFORMED_ID, MALFORMED_SUMMARY

LEVELS = {"enforce": "error", "excepted": "note"}
SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


class SarifReport(Report):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        rules = sarif_rules()
        self.index = {rule["id"]: i for i, rule in enumerate(rules)}
        driver: dict[str, Any] = {"name": "gatehouse", "rules": rules}
        version = installed_version()
        if version:
            driver["version"] = version
        opening = orjson.dumps({"tool": {"driver": driver}}).decode()
        self.out.write(
            '{"$schema":'
            + orjson.dumps(SCHEMA).decode()
            + ',"version":"2.1.0","runs":['
            + opening[:-1]  # the run stays open for its results
            + ',"results":['
        )
        self.started = False

    def add(self, results: Iterable[ObjectResult]) -> None:
        uris: dict[str, str] = {}
        for result in results:
            if not result.findings:
                continue
            uri = uris.get(result.source)
            if uri is None:
                # A URI's separator is "/"; a backslash is one only on Windows.
                uri = uris[result.source] = quote(result.source.replace(os.sep, "/"))
            for finding in result.findings:
                item = orjson.dumps(_result(result, finding, self.index, uri)).decode()
                self.out.write(("\n" if not self.started else ",\n") + item)
                self.started = True

    def finish(
        self,
        *,
        checked: int | None = None,
        sections: Sequence[str] = (),
        problems: Sequence[str] = (),
    ) -> None:
        closing = "\n]" if self.started else "]"
        if problems:
            invocations = [
                {
                    "executionSuccessful": False,
                    "toolExecutionNotifications": [
                        {"level": "error", "message": {"text": problem}} for problem in problems
                    ],
                }
            ]
            closing += ',"invocations":' + orjson.dumps(invocations).decode()
        self.out.write(closing + "}]}\n")


def sarif_rules() -> list[dict[str, Any]]:
    described = [(p.id, p.summary, p.help) for p in POLICIES]
    described.append((MALFORMED_ID, MALFORMED_SUMMARY, MALFORMED_HELP))
    return [
        {
            "id": rule_id,
            "shortDescription": {"text": summary},
            "help": {"text": help_markdown.replace("`", ""), "markdown": help_markdown},
            "defaultConfiguration": {"level": "error"},
        }
        for rule_id, summary, help_markdown in described
    ]


def _result(result: ObjectResult, finding: Finding, index: Mapping[str, int], uri: str) -> Any:
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
    message = f"{who}: {v.message}{lapse_note(finding)}. Fix: {v.hint}."
    if finding.mode == "scheduled":
        message = f"{standing(finding)}: {message}"
    sarif: dict[str, Any] = {
        "ruleId": v.policy,
        "ruleIndex": index[v.policy],
        "level": LEVELS.get(finding.mode, "warning"),
        "message": {"text": message},
        "locations": [location],
        "properties": {
            "container": v.container or None,
            "containerType": v.container_kind,
            "mode": finding.mode,
            **rollout_fields(finding),
            **result.extra,
        },
    }
    if finding.mode == "excepted" and finding.exception is not None:
        # Code-scanning UIs show a suppressed result apart, with its justification.
        sarif["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": exception_note(finding.exception),
            }
        ]
    return sarif
