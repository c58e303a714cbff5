"""``gatehouse audit``: what the policies would deny among the workloads already running.

Dry-run mode shows what *new* requests would be denied; before switching to
enforce, a cluster admin also needs to know what already runs against the
policies, the question Gatekeeper's audit and Kyverno's background scans answer.

The audit lists Pods and every pod controller, owners first and page by page
(gatehouse/cluster.py), and judges each object as it streams by with the
webhook's own engine, config and exemptions. An object made by a judged
controller is counted under it, so a finding is reported once, at the object a
person wrote (gatehouse/owners.py). Memory holds the findings, an index of
controllers and one page, never the cluster.

Exit status as for ``scan``: 0 nothing would be denied, 1 something would, 2 a
usage, config or API failure. A kind that cannot be listed makes the report
partial: what could be listed is still reported, the text and SARIF reports
say the report is incomplete, and the exit status is 2 (JSON, a plain list of
findings, is left as ``scan`` prints it: stderr and the status carry it).
"""

import argparse
import gc
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from gatehouse.reports import (
    Format,
    OutputError,
    add_format_option,
    new_report,
    open_output,
    text_width,
    wants_color,
)
from policies.config import Config
from policies.rollout import parse_span

if TYPE_CHECKING:
    from gatehouse.cluster import Cluster
    from gatehouse.owners import Judged, Tally

WORST = 10  # offenders listed in the text summary
# JUnit lists every check that passed, and an audit keeps no clean objects.
FORMATS: tuple[Format, ...] = ("text", "json", "sarif")


def add_parser(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser(
        "audit",
        parents=[common],
        help="check the workloads already running in a cluster",
        description=(
            "List the Pods and pod controllers running in a cluster and report what "
            "Gatehouse would deny, each finding once, at the top-most owner it checks "
            "(a Deployment, not its ReplicaSet and Pods)."
        ),
        epilog=(
            "exit status: 0 nothing would be denied, 1 something would, 2 usage, config or "
            "API error (also when some kinds could not be listed: the report is then partial)"
        ),
    )
    add_format_option(parser, FORMATS)
    parser.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config; in a pod without "
        "either, the pod's service account)",
    )
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    parser.add_argument(
        "-n", "--namespace", help="audit this namespace only (default: all namespaces)"
    )
    parser.add_argument(
        "--write-reports",
        action="store_true",
        help="also write a PolicyReport (wgpolicyk8s.io/v1alpha2) per namespace, updated in "
        "place on every run, where that CRD is installed",
    )
    parser.add_argument(
        "--page-size",
        type=_positive,
        default=500,
        metavar="N",
        help="objects per list request (default: 500)",
    )
    parser.add_argument(
        "--expiring",
        metavar="SPAN",
        type=_span,
        help="also list the exceptions that lapse within SPAN (14d, 36h, 2w) and the "
        "workloads that will then start to fail",
    )
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when something would be denied (2 still means the audit failed)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    # Imported here: the kubernetes client is for the audit alone to pay for.
    from gatehouse import cluster, owners

    try:
        connected = cluster.connect(args.kubeconfig, args.context)
    except cluster.ClusterError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 2
    if connected.host.startswith("https:") and not connected.verifies_tls:
        print(
            f"gatehouse: warning: the kubeconfig turns off TLS verification for {connected.host} "
            "(insecure-skip-tls-verify): anyone on the way could answer as the API server",
            file=sys.stderr,
        )
    started = time.monotonic()
    tally = owners.Tally(config, args.at)
    problems, listed = _list(connected, tally, args.namespace, args.page_size, Progress(sys.stderr))
    seconds = time.monotonic() - started
    for problem in problems:
        print(f"gatehouse: {problem}", file=sys.stderr)
    if not listed:
        if len(problems) > 1:  # one fatal line says it all; several deserve a summary
            print(
                f"gatehouse: no report: none of the {len(cluster.AUDITED)} kinds could be listed",
                file=sys.stderr,
            )
        return 2
    if problems:
        print(
            f"gatehouse: the report is partial: {len(problems)} of {len(cluster.AUDITED)} "
            "kinds could not be listed",
            file=sys.stderr,
        )
    failed = False
    if args.write_reports and problems:
        print("gatehouse: PolicyReports not written: the listing is partial", file=sys.stderr)
    elif args.write_reports:
        failed = not _write_reports(connected, tally, args.namespace)
    source = f"cluster:{connected.name}"
    width = text_width(args.output)
    sections = [summary(tally, source, seconds, width)]
    if args.expiring is not None:
        lapsing = expiring(tally, args.at, args.expiring)
        if args.format == "text":
            sections.append(lapsing)
        else:  # the report's format has no place for it: it goes where problems go
            print(lapsing, file=sys.stderr)
    try:
        with open_output(args.output, args.format) as out:
            report = new_report(args.format, out, color=wants_color(args.output), width=width)
            report.add(j.result(source) for j in tally.judged)
            report.finish(checked=tally.checked.total(), sections=sections, problems=problems)
    except OutputError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 2
    if problems or failed:
        return 2
    denied = any(_denied(j) for j in tally.judged)
    return 1 if denied and not args.exit_zero else 0


