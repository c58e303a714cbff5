"""What a variable's name says about its value: a password, a secret, a hint of a key, or nothing.

Names are read as words (``dbPassword`` -> DB PASSWORD, ``DBPASS`` -> DB PASS).
A credential word anywhere decides, unless a word after it says the value
describes the secret instead of holding it (``PASSWORD_FILE``, ``TOKEN_TTL``,
``SECRET_NAME``, ``PASSWORD_HASH``) or the name is a switch or a count
(``NO_AUTH``, ``MAX_TOKENS``). Other words after it only qualify it:
``PASSWORD_DB``, ``TOKEN_GITHUB`` and ``SECRET_BLAH`` hold what they say (as
"named": a short number there is a setting, not a PIN).

Strengths, strongest first:

- "password": any literal is a secret, digits too (a PIN);
- "named" (``SECRET``, ``TOKEN``, ``API_KEY``, ``CREDENTIALS``): any literal but
  a short number, a duration, an algorithm or header name, a placeholder;
- "auth" (``AUTH``, ``BASIC_AUTH``): as "named", but a scheme or mode word
  (``oidc``, ``internal``) or an email address is a setting, not a secret;
- "random" (``LICENSE_KEY``, ``AUTH_LDAP_BIND_DN``): only a generated-looking value;
- "id" (``VAULT_SECRET_ID``): as "named", but a path names where the secret is.

Framework prefixes that ship a variable to the browser (``NEXT_PUBLIC_``,
``VITE_``, ``REACT_APP_``) are read past: they say where the value goes, not
that it is public.
"""

from functools import lru_cache
from typing import Literal

from policies.linear_regex import LinearPattern

Strength = Literal["password", "named", "auth", "random", "id"]

# Longer names are read on their last characters: the head word sits at the end,
# and a cached name must stay small.
NAME_CHARS = 256


def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


