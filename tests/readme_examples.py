"""The README's examples, produced by running what they show.

Every fenced block in README.md that shows output carries a marker just above it,
``<!-- checked: WHAT -->``, and WHAT says how the block is made:

- ``output of the commands below``: each ``$ `` line of the block is run by bash
  from the repository's root (``gatehouse`` is the virtualenv's, ``COLUMNS=100``,
  no colour), and its output follows it;
- ``response of `make run``` (or ``GATEHOUSE_MODE=dry-run make run``): the block's
  ``curl`` request goes to a server started as ``make run`` starts it, and its
  answer follows, formatted as ``python3 -m json.tool --indent 2`` would;
- ``decision log line of `...make run` for FILE``: the line that server logged
  for the review in FILE;
- ``kubectl's denial of FILE``: ``kubectl apply -f FILE`` as the API server
  answers it with the webhook's message;
- ``a line of the denial of FILE``: one line of that message;
- ``contents of FILE``: the file itself;
- ``a valid config`` / ``a valid .pre-commit-config.yaml``: loaded by Gatehouse's
  and pre-commit's own loaders, which raise when it is not.

In command output a line ``...`` stands for lines left out: the block keeps as
many lines before and after it as it shows. What varies from run to run (a
timestamp, a duration) is masked on both sides.
``tests/test_readme.py`` checks every block; ``make readme`` rewrites them:

    python -m tests.readme_examples --write
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BIN = Path(sys.executable).parent
MARKER = re.compile(r"^<!-- checked: (?P<what>.+?) -->\n```[\w-]*\n(?P<body>.*?)^```$", re.M | re.S)
VOLATILE = (
    (re.compile(r"listed in \d+\.\d s"), "listed in N s"),
    (re.compile(r'"ts":\d+(\.\d+)?'), '"ts":N'),
    (re.compile(r'"ms":\d+(\.\d+)?'), '"ms":N'),
)
KUBECTL = (
    'Error from server (Forbidden): error when creating "{file}": admission webhook '
    '"validate.gatehouse.io" denied the request: {message}'
)


@dataclass(frozen=True)
class Example:
    what: str
    body: str  # the block's text, each line ending in a newline
    start: int  # offsets of the body in README.md
    end: int


def examples(text: str) -> list[Example]:
    return [
        Example(m["what"], m["body"], m.start("body"), m.end("body")) for m in MARKER.finditer(text)
    ]


def masked(text: str) -> str:
    for pattern, mask in VOLATILE:
        text = pattern.sub(mask, text)
    return text


def commands(body: str) -> list[str]:
    """The ``$ `` commands of a block, a continued line (ending in ``\\``) joined to its next."""
    found: list[str] = []
    lines = body.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].startswith("$ "):
            command = [lines[index]]
            while command[-1].endswith("\\") and index + 1 < len(lines):
                index += 1
                command.append(lines[index])
            found.append("\n".join(command))
        index += 1
    return found


# --- the producers: each returns what the block should hold -------------------------


def output_of_commands(example: Example, _: "Servers") -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "NO_COLOR"))},
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": "100",
        "NO_COLOR": "1",
        "MAKEFLAGS": "",
    }
    separator = "\x1egatehouse-readme\x1e"  # between two commands' output
    script = "\n".join(
        # The separator is printed without losing the command's status, for `echo $?`.
        f"{c[2:]}\nstatus=$?; printf '\\036gatehouse-readme\\036'; (exit $status)"
        for c in commands(example.body)
    )
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    outputs = done.stdout.split(separator)
    shown = shown_outputs(example.body)
    return "".join(
        f"{command}\n{elided(output, shown.get(command, ''))}"
        for command, output in zip(commands(example.body), outputs, strict=False)
    )


def shown_outputs(body: str) -> dict[str, str]:
    """What the block shows after each command, up to the next one."""
    shown: dict[str, str] = {}
    parts = re.split(r"^(\$ (?:.*\\\n)*.*)\n", body, flags=re.M)
    for command, output in zip(parts[1::2], parts[2::2], strict=True):
        shown[command] = output
    return shown


def elided(output: str, shown: str) -> str:
    """``output`` cut as the block shows it: a ``...`` line stands for the lines left out,
    with as many lines kept before and after it as the block has."""
    lines = shown.splitlines()
    if "..." not in lines:
        return output
    head = lines.index("...")
    tail = len(lines) - head - 1
    actual = output.splitlines()
    if len(actual) <= head + tail:
        return output
    kept = actual[:head] + ["..."] + (actual[-tail:] if tail else [])
    return "\n".join(kept) + "\n"


def response_of_make_run(example: Example, servers: "Servers") -> str:
    env = re.fullmatch(r"response of `(?:(\w+)=(\S+) )?make run`", example.what)
    assert env, example.what
    (command,) = commands(example.body)
    request = parse_curl(command)
    server = servers.get({env[1]: env[2]} if env[1] else {})
    answer = requests.post(
        f"{server.url}{request['target']}",
        data=(REPO / request["file"]).read_bytes(),
        headers=request["headers"],
        verify=server.ca_file,
        timeout=30,
    )
    shown = json.dumps(answer.json(), indent=2, ensure_ascii=True)  # python3 -m json.tool
    return f"{command}\n{shown}\n"


def decision_log_line(example: Example, servers: "Servers") -> str:
    found = re.fullmatch(
        r"decision log line of `(?:(\w+)=(\S+) )?make run` for (\S+)", example.what
    )
    assert found, example.what
    server = servers.get({found[1]: found[2]} if found[1] else {})
    uid = json.loads((REPO / found[3]).read_text())["request"]["uid"]
    deadline = time.monotonic() + 10  # lines are written in batches, every 0.2 s
    while not (lines := [line for line in server.log().splitlines() if f'"uid":"{uid}"' in line]):
        assert time.monotonic() < deadline, f"no line for {found[3]}: send it first (a response)"
        time.sleep(0.1)
    return lines[-1] + "\n"


def kubectls_denial(example: Example, servers: "Servers") -> str:
    file = example.what.removeprefix("kubectl's denial of ")
    command = f"$ kubectl apply -f {file}"
    output = KUBECTL.format(file=file, message=denial(file, servers)) + "\n"
    return f"{command}\n{elided(output, shown_outputs(example.body).get(command, ''))}"


def a_line_of_the_denial(example: Example, servers: "Servers") -> str:
    file = example.what.removeprefix("a line of the denial of ")
    lines = denial(file, servers).splitlines()
    shown = example.body.rstrip("\n")
    return (shown if shown in lines else "one of:\n" + "\n".join(lines)) + "\n"


def contents_of(example: Example, _: "Servers") -> str:
    return (REPO / example.what.removeprefix("contents of ")).read_text(encoding="utf-8")


def a_valid_config(example: Example, _: "Servers") -> str:
    from policies.config import parse_config

    parse_config(yaml.safe_load(example.body), "README.md")  # raises ConfigError
    return example.body


def a_valid_pre_commit_config(example: Example, _: "Servers") -> str:
    from pre_commit.clientlib import load_config

    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        file.write(example.body)
        file.flush()
        load_config(file.name)  # raises InvalidConfigError
    return example.body


PRODUCERS: tuple[tuple[str, Callable[[Example, "Servers"], str]], ...] = (
    ("output of the commands below", output_of_commands),
    ("response of ", response_of_make_run),
    ("decision log line of ", decision_log_line),
    ("kubectl's denial of ", kubectls_denial),
    ("a line of the denial of ", a_line_of_the_denial),
    ("contents of ", contents_of),
    ("a valid config", a_valid_config),
    ("a valid .pre-commit-config.yaml", a_valid_pre_commit_config),
)


def produce(example: Example, servers: "Servers") -> str:
    for prefix, producer in PRODUCERS:
        if example.what.startswith(prefix):
            return producer(example, servers)
    raise ValueError(f"README.md: no producer for <!-- checked: {example.what} -->")


# --- helpers ------------------------------------------------------------------------


def parse_curl(command: str) -> dict[str, Any]:
    """The parts of the README's curl request: target, headers, body file. The README shows
    the server and CA of ``make run``; the check sends the same request to its own."""
    words = shlex.split(command.removeprefix("$ ").replace("\\\n", " "))
    assert words[0] == "curl", command
    pipe = words.index("|")
    assert words[pipe + 1 :] == ["python3", "-m", "json.tool", "--indent", "2"], command
    words = words[1:pipe]
    request: dict[str, Any] = {"headers": {}}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-s":
            pass
        elif word == "--cacert":
            index += 1
            assert words[index] == ".dev-certs/ca.pem", command
        elif word == "-H":
            index += 1
            name, _, value = words[index].partition(": ")
            request["headers"][name] = value
        elif word == "--data-binary":
            index += 1
            request["file"] = words[index].removeprefix("@")
        else:
            assert word.startswith("https://127.0.0.1:8443/"), command
            request["target"] = word.removeprefix("https://127.0.0.1:8443")
        index += 1
    return request


def denial(file: str, servers: "Servers") -> str:
    """The message of ``make run``'s webhook for the workload in ``file``, as the API
    server relays it to kubectl."""
    from tests.manifests import review

    server = servers.get({})
    obj = yaml.safe_load((REPO / file).read_text(encoding="utf-8"))
    answer = requests.post(
        f"{server.url}/validate", json=review(obj), verify=server.ca_file, timeout=30
    )
    response = answer.json()["response"]
    assert response["allowed"] is False, file
    return str(response["status"]["message"])


class Servers:
    """Servers started as ``make run`` starts them, one per environment, while needed."""

    def __init__(self, stack: ExitStack, workdir: Path) -> None:
        self.stack = stack
        self.workdir = workdir
        self.running: dict[tuple[tuple[str, str], ...], Any] = {}

    def get(self, env: dict[str, str]) -> Any:
        from tests.server import serve

        key = tuple(sorted(env.items()))
        if key not in self.running:
            workdir = self.workdir / f"server-{len(self.running)}"
            workdir.mkdir()
            self.running[key] = self.stack.enter_context(serve(workdir, env=env, workers=1))
        return self.running[key]


def checked(text: str) -> Iterator[tuple[Example, str]]:
    """Each example with what it should hold, in README order (a decision log line
    after the request that made it)."""
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="gatehouse-readme-") as tmp:
        servers = Servers(stack, Path(tmp))
        for example in examples(text):
            yield example, produce(example, servers)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    rewritten, last, stale = [], 0, 0
    for example, produced in checked(text):
        if masked(produced) != masked(example.body):
            stale += 1
            print(f"README.md: stale: <!-- checked: {example.what} -->")
        rewritten += [text[last : example.start], produced]
        last = example.end
    rewritten.append(text[last:])
    if "--write" in argv:
        README.write_text("".join(rewritten), encoding="utf-8")
        print(f"README.md: {stale} example(s) rewritten")
        return 0
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