def _list(
    connected: "Cluster",
    tally: "Tally",
    namespace: str | None,
    page_size: int,
    progress: "Progress",
) -> tuple[list[str], int]:
    """Feed every object to ``tally``; the problems, and how many kinds were listed whole.

    The cycle collector is off meanwhile, as in ``scan``: every page is a
    hundred thousand fresh dicts and lists without a cycle among them, and its
    passes over them cost an eighth of the time.
    """
    from gatehouse.cluster import AUDITED, ClusterError

    problems: list[str] = []
    listed = 0
    collecting = gc.isenabled()
    gc.disable()
    try:
        for kind in AUDITED:
            try:
                for obj in connected.list_objects(kind, namespace, page_size):
                    tally.see(obj)
                    progress.tick(kind.plural, tally.seen)
                listed += 1
            except ClusterError as exc:
                problems.append(str(exc))
                if exc.fatal:
                    break
    finally:
        if collecting:
            gc.enable()
        progress.clear()
    return problems, listed


def _write_reports(connected: "Cluster", tally: "Tally", namespace: str | None) -> bool:
    """A PolicyReport for every namespace with judged objects; False if the API refused."""
    from gatehouse import policy_reports
    from gatehouse.cluster import ClusterError

    by_namespace: dict[str, list[Judged]] = {ns: [] for ns in sorted(tally.checked)}
    for judged in tally.judged:
        by_namespace[judged.namespace].append(judged)
    now = time.time()
    reports = [
        policy_reports.build(ns, found, tally.checked[ns], tally.config, now)
        for ns, found in by_namespace.items()
    ]
    try:
        note = policy_reports.write(connected, reports, namespace)
    except ClusterError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return False
    if note:
        print(f"gatehouse: {note}", file=sys.stderr)
    return True


class Progress:
    """A status line on stderr while listing, for a person at a terminal; silent otherwise."""

    def __init__(self, stream: TextIO, interval: float = 0.2) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.interval = interval
        self._shown = 0.0

    def tick(self, plural: str, seen: int) -> None:
        now = time.monotonic()
        if self.enabled and now - self._shown >= self.interval:
            self.stream.write(f"\r\033[Kgatehouse: listing {plural}, {seen:,} objects so far")
            self.stream.flush()
            self._shown = now

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


