"""chart/README.md's values table documents every key values.yaml has."""

import re

import yaml

from tests.chart.render import CHART_DIR, Obj

# Kubernetes types passed through whole: documented as one row each.
WHOLE = {"resources", "podSecurityContext", "securityContext", "updateStrategy"}


def keys(values: Obj, prefix: str = "") -> list[str]:
    found = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in WHOLE:
            found.extend(keys(value, f"{path}."))
        else:
            found.append(path)
    return found


def test_every_value_is_in_the_readme_table() -> None:
    documented = set(
        re.findall(r"^\| `([^`]+)` \|", (CHART_DIR / "README.md").read_text(), re.MULTILINE)
    )
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    assert sorted(set(keys(values)) - documented) == []
