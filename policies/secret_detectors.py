"""Tell a literal credential in an env value from ordinary configuration.

Three kinds of evidence, surest first:

1. The value has the shape of a known credential (``AKIA…``, ``ghp_…``, a PEM
   private key or private JWK, a URL with a password, ``password=…`` inside JVM
   options, a connection string or a header list, any of these base64-encoded).
   Shapes count under any name, except that a bare 40- or 88-character cloud
   key (no prefix to go by) is not flagged where the name calls the value
   public or an id (``*_SITE_KEY``).
2. The name announces a secret (``DB_PASSWORD``, ``apiKey``, ``GITHUB_TOKEN``)
   and the value is not plainly something else: a reference (``$(VAR)``, a
   vault path), a file path, a URL, a boolean, a duration, a number below six
   digits (none at all under a password name: there digits are a PIN), a
   public key or certificate, an algorithm, header or auth-scheme name.
3. The name only hints at a key (``ENCRYPTION_KEY`` is named, but ``LICENSE_KEY``,
   ``SORT_KEY`` or a bare ``KEY`` are not) and the value looks generated:
   long, letters and digits mixed, high Shannon entropy.

Names are read as words (``dbPassword`` -> DB PASSWORD) and the last secret
word must be the name's head: ``PASSWORD_FILE``, ``TOKEN_TTL`` and
``SECRET_NAME`` describe where or how long, not the secret; ``BYPASS``,
``AUTHOR``, ``OAUTH_URL`` and ``MONKEY`` hold no secret word at all. Two ids are
credentials: ``*_SECRET_ID`` (a Vault AppRole secret id; a path or ARN there
names a stored secret instead) and ``*_ACCESS_KEY_ID`` when generated-looking.

Grey zone, decided: demo passwords and placeholders a server would accept
(``changeme``, ``password``) are flagged, and so is a password inside JVM
options (``-Djavax.net.ssl.trustStorePassword=…``); unrendered
templates (``{{ .x }}``, ``<your-token>``), masks (``****``), ``ENC(…)``
ciphertext and markers that repeat the variable's name (``API_KEY_VALUE``)
are not. A Sentry-style DSN (a key as the URL's user) is flagged: the key
authenticates; exempt the name when that is accepted.

All pure, regexes compiled once: this runs on every admission. A label names
the detector only, never anything taken from the value.
"""

import base64
import binascii
import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Literal

Strength = Literal["password", "named", "random", "id"]

NAMED_LABEL = "value under a credential-style name"
RANDOM_LABEL = "high-entropy value under a key-style name"
SETTING_LABEL = "credential in a key=value setting"
URL_LABEL = "URL with embedded credentials"

