"""no-plaintext-secrets: every format, every look-alike, paths, exemptions, and no echo.

The corpus is generated (``secret_corpus``); its labels name the format or the
kind of look-alike, so a failure says what broke without printing a value.
"""

import base64
import json
import random
import string
import uuid
from collections import Counter, defaultdict
from typing import Any

import pytest

from policies.base import OverBudget, PodSpec, SettingsError, Violation
from policies.no_plaintext_secrets import (
    HINT,
    ID,
    NAME_HINT,
    WITHHELD,
    Settings,
    check,
    parse_settings,
)
from policies.secret_detectors import detect
from tests.policies.secret_corpus import Sample, corpus

ROOT = "spec.template.spec"  # a Deployment's pod spec: paths start at the object root
CORPUS = corpus()
POSITIVES = [s for s in CORPUS if s.secret]
NEGATIVES = [s for s in CORPUS if not s.secret]
RNG = random.Random(0x5EC)  # seeded: every xdist worker collects the same cases
ALNUM = string.ascii_letters + string.digits


def chars(alphabet: str, size: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(size))


def b64url(size: int) -> str:
    return base64.urlsafe_b64encode(RNG.randbytes(size)).decode().rstrip("=")


def by_label(samples: list[Sample]) -> dict[str, list[Sample]]:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[sample.label].append(sample)
    return dict(groups)


FORMATS = by_label(POSITIVES)
LOOK_ALIKES = by_label(NEGATIVES)


def pod(*containers: dict[str, Any], path: str = ROOT, **lists: list[dict[str, Any]]) -> PodSpec:
    return PodSpec(path, {"containers": list(containers), **lists})


def container(name: str, *env: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "image": "registry.example.com/app:1.0", "env": list(env)}


