"""Tell a literal credential in an env value from ordinary configuration, in bounded time.

Four kinds of evidence, surest first:

1. The value holds a known credential format (``policies.secret_formats``:
   ``AKIA…``, ``ghp_…``, a PEM private key, a private JWK), or a credential in
   a known place: the password in a URL's userinfo, an Oracle
   connect string (``scott/tiger@db``), a ``password=…`` setting inside a longer
   value, a command-line option (``--requirepass …``, ``mysql -p…``), a
   token in a webhook or ping URL's path; any of these base64-encoded, wrapped
   or not. A format counts under any name: ``NEXT_PUBLIC_*`` and ``VITE_*`` do
   not excuse it (there it ships to every browser).
2. The name announces a secret (``policies.secret_names``) and the value is not
   plainly something else (``policies.secret_values``: a reference, a path, a
   hash, ciphertext, a public key...).
3. A bare 40- or 88-character cloud key (no prefix to go by), unless the name
   calls the value public or an id (``RECAPTCHA_SITE_KEY``).
4. Keys public by design (``policies.secret_formats.PUBLIC_FORMATS``: Stripe
   ``pk_live_``, Sentry DSNs, Supabase anon keys) are not secrets: they are
   reported only when asked for (``report_public_keys``).

Bounded work. Every pattern runs on RE2 (``policies.linear_regex``), linear in
the value. A value is judged in full up to ``MAX_VALUE_BYTES``; a longer one has
its first ``MAX_VALUE_BYTES`` searched for credential formats and is reported as
too long to check whatever that finds. The checks made in Python on matches
(a URL's parts, a setting's key, a candidate token) look at no more than
``MAX_PIECES`` matches per value; a value with more is reported as too complex
to check. So a value costs at most a few milliseconds, and none passes unjudged.

A label names the detector only, never anything taken from the value.
"""

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from policies import secret_names as names
from policies import secret_values as values
from policies.linear_regex import LinearPattern, Spans, min_length
from policies.secret_formats import FORMATS, PUBLIC_FORMATS, Format

NAMED_LABEL = "value under a credential-style name"
RANDOM_LABEL = "high-entropy value under a key-style name"
SETTING_LABEL = "credential in a key=value setting"
URL_LABEL = "URL with embedded credentials"
ORACLE_LABEL = "Oracle connect string with a password"
OPTION_LABEL = "credential in a command-line option"
CAPABILITY_URL_LABEL = "webhook or ping URL with a key in its path"

MAX_VALUE_BYTES = 64 * 1024
MAX_PIECES = 128
TOO_LONG_LABEL = f"value too long to check for secrets (over {MAX_VALUE_BYTES // 1024} KiB)"
TOO_COMPLEX_LABEL = (
    f"value too complex to check for secrets (over {MAX_PIECES} settings, URLs, options "
    "or candidate tokens)"
)

_WORD_START = r"(?:^|[^A-Za-z0-9])"


class _TooComplex(Exception):
    """More matches to look at in Python than one value may cost."""


# What a value may still cost in checks made in Python: one element, counted down.
_Budget = list[int]


def _spend(budget: _Budget) -> None:
    if budget[0] == 0:
        raise _TooComplex
    budget[0] -= 1


@dataclass
class _Entry:
    fmt: Format
    own: LinearPattern  # the format with its boundary: matched where the search found one
    bare: LinearPattern  # the format alone, to work out its first characters
    _prefix: bytes | None = None

    @property
    def prefix(self) -> bytes:
        """What every match of the format starts with, as RE2 works it out."""
        if self._prefix is None:
            self._prefix = self.bare.possible_prefix()
        return self._prefix


