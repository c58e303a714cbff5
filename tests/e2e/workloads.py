"""What the e2e scenarios send, built with tests/manifests.py.

Containers run the pause image (env.sh PAUSE_IMAGE), so whatever is admitted
also starts: a scenario can wait for its replicas to be Ready.
"""

import copy
from typing import Any

from tests.e2e.kind import load
from tests.manifests import AWS_KEY_ID, container, leaky_container

PAUSE = load().pause_image

# What breaks exactly one policy, by the id the refusal must name.
_BREAKS: dict[str, dict[str, Any]] = {
    "no-plaintext-secrets": {"env": [{"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID}]},
    "no-root-containers": {"securityContext": {"runAsUser": 0}},
    "require-resource-limits": {"resources": {}},
}
POLICIES: tuple[str, ...] = tuple(_BREAKS)


def runnable(**overrides: Any) -> dict[str, Any]:
    """A compliant container that starts anywhere."""
    return container(image=PAUSE, **overrides)


def breaking(policy: str) -> dict[str, Any]:
    """A container that breaks ``policy`` and no other."""
    return runnable(**copy.deepcopy(_BREAKS[policy]))


def leaky() -> dict[str, Any]:
    """The postmortem container (a key in env, root, no limits), runnable."""
    return {**leaky_container(), "image": PAUSE}