def var(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


def violations_for(name: str, value: str) -> list[Violation]:
    return check(pod(container("app", var(name, value))), Settings())


@pytest.mark.parametrize("label", sorted(FORMATS))
def test_each_format_is_detected(label: str) -> None:
    sample = FORMATS[label][0]
    assert detect(sample.name, sample.value) is not None, f"{label} under {sample.name}"
    [violation] = violations_for(sample.name, sample.value)
    assert violation.policy == ID
    assert violation.message.startswith(f"env {sample.name} holds a literal ")


@pytest.mark.parametrize("label", sorted(LOOK_ALIKES))
def test_every_generated_look_alike_passes(label: str) -> None:
    flagged = [
        f"{s.name} ({detect(s.name, s.value)})"
        for s in LOOK_ALIKES[label]
        if detect(s.name, s.value) is not None
    ]
    assert not flagged, f"{label}: {', '.join(flagged)}"


@pytest.mark.parametrize(
    "name, value",
    [
        ("PASSWORD_FILE", "/run/secrets/db"),
        ("TLS_KEY", "$(CERT_DIR)/tls.key"),  # a path composed from another variable
        ("TOKEN_TTL", "3600"),
        ("TOKEN_EXPIRY", "1h"),
        ("SECRET_ROTATION_ENABLED", "true"),
        ("DB_SECRET_NAME", "db-credentials"),
        ("TOKEN_URL", "https://auth.example.com/token"),
        ("TOKEN_HEADER", "Authorization"),
        ("JWT_ALGORITHM", "HS256"),
        ("CACHE_KEY_PREFIX", "app"),
        ("SORT_KEY", "name"),
        ("PRIMARY_KEY", "id"),
        ("KEYCLOAK_URL", "https://keycloak.example.com/realms/main"),
        ("MONKEY", "banana"),
        ("BYPASS", "true"),
        ("PASSTHROUGH", "enabled"),
        ("COMPASS_HOST", "compass.internal"),
        ("AUTHOR", "Jane Doe"),
        ("OAUTH_URL", "https://oauth.example.com/authorize"),
        ("JAVA_OPTS", "-Xmx512m -Dfoo=bar"),
        ("IMAGE", "registry.example.com/app@sha256:" + "0123456789abcdef" * 4),
        ("REQUEST_ID", "550e8400-e29b-41d4-a716-446655440000"),
        ("TRACEPARENT", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("GIT_COMMIT", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
        ("TLS_CERT", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAg\n-----END CERTIFICATE-----"),
        ("SSH_KEY", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsab ci@example"),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json"),
        ("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"),
        ("API_KEY", "${API_KEY}"),
        ("DB_PASSWORD", ""),
        ("DB_PASSWORD", "   "),
        ("CLIENT_SECRET", "<your client secret>"),
        ("MAX_TOKENS", "128000"),
        ("IMAGE_PULL_SECRET", "regcred"),
        ("RECAPTCHA_SITE_KEY", "6Le" + "Ab1Cd2Ef3G" * 3 + "hIjKlMn"),  # public, AWS-secret-shaped
        ("GOOGLE_API_KEY", "GOOGLE_API_KEY_VALUE"),  # a marker awaiting substitution
        ("GITHUB_TOKEN", "${{ secrets.GITHUB_TOKEN }}"),
        ("ALLOW_EMPTY_PASSWORD", "yes"),
        ("LOG_LEVEL", "info"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4317"),
        ("AWS_SECRETS_MANAGER_SECRET_ID", "prod/app/db"),  # where the secret is, not the secret
        ("VAULT_SECRET_ID", "secret/data/app"),
        ("SECRET_ID", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
        ("AWS_ACCESS_KEY_ID", "$(AWS_ACCESS_KEY_ID)"),
        ("S3_ACCESS_KEY_ID", "minio"),
        ("CALLBACK_URL", "https://app.example.com:8443/done?by=ops@example.com"),  # a port
        ("REPO", "git@github.com:org/repo.git"),
        ("CONTACT", "mailto:ops@example.com"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-dataset=prod,x-scope-orgid=tenant-1"),
    ],
)
def test_hard_negative_passes(name: str, value: str) -> None:
    assert detect(name, value) is None
    assert violations_for(name, value) == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("AWS_ACCESS_KEY", "AKIA" + "IOSFODNN7EXAMPLE"),  # AWS's documented example, still caught
        ("MYSQL_ROOT_PASSWORD", "password"),  # a demo password is a real one once deployed
        ("POSTGRES_PASSWORD", "changeme"),
        ("REDIS_PASSWORD", "123456"),  # digits under a password name are a PIN, not a count
        ("dbPassword", "hunter2"),
        ("GITHUB_TOKEN", "not-a-real-token-but-literal"),
        ("JAVA_OPTS", "-Xmx512m -Djavax.net.ssl.trustStorePassword=" + "changeit"),
        ("DATABASE_URL", "postgres://app:" + "s3cr3t" + "@db:5432/app"),
        ("REDIS_URL", "redis://:" + "hunter22" + "@redis:6379/0"),
        ("ENCRYPTION_KEY", "0123456789abcdef" * 4),
    ],
)
def test_literal_secrets_are_flagged(name: str, value: str) -> None:
    assert detect(name, value) is not None


@pytest.mark.parametrize(
    "name, value",
    [
        pytest.param(
            "JWT_PRIVATE_JWK",
            json.dumps(
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": b64url(32),
                    "y": b64url(32),
                    "d": b64url(32),
                }
            ),
            id="private-jwk-any-name",
        ),
        pytest.param(
            "SPACES_ACCESS_KEY_ID",
            chars(string.ascii_uppercase + string.digits, 20),
            id="generated-access-key-id",
        ),
        pytest.param(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-honeycomb-dataset=prod,x-honeycomb-team=" + chars(ALNUM, 32),
            id="header-list-with-key",
        ),
        pytest.param(
            "REDIS_URL",
            f"redis://:{chars(ALNUM, 8)}#{chars(ALNUM, 6)}@redis:6379/0",
            id="url-password-with-raw-hash",
        ),
        pytest.param(
            "VAULT_SECRET_ID",
            str(uuid.UUID(bytes=RNG.randbytes(16), version=4)),
            id="approle-secret-id",
        ),
    ],
)
def test_holdout_misses_are_flagged(name: str, value: str) -> None:
    """Regressions from the independent holdout: each a class of secret, not one value."""
    assert detect(name, value) is not None


@pytest.mark.parametrize(
    "source",
    [
        {"secretKeyRef": {"name": "db", "key": "password"}},
        {"configMapKeyRef": {"name": "settings", "key": "token"}},
        {"fieldRef": {"fieldPath": "metadata.name"}},
        {"resourceFieldRef": {"resource": "limits.memory"}},
    ],
)
def test_value_from_passes(source: dict[str, Any]) -> None:
    env = {"name": "DB_PASSWORD", "valueFrom": source}
    assert check(pod(container("app", env)), Settings()) == []


def test_paths_start_at_the_object_root() -> None:
    leak = var("GITHUB_TOKEN", "gh" + "p_" + "a1B2" * 9)
    deployment = pod(
        container("web", var("LOG_LEVEL", "info")),
        container("api", var("A", "1"), var("B", "2"), var("C", "3"), leak),
        initContainers=[container("migrate", leak)],
        ephemeralContainers=[container("debug", var("X", "y"), leak)],
    )
    found = {(v.path, v.container, v.container_kind) for v in check(deployment, Settings())}
    assert found == {
        (f"{ROOT}.containers[1].env[3].value", "api", "container"),
        (f"{ROOT}.initContainers[0].env[0].value", "migrate", "initContainer"),
        (f"{ROOT}.ephemeralContainers[0].env[1].value", "debug", "ephemeralContainer"),
    }


def test_message_names_the_variable_and_the_detector() -> None:
    [violation] = violations_for("AWS_ACCESS_KEY_ID", "AKIA" + "IOSFODNN7EXAMPLE")
    assert violation.message == "env AWS_ACCESS_KEY_ID holds a literal AWS access key id"
    assert violation.hint == HINT
    assert "secretKeyRef" in violation.hint


def test_cronjob_path() -> None:
    root = "spec.jobTemplate.spec.template.spec"
    [violation] = check(pod(container("job", var("DB_PASSWORD", "hunter2")), path=root), Settings())
    assert violation.path == f"{root}.containers[0].env[0].value"


@pytest.mark.parametrize(
    "patterns, name, flagged",
    [
        ((), "LEGACY_DB_PASSWORD", True),
        (("LEGACY_*",), "LEGACY_DB_PASSWORD", False),
        (("SENTRY_DSN", "LEGACY_*"), "SENTRY_DSN", False),
        (("LEGACY_*",), "legacy_db_password", True),  # Kubernetes env names are case-sensitive
        (("*_PASSWORD",), "DB_PASSWORD", False),
        (("DB_PASSWORD",), "DB_PASSWORD_2", True),
    ],
)
def test_env_name_exemptions(patterns: tuple[str, ...], name: str, flagged: bool) -> None:
    dsn = (
        "https://"
        + "0123456789abcdef" * 2
        + ":"
        + "fedcba9876543210" * 2
        + "@o1.ingest.sentry.io/1"
    )
    value = dsn if "DSN" in name else "hunter2"
    found = check(pod(container("app", var(name, value))), Settings(exempt_env_names=patterns))
    assert bool(found) is flagged


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({}, Settings()),
        ({"enabled": True}, Settings()),
        ({"exemptions": {"namespaces": ["dev"]}}, Settings()),
        ({"exemptions": {"envNames": None}}, Settings()),
        (
            {"enabled": True, "exemptions": {"envNames": ["SENTRY_DSN", "LEGACY_*"]}},
            Settings(exempt_env_names=("SENTRY_DSN", "LEGACY_*")),
        ),
    ],
)
def test_parse_settings(raw: dict[str, Any], expected: Settings) -> None:
    assert parse_settings(raw) == expected


NOT_STRINGS = "exemptions.envNames: expected a list of strings"


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"exemptions": {"envNames": "LEGACY_*"}}, NOT_STRINGS),
        ({"exemptions": {"envNames": ["A", 1]}}, NOT_STRINGS),
        ({"exemptions": {"envNames": {"A": True}}}, NOT_STRINGS),
        ({"exemptions": ["envNames"]}, "exemptions: expected a mapping"),
    ],
)
def test_parse_settings_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    assert str(caught.value) == message


