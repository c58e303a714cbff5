"""``gatehouse scan``: check manifest files offline, as admission would check them.

Reading is the slow part of a scan and most of the bytes in real manifests are
objects without a pod spec (CRDs, ConfigMaps, RBAC), so a file is read in three
steps. libyaml checks the whole file's syntax in C, which reports every YAML
error with its line. The text is then cut at its ``---`` lines, and a document
is turned into Python objects only when it may hold a workload: one whose only
top-level ``kind:`` line names another kind, written plainly at column 0, is
passed over. Anything the cheap look cannot be sure of (flow style, quoted keys,
anchors, an indented top level) is parsed in full, so skipping never hides a
workload. The documents that are parsed keep their YAML nodes, which give each
finding the line of its field at no extra cost.

A secret must never reach the terminal: error messages name the file, the line
and libyaml's fixed description of the problem, never a snippet of the input.

Results are reported file by file as they are read (gatehouse/reports.py), so
memory holds one file's objects and results at a time, however large the input.
"""

import argparse
import gc
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from gatehouse.reports import (
    FORMATS,
    ObjectResult,
    OutputError,
    Report,
    add_format_option,
    new_report,
    open_output,
    text_width,
    wants_color,
)
from policies.base import Json
from policies.config import Config, yaml_problem
from policies.engine import evaluate
from policies.workloads import has_pod_spec

STDIN = "-"
STDIN_LABEL = "<stdin>"
SUFFIXES = (".yaml", ".yml", ".json")

# Patterns start with a newline rather than ^ so that re can scan for it quickly.
_DOCUMENT_START = re.compile(r"\n(?:---(?=[ \t\r\n]|\Z)|%)")  # a `---` line, or a directive
_BARE_MARKER = re.compile(r"---(?:[ \t]+(?:#.*)?)?\r?")
_FIRST_CONTENT = re.compile(r"^[ \t]*[^ \t\r\n#]", re.MULTILINE)
_TOP_LEVEL_LINE = re.compile(r"\n([^ \t\r\n#].*)")
_PLAIN_KEY_LINE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*:(?:[ \t].*)?\r?")
_PLAIN_KIND_LINE = re.compile(r"kind:[ \t]+([A-Za-z][A-Za-z0-9]*)(?:[ \t]+(?:#.*)?)?\r?")
_ITEM_OR_END_LINE = re.compile(r"(?:-|\.\.\.)(?:[ \t].*)?\r?")
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_STR, _SEQ, _MAP, _MERGE = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map", "merge"))
_RESOLVER = Resolver()


class InputError(Exception):
    """A manifest cannot be read; the message names the file and line, never the content."""


@dataclass(slots=True)
class Outcome:
    """What a scan found across all its input, beyond the report itself."""

    files: int = 0  # files (or standard input) read
    objects: int = 0  # Kubernetes objects among them, workloads or not
    denied: bool = False
    problems: list[str] = field(default_factory=list)  # why the report is incomplete


@dataclass(frozen=True, slots=True)
class Workload:
    """An object with a pod spec, read from a manifest, and where its fields are written."""

    source: str
    obj: Json
    node: yaml.Node
    offset: int  # lines in ``source`` before the text the node was parsed from

    @property
    def line(self) -> int:
        return self.line_of("")

    def line_of(self, path: str) -> int:
        """The 1-based line of ``path`` (``spec.containers[0].env[1].value``).

        A field that is absent (a missing limit) gets the line of its deepest
        present parent, which is where the fix goes.
        """
        node, line = self.node, self.node.start_mark.line
        for key, index in _PATH_STEP.findall(path):
            if key and isinstance(node, yaml.MappingNode):
                # Last match first: with duplicate keys the last one is the value.
                found = next((kv for kv in reversed(node.value) if kv[0].value == key), None)
                if found is None:
                    break
                line, node = found[0].start_mark.line, found[1]
            elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
                node = node.value[int(index)]
                line = node.start_mark.line
            else:
                break
        return self.offset + line + 1