# Known formats: (label, the characters a match can start with, regex). A
# match must start a word (no letter or digit before it) and is tried only
# where the next character can start a format, so a value costs one scan plus
# a few short matches. Charset and length are part of each pattern: a prefix
# alone, or inside a longer word, never matches.
_HEXS = "0123456789abcdef"
_Z = r"(?![A-Za-z0-9_-])"  # token end
_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("PEM private key", "-", r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----"),
    ("PEM private key", "P", r"PuTTY-User-Key-File-\d: "),
    (
        "base64 DER private key",
        "M",
        r"M(?:II[A-Za-z0-9+/]{2,3}IBA(?:AKC|DANBgkqhkiG9w0BAQEFAASC)|HcCAQEEI|IGHAgEAMBMGByqGSM49"
        r"|C4CAQAwBQYDK2VwBCIEI)[A-Za-z0-9+/]{20,}",
    ),
    ("GCP service account key", '"', r'"(?:type"\s*:\s*"service_account"|private_key"\s*:\s*")'),
    ("Docker config auth", '"', r'"auths?"\s*:\s*\{[^{}]*\{[^{}]*"auth"\s*:\s*"[A-Za-z0-9+/]{8,}'),
    ("AWS access key id", "A", r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ("AWS session token", "FI", r"(?:FwoGZXIvYXdz|IQoJb3JpZ2luX2Vj)[A-Za-z0-9+/=]{80,}"),
    ("GCP API key", "A", r"AIza[0-9A-Za-z_-]{30,}"),
    ("GCP OAuth client secret", "G", r"GOCSPX-[0-9A-Za-z_-]{24,}"),
    ("Google OAuth token", "y1", r"(?:ya29\.[0-9A-Za-z_-]{30,}|1//0[0-9A-Za-z_-]{40,})"),
    ("Azure storage account key", "A", r"AccountKey=[A-Za-z0-9+/]{20,}"),
    ("Azure SAS token", "sS", r"(?:sig|SharedAccessSignature)=[A-Za-z0-9%+/]{20,}"),
    ("Azure shared access key", "S", r"SharedAccessKey=[A-Za-z0-9+/]{20,}"),
    ("GitHub token", "g", r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})" + _Z),
    (
        "GitLab token",
        "gG",
        r"(?:gl(?:pat|ptt|rt|dt|soat|ffct|cbt|imt|agent|oas|ft|wt)-"
        r"[0-9A-Za-z_-]{20,}|GR1348941[0-9A-Za-z_-]{20,})",
    ),
    ("Slack token", "x", r"(?:xox[abposre]-[0-9A-Za-z-]{10,}|xapp-\d-[0-9A-Za-z-]{20,})"),
    (
        "Slack webhook URL",
        "h",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}",
    ),
    (
        "Stripe secret key",
        "srw",
        r"(?:[sr]k_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})",
    ),
    ("Twilio API key", "S", r"SK[0-9a-f]{32}" + _Z),
    ("Twilio account SID", "A", r"AC[0-9a-f]{32}" + _Z),
    ("SendGrid API key", "S", r"SG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{30,}"),
    ("npm token", "n", r"npm_[A-Za-z0-9]{36,}" + _Z),
    ("PyPI token", "p", r"pypi-[A-Za-z0-9_-]{50,}"),
    ("Docker Hub token", "d", r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}"),
    ("Grafana API key", "e", r"eyJrIjoi[A-Za-z0-9+/]{40,}"),
    ("JSON Web Token", "e", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    ("Anthropic API key", "s", r"sk-ant-[a-z]{3,6}\d{2}-[A-Za-z0-9_-]{40,}"),
    (
        "OpenAI-style API key",
        "s",
        r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"
        r"|[A-Za-z0-9]{32,}(?![A-Za-z0-9_-]))",
    ),
    ("Groq API key", "g", r"gsk_[A-Za-z0-9]{48,}"),
    ("Replicate API token", "r", r"r8_[A-Za-z0-9]{37}" + _Z),
    ("Hugging Face token", "h", r"hf_[A-Za-z]{30,}" + _Z),
    (
        "Mailgun API key",
        "k" + _HEXS,
        r"(?:key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})" + _Z,
    ),
    ("Mailchimp API key", _HEXS, r"[0-9a-f]{32}-us\d{1,2}" + _Z),
    (
        "New Relic key",
        "N" + _HEXS,
        r"(?:NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|[a-f0-9]{36}NRAL)" + _Z,
    ),
    ("Shopify token", "s", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32,}" + _Z),
    ("Heroku API key", "H", r"HRKU-[A-Za-z0-9_-]{30,}"),
    ("HashiCorp Vault token", "h", r"hv[sbr]\.[A-Za-z0-9_-]{24,}"),
    ("Atlassian API token", "A", r"AT(?:[AC]TT3|BB)[A-Za-z0-9_=.-]{32,}"),
    ("DigitalOcean token", "d", r"do[opr]_v1_[a-f0-9]{64,}" + _Z),
    (
        "Discord bot token",
        "MNO",
        r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}" + _Z,
    ),
    ("Discord webhook URL", "d", r"discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}"),
    ("Telegram bot token", "123456789", r"\d{8,10}:AA[0-9A-Za-z_-]{30,}" + _Z),
    ("Square token", "Es", r"(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43})" + _Z),
    ("Meta access token", "E", r"EAA[BCDGIM][A-Za-z0-9]{80,}"),
    ("age secret key", "A", r"AGE-SECRET-KEY-1[A-Z0-9]{50,}" + _Z),
    ("Databricks token", "d", r"dapi[a-f0-9]{32,}(?:-\d)?" + _Z),
    ("Grafana token", "g", r"(?:glc_[A-Za-z0-9+/]{32,}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})"),
    ("Sentry auth token", "s", r"sntry[su]_[A-Za-z0-9+/=_]{40,}"),
    ("Doppler token", "d", r"dp\.(?:st|ct|pt|sa|scim|audit)\.[A-Za-z0-9_.-]{40,}"),
    ("Pulumi access token", "p", r"pul-[a-f0-9]{40,}" + _Z),
    ("Linear API key", "l", r"lin_(?:api|oauth)_[A-Za-z0-9]{32,}" + _Z),
    ("Postman API key", "P", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _Z),
    ("Airtable token", "p", r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _Z),
    ("Notion token", "sn", r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{46})" + _Z),
    ("Supabase key", "s", r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,})"),
    ("PlanetScale token", "p", r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,}"),
    ("Buildkite token", "b", r"bkua_[a-f0-9]{40,}" + _Z),
    ("CircleCI token", "C", r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}" + _Z),
    ("Netlify token", "n", r"nfp_[A-Za-z0-9]{36,}" + _Z),
    ("Fly.io token", "f", r"(?:fo1_[A-Za-z0-9_-]{39,}|fm[12][ar]?_[A-Za-z0-9+/=_-]{40,})"),
    ("RubyGems API key", "r", r"rubygems_[a-f0-9]{48,}" + _Z),
    ("NuGet API key", "o", r"oy2[a-z0-9]{43}" + _Z),
    ("JFrog token", "Ac", r"(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{40,})"),
    ("Cloudflare origin CA key", "v", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}" + _Z),
    ("Alibaba Cloud access key id", "L", r"LTAI[A-Za-z0-9]{12,20}(?![A-Za-z0-9])"),
    ("Tencent Cloud secret id", "A", r"AKID[A-Za-z0-9]{32}(?![A-Za-z0-9])"),
    ("Mapbox secret token", "s", r"sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"),
    (
        "LaunchDarkly key",
        "sa",
        r"(?:sdk|api)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}" + _Z,
    ),
    ("Contentful token", "C", r"CFPAT-[A-Za-z0-9_-]{40,}"),
    (
        "Braintree access token",
        "a",
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}",
    ),
    ("Shippo token", "s", r"shippo_(?:live|test)_[a-f0-9]{40}" + _Z),
    ("Dropbox token", "s", r"sl\.[A-Za-z0-9_-]{130,}"),
    ("SonarQube token", "s", r"sq[upa]_[a-f0-9]{40,}" + _Z),
    ("1Password service account token", "o", r"ops_eyJ[A-Za-z0-9+/=_-]{40,}"),
    ("Twitter bearer token", "A", r"A{22}[A-Za-z0-9%]{60,}"),
    ("Dynatrace token", "d", r"dt0[a-z]\d{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}" + _Z),
    ("Figma token", "f", r"fig[dor]_[A-Za-z0-9_-]{40,}"),
    ("xAI API key", "x", r"xai-[A-Za-z0-9]{70,}" + _Z),
    ("Perplexity API key", "p", r"pplx-[A-Za-z0-9]{40,}" + _Z),
    ("LangSmith API key", "l", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + _Z),
    ("Pinecone API key", "p", r"pcsk_[A-Za-z0-9_]{40,}"),
    ("Render API key", "r", r"rnd_[A-Za-z0-9]{28,}" + _Z),
    ("Neon API key", "n", r"napi_[a-z0-9]{60,}" + _Z),
    ("Resend API key", "r", r"re_[A-Za-z0-9]{8}_[A-Za-z0-9]{20,}" + _Z),
    ("Brevo API key", "x", r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}" + _Z),
    ("MailerSend token", "m", r"mlsn\.[a-f0-9]{64}" + _Z),
    ("EasyPost API key", "E", r"EZ[AT]K[A-Za-z0-9]{54}" + _Z),
    ("Plaid access token", "a", r"access-(?:sandbox|development|production)-[a-f0-9-]{36}" + _Z),
    ("Prefect API key", "p", r"pnu_[A-Za-z0-9]{36}" + _Z),
    ("ReadMe API key", "r", r"rdme_[a-z0-9]{70}" + _Z),
    ("Typeform token", "t", r"tfp_[A-Za-z0-9_.=-]{40,}"),
    ("Duffel token", "d", r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}" + _Z),
    ("Flutterwave secret key", "F", r"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X" + _Z),
    ("Adafruit IO key", "a", r"aio_[A-Za-z0-9]{28}" + _Z),
    (
        "HTTP bearer credentials",
        "BbTtS",
        r"(?i:bearer|token|ssws)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}",
    ),
    ("HTTP basic credentials", "Bb", r"(?i:basic)\s+[A-Za-z0-9+/]{8,}={0,2}(?![A-Za-z0-9+/=])"),
)
# Formats that need not start a word: (label, a literal the value must contain, regex).
_EMBEDDED_FORMATS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "Azure AD client secret",
        "Q~",
        re.compile(r"(?<![\w~.-])[\w~.-]{3}[78]Q~[\w~.-]{31,34}(?![\w~.-])"),
    ),
    (
        "Firebase Cloud Messaging key",
        ":APA91b",
        re.compile(r"(?<![A-Za-z0-9])AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{100,}"),
    ),
    (
        "Microsoft Teams webhook URL",
        ".webhook.office.com/",
        re.compile(r"\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/_-]{40,}"),
    ),
    (
        "Terraform Cloud token",
        ".atlasv1.",
        re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}"),
    ),
    # One JSON object, members in any order: a key type and the private exponent or scalar.
    (
        "JWK private key",
        '"kty"',
        re.compile(
            r'\{(?=[^{}]*"kty"\s*:\s*"(?:RSA|EC|OKP)")(?=[^{}]*"d"\s*:\s*"[A-Za-z0-9_-]{16,})'
        ),
    ),
)