def _leaks(value: str, text: str) -> bool:
    if value in text:
        return True
    return any(value[i : i + 8] in text for i in range(len(value) - 7))


@pytest.mark.parametrize("label", sorted(FORMATS))
def test_never_echo_the_value(label: str) -> None:
    """No part of a secret may reach a message, hint, path or repr: they go to logs and clients."""
    for sample in FORMATS[label]:
        found = violations_for(sample.name, sample.value)
        assert len(found) == 1, f"{label}: {sample.name} not flagged"
        violation = found[0]
        for text in (violation.message, violation.hint, violation.path, repr(violation)):
            assert not _leaks(sample.value, text), f"{label}: {sample.name} echoed in {text[:40]}"


def test_corpus_precision_and_recall() -> None:
    flagged = {i for i, s in enumerate(CORPUS) if detect(s.name, s.value) is not None}
    true_pos = sum(1 for i in flagged if CORPUS[i].secret)
    precision = true_pos / len(flagged)
    recall = true_pos / len(POSITIVES)
    misses = Counter(s.label for i, s in enumerate(CORPUS) if s.secret and i not in flagged)
    false_alarms = Counter(s.label for i, s in enumerate(CORPUS) if not s.secret and i in flagged)
    assert precision >= 0.97 and recall >= 0.97, (
        f"precision {precision:.3f}, recall {recall:.3f}; "
        f"missed per format: {dict(misses)}; false alarms per look-alike: {dict(false_alarms)}"
    )