def manifest_paths(paths: Sequence[str]) -> Iterator[str]:
    """Each named file as is, and the ``*.yaml``/``*.yml``/``*.json`` files under each directory.

    Directories are walked in sorted order, skipping hidden ones such as ``.git``.
    """
    for path in paths:
        if path == STDIN or not os.path.isdir(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            yield from (os.path.join(root, f) for f in sorted(files) if f.endswith(SUFFIXES))


def read_text(path: str) -> tuple[str, str]:
    """The source label and the UTF-8 text of a file, or of standard input for ``-``."""
    label = STDIN_LABEL if path == STDIN else printable(path)
    try:
        data = sys.stdin.buffer.read() if path == STDIN else Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    try:
        return label, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{label}:{line}: not UTF-8 text") from None


def printable(path: str) -> str:
    """``path`` as reports can show it: a file name that is not UTF-8 (Linux allows any
    bytes) has its odd bytes escaped, ``\\xff``, instead of breaking every format."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


class Manifest:
    """One manifest's text: the objects with a pod spec in it, and how many objects in all."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.objects = 0  # counted while ``workloads`` is iterated

    def workloads(self) -> Iterator[Workload]:
        """The objects with a pod spec, also inside ``kind: List``.

        Other objects pass without a look; a document that is not a mapping is an error.
        """
        _check_syntax(self.text, self.source)
        for offset, document in _documents(self.text):
            look = _look(document)
            if look == "object":
                self.objects += 1
            elif look == "parse":
                for found in _parse(document, self.source, offset):
                    self.objects += 1
                    if found is not None:
                        yield found


def workloads(text: str, source: str) -> Iterator[Workload]:
    """The objects with a pod spec in one manifest's text (``Manifest.workloads``)."""
    return Manifest(text, source).workloads()


def check(workload: Workload, config: Config, now: datetime | None = None) -> ObjectResult:
    """Run the policies over one workload as at ``now`` and locate each finding's field."""
    findings = tuple(evaluate(workload.obj, config, now=now))
    metadata = workload.obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    namespace = metadata.get("namespace")
    name = metadata.get("name") or metadata.get("generateName") or ""
    return ObjectResult(
        source=workload.source,
        kind=str(workload.obj["kind"]),
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        name=str(name),
        findings=findings,
        line=workload.line,
        field_lines={f.violation.path: workload.line_of(f.violation.path) for f in findings},
    )


def scan_paths(
    paths: Sequence[str],
    config: Config,
    report: Report,
    *,
    allow_empty: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Check every workload under ``paths`` into ``report``, a file at a time.

    A file that cannot be read is named on stderr as soon as it is met and makes
    the report incomplete; so do a Helm chart's templates (one line per chart:
    they are not manifests until rendered) and, unless ``allow_empty``, input
    without a single Kubernetes object, which is most often a pipeline whose
    first command failed. The cycle collector is off meanwhile: reading
    allocates millions of short-lived objects and no cycles, so it would find
    nothing and cost a fifth of the time.
    """
    outcome = Outcome()
    charts: dict[str, int] = {}  # chart directory -> templates met in it
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path in manifest_paths(paths):
            chart = helm_chart_of(path)
            if chart is not None:
                charts[chart] = charts.get(chart, 0) + 1
                continue
            try:
                source, text = read_text(path)
                manifest = Manifest(text, source)
                results = [check(w, config, now) for w in manifest.workloads()]
            except InputError as exc:
                _problem(outcome, str(exc))
                continue
            outcome.files += 1
            outcome.objects += manifest.objects
            outcome.denied = outcome.denied or any(r.denied for r in results)
            report.add(results)
    finally:
        if collecting:
            gc.enable()
    for chart, templates in charts.items():
        _problem(outcome, _chart_problem(chart, templates))
    if not (outcome.objects or outcome.problems or allow_empty):
        _problem(outcome, _nothing_checked(paths, outcome.files))
    return outcome


def helm_chart_of(path: str) -> str | None:
    """The chart's directory when ``path`` is one of a Helm chart's templates: a file
    under a ``templates`` directory that has a ``Chart.yaml`` beside it."""
    if path == STDIN:
        return None
    directory = os.path.dirname(path)
    while directory and os.path.basename(directory) != "templates":
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    if not directory:
        return None
    chart = os.path.dirname(directory) or "."
    return chart if _is_chart(chart) else helm_chart_of(chart)


@lru_cache(maxsize=1024)
def _is_chart(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "Chart.yaml"))


def _chart_problem(chart: str, templates: int) -> str:
    what = (
        "template is not a manifest"
        if templates == 1
        else (f"{templates} templates are not manifests")
    )
    shown = printable(chart)
    return (
        f"{shown}: a Helm chart; its {what} until Helm renders them: "
        f"helm template {shown} | gatehouse scan -"
    )


def _nothing_checked(paths: Sequence[str], files: int) -> str:
    named = ", ".join(STDIN_LABEL if p == STDIN else printable(p) for p in paths)
    if not files:
        return f"nothing was checked: no manifest files (*.yaml, *.yml, *.json) in {named}"
    return f"nothing was checked: no Kubernetes objects in {named} (--allow-empty accepts that)"


def _problem(outcome: Outcome, message: str) -> None:
    print(f"gatehouse: {message}", file=sys.stderr)
    outcome.problems.append(message)


def _check_syntax(text: str, source: str) -> None:
    try:
        yaml.CSafeLoader(text).raw_parse()
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, text)
        raise InputError(f"{source}:{line}: not valid YAML ({problem})") from None


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """Each document's text with the number of lines before it.

    Directives (``%YAML``, ``%TAG``) belong to the document after them and are
    rare in manifests: a text with any is handed over whole.
    """
    marks = list(_DOCUMENT_START.finditer(text))
    if text.startswith("%") or any(m.group() == "\n%" for m in marks):
        yield 0, text
        return
    starts = [0, *(m.start() + 1 for m in marks), len(text)]
    offset = 0
    for start, end in pairwise(starts):
        yield offset, text[start:end]
        offset += text.count("\n", start, end)


def _look(document: str) -> Literal["parse", "object", "none"]:
    """What a quick look at plain block-style text can tell without parsing.

    ``object``: an object whose kind holds no pod spec; ``none``: no object (only
    comments, or a mapping without ``kind``); ``parse``: anything else. Every
    top-level key of a block mapping starts a line at column 0, so reading those
    lines finds the real ``kind`` unless it is written in a way this does not
    read, and every such way answers ``parse``.
    """
    body = document
    if document.startswith("---"):
        marker, _, body = document.partition("\n")
        if not _BARE_MARKER.fullmatch(marker):
            return "parse"
    first = _FIRST_CONTENT.search(body)
    if first is None:
        return "none"  # only comments: an empty document
    if first.group()[0] in " \t":
        return "parse"
    kinds = []  # a fake `kind:` line inside a quoted scalar can only add to these
    for number, match in enumerate(_TOP_LEVEL_LINE.finditer("\n" + body)):
        line = match.group(1)
        if _PLAIN_KEY_LINE.fullmatch(line):
            if line.startswith("kind:"):
                kind = _PLAIN_KIND_LINE.fullmatch(line)
                if kind is None:
                    return "parse"
                kinds.append(kind.group(1))
        elif number == 0 or not _ITEM_OR_END_LINE.fullmatch(line):
            return "parse"
    if any(has_pod_spec(k) or k.endswith("List") for k in kinds):
        return "parse"
    return "object" if kinds else "none"


def _parse(document: str, source: str, offset: int) -> Iterator[Workload | None]:
    """The objects in one document: a Workload each, None for one without a pod spec."""
    try:
        for node, merge_keys in _compose(document):
            try:
                obj = _Builder(merge_keys).build(node)
            except _Unreadable as exc:
                raise InputError(f"{source}:{offset + exc.line}: not valid YAML ({exc})") from None
            except RecursionError:
                line = offset + node.start_mark.line + 1
                raise InputError(f"{source}:{line}: not valid YAML (nested too deeply)") from None
            yield from _objects(obj, node, source, offset)
    except yaml.MarkedYAMLError as exc:  # an anchor or alias problem, found while composing
        line = offset + (exc.problem_mark.line + 1 if exc.problem_mark else 1)
        raise InputError(f"{source}:{line}: not valid YAML (bad anchor or alias)") from None


def _compose(document: str) -> Iterator[tuple[yaml.Node, bool]]:
    """Each document's root node, and whether a merge key (``<<``) was seen so far."""
    loader = _Loader(document)
    try:
        while loader.check_node():
            yield cast(yaml.Node, loader.get_node()), loader.merge_keys
    finally:
        loader.dispose()


@lru_cache(maxsize=65536)
def _plain_tag(value: str) -> str:
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return str(tag)


class _Loader(yaml.CSafeLoader):
    """CSafeLoader with tag resolution cached, a third of the time of composing.

    libyaml calls back into Python to resolve every node's tag; manifests repeat
    the same plain values, and without path resolvers (none are registered) a
    tag depends on the node's kind and value alone.
    """

    merge_keys = False

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted, or tagged `!`: a string
                return _STR
            tag = _plain_tag(value)
            self.merge_keys = self.merge_keys or tag == _MERGE
            return tag
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to track without path resolvers."""

    def ascend_resolver(self) -> None:
        """Nothing to track without path resolvers."""


class _Unreadable(Exception):
    """A node YAML can compose but not turn into data; carries its 1-based line."""

    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem)
        self.line = node.start_mark.line + 1


class _Builder:
    """What SafeConstructor makes of a document, three times faster on manifests.

    Untagged strings, lists and mappings (nearly all of a manifest) are built
    here; numbers, booleans, explicit tags and mappings with merge keys go to
    SafeConstructor. A node reached again through an alias yields the same
    object, as in PyYAML, so an alias bomb stays small.
    """

    def __init__(self, merge_keys: bool) -> None:
        self.merge_keys = merge_keys  # whether mappings must be checked for `<<`
        self.constructor = SafeConstructor()
        self.built: dict[int, Any] = {}

    def build(self, node: yaml.Node) -> Any:
        kind = type(node)
        if kind is yaml.ScalarNode and node.tag == _STR:
            return node.value
        if id(node) in self.built:
            return self.built[id(node)]
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            items: list[Any] = []
            self.built[id(node)] = items
            for item in node.value:
                items.append(self.build(item))
            return items
        if kind is yaml.MappingNode and node.tag == _MAP and not self._merges(node):
            mapping: dict[Any, Any] = {}
            self.built[id(node)] = mapping
            for key, value in node.value:
                built_key, built_value = self.build(key), self.build(value)
                try:
                    mapping[built_key] = built_value
                except TypeError:  # unhashable; the message would quote the key
                    raise _Unreadable(key, "a key that is a list or a mapping") from None
            return mapping
        try:
            self.built[id(node)] = self.constructor.construct_object(node, deep=True)
        # SafeConstructor lets int(), base64 and datetime errors through, and their
        # messages quote the value: only the line is reported.
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            raise _Unreadable(node, "a value that does not fit its tag") from None
        return self.built[id(node)]

    def _merges(self, node: yaml.Node) -> bool:
        return self.merge_keys and any(key.tag == _MERGE for key, _ in node.value)


def _objects(obj: object, node: yaml.Node, source: str, offset: int) -> Iterator[Workload | None]:
    if obj is None:
        return
    if not isinstance(obj, dict):
        what = "a list" if isinstance(obj, list) else "a scalar"
        line = offset + node.start_mark.line + 1
        raise InputError(f"{source}:{line}: expected a Kubernetes object (a mapping), got {what}")
    kind = obj.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in obj:
        items = obj["items"]
        if items is None:
            return
        items_node = next((v for k, v in reversed(node.value) if k.value == "items"), None)
        if not isinstance(items, list) or not isinstance(items_node, yaml.SequenceNode):
            line = offset + (items_node or node).start_mark.line + 1
            raise InputError(f"{source}:{line}: expected a list of objects under items")
        for item, item_node in zip(items, items_node.value, strict=True):
            yield from _objects(item, item_node, source, offset)
    elif has_pod_spec(kind):
        yield Workload(source, obj, node, offset)
    elif isinstance(kind, str):
        yield None  # an object all the same: it passes


def add_parser(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser(
        "scan",
        parents=[common],
        help="check manifest files offline, as admission would",
        description=(
            "Check Kubernetes manifests against Gatehouse's policies without a cluster. "
            "Reads multi-document YAML, JSON, `kind: List` and `helm template` output. "
            "Objects without a pod spec pass."
        ),
        epilog=(
            "exit status: 0 nothing would be denied (dry-run findings are reported only), "
            "1 something would be denied, 2 usage error, unreadable or invalid input, or no "
            "Kubernetes object found at all"
        ),
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a manifest file, a directory (searched recursively for *.yaml, *.yml, *.json; "
        "hidden directories skipped) or - for standard input",
    )
    add_format_option(parser, FORMATS)
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="input without any Kubernetes object passes (by default it is an error: in a "
        "pipeline it most often means the command before gatehouse failed)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        with open_output(args.output, args.format) as out:
            report = new_report(
                args.format,
                out,
                color=wants_color(args.output),
                width=text_width(args.output),
                config=config,
            )
            outcome = scan_paths(
                args.paths, config, report, allow_empty=args.allow_empty, now=args.at
            )
            report.finish(problems=outcome.problems)
    except OutputError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 2
    if outcome.problems:
        return 2
    return 1 if outcome.denied else 0