PASSWORD_WORDS = _words_of("PASSWORD PASSWORDS PASSWD PASSWORT PWD PW PASS PASSPHRASE PASSCODE")
SECRET_WORDS = _words_of(
    "SECRET SECRETS TOKEN TOKENS APIKEY APIKEYS CREDENTIAL CREDENTIALS CREDS SALT PEPPER PAT"
)
AUTH_WORDS = _words_of("AUTH AUTHORIZATION")
KEY_WORDS = _words_of("KEY KEYS")
# Glued names: DBPASSWORD, SMTPPASS, ADMINPWD, APPSECRET, MASTERAUTH.
_GLUED_PASSWORD_ENDINGS = ("PASSWORD", "PASSWD", "PASSWORT", "PASSPHRASE", "PASS", "PWD", "PW")
_GLUED_SECRET_ENDINGS = ("SECRET", "TOKEN", "APIKEY")
_GLUED_AUTH_ENDINGS = ("AUTH",)
# English words that end like a glued password word and are not one.
_NOT_GLUED = _words_of(
    "BYPASS COMPASS ENCOMPASS SURPASS TRESPASS OVERPASS UNDERPASS HIGHPASS LOWPASS BANDPASS "
    "ALLPASS NOTCHPASS MULTIPASS ONEPASS TWOPASS FIRSTPASS SECONDPASS SINGLEPASS KEEPASS "
    "OAUTH"
)
_SECRET_KEY_QUALIFIERS = _words_of(
    "API ACCESS SECRET PRIVATE ENCRYPTION ENCRYPT DECRYPTION CRYPT CRYPTO CIPHER SIGNING SIGN "
    "MASTER HMAC AUTH ACCOUNT SHARED SESSION JWT AES WEBHOOK DEPLOY APP APPLICATION CLIENT "
    "SERVER TLS SSL SSH ADMIN ROOT STORAGE SDK COOKIE CSRF TOTP OTP MFA VAULT"
)
_PUBLIC_KEY_QUALIFIERS = _words_of(
    "PUBLIC PUB PUBLISHABLE SITE HOST GPG PGP CACHE SORT PRIMARY FOREIGN PARTITION ROUTING SHARD "
    "IDEMPOTENCY DEDUP DEDUPLICATION LOOKUP INDEX OBJECT LOCK QUEUE TOPIC MAP CONFIG FEATURE "
    "FLAG METRIC LABEL TAG BUCKET RANGE CLUSTERING COMPOSITE UNIQUE ROW TABLE COLUMN FIELD "
    "CONTEXT STATE MESSAGE EVENT GROUP SEARCH HOT"
)
# Words after a secret word that keep it a secret: DB_PASSWORD_B64, API_KEY_PROD.
_QUALIFIERS = _words_of(
    "VALUE VAL STRING STR DATA CONTENT CONTENTS TEXT PLAIN PLAINTEXT RAW B64 BASE64 HEX ENCODED "
    "JSON PEM DER BASE OLD NEW CURRENT PREV PREVIOUS NEXT PRIMARY SECONDARY MAIN BACKUP FALLBACK "
    "LIVE TEST PROD PRODUCTION STAGING DEV SANDBOX V OVERRIDE DEFAULT LOCAL GLOBAL ADMIN ROOT "
    "READ WRITE READONLY RO RW INTERNAL EXTERNAL APP API CI"
)
# Words after a secret word that make the value describe the secret, not hold it.
METADATA_WORDS = _words_of(
    "FILE FILES FILENAME FILEPATH PATH PATHS DIR DIRS DIRECTORY FOLDER LOCATION MOUNT MOUNTPATH "
    "VOLUME NAME NAMES REF REFS ID IDS IDENTIFIER KID ARN URL URLS URI URIS ENDPOINT ENDPOINTS "
    "HOST HOSTS HOSTNAME PORT ADDR ADDRESS SERVER SERVICE SVC HEADER HEADERS PARAM PARAMS "
    "PARAMETER FIELD QUERY COOKIE TTL EXPIRY EXPIRES EXPIRE EXPIRATION LIFETIME LIFESPAN "
    "VALIDITY TIMEOUT DURATION AGE SECOND SECONDS SECS SEC MINUTE MINUTES MINS HOUR HOURS DAY "
    "DAYS MS MILLIS MAX MIN PER LENGTH LEN SIZE BITS BYTES COUNT LIMIT RETRIES ATTEMPTS ROUNDS "
    "ITERATIONS COST INTERVAL PERIOD DELAY WINDOW SCHEDULE CRON ENABLED DISABLED ENABLE DISABLE "
    "REQUIRED REQUIRE ENFORCED ENFORCE ALLOWED ALLOW SKIP IGNORE VERIFY VALIDATE VALIDATION "
    "CHECK ALGORITHM ALGORITHMS ALG ALGO CIPHER ENCODER ENCODING HASHER HASHERS HASHING TYPE "
    "TYPES KIND FORMAT MODE METHOD METHODS POLICY STRATEGY PROVIDER PROVIDERS BACKEND DRIVER "
    "PLUGIN STORE MANAGER ENGINE ISSUER AUDIENCE AUD SCOPE SCOPES REALM DOMAIN VERSION PREFIX "
    "SUFFIX LABEL ANNOTATION SOURCE ROTATION ROTATE REGION ZONE NAMESPACE NS ENVIRONMENT "
    "PROFILE LEVEL USER USERNAME USERS LOGIN EMAIL SUBJECT CLAIM CLAIMS ROLE ROLES GROUP GROUPS "
    "CALLBACK REDIRECT PROMPT HINT DESCRIPTION MESSAGE TEMPLATE PATTERN REGEX RULES RULE "
    "COMPLEXITY STRENGTH HISTORY RESET CERT CERTIFICATE CA FINGERPRINT THUMBPRINT TRANSPORT "
    "PROTOCOL STATUS STATE SELECTOR TAG CONTEXT KEYRING ALIAS CONFIG CONFIGURATION SETTINGS "
    "OPTIONS OPTS ARGS FLAGS DN OWNER CONTACT THROUGH THRU STDIN FD STORAGE VALIDATOR VALIDATORS "
    "LOCKOUT THRESHOLD UPPERCASE LOWERCASE DIGITS SYMBOLS SPECIAL CHARS CHARACTERS REUSE "
    "GENERATOR ISSUED BLACKLIST BLOCKLIST DENYLIST ALLOWLIST WHITELIST CACHE TABLE COLUMN SCHEMA "
    # Not plaintext: a hash or ciphertext of the secret.
    "HASH HASHED DIGEST CHECKSUM SHA SHA1 SHA256 SHA512 MD5 BCRYPT CRYPTED ENCRYPTED "
    "CIPHERTEXT SEALED"
)
# Words before the secret word that say the value is not the plaintext.
_NOT_PLAINTEXT = _words_of("HASHED ENCRYPTED SEALED CIPHERED CRYPTED")
_ENCRYPTED_WORDS = _NOT_PLAINTEXT | _words_of("HASH CIPHERTEXT DIGEST")
_OBJECT_HINTS = _words_of("PULL EXISTING")
# Words of a marker that stands for a value to come: YOUR_API_KEY, SAS_KEY_VALUE.
_PLACEHOLDER_WORDS = _words_of("VALUE YOUR HERE PLACEHOLDER REPLACE INSERT ENTER CHANGEME")
PUBLIC_WORDS = _words_of("PUBLIC PUB PUBLISHABLE SITE ID IDS FINGERPRINT CHECKSUM HASH DIGEST")
# Words that name a secret only after a product's name.
_PRODUCT_SECRETS = frozenset(
    {
        ("ERLANG", "COOKIE"),  # the shared secret of an Erlang cluster (RabbitMQ, CouchDB)
        ("HONEYCOMB", "TEAM"),  # the x-honeycomb-team header carries the API key
    }
)
# A first word that makes the name a switch or a count: NO_AUTH, MAX_TOKENS, EXISTING_SECRET.
_LEADING_NEGATIONS = _words_of("EXISTING USE NO SKIP ENABLE DISABLE REQUIRE ALLOW IS HAS MAX MIN")
# Prefixes that make a build ship the variable to the browser; they say nothing of the value.
_FRAMEWORK_PREFIXES = (
    ("NEXT", "PUBLIC"),
    ("NUXT", "PUBLIC"),
    ("EXPO", "PUBLIC"),
    ("REACT", "APP"),
    ("VUE", "APP"),
    ("VITE",),
    ("GATSBY",),
    ("PUBLIC",),
)

