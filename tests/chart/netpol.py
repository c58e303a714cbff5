"""What a rendered NetworkPolicy lets in, by the Kubernetes NetworkPolicy rules.

Enough of the semantics to ask the chart's policy questions a cluster would: does
a connection from this pod (or this address) to this port of the selected pods
get through? Only ingress; the chart's policy has nothing else.
"""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
Labels = Mapping[str, str]


@dataclass(frozen=True)
class Source:
    """Who connects: a pod (its namespace and labels) or an address outside the pod network."""

    namespace: str = ""
    labels: Labels = field(default_factory=dict)
    ip: str = ""

    @property
    def is_pod(self) -> bool:
        return bool(self.namespace)

    @property
    def namespace_labels(self) -> Labels:
        # What the API server sets on every namespace since 1.22.
        return {"kubernetes.io/metadata.name": self.namespace}


def selects(selector: Obj, labels: Labels) -> bool:
    """A LabelSelector against labels; ``{}`` selects everything."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_admits(peer: Obj, source: Source, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        if source.is_pod:
            return False  # the chart's tests keep pod sources to selectors
        address = ipaddress.ip_address(source.ip)
        block = peer["ipBlock"]
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
    if not source.is_pod:
        return False  # selectors only ever select pods
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], source.namespace_labels):
            return False
    elif source.namespace != policy_namespace:
        return False  # a podSelector alone means the policy's own namespace
    return selects(peer.get("podSelector", {}), source.labels)


def _port_matches(rule_port: Obj, port: int, named_ports: Mapping[str, int]) -> bool:
    wanted = rule_port.get("port")
    if rule_port.get("protocol", "TCP") != "TCP":
        return False
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return named_ports.get(wanted) == port
    return port == wanted or wanted <= port <= rule_port.get("endPort", wanted)


def admits(
    policy: Obj,
    source: Source,
    port: int,
    pod_labels: Labels,
    named_ports: Mapping[str, int] | None = None,
) -> bool:
    """Whether ``source`` may open a TCP connection to ``port`` of a pod with ``pod_labels``.

    A pod the policy does not select is not isolated by it: everything gets in.
    """
    spec = policy["spec"]
    if not selects(spec["podSelector"], pod_labels):
        return True
    assert "Ingress" in spec.get("policyTypes", ["Ingress"])
    for rule in spec.get("ingress") or []:
        ports = rule.get("ports")
        if ports and not any(_port_matches(p, port, named_ports or {}) for p in ports):
            continue
        peers = rule.get("from")
        if not peers:
            return True
        if any(_peer_admits(peer, source, policy["metadata"]["namespace"]) for peer in peers):
            return True
    return False
