"""Reading manifests: the quick pass over non-workloads never hides a workload.

The reference is PyYAML's own ``load_all``: whatever the text, ``workloads()``
must find exactly the objects with a pod spec that a full parse finds.
"""

import gc
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.reports import ObjectResult, Report
from gatehouse.scan import InputError, Manifest, _look, scan_paths, workloads
from policies.config import load_config
from policies.workloads import has_pod_spec


def reference(text: str) -> list[Any]:
    """The workloads in ``text`` by a full parse."""
    return [obj for obj in reference_objects(text) if has_pod_spec(obj["kind"])]


def reference_objects(text: str) -> list[Any]:
    """Every Kubernetes object (a mapping with a kind) in ``text`` by a full parse."""
    found: list[Any] = []

    def collect(obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        kind = obj.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list):
            for item in obj["items"]:
                collect(item)
        elif isinstance(kind, str):
            found.append(obj)

    for document in yaml.load_all(text, Loader=yaml.CSafeLoader):
        collect(document)
    return found


def read(text: str) -> list[Any]:
    return [w.obj for w in workloads(text, "t.yaml")]


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "app", "image": "x"}]},
}

# Ways of writing a workload's kind that a line-by-line look could miss.
HIDDEN_KINDS = [
    "{kind: Pod, spec: {containers: []}}\n",
    '{"kind": "Pod", "spec": {"containers": []}}\n',
    '"kind": Pod\nspec: {}\n',
    "'kind': Pod\nspec: {}\n",
    "kind: 'Pod'\nspec: {}\n",
    'kind: "Pod"\nspec: {}\n',
    "kind : Pod\nspec: {}\n",
    "kind:\n  Pod\nspec: {}\n",
    "kind: !!str Pod\nspec: {}\n",
    "kind: &k Pod\nspec: {}\n",
    "? kind\n: Pod\nspec: {}\n",
    "  kind: Pod\n  spec: {}\n",
    "--- !!map\nkind: Pod\nspec: {}\n",
    "--- {kind: Pod, spec: {}}\n",
    "--- &top\nkind: Pod\nspec: {}\n",
    "%YAML 1.1\n---\nkind: Pod\nspec: {}\n",
    "kind: ConfigMap\nkind: Pod\nspec: {}\n",
    "base: &b {kind: Pod}\n<<: *b\nspec: {}\n",
    'metadata: {name: "x\nkind: ConfigMap"}\nkind: Pod\nspec: {}\n',
    "kind: List\nitems:\n- kind: Pod\n  spec: {}\n",
    "kind: PodList\nitems:\n- kind: Pod\n  spec: {}\n",
    "# Source: x\n\nkind: Pod # the only workload\nspec: {}\n",
    "kind: Pod\r\nspec: {}\r\n",
]


@pytest.mark.parametrize("text", HIDDEN_KINDS)
def test_a_workload_is_found_however_its_kind_is_written(text):
    assert reference(text)  # the table itself is right
    assert _look(text) == "parse"
    assert read(f"kind: ConfigMap\n---\n{text}") == reference(text)


@pytest.mark.parametrize(
    ("text", "look"),
    [
        ("", "none"),
        ("---\n", "none"),
        ("---\n# Source: chart/templates/empty.yaml\n", "none"),
        ("apiVersion: v1\nkind: ConfigMap\ndata:\n  kind: Pod\n", "object"),
        ("apiVersion: v1\nkind: Service # a comment\nspec:\n  ports: []\n", "object"),
        ("--- # a comment\nkind: ClusterRole\nrules:\n- apiGroups: ['']\n...\n", "object"),
        ("values:\n  replicas: 3\n", "none"),
    ],
)
def test_plain_documents_without_a_workload_kind_are_passed_over(text, look):
    assert _look(text) == look
    manifest = Manifest(text, "t.yaml")
    assert list(manifest.workloads()) == []
    assert manifest.objects == len(reference_objects(text))


def test_a_skipped_document_still_has_its_syntax_checked():
    with pytest.raises(InputError, match=r"^t.yaml:5: not valid YAML \(mapping values"):
        read("kind: Pod\n---\nkind: ConfigMap\ndata:\n  a: b: c\n")


