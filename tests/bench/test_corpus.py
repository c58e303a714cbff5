"""bench/corpus, the real-world sample make bench-scan reads: every file's source and licence
are on record, and the scanner reads all of it."""

import re
from collections import Counter
from pathlib import Path

from gatehouse.scan import Manifest, read_text

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "corpus"
SOURCES = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
LICENCE_FILES = {"Apache-2.0": "LICENSES/Apache-2.0.txt"}


def sections() -> dict[str, str]:
    """Each source's section of SOURCES.md, by its folder (``owner_repo``)."""
    found = {}
    for match in re.finditer(r"^## ([\w.-]+)/([\w.-]+)\n(.*?)(?=^## |\Z)", SOURCES, re.M | re.S):
        found[f"{match[1]}_{match[2]}"] = match[3]
    return found


def listed(section: str) -> dict[str, str]:
    """File → its workloads column (``Deployment 2, Pod 1``) in a section's table."""
    return dict(re.findall(r"^\| (\S[^|]*?) \| = \| (.*?) \|$", section, re.M))


def test_every_file_is_listed_under_its_source_and_every_listed_file_is_there():
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "SOURCES.md" and "LICENSES" not in p.parts
    }
    on_record = {f"{folder}/{name}" for folder, text in sections().items() for name in listed(text)}
    assert on_disk == on_record
    assert len(on_disk) > 100


def test_every_source_names_a_commit_and_a_licence_whose_text_is_here():
    assert sections()
    for folder, text in sections().items():
        assert re.search(r"^- source: github:\S+ @ [0-9a-f]{40}", text, re.M), folder
        (licence,) = re.findall(r"^- licence: ([\w.-]+)", text, re.M)
        assert licence in LICENCE_FILES, (folder, licence)
        assert f"`{LICENCE_FILES[licence]}`" in text
        assert (CORPUS / LICENCE_FILES[licence]).read_text().lstrip().startswith("Apache License")


def test_the_scanner_reads_every_file_and_finds_the_workloads_on_record():
    for folder, text in sections().items():
        for name, workloads in listed(text).items():
            source, body = read_text(str(CORPUS / folder / name))
            found = Counter(w.obj["kind"] for w in Manifest(body, source).workloads())
            expected = {k: int(n) for k, n in re.findall(r"(\w+) (\d+)", workloads)}
            assert dict(found) == expected, (folder, name)