def _dispatch() -> dict[str, re.Pattern[str]]:
    """One alternation per first character, each group named after its format's index."""
    by_first: dict[str, list[str]] = {}
    for index, (_, starts, pattern) in enumerate(_FORMATS):
        for char in starts:
            by_first.setdefault(char, []).append(f"(?P<f{index}>{pattern})")
    return {char: re.compile("|".join(groups)) for char, groups in by_first.items()}


def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BY_FIRST = _dispatch()
_WORD_START = re.compile("[^A-Za-z0-9](?=[" + re.escape("".join(sorted(_BY_FIRST))) + "])")
_BASIC = next(i for i, f in enumerate(_FORMATS) if f[0] == "HTTP basic credentials")

# The password runs to the last ``@`` before the host: people leave ``#``, ``?``, ``/``
# and ``@`` unencoded in it. It never reaches into a second URL.
_URL_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://(?P<user>[^\s:/?#@]*)"
    r"(?::(?P<password>(?:(?!://)\S)*?))?@(?![^\s/?#@]*@)[^\s/?#@]*[A-Za-z0-9\]]"
)
# ``host:8080/path?by=a@b.example``: what reads as user and password is a host, a port and a path.
_PORT_AND_PATH = re.compile(r"\d{1,5}[/?#]")
# ``prod/app/db``, ``secret/data/app``: where a secret is stored, under a *SECRET_ID name.
_SECRET_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+/?")
_SETTING = re.compile(  # key=value, key: value, "key": "value"
    r"(?<![A-Za-z0-9_.])(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[\"']?[ \t]*"
    r"(?:=|:(?=[ \t\"']))[ \t]*[\"']?(?P<value>\$\{[^}]*\}|[^\s\"',;&{}\[\]]*)"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{32,}={0,2}|[A-Za-z0-9_-]{32,}={0,2}")
_AWS_SECRET = re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*\d)[A-Za-z0-9/+]{40}")
_AZURE_KEY = re.compile(r"[A-Za-z0-9+/]{86}==")
_MARKER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_MASKED_PASSWORD = re.compile(r"\*+|x+|X+|<[^<>]*>|\$\(\w+\)|\$\{[^}]*\}|\{\{.*\}\}|%s|\$\w+")