# Runs of capitals (an acronym, or the first letter of a word), lower-case runs, digits.
_SEGMENT = LinearPattern("name words", r"[A-Z]+[a-z]*|[a-z]+|[0-9]+")


def words(name: str) -> tuple[str, ...]:
    """Upper-cased words: ``dbPassword`` -> DB PASSWORD, ``OAuth2Token`` -> O AUTH 2 TOKEN."""
    return _words(name[-NAME_CHARS:])  # the cache holds short names only


@lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    data = name.encode("ascii", "ignore")
    found: list[str] = []
    for spans in _SEGMENT.finditer(data):
        start, end = spans[0]
        word = data[start:end].decode()
        lower = next((i for i, c in enumerate(word) if c.islower()), len(word))
        if 1 < lower < len(word):  # HTTPServer: the last capital starts the next word
            found += (word[: lower - 1], word[lower - 1 :])
        else:
            found.append(word)
    upper = tuple(w.upper() for w in found)
    for prefix in _FRAMEWORK_PREFIXES:
        if upper[: len(prefix)] == prefix and len(upper) > len(prefix):
            return upper[len(prefix) :]
    return upper


def strength(name: str) -> Strength | None:
    """How a name announces a secret; cached, as names repeat across pods."""
    return _strength(name[-NAME_CHARS:])


@lru_cache(maxsize=4096)
def _strength(name: str) -> Strength | None:
    found = _words(name)
    for index in range(len(found) - 1, -1, -1):
        word_strength = _word_strength(found, index)
        if word_strength is None:
            continue
        return _in_context(found, index, word_strength)
    return None


def _in_context(found: tuple[str, ...], index: int, word_strength: Strength) -> Strength | None:
    word, tail, before = found[index], found[index + 1 :], found[:index]
    if tail == ("ID",) and word == "SECRET":
        return "id"  # a Vault AppRole secret id is the credential itself
    if tail == ("ID",) and _is_access_key(found, index):
        return "random"  # AWS, Spaces, MinIO: a generated access key id is half the pair
    if word in ("SECRET", "SECRETS") and before and before[-1] in _OBJECT_HINTS:
        return None  # IMAGE_PULL_SECRET, AUTH_EXISTING_SECRET: the name of a Secret object
    if any(w in METADATA_WORDS for w in tail) or found[0] in _LEADING_NEGATIONS:
        return None
    if any(w in _NOT_PLAINTEXT for w in before):
        return None  # HASHED_PASSWORD, ENCRYPTED_TOKEN: not the plaintext
    if _selects_a_key(found, index):
        return "random"  # PASSWORD_KEY=password: which key of a Secret to read
    if all(w in _QUALIFIERS or w.isdigit() for w in tail):
        return word_strength
    # Other words qualify a strong word (PASSWORD_DB, TOKEN_GITHUB), though less surely
    # than when it ends the name: a number or a duration there is a setting
    # (PASSWORD_LOCKOUT_THRESHOLD=5), not a PIN. After a weak word (AUTH_LDAP_BIND_DN)
    # only a generated-looking value counts.
    return "named" if word_strength in ("password", "named") else "random"


def _word_strength(found: tuple[str, ...], index: int) -> Strength | None:
    word = found[index]
    before = found[index - 1] if index else ""
    if word in PASSWORD_WORDS or _glued(word, _GLUED_PASSWORD_ENDINGS):
        return "password"
    if word in SECRET_WORDS or _glued(word, _GLUED_SECRET_ENDINGS):
        return "named"
    if word in AUTH_WORDS or _glued(word, _GLUED_AUTH_ENDINGS):
        return "auth"
    if word.endswith("KEY") and word[:-3] in _SECRET_KEY_QUALIFIERS:
        return "named"  # APIKEY, SECRETKEY, MASTERKEY
    if word in KEY_WORDS:
        if before in _PUBLIC_KEY_QUALIFIERS:
            return None
        return "named" if before in _SECRET_KEY_QUALIFIERS else "random"
    if (before, word) in _PRODUCT_SECRETS:
        return "named"
    return "random" if word == "DSN" else None


