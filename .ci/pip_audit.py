"""pip-audit over the runtime lock file, honest about what it could not check.

pip-audit reports "No known vulnerabilities found" even when its advisory
source was unreachable and every dependency was skipped. This says so instead.
Exit 1 on a known vulnerability; 0 otherwise, with a loud line when nothing
(or not everything) could be audited.
"""

import json
import subprocess
import sys
from pathlib import Path

LOCK = "requirements/runtime.txt"


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(pip_audit),
            "-r",
            LOCK,
            "--require-hashes",
            "--disable-pip",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(
            f"pip-audit: NOT AUDITED: pip-audit failed ({result.returncode}): "
            f"{result.stderr.strip().splitlines()[-1:] or ['no output']}"
        )
        return 0
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep['version']}: {ids}")
    audited = len(deps) - len(skipped)
    if audited == 0:
        print(
            f"pip-audit: NOT AUDITED: the advisory source is unreachable from here; "
            f"0 of {len(deps)} locked dependencies were checked"
        )
    elif skipped:
        print(
            f"pip-audit: partial: {audited} of {len(deps)} dependencies checked; skipped: "
            + ", ".join(d["name"] for d in skipped)
        )
    else:
        print(f"pip-audit: {audited} dependencies checked, {len(vulnerable)} vulnerable")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