# Values that are plainly not the secret, whatever the variable is called.
_NOT_SECRET = re.compile(
    r"""(?xi)
      (?:true|false|yes|no|on|off|y|n|enabled?|disabled?|none|null|nil|undefined|n/a|empty
        |auto|optional|required|\*+|x+|•+|redacted|<redacted>|\[redacted\]|masked|hidden)
    | (?:bearer|basic|digest|negotiate|oauth2?|oidc|openid|ldaps?|saml|jwt|kerberos|ntlm|mtls
        |keycloak|github|gitlab|google|okta|auth0|cognito|azuread|internal|local|htpasswd|dex
        |anonymous|session|cookie|header|form|x509|iam|sso|cas|pam|sasl|scram-sha-256|trust|peer)
    | [a-z0-9]+(?:-[a-z0-9]+)*-(?:secrets|credentials|creds|tls)(?:-[a-z0-9]+)*
    | \$\(\w+\) | \$\{[^}]+\} | \$\{\{.*\}\} | (?-i:\$[A-Z_][A-Z0-9_]*) | \{\{.*\}\} | \{\w+\}
    | <[^<>]+> | %\{[^}]+\} | %\(\w+\)s | %\w+% | \#\{[^}]+\}\#? | __\w+__ | @@\w+@@
    | ENC\(.+\) | @Microsoft\.KeyVault\(.+\) | (?:vault|secret|ref\+\w+):\S+
    | arn:aws[\w-]*:(?:secretsmanager|ssm|kms):\S+ | projects/[^/]+/secrets/\S+
    | [+-]?\d{1,5}(?:\.\d+)?
    | \d+(?:\.\d+)?\s*(?:ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?
        |d|days?|w|weeks?|y|years?|[kmgtp]i?b?)
    | (?:\d+(?:ms|[smhd]))+ | P(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?
    | [A-Za-z][A-Za-z0-9+.-]*://\S* | file:\S+
    | (?:/|\./|\.\./|~/|(?:\$\(\w+\)|\$\{\w+\}|\$\w+)/)[\w.@:/-]* | [A-Za-z]:\\\S*
    | -----BEGIN\ (?:CERTIFICATE|PUBLIC\ KEY|RSA\ PUBLIC\ KEY|X509\ CRL
        |(?:NEW\ )?CERTIFICATE\ REQUEST|TRUSTED\ CERTIFICATE|PGP\ PUBLIC\ KEY\ BLOCK
        |SSH2\ PUBLIC\ KEY)-----[\s\S]*
    | (?:(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+
        |sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\ AAAA\S*(?:[ \t][^\n]*)?\s*)+
    | (?:HS|RS|ES|PS)(?:256|384|512)K? | EdDSA | AES[-_]?(?:128|192|256)(?:[-_](?:GCM|CBC|CTR))?
    | bcrypt | scrypt | argon2(?:i|d|id)? | pbkdf2(?:[-_]sha\d+)? | sha-?(?:1|224|256|384|512) | md5
    | X-[A-Za-z0-9-]+ | (?:proxy-)?authorization | set-cookie
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}
    """
)