@dataclass
class _Formats:
    """A table of formats, searched in one pass of one RE2 program.

    The combined pattern finds where the leftmost candidate starts; the format
    is then told by matching, at that spot only, the few formats whose first
    characters fit. A format with a ``check`` that its match fails does not end
    the search: formats without checks are looked for from there on, and the
    rest of the checked ones match after match, each paid for from the budget.
    """

    table: tuple[Format, ...]
    kind: str
    order: list[_Entry] = field(init=False)
    plain: list[_Entry] = field(init=False)
    checked: list[_Entry] = field(init=False)
    find_any: LinearPattern = field(init=False)
    find_plain: LinearPattern = field(init=False)
    find_checked: LinearPattern = field(init=False)
    find_whole: LinearPattern = field(init=False)
    shortest: int = field(init=False)  # no match is shorter: a shorter value needs no search

    def __post_init__(self) -> None:
        entries = [self._entry(i, f) for i, f in enumerate(self.table)]
        # Word-start formats first, as the combined pattern tries them first at a position.
        self.order = sorted(entries, key=lambda e: e.fmt.anywhere)
        self.plain = [e for e in self.order if e.fmt.check is None]
        self.checked = [e for e in self.order if e.fmt.check is not None]
        self.find_any = self._combined(self.order, "any")
        self.find_plain = self._combined(self.plain, "any without a check")
        self.find_checked = self._combined(self.checked, "any with a check")
        whole = "|".join(f"(?:{f.pattern})" for f in self.table)
        self.find_whole = LinearPattern(f"{self.kind}: the whole value", whole)
        self.shortest = min_length(self.find_any.source)
        self.find_any.warm()  # nearly every value needs it: compiled at import, not mid-review

    def _entry(self, index: int, fmt: Format) -> _Entry:
        boundary = "" if fmt.anywhere else _WORD_START
        own = LinearPattern(f"{self.kind} {index}: {fmt.label}", f"{boundary}(?:{fmt.pattern})")
        bare = LinearPattern(f"{self.kind} {index} alone", fmt.pattern)
        return _Entry(fmt, own, bare)

    def _combined(self, entries: list[_Entry], what: str) -> LinearPattern:
        word = [e.fmt.pattern for e in entries if not e.fmt.anywhere]
        anywhere = [e.fmt.pattern for e in entries if e.fmt.anywhere]
        parts = [f"{_WORD_START}(?:{'|'.join(word)})"] if word else []
        parts += [f"(?:{p})" for p in anywhere]
        return LinearPattern(f"{self.kind}: {what}", "|".join(parts))

    def first_label(self, data: bytes, budget: _Budget) -> str | None:
        if len(data) < self.shortest:
            return None
        spans = self.find_any.search(data)
        if spans is None:
            return None
        entry = _identify(self.order, data, spans[0][0])
        if entry is None:
            return self.kind  # never: the format tests match every entry where it is found
        if entry.fmt.check is None or _passes(entry.fmt, data, spans):
            return entry.fmt.label
        _spend(budget)
        start = spans[0][0]
        found = self.find_plain.search(data, start)
        if found is not None:
            entry = _identify(self.plain, data, found[0][0])
            return entry.fmt.label if entry else self.kind
        for found in self.find_checked.finditer(data, spans[0][1]):
            _spend(budget)
            entry = _identify(self.checked, data, found[0][0])
            if entry is not None and _passes(entry.fmt, data, found):
                return entry.fmt.label
        return None

    def whole_label(self, data: bytes) -> str | None:
        """The format the whole of ``data`` is, if any."""
        if len(data) < self.shortest or not self.find_whole.fullmatch(data):
            return None
        for entry in self.order:
            if not data.startswith(entry.prefix):
                continue
            spans = entry.own.match(data)
            if spans is None or spans[0][1] != len(data):
                continue
            if entry.fmt.check is None or _passes(entry.fmt, data, spans):
                return entry.fmt.label
        return None


def _identify(entries: list[_Entry], data: bytes, start: int) -> _Entry | None:
    for entry in entries:
        prefix = entry.prefix
        if prefix and not (data.startswith(prefix, start) or data.startswith(prefix, start + 1)):
            continue
        if entry.own.match(data, start) is not None:
            return entry
    return None