def test_every_format_keeps_its_recall() -> None:
    weak = {}
    for label, samples in FORMATS.items():
        recall = sum(detect(s.name, s.value) is not None for s in samples) / len(samples)
        if recall < 0.9:
            weak[label] = round(recall, 2)
    assert not weak, f"formats below 0.9 recall: {weak}"


def test_corpus_is_broad() -> None:
    assert len(CORPUS) >= 600
    assert len(FORMATS) >= 35
    assert len(NEGATIVES) >= 250
    assert corpus() == CORPUS  # seeded: every run, every worker sees the same rows


PUBLISHABLE = "pk_live_" + "0a1B2c3D4e5F6g7H8i9J"  # Stripe's publishable shape: public by design


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"reportPublicKeys": True}, Settings(report_public_keys=True)),
        ({"reportPublicKeys": False}, Settings()),
    ],
)
def test_parse_report_public_keys(raw: dict[str, Any], expected: Settings) -> None:
    assert parse_settings(raw) == expected


@pytest.mark.parametrize("bad", ["yes", 1, None, ["true"]])
def test_report_public_keys_must_be_a_boolean(bad: object) -> None:
    with pytest.raises(SettingsError, match="reportPublicKeys: expected true or false"):
        parse_settings({"reportPublicKeys": bad})


def test_public_keys_are_reported_only_when_the_setting_asks() -> None:
    leak = pod(container("web", var("NEXT_PUBLIC_STRIPE_KEY", PUBLISHABLE)))
    assert check(leak, Settings()) == []
    [violation] = check(leak, Settings(report_public_keys=True))
    assert violation.message == "env NEXT_PUBLIC_STRIPE_KEY holds a literal Stripe publishable key"


TOKEN_NAME = "gh" + "p_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"  # a GitHub token pasted as a name


def test_a_name_that_holds_a_credential_is_reported_with_the_name_withheld() -> None:
    found = check(
        pod(container("app", var(TOKEN_NAME, "hunter2"), {"name": TOKEN_NAME, "valueFrom": {}})),
        Settings(exempt_env_names=("*",)),  # an exemption excuses values, never such a name
    )
    assert [(v.path, v.message, v.hint) for v in found] == [
        (
            f"{ROOT}.containers[0].env[0].name",
            "env (name withheld) holds a literal GitHub token in its name",
            NAME_HINT,
        ),
        (
            f"{ROOT}.containers[0].env[1].name",
            "env (name withheld) holds a literal GitHub token in its name",
            NAME_HINT,
        ),
    ]


def test_a_value_under_such_a_name_is_reported_with_the_name_withheld() -> None:
    url = "postgres://app:" + "s3cr3t" + "@db:5432/app"
    found = check(pod(container("app", var(TOKEN_NAME, url))), Settings())
    messages = [v.message for v in found]
    assert messages[1] == "env (name withheld) holds a literal URL with embedded credentials"
    for violation in found:
        for text in (violation.message, violation.hint, violation.path, repr(violation)):
            assert not _leaks(TOKEN_NAME, text)


def test_an_ordinary_name_is_shown() -> None:
    [violation] = violations_for("DB_PASSWORD", "hunter2")
    assert "DB_PASSWORD" in violation.message and WITHHELD not in violation.message


class _RunsOutAfter:
    """A deadline that passes after ``checks`` checks: where the policy checks it."""

    def __init__(self, checks: int) -> None:
        self.left = checks

    def check(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise OverBudget


def test_thousands_of_remembered_verdicts_still_meet_the_deadline() -> None:
    """A remembered verdict skips the deadline check; every 256 variables one is made
    all the same, so a container of thousands of repeats cannot run past the budget."""
    env = [var("LOG_LEVEL", "debug")] * 1000
    check(pod(container("warm", var("LOG_LEVEL", "debug"))), Settings())  # remembered now
    deadline = _RunsOutAfter(1)  # the container's own check passes; the next one fails
    spec = PodSpec(ROOT, {"containers": [container("app", *env)]}, deadline)  # type: ignore[arg-type]
    with pytest.raises(OverBudget):
        check(spec, Settings())
    assert deadline.left == -1


def test_a_name_and_value_are_judged_apart_from_the_same_name_without_a_value() -> None:
    """One remembered verdict per name and value: the name's verdict under valueFrom
    never lends the value's, nor the other way round."""
    leaky = var("AWS_ACCESS_KEY_ID", "AKIA" + "QWERTYUIOPASDFGH")
    from_secret = {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": "s"}}}
    for order in ((leaky, from_secret), (from_secret, leaky)):
        found = check(pod(container("app", *order)), Settings())
        assert [v.path.rsplit(".", 2)[-2:] for v in found] == [
            [f"env[{order.index(leaky)}]", "value"]
        ]