# Words of a name. A secret word must end the name, or be followed only by
# qualifiers (DB_PASSWORD_B64, API_KEY_PROD); a metadata word after it means
# the value describes the secret instead of holding it.
_SEGMENT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_PASSWORD_WORDS = _words_of("PASSWORD PASSWORDS PASSWD PASSWORT PWD PW PASS PASSPHRASE PASSCODE")
_SECRET_WORDS = _words_of(
    "SECRET SECRETS TOKEN TOKENS APIKEY APIKEYS CREDENTIAL CREDENTIALS CREDS AUTH AUTHORIZATION "
    "SALT PEPPER PAT"
)
_GLUED_PASSWORD_ENDINGS = ("PASSWORD", "PASSWD", "PASSWORT", "PASSPHRASE")
_GLUED_SECRET_ENDINGS = ("SECRET", "TOKEN", "APIKEY")
_KEY_WORDS = _words_of("KEY KEYS")
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
_QUALIFIERS = _words_of(
    "VALUE VAL STRING STR DATA CONTENT CONTENTS TEXT PLAIN PLAINTEXT RAW B64 BASE64 HEX ENCODED "
    "JSON PEM DER BASE OLD NEW CURRENT PREV PREVIOUS NEXT PRIMARY SECONDARY MAIN BACKUP FALLBACK "
    "LIVE TEST PROD PRODUCTION STAGING DEV SANDBOX V OVERRIDE DEFAULT LOCAL GLOBAL ADMIN ROOT "
    "READ WRITE READONLY RO RW INTERNAL EXTERNAL APP API CI"
)
_METADATA_WORDS = _words_of(
    "FILE FILES FILENAME FILEPATH PATH PATHS DIR DIRS DIRECTORY FOLDER LOCATION MOUNT MOUNTPATH "
    "VOLUME NAME NAMES REF REFS ID IDS IDENTIFIER KID ARN URL URLS URI URIS ENDPOINT ENDPOINTS "
    "HOST HOSTS HOSTNAME PORT ADDR ADDRESS SERVER SERVICE SVC HEADER HEADERS PARAM PARAMS "
    "PARAMETER FIELD QUERY COOKIE TTL EXPIRY EXPIRES EXPIRE EXPIRATION LIFETIME LIFESPAN "
    "VALIDITY TIMEOUT DURATION AGE SECOND SECONDS SECS SEC MINUTE MINUTES MINS HOUR HOURS DAY "
    "DAYS MS MILLIS MAX MIN PER LENGTH LEN SIZE BITS BYTES COUNT LIMIT RETRIES ATTEMPTS ROUNDS "
    "ITERATIONS COST INTERVAL PERIOD DELAY WINDOW SCHEDULE CRON ENABLED DISABLED ENABLE DISABLE "
    "REQUIRED REQUIRE ENFORCED ENFORCE ALLOWED ALLOW SKIP IGNORE VERIFY VALIDATE VALIDATION "
    "CHECK ALGORITHM ALGORITHMS ALG ALGO CIPHER ENCODER ENCODING HASHER HASHING TYPE TYPES KIND "
    "FORMAT MODE METHOD METHODS POLICY STRATEGY PROVIDER PROVIDERS BACKEND DRIVER PLUGIN STORE "
    "MANAGER ENGINE ISSUER AUDIENCE AUD SCOPE SCOPES REALM DOMAIN VERSION PREFIX SUFFIX LABEL "
    "ANNOTATION SOURCE ROTATION ROTATE REGION ZONE NAMESPACE NS ENVIRONMENT PROFILE LEVEL USER "
    "USERNAME USERS LOGIN EMAIL SUBJECT CLAIM CLAIMS ROLE ROLES GROUP GROUPS CALLBACK REDIRECT "
    "PROMPT HINT DESCRIPTION MESSAGE TEMPLATE PATTERN REGEX RULES RULE COMPLEXITY STRENGTH "
    "HISTORY RESET CERT CERTIFICATE CA FINGERPRINT THUMBPRINT TRANSPORT PROTOCOL STATUS STATE "
    "SELECTOR TAG CONTEXT KEYRING ALIAS CONFIG CONFIGURATION SETTINGS OPTIONS OPTS ARGS FLAGS"
)
_OBJECT_HINTS = _words_of("PULL EXISTING")
_PUBLIC_WORDS = _words_of("PUBLIC PUB PUBLISHABLE SITE ID IDS FINGERPRINT CHECKSUM HASH DIGEST")
# Words that name a secret only after a product's name.
_PRODUCT_SECRETS = frozenset(
    {
        ("ERLANG", "COOKIE"),  # the shared secret of an Erlang cluster (RabbitMQ, CouchDB)
        ("HONEYCOMB", "TEAM"),  # the x-honeycomb-team header carries the API key
    }
)
# A first word that makes the name a switch or a count: NO_AUTH, MAX_TOKENS, EXISTING_SECRET.
_LEADING_NEGATIONS = _words_of("EXISTING USE NO SKIP ENABLE DISABLE REQUIRE ALLOW IS HAS MAX MIN")