def _token(data: bytes, spans: Spans) -> bytes:
    """A checked format's own text: without the boundary character before it."""
    start, end = spans[0]
    return data[start + (not data[start : start + 1].isalnum()) : end]


def _passes(fmt: Format, data: bytes, spans: Spans) -> bool:
    token = _token(data, spans)
    after = data[spans[0][1] : spans[0][1] + 1]
    if fmt.check == "basic-credentials":
        if after == b"=":
            return False  # more padding than base64 has: not a credential
        inner = values.decode_text(token.split()[-1])
        return inner is not None and b":" in inner
    if fmt.check == "bearer-credentials":
        credential = token.split()[-1]
        return any(0x30 <= c <= 0x39 for c in credential)
    if fmt.check in ("not-anon-jwt", "anon-jwt"):
        return _is_anon_jwt(token) == (fmt.check == "anon-jwt")
    if fmt.check == "not-emulator":
        return not values.is_emulator_key(token.partition(b"=")[2])
    return True


def _is_anon_jwt(token: bytes) -> bool:
    """A JWT whose claims give the role ``anon``: Supabase's key for the browser."""
    payload = values.decode_base64(token.split(b".")[1])
    try:
        claims = json.loads(payload) if payload else None
    except (ValueError, RecursionError):
        return False
    return isinstance(claims, dict) and claims.get("role") == "anon"


SECRETS = _Formats(FORMATS, "credential format")
PUBLIC = _Formats(PUBLIC_FORMATS, "public key format")

