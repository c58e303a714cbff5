"""Render the chart with the real Helm SDK (helm-python-sdk, Helm v4), offline or against a fake
API server.

Rendering is the slow part of every chart test, so each distinct values set is
rendered once per session (the cache key is the values' JSON).
"""

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import helm_python
import yaml

from policies.workloads import pod_specs
from tests.server import REPO

CHART_DIR = REPO / "chart"
CI_DIR = CHART_DIR / "ci"
RELEASE = "gatehouse"
NAMESPACE = "gatehouse"
# Kinds whose schemas come from CRDs that kubernetes-validate does not ship.
CRD_KINDS = frozenset({"Certificate", "Issuer", "ServiceMonitor"})

Obj = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """One rendering: the objects in template order, and NOTES.txt."""

    objects: tuple[Obj, ...]
    notes: str

    def all(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> Obj:
        found = [o for o in self.all(kind) if name is None or o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, rendered {len(found)}"
        return found[0]

    @property
    def webhook(self) -> Obj:
        """The single webhook entry of the ValidatingWebhookConfiguration."""
        (entry,) = self.one("ValidatingWebhookConfiguration")["webhooks"]
        return dict(entry)

    @property
    def pod_spec(self) -> Obj:
        return dict(self.one("Deployment")["spec"]["template"]["spec"])

    @property
    def container(self) -> Obj:
        (container,) = self.pod_spec["containers"]
        return dict(container)

    def config_text(self) -> str:
        return str(self.one("ConfigMap", f"{RELEASE}-config")["data"]["config.yaml"])

    def hooks(self) -> list[Obj]:
        return [
            o for o in self.objects if "helm.sh/hook" in (o["metadata"].get("annotations") or {})
        ]

    def workloads(self) -> list[Obj]:
        return [o for o in self.objects if o["kind"] in ("Deployment", "Pod")]

    def workload_pod_specs(self) -> list[Obj]:
        """The pod spec of each workload, found where the policies find it."""
        return [dict(found.spec) for o in self.workloads() for found in pod_specs(o)]


@functools.cache
def chart() -> helm_python.Chart:
    return helm_python.Chart.load(CHART_DIR)


def parse(manifests: dict[str, str]) -> Rendered:
    objects: list[Obj] = []
    notes = ""
    for path in sorted(manifests):
        if path.endswith("NOTES.txt"):
            notes = manifests[path]
            continue
        objects.extend(doc for doc in yaml.safe_load_all(manifests[path]) if doc)
    return Rendered(tuple(objects), notes)


def render(values: Obj | None = None, namespace: str = NAMESPACE) -> Rendered:
    return _render(json.dumps(values or {}, sort_keys=True), namespace)


@functools.cache
def _render(values_json: str, namespace: str) -> Rendered:
    return parse(
        chart().render(json.loads(values_json), name=RELEASE, namespace=namespace, is_install=True)
    )


def render_against(
    kubeconfig: str, values: Obj | None = None, namespace: str = NAMESPACE
) -> Rendered:
    """An upgrade's rendering, with ``lookup`` answered by the cluster in ``kubeconfig``."""
    with helm_python.Config(kubeconfig_content=kubeconfig, namespace=namespace) as config:
        return parse(
            config.render(chart(), values or {}, name=RELEASE, namespace=namespace, is_upgrade=True)
        )


def ci_values() -> dict[str, Obj]:
    """chart/ci/<name>-values.yaml, by name."""
    return {
        path.name.removesuffix("-values.yaml"): yaml.safe_load(path.read_text()) or {}
        for path in sorted(CI_DIR.glob("*-values.yaml"))
    }


def to_yaml(objects: Iterable[Obj]) -> str:
    return yaml.safe_dump_all(list(objects), sort_keys=False)
