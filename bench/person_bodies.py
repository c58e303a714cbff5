"""Re-address the floor's review bodies from a person, so Gatehouse evaluates every policy.

The floor's Pods come from the ReplicaSet controller; Gatehouse judges those at
their owner and does no policy work. A person creating the same Pod gets the
full evaluation, which is the cost worth measuring too.
"""

import json
import sys
from pathlib import Path


def main(source: Path, target: Path) -> None:
    for name in ("pod_small.json", "pod_large.json"):
        review = json.loads((source / name).read_text())
        review["request"]["userInfo"] = {"username": "alice@example.com", "groups": ["developers"]}
        (target / name).write_text(json.dumps(review))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