# The password runs to the last ``@`` before the host: people leave ``#``, ``?``, ``/``
# and ``@`` unencoded in it. It never reaches into a second URL.
_URL_USERINFO = LinearPattern(
    "URL userinfo",
    r"(?:^|[^A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*"
    r"(?::(?:[^\s:]|:[^\s/]|:/[^\s/])*?)?@[^\s/?#@]*[A-Za-z0-9\]](?:[\s/?#]|$)",
)
_MASKED_PASSWORD = LinearPattern(
    "masked password",
    r"\*+|x+|X+|<[^<>]*>|\$\(\w+\)|\$\{[^}]*\}|\{\{.*\}\}|%s|\$[A-Z_][A-Z0-9_]*",
)
_ORACLE_JDBC = LinearPattern("Oracle JDBC URL", r"jdbc:oracle:\w+:[^/\s@:]+/[^\s@]+@")
_ORACLE = LinearPattern(
    "Oracle connect string",
    r"(?:^|[\s:=;,\"'(])[A-Za-z][\w$#.]*/[^\s/@\"']+@"
    r"(?://[\w.-]+|\(DESCRIPTION|[\w.-]+:\d+(?:[/\s\"',;)]|$)|[\w.-]+(?:[/\s\"',;)]|$))",
)
_KEY = names.credential_key_pattern()
_SETTING = LinearPattern(  # key=value, key: value, "key": "value"
    "key=value setting",
    rf"(?:^|[^A-Za-z0-9_.]){_KEY}[\"']?[ \t]*(?:=|:[ \t\"'])[ \t]*[\"']?"
    r"(?:\$\{[^}]*\}|ENC\[[^\]\s]*\]|[^\s\"',;&{}\[\]]*)",
)
# A line of a config file held in a value: ``bindpw SECRET``, ``rootpw SECRET`` (nslcd, slapd).
_CONFIG_LINE = LinearPattern(
    "key value config line", rf"(?m)^[ \t]*{_KEY}[ \t]+[^\s=:\"'#][^\s]*[ \t]*$"
)
_OPTION = LinearPattern(
    "command-line option",
    rf"(?:^|\s)--?{_KEY}(?:=|[ \t]+)(?:\"[^\"]*\"|'[^']*'|[^\s\"'-]\S*)",
)
_USER_OPTIONS = (b"--proxy-user", b"--user", b"-u", b"-U")  # curl's user:password
_USER_OPTION = LinearPattern(
    "user:password option", r"(?:^|\s)(?:-u|--user|-U|--proxy-user)(?:=|\s*)[^\s:-][^\s:]*:\S+"
)
# Clients whose one-letter flag takes the password: (the client, the flag, may a space
# come between). ``mysql -p NAME`` names a database (the password is then prompted for).
_PASSWORD_FLAGS = tuple(
    (
        LinearPattern(f"client taking -{flag}: {clients}", rf"(?:^|[\s/])(?:{clients})(?:\s|$)"),
        LinearPattern(
            f"-{flag} option" + (" with a space" if spaced else ""),
            rf"(?:^|\s)-{flag}" + (r"\s*" if spaced else "") + r"[^\s-]\S*",
        ),
        f"-{flag}",
    )
    for clients, flag, spaced in (
        (r"mysql\w*|mariadb\w*", "p", False),
        (r"mongo\w*|sshpass|login", "p", True),  # docker, podman, helm registry login
        (r"redis-cli", "a", True),
        (r"sqlcmd|bcp", "P", True),
    )
)
# openssl's -passin pass:SECRET, -passout pass:SECRET
_OPENSSL_PASS = LinearPattern("openssl pass:", r"(?:^|\s)-pass(?:in|out)?\s+pass:\S+")
_WRAPPED_BASE64 = LinearPattern(
    "wrapped base64", r"(?:[A-Za-z0-9+/]{40,}={0,2}\r?\n)+[A-Za-z0-9+/]*={0,2}\s*"
)
_AWS_SECRET = LinearPattern("AWS secret access key", r"[A-Za-z0-9/+]{40}")
_AZURE_KEY = LinearPattern("Azure storage key", r"[A-Za-z0-9+/]{86}==")
_MARKER = LinearPattern("marker", r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_KEY_NAME = LinearPattern("a Secret's key", r"[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*")
# ``prod/app/db``, ``secret/data/app``: where a secret is stored, under a *SECRET_ID name.
_SECRET_PATH = LinearPattern("secret path", r"[\w.-]+(?:/[\w.-]+)+/?")
_CAPABILITY_URL = LinearPattern(
    "capability URL",
    r"(?i:/(?:hooks?|webhooks?|webhookb2|ping|triggers?|integrations?|keys?|tokens?|secrets?"
    r"|catch|notify|push|heartbeats?|p)/|://(?:[^\s/?#]*[.-])?(?:hooks?|webhooks?|ping)[.-][^\s/?#]*/(?:[^\s/?#]*/)*)"
    r"[A-Za-z0-9_-]{16,}",
)
_ORACLE_WORDS = frozenset(("ORACLE", "TNS", "SQLPLUS", "CONNECT", "CONNECTION"))
_AWS_WORDS = frozenset(("AWS", "ACCESS"))


def detect(name: str, value: str, *, report_public_keys: bool = False) -> str | None:
    """The label of the detector that finds a literal secret in ``name=value``, or None."""
    text = value.strip()
    if len(text) < 3:
        return None
    if len(text) > MAX_VALUE_BYTES:  # surely over: encode only what is searched
        return _too_long(text[:MAX_VALUE_BYTES].encode("utf-8", "surrogatepass")[:MAX_VALUE_BYTES])
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_VALUE_BYTES:
        return _too_long(data[:MAX_VALUE_BYTES])
    if not name.isascii():
        name = _plain(name)
    budget = [MAX_PIECES]
    try:
        label = _judge(name, text, data, budget)
        if label is None and report_public_keys:
            label = PUBLIC.first_label(data, budget)
    except _TooComplex:
        return TOO_COMPLEX_LABEL
    return label


def detect_in_name(name: str) -> str | None:
    """The credential format an env var's *name* holds (a token pasted into the name field).

    Formats only: a name is a word, so no name heuristic applies to it.
    """
    if len(name) <= names.NAME_CHARS:
        return _format_in_name(name)
    head = name[:MAX_VALUE_BYTES].encode("utf-8", "surrogatepass")[:MAX_VALUE_BYTES]
    if len(head) == MAX_VALUE_BYTES:
        return _too_long(head)
    try:
        return SECRETS.first_label(head, [MAX_PIECES])
    except _TooComplex:
        return TOO_COMPLEX_LABEL


@lru_cache(maxsize=4096)
def _format_in_name(name: str) -> str | None:
    try:
        return SECRETS.first_label(name.encode("utf-8", "surrogatepass"), [MAX_PIECES])
    except _TooComplex:
        return TOO_COMPLEX_LABEL


def _too_long(head: bytes) -> str:
    try:
        return SECRETS.first_label(head, [MAX_PIECES]) or TOO_LONG_LABEL
    except _TooComplex:
        return TOO_LONG_LABEL


def _plain(name: str) -> str:
    """The name a disguised one imitates: fullwidth letters folded (NFKC), and
    invisible format characters (zero-width joiners and spaces, soft hyphens) dropped.

    Cyrillic or Greek homoglyphs are left alone: they need the Unicode confusables
    table, the API server refuses non-ASCII env names anyway, and a value with a
    known shape is caught under any name.
    """
    folded = unicodedata.normalize("NFKC", name[-names.NAME_CHARS :])
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _judge(name: str, text: str, data: bytes, budget: _Budget) -> str | None:
    label = _format_label(name, text, data, budget) or _named_label(name, data)
    if label is None and len(data) in (40, 88):
        return _bare_key_label(name, data)
    return label


def _format_label(
    name: str, text: str, data: bytes, budget: _Budget, decoded: bool = False
) -> str | None:
    """A credential by its format or its place; ``text`` is ``data`` decoded, for quick looks."""
    if len(data) >= SECRETS.shortest:
        label = SECRETS.first_label(data, budget)
        if label is not None:
            return label
    if "://" in text and "@" in text and _url_has_credentials(data, budget):
        return URL_LABEL
    if "/" in text and "@" in text and _has_oracle_password(name, data, budget):
        return ORACLE_LABEL
    if ("=" in text or ": " in text or '":' in text) and _setting_has_credential(data, budget):
        return SETTING_LABEL
    if "\n" in text and _config_line_has_credential(data, budget):
        return SETTING_LABEL
    if (" -" in text or text[:1] == "-") and _option_has_credential(text, data, budget):
        return OPTION_LABEL
    if "://" in text and _url_path_has_key(data, budget):
        return CAPABILITY_URL_LABEL
    if not decoded and len(data) >= 32:
        inner = _base64_inner(text, data)
        if inner is not None:
            label = _format_label("", inner.decode(), inner, budget, decoded=True)
            if label is not None:
                return f"base64-encoded {label}"
    return None


def _base64_inner(text: str, data: bytes) -> bytes | None:
    """The text inside a value that is all base64, on one line or wrapped (76 columns)."""
    if values.is_base64(data):
        return values.decode_text(data)
    if "\n" in text and _WRAPPED_BASE64.fullmatch(data):
        lines = data.split()
        if all(len(line) == len(lines[0]) for line in lines[:-1]):
            return values.decode_text(b"".join(lines))
    return None


def _named_label(name: str, data: bytes) -> str | None:
    strength = names.strength(name)
    if strength is None:
        return None
    # Cheap looks first: a marker is upper case, a Secret's key lower case under a *_KEY name.
    if data.isupper() and _MARKER.fullmatch(data) and names.names_a_marker(name, data.decode()):
        return None
    if data.islower() and names.ends_in_key(name) and _is_key_of(name, data):
        return None
    if strength == "password" and data.isdigit():
        return NAMED_LABEL  # a PIN, not a count of seconds
    if strength == "id" and _SECRET_PATH.fullmatch(data):
        return None  # AWS_SECRETS_MANAGER_SECRET_ID=prod/app/db: a reference
    if _is_excused(name, data):
        return None
    if strength == "password":
        return NAMED_LABEL
    if strength in ("named", "id"):
        return None if values.is_setting(data) else NAMED_LABEL
    if strength == "auth":
        return None if values.is_setting(data) or values.is_mode_word(data) else NAMED_LABEL
    generated = values.looks_random(data) and not (
        values.is_setting(data) or values.is_mode_word(data)
    )
    return RANDOM_LABEL if generated else None


def _is_key_of(name: str, data: bytes) -> bool:
    return _KEY_NAME.fullmatch(data) and names.names_a_key_of(name, data.decode())


def _is_excused(name: str, data: bytes) -> bool:
    """Not a secret under any name: see ``policies.secret_values``, and public keys."""
    if values.is_never_secret(data) or PUBLIC.whole_label(data) is not None:
        return True
    return data in values.EMULATOR_AWS_VALUES and not _AWS_WORDS.isdisjoint(names.words(name))


def _bare_key_label(name: str, data: bytes) -> str | None:
    """Cloud keys with no prefix, known by length and charset alone.

    Not under a name that calls the value public or an id (``RECAPTCHA_SITE_KEY``).
    """
    if names.says_public(name) or names.says_not_plaintext(name):
        return None
    if len(data) == 40 and _AWS_SECRET.fullmatch(data) and _mixed_case_and_digits(data):
        return None if values.decode_text(data) else "AWS secret access key"
    if len(data) == 88 and _AZURE_KEY.fullmatch(data) and not values.decode_text(data):
        return None if values.is_emulator_key(data) else "Azure storage account key"
    return None


def _mixed_case_and_digits(data: bytes) -> bool:
    return data.upper() != data and data.lower() != data and any(c in b"0123456789" for c in data)


def _matches(pattern: LinearPattern, data: bytes, budget: _Budget) -> Iterator[tuple[int, bytes]]:
    """Where each match starts and its text, left to right, each paid for from the value's budget."""
    for spans in pattern.finditer(data):
        _spend(budget)
        start, end = spans[0]
        yield start, data[start:end]


def _url_has_credentials(data: bytes, budget: _Budget) -> bool:
    for start, found in _matches(_URL_USERINFO, data, budget):
        authority = found[found.index(b"://") + 3 :]
        at = authority.rindex(b"@")  # the host after it holds no @
        userinfo = authority[:at]
        user, colon, password = userinfo.partition(b":")
        if colon and password:
            if not (_MASKED_PASSWORD.fullmatch(password) or _is_port_and_path(user, password)):
                return True
        elif not colon and _looks_generated(user):
            # A key as the user part (git over https with a token), unless public: a Sentry DSN.
            begin = start + (not found[:1].isalpha())
            url = data[begin : begin + 512].split()[0]
            if PUBLIC.whole_label(url.rstrip(b"\"',;")) is None:
                return True
    return False


def _looks_generated(text: bytes) -> bool:
    return values.looks_random(text) and not (
        values.is_never_secret(text) or values.is_setting(text) or values.is_mode_word(text)
    )


def _is_port_and_path(user: bytes, password: bytes) -> bool:
    """``host:8080/path?by=a@b.example``: what reads as user and password is a host, a port and a path.

    Not when the user part is empty (nothing reads as a host then), after ``#`` (a fragment
    holds no ``@``), past port 65535, or when what follows the digits is no path or query.
    """
    digits = len(password) - len(password.lstrip(b"0123456789"))
    if not user or not 1 <= digits <= 5 or int(password[:digits]) > 65535:
        return False
    mark, rest = password[digits : digits + 1], password[digits + 1 :]
    if mark == b"?":
        return b"=" in rest
    if mark == b"/":
        return not rest or b"/" in rest or b"=" in rest
    return False


def _has_oracle_password(name: str, data: bytes, budget: _Budget) -> bool:
    for _, found in _matches(_ORACLE_JDBC, data, budget):
        if not _is_masked_oracle(found):
            return True
    by_name = not _ORACLE_WORDS.isdisjoint(names.words(name))
    for _, found in _matches(_ORACLE, data, budget):
        host = found[found.index(b"@") + 1 :]
        certain = host.startswith((b"//", b"(")) or b":" in host
        if (certain or by_name) and not _is_masked_oracle(found):
            return True
    return False


def _is_masked_oracle(found: bytes) -> bool:
    credentials = found[: found.index(b"@")]
    password = credentials[credentials.rindex(b"/") + 1 :]
    return _MASKED_PASSWORD.fullmatch(password)


def _setting_has_credential(data: bytes, budget: _Budget) -> bool:
    """``-Dapp.db.password=…``, ``Password=…;`` or ``"apiKey": "…"`` inside a longer value.

    Only keys whose words name a credential count; which of them is the
    name's head decides, as for an env var's own name.
    """
    for _, found in _matches(_SETTING, data, budget):
        # The boundary before the key is one character at most, and may be a colon.
        separator = min(i for i in (found.find(b"=", 1), found.find(b":", 1)) if i >= 0)
        key = found[:separator].rstrip(b"\"' \t").decode("utf-8", "replace")
        if key and not (key[0].isascii() and (key[0].isalnum() or key[0] in "_.-")):
            key = key[1:]  # the boundary character before the key
        value = found[separator + 1 :].strip(b"\"' \t")
        if _long_enough(value) and _named_label(key, value) == NAMED_LABEL:
            return True
    return False


def _config_line_has_credential(data: bytes, budget: _Budget) -> bool:
    """``bindpw SECRET`` on a line of its own, in a config file held in one value."""
    for _, found in _matches(_CONFIG_LINE, data, budget):
        key, value = found.split(None, 1)
        value = value.strip()
        if _long_enough(value) and _named_label(key.decode(), value) == NAMED_LABEL:
            return True
    return False


def _long_enough(value: bytes) -> bool:
    """Three characters or more, as for a whole value."""
    return len(value) >= 3 and len(value.decode("utf-8", "replace")) >= 3


def _option_has_credential(text: str, data: bytes, budget: _Budget) -> bool:
    """``--requirepass X``, ``--db-password X``, ``curl -u user:pass``, ``mysql -pX``."""
    for _, found in _matches(_OPTION, data, budget):
        option, _, value = found.strip().lstrip(b"-").replace(b"=", b" ", 1).partition(b" ")
        value = value.strip().strip(b"\"'")
        if _long_enough(value) and _named_label(option.decode(), value) == NAMED_LABEL:
            return True
    for _, found in _matches(_USER_OPTION, data, budget) if "-u" in text or "-U" in text else ():
        option = next(o for o in _USER_OPTIONS if found.strip().startswith(o))
        password = found.strip()[len(option) :].lstrip(b"= \t").partition(b":")[2]
        if password and not _MASKED_PASSWORD.fullmatch(password):
            return True
    for client, flag_pattern, flag in _PASSWORD_FLAGS:
        if flag in text and client.search(data) is not None:
            for _, found in _matches(flag_pattern, data, budget):
                password = found.strip()[2:].strip().strip(b"\"'")
                if password and not _MASKED_PASSWORD.fullmatch(password):
                    return True
    if "pass:" in text:
        for _, found in _matches(_OPENSSL_PASS, data, budget):
            password = found.partition(b"pass:")[2]
            if password and not _MASKED_PASSWORD.fullmatch(password):
                return True
    return False


def _url_path_has_key(data: bytes, budget: _Budget) -> bool:
    """A generated key as a path segment of a webhook or ping URL (a capability URL).

    After a path segment such as ``hooks``, ``ping``, ``token``; or anywhere in the
    path on a host named for hooks or pings (``hc-ping.com/<uuid>``).
    """
    for _, found in _matches(_CAPABILITY_URL, data, budget):
        segment = found[found.rindex(b"/") + 1 :]
        if _looks_generated(segment):
            return True
        if values.is_uuid(segment) and b"://" in found:
            return True  # on a hook or ping host: its path is the key
    return False