KINDS = ["Pod", "Deployment", "CronJob", "ConfigMap", "Service", "List", "Widget", "PodTemplate"]
scalars = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
objects = st.fixed_dictionaries(
    {"kind": st.sampled_from(KINDS)},
    optional={
        "metadata": st.fixed_dictionaries({"name": st.text(max_size=5)}),
        "spec": values,
        "items": st.lists(
            st.fixed_dictionaries({"kind": st.sampled_from(KINDS), "spec": values}), max_size=3
        ),
    },
)
styles = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "explicit_start": st.booleans(),
        "explicit_end": st.booleans(),
        "canonical": st.booleans(),
        "indent": st.sampled_from([2, 4]),
        "allow_unicode": st.booleans(),
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(objects, min_size=1, max_size=4), styles)
def test_any_dumped_stream_reads_like_a_full_parse(documents, style):
    text = yaml.safe_dump_all(documents, **style)
    manifest = Manifest(text, "t.yaml")
    assert [w.obj for w in manifest.workloads()] == reference(text)
    assert manifest.objects == len(reference_objects(text))


def test_lines_of_fields_point_at_the_field_or_its_nearest_parent():
    text = (
        "# Source: x\n"
        "apiVersion: v1\n"  # 2
        "kind: Pod\n"
        "spec:\n"  # 4
        "  containers:\n"
        "    - name: app\n"  # 6
        "      env:\n"
        "        - {name: A, value: x}\n"  # 8
        "        - name: B\n"  # 9
        "          value: y\n"  # 10
    )
    (pod,) = workloads(text, "t.yaml")
    assert pod.line == 2
    assert pod.line_of("spec.containers[0].env[1].value") == 10
    assert pod.line_of("spec.containers[0].env[0].value") == 8
    assert pod.line_of("spec.containers[0].resources.limits.cpu") == 6
    assert pod.line_of("spec.securityContext.runAsUser") == 4
    assert pod.line_of("spec.containers[3].image") == 5


def test_with_duplicate_keys_the_last_one_is_located_as_it_is_the_value():
    text = "kind: Pod\nspec:\n  containers: []\n  containers:\n    - name: app\n"
    (pod,) = workloads(text, "t.yaml")
    assert pod.obj["spec"]["containers"] == [{"name": "app"}]
    assert pod.line_of("spec.containers[0].image") == 5


def test_an_alias_yields_the_same_object_so_alias_bombs_stay_small():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    text = "kind: Pod\nspec:\n" + "".join(f"  {level}\n" for level in levels)
    (pod,) = workloads(text, "bomb.yaml")
    assert pod.obj["spec"]["a8"][0] is pod.obj["spec"]["a7"]


class Holding(Report):
    """A report that counts, at each file, the results of this scan still alive anywhere."""

    def __init__(self, under: Path) -> None:
        super().__init__(io.StringIO())
        self.under = str(under)
        self.alive: list[int] = []
        self.files = 0

    def add(self, results: Iterable[ObjectResult]) -> None:
        self.files += 1
        self.alive.append(
            sum(
                isinstance(o, ObjectResult) and o.source.startswith(self.under)
                for o in gc.get_objects()
            )
        )

    def finish(self, **_: object) -> None:
        """Nothing to close."""


def test_a_scan_holds_one_files_results_at_a_time(tmp_path):
    """Memory is bounded by the largest file, not the input: results reach the report a
    file at a time and nothing keeps them once it has written them."""
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}}}\nspec:\n  containers: [{{name: a}}]\n"
    )
    for index in range(30):
        text = "---\n".join(pod.format(n=n) for n in range(10))
        (tmp_path / f"f{index:02d}.yaml").write_text(text)
    report = Holding(tmp_path)
    outcome = scan_paths([str(tmp_path)], load_config(), report)
    assert (report.files, outcome.objects, outcome.denied) == (30, 300, True)
    assert max(report.alive) <= 10  # the file being reported, never the ones before
