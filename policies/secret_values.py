"""Values that are plainly not a literal secret, whatever the name, and values that look generated.

Three tiers, by how much the variable's name must say before a value is excused:

- ``is_never_secret``: under any name, a password's included. A reference
  (``$(VAR)``, ``${VAR}``, a vault or secret-manager path), a template or a
  mask, a boolean or an empty marker, a path or a URL, a certificate or public
  key, a password hash (bcrypt, argon2, crypt, LDAP ``{SSHA}``), ciphertext
  (SOPS ``ENC[...]``, KMS and Sealed Secrets blobs, Ansible Vault), a Secret
  object's name, and credentials published for emulators (Azurite, LocalStack).
- ``is_setting``: under a name that is not a password's. A short number, a
  duration, an algorithm or header name, a placeholder (``your-api-key-here``).
- ``is_mode_word``: only under a weak name (``AUTH``): an auth scheme or mode
  (``oidc``, ``internal``), an email address.

All on bytes, each check linear in the value (RE2, or one pass in Python).
"""

import base64
import binascii
import hashlib
import math
from collections import Counter

from policies.linear_regex import LinearPattern

_HASHES = (
    r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}",  # bcrypt
    r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+",
    r"\$(?:1|5|6|7|y|gy|apr1|md5|sha1|sm3)\$[^$\s]*\$[./A-Za-z0-9]+(?:\$[./A-Za-z0-9]+)?",  # crypt
    r"\$(?:pbkdf2|scrypt|bcrypt-sha256)[\w-]*\$[^\s]+",  # passlib
    # Django and werkzeug: the scheme, then two or more fields (rounds, salt, hash)
    r"(?i:pbkdf2[\w-]*|scrypt|argon2\w*|bcrypt\w*|sha1|sha224|sha256|sha384|sha512|md5)"
    r"(?::[\w:]+)?(?:\$[^$\s]+){2,}",
    r"\{(?i:SSHA|SHA|SSHA256|SSHA384|SSHA512|SHA256|SHA384|SHA512|MD5|SMD5|CRYPT|PBKDF2[\w-]*"
    r"|ARGON2|BCRYPT)\}[A-Za-z0-9+/=.$]+",  # LDAP
    r"md5[0-9a-f]{32}",  # PostgreSQL
    r"SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+",
    r"\*[0-9A-F]{40}",  # MySQL
)
_NEVER = (
    r"(?i:true|false|yes|no|on|off|y|n|enabled?|disabled?|none|null|nil|undefined|n/a|empty"
    r"|unset|\*+|x+|•+|\.{3,}|…+|redacted|<redacted>|\[redacted\]|masked|hidden)",
    # References and templates
    r"\$\(\w+\)|\$\{[^}]+\}|\$\{\{.*\}\}|\$[A-Z_][A-Z0-9_]*|\{\{.*\}\}|\{\w+\}|<[^<>]+>|%\{[^}]+\}"
    r"|%\(\w+\)s|%\w+%|#\{[^}]+\}#?|__\w+__|@@\w+@@|\(\([^()\s]+\)\)",
    # Where a secret is stored, or its ciphertext
    r"ENC\(.+\)|ENC\[.+\]|EJ\[\d:.+\]|\{cipher\}\S+|encrypted:\S+|@Microsoft\.KeyVault\(.+\)",
    # A secret store's name, after any prefix: vault:…, aws:ssm:…, aws-secretsmanager:…
    r"(?i:[a-z0-9]+[:_-])*(?i:vault|secret|secrets|secretsmanager|secretmanager|ssm|ssm-secure|awssm"
    r"|aws-sm|gsm|gcpsm|azurekeyvault|keyvault|akv|op|bw|doppler|infisical|conjur|berglas|sops"
    r"|k8s-secret|secretref|kms|awskms|gcpkms|env|ref\+\w+):\S+",
    r"k8s:enc:\S+|#jbcrypt:\S+",
    r"arn:aws[\w-]*:(?:secretsmanager|ssm|kms):\S+|projects/[^/\s]+/secrets/\S+",
    r"\$ANSIBLE_VAULT;[\s\S]*",
    # JWE compact: a header, then the encrypted key, iv, ciphertext and tag
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    # A Secret object's name
    r"[a-z0-9]+(?:-[a-z0-9]+)*-(?:secrets|credentials|creds|tls)(?:-[a-z0-9]+)*",
    # Paths and URLs
    r"[A-Za-z][A-Za-z0-9+.-]*://\S*|file:\S+",
    r"(?:/|\./|\.\./|~/|(?:\$\(\w+\)|\$\{\w+\}|\$\w+)/)[\w.@:/-]*|[A-Za-z]:\\\S*",
    # Certificates, public keys, encrypted messages
    r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|X509 CRL|(?:NEW )?CERTIFICATE REQUEST"
    r"|TRUSTED CERTIFICATE|PGP PUBLIC KEY BLOCK|SSH2 PUBLIC KEY|PGP MESSAGE|AGE ENCRYPTED FILE)"
    r"-----[\s\S]*",
    r"(?:(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)"
    r"@openssh\.com) AAAA\S*(?:[ \t][^\n]*)?\s*)+",
    r"age1[02-9ac-hj-np-z]{58}",  # an age recipient: the public half
    # Password hashes, alone or as htpasswd lines
    r"(?:(?:[^\s:]+:)?(?:" + "|".join(_HASHES) + r")\s*)+",
)
_SETTING = (
    r"[+-]?\d{1,5}(?:\.\d+)?",
    r"\d+(?:\.\d+)?\s*(?i:ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w"
    r"|weeks?|y|years?|[kmgtp]i?b?)",
    r"(?:\d+(?:ms|[smhd]))+|P(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?",
    r"(?:HS|RS|ES|PS)(?:256|384|512)K?|EdDSA|(?i:AES[-_]?(?:128|192|256)(?:[-_](?:GCM|CBC|CTR))?"
    r"|bcrypt|scrypt|argon2(?:i|d|id)?|pbkdf2(?:[-_]sha\d+)?|sha-?(?:1|224|256|384|512)|md5)",
    r"X-[A-Za-z0-9-]+|(?i:(?:proxy-)?authorization|set-cookie)",
    # A form awaiting a value: your-api-key-here, REPLACE_ME (not change-me: a server takes that)
    r"(?i:(?:your|insert|enter|replace|put|fill|paste)(?:[-_ .]+[a-z0-9]+){0,6}"
    r"|(?:[a-z0-9]+[-_ .]+){0,6}(?:here|placeholder)|todo|tbd|fixme)",
)
_MODE = (
    r"(?i:bearer|basic|digest|negotiate|oauth2?|oidc|openid|ldaps?|saml|jwt|kerberos|ntlm|mtls"
    r"|keycloak|github|gitlab|google|okta|auth0|cognito|azuread|internal|local|htpasswd|dex"
    r"|anonymous|session|cookie|header|form|x509|iam|sso|cas|pam|sasl|scram-sha-256|trust|peer)",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}",
)
_NEVER_SECRET = LinearPattern("never a secret", "|".join(_NEVER))
_SETTING_VALUE = LinearPattern("setting value", "|".join(_SETTING))
_MODE_WORD = LinearPattern("mode word or email", "|".join(_MODE))
_BASE64 = LinearPattern("base64", r"[A-Za-z0-9+/]{32,}={0,2}|[A-Za-z0-9_-]{32,}={0,2}")
_UUID = LinearPattern(
    "uuid", r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_HEX = LinearPattern("hex", r"[0-9a-fA-F]+")
RANDOM_WINDOW = 4096

# Account keys published in the emulators' own documentation: they open nothing
# but a local emulator. Azurite (learn.microsoft.com/azure/storage/common/storage-use-azurite)
# and the Cosmos DB emulator (learn.microsoft.com/azure/cosmos-db/emulator), kept as
# SHA-256 of the key without its padding, so the source holds no key-shaped string.
_EMULATOR_KEY_DIGESTS = frozenset(
    {
        "ed967197261c16a9ed0205f8a5099d81ec98263c1fb47ce1d87f1b93fc199e70",
        "eaa6a9190faf5587f487fe5170e377fa97e5efd16fd58aa80587069a2821c013",
    }
)
# LocalStack and DynamoDB Local take any AWS key; their documentation uses these.
EMULATOR_AWS_VALUES = frozenset({b"test", b"fakeMyKeyId", b"fakeSecretAccessKey", b"localstack"})


def is_never_secret(text: bytes) -> bool:
    if b"$$" in text:  # a compose file's escaped $: $$2y$$05$$...
        text = text.replace(b"$$", b"$")
    return _NEVER_SECRET.fullmatch(text) or is_emulator_key(text) or is_ciphertext_blob(text)


def is_emulator_key(text: bytes) -> bool:
    """An account key an emulator's documentation publishes (64 bytes of base64)."""
    key = text.rstrip(b"=")
    return len(key) == 86 and hashlib.sha256(key).hexdigest() in _EMULATOR_KEY_DIGESTS


def is_setting(text: bytes) -> bool:
    return _SETTING_VALUE.fullmatch(text)


def is_mode_word(text: bytes) -> bool:
    return _MODE_WORD.fullmatch(text)


def is_ciphertext_blob(text: bytes) -> bool:
    """Base64 of a KMS or Sealed Secrets envelope: known headers before the ciphertext.

    AWS KMS (version byte 1, then the key's ARN length), Google Cloud KMS (a
    protobuf whose first field is 36 bytes long), Sealed Secrets (a 2-byte length
    of the RSA-wrapped session key, 256 or 512).
    """
    if len(text) < 64 or not _BASE64.fullmatch(text):
        return False
    raw = decode_base64(text[:64])
    if raw is None:
        return False
    return (
        (raw[0] == 1 and raw[1] in (1, 2) and raw[2] in (1, 2) and raw[3] == 0)
        or raw[:3] == b"\x0a\x24\x00"
        or (raw[:2] in (b"\x01\x00", b"\x02\x00") and len(text) >= 360)
    )


def looks_random(text: bytes) -> bool:
    """Long, letters and digits mixed, high in entropy: generated, not a word, id or path.
    (Whether it is plainly something else is the caller's other question.)

    Judged on the first ``RANDOM_WINDOW`` bytes: more than any generated key, and
    the bound on the work. Base64 that decodes to text is encoded configuration,
    not a generated key.
    """
    if len(text) < 16 or _UUID.fullmatch(text):
        return False
    sample = text[:RANDOM_WINDOW]
    if len(sample.split(None, 1)) > 1:
        return False
    if _BASE64.fullmatch(sample) and decode_text(sample) is not None:
        return False
    if _HEX.fullmatch(sample):
        return len(sample) >= 32 and entropy(sample) >= 3.0
    if not (has_any(sample, DIGITS) and has_any(sample, LETTERS)):
        return False
    threshold = 3.3 if len(sample) < 24 else 3.6
    return entropy(sample) >= threshold


DIGITS = b"0123456789"
LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def has_any(text: bytes, chars: bytes) -> bool:
    """One of ``chars`` occurs in ``text`` (a pass in C, however long the text)."""
    return len(text.translate(None, chars)) < len(text)


def is_uuid(text: bytes) -> bool:
    return _UUID.fullmatch(text)


def is_base64(text: bytes) -> bool:
    return _BASE64.fullmatch(text)


def entropy(text: bytes) -> float:
    """Shannon entropy in bits per byte."""
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def decode_base64(text: bytes) -> bytes | None:
    """``text`` decoded from (URL-safe) base64, or None."""
    padded = text + b"=" * (-len(text) % 4)
    url_safe = b"-" in text or b"_" in text
    try:
        return base64.urlsafe_b64decode(padded) if url_safe else base64.b64decode(padded)
    except (binascii.Error, ValueError):
        return None


def decode_text(text: bytes) -> bytes | None:
    """``text`` decoded from base64 when that yields printable UTF-8 text, else None.

    Printable apart from line breaks, tabs and a byte-order mark: a check in C,
    however long the text.
    """
    raw = decode_base64(text)
    if not raw:
        return None
    try:
        inner = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not inner.isprintable():
        for layout in "\t\n\r\x0b\x0c\ufeff":
            inner = inner.replace(layout, "")
    return raw if inner.isprintable() else None
