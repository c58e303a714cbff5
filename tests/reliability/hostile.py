"""Hostile input as hypothesis strategies, for the decoder, the policies and the wire.

``hostile_bodies`` starts from real reviews and breaks them anywhere: any JSON
value at any path, env lists of 10,000 variables, values built to make
regexes backtrack (from fixed fragments, and from each detector pattern's own
literals and alphabet), env names that look like PASSWORD but are not ASCII, and
raw byte splices JSON encoders cannot produce (nesting past the parser's
limit, invalid UTF-8, lone surrogates, NULs, infinities). ``budget`` and
``hard_limit`` size and bound every property test.
"""

import json
import signal
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.adversarial import SEPARATORS, TARGETS, Parts, pattern_parts
from tests.manifests import AWS_KEY_ID, DB_URL, container, deployment, leaky_container, pod, review

EXAMPLE_SECONDS = 10.0  # per example: generous, a hang or super-linear blow-up still fails


def budget(examples: int) -> settings:
    """``examples`` under the default profile; scaled with the loaded one (make fuzz: 25x)."""
    scale = settings().max_examples / 100
    return settings(
        max_examples=max(1, round(examples * scale)),
        deadline=None,  # timing is bounded by hard_limit, which cannot flake on a busy box
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


@contextmanager
def hard_limit(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    """Raise TimeoutError in an example that runs past ``seconds`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"an example ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- env names that look like a secret's name -----------------------------------------------


def _homoglyphs(script: str, **names: str) -> dict[int, str]:
    """Latin capitals to the capitals of ``script`` drawn alike, by Unicode name."""
    return str.maketrans(
        {
            latin: unicodedata.lookup(f"{script} CAPITAL LETTER {name}")
            for latin, name in names.items()
        }
    )


_CYRILLIC = _homoglyphs(
    "CYRILLIC",
    A="A",
    B="VE",
    C="ES",
    E="IE",
    H="EN",
    K="KA",
    M="EM",
    O="O",
    P="ER",
    T="TE",
    X="HA",
    Y="U",
)
_GREEK = _homoglyphs(
    "GREEK",
    A="ALPHA",
    B="BETA",
    E="EPSILON",
    H="ETA",
    I="IOTA",
    K="KAPPA",
    M="MU",
    N="NU",
    O="OMICRON",
    P="RHO",
    T="TAU",
    X="CHI",
    Y="UPSILON",
    Z="ZETA",
)


def _fullwidth(name: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)


def _interleave(mark: str) -> Callable[[str], str]:
    return lambda name: mark.join(name)


LOOKALIKES: dict[str, Callable[[str], str]] = {
    "cyrillic homoglyphs": lambda name: name.translate(_CYRILLIC),
    "greek homoglyphs": lambda name: name.translate(_GREEK),
    "fullwidth": _fullwidth,
    "zero-width joiners": _interleave("\u200d"),
    "zero-width spaces": _interleave("\u200b"),
    "soft hyphens": _interleave("\u00ad"),
}
SECRET_NAMES = ("PASSWORD", "DB_PASSWORD", "API_TOKEN", "CLIENT_SECRET", "STRIPE_API_KEY")


def lookalike_names() -> st.SearchStrategy[str]:
    return st.builds(
        lambda name, how: LOOKALIKES[how](name),
        st.sampled_from(SECRET_NAMES),
        st.sampled_from(sorted(LOOKALIKES)),
    )


# Values any detector must see as a secret under any name, built from parts (no scanner trips).
SHAPED_SECRETS = (
    AWS_KEY_ID,
    DB_URL,
    "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
    "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345",
)

# --- env values built to make a secret detector's regexes work hard -------------------------

FRAGMENTS = (
    "A",
    "a",
    "0",
    "9",
    "=",
    ":",
    "@",
    "/",
    "+",
    "%",
    ".",
    "-",
    "_",
    " ",
    "\t",
    "\n",
    "$(",
    ")",
    "{{",
    "}}",
    "://",
    "user:",
    "@host",
    "password=",
    "&token=",
    "AKIA",
    "ASIA",
    "ghp_",
    "xoxb-",
    "eyJ",
    "sk-",
    "-----BEGIN ",
    " PRIVATE KEY-----",
    "Basic ",
    "Bearer ",
    "AccountKey=",
    "postgres://",
    "ENC(",
    "****",
    "<your-token>",
    "\u0000",
    "\u202e",
    "\u00e9",
    "\U0001d538",
)
short_values = st.text(max_size=64) | st.lists(st.sampled_from(FRAGMENTS), max_size=16).map("".join)
long_values = (
    st.lists(st.sampled_from(FRAGMENTS), max_size=2000).map("".join)
    | st.tuples(st.sampled_from(FRAGMENTS), st.integers(1, 20_000)).map(lambda t: t[0] * t[1])
    | st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(FRAGMENTS), st.integers(1, 5_000)).map(
        lambda t: (t[0] + t[1]) * t[2]
    )
)
env_names = (
    st.text(max_size=40)
    | lookalike_names()
    | st.sampled_from(SECRET_NAMES)
    | st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join)
)


def _from_parts(parts: Parts) -> st.SearchStrategy[str]:
    pieces = parts.literals + list(parts.alphabet) + parts.separators + list(SEPARATORS)
    return st.lists(st.sampled_from(pieces), max_size=400).map("".join)


# Values drawn from one pattern's own literals, alphabet and separators (tests/adversarial.py):
# what fixed fragments never build.
pattern_values = st.sampled_from([source for _, source in TARGETS]).flatmap(
    lambda source: _from_parts(pattern_parts(source))
)
env_values = short_values | long_values | pattern_values | st.sampled_from(SHAPED_SECRETS)


def _env_var(value: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"name": env_names}, optional={"value": value})


def _tiled(pattern: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    return (pattern * (size // len(pattern) + 1))[:size]


env_lists = (
    st.lists(_env_var(env_values), min_size=1, max_size=8)
    # 10,000 variables: a few drawn, the list tiled (hypothesis need not draw each one).
    | st.builds(
        _tiled,
        st.lists(_env_var(short_values), min_size=1, max_size=4),
        st.sampled_from([1_000, 10_000]),
    )
)

# --- whole bodies -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "CREATE", "Pod", "root", AWS_KEY_ID]),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=40,
)
RAW = {  # JSON (or not) that a Python encoder cannot produce, spliced in as bytes
    "nesting at the parser's limit": b"[" * 1000 + b"]" * 1000,
    "nesting past the parser's limit": b"[" * 5000 + b"]" * 5000,
    "objects nested deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "invalid UTF-8": b'"\xff\xfe\xc3("',
    "lone surrogate": b'"\\ud800"',
    "NUL characters": b'"a\\u0000b"',
    "infinity": b"1e999",
    "a 5000-digit number": b"9" * 5000,
    "a bare word": b"undefined",
}
_SPLICE = "\u0000gatehouse-raw-{}\u0000"


def _bases() -> list[dict[str, Any]]:
    wide = pod(*(container(f"c{i}") for i in range(30)), leaky_container("c30"), name="wide")
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "@daily",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"containers": [leaky_container()], "restartPolicy": "Never"}
                    }
                }
            },
        },
    }
    return [
        review(pod()),
        review(pod(leaky_container())),
        review(wide),
        review(cronjob),
        review(deployment(leaky_container()), "UPDATE", old=deployment()),
    ]


def _paths(doc: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


BASES = [(base, [path for path in _paths(base) if path]) for base in _bases()]
ENV_PATHS = [[path for path in paths if path[-1] == "env"] for _, paths in BASES]


def _put(doc: Any, path: tuple[object, ...], value: object) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


DEEP = ("nesting at the parser's limit", "objects nested deep")


def encode(doc: object, splices: list[bytes]) -> bytes:
    """``doc`` as JSON bytes, with each ``placeholder(n)`` in it replaced by ``splices[n]``."""
    body = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    for n, raw in enumerate(splices):
        body = body.replace(json.dumps(placeholder(n), ensure_ascii=False).encode(), raw)
    return body


def placeholder(n: int) -> str:
    return _SPLICE.format(n)


def spliced(doc: dict[str, Any], path: tuple[object, ...], raw: bytes) -> bytes:
    """A copy of ``doc`` with ``raw`` bytes at ``path``."""
    copy = json.loads(json.dumps(doc))
    _put(copy, path, placeholder(0))
    return encode(copy, [raw])


@st.composite
def hostile_reviews(draw: st.DrawFn) -> bytes:
    """A real review broken in one to three places, encoded (with raw splices) as bytes."""
    which = draw(st.integers(0, len(BASES) - 1))
    doc = json.loads(json.dumps(BASES[which][0]))
    splices: list[bytes] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "env", "raw"]))
        path = draw(st.sampled_from(ENV_PATHS[which] if kind == "env" else BASES[which][1]))
        raw = draw(st.sampled_from(sorted(RAW))) if kind == "raw" else ""
        try:
            if kind == "env":
                _put(doc, path, draw(env_lists))
            elif kind == "raw":
                _put(doc, path, placeholder(len(splices)))
                splices.append(RAW[raw])
            else:
                _put(doc, path, draw(json_values))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed that path
    return encode(doc, splices)


hostile_bodies = (
    hostile_reviews() | st.binary(max_size=512) | json_values.map(lambda v: json.dumps(v).encode())
)