def _glued(word: str, endings: tuple[str, ...]) -> bool:
    return word.endswith(endings) and word not in _NOT_GLUED


def _selects_a_key(found: tuple[str, ...], index: int) -> bool:
    """``PASSWORD_SECRET_KEY``, ``DB_PASSWORD_KEY``: the key of a Secret's data, not a key.

    KEY after SECRET names a secret key (``AWS_SECRET_KEY``) unless another
    credential word comes before: then it says which key holds that credential.
    """
    if found[index] not in KEY_WORDS or index < 2 or found[index - 1] != "SECRET":
        return False
    credential = PASSWORD_WORDS | SECRET_WORDS | KEY_WORDS | AUTH_WORDS
    return any(w in credential for w in found[: index - 1])


def _is_access_key(found: tuple[str, ...], index: int) -> bool:
    """ACCESS_KEY or ACCESSKEY at ``index``: unlike other key ids, its id authenticates."""
    return found[index] == "ACCESSKEY" or (
        found[index] == "KEY" and index > 0 and found[index - 1] == "ACCESS"
    )


def says_public(name: str) -> bool:
    """The name calls its value public or an id (``RECAPTCHA_SITE_KEY``, ``KMS_KEY_ID``)."""
    return not PUBLIC_WORDS.isdisjoint(words(name))


def ends_in_key(name: str) -> bool:
    found = words(name)
    return bool(found) and found[-1] in KEY_WORDS


def names_a_key_of(name: str, text: str) -> bool:
    """``CLIENT_SECRET_KEY=client-secret``: under a name ending in KEY, a lower-case value made of
    the name's own words, a credential word among them, names the key of a Secret to read."""
    found = words(name)
    if not found or found[-1] not in KEY_WORDS:
        return False
    parts = set(text.upper().replace("-", "_").replace(".", "_").split("_"))
    credential = PASSWORD_WORDS | SECRET_WORDS | KEY_WORDS | AUTH_WORDS
    return parts <= set(found) and not parts.isdisjoint(credential)


def says_not_plaintext(name: str) -> bool:
    """The name says its value is hashed or encrypted (``DB_PASSWORD_ENCRYPTED``)."""
    return not _ENCRYPTED_WORDS.isdisjoint(words(name))


def names_a_marker(name: str, text: str) -> bool:
    """``API_KEY_VALUE``, ``SAS_KEY_VALUE``, or ``SECRET`` under ``COOKIE_SECRET``: a marker
    awaiting substitution, not a value.

    ``text`` is an upper-case marker (``A_B_C``).
    """
    if text in words(name) and (
        text in SECRET_WORDS or text in PASSWORD_WORDS or text in KEY_WORDS
    ):
        return True
    if len(marker := text.split("_")) > 1 and not _PLACEHOLDER_WORDS.isdisjoint(marker):
        return True
    plain = "".join(c if c.isalnum() else "_" for c in name[-NAME_CHARS:].upper())
    return plain in text


def credential_key_pattern() -> str:
    """An RE2 pattern for a key (``db.password``, ``apiKey``, ``--requirepass``) with a credential word.

    Derived from the words above, to let the scans of ``key=value`` settings and
    command-line options pass over every other key in C rather than in Python.
    It may let through a key that holds no credential word (``strength`` then
    decides) but never drops one that does. A word that may end a glued name
    (``DBPASS``, ``masterkey``) or is four letters or more is found anywhere in
    the key; a shorter one (``PAT``, ``DSN``) only as a word of its own, so that
    ``path`` is passed over.
    """
    stems = set(PASSWORD_WORDS | SECRET_WORDS | AUTH_WORDS | KEY_WORDS)
    glued = set(_GLUED_PASSWORD_ENDINGS + _GLUED_SECRET_ENDINGS + _GLUED_AUTH_ENDINGS) | {"KEY"}
    stems |= glued | {word for _, word in _PRODUCT_SECRETS} | {"DSN"}
    minimal = sorted(s for s in stems if not any(o != s and o in s for o in stems))
    inside = [s for s in minimal if len(s) >= 4 or s in glued]
    alone = [s for s in minimal if s not in inside]
    key = "[A-Za-z0-9_.-]"
    after = f"(?:[A-Z0-9_.-]{key}*)?"  # the word ends: no lower-case letter follows
    forms = [f"{key}*(?i:{'|'.join(inside)}){key}*"]
    if alone:
        cased = "|".join(f"{s}|{s.capitalize()}" for s in alone)
        forms.append(f"(?:{key}*[0-9_.-])?(?i:{'|'.join(alone)}){after}")  # after a separator
        forms.append(f"{key}*[a-z](?:{cased}){after}")  # where a camelCase word starts
    return "(?:" + "|".join(forms) + ")"