def detect(name: str, value: str) -> str | None:
    """The label of the detector that finds a literal secret in ``name=value``, or None."""
    text = value.strip()
    if len(text) < 3:
        return None
    if not name.isascii():
        name = _plain(name)
    return _format_label(text) or _named_label(name, text) or _bare_key_label(name, text)


def _plain(name: str) -> str:
    """The name a disguised one imitates: fullwidth letters folded (NFKC), and
    invisible format characters (zero-width joiners and spaces, soft hyphens) dropped.

    Cyrillic or Greek homoglyphs are left alone: they need the Unicode confusables
    table, the API server refuses non-ASCII env names anyway, and a value with a
    known shape is caught under any name.
    """
    folded = unicodedata.normalize("NFKC", name)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _format_label(text: str, decoded: bool = False) -> str | None:
    if len(text) >= 16:
        label = _token_label(text)
        if label is not None:
            return label
    if "@" in text and "://" in text and _url_has_credentials(text):
        return URL_LABEL
    if ("=" in text or ": " in text or '":' in text) and _setting_has_credential(text):
        return SETTING_LABEL
    if not decoded and len(text) >= 32 and _BASE64.fullmatch(text):
        inner = _decode_text(text[:65536])
        label = _format_label(inner, decoded=True) if inner else None
        return f"base64-encoded {label}" if label else None
    return None


