"""Every relative link in the documentation leads somewhere: README.md, chart/README.md and
docs/ link to each other's sections, and a section moved or renamed breaks them silently.
A link's file must exist, and its ``#anchor`` must be a heading of that file, spelled as
GitHub spells heading anchors."""

import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted([REPO / "README.md", REPO / "chart" / "README.md", *(REPO / "docs").rglob("*.md")])
FENCE = re.compile(r"^```.*?^```$", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)


def prose(path: Path) -> str:
    """The file without its code blocks, where ``#`` starts a comment, not a heading."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Each heading's anchor; a repeated one gets -1, -2, ... as on GitHub."""
    seen: Counter[str] = Counter()
    found = set()
    for heading in HEADING.findall(prose(path)):
        base = anchor(heading)
        found.add(f"{base}-{seen[base]}" if seen[base] else base)
        seen[base] += 1
    return found


def relative_links(path: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(path))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # https:, mailto:
    ]


def test_the_anchor_is_githubs() -> None:
    assert anchor("Only the API server may call `/validate`") == (
        "only-the-api-server-may-call-validate"
    )
    assert anchor("1. Install in dry-run mode") == "1-install-in-dry-run-mode"
    assert anchor("TLS: three ways") == "tls-three-ways"
    assert anchor("`make bench-scan`: the CLI") == "make-bench-scan-the-cli"


def test_the_documentation_links_to_each_other() -> None:
    assert sum(len(relative_links(p)) for p in DOCS) >= 10  # the check sees the links


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for link in relative_links(path):
        target, _, fragment = link.partition("#")
        resolved = (path.parent / target).resolve() if target else path
        if not resolved.exists():
            broken.append(f"{link}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{link}: no heading with that anchor in {resolved.name}")
    assert not broken, f"{path.relative_to(REPO)}: " + "; ".join(broken)
