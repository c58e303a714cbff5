"""Who answers for an object in a cluster audit: itself, or the top-most owner Gatehouse judged.

Most pods in a cluster are made by controllers: a Deployment's come from its
ReplicaSet, a CronJob's from its Job. Judging each would report one mistake
many times over, and the fix goes into the object a person wrote. So, as the
webhook does (webhook/decision.py), an object whose controller (the owner
reference with ``controller: true``) is an object Gatehouse judged is not
judged again: it is counted under that owner. An object whose controller is of
another kind (a custom operator's resource), or gone (an orphan), is judged
itself.

Objects arrive kind by kind, owners first (``cluster.AUDITED``), and each is
judged as it streams by. The index keeps, for each object that can own a
workload (every checked kind but Pod), its uid and the slot of the judged
object that answers for it: about two hundred bytes per controller, never the
object. Pods, the bulk of a cluster, are never indexed, only counted. A pod
that gained ephemeral containers (``kubectl debug``) is judged on those too:
they come from no template, so no owner answers for them.

What an object with findings leaves behind is what a report needs of it and no
more: its kind, namespace, name and uid, and its findings. Findings repeat
across a cluster (every pod from one manifest has the same ones), so equal
findings are kept once and shared, and their strings (paths, messages) are
interned: a cluster where every fifth object violates costs a few hundred bytes
per violating object, not a copy of its findings each.
"""

import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gatehouse.reports import ObjectResult
from policies.base import Json, Violation
from policies.config import Config
from policies.engine import Finding, evaluate, in_ephemeral_containers

LEAVES = frozenset({"Pod"})  # checked kinds that own no workload: never indexed
_CLEAN = -1  # the slot of an owner judged without findings: what it owns is not counted


@dataclass(slots=True)
class Judged:
    """An object judged with findings, and what it owns (pods among them), transitively."""

    kind: str
    api_version: str
    namespace: str
    name: str
    uid: str
    findings: tuple[Finding, ...]
    owned: int = 0
    pods: int = 0

    def result(self, source: str) -> ObjectResult:
        extra = {"owned": self.owned, "pods": self.pods} if self.owned else {}
        return ObjectResult(
            source, self.kind, self.namespace or None, self.name, self.findings, extra=extra
        )


class Tally:
    """What an audit has seen so far: the findings, and counts for everything else."""

    def __init__(self, config: Config, now: datetime | None = None) -> None:
        self.config = config
        self.now = now  # what enforceFrom dates and exception expiries are judged against
        self.judged: list[Judged] = []  # objects with findings, in listing order
        self.checked: Counter[str] = Counter()  # objects judged, by namespace
        self.owned = 0  # objects counted under a judged owner instead
        self.exempt = 0  # objects in exempt namespaces, passed over
        self._answers: dict[str, int] = {}  # uid of a possible owner → slot answering for it
        self._shared: dict[tuple[Finding, ...], tuple[Finding, ...]] = {}  # equal findings, once

    @property
    def seen(self) -> int:
        return self.exempt + self.owned + self.checked.total()

    def see(self, obj: Json) -> None:
        """Judge ``obj``, or count it under the owner that was judged for it."""
        metadata = obj.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        namespace = metadata.get("namespace")
        namespace = namespace if isinstance(namespace, str) else ""
        if namespace in self.config.exempt_namespaces:
            self.exempt += 1
            return
        slot = self._controller_slot(metadata)
        if slot is None:
            slot = self._judge(obj, metadata, namespace)
        else:
            if _has_ephemeral_containers(obj):
                self._judge(obj, metadata, namespace, in_ephemeral_containers)
            else:
                self.owned += 1
            if slot != _CLEAN:
                owner = self.judged[slot]
                owner.owned += 1
                owner.pods += obj.get("kind") == "Pod"
        uid = metadata.get("uid")
        if obj.get("kind") not in LEAVES and isinstance(uid, str):
            self._answers[uid] = slot

    def _controller_slot(self, metadata: Mapping[str, object]) -> int | None:
        owners = metadata.get("ownerReferences")
        for ref in owners if isinstance(owners, list) else ():
            if isinstance(ref, Mapping) and ref.get("controller") is True:
                uid = ref.get("uid")
                return self._answers.get(uid) if isinstance(uid, str) else None
        return None

    def _judge(
        self,
        obj: Json,
        metadata: Mapping[str, object],
        namespace: str,
        keep: Callable[[list[Finding]], list[Finding]] = list,
    ) -> int:
        self.checked[namespace] += 1
        findings = tuple(_lean(f) for f in keep(evaluate(obj, self.config, now=self.now)))
        if not findings:
            return _CLEAN
        uid = metadata.get("uid")
        self.judged.append(
            Judged(
                kind=sys.intern(str(obj.get("kind"))),
                api_version=sys.intern(str(obj.get("apiVersion"))),
                namespace=sys.intern(namespace),
                name=str(metadata.get("name") or ""),
                uid=uid if isinstance(uid, str) else "",
                findings=self._shared.setdefault(findings, findings),
            )
        )
        return len(self.judged) - 1


def _lean(finding: Finding) -> Finding:
    """What a report shows of a finding, its strings interned; not the fingerprint (it
    only tells an UPDATE's new secrets from old ones) nor the env var's name (it only
    matches exceptions, already applied)."""
    v = finding.violation
    return Finding(
        Violation(
            sys.intern(v.policy),
            sys.intern(v.container),
            v.container_kind,
            sys.intern(v.path),
            sys.intern(v.message),
            sys.intern(v.hint),
        ),
        finding.mode,
        finding.enforce_from,
        finding.exception,
    )


def _has_ephemeral_containers(obj: Json) -> bool:
    spec = obj.get("spec")
    return (
        obj.get("kind") == "Pod"
        and isinstance(spec, Mapping)
        and bool(spec.get("ephemeralContainers"))
    )
