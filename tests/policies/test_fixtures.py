"""Fixture manifests per policy, found automatically (polaris / kyverno-test style).

Layout: ``fixtures/<policy-id>/[<rule>/]{pass,fail}/<name>.yaml``, one manifest per
file; a rule added to a policy later (``privileged``) gets a folder of its own.
A ``fail`` fixture declares each violation it must produce on its own header line::

    # expect: spec.template.spec.containers[0].resources.limits.cpu app
    # expect: spec.template.spec.initContainers[0].resources.limits.cpu init:migrate

i.e. ``<path from the object root> <container label>``, the label being ``name``,
``init:name`` or ``ephemeral:name``. A ``pass`` fixture declares nothing and must
produce no violation of its policy (nor a malformed-object finding).
"""

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from policies.base import ContainerKind
from policies.config import Config, load_config
from policies.engine import evaluate
from policies.registry import BY_ID
from policies.workloads import MALFORMED_ID
from tests.manifests import POD_SPEC_AT

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = tuple(POD_SPEC_AT)
_EXPECT = re.compile(r"^# expect: (?P<path>\S+) (?P<label>\S+)\s*$")
_LABEL_KINDS: dict[str, ContainerKind] = {
    "init": "initContainer",
    "ephemeral": "ephemeralContainer",
}

Expected = tuple[str, str, ContainerKind | None, str]  # policy, container, kind, path


@dataclass(frozen=True)
class Fixture:
    policy: str
    rule: str  # "" for the policy's first rules, else the folder of a later one
    outcome: str  # "pass" or "fail"
    file: Path
    manifest: dict[str, object]
    expected: tuple[Expected, ...]

    @property
    def id(self) -> str:
        return "/".join(p for p in (self.policy, self.rule, self.outcome, self.file.stem) if p)


def parse_expectation(policy: str, line: str) -> Expected | None:
    match = _EXPECT.match(line)
    if match is None:
        return None
    prefix, _, name = match["label"].rpartition(":")
    kind: ContainerKind = _LABEL_KINDS[prefix] if prefix else "container"
    return (policy, name, kind, match["path"])


def load_fixture(file: Path) -> Fixture:
    policy, *rule, outcome, _ = file.relative_to(FIXTURES).parts
    text = file.read_text(encoding="utf-8")
    documents = list(yaml.safe_load_all(text))
    assert len(documents) == 1, f"{file}: one manifest per fixture file"
    expected = tuple(e for line in text.splitlines() if (e := parse_expectation(policy, line)))
    return Fixture(policy, "/".join(rule), outcome, file, documents[0], expected)


def all_fixtures() -> list[Fixture]:
    return [load_fixture(f) for f in sorted(FIXTURES.rglob("*.yaml"))]


FIXTURE_LIST = all_fixtures()


@pytest.fixture(scope="module")
def default_config() -> Config:
    return load_config()


def test_every_policy_has_fixtures() -> None:
    assert {f.policy for f in FIXTURE_LIST} == set(BY_ID)


def test_every_rule_folder_has_both_outcomes() -> None:
    outcomes: dict[tuple[str, str], set[str]] = {}
    for f in FIXTURE_LIST:
        outcomes.setdefault((f.policy, f.rule), set()).add(f.outcome)
    assert {rule: found for rule, found in outcomes.items() if found != {"pass", "fail"}} == {}


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "# expect: spec.containers[0].securityContext.runAsNonRoot app",
            ("p", "app", "container", "spec.containers[0].securityContext.runAsNonRoot"),
        ),
        (
            "# expect: spec.initContainers[2].resources.limits.cpu init:migrate",
            ("p", "migrate", "initContainer", "spec.initContainers[2].resources.limits.cpu"),
        ),
        (
            "# expect: spec.ephemeralContainers[0].env[1].value ephemeral:debug",
            ("p", "debug", "ephemeralContainer", "spec.ephemeralContainers[0].env[1].value"),
        ),
        ("# a comment mentioning expect: nothing", None),
        ("#expect: spec.containers[0] app", None),
    ],
)
def test_expectation_header_parsing(line: str, expected: Expected | None) -> None:
    assert parse_expectation("p", line) == expected


@pytest.mark.parametrize("fixture", FIXTURE_LIST, ids=lambda f: f.id)
def test_fixture_is_well_formed(fixture: Fixture) -> None:
    assert fixture.policy in BY_ID, f"{fixture.file}: directory is not a policy id"
    assert fixture.outcome in ("pass", "fail"), f"{fixture.file}: not under pass/ or fail/"
    assert "/" not in fixture.rule, f"{fixture.file}: one rule folder at most"
    assert fixture.manifest.get("kind") in KINDS, f"{fixture.file}: not a workload kind"
    if fixture.outcome == "fail":
        assert fixture.expected, f"{fixture.file}: a fail fixture needs '# expect:' lines"
    else:
        assert not fixture.expected, f"{fixture.file}: a pass fixture expects nothing"


@pytest.mark.parametrize("fixture", FIXTURE_LIST, ids=lambda f: f.id)
def test_fixture_produces_exactly_the_expected_violations(
    fixture: Fixture, default_config: Config
) -> None:
    findings = evaluate(fixture.manifest, default_config)
    assert [f.violation for f in findings if f.violation.policy == MALFORMED_ID] == []
    actual = Counter(
        (v.policy, v.container, v.container_kind, v.path)
        for v in (f.violation for f in findings)
        if v.policy == fixture.policy
    )
    assert actual == Counter(fixture.expected)


@pytest.mark.parametrize("policy", sorted({f.policy for f in FIXTURE_LIST}))
@pytest.mark.parametrize("outcome", ["pass", "fail"])
def test_every_workload_kind_has_a_fixture(policy: str, outcome: str) -> None:
    kinds = {
        f.manifest.get("kind") for f in FIXTURE_LIST if f.policy == policy and f.outcome == outcome
    }
    assert sorted(set(KINDS) - kinds) == []
