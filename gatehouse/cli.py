"""The ``gatehouse`` command: one subcommand per module.

Each module in ``COMMANDS`` exposes ``add_parser(subparsers, common)``, which
registers its arguments (``common`` carries the options every command shares:
``--config``, ``--format``, ``--output``) and ``set_defaults(run=run)``, and
``run(args, config) -> int``, which returns the exit status. Every subcommand
module is imported to build the parser, so a module keeps heavy imports
(kubernetes, flask) inside ``run``: ``gatehouse scan`` is a CI step and pays
for every import.

Exit status everywhere: 0 nothing wrong, 1 a finding that would be denied,
2 a usage error or input that cannot be read. No traceback reaches the user.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from gatehouse import audit, scan
from gatehouse.version import installed_version
from policies.config import ConfigError, load_config
from policies.rollout import RolloutError, parse_instant

COMMANDS = (scan, audit)


def common_options() -> argparse.ArgumentParser:
    """What every command takes: the webhook's config file, and where the report goes.

    The report's format is each command's own option (``add_format_option``).
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        help="Gatehouse config file, the webhook's (default: the shipped defaults)",
    )
    common.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout"
    )
    common.add_argument(
        "--at",
        metavar="TIME",
        type=_instant,
        help="judge as at TIME, an ISO date (midnight UTC) or date-time with a zone: which "
        "enforceFrom dates have passed and which exceptions have expired (default: now)",
    )
    return common


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text, "--at")
    except RolloutError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--at: ")) from None


class _Version(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"gatehouse {installed_version() or 'unknown (not installed)'}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatehouse",
        description="Check Kubernetes workloads for plaintext secrets in env values, "
        "root containers and missing resource limits.",
    )
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    common = common_options()
    for command in COMMANDS:
        command.add_parser(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (argparse's own exits included)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed by argparse
        return exc.code if isinstance(exc.code, int) else 2
    args.at = args.at or datetime.now(UTC)
    try:
        config = load_config(args.config, args.at)
    except ConfigError as exc:
        print(f"gatehouse: {exc}", file=sys.stderr)
        return 2
    try:
        status: int = args.run(args, config)
    except KeyboardInterrupt:
        print("gatehouse: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`gatehouse scan . | head`); let the exit be quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 2
    except Exception as exc:  # a bug: the message of an unexpected error may quote input
        print(
            f"gatehouse: internal error ({type(exc).__name__}); please report it", file=sys.stderr
        )
        return 2
    return status