def _bare_key_label(name: str, text: str) -> str | None:
    """Cloud keys with no prefix, known by length and charset alone.

    Not under a name that calls the value public or an id (``RECAPTCHA_SITE_KEY``).
    """
    if len(text) not in (40, 88) or not _PUBLIC_WORDS.isdisjoint(_words(name)):
        return None
    if len(text) == 40 and _AWS_SECRET.fullmatch(text) and not _decode_text(text):
        return "AWS secret access key"
    if len(text) == 88 and _AZURE_KEY.fullmatch(text) and not _decode_text(text):
        return "Azure storage account key"
    return None


def _token_label(text: str) -> str | None:
    starts = [m.end() for m in _WORD_START.finditer(text)]
    if text[0] in _BY_FIRST:
        starts.insert(0, 0)
    for start in starts:
        match = _BY_FIRST[text[start]].match(text, start)
        if match is not None:
            index = int((match.lastgroup or "f0")[1:])
            if index != _BASIC or _is_basic_credential(match.group()):
                return _FORMATS[index][0]
    for label, marker, pattern in _EMBEDDED_FORMATS:
        if marker in text and pattern.search(text):
            return label
    return None


def _url_has_credentials(text: str) -> bool:
    for match in _URL_USERINFO.finditer(text):
        password, user = match["password"], match["user"]
        if password:
            if not (_MASKED_PASSWORD.fullmatch(password) or _PORT_AND_PATH.match(password)):
                return True
        elif _looks_random(user):
            return True  # a key as the user part: Sentry DSNs, git over https with a token
    return False


def _setting_has_credential(text: str) -> bool:
    """``-Dapp.db.password=…``, ``Password=…;`` or ``"apiKey": "…"`` inside a longer value.

    Only keys whose last word is a secret word count: inside a blob of base64 or
    a list of options, a key that merely contains one is noise.
    """
    return any(
        len(match["value"]) >= 3 and _named_label(match["key"], match["value"]) == NAMED_LABEL
        for match in _SETTING.finditer(text)
    )


def _named_label(name: str, text: str) -> str | None:
    strength = _name_strength(name)
    if strength is None or _repeats_name(name, text):
        return None
    if strength == "password" and text.isdigit():
        return NAMED_LABEL  # a PIN, not a count of seconds
    if strength == "id" and _SECRET_PATH.fullmatch(text):
        return None  # AWS_SECRETS_MANAGER_SECRET_ID=prod/app/db: a reference
    if strength != "random" and not _NOT_SECRET.fullmatch(text):
        return NAMED_LABEL
    return RANDOM_LABEL if _looks_random(text) else None


