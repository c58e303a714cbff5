"""Env values must not hold literal secrets.

A value typed into a manifest lands in git, in ``kubectl get -o yaml`` and in
every backup of etcd; a ``valueFrom.secretKeyRef`` keeps it in a Secret that
RBAC and encryption at rest can protect. Ephemeral containers are checked too:
their env is as readable as any other.

What counts as a secret is decided by ``policies.secret_detectors``. A
violation names the variable and the detector, never the value nor anything
derived from it (not even its length), because violations travel to API
clients, audit logs and CI output. A variable whose *name* holds a credential
(a token pasted into the name field) is a violation of its own, and its name is
withheld from every message.
"""

import hashlib
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from policies.base import Deadline, PodSpec, SettingsError, Violation
from policies.secret_detectors import detect, detect_in_name

ID = "no-plaintext-secrets"
SETTINGS_KEYS = ("reportPublicKeys",)
EXEMPTION_KEYS = ("envNames",)
SUMMARY = "env values must not hold literal secrets"
HINT = "move the value into a Secret and reference it with valueFrom.secretKeyRef"
NAME_HINT = "rename the variable, and revoke the credential its name exposed"
WITHHELD = "(name withheld)"
HELP = (
    "An env value typed into a manifest lands in git, in `kubectl get -o yaml` and in every "
    "backup of etcd; `valueFrom.secretKeyRef` keeps it in a Secret that RBAC and encryption "
    "at rest can protect. A value is flagged when it has the shape of a known credential "
    "(cloud keys, tokens, private keys, URLs with a password), when its variable's name "
    "announces a secret (`PASSWORD`, `TOKEN`, `API_KEY`) and the value is not plainly "
    "something else (a path, a reference, a duration), or when it looks random under a name "
    "that hints at a key. Ephemeral containers are checked too. The value is never shown."
)


@dataclass(frozen=True)
class Settings:
    """``exempt_env_names``: glob patterns (``LEGACY_*``) of env var names whose values are
    never flagged. Matched case-sensitively, as Kubernetes treats ``db_password`` and
    ``DB_PASSWORD`` as two different variables. A name that itself holds a credential
    is reported all the same.

    ``report_public_keys``: also report keys public by design (Stripe ``pk_live_``,
    Sentry DSNs, Supabase anon keys), for a cluster that wants even those in Secrets.
    """

    exempt_env_names: tuple[str, ...] = ()
    report_public_keys: bool = False


def parse_settings(raw: Mapping[str, object]) -> Settings:
    exemptions = raw.get("exemptions") or {}
    if not isinstance(exemptions, Mapping):
        raise SettingsError("exemptions: expected a mapping")
    names = exemptions.get("envNames") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SettingsError("exemptions.envNames: expected a list of strings")
    report_public_keys = raw.get("reportPublicKeys", False)
    if not isinstance(report_public_keys, bool):
        raise SettingsError(f"reportPublicKeys: expected true or false, got {report_public_keys!r}")
    return Settings(exempt_env_names=tuple(names), report_public_keys=report_public_keys)


def check(pod: PodSpec, settings: Settings) -> list[Violation]:
    violations = []
    deadline = pod.deadline
    exempt_names = settings.exempt_env_names
    report_public_keys = settings.report_public_keys
    for container in pod.containers(init=True, ephemeral=True):
        for index, var in enumerate(container.spec.get("env") or ()):
            if index & 255 == 255:
                deadline.check()  # remembered verdicts skip the check: this bounds thousands
            name, value = var.get("name", ""), var.get("value")
            if not value or (exempt_names and _exempt(name, settings)):
                value = None  # no literal (valueFrom, or empty), or an accepted name
            key = hash((name, value, report_public_keys))
            verdicts = _verdicts.get(key)
            if verdicts is None:
                verdicts = _judge_and_remember(key, name, value, report_public_keys, deadline)
            in_name, label = verdicts
            if in_name is None and label is None:
                continue
            where = f"{container.path}.env[{index}]"
            if in_name is not None:
                message = f"env {WITHHELD} holds a literal {in_name} in its name"
                violations.append(
                    Violation(
                        ID,
                        container.name,
                        container.kind,
                        f"{where}.name",
                        message,
                        NAME_HINT,
                        fingerprint(name, ""),  # two pasted tokens read alike: tell them apart
                    )
                )
            if label is not None:
                shown = name if in_name is None else WITHHELD
                violations.append(
                    Violation(
                        ID,
                        container.name,
                        container.kind,
                        f"{where}.value",
                        f"env {shown} holds a literal {label}",
                        HINT,
                        fingerprint(name, value or ""),
                        env_name=shown,  # a name that holds a secret is kept nowhere
                    )
                )
    return violations


def fingerprint(name: str, value: str) -> bytes:
    """What tells one literal secret from another across an UPDATE, without keeping it.

    A keyed BLAKE2b under a key made in each process: it compares the old and new
    object of one review and means nothing elsewhere, so it cannot be used to test
    a guess at the value even where it is seen.
    """
    digest = hashlib.blake2b(name.encode(errors="surrogatepass"), key=_key, digest_size=16)
    digest.update(b"\0")
    digest.update(value.encode(errors="surrogatepass"))
    return digest.digest()


def _new_key() -> None:
    global _key
    _key = secrets.token_bytes(32)


_key = b""
_new_key()
os.register_at_fork(after_in_child=_new_key)  # each gunicorn worker keys its own


def _exempt(name: str, settings: Settings) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in settings.exempt_env_names)


# Admission traffic repeats itself: every replica of a workload carries the same env,
# and an UPDATE is judged on its old and new object. Verdicts (on the name, and on the
# value) are remembered by the hash of the name and value: SipHash under the
# interpreter's per-process random key, so the cache never holds a name or a value, and
# a lookup costs a fraction of a detection. The deadline is checked before each
# detection, the costly step; a remembered verdict costs too little to need it.
_CACHE_SIZE = 8192
_Verdicts = tuple[str | None, str | None]  # what the name holds, what the value holds
_verdicts: dict[int, _Verdicts] = {}
_verdicts_lock = threading.Lock()


def _judge_and_remember(
    key: int, name: str, value: str | None, report_public_keys: bool, deadline: Deadline
) -> _Verdicts:
    """The credentials ``name`` and ``value`` hold (``value`` None: not to be judged),
    remembered under ``key``, the hash ``check`` looks them up by."""
    deadline.check()
    in_name = detect_in_name(name)
    label = None if value is None else detect(name, value, report_public_keys=report_public_keys)
    with _verdicts_lock:
        if len(_verdicts) >= _CACHE_SIZE:
            del _verdicts[next(iter(_verdicts))]  # oldest first
        _verdicts[key] = (in_name, label)
    return in_name, label
