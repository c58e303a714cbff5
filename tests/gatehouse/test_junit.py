"""``gatehouse scan --format junit``: valid against the JUnit schema CI systems read, and right.

The schema is the one Jenkins publishes (jenkinsci/xunit-plugin ``junit-10.xsd``,
MIT licence, in the file's header), vendored from the pytest 9.2.0 sdist on
PyPI (``testing/example_scripts/junit-10.xsd``) because tests have no network.
GitLab and Azure DevOps read the same shape.
"""

from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema

from tests.gatehouse.test_scan_cli import (
    COMPLIANT,
    LEAKY,
    SECRETS,
    SERVICE,
    line_of,
    scan,
    write,
)

SCHEMA = xmlschema.XMLSchema10(Path(__file__).with_name("junit-10.xsd"))
POLICIES = ["no-plaintext-secrets", "no-root-containers", "require-resource-limits"]


def junit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, ElementTree.Element]:
    code, out, err = scan(capsys, "--format", "junit", *argv)
    SCHEMA.validate(out)  # raises, naming the element, when the report does not fit
    for secret in SECRETS:
        assert secret not in out + err
    return code, ElementTree.fromstring(out)  # noqa: S314 - our own report


def cases(suite: ElementTree.Element) -> dict[tuple[str, str], ElementTree.Element]:
    return {(c.attrib["classname"], c.attrib["name"]): c for c in suite.iter("testcase")}


def counts(suite: ElementTree.Element) -> tuple[int, int, int, int]:
    return tuple(int(suite.attrib[k]) for k in ("tests", "failures", "errors", "skipped"))  # type: ignore[return-value]


def test_a_test_case_per_workload_and_policy_failing_with_the_messages(tmp_path, capsys):
    text = f"{SERVICE}---\n{LEAKY}"
    leaky = write(tmp_path, "leaky.yaml", text)
    ok = write(tmp_path, "ok.yaml", COMPLIANT)
    code, root = junit(capsys, leaky, ok)
    assert code == 1
    assert root.tag == "testsuites"
    first, second = root.findall("testsuite")
    assert (first.attrib["name"], second.attrib["name"]) == (leaky, ok)
    assert counts(first) == (3, 3, 0, 0)
    assert counts(second) == (3, 0, 0, 0)
    name = f"Deployment shop/payments ({leaky}:{line_of(text, 'apiVersion: apps/v1')})"
    found = cases(first)
    assert set(found) == {(policy, name) for policy in POLICIES}
    failure = found[("no-root-containers", name)].find("failure")
    assert failure is not None
    assert failure.attrib == {
        "type": "no-root-containers",
        "message": "container app: runs as root: runAsUser is 0",
    }
    assert failure.text == (
        f"{leaky}:{line_of(text, 'runAsUser: 0')}: denied: container app: runs as root: runAsUser is 0 "
        "(spec.template.spec.containers[0].securityContext.runAsUser). Fix: set "
        "securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container)"
    )
    limits = found[("require-resource-limits", name)].find("failure")
    assert limits is not None and limits.text is not None
    assert len(limits.text.splitlines()) == 4  # every finding of the policy, a line each
    secrets = found[("no-plaintext-secrets", name)].find("failure")
    assert secrets is not None
    assert secrets.attrib["message"].startswith("container app: env AWS_ACCESS_KEY_ID holds")
    passed = cases(second)[("no-root-containers", f"Pod shop/ok ({ok}:1)")]
    assert list(passed) == []


def test_dry_run_findings_pass_with_the_findings_in_system_out(tmp_path, capsys):
    config = write(tmp_path, "gatehouse.yaml", "mode: dry-run\n")
    code, root = junit(capsys, "--config", config, write(tmp_path, "leaky.yaml", LEAKY))
    assert code == 0
    (suite,) = root.findall("testsuite")
    assert counts(suite) == (3, 0, 0, 0)
    out = [c.find("system-out") for c in suite.iter("testcase")]
    assert all(o is not None and o.text and "would be denied (dry-run)" in o.text for o in out)


def test_exempt_namespaces_and_disabled_policies(tmp_path, capsys):
    config = write(
        tmp_path,
        "gatehouse.yaml",
        "policies:\n  no-plaintext-secrets: {enabled: false}\n"
        "  no-root-containers: {exemptions: {namespaces: [shop]}}\n",
    )
    system = LEAKY.replace("namespace: shop", "namespace: kube-system")
    path = write(tmp_path, "two.yaml", f"{LEAKY}---\n{system}")
    code, root = junit(capsys, "--config", config, path)
    assert code == 1
    (suite,) = root.findall("testsuite")
    found = {(k[0], k[1].split(" (")[0]): c for k, c in cases(suite).items()}
    assert set(found) == {
        (policy, f"Deployment {ns}/payments")
        for policy in ("no-root-containers", "require-resource-limits")
        for ns in ("shop", "kube-system")
    }
    skipped = found[("no-root-containers", "Deployment shop/payments")].find("skipped")
    assert skipped is not None and skipped.attrib["message"] == "namespace shop is exempt"
    for policy in ("no-root-containers", "require-resource-limits"):
        assert found[(policy, "Deployment kube-system/payments")].find("skipped") is not None
    assert counts(suite) == (4, 1, 0, 3)


def test_a_malformed_workload_fails_valid_pod_spec_and_skips_the_policies(tmp_path, capsys):
    text = LEAKY.replace("value: info", "value: 3600")
    _, root = junit(capsys, write(tmp_path, "m.yaml", text))
    (suite,) = root.findall("testsuite")
    outcomes = {k[0]: [e.tag for e in c] for k, c in cases(suite).items()}
    assert outcomes == {
        **{policy: ["skipped"] for policy in POLICIES},
        "valid-pod-spec": ["failure"],
    }


def test_unreadable_input_is_an_error_case(tmp_path, capsys):
    bad = write(tmp_path, "bad.yaml", "kind: Pod\nspec: [\n")
    code, root = junit(capsys, write(tmp_path, "ok.yaml", COMPLIANT), bad)
    assert code == 2
    suite = root.findall("testsuite")[-1]
    assert suite.attrib["name"] == "gatehouse"
    assert counts(suite) == (1, 0, 1, 0)
    (error,) = suite.iter("error")
    assert error.attrib["message"].startswith(f"{bad}:3: not valid YAML")


def test_names_that_xml_cannot_carry_are_replaced_not_a_crash(tmp_path, capsys):
    odd = LEAKY.replace("name: payments", 'name: "pay<&>\\u0001ments"')
    code, root = junit(capsys, write(tmp_path, "odd.yaml", odd))
    assert code == 1
    names = {c.attrib["name"] for c in root.iter("testcase")}
    assert all("pay<&>\ufffdments" in name for name in names)


def test_a_file_without_workloads_adds_no_suite(tmp_path, capsys):
    _, root = junit(capsys, write(tmp_path, "svc.yaml", SERVICE))
    assert root.findall("testsuite") == []


def test_the_schema_is_strict_enough_to_catch_a_bad_report():
    assert not SCHEMA.is_valid('<testsuites><testsuite name="x"/></testsuites>')  # no counts
    assert not SCHEMA.is_valid(
        '<testsuites><testsuite name="x" tests="1" failures="0" errors="0">'
        '<testcase name="y" file="z"/></testsuite></testsuites>'  # unknown attribute
    )