@lru_cache(maxsize=4096)
def _name_strength(name: str) -> Strength | None:
    """How a name announces a secret; cached, as names repeat across pods.

    "password" (``DB_PASSWORD``, digits included) and "named" (``API_TOKEN``): any
    literal under it is a secret; "random": only a random-looking one is
    (``LICENSE_KEY``, ``GITHUB_TOKEN_FOR_CI``); None: the name says nothing about
    secrets (``MONKEY``, ``TOKEN_TTL``, ``MAX_TOKENS``); "id": as "named", but a
    path names where the secret is stored (``VAULT_SECRET_ID``).
    """
    words = _words(name)
    for index in range(len(words) - 1, -1, -1):
        strength = _word_strength(words, index)
        if strength is None:
            continue
        tail = words[index + 1 :]
        if tail == ("ID",) and words[index] == "SECRET":
            return "id"  # a Vault AppRole secret id is the credential itself
        if tail == ("ID",) and _is_access_key(words, index):
            return "random"  # AWS, Spaces, MinIO: a generated access key id is half the pair
        if words[index] in ("SECRET", "SECRETS") and index and words[index - 1] in _OBJECT_HINTS:
            return None  # IMAGE_PULL_SECRET, AUTH_EXISTING_SECRET: the name of a Secret object
        if any(word in _METADATA_WORDS for word in tail) or words[0] in _LEADING_NEGATIONS:
            return None
        if all(word in _QUALIFIERS or word.isdigit() for word in tail):
            return strength
        return "random"
    return None


def _word_strength(words: tuple[str, ...], index: int) -> Strength | None:
    word = words[index]
    before = words[index - 1] if index else ""
    if word in _PASSWORD_WORDS or word.endswith(_GLUED_PASSWORD_ENDINGS):
        return "password"
    if word in _SECRET_WORDS or word.endswith(_GLUED_SECRET_ENDINGS):
        return "named"
    if word.endswith("KEY") and word[:-3] in _SECRET_KEY_QUALIFIERS:
        return "named"  # APIKEY, SECRETKEY, MASTERKEY
    if word in _KEY_WORDS:
        if before in _PUBLIC_KEY_QUALIFIERS:
            return None
        return "named" if before in _SECRET_KEY_QUALIFIERS else "random"
    if (before, word) in _PRODUCT_SECRETS:
        return "named"
    return "random" if word == "DSN" else None


def _is_access_key(words: tuple[str, ...], index: int) -> bool:
    """ACCESS_KEY or ACCESSKEY at ``index``: unlike other key ids, its id authenticates."""
    return words[index] == "ACCESSKEY" or (
        words[index] == "KEY" and index > 0 and words[index - 1] == "ACCESS"
    )


@lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    """Upper-cased words: ``dbPassword`` -> DB PASSWORD, ``OAuth2Token`` -> O AUTH 2 TOKEN."""
    return tuple(s.upper() for s in _SEGMENT.findall(name))


def _repeats_name(name: str, text: str) -> bool:
    """``API_KEY_VALUE``, or ``SECRET`` under ``COOKIE_SECRET``: a marker awaiting substitution."""
    if not _MARKER.fullmatch(text):
        return False
    if text in _words(name) and text in _SECRET_WORDS | _PASSWORD_WORDS | _KEY_WORDS:
        return True
    return re.sub(r"[^A-Z0-9]", "_", name.upper()) in text


def _looks_random(text: str) -> bool:
    """Long, letters and digits mixed, high in entropy: generated, not a word, id or path.

    Base64 that decodes to text is encoded configuration, not a generated key.
    """
    if len(text) < 16 or any(c.isspace() for c in text) or _UUID.fullmatch(text):
        return False
    if _BASE64.fullmatch(text) and _decode_text(text):
        return False
    if _HEX.fullmatch(text):
        return len(text) >= 32 and _entropy(text) >= 3.0
    if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
        return False
    threshold = 3.3 if len(text) < 24 else 3.6
    return _entropy(text) >= threshold and not _NOT_SECRET.fullmatch(text)


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def _is_basic_credential(header: str) -> bool:
    inner = _decode_text(header.split()[-1])
    return inner is not None and ":" in inner


def _decode_text(text: str) -> str | None:
    """``text`` decoded from (URL-safe) base64 when that yields printable text, else None."""
    padded = text + "=" * (-len(text) % 4)
    url_safe = "-" in text or "_" in text
    try:
        raw = base64.urlsafe_b64decode(padded) if url_safe else base64.b64decode(padded)
        inner = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    printable = sum(c.isprintable() or c in "\r\n\t" for c in inner)
    return inner if inner and printable >= 0.95 * len(inner) else None