def summary(tally: "Tally", source: str, seconds: float, width: int = 100) -> str:
    """Per policy, per namespace, worst offenders: the text report's overview."""
    lines = textwrap.wrap(
        f"Audit of {source}: {tally.seen:,} objects listed in {seconds:.1f} s; "
        f"{tally.checked.total():,} judged, {tally.owned:,} counted under their owners, "
        f"{tally.exempt:,} in exempt namespaces passed over.",
        width,
        break_long_words=False,
        break_on_hyphens=False,
    )
    if not tally.judged:
        return "\n".join(lines)
    per_policy: dict[str, list[Judged]] = {}
    for judged in tally.judged:
        for policy in dict.fromkeys(f.violation.policy for f in judged.findings):
            per_policy.setdefault(policy, []).append(judged)
    lines += [
        "",
        *_table(
            ("By policy", "workloads", "pods"),
            [
                (policy, str(len(found)), str(sum(map(_pods, found))))
                for policy, found in sorted(per_policy.items())
            ],
        ),
    ]
    denied = Counter(j.namespace for j in tally.judged if _denied(j))
    warned = Counter(j.namespace for j in tally.judged if not _denied(j))
    namespaces = sorted(
        {j.namespace for j in tally.judged}, key=lambda ns: (-denied[ns], -warned[ns], ns)
    )
    lines += [
        "",
        *_table(
            ("By namespace", "judged", "denied", "dry-run only"),
            [
                (ns or "-", str(tally.checked[ns]), str(denied[ns]), str(warned[ns]))
                for ns in namespaces
            ],
        ),
    ]
    clean = len(tally.checked) - len(namespaces)
    if clean:
        lines.append(f"  and {clean} namespace{'s' if clean != 1 else ''} without findings")
    worst = sorted(tally.judged, key=lambda j: (-_denied(j), -_pods(j), -len(j.findings)))
    lines += [
        "",
        *_table(
            ("Worst offenders", "findings", "pods"),
            [
                (
                    f"{j.kind} {j.namespace}/{j.name}" if j.namespace else f"{j.kind} {j.name}",
                    str(len(j.findings)),
                    str(_pods(j)),
                )
                for j in worst[:WORST]
            ],
        ),
    ]
    return "\n".join(lines)


def expiring(tally: "Tally", now: datetime, span: timedelta) -> str:
    """The exceptions that lapse within ``span`` of ``now``, each with the workloads it
    lets through today: what starts to fail, and on which day."""
    horizon = now + span
    soon = sorted(
        (e for e in tally.config.exceptions if now <= e.expires < horizon), key=lambda e: e.expires
    )
    days = (
        span.days if span.days * 86_400 == span.total_seconds() else span.total_seconds() / 86_400
    )
    if not soon:
        return f"Exceptions lapsing within {days:g} days: none."
    lines = [f"Exceptions lapsing within {days:g} days: {len(soon)}"]
    for exception in soon:
        covered = [
            j
            for j in tally.judged
            if any(f.mode == "excepted" and f.exception is exception for f in j.findings)
        ]
        lines.append(
            f"  {exception.expiry}  {exception.where}  {exception.policy} in {exception.namespace}"
            f" (owner: {exception.owner}{', ticket ' + exception.ticket if exception.ticket else ''})"
        )
        if not covered:
            lines.append("      lets nothing through today: nothing starts to fail")
        (policy,) = [p for p in tally.config.policies if p.policy.id == exception.policy]
        denies = tally.config.effect_of(policy, exception.expires) == "enforce"
        for judged in covered:
            name = f"{judged.kind} {judged.namespace}/{judged.name}"
            lines.append(f"      {'starts to fail' if denies else 'starts to warn'}: {name}")
    return "\n".join(lines)


def _denied(judged: "Judged") -> bool:
    return any(f.mode == "enforce" for f in judged.findings)


def _pods(judged: "Judged") -> int:
    """The running pods a finding affects: the object's own, or itself if it is one."""
    return 1 if judged.kind == "Pod" else judged.pods


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The header and indented rows, the first column left-aligned, the others right."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(first: str, rest: Sequence[str]) -> str:
        return first.ljust(widths[0] + 2) + "".join(
            f"  {cell.rjust(width)}" for cell, width in zip(rest, widths[1:], strict=True)
        )

    return [line(header[0], header[1:]), *(line(f"  {row[0]}", row[1:]) for row in rows)]


def _span(text: str) -> timedelta:
    try:
        return parse_span(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
