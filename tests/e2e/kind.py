"""The names of the local kind setup, read from hack/kind/env.sh.

The shell scripts source that file and the CI workflow reads it too; the e2e
suite and tests/kind read it here, so each name is written down once.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from tests.server import REPO

ENV_FILE = REPO / "hack" / "kind" / "env.sh"
# No quotes, spaces or expansions: what bash assigns is then exactly the text.
_ASSIGNMENT = re.compile(r"([A-Z][A-Z0-9_]*)=([^\s\"'$`\\]+)")


@dataclass(frozen=True)
class KindSetup:
    cluster: str
    context: str
    config: Path
    kind_version: str
    image: str
    release: str
    namespace: str
    chart: Path
    values: Path
    pause_image: str


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    """The NAME=value lines of ``path``; any other line but comments is an error."""
    names: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(text)
        if match is None:
            raise ValueError(f"{path}:{number}: expected a plain NAME=value line, got {line!r}")
        names[match[1]] = match[2]
    return names


def load() -> KindSetup:
    env = read_env()
    return KindSetup(
        cluster=env["KIND_CLUSTER"],
        context=env["KIND_CONTEXT"],
        config=REPO / env["KIND_CONFIG"],
        kind_version=env["KIND_VERSION"],
        image=env["IMAGE"],
        release=env["RELEASE"],
        namespace=env["NAMESPACE"],
        chart=REPO / env["CHART"],
        values=REPO / env["VALUES"],
        pause_image=env["PAUSE_IMAGE"],
    )
