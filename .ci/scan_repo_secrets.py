"""Secret-scan the repository with Gatehouse's own detector.

Every tracked text file, line by line: a name given a quoted literal goes
through the detector as an env var would, and every long token through its
format detectors. A hit fails the scan unless ``.ci/secret-allowlist`` names it
explicitly — its file and a fingerprint of the value (a SHA-256 prefix), one
line each, with the reason — so a new token-shaped fixture is a decision, not
an accident. Findings print the file, line, detector and fingerprint: never
the value.
"""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from policies.secret_detectors import detect

ALLOWLIST = Path(".ci/secret-allowlist")
MAX_BYTES = 1024 * 1024
# A name given a quoted literal: DB_PASSWORD = "...", "apiKey": "...", password: '...'.
# Unquoted right-hand sides in source are expressions, not values.
_PAIR = re.compile(
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_.-]{2,})["']?\s*(?:=|:)\s*(?P<q>["'])(?P<value>[^"'\s]{3,})(?P=q)"""
)
_TOKEN = re.compile(r"""[^\s"'`<>(){}\[\],;]{16,}""")


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def findings(path: str, text: str) -> list[tuple[int, str, str]]:
    """(line, detector, fingerprint) for each secret-looking value in ``text``."""
    found: dict[tuple[int, str], str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _PAIR.finditer(line):
            label = detect(match["name"], match["value"])
            if label is not None:
                found[(number, fingerprint(match["value"]))] = label
        for match in _TOKEN.finditer(line):
            label = detect("VALUE", match.group())
            if label is not None:
                found.setdefault((number, fingerprint(match.group())), label)
    return [(number, label, print_) for (number, print_), label in sorted(found.items())]


def allowed() -> set[tuple[str, str]]:
    entries = set()
    for raw in ALLOWLIST.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            path, print_ = line.split()[:2]
            entries.add((path, print_))
    return entries


def main() -> int:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    allow = allowed()
    used: set[tuple[str, str]] = set()
    failures = 0
    scanned = 0
    for path in files:
        file = Path(path)
        if not file.is_file() or file.stat().st_size > MAX_BYTES or path == str(ALLOWLIST):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        scanned += 1
        for number, label, print_ in findings(path, text):
            if (path, print_) in allow:
                used.add((path, print_))
                continue
            failures += 1
            print(f"{path}:{number}: {label} [fingerprint {print_}]")
    for path, print_ in sorted(allow - used):
        print(f"{ALLOWLIST}: stale entry, nothing matches it any more: {path} {print_}")
        failures += 1
    print(f"secret scan: {scanned} files, {failures} problem(s), {len(used)} allow-listed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
