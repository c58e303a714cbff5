"""Blind, hand-labelled holdout set for Gatehouse's "literal secret in env var" policy.

What this is
    Test rows for the detector ``detect(name: str, value: str) -> str | None``
    used by the Gatehouse Kubernetes admission webhook to flag pod-spec env
    vars whose *value* is a literal credential.  ``HOLDOUT`` is a list of
    ``(env_name, env_value, is_secret, category)`` tuples.

    * positives: ``is_secret=True``, plain category (``aws-access-key-id``)
    * negatives: ``is_secret=False``, category starts with ``neg:``
    * grey rows: category starts with ``grey:``; a reasonable security reviewer
      could label them either way, ``is_secret`` is only the author's leaning,
      and they should be scored separately from the rest.

How it was written
    Blind: the author never opened, grepped or ran the detector, its tests,
    its CI configuration or the project's git history.  Rows come from public
    knowledge of credential formats (vendor documentation for AWS, GitHub,
    GitLab, Slack, Stripe, Google, Azure, HashiCorp, ...) and from the way real
    Deployments, Helm charts and docker-compose files spell their env vars.

No real credentials
    Every token-shaped value is assembled at import time from a documented
    prefix plus characters drawn from a fixed-seed ``random.Random`` in the
    format's own alphabet and length.  The only vendor sample values present
    are AWS's documented example key pair (grey rows) and the publicly
    documented Azurite / Cosmos DB emulator keys (negatives, split in the
    source so the file itself does not carry a key-shaped literal).

Labelling rules (the project's decisions, followed here)
    Secret:
    * any value in a known credential format under ANY name (also
      ``NEXT_PUBLIC_*``, ``VITE_*``, ``REACT_APP_*``, ``*_ID``, ``FOO``):
      AWS keys, GitHub/GitLab/Slack/Stripe-secret/Google/OpenAI/Anthropic/npm/
      PyPI/Twilio/SendGrid/Telegram/Discord/Vault tokens, GCP service-account
      JSON, private keys (PEM, OpenSSH, PuTTY), bearer JWTs, ... and base64 of
      any of these (also wrapped at 76 columns);
    * URLs with an embedded password (also passwords starting with ``$`` or
      digits followed by an unencoded ``#``, ``/`` or ``?``), Oracle
      ``user/password@host`` and ``jdbc:oracle:thin:user/password@...`` forms;
    * tokens in a URL path or query (Telegram bot URLs, ``?api_key=``,
      ``?token=``, random ping/webhook keys);
    * ``key=value`` text holding a password (``password=``, ``bindpw=``,
      ``pwd=``, ``passwd=``, JDBC ``;password=``, ``-D...Password=``);
    * command-line options holding one (``--requirepass x``, ``-pHunter2x``);
    * a literal under a name announcing a secret, also when the credential word
      is not last (``PASSWORD_DB``) or glued (``DBPASS``); weak or demo
      passwords (``changeme``, ``admin123``) are still secrets.
    Not secret:
    * password hashes (bcrypt, argon2, {SSHA}, crypt, htpasswd lines);
    * ciphertext envelopes (SOPS ``ENC[...]``, KMS ``AQICAH...``, Sealed
      Secrets ``AgB...``, Jasypt ``ENC(...)``);
    * keys public by design (Stripe ``pk_``, Mapbox ``pk.``, PostHog ``phc_``,
      Supabase anon JWT, Datadog ``pub`` client tokens, Sentry DSNs, captcha
      site keys);
    * references to a secret manager, templates and placeholders;
    * names saying which key/file of a Secret to read (``PASSWORD_KEY=password``,
      ``PASSWORD_FILE=/run/secrets/db``);
    * published emulator credentials (Azurite, LocalStack ``test``,
      DynamoDB-local ``fakeMyKeyId``);
    * ordinary config under secret-ish names and ordinary random-looking values
      (git SHAs, digests, build/trace ids, hashes, UUIDs, base64 config text,
      public keys and certificates).
"""

import base64
import json
import random
import string

_R = random.Random(0x6A7E5EED)

_UP = string.ascii_uppercase
_LO = string.ascii_lowercase
_DIG = string.digits
_ALNUM = _UP + _LO + _DIG
_LODIG = _LO + _DIG
_UPDIG = _UP + _DIG
_HEX = "0123456789abcdef"
_HEXU = "0123456789ABCDEF"
_B64 = _ALNUM + "+/"
_B64URL = _ALNUM + "-_"
_B32 = _UP + "234567"
_CRYPT = "./" + _DIG + _UP + _LO
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_PWCH = _ALNUM + "!%*-_+=.^~"


# --------------------------------------------------------------------------
# generic helpers
# --------------------------------------------------------------------------
def _s(chars: str, n: int) -> str:
    return "".join(_R.choice(chars) for _ in range(n))


def _num(n: int) -> str:
    return str(_R.randint(10 ** (n - 1), 10**n - 1))


def _rb(n: int) -> bytes:
    return bytes(_R.getrandbits(8) for _ in range(n))


def _b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def _b64u(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64_76(text: str) -> str:
    """Base64 wrapped at 76 columns with newlines (like `base64` / MIME)."""
    return base64.encodebytes(text.encode()).decode()


def _wrap(s: str, width: int = 64) -> str:
    return "\n".join(s[i : i + width] for i in range(0, len(s), width))


def _uuid() -> str:
    return (
        f"{_s(_HEX, 8)}-{_s(_HEX, 4)}-4{_s(_HEX, 3)}-"
        f"{_R.choice('89ab')}{_s(_HEX, 3)}-{_s(_HEX, 12)}"
    )


def _pw(n: int = 16) -> str:
    """Random password with punctuation (never `$`, `@`, `:`, `/`, `#`)."""
    return _R.choice(_ALNUM) + _s(_PWCH, n - 2) + _R.choice(_ALNUM)


def _upw(n: int = 16) -> str:
    """URL-safe random password."""
    return _s(_ALNUM, n)


def _cj(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


# --------------------------------------------------------------------------
# credential-format builders (documented prefix + seeded random body)
# --------------------------------------------------------------------------
def _akid(prefix: str = "AKIA") -> str:
    return prefix + _s(_B32, 16)


def _aws_secret() -> str:
    return _s(_ALNUM + "+/", 40)


def _aws_creds_file() -> str:
    return (
        "[default]\n"
        f"aws_access_key_id = {_akid()}\n"
        f"aws_secret_access_key = {_aws_secret()}\n"
        "region = us-east-1\n"
    )


def _gh(prefix: str = "ghp_") -> str:
    return prefix + _s(_ALNUM, 36)


def _gh_fine() -> str:
    return "github_pat_11" + _s(_UPDIG, 20) + "_" + _s(_ALNUM, 59)


def _glpat() -> str:
    return "glpat-" + _s(_ALNUM + "-_", 20)


def _xoxb() -> str:
    return f"xoxb-{_num(11)}-{_num(13)}-{_s(_ALNUM, 24)}"


def _xoxp() -> str:
    return f"xoxp-{_num(11)}-{_num(11)}-{_num(13)}-{_s(_HEX, 32)}"


def _xapp() -> str:
    return f"xapp-1-A{_s(_UPDIG, 10)}-{_num(13)}-{_s(_HEX, 64)}"


def _slack_hook() -> str:
    return f"https://hooks.slack.com/services/T{_s(_UPDIG, 8)}/B{_s(_UPDIG, 10)}/{_s(_ALNUM, 24)}"


def _stripe(prefix: str, long: bool = True) -> str:
    return prefix + ("51" + _s(_ALNUM, 97) if long else _s(_ALNUM, 24))


def _aiza() -> str:
    return "AIzaSy" + _s(_B64URL, 33)


def _openai() -> str:
    return "sk-proj-" + _s(_B64URL, 74) + "T3BlbkFJ" + _s(_B64URL, 74)


def _openai_legacy() -> str:
    return "sk-" + _s(_ALNUM, 20) + "T3BlbkFJ" + _s(_ALNUM, 20)


def _anthropic() -> str:
    return "sk-ant-api03-" + _s(_B64URL, 93) + "AA"


def _npm() -> str:
    return "npm_" + _s(_ALNUM, 36)


def _pypi() -> str:
    return "pypi-AgEIcHlwaS5vcmc" + _s(_B64URL, 160)


def _sendgrid() -> str:
    return "SG." + _s(_B64URL, 22) + "." + _s(_B64URL, 43)


def _telegram() -> str:
    return f"{_R.randint(100000000, 7999999999)}:AA{_s(_B64URL, 33)}"


def _discord_bot() -> str:
    return _b64u(_num(18)) + "." + _s(_B64URL, 6) + "." + _s(_B64URL, 38)


def _discord_hook() -> str:
    return f"https://discord.com/api/webhooks/{_num(18)}/{_s(_B64URL, 68)}"


def _hvs() -> str:
    return "hvs." + _s(_ALNUM, 24)


def _jwt(payload: dict, alg: str = "HS256", kid: str | None = None) -> str:
    header: dict = {"alg": alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    siglen = {"HS256": 43, "HS512": 86, "RS256": 342, "ES256": 86, "EdDSA": 86}[alg]
    return f"{_b64u(_cj(header))}.{_b64u(_cj(payload))}.{_s(_B64URL, siglen)}"


_PK = "PRIVATE KEY"


def _pem(label: str, body: str, width: int = 64) -> str:
    return f"-----BEGIN {label}-----\n{_wrap(body, width)}\n-----END {label}-----\n"


def _rsa_pem() -> str:
    return _pem("RSA " + _PK, "MIIEowIBAAKCAQEA" + _s(_B64, 1572))


def _pkcs8_pem() -> str:
    return _pem(_PK, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ" + _s(_B64, 1572) + "==")


def _ec_pem() -> str:
    return _pem("EC " + _PK, "MHcCAQEEI" + _s(_B64, 155))


def _openssh() -> str:
    body = (
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        "QyNTUxOQAAACA" + _s(_B64, 315) + "="
    )
    return _pem("OPENSSH " + _PK, body, 70)


def _putty() -> str:
    return (
        "PuTTY-User-Key-File-3: ssh-ed25519\n"
        "Encryption: none\n"
        "Comment: deploy@ci-runner\n"
        "Public-Lines: 2\n"
        + _wrap("AAAAC3NzaC1lZDI1NTE5AAAAI" + _s(_B64, 43), 64)
        + "\nPrivate-Lines: 1\n"
        + "AAAAI"
        + _s(_B64, 43)
        + "\nPrivate-MAC: "
        + _s(_HEX, 64)
        + "\n"
    )


def _pgp_private() -> str:
    label = "PGP " + _PK + " BLOCK"
    body = "lQOYBG" + _s(_B64, 1300)
    return f"-----BEGIN {label}-----\n\n{_wrap(body, 64)}\n={_s(_B64, 4)}\n-----END {label}-----\n"


def _cert_pem() -> str:
    return _pem("CERTIFICATE", "MIID" + _s(_B64, 1100) + "==")


def _gcp_sa(project: str) -> str:
    email = f"deployer@{project}.iam.gserviceaccount.com"
    return json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": _s(_HEX, 40),
            "private_key": _pkcs8_pem(),
            "client_email": email,
            "client_id": _num(21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        },
        indent=2,
    )


def _az_key() -> str:
    return _b64(_rb(64))


def _az_conn(account: str) -> str:
    return (
        f"DefaultEndpointsProtocol=https;AccountName={account};"
        f"AccountKey={_az_key()};EndpointSuffix=core.windows.net"
    )


def _az_sig() -> str:
    return _b64(_rb(32)).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def _az_client_secret() -> str:
    return _s(_ALNUM, 3) + "8Q~" + _s(_ALNUM + "_~.-", 34)


def _ed25519_pub(comment: str) -> str:
    return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + _s(_B64, 43) + " " + comment


def _rsa_pub(comment: str) -> str:
    return "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ" + _s(_B64, 512) + " " + comment


def _kubeconfig(user_block: str) -> str:
    ca = _b64(_cert_pem())
    return (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n"
        f"    server: https://10.20.0.1:6443\n    certificate-authority-data: {ca}\n"
        "contexts:\n- name: prod\n  context:\n    cluster: prod\n    user: ci\n"
        "current-context: prod\nusers:\n- name: ci\n  user:\n" + user_block
    )


def _dockercfg(registry: str, user: str, password: str, with_plain: bool = True) -> str:
    entry: dict = {"auth": _b64(f"{user}:{password}")}
    if with_plain:
        entry = {"username": user, "password": password, **entry}
    return _cj({"auths": {registry: entry}})


# hashes -------------------------------------------------------------------
def _bcrypt(v: str = "2b", cost: int = 12) -> str:
    return f"${v}${cost:02d}$" + _s(_CRYPT, 53)


def _argon2(variant: str = "argon2id", m: int = 65536, t: int = 3, p: int = 4) -> str:
    salt = _b64(_rb(16)).rstrip("=")
    digest = _b64(_rb(32)).rstrip("=")
    return f"${variant}$v=19$m={m},t={t},p={p}${salt}${digest}"


def _crypt(ident: str, saltlen: int, hashlen: int) -> str:
    return f"${ident}$" + _s(_CRYPT, saltlen) + "$" + _s(_CRYPT, hashlen)


def _apr1() -> str:
    return _crypt("apr1", 8, 22)


# ciphertext ---------------------------------------------------------------
def _sops(n: int = 24, typ: str = "str") -> str:
    return f"ENC[AES256_GCM,data:{_b64(_rb(n))},iv:{_b64(_rb(32))},tag:{_b64(_rb(16))},type:{typ}]"


def _kms_blob() -> str:
    return _b64(bytes([1, 2, 2, 0, 0x78]) + _rb(_R.randint(160, 220)))


def _gcp_kms_blob() -> str:
    return _b64(bytes([0x0A, 0x24, 0x00]) + _rb(_R.randint(90, 140)))


def _sealed(third: int = 0x52) -> str:
    # 2-byte length prefix 0x0200 then RSA ciphertext: "AgA..." / "AgB..."
    return _b64(bytes([2, 0, third]) + _rb(_R.randint(520, 700)))


def _jasypt() -> str:
    return "ENC(" + _b64(_rb(_R.choice([32, 48, 64]))) + ")"


def _fernet() -> str:
    raw = b"\x80" + (1718000000 + _R.randint(0, 10**6)).to_bytes(8, "big") + _rb(80)
    return base64.urlsafe_b64encode(raw).decode()


# public-by-design ----------------------------------------------------------
def _mapbox(kind: str, user: str) -> str:
    claims = _b64u(_cj({"u": user, "a": "cl" + _s(_LODIG, 23)}))
    return f"{kind}.{claims}.{_s(_B64URL, 22)}"


def _supabase_jwt(role: str) -> str:
    return _jwt(
        {"iss": "supabase", "ref": _s(_LO, 20), "role": role, "iat": 1700000000, "exp": 2015576000}
    )


def _sentry_dsn(host: str = "") -> str:
    host = host or f"o{_num(6)}.ingest.sentry.io"
    return f"https://{_s(_HEX, 32)}@{host}/{_num(7)}"


# --------------------------------------------------------------------------
# the data set
# --------------------------------------------------------------------------
HOLDOUT: list[tuple[str, str, bool, str]] = []


def _pos(name: str, value: str, cat: str) -> None:
    HOLDOUT.append((name, value, True, cat))


def _neg(name: str, value: str, cat: str) -> None:
    HOLDOUT.append((name, value, False, "neg:" + cat))


def _grey(name: str, value: str, lean: bool, cat: str) -> None:
    HOLDOUT.append((name, value, lean, "grey:" + cat))


# ============================================================ POSITIVES ===

# ---- AWS -----------------------------------------------------------------
_pos("AWS_ACCESS_KEY_ID", _akid(), "aws-access-key-id")
_pos("AWS_SECRET_ACCESS_KEY", _aws_secret(), "aws-secret-access-key")
_pos("S3_ACCESS_KEY", _akid(), "aws-access-key-id")
_pos("S3_SECRET_KEY", _aws_secret(), "aws-secret-access-key")
_pos("NEXT_PUBLIC_AWS_ACCESS_KEY_ID", _akid(), "aws-access-key-id")
_pos("VITE_S3_KEY", _akid(), "aws-access-key-id")
_pos("FOO", _akid(), "aws-access-key-id")
_pos("BACKUP_TARGET_ID", _akid(), "aws-access-key-id")
_pos("AWS_ACCESS_KEY_ID", _akid("ASIA"), "aws-access-key-id")
_pos("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjE" + _s(_B64, 620) + "=", "aws-session-token")
_pos("AWS_SECRET_KEY", "  " + _aws_secret() + "\n", "aws-secret-access-key")
_pos("aws_secret_access_key", _aws_secret(), "aws-secret-access-key")
_pos("REACT_APP_S3_SECRET", _aws_secret(), "aws-secret-access-key")
_pos("UPLOADER_CREDS", f"{_akid()}:{_aws_secret()}", "aws-key-pair")
_pos("AWS_CREDENTIALS", _aws_creds_file(), "aws-credentials-file")
_pos(
    "S3_CONFIG",
    json.dumps(
        {
            "region": "eu-west-1",
            "bucket": "acme-media",
            "accessKeyId": _akid(),
            "secretAccessKey": _aws_secret(),
        }
    ),
    "json-config-secret",
)

# ---- GitHub --------------------------------------------------------------
_pos("GITHUB_TOKEN", _gh(), "github-pat-classic")
_pos("NEXT_PUBLIC_GITHUB_TOKEN", _gh(), "github-pat-classic")
_pos("TOKEN_GITHUB", _gh(), "github-pat-classic")
_pos("HOMEBREW_GITHUB_API_TOKEN", '"' + _gh() + '"', "github-pat-classic")
_pos("GH_TOKEN", _gh_fine(), "github-pat-fine-grained")
_pos("RENOVATE_TOKEN", _gh_fine(), "github-pat-fine-grained")
_pos("PLUGIN_SOURCE_ID", _gh_fine(), "github-pat-fine-grained")
_pos("GITHUB_APP_INSTALLATION_TOKEN", _gh("ghs_"), "github-app-token")
_pos("BUILD_INFO", _gh("ghu_"), "github-app-token")
_pos("GH_OAUTH", _gh("gho_"), "github-oauth-token")
_pos("GITHUB_REFRESH", _gh("ghr_"), "github-oauth-token")
_pos("GIT_CREDENTIALS", f"https://x-access-token:{_gh('ghs_')}@github.com", "url-userinfo-token")
_pos("CHARTS_REPO", f"https://{_gh()}@github.com/acme/helm-charts.git", "url-userinfo-token")

# ---- GitLab --------------------------------------------------------------
_pos("GITLAB_TOKEN", _glpat(), "gitlab-token")
_pos("CI_PUSH_TOKEN", _glpat(), "gitlab-token")
_pos("VITE_GITLAB_KEY", _glpat(), "gitlab-token")
_pos("GITLAB_RUNNER_TOKEN", "glrt-" + _s(_B64URL, 20), "gitlab-token")
_pos("RUNNER_REGISTRATION_TOKEN", "GR1348941" + _s(_B64URL, 20), "gitlab-token")
_pos("GITLAB_DEPLOY_TOKEN", "gldt-" + _s(_B64URL, 20), "gitlab-token")
_pos("PIPELINE_TRIGGER", "glptt-" + _s(_HEX, 40), "gitlab-token")
_pos(
    "REPO_URL", f"https://oauth2:{_glpat()}@gitlab.com/acme/platform/api.git", "url-userinfo-token"
)

# ---- Slack ---------------------------------------------------------------
_pos("SLACK_BOT_TOKEN", _xoxb(), "slack-token")
_pos("SLACK_TOKEN", _xoxp(), "slack-token")
_pos("SLACK_APP_TOKEN", _xapp(), "slack-token")
_pos("CHAT_INTEGRATION_ID", _xoxb(), "slack-token")
_pos("SLACK_WEBHOOK_URL", _slack_hook(), "slack-webhook")
_pos("ALERTMANAGER_SLACK_API_URL", _slack_hook(), "slack-webhook")
_pos("NOTIFY_ENDPOINT", "'" + _slack_hook() + "'", "slack-webhook")

# ---- Stripe and friends --------------------------------------------------
_pos("STRIPE_SECRET_KEY", _stripe("sk_live_"), "stripe-secret-key")
_pos("STRIPE_API_KEY", _stripe("sk_test_", long=False), "stripe-secret-key")
_pos("STRIPE_KEY", _stripe("rk_live_"), "stripe-secret-key")
_pos("NEXT_PUBLIC_STRIPE_KEY", _stripe("sk_live_", long=False), "stripe-secret-key")
_pos("STRIPE_WEBHOOK_SECRET", "whsec_" + _s(_ALNUM, 32), "stripe-webhook-secret")
_pos(
    "PAYMENTS_CONFIG",
    json.dumps({"publishableKey": _stripe("pk_live_"), "secretKey": _stripe("sk_live_")}, indent=2),
    "json-config-secret",
)
_pos("CLERK_SECRET_KEY", "sk_test_" + _s(_ALNUM, 42), "clerk-secret-key")

# ---- Google --------------------------------------------------------------
_pos("GOOGLE_API_KEY", _aiza(), "google-api-key")
_pos("NEXT_PUBLIC_GOOGLE_MAPS_API_KEY", _aiza(), "google-api-key")
_pos("YOUTUBE_KEY", _aiza(), "google-api-key")
_pos(
    "GEOCODER_URL",
    f"https://maps.googleapis.com/maps/api/geocode/json?key={_aiza()}",
    "token-in-url-query",
)
_pos("GOOGLE_APPLICATION_CREDENTIALS_JSON", _gcp_sa("acme-prod-311204"), "gcp-service-account-json")
_pos("GCP_SA_KEY", _b64_76(_gcp_sa("acme-ci-4471")), "base64-wrapped-76")
_pos("GOOGLE_CREDENTIALS", _b64(_gcp_sa("acme-data-2290")), "base64-credential")
_pos("GOOGLE_CLIENT_SECRET", "GOCSPX-" + _s(_B64URL, 28), "google-oauth-secret")
_pos("GOOGLE_REFRESH_TOKEN", "1//0" + _s(_B64URL, 99), "google-oauth-token")
_pos("GCLOUD_ACCESS", "ya29.a0" + _s(_B64URL, 180), "google-oauth-token")
_pos(
    "FCM_SERVER_KEY", "AAAA" + _s(_B64URL, 7) + ":APA91b" + _s(_B64URL, 134), "firebase-server-key"
)
_pos(
    "GOOGLE_CHAT_WEBHOOK",
    f"https://chat.googleapis.com/v1/spaces/AAAA{_s(_B64URL, 7)}/messages?key={_aiza()}&token={_s(_B64URL, 43)}",
    "webhook-url-secret",
)

# ---- private keys --------------------------------------------------------
_pos("TLS_KEY", _rsa_pem(), "private-key-pem")
_pos("JWT_PRIVATE_KEY", _pkcs8_pem(), "private-key-pem")
_pos("EC_KEY", _ec_pem(), "private-key-pem")
_pos("GITHUB_APP_PRIVATE_KEY", _rsa_pem(), "private-key-pem")
_pos("SAML_SP_KEY", "\n  " + _pkcs8_pem() + "  \n", "private-key-pem")
_pos("SIGNING_KEY_PEM", _rsa_pem().replace("\n", "\\n"), "private-key-pem-escaped")
_pos("SSH_PRIVATE_KEY", _openssh(), "private-key-openssh")
_pos("DEPLOY_KEY", _openssh(), "private-key-openssh")
_pos("GIT_SSH_KEY", _putty(), "private-key-putty")
_pos("GPG_PRIVATE_KEY", _pgp_private(), "private-key-pgp")
_pos("SSH_KEY_B64", _b64_76(_openssh()), "base64-wrapped-76")
_pos("TLS_KEY_BASE64", _b64(_rsa_pem()), "base64-credential")
_pos(
    "APP_CONFIG",
    json.dumps({"tls": {"cert": "/etc/tls/tls.crt", "key": _pkcs8_pem()}}, indent=2),
    "json-config-secret",
)

# ---- JWT bearer tokens ---------------------------------------------------
_pos(
    "API_BEARER",
    _jwt({"sub": "svc-billing", "scope": "admin", "iat": 1718000000, "exp": 1893456000}),
    "jwt-bearer",
)
_pos(
    "KUBE_TOKEN",
    _jwt(
        {
            "iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": "ci",
            "kubernetes.io/serviceaccount/secret.name": "deployer-token-x7k2p",
            "kubernetes.io/serviceaccount/service-account.name": "deployer",
            "sub": "system:serviceaccount:ci:deployer",
        },
        "RS256",
        kid=_s(_B64URL, 43),
    ),
    "jwt-bearer",
)
_pos(
    "AUTH_HEADER",
    "Bearer " + _jwt({"sub": "cron", "role": "internal", "iat": 1718000000}),
    "bearer-header",
)
_pos("SUPABASE_SERVICE_ROLE_KEY", _supabase_jwt("service_role"), "jwt-bearer")
_pos("NEXT_PUBLIC_SUPABASE_KEY", _supabase_jwt("service_role"), "jwt-bearer")
_pos(
    "AUTH0_MGMT_TOKEN",
    _jwt(
        {
            "iss": "https://acme.eu.auth0.com/",
            "aud": "https://acme.eu.auth0.com/api/v2/",
            "gty": "client-credentials",
            "iat": 1718000000,
            "exp": 1718086400,
        },
        "RS256",
        kid=_s(_B64URL, 22),
    ),
    "jwt-bearer",
)
_pos(
    "INTERNAL_CALLER",
    _jwt({"sub": "reporting", "aud": "ledger", "iat": 1718000000}, "HS512"),
    "jwt-bearer",
)
_pos("TURSO_AUTH_TOKEN", _jwt({"a": "rw", "iat": 1718000000, "id": _uuid()}, "EdDSA"), "jwt-bearer")

# ---- AI providers --------------------------------------------------------
_pos("OPENAI_API_KEY", _openai(), "openai-key")
_pos("OPENAI_KEY", _openai_legacy(), "openai-key")
_pos("VITE_OPENAI_API_KEY", _openai(), "openai-key")
_pos("ANTHROPIC_API_KEY", _anthropic(), "anthropic-key")
_pos("CLAUDE_KEY", _anthropic(), "anthropic-key")
_pos(
    "LLM_CONFIG",
    json.dumps({"provider": "anthropic", "model": "claude-3-5-sonnet", "api_key": _anthropic()}),
    "json-config-secret",
)
_pos("HF_TOKEN", "hf_" + _s(_UP + _LO, 34), "huggingface-token")
_pos("GROQ_API_KEY", "gsk_" + _s(_ALNUM, 52), "ai-provider-key")
_pos("REPLICATE_API_TOKEN", "r8_" + _s(_ALNUM, 37), "ai-provider-key")
_pos("PINECONE_API_KEY", "pcsk_" + _s(_ALNUM, 5) + "_" + _s(_ALNUM, 63), "ai-provider-key")
_pos("COHERE_API_KEY", _s(_ALNUM, 40), "named-api-key")

# ---- package registries / CI --------------------------------------------
_pos("NPM_TOKEN", _npm(), "npm-token")
_pos("NODE_AUTH_TOKEN", _npm(), "npm-token")
_pos(
    "NPMRC",
    f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={_npm()}\n",
    "npmrc-token",
)
_pos("PYPI_TOKEN", _pypi(), "pypi-token")
_pos("TWINE_PASSWORD", _pypi(), "pypi-token")
_pos("POETRY_PYPI_TOKEN_PYPI", _pypi(), "pypi-token")
_pos("DOCKERHUB_TOKEN", "dckr_pat_" + _s(_B64URL, 27), "dockerhub-token")
_pos("DOCKER_CONFIG_JSON", _dockercfg("registry.acme.io", "ci-bot", _pw(20)), "dockerconfigjson")
_pos(
    "DOCKER_AUTH_CONFIG_B64",
    _b64(_dockercfg("https://index.docker.io/v1/", "acmeci", _pw(18), with_plain=False)),
    "base64-credential",
)
_pos("GEM_HOST_API_KEY", "rubygems_" + _s(_HEX, 48), "package-registry-token")
_pos("NUGET_API_KEY", "oy2" + _s(_LODIG, 43), "package-registry-token")
_pos("CARGO_REGISTRY_TOKEN", "cio" + _s(_ALNUM, 32), "package-registry-token")
_pos("ARTIFACTORY_API_KEY", "AKCp" + _s(_ALNUM, 69), "package-registry-token")
_pos("SONAR_TOKEN", "squ_" + _s(_HEX, 40), "ci-token")
_pos("NETLIFY_AUTH_TOKEN", "nfp_" + _s(_ALNUM, 36), "ci-token")

# ---- messaging / comms ---------------------------------------------------
_pos("TWILIO_AUTH_TOKEN", _s(_HEX, 32), "named-token")
_pos("TWILIO_API_SECRET", _s(_ALNUM, 32), "named-secret")
_pos("SENDGRID_API_KEY", _sendgrid(), "sendgrid-key")
_pos("SMTP_PASSWORD", _sendgrid(), "sendgrid-key")
_pos("MAILGUN_API_KEY", "key-" + _s(_HEX, 32), "mailgun-key")
_pos("MAILCHIMP_API_KEY", _s(_HEX, 32) + "-us" + str(_R.randint(1, 21)), "mailchimp-key")
_pos("RESEND_API_KEY", "re_" + _s(_ALNUM, 8) + "_" + _s(_ALNUM, 24), "resend-key")
_pos("TELEGRAM_BOT_TOKEN", _telegram(), "telegram-bot-token")
_pos("TG_TOKEN", _telegram(), "telegram-bot-token")
_pos("TELEGRAM_URL", f"https://api.telegram.org/bot{_telegram()}/sendMessage", "telegram-url")
_pos(
    "ALERT_ENDPOINT",
    f"https://api.telegram.org/bot{_telegram()}/sendMessage?chat_id=-100{_num(10)}",
    "telegram-url",
)
_pos("DISCORD_BOT_TOKEN", _discord_bot(), "discord-token")
_pos("DISCORD_WEBHOOK", _discord_hook(), "discord-webhook")
_pos(
    "TEAMS_WEBHOOK_URL",
    f"https://acme.webhook.office.com/webhookb2/{_uuid()}@{_uuid()}/IncomingWebhook/{_s(_HEX, 32)}/{_uuid()}",
    "webhook-url-secret",
)
_pos("POSTMARK_SERVER_TOKEN", _uuid(), "named-token")

# ---- HashiCorp / infra / cloud -------------------------------------------
_pos("VAULT_TOKEN", _hvs(), "vault-token")
_pos("BAO_TOKEN", "hvs.CAESI" + _s(_B64URL, 82), "vault-token")
_pos("VAULT_BATCH", "hvb.AAAAAQ" + _s(_B64URL, 130), "vault-token")
_pos("VAULT_AUTH_TOKEN", "s." + _s(_ALNUM, 24), "vault-token")
_pos("CONSUL_HTTP_TOKEN", _uuid(), "named-token")
_pos("NOMAD_TOKEN", _uuid(), "named-token")
_pos("DIGITALOCEAN_TOKEN", "dop_v1_" + _s(_HEX, 64), "cloud-token")
_pos("DOPPLER_TOKEN", "dp.st.prd." + _s(_ALNUM, 43), "cloud-token")
_pos("TF_TOKEN_app_terraform_io", _s(_ALNUM, 14) + ".atlasv1." + _s(_ALNUM, 67), "cloud-token")
_pos("PULUMI_ACCESS_TOKEN", "pul-" + _s(_HEX, 40), "cloud-token")
_pos("CLOUDFLARE_API_TOKEN", _s(_B64URL, 40), "named-token")
_pos("CF_API_KEY", _s(_HEX, 37), "named-api-key")
_pos("HCLOUD_TOKEN", _s(_ALNUM, 64), "named-token")
_pos("FLY_API_TOKEN", "FlyV1 fm2_" + _s(_B64, 240) + "==", "cloud-token")
_pos("HEROKU_API_KEY", _uuid(), "named-api-key")
_pos("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5t" + _s(_ALNUM, 18), "alibaba-access-key")
_pos("ALIBABA_CLOUD_ACCESS_KEY_SECRET", _s(_ALNUM, 30), "named-secret")
_pos("SOPS_AGE_KEY", "AGE-SECRET-KEY-1" + _s(_BECH32.upper(), 58), "age-secret-key")
_pos("WG_PRIVATE_KEY", _b64(_rb(32)), "wireguard-private-key")
_pos(
    "KUBECONFIG_DATA",
    _kubeconfig(f"    token: {_jwt({'sub': 'system:serviceaccount:ci:deployer'}, 'RS256')}\n"),
    "kubeconfig-credential",
)
_pos(
    "KUBECONFIG_B64",
    _b64_76(
        _kubeconfig(
            f"    client-certificate-data: {_b64(_cert_pem())}\n    client-key-data: {_b64(_rsa_pem())}\n"
        )
    ),
    "base64-wrapped-76",
)

# ---- Azure ---------------------------------------------------------------
_pos("AZURE_STORAGE_CONNECTION_STRING", _az_conn("acmeprodassets"), "azure-connection-string")
_pos("AzureWebJobsStorage", _az_conn("acmefuncstore01"), "azure-connection-string")
_pos("AZURE_STORAGE_KEY", _az_key(), "azure-storage-key")
_pos(
    "AZURE_BLOB_SAS_URL",
    f"https://acmebackups.blob.core.windows.net/nightly?sv=2022-11-02&ss=b&srt=co&sp=rwdlacx&se=2026-01-01T00:00:00Z&st=2024-06-01T00:00:00Z&spr=https&sig={_az_sig()}",
    "azure-sas",
)
_pos(
    "SAS_TOKEN",
    f"?sv=2021-06-08&ss=bfqt&srt=sco&sp=rl&se=2025-12-31T23:59:59Z&spr=https&sig={_az_sig()}",
    "azure-sas",
)
_pos(
    "SERVICEBUS_CONNECTION",
    f"Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={_b64(_rb(32))}",
    "azure-connection-string",
)
_pos(
    "EVENTHUB_CONNECTION_STRING",
    f"Endpoint=sb://acme-events.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={_b64(_rb(32))};EntityPath=clicks",
    "azure-connection-string",
)
_pos(
    "COSMOS_CONNECTION",
    f"AccountEndpoint=https://acme-cosmos.documents.azure.com:443/;AccountKey={_az_key()};",
    "azure-connection-string",
)
_pos("AZURE_CLIENT_SECRET", _az_client_secret(), "azure-client-secret")
_pos("ARM_CLIENT_SECRET", _az_client_secret(), "azure-client-secret")
_pos("AZURE_OPENAI_API_KEY", _s(_HEX, 32), "named-api-key")
_pos("AZURE_DEVOPS_PAT", _s(_LODIG, 52), "named-token")

# ---- observability / SaaS -----------------------------------------------
_pos("DD_API_KEY", _s(_HEX, 32), "named-api-key")
_pos("DD_APP_KEY", _s(_HEX, 40), "named-api-key")
_pos(
    "DATADOG_LOGS_URL",
    f"https://http-intake.logs.datadoghq.eu/api/v2/logs?dd-api-key={_s(_HEX, 32)}&ddsource=nginx",
    "token-in-url-query",
)
_pos("NEW_RELIC_API_KEY", "NRAK-" + _s(_UPDIG, 27), "newrelic-key")
_pos("NEW_RELIC_LICENSE_KEY", _s(_HEX, 36) + "NRAL", "newrelic-key")
_pos(
    "SENTRY_AUTH_TOKEN",
    "sntrys_"
    + _b64u(_cj({"iat": 1718000000, "url": "https://sentry.io", "org": "acme"}))
    + "_"
    + _s(_B64URL, 43),
    "sentry-auth-token",
)
_pos(
    "SENTRY_DSN",
    f"https://{_s(_HEX, 32)}:{_s(_HEX, 32)}@sentry.io/{_num(6)}",
    "sentry-dsn-with-secret",
)
_pos("GRAFANA_SA_TOKEN", "glsa_" + _s(_ALNUM, 32) + "_" + _s(_HEX, 8), "grafana-token")
_pos(
    "GRAFANA_CLOUD_TOKEN",
    "glc_"
    + _b64(
        _cj(
            {
                "o": _num(6),
                "n": "stack-123-hm-write",
                "k": _s(_ALNUM, 24),
                "m": {"r": "prod-eu-west-2"},
            }
        )
    ),
    "grafana-token",
)
_pos("ROLLBAR_ACCESS_TOKEN", _s(_HEX, 32), "named-token")
_pos("PAGERDUTY_ROUTING_KEY", _s(_HEX, 32), "named-api-key")
_pos("OPSGENIE_API_KEY", _uuid(), "named-api-key")
_pos("SPLUNK_HEC_TOKEN", _uuid().upper(), "named-token")
_pos("OTEL_EXPORTER_OTLP_HEADERS", f"api-key={_s(_HEX, 36)}NRAL", "header-in-value")
_pos(
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "x-honeycomb-team=" + _s(_ALNUM, 22) + ",x-honeycomb-dataset=api",
    "header-in-value",
)
_pos("HTTP_EXTRA_HEADERS", f"X-Api-Key: {_s(_HEX, 32)}", "header-in-value")
_pos("UPSTREAM_AUTHORIZATION", "Basic " + _b64("grafana-agent:" + _pw(24)), "basic-auth-header")
_pos("HEALTHCHECK_URL", f"https://hc-ping.com/{_uuid()}", "webhook-path-secret")
_pos("HC_PING_URL", f"https://hc-ping.com/{_s(_B64URL, 22)}/db-backup", "webhook-path-secret")
_pos(
    "CRONITOR_PING", f"https://cronitor.link/p/{_s(_HEX, 32)}/nightly-backup", "webhook-path-secret"
)

# ---- other SaaS formats --------------------------------------------------
_pos("SHOPIFY_ACCESS_TOKEN", "shpat_" + _s(_HEX, 32), "shopify-token")
_pos("SHOPIFY_API_SECRET", "shpss_" + _s(_HEX, 32), "shopify-token")
_pos("SQUARE_ACCESS_TOKEN", "EAAA" + _s(_B64URL, 60), "square-token")
_pos("LINEAR_API_KEY", "lin_api_" + _s(_ALNUM, 40), "saas-api-key")
_pos("POSTMAN_API_KEY", "PMAK-" + _s(_HEX, 24) + "-" + _s(_HEX, 34), "saas-api-key")
_pos(
    "ATLASSIAN_API_TOKEN", "ATATT3xFfGF0" + _s(_B64URL, 170) + "=" + _s(_HEXU, 8), "atlassian-token"
)
_pos("JIRA_AUTH", "ATATT3xFfGF0" + _s(_B64URL, 170) + "=" + _s(_HEXU, 8), "atlassian-token")
_pos("NOTION_TOKEN", "ntn_" + _s(_DIG, 11) + _s(_ALNUM, 35), "saas-api-key")
_pos("AIRTABLE_PAT", "pat" + _s(_ALNUM, 14) + "." + _s(_HEX, 64), "saas-api-key")
_pos("CONTENTFUL_MANAGEMENT_TOKEN", "CFPAT-" + _s(_B64URL, 43), "saas-api-key")
_pos("PLANETSCALE_SERVICE_TOKEN", "pscale_tkn_" + _s(_B64URL, 43), "saas-api-key")
_pos("DATABRICKS_TOKEN", "dapi" + _s(_HEX, 32) + "-2", "databricks-token")
_pos("SNYK_TOKEN", _uuid(), "named-token")
_pos("VERCEL_TOKEN", _s(_ALNUM, 24), "named-token")
_pos("MAPBOX_SECRET_TOKEN", _mapbox("sk", "acme-maps"), "mapbox-secret-token")
_pos("MAPBOX_DOWNLOADS_TOKEN", _mapbox("sk", "acme-mobile"), "mapbox-secret-token")
_pos("POSTHOG_PERSONAL_API_KEY", "phx_" + _s(_ALNUM, 43), "posthog-personal-key")
_pos("LAUNCHDARKLY_SDK_KEY", "sdk-" + _uuid(), "launchdarkly-sdk-key")
_pos("FACEBOOK_ACCESS_TOKEN", "EAAG" + _s(_ALNUM, 180), "facebook-token")
_pos("OKTA_API_TOKEN", "00" + _s(_B64URL, 40), "named-token")
_pos("RECAPTCHA_SECRET_KEY", "6Le" + _s(_B64URL, 37), "captcha-secret-key")
_pos("TURNSTILE_SECRET_KEY", "0x4AAAAAAA" + _s(_B64URL, 25), "captcha-secret-key")
_pos("HCAPTCHA_SECRET", "0x" + _s(_HEX, 40), "captcha-secret-key")
_pos("ALGOLIA_ADMIN_API_KEY", _s(_HEX, 32), "named-api-key")
_pos("MEILI_MASTER_KEY", _s(_B64URL, 32), "named-api-key")
_pos("CLOUDINARY_URL", f"cloudinary://{_num(15)}:{_s(_B64URL, 27)}@acme-media", "url-password")
_pos("TWITCH_CLIENT_SECRET", _s(_LODIG, 30), "named-client-secret")

# ---- URLs with embedded passwords ----------------------------------------
_pos("DATABASE_URL", f"postgres://app:{_upw(24)}@db:5432/app", "url-password")
_pos(
    "DATABASE_URL",
    "postgresql://app_user:Winter2024@pg.prod.svc.cluster.local:5432/orders?sslmode=require",
    "url-password",
)
_pos("REDIS_URL", f"redis://:{_upw(32)}@redis-master:6379/0", "url-password")
_pos(
    "REDIS_URL",
    f"rediss://default:{_upw(32)}@eu1-lasting-mole-31402.upstash.io:6379",
    "url-password",
)
_pos("CELERY_BROKER_URL", f"amqp://celery:{_upw(20)}@rabbitmq:5672/prod", "url-password")
_pos(
    "AMQP_URL",
    f"amqps://orders:{_upw(20)}@b-{_uuid()}.mq.us-east-1.amazonaws.com:5671",
    "url-password",
)
_pos(
    "MONGO_URL",
    f"mongodb://root:{_upw(16)}@mongo-0.mongo:27017,mongo-1.mongo:27017/admin?replicaSet=rs0",
    "url-password",
)
_pos(
    "MONGODB_URI",
    f"mongodb+srv://app:{_upw(16)}@cluster0.ab1cd.mongodb.net/prod?retryWrites=true&w=majority",
    "url-password",
)
_pos("MYSQL_URL", f"mysql://root:{_upw(18)}@mysql:3306/app", "url-password")
_pos(
    "SQLALCHEMY_DATABASE_URI",
    f"mysql+pymysql://flask:{_upw(18)}@mysql.db.svc:3306/flask?charset=utf8mb4",
    "url-password",
)
_pos(
    "ASYNC_DATABASE_URL",
    f"postgresql+asyncpg://fastapi:{_upw(20)}@pgbouncer:6432/api",
    "url-password",
)
_pos("ELASTICSEARCH_URL", f"https://elastic:{_upw(20)}@es-http.logging.svc:9200", "url-password")
_pos("SMTP_URL", f"smtps://mailer%40acme.io:{_upw(16)}@smtp.gmail.com:465", "url-password")
_pos("FTP_URL", "ftp://deploy:Summer2023@ftp.example.com/", "url-password")
_pos("NATS_URL", f"nats://svc:{_upw(16)}@nats:4222", "url-password")
_pos("CLICKHOUSE_URL", f"clickhouse://default:{_upw(16)}@clickhouse:9000/default", "url-password")
_pos("HTTPS_PROXY", f"http://proxyuser:{_upw(12)}@proxy.corp.example:3128", "url-password")
_pos(
    "REGISTRY_MIRROR",
    f"https://pull:{_upw(20)}@nexus.corp.example/repository/docker-proxy",
    "url-password",
)
_pos(
    "PIP_EXTRA_INDEX_URL",
    f"https://ci:{_upw(24)}@nexus.corp.example/repository/pypi-internal/simple",
    "url-password",
)
_pos("GIT_REMOTE", f"https://deploy:{_upw(16)}@git.corp.example/team/app.git", "url-password")
_pos("INFLUX_URL", "https://admin:admin123@influxdb:8086", "url-password")
_pos("NEXT_PUBLIC_DB_URL", f"postgres://web:{_upw(16)}@db.acme.io:5432/web", "url-password")
_pos("DATABASE_URL", f'"postgres://api:{_upw(20)}@10.0.3.17:5432/api"', "url-password")
_pos("REDIS_URL", f"  redis://:{_upw(16)}@redis:6379  \n", "url-password")
_pos("DATABASE_URL", "postgres://app:p%40ss%23w0rd%21@db:5432/app", "url-password")
_pos("PG_URL", f"postgres://app:{_upw(16)}@[fd00::12]:5432/app", "url-password")
_pos(
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    f"postgresql+psycopg2://airflow:{_upw(16)}@airflow-pg:5432/airflow",
    "url-password",
)
_pos("GRAFANA_URL", "http://admin:admin@grafana:3000", "url-password")
_pos(
    "DATABASE_URL",
    f"mysql://{_s(_LODIG, 12)}:pscale_pw_{_s(_B64URL, 43)}@aws.connect.psdb.cloud/shop?sslaccept=strict",
    "url-password",
)

# passwords starting with `$`
_pos("DATABASE_URL", "postgres://app:$ecretPass99@db/app", "url-password-dollar")
_pos("REDIS_URL", "redis://:$2xK9!pQz@redis:6379", "url-password-dollar")
_pos("MONGO_URL", "mongodb://admin:$Adm1n2024@mongo:27017/?authSource=admin", "url-password-dollar")
_pos("AMQP_URL", f"amqp://svc:${_upw(14)}@rabbitmq:5672/", "url-password-dollar")
_pos(
    "POSTGRES_DSN",
    f"postgresql://reporting:${_upw(10)}!@analytics-db:5432/reporting",
    "url-password-dollar",
)

# passwords with digits then an unencoded `#`, `/` or `?`
_pos("DATABASE_URL", "postgres://app:1234#abcd@db:5432/app", "url-password-digit-special")
_pos("MYSQL_URL", "mysql://root:2024/Spring@mysql:3306/app", "url-password-digit-special")
_pos("REDIS_URL", "redis://:8842?xK@redis:6379/0", "url-password-digit-special")
_pos("MONGO_URL", "mongodb://app:99#Blue@mongo:27017/app", "url-password-digit-special")
_pos("AMQP_URL", "amqp://user:2468/qwe@rabbitmq:5672/", "url-password-digit-special")
_pos("POSTGRES_DSN", "postgresql://svc:77?Lk2@pg:5432/svc", "url-password-digit-special")
_pos("BROKER_URL", "redis://default:12#@redis:6379", "url-password-digit-special")
_pos(
    "READONLY_DATABASE_URL",
    "postgres://reader:31337#@replica.db:5432/reporting",
    "url-password-digit-special",
)

# Go-style DSN
_pos("MYSQL_DSN", "app:$uperS3cret@tcp(mysql:3306)/app?parseTime=true", "go-dsn-password")
_pos(
    "DB_DSN", f"orders:{_upw(18)}@tcp(mysql-primary.db.svc:3306)/orders?tls=true", "go-dsn-password"
)

# ---- Oracle --------------------------------------------------------------
_pos("ORACLE_CONNECTION", "scott/tiger@oradb.internal:1521/ORCLPDB1", "oracle-connect-string")
_pos(
    "DB_CONNECT_STRING",
    f"app_owner/{_upw(10)}@//ora-scan.prod:1521/APPSVC",
    "oracle-connect-string",
)
_pos("ORACLE_DSN", "report/R3p0rt#2024@ora-rpt:1521/RPT", "oracle-connect-string")
_pos("SQLPLUS_CONN", "system/Oracle123@//xe:1521/XEPDB1", "oracle-connect-string")
_pos(
    "TNS_CONNECT",
    f"batch/{_upw(12)}@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=ora-db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=BATCH)))",
    "oracle-connect-string",
)
_pos(
    "SPRING_DATASOURCE_URL", f"jdbc:oracle:thin:app_user/{_upw(10)}@oradb:1521:ORCL", "jdbc-oracle"
)
_pos(
    "ORACLE_JDBC_URL",
    f"jdbc:oracle:thin:batch/{_upw(12)}@//ora.example.com:1521/BATCH.example.com",
    "jdbc-oracle",
)

# ---- JDBC / SQL Server / ODBC / ADO.NET ---------------------------------
_pos(
    "SPRING_DATASOURCE_URL",
    f"jdbc:postgresql://db:5432/app?user=app&password={_upw(16)}",
    "jdbc-password",
)
_pos(
    "JDBC_URL",
    f"jdbc:mysql://mysql:3306/app?user=root&password={_upw(14)}&useSSL=false",
    "jdbc-password",
)
_pos(
    "DB_URL",
    f"jdbc:sqlserver://sql:1433;databaseName=app;user=sa;password={_upw(16)};encrypt=true",
    "jdbc-password",
)
_pos("DB2_URL", f"jdbc:db2://db2:50000/SAMPLE:user=db2inst1;password={_upw(12)};", "jdbc-password")
_pos(
    "SNOWFLAKE_JDBC_URL",
    f"jdbc:snowflake://acme.eu-west-1.snowflakecomputing.com/?user=ETL&password={_upw(16)}&warehouse=ETL_WH",
    "jdbc-password",
)
_pos(
    "REDSHIFT_URL",
    f"jdbc:redshift://analytics.abc123.eu-west-1.redshift.amazonaws.com:5439/dev;UID=admin;PWD={_upw(16)}",
    "jdbc-password",
)
_pos(
    "ConnectionStrings__Default",
    f"Server=sql.prod;Database=Orders;User Id=orders_app;Password={_pw(18)};TrustServerCertificate=True;",
    "sqlserver-connection-string",
)
_pos(
    "ConnectionStrings__DefaultConnection",
    f"Data Source=tcp:acme-sql.database.windows.net,1433;Initial Catalog=app;User ID=sqladmin@acme-sql;Password={_pw(20)};",
    "sqlserver-connection-string",
)
_pos(
    "ODBC_CONNECTION_STRING",
    f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:sql.prod,1433;Database=app;Uid=app;Pwd={_pw(16)};Encrypt=yes;",
    "odbc-connection-string",
)
_pos(
    "NPGSQL_CONNECTION",
    f"Host=pg;Port=5432;Database=app;Username=app;Password={_pw(16)};SSL Mode=Require",
    "ado-connection-string",
)
_pos(
    "MYSQL_CONNECTION",
    f"Server=mysql;Port=3306;Database=shop;Uid=shop;Pwd={_pw(14)};",
    "ado-connection-string",
)
_pos(
    "PRISMA_DATABASE_URL",
    f"sqlserver://db:1433;database=app;user=sa;password={_pw(16)};encrypt=true",
    "ado-connection-string",
)

# ---- key=value inside a value -------------------------------------------
_pos(
    "PG_CONN",
    f"host=db.internal port=5432 dbname=app user=app password={_pw(16)} sslmode=require",
    "kv-password",
)
_pos(
    "PGBOUNCER_DATABASES",
    f"app = host=pg port=5432 dbname=app user=app password={_upw(16)}",
    "kv-password",
)
_pos(
    "LDAP_CONFIG",
    f"uri=ldaps://ldap.corp binddn=cn=svc-app,ou=apps,dc=corp,dc=example bindpw={_pw(16)}",
    "kv-bindpw",
)
_pos("NSLCD_EXTRA", f"binddn cn=reader,dc=corp,dc=example\nbindpw {_pw(14)}\n", "kv-bindpw")
_pos("LDAP_BIND", f"bindpw={_upw(12)}", "kv-bindpw")
_pos("MYSQL_OPTS", f"host=mysql user=root passwd={_pw(14)} db=app", "kv-passwd")
_pos("FTP_OPTS", f"host=ftp.example.com login=deploy passwd={_upw(12)}", "kv-passwd")
_pos("DB_PARAMS", f"uid=app;pwd={_pw(14)};server=db;database=app", "kv-pwd")
_pos("SQL_OPTS", "server=sql01 uid=report pwd=Report2024", "kv-pwd")
_pos(
    "REDIS_CONFIGURATION",
    f"redis-master:6379,password={_pw(20)},ssl=False,abortConnect=False",
    "kv-password",
)
_pos("SMTP_SETTINGS", f"server=smtp.example.com;port=587;user=mailer;pass={_pw(14)}", "kv-password")
_pos("MQ_CONN", f"host=rabbit username=app password={_upw(18)} vhost=/", "kv-password")
_pos("DB_INIT_CMD", f"PGPASSWORD={_upw(16)} psql -h db -U app -d app -f /init.sql", "kv-password")

# ---- Java system properties ----------------------------------------------
_pos(
    "JAVA_OPTS",
    f"-Xms512m -Xmx2g -Djavax.net.ssl.keyStore=/etc/ssl/ks.p12 -Djavax.net.ssl.keyStorePassword={_pw(16)}",
    "java-property-password",
)
_pos(
    "JAVA_TOOL_OPTIONS",
    f"-Dspring.datasource.password={_pw(16)} -XX:+UseG1GC",
    "java-property-password",
)
_pos(
    "CATALINA_OPTS", f"-Dapp.db.password={_upw(14)} -Dfile.encoding=UTF-8", "java-property-password"
)
_pos(
    "JVM_ARGS", f"-Dmail.smtp.password={_pw(12)} -Dmail.smtp.user=alerts", "java-property-password"
)
_pos("MAVEN_OPTS", f"-Dsonar.login=squ_{_s(_HEX, 40)}", "java-property-password")
_pos(
    "SPRING_APPLICATION_JSON",
    json.dumps(
        {
            "spring": {
                "datasource": {
                    "url": "jdbc:postgresql://db/app",
                    "username": "app",
                    "password": _pw(16),
                }
            }
        }
    ),
    "json-config-secret",
)

# ---- command-line options ------------------------------------------------
_pos("REDIS_ARGS", "--requirepass S3cr3tValue", "cli-password-option")
_pos("ARGS", f"--port 8080 --db-password={_pw(16)} --log-level info", "cli-password-option")
_pos("COMMAND", "mysql -uroot -pHunter2x -h mysql app", "cli-password-option")
_pos("ENTRYPOINT_ARGS", f"--token {_s(_HEX, 40)}", "cli-token-option")
_pos("EXTRA_ARGS", f"--api-key={_s(_HEX, 32)} --region eu", "cli-token-option")
_pos("HEALTHCHECK_CMD", f"redis-cli -a {_upw(16)} ping", "cli-password-option")
_pos(
    "MONGO_SHELL",
    f"mongosh -u admin -p {_upw(14)} --authenticationDatabase admin",
    "cli-password-option",
)
_pos(
    "BOOTSTRAP",
    f"kubectl create secret generic db --from-literal=password={_upw(16)}",
    "cli-password-option",
)
_pos("LOGIN_CMD", f"docker login -u ci -p {_upw(20)} registry.example.com", "cli-password-option")
_pos("CURL_OPTS", f"-u admin:{_upw(14)} --retry 3", "cli-password-option")
_pos("OAUTH_ARGS", f"--client-id myapp --client-secret {_s(_B64URL, 32)}", "cli-token-option")
_pos("SERVER_ARGS", f"--masterauth {_upw(16)} --appendonly yes", "cli-password-option")
_pos("SQLCMD", "sqlcmd -S db -U sa -P 'YourStrong!Passw0rd' -Q 'SELECT 1'", "cli-password-option")
_pos("HELM_ARGS", f"--set postgresql.auth.password={_upw(16)} --wait", "cli-password-option")
_pos("CONTAINER_ARGS", f"--password {_pw(14)}", "cli-password-option")
_pos("AGENT_ARGS", f"--auth-token={_s(_HEX, 48)} --listen :9000", "cli-token-option")
_pos(
    "RCLONE_ARGS",
    f"--s3-access-key-id {_akid()} --s3-secret-access-key {_aws_secret()}",
    "cli-token-option",
)

# ---- Kafka JAAS ----------------------------------------------------------
_pos(
    "KAFKA_SASL_JAAS_CONFIG",
    f'org.apache.kafka.common.security.plain.PlainLoginModule required username="orders" password="{_upw(20)}";',
    "kafka-jaas",
)
_pos(
    "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG",
    f'org.apache.kafka.common.security.scram.ScramLoginModule required username="svc-payments" password="{_pw(24)}";',
    "kafka-jaas",
)
_pos(
    "KAFKA_JAAS",
    f"org.apache.kafka.common.security.plain.PlainLoginModule required username='{_s(_UPDIG, 16)}' password='{_s(_B64, 64)}';",
    "kafka-jaas",
)
_pos(
    "KAFKA_CLIENT_PROPERTIES",
    "bootstrap.servers=pkc-abc12.eu-west-1.aws.confluent.cloud:9092\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n"
    f'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="{_s(_UPDIG, 16)}" password="{_s(_B64, 64)}";\n',
    "kafka-jaas",
)

# ---- JSON / YAML / INI configs -------------------------------------------
_pos(
    "DB_CONFIG",
    json.dumps({"db": {"host": "db", "port": 5432, "user": "app", "password": _pw(16)}}),
    "json-config-secret",
)
_pos(
    "SERVICE_CONFIG",
    json.dumps(
        {"endpoint": "https://api.partner.io/v2", "apiKey": _s(_HEX, 32), "timeout": 30}, indent=2
    ),
    "json-config-secret",
)
_pos(
    "MAILER_CONFIG",
    json.dumps({"smtp": {"host": "smtp.acme.io", "user": "noreply", "pass": "mailpass2024"}}),
    "json-config-secret",
)
_pos(
    "NODE_CONFIG",
    json.dumps({"auth": {"jwtSecret": _s(_B64URL, 48), "ttl": 3600}}),
    "json-config-secret",
)
_pos(
    "APPSETTINGS_JSON",
    json.dumps(
        {
            "ConnectionStrings": {
                "Default": f"Server=sql;Database=app;User Id=app;Password={_pw(16)};"
            }
        }
    ),
    "json-config-secret",
)
_pos(
    "CONFIG_YAML",
    f"database:\n  host: db\n  user: app\n  password: {_pw(16)}\nlog_level: info\n",
    "yaml-config-secret",
)
_pos(
    "RCLONE_CONFIG",
    f"[s3]\ntype = s3\nprovider = AWS\naccess_key_id = {_akid()}\nsecret_access_key = {_aws_secret()}\n",
    "ini-config-secret",
)

# ---- base64 of credentials -----------------------------------------------
_pos("GH_TOKEN_B64", _b64(_gh()), "base64-credential")
_pos("PAYMENT_PROVIDER_CREDS", _b64(_stripe("sk_live_")), "base64-credential")
_pos("SLACK_HOOK_B64", _b64(_slack_hook()), "base64-credential")
_pos("DATABASE_URL_B64", _b64(f"postgres://app:{_upw(20)}@db:5432/app"), "base64-credential")
_pos("REGISTRY_AUTH", _b64("ci-bot:" + _pw(20)), "base64-basic-auth")
_pos("VAULT_TOKEN_B64", _b64(_hvs()).rstrip("="), "base64-credential")
_pos("OPENAI_KEY_ENCODED", _b64(_openai_legacy()), "base64-credential")
_pos("AWS_CREDENTIALS_B64", _b64_76(_aws_creds_file()), "base64-wrapped-76")
_pos(
    "ENV_FILE_B64",
    _b64_76(
        f"DB_HOST=db\nDB_USER=app\nDB_PASSWORD={_pw(16)}\nSTRIPE_KEY={_stripe('sk_live_', long=False)}\nLOG_LEVEL=info\n"
    ),
    "base64-wrapped-76",
)
_pos("TLS_KEY_B64", _b64_76(_ec_pem()).replace("\n", "\r\n"), "base64-wrapped-76")
_pos("PGP_KEY_B64", _b64_76(_pgp_private()), "base64-wrapped-76")

# ---- weak / demo passwords under strong names ----------------------------
_pos("DB_PASSWORD", "Winter2024!", "weak-password")
_pos("POSTGRES_PASSWORD", "changeme", "weak-password")
_pos("MYSQL_ROOT_PASSWORD", "admin123", "weak-password")
_pos("SPRING_DATASOURCE_PASSWORD", "P@ss.word", "weak-password")
_pos("dbPassword", "internal", "weak-password")
_pos("REDIS_PASSWORD", "password", "weak-password")
_pos("MONGO_INITDB_ROOT_PASSWORD", "example", "weak-password")
_pos("ELASTIC_PASSWORD", "changeme", "weak-password")
_pos("KEYCLOAK_ADMIN_PASSWORD", "admin", "weak-password")
_pos("GF_SECURITY_ADMIN_PASSWORD", "admin", "weak-password")
_pos("PGPASSWORD", "postgres", "weak-password")
_pos("MYSQL_PWD", "secret", "weak-password")
_pos("MSSQL_SA_PASSWORD", "YourStrong@Passw0rd", "weak-password")
_pos("SA_PASSWORD", "Pa55w0rd!", "weak-password")
_pos("ADMIN_PASSWORD", '"Tr0ub4dor&3"', "weak-password")
_pos("LDAP_ADMIN_PASSWORD", "correct horse battery staple", "weak-password")
_pos("SMTP_PASS", " mailpass2024 ", "weak-password")
_pos("WORDPRESS_DB_PASSWORD", "wordpress", "weak-password")
_pos("MARIADB_ROOT_PASSWORD", "root", "weak-password")
_pos("PASSWORD", "hunter2", "weak-password")
_pos("APP_PASSWORD", "qwerty123", "weak-password")
_pos("CASSANDRA_PASSWORD", "cassandra", "weak-password")
_pos("PGADMIN_DEFAULT_PASSWORD", "SuperSecret", "weak-password")
_pos("HARBOR_ADMIN_PASSWORD", "Harbor12345", "weak-password")
_pos("SONARQUBE_JDBC_PASSWORD", "sonar", "weak-password")
_pos("DB_PASS", "s3cret", "weak-password")
_pos("JWT_SECRET", "supersecret", "weak-password")
_pos("SESSION_SECRET", "keyboard cat", "weak-password")
_pos("DOCKER_INFLUXDB_INIT_PASSWORD", "my-super-secret-password", "weak-password")
_pos("NEO4J_AUTH", "neo4j/s3cr3tgraph", "user-pass-pair")
_pos("BASIC_AUTH", "admin:Admin@2024", "user-pass-pair")
_pos("EMAIL_HOST_PASSWORD", " ".join(_s(_LO, 4) for _ in range(4)), "app-password")
_pos("JASYPT_ENCRYPTOR_PASSWORD", "j4syptM4st3r!", "named-password")

# ---- random passwords under strong names ---------------------------------
_pos("RABBITMQ_DEFAULT_PASS", _pw(20), "named-password")
_pos("MAIL_PASSWORD", _pw(16), "named-password")
_pos("REGISTRY_PASSWORD", _pw(24), "named-password")
_pos("JENKINS_ADMIN_PASSWORD", _pw(20), "named-password")
_pos("POSTGRESQL_PASSWORD", _pw(18), "named-password")
_pos("MINIO_ROOT_PASSWORD", _s(_ALNUM, 40), "named-password")
_pos("KEYSTORE_PASSWORD", _pw(16), "named-password")
_pos("SSL_KEY_PASSPHRASE", "my long passphrase 42", "named-password")
_pos("GPG_PASSPHRASE", _pw(28), "named-password")
_pos("ARANGO_ROOT_PASSWORD", _pw(16), "named-password")
_pos("DATABASE_PASS", _pw(20), "named-password")
_pos("AMQP_PASSWORD", _pw(16), "named-password")
_pos("SASL_PASSWORD", _pw(24), "named-password")
_pos("redis_password", _pw(16), "named-password")
_pos("spring.datasource.password", _pw(16), "named-password")
_pos("db-password", _pw(16), "named-password")
_pos("Password", _pw(14), "named-password")
_pos("REDIS_SENTINEL_PASSWORD", "'" + _pw(16) + "'", "named-password")
_pos("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", _b64(_rb(64)), "named-token")

# ---- credential word not last --------------------------------------------
_pos("SECRET_BLAH", "secretsquirrels", "credword-not-last")
_pos("PASSWORD_DB", "Winter2024", "credword-not-last")
_pos("PASSWORD_ADMIN", "Adm!n2024", "credword-not-last")
_pos("PASS_LDAP", "Ld@pP4ss", "credword-not-last")
_pos("PWD_ORACLE", "Orcl#2023", "credword-not-last")
_pos("TOKEN_JIRA", _s(_ALNUM, 24), "credword-not-last")
_pos("API_KEY_PROD", _s(_HEX, 32), "credword-not-last")
_pos("PASSWORD_SMTP_RELAY", "relay-pass-7", "credword-not-last")
_pos("SECRET_JWT_SIGNING", _s(_B64URL, 43), "credword-not-last")
_pos("TOKEN_SLACK_ALERTS", _s(_ALNUM, 24), "credword-not-last")
_pos("ACCESS_TOKEN_OPS", _s(_B64URL, 40), "credword-not-last")
_pos("CLIENT_SECRET_PROD", _s(_B64URL, 32), "credword-not-last")
_pos("PASSWD_BACKUP", "backup!2024", "credword-not-last")
_pos("SECRET_KEY_DJANGO", _s(_LODIG + "!@%^&*(-_=+)", 50), "credword-not-last")
_pos("AUTH_TOKEN_INTERNAL", _s(_HEX, 40), "credword-not-last")
_pos("PASSWORD_FOR_REPORTS_DB", "r3ports", "credword-not-last")

# ---- glued / camelCase / dashed names ------------------------------------
_pos("DBPASS", "Winter2024", "glued-name")
_pos("SMTPPASS", "mailer123", "glued-name")
_pos("ADMINPWD", "Adm1nPwd!", "glued-name")
_pos("MYSQLPASSWORD", "mysqlpw2024", "glued-name")
_pos("DBPASSWORD", _pw(16), "glued-name")
_pos("ROOTPASS", "toor", "glued-name")
_pos("MAILPASS", _pw(14), "glued-name")
_pos("REDISPASS", _upw(20), "glued-name")
_pos("LDAPPASSWD", _pw(14), "glued-name")
_pos("DBPWD", _pw(12), "glued-name")
_pos("RDSPASSWORD", _pw(20), "glued-name")
_pos("APIKEY", _s(_HEX, 32), "glued-name")
_pos("APITOKEN", _s(_B64URL, 40), "glued-name")
_pos("AUTHTOKEN", _s(_HEX, 40), "glued-name")
_pos("CLIENTSECRET", _s(_B64URL, 32), "glued-name")
_pos("SECRETKEY", _s(_B64URL, 50), "glued-name")
_pos("ACCESSTOKEN", _s(_ALNUM, 48), "glued-name")
_pos("JWTSECRET", _s(_B64URL, 32), "glued-name")
_pos("dbpass", "letmein", "glued-name")
_pos("smtpPassword", _pw(14), "glued-name")
_pos("apiKey", _s(_ALNUM, 32), "glued-name")
_pos("clientSecret", _s(_B64URL, 40), "glued-name")
_pos("authToken", _s(_HEX, 32), "glued-name")
_pos("appSecret", _s(_HEX, 64), "glued-name")
_pos("app-secret", _s(_B64URL, 32), "glued-name")

# ---- named API keys / tokens / client secrets / app secrets --------------
_pos("API_KEY", _s(_HEX, 32), "named-api-key")
_pos("X_API_KEY", _uuid(), "named-api-key")
_pos("INTERNAL_API_KEY", _s(_B64URL, 40), "named-api-key")
_pos("PARTNER_API_KEY", "  " + _s(_ALNUM, 32), "named-api-key")
_pos("AUTH_TOKEN", _s(_HEX, 40), "named-token")
_pos("ACCESS_TOKEN", _s(_B64URL, 64), "named-token")
_pos("REFRESH_TOKEN", _s(_B64URL, 86), "named-token")
_pos("BEARER_TOKEN", _s(_ALNUM, 40), "named-token")
_pos("SERVICE_TOKEN", _s(_HEX, 64), "named-token")
_pos("CLIENT_SECRET", _s(_B64URL, 40), "named-client-secret")
_pos("OAUTH_CLIENT_SECRET", _s(_B64URL, 32), "named-client-secret")
_pos("OIDC_CLIENT_SECRET", _s(_ALNUM, 32), "named-client-secret")
_pos("KEYCLOAK_CLIENT_SECRET", _s(_ALNUM, 32), "named-client-secret")
_pos("AUTH0_CLIENT_SECRET", _s(_B64URL, 64), "named-client-secret")
_pos("GITHUB_CLIENT_SECRET", _s(_HEX, 40), "named-client-secret")
_pos("SECRET_KEY", _s(_ALNUM + "!@%^&*(-_=+)", 50), "app-secret-key")
_pos("DJANGO_SECRET_KEY", "django-insecure-" + _s(_LODIG + "!@%^&*(-_=+)", 50), "app-secret-key")
_pos("SECRET_KEY_BASE", _s(_HEX, 128), "app-secret-key")
_pos("FLASK_SECRET_KEY", _s(_HEX, 64), "app-secret-key")
_pos("NEXTAUTH_SECRET", _b64(_rb(32)), "app-secret-key")
_pos("COOKIE_SECRET", _s(_B64URL, 32), "app-secret-key")
_pos("APP_KEY", "base64:" + _b64(_rb(32)), "app-secret-key")
_pos("RAILS_MASTER_KEY", _s(_HEX, 32), "app-secret-key")
_pos("AIRFLOW__WEBSERVER__SECRET_KEY", _s(_HEX, 32), "app-secret-key")
_pos("WORDPRESS_AUTH_KEY", _s(_ALNUM + "!@%^&*()-_=+[]{}<>~;:,.|", 64), "app-secret-key")
_pos("ENCRYPTION_KEY", _s(_HEX, 64), "encryption-key")
_pos("AIRFLOW__CORE__FERNET_KEY", _b64u(_rb(32)) + "=", "encryption-key")
_pos("N8N_ENCRYPTION_KEY", _s(_ALNUM, 32), "encryption-key")
_pos("MASTER_KEY", _s(_HEX, 32), "encryption-key")
_pos("HMAC_SECRET", _s(_HEX, 64), "signing-secret")
_pos("WEBHOOK_SECRET", _s(_B64URL, 32), "signing-secret")
_pos("SIGNING_SECRET", _s(_HEX, 32), "signing-secret")
_pos("SLACK_SIGNING_SECRET", _s(_HEX, 32), "signing-secret")
_pos("PASSWORD_PEPPER", _s(_B64URL, 32), "signing-secret")

# ============================================================ NEGATIVES ===

# ---- password hashes -----------------------------------------------------
_neg("ADMIN_PASSWORD_HASH", _bcrypt("2b", 12), "bcrypt-hash")
_neg("DB_PASSWORD", _bcrypt("2a", 10), "bcrypt-hash")
_neg("ARGOCD_ADMIN_PASSWORD", _bcrypt("2a", 10), "bcrypt-hash")
_neg("PASSWORD_BCRYPT", _bcrypt("2y", 10), "bcrypt-hash")
_neg("USER_PASSWORD_HASH", _bcrypt("2b", 14), "bcrypt-hash")
_neg("BASIC_AUTH_PASSWORD", _bcrypt("2y", 5), "bcrypt-hash")
_neg("ROOT_PASSWORD_HASH", '"' + _bcrypt("2a", 12) + '"', "bcrypt-hash")
_neg("CADDY_PASSWORD_HASH", _b64(_bcrypt("2a", 14)), "bcrypt-hash")
_neg("ADMIN_PASSWORD", _argon2(), "argon2-hash")
_neg("PASSWORD_HASH", _argon2("argon2i", 4096, 3, 1), "argon2-hash")
_neg("ADMIN_TOKEN", _argon2("argon2id", 65540, 3, 4), "argon2-hash")
_neg("AUTHELIA_USER_PASSWORD", _argon2("argon2id", 65536, 1, 8), "argon2-hash")
_neg("JUPYTER_PASSWORD", "argon2:" + _argon2("argon2id", 10240, 10, 8), "argon2-hash")
_neg("LDAP_ROOT_PASSWORD", "{SSHA}" + _b64(_rb(28)), "ldap-hash")
_neg("SLAPD_ROOTPW", "{SSHA}" + _b64(_rb(28)), "ldap-hash")
_neg("OPENLDAP_ADMIN_PASSWORD", "{SHA}" + _b64(_rb(20)), "ldap-hash")
_neg("LDAP_USER_PASSWORD", "{SSHA512}" + _b64(_rb(72)), "ldap-hash")
_neg("LDAP_ADMIN_PASSWORD_HASH", "{CRYPT}" + _crypt("6", 16, 86), "ldap-hash")
_neg("DS_ROOT_PASSWORD", "{PBKDF2-SHA512}10000$" + _b64(_rb(16)) + "$" + _b64(_rb(64)), "ldap-hash")
_neg("ROOT_PASSWORD_CRYPT", _crypt("6", 16, 86), "crypt-hash")
_neg("USER_PASSWORD", _crypt("6", 8, 86), "crypt-hash")
_neg("DEPLOY_PASSWORD_SHA256CRYPT", _crypt("5", 16, 43), "crypt-hash")
_neg("LEGACY_PASSWORD_MD5CRYPT", _crypt("1", 8, 22), "crypt-hash")
_neg("CLOUD_INIT_PASSWD", "$y$j9T$" + _s(_CRYPT, 22) + "$" + _s(_CRYPT, 43), "crypt-hash")
_neg("SHADOW_ENTRY", "deploy:" + _crypt("6", 16, 86) + ":19000:0:99999:7:::", "crypt-hash")
_neg("GRUB_PASSWORD", f"grub.pbkdf2.sha512.10000.{_s(_HEXU, 128)}.{_s(_HEXU, 128)}", "crypt-hash")
_neg("HTPASSWD", "admin:" + _apr1(), "htpasswd")
_neg("TRAEFIK_BASIC_AUTH_USERS", f"admin:{_apr1()},ops:{_apr1()}", "htpasswd")
_neg("NGINX_BASIC_AUTH", "ops:" + _bcrypt("2y", 5), "htpasswd")
_neg("REGISTRY_HTPASSWD", "ci:{SHA}" + _b64(_rb(20)), "htpasswd")
_neg("HTPASSWD_FILE_CONTENT", f"alice:{_apr1()}\nbob:{_bcrypt('2y', 10)}\n", "htpasswd")
_neg("BASIC_AUTH_USERS", "monitor:" + _apr1(), "htpasswd")
_neg(
    "DJANGO_SUPERUSER_PASSWORD_HASH",
    "pbkdf2_sha256$600000$" + _s(_ALNUM, 22) + "$" + _b64(_rb(32)),
    "other-hash",
)
_neg(
    "PG_USER_VERIFIER",
    f"SCRAM-SHA-256$4096:{_b64(_rb(16))}${_b64(_rb(32))}:{_b64(_rb(32))}",
    "other-hash",
)
_neg("MYSQL_ROOT_PASSWORD_HASH", "*" + _s(_HEXU, 40), "other-hash")
_neg("PASSWORD_SHA256", _s(_HEX, 64), "other-hash")
_neg("RABBITMQ_PASSWORD_HASH", _b64(_rb(36)), "other-hash")

# ---- ciphertext envelopes ------------------------------------------------
_neg("DB_PASSWORD", _sops(18), "sops-ciphertext")
_neg("API_KEY", _sops(32), "sops-ciphertext")
_neg("STRIPE_SECRET_KEY", _sops(108), "sops-ciphertext")
_neg("JWT_SECRET", _sops(48), "sops-ciphertext")
_neg("MAX_CONNECTIONS", _sops(3, "int"), "sops-ciphertext")
_neg(
    "APP_SECRETS", json.dumps({"db_password": _sops(16), "api_token": _sops(40)}), "sops-ciphertext"
)
_neg("DB_PASSWORD_ENCRYPTED", _kms_blob(), "kms-ciphertext")
_neg("API_KEY_CIPHERTEXT", _kms_blob(), "kms-ciphertext")
_neg("ENCRYPTED_SLACK_TOKEN", _kms_blob(), "kms-ciphertext")
_neg("KMS_ENCRYPTED_SECRET", _kms_blob(), "kms-ciphertext")
_neg("TOKEN_CIPHERTEXT_BLOB", _kms_blob(), "kms-ciphertext")
_neg("STRIPE_KEY_KMS_ENCRYPTED", _kms_blob(), "kms-ciphertext")
_neg("DB_PASSWORD_CIPHERTEXT", _gcp_kms_blob(), "kms-ciphertext")
_neg("API_TOKEN_ENCRYPTED", _gcp_kms_blob(), "kms-ciphertext")
_neg("SEALED_DB_PASSWORD", _sealed(0x5A), "sealed-secret")
_neg("DB_PASSWORD_SEALED", _sealed(0x05), "sealed-secret")
_neg("ENCRYPTED_API_KEY", _sealed(0x73), "sealed-secret")
_neg("SEALED_TOKEN", _sealed(0x41), "sealed-secret")
_neg("REGISTRY_AUTH_ENCRYPTED", _sealed(0x1C), "sealed-secret")
_neg("SPRING_DATASOURCE_PASSWORD", _jasypt(), "jasypt-ciphertext")
_neg("MAIL_PASSWORD", _jasypt(), "jasypt-ciphertext")
_neg("APP_SECRET", _jasypt(), "jasypt-ciphertext")
_neg("LDAP_BIND_PASSWORD", _jasypt(), "jasypt-ciphertext")
_neg(
    "VAULT_SECRETS",
    "$ANSIBLE_VAULT;1.1;AES256\n" + _wrap(_s(_HEX, 480), 80) + "\n",
    "ansible-vault",
)
_neg(
    "DB_PASSWORD_VAULTED",
    "$ANSIBLE_VAULT;1.2;AES256;prod\n" + _wrap(_s(_HEX, 320), 80),
    "ansible-vault",
)
_neg("DB_PASSWORD_ENC", "vault:v1:" + _b64(_rb(44)), "vault-transit-ciphertext")
_neg("SSN_KEY_WRAPPED", "vault:v2:" + _b64(_rb(60)), "vault-transit-ciphertext")
_neg(
    "ENCRYPTED_CONFIG",
    f"-----BEGIN PGP MESSAGE-----\n\nhQEMA{_wrap(_s(_B64, 600), 64)}\n={_s(_B64, 4)}\n-----END PGP MESSAGE-----\n",
    "pgp-ciphertext",
)
_neg("SECRET_ENCRYPTED", _fernet(), "fernet-ciphertext")
_neg("DB_PASSWORD_FERNET", _fernet(), "fernet-ciphertext")
_neg(
    "AGE_ENCRYPTED_ENV",
    f"-----BEGIN AGE ENCRYPTED FILE-----\n{_wrap('YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOS' + _s(_B64, 300), 64)}\n-----END AGE ENCRYPTED FILE-----\n",
    "age-ciphertext",
)

# ---- keys public by design -----------------------------------------------
_neg("STRIPE_PUBLISHABLE_KEY", _stripe("pk_live_"), "stripe-publishable")
_neg("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", _stripe("pk_test_"), "stripe-publishable")
_neg("VITE_STRIPE_PK", _stripe("pk_test_", long=False), "stripe-publishable")
_neg("STRIPE_PUBLIC_KEY", _stripe("pk_live_", long=False), "stripe-publishable")
_neg("REACT_APP_STRIPE_KEY", '"' + _stripe("pk_live_") + '"', "stripe-publishable")
_neg("MAPBOX_ACCESS_TOKEN", _mapbox("pk", "acme-maps"), "mapbox-public")
_neg("NEXT_PUBLIC_MAPBOX_TOKEN", _mapbox("pk", "acme-web"), "mapbox-public")
_neg("VITE_MAPBOX_KEY", _mapbox("pk", "acme-dev"), "mapbox-public")
_neg("POSTHOG_API_KEY", "phc_" + _s(_ALNUM, 43), "posthog-project-key")
_neg("NEXT_PUBLIC_POSTHOG_KEY", "phc_" + _s(_ALNUM, 43), "posthog-project-key")
_neg("POSTHOG_PROJECT_TOKEN", "phc_" + _s(_ALNUM, 43), "posthog-project-key")
_neg("SUPABASE_ANON_KEY", _supabase_jwt("anon"), "supabase-anon-key")
_neg("NEXT_PUBLIC_SUPABASE_ANON_KEY", _supabase_jwt("anon"), "supabase-anon-key")
_neg("VITE_SUPABASE_ANON_KEY", _supabase_jwt("anon"), "supabase-anon-key")
_neg("DD_CLIENT_TOKEN", "pub" + _s(_HEX, 32), "datadog-client-token")
_neg("DATADOG_CLIENT_TOKEN", "pub" + _s(_HEX, 32), "datadog-client-token")
_neg("NEXT_PUBLIC_DD_RUM_CLIENT_TOKEN", "pub" + _s(_HEX, 32), "datadog-client-token")
_neg("SENTRY_DSN", _sentry_dsn(), "sentry-dsn")
_neg("NEXT_PUBLIC_SENTRY_DSN", _sentry_dsn(f"o{_num(6)}.ingest.us.sentry.io"), "sentry-dsn")
_neg("SENTRY_DSN", _sentry_dsn("sentry.corp.example"), "sentry-dsn")
_neg("VITE_SENTRY_DSN", _sentry_dsn(f"o{_num(6)}.ingest.de.sentry.io"), "sentry-dsn")
_neg("RECAPTCHA_SITE_KEY", "6Le" + _s(_B64URL, 37), "captcha-site-key")
_neg("NEXT_PUBLIC_RECAPTCHA_SITE_KEY", "6Lc" + _s(_B64URL, 37), "captcha-site-key")
_neg("HCAPTCHA_SITEKEY", _uuid(), "captcha-site-key")
_neg("TURNSTILE_SITE_KEY", "0x4AAAAAAA" + _s(_B64URL, 12), "captcha-site-key")
_neg(
    "CLERK_PUBLISHABLE_KEY",
    "pk_test_" + _b64("clever-fox-12.clerk.accounts.dev$"),
    "clerk-publishable-key",
)
_neg(
    "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
    "pk_live_" + _b64("clerk.acme.io$"),
    "clerk-publishable-key",
)
_neg("GA_MEASUREMENT_ID", "G-" + _s(_UPDIG, 10), "analytics-id")
_neg("GTM_ID", "GTM-" + _s(_UPDIG, 7), "analytics-id")
_neg("GOOGLE_ANALYTICS_ID", f"UA-{_num(8)}-1", "analytics-id")
_neg("INTERCOM_APP_ID", _s(_LODIG, 8), "analytics-id")
_neg(
    "GOOGLE_CLIENT_ID", f"{_num(12)}-{_s(_LODIG, 32)}.apps.googleusercontent.com", "oauth-client-id"
)
_neg("GITHUB_CLIENT_ID", "Iv1." + _s(_HEX, 16), "oauth-client-id")
_neg("GITHUB_OAUTH_CLIENT_ID", "Ov23li" + _s(_ALNUM, 14), "oauth-client-id")
_neg("AUTH0_CLIENT_ID", _s(_ALNUM, 32), "oauth-client-id")

# ---- secret-manager references -------------------------------------------
_neg("DB_PASSWORD", "secretsmanager:prod/orders/db#password", "secret-manager-ref")
_neg("API_KEY", "vault:secret/data/app#password", "secret-manager-ref")
_neg(
    "DB_PASSWORD",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
    "secret-manager-ref",
)
_neg(
    "STRIPE_SECRET_KEY",
    "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/stripe/secret-key",
    "secret-manager-ref",
)
_neg("JWT_SECRET", "projects/acme-prod/secrets/jwt-secret/versions/latest", "secret-manager-ref")
_neg("REDIS_PASSWORD", "ref+vault://secret/data/redis#/password", "secret-manager-ref")
_neg("POSTGRES_PASSWORD", "ref+awssecrets://prod/postgres#/password", "secret-manager-ref")
_neg("SENDGRID_API_KEY", "ref+gcpsecrets://acme-prod/sendgrid-api-key", "secret-manager-ref")
_neg(
    "DB_PASSWORD",
    "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/DbPassword/)",
    "secret-manager-ref",
)
_neg("API_KEY", "@Microsoft.KeyVault(VaultName=acme-kv;SecretName=ApiKey)", "secret-manager-ref")
_neg("STRIPE_SECRET_KEY", "op://Production/Stripe/credential", "secret-manager-ref")
_neg("GITHUB_TOKEN", "sm://projects/acme/secrets/github-token", "secret-manager-ref")
_neg(
    "DB_PASSWORD", "{{resolve:secretsmanager:prod/db:SecretString:password}}", "secret-manager-ref"
)
_neg("API_KEY", "{{resolve:ssm-secure:/prod/api-key:1}}", "secret-manager-ref")
_neg(
    "CLIENT_SECRET",
    f"https://acme-kv.vault.azure.net/secrets/oidc-client-secret/{_s(_HEX, 32)}",
    "secret-manager-ref",
)
_neg(
    "DB_PASSWORD_SECRET_ARN",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-3f2a1b4c-Xy7z9Q",
    "secret-manager-ref",
)
_neg("AUTH_TOKEN", "awssm://prod/auth-token", "secret-manager-ref")

# ---- templates and placeholders ------------------------------------------
_neg("DB_PASSWORD", "${DB_PASSWORD}", "template-placeholder")
_neg("POSTGRES_PASSWORD", "$(POSTGRES_PASSWORD)", "template-placeholder")
_neg("API_KEY", "{{ .Values.apiKey }}", "template-placeholder")
_neg("GITHUB_TOKEN", "<your-token-here>", "template-placeholder")
_neg("REDIS_PASSWORD", "****", "template-placeholder")
_neg("NPM_TOKEN", "${{ secrets.NPM_TOKEN }}", "template-placeholder")
_neg("SA_PASSWORD", "%SA_PASSWORD%", "template-placeholder")
_neg("ConnectionStrings__Default", "#{DefaultConnection}#", "template-placeholder")
_neg("SECRET_KEY", "__SECRET_KEY__", "template-placeholder")
_neg("JWT_SECRET", "@@JWT_SECRET@@", "template-placeholder")
_neg("SMTP_PASSWORD", "{{ smtp_password }}", "template-placeholder")
_neg("STRIPE_KEY", "${env:STRIPE_KEY}", "template-placeholder")
_neg("AUTH_TOKEN", "$AUTH_TOKEN", "template-placeholder")
_neg("DB_PASS", "${DB_PASS:?DB_PASS must be set}", "template-placeholder")
_neg("SECRET_KEY_BASE", "<%= ENV['SECRET_KEY_BASE'] %>", "template-placeholder")
_neg("CLIENT_SECRET", "{{ .Env.CLIENT_SECRET }}", "template-placeholder")
_neg("SLACK_WEBHOOK_URL", "<SLACK_WEBHOOK_URL>", "template-placeholder")
_neg("AWS_SECRET_ACCESS_KEY", "<aws-secret-access-key>", "template-placeholder")
_neg("ADMIN_PASSWORD", "{{ randAlphaNum 16 | b64enc }}", "template-placeholder")
_neg("DB_PASSWORD", '{{ include "app.dbPassword" . }}', "template-placeholder")
_neg("DB_PASSWORD", "********", "redacted")
_neg("API_KEY", "[REDACTED]", "redacted")
_neg("CLIENT_SECRET", "<redacted>", "redacted")
_neg("STRIPE_SECRET_KEY", "sk_live_****************", "redacted")
_neg("GITHUB_TOKEN", "ghp_************************************", "redacted")
_neg("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db:5432/app", "placeholder-in-connstr")
_neg("REDIS_URL", "redis://:$(REDIS_PASSWORD)@redis:6379/0", "placeholder-in-connstr")
_neg("PG_CONN", "host=db user=app password=${PGPASSWORD} dbname=app", "placeholder-in-connstr")
_neg("REDIS_ARGS", "--requirepass $(REDIS_PASSWORD)", "placeholder-in-connstr")
_neg(
    "JAVA_OPTS",
    "-Xmx1g -Djavax.net.ssl.keyStorePassword=${KEYSTORE_PASSWORD}",
    "placeholder-in-connstr",
)
_neg(
    "KAFKA_SASL_JAAS_CONFIG",
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="orders" password="${KAFKA_PASSWORD}";',
    "placeholder-in-connstr",
)
_neg(
    "ConnectionStrings__Default",
    "Server=sql;Database=app;User Id=app;Password=$(SQL_PASSWORD);",
    "placeholder-in-connstr",
)
_neg(
    "MONGODB_URI",
    "mongodb+srv://app:{{ .Values.mongo.password }}@cluster0.ab1cd.mongodb.net/prod",
    "placeholder-in-connstr",
)
_neg(
    "AZURE_STORAGE_CONNECTION_STRING",
    "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=${STORAGE_KEY};EndpointSuffix=core.windows.net",
    "placeholder-in-connstr",
)
_neg("ARGS", "--db-password=$(DB_PASSWORD) --port 8080", "placeholder-in-connstr")

# ---- names that point at a Secret key / file -----------------------------
_neg("PASSWORD_KEY", "password", "secret-key-name")
_neg("TOKEN_KEY", "token", "secret-key-name")
_neg("SECRET_KEY_REF", "api-key", "secret-key-name")
_neg("DB_PASSWORD_SECRET_NAME", "db-creds", "secret-key-name")
_neg("DB_PASSWORD_SECRET_KEY", "postgres-password", "secret-key-name")
_neg("API_KEY_SECRET_REF", "stripe-credentials/api-key", "secret-key-name")
_neg("REDIS_PASSWORD_KEY", "redis-password", "secret-key-name")
_neg("CLIENT_SECRET_NAME", "oidc-client", "secret-key-name")
_neg("PASSWORD_ENV", "DB_PASSWORD", "secret-key-name")
_neg("API_KEY_HEADER", "X-API-Key", "secret-key-name")
_neg("TOKEN_HEADER", "X-Auth-Token", "secret-key-name")
_neg("API_KEY_PARAM", "api_key", "secret-key-name")
_neg("PASSWORD_FIELD", "password", "secret-key-name")
_neg("DB_PASSWORD_VAULT_PATH", "secret/data/prod/db", "secret-key-name")
_neg("PASSWORD_FILE", "/run/secrets/db", "secret-file-path")
_neg("TOKEN_PATH", "/var/run/secrets/kubernetes.io/serviceaccount/token", "secret-file-path")
_neg("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json", "secret-file-path")
_neg(
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    "secret-file-path",
)
_neg("POSTGRES_PASSWORD_FILE", "/run/secrets/postgres-passwd", "secret-file-path")
_neg("SSL_KEY_FILE", "/etc/tls/tls.key", "secret-file-path")
_neg("JWT_PRIVATE_KEY_PATH", "/keys/jwt.pem", "secret-file-path")
_neg("API_KEY_FILE", "/etc/app/api-key", "secret-file-path")
_neg("VAULT_TOKEN_PATH", "/home/app/.vault-token", "secret-file-path")
_neg("KUBECONFIG", "/etc/kube/config", "secret-file-path")
_neg("SECRETS_DIR", "/mnt/secrets-store", "secret-file-path")
_neg("KEYSTORE_PATH", "/etc/ssl/keystore.p12", "secret-file-path")
_neg("AWS_SHARED_CREDENTIALS_FILE", "/home/app/.aws/credentials", "secret-file-path")
_neg("SSH_AUTH_SOCK", "/tmp/ssh-XXXXkq3Jd/agent.118", "secret-file-path")
_neg("MYSQL_ROOT_PASSWORD_FILE", "  /run/secrets/mysql-root  ", "secret-file-path")

# ---- emulator credentials (published) ------------------------------------
# Azurite's well-known development account key (published by Microsoft).
_AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPL"
    + "lmEtlCDXJ1OUzFT50uSRZ6"
    + "IFsuFq2UVErCz4I6tq/K1S"
    + "ZFPTOtr/KBHBeksoGMGw=="
)
# Azure Cosmos DB emulator's well-known key (published by Microsoft).
_COSMOS_EMU_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv"
    + "30VRDJIWEHLM+4QDU5DE2n"
    + "Q9nDuVTqobD4b8mGGyPMbI"
    + "ZnqyMsEcaGQy67XIw/Jw=="
)
_neg("AZURE_STORAGE_KEY", _AZURITE_KEY, "emulator-creds")
_neg("STORAGE_ACCOUNT_KEY", _AZURITE_KEY, "emulator-creds")
_neg(
    "AZURE_STORAGE_CONNECTION_STRING",
    f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={_AZURITE_KEY};BlobEndpoint=http://azurite:10000/devstoreaccount1;",
    "emulator-creds",
)
_neg("AzureWebJobsStorage", "UseDevelopmentStorage=true", "emulator-creds")
_neg("AZURITE_ACCOUNTS", f"devstoreaccount1:{_AZURITE_KEY}", "emulator-creds")
_neg("AWS_ACCESS_KEY_ID", "test", "emulator-creds")
_neg("AWS_SECRET_ACCESS_KEY", "test", "emulator-creds")
_neg("AWS_SESSION_TOKEN", "test", "emulator-creds")
_neg("AWS_ACCESS_KEY_ID", "fakeMyKeyId", "emulator-creds")
_neg("AWS_SECRET_ACCESS_KEY", "fakeSecretAccessKey", "emulator-creds")
_neg("COSMOS_KEY", _COSMOS_EMU_KEY, "emulator-creds")
_neg(
    "COSMOS_CONNECTION_STRING",
    f"AccountEndpoint=https://localhost:8081/;AccountKey={_COSMOS_EMU_KEY}",
    "emulator-creds",
)

# ---- Kubernetes Secret object names --------------------------------------
_neg("IMAGE_PULL_SECRET", "regcred", "k8s-secret-name")
_neg("TLS_SECRET_NAME", "wildcard-acme-io-tls", "k8s-secret-name")
_neg("EXISTING_SECRET", "postgres-credentials", "k8s-secret-name")
_neg("SECRET_NAME", "app-secrets", "k8s-secret-name")
_neg("VAULT_ROLE", "app-reader", "k8s-secret-name")
_neg("CERT_MANAGER_ISSUER_SECRET", "letsencrypt-prod-account-key", "k8s-secret-name")

# ---- ordinary config under secret-ish names ------------------------------
_neg("TOKEN_AUTH_ENABLED", "true", "config-bool")
_neg("REQUIRE_PASSWORD", "false", "config-bool")
_neg("API_KEY_REQUIRED", "yes", "config-bool")
_neg("USE_SECRETS_MANAGER", "1", "config-bool")
_neg("MYSQL_ALLOW_EMPTY_PASSWORD", "yes", "config-bool")
_neg("MYSQL_RANDOM_ROOT_PASSWORD", "1", "config-bool")
_neg("GF_AUTH_ANONYMOUS_ENABLED", '"true"', "config-bool")
_neg("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256", "config-enum")
_neg("PASSWORD_AUTH", "disabled", "config-enum")
_neg("NEO4J_AUTH", "none", "config-enum")
_neg("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "config-enum")
_neg("TOKEN_TTL", "3600", "config-duration")
_neg("TOKEN_EXPIRY", "24h", "config-duration")
_neg("JWT_EXPIRES_IN", "15m", "config-duration")
_neg("PASSWORD_RESET_TOKEN_TTL", "PT30M", "config-duration")
_neg("REFRESH_TOKEN_LIFETIME", "30d", "config-duration")
_neg("SECRET_ROTATION_INTERVAL", "720h", "config-duration")
_neg("MAX_TOKENS", "4096", "config-count")
_neg("PASSWORD_MIN_LENGTH", "12", "config-count")
_neg("API_KEY_RATE_LIMIT", "100", "config-count")
_neg("TOKEN_BUCKET_SIZE", "50", "config-count")
_neg("MAX_PASSWORD_ATTEMPTS", "5", "config-count")
_neg("RSA_KEY_SIZE", "4096", "config-count")
_neg("SECRET_CACHE_MAX_BYTES", "10485760", "config-count")
_neg("JWT_ALGORITHM", "HS256", "algorithm-name")
_neg("PASSWORD_HASHER", "argon2id", "algorithm-name")
_neg("TOKEN_SIGNING_ALG", "RS256", "algorithm-name")
_neg("ENCRYPTION_CIPHER", "aes-256-gcm", "algorithm-name")
_neg("SSH_KEY_TYPE", "ed25519", "algorithm-name")
_neg("SECRET_KEY_DIGEST", "sha512", "algorithm-name")
_neg("PASSWORD_REGEX", r"^(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z0-9]).{12,}$", "password-policy")
_neg("BCRYPT_ROUNDS", "12", "password-policy")
_neg("PASSWORD_COMPLEXITY", "high", "password-policy")
_neg(
    "PASSWORD_CHARSET",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "password-policy",
)
_neg("DB_PASSWORD", "", "empty-value")
_neg("REDIS_PASSWORD", " ", "empty-value")
_neg("SMTP_PASSWORD", '""', "empty-value")
_neg("LOG_LEVEL", "debug", "feature-flag")
_neg("SECRET_SCANNING", "enabled", "feature-flag")
_neg("FEATURE_PASSWORDLESS_LOGIN", "on", "feature-flag")
_neg("TOKEN_LOG_LEVEL", "warn", "feature-flag")
_neg("PWD", "/app", "shell-pwd")
_neg("OLDPWD", "/home/app", "shell-pwd")

# ---- URLs without credentials / hosts / users ----------------------------
_neg("DATABASE_URL", "postgres://db:5432/app", "url-no-credentials")
_neg("REDIS_URL", "redis://redis:6379/0", "url-no-credentials")
_neg("VAULT_ADDR", "https://vault.corp.example:8200", "url-no-credentials")
_neg("TOKEN_URL", "https://oauth2.googleapis.com/token", "url-no-credentials")
_neg(
    "OAUTH_TOKEN_ENDPOINT",
    f"https://login.microsoftonline.com/{_uuid()}/oauth2/v2.0/token",
    "url-no-credentials",
)
_neg("JWKS_URI", "https://acme.eu.auth0.com/.well-known/jwks.json", "url-no-credentials")
_neg("DATABASE_URL", "postgres://app@db:5432/app?sslmode=require", "url-no-credentials")
_neg("MONGO_URL", "mongodb://mongo-0.mongo,mongo-1.mongo/?replicaSet=rs0", "url-no-credentials")
_neg("AMQP_URL", "amqp://rabbitmq:5672/", "url-no-credentials")
_neg(
    "SECRETS_MANAGER_ENDPOINT",
    "https://secretsmanager.us-east-1.amazonaws.com",
    "url-no-credentials",
)
_neg("KEYCLOAK_URL", "https://auth.example.com/realms/prod", "url-no-credentials")
_neg("GIT_REPO", "git@github.com:acme/app.git", "url-no-credentials")
_neg("HELM_REPO", "https://user@bitbucket.org/acme/charts.git", "url-no-credentials")
_neg("SPRING_DATASOURCE_URL", "jdbc:postgresql://db:5432/app?sslmode=require", "url-no-credentials")
_neg("ORACLE_JDBC_URL", "jdbc:oracle:thin:@oradb:1521:ORCL", "url-no-credentials")
_neg("ORACLE_SERVICE", "oradb.internal:1521/ORCLPDB1", "url-no-credentials")
_neg("SMTP_URL", "smtp://mailhog:1025", "url-no-credentials")
_neg("PASSWORD_RESET_URL", "https://app.acme.io/reset?token={token}", "url-no-credentials")
_neg(
    "LOGIN_REDIRECT", "http://localhost:3000/callback?next=/dashboard&state=", "url-no-credentials"
)
_neg("DB_URL", "mysql://mysql.db.svc.cluster.local:3306/shop", "url-no-credentials")
_neg("SMTP_USER", "noreply@example.com", "username-or-host")
_neg("SMTP_USERNAME", "apikey", "username-or-host")
_neg("DB_USER", "app", "username-or-host")
_neg("POSTGRES_USER", "postgres", "username-or-host")
_neg("RABBITMQ_DEFAULT_USER", "admin", "username-or-host")
_neg("MONGO_INITDB_ROOT_USERNAME", "root", "username-or-host")
_neg("LDAP_BIND_DN", "cn=reader,ou=svc,dc=corp,dc=example", "username-or-host")
_neg("KAFKA_SASL_USERNAME", "svc-orders", "username-or-host")
_neg("SECRET_HOST", "secrets.internal.acme.io", "username-or-host")
_neg("PASSWORD_RESET_FROM", "security@acme.io", "username-or-host")
_neg("AZURE_CLIENT_ID", _uuid(), "uuid-id")
_neg("AZURE_TENANT_ID", _uuid(), "uuid-id")
_neg("AZURE_SUBSCRIPTION_ID", _uuid(), "uuid-id")
_neg("ARM_TENANT_ID", _uuid(), "uuid-id")
_neg("TOKEN_AUDIENCE", f"api://{_uuid()}", "uuid-id")
_neg("APP_ID", _uuid(), "uuid-id")
_neg("KEY_ID", _uuid(), "uuid-id")

# ---- public keys and certificates ----------------------------------------
_neg("SSH_PUBLIC_KEY", _rsa_pub("deploy@ci"), "public-key")
_neg(
    "AUTHORIZED_KEYS",
    _ed25519_pub("ops@laptop") + "\n" + _ed25519_pub("ci@runner") + "\n",
    "public-key",
)
_neg(
    "JWT_PUBLIC_KEY",
    _pem("PUBLIC KEY", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + _s(_B64, 340) + "IDAQAB"),
    "public-key",
)
_neg(
    "RSA_PUBLIC_KEY",
    _pem("RSA PUBLIC KEY", "MIIBCgKCAQEA" + _s(_B64, 344) + "IDAQAB"),
    "public-key",
)
_neg(
    "COSIGN_PUBLIC_KEY",
    _pem("PUBLIC KEY", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + _s(_B64, 86) + "=="),
    "public-key",
)
_neg("WG_PEER_PUBLIC_KEY", _b64(_rb(32)), "public-key")
_neg("SOPS_AGE_RECIPIENTS", "age1" + _s(_BECH32, 58), "public-key")
_neg(
    "GPG_PUBLIC_KEY",
    f"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBG{_wrap(_s(_B64, 900), 64)}\n={_s(_B64, 4)}\n-----END PGP PUBLIC KEY BLOCK-----\n",
    "public-key",
)
_neg(
    "JWKS",
    _cj(
        {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": _s(_B64URL, 16),
                    "alg": "RS256",
                    "e": "AQAB",
                    "n": _s(_B64URL, 342),
                }
            ]
        }
    ),
    "public-key",
)
_neg("SSH_KNOWN_HOSTS", "github.com " + _ed25519_pub("").strip(), "public-key")
_neg("TLS_CERT", _cert_pem(), "certificate")
_neg("CA_BUNDLE", _cert_pem() + _cert_pem(), "certificate")
_neg("CLIENT_CERT_B64", _b64_76(_cert_pem()), "certificate")
_neg("SSL_CA_CERT", _b64(_cert_pem()), "certificate")

# ---- ordinary connection strings / commands / options without secrets ----
_neg(
    "ConnectionStrings__Default",
    "Server=sql;Database=app;Integrated Security=true;TrustServerCertificate=True",
    "connstr-no-password",
)
_neg(
    "SQL_CONNECTION",
    "Server=tcp:acme-sql.database.windows.net,1433;Database=app;Authentication=Active Directory Default;",
    "connstr-no-password",
)
_neg("PG_CONN", "host=db port=5432 dbname=app user=app sslmode=verify-full", "connstr-no-password")
_neg(
    "MONGO_URL",
    "mongodb://mongo:27017/?authMechanism=MONGODB-AWS&authSource=$external",
    "connstr-no-password",
)
_neg(
    "KAFKA_SASL_JAAS_CONFIG",
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
    "connstr-no-password",
)
_neg("KAFKA_JAAS", "software.amazon.msk.auth.iam.IAMLoginModule required;", "connstr-no-password")
_neg(
    "KAFKA_KERBEROS_JAAS",
    'com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/etc/security/keytabs/kafka.keytab" principal="kafka/broker@EXAMPLE.COM";',
    "connstr-no-password",
)
_neg("MYSQL_DSN", "app@tcp(mysql:3306)/app?parseTime=true", "connstr-no-password")
_neg("REDIS_CONFIGURATION", "redis-master:6379,ssl=False,abortConnect=False", "connstr-no-password")
_neg("AZURE_STORAGE_ACCOUNT", "acmeprodassets", "connstr-no-password")
_neg("ARGS", "--port 8080 --log-level info", "cli-no-secret")
_neg("EXTRA_ARGS", "--password-file=/run/secrets/db", "cli-no-secret")
_neg("AGENT_ARGS", "--token-file /var/run/secrets/token", "cli-no-secret")
_neg("COMMAND", "docker run -p 8080:80 nginx", "cli-no-secret")
_neg("MYSQL_CMD", "mysql -h db -P 3306 -u app app", "cli-no-secret")
_neg("PSQL_CMD", "psql -h db -p 5432 -U app -d app", "cli-no-secret")
_neg("REDIS_ARGS", "--port 6379 --appendonly yes --protected-mode no", "cli-no-secret")
_neg(
    "LOGIN_CMD", "docker login --username ci --password-stdin registry.example.com", "cli-no-secret"
)
_neg("BUILD_ARGS", "--secret id=npm,src=/run/secrets/npmrc", "cli-no-secret")
_neg(
    "SERVER_ARGS",
    "--tls-cert-file=/etc/tls/tls.crt --tls-private-key-file=/etc/tls/tls.key",
    "cli-no-secret",
)
_neg(
    "BOOTSTRAP",
    "kubectl create secret generic db --from-file=password=/run/secrets/pw",
    "cli-no-secret",
)
_neg(
    "JAVA_OPTS",
    "-Xmx512m -Djavax.net.ssl.trustStore=/etc/ssl/truststore.jks -Djavax.net.ssl.trustStoreType=PKCS12",
    "java-opts-no-secret",
)
_neg(
    "JAVA_TOOL_OPTIONS",
    "-Dspring.profiles.active=prod -Dserver.port=8080 -XX:MaxRAMPercentage=75",
    "java-opts-no-secret",
)
_neg("KAFKA_OPTS", "-Djava.security.auth.login.config=/etc/kafka/jaas.conf", "java-opts-no-secret")
_neg("NODE_OPTIONS", "--max-old-space-size=4096", "java-opts-no-secret")
_neg("NODE_OPTIONS", "--require ./otel.js --enable-source-maps", "java-opts-no-secret")
_neg(
    "APP_CONFIG",
    json.dumps({"db": {"host": "db", "port": 5432, "passwordFile": "/run/secrets/db"}}),
    "json-config-no-secret",
)
_neg(
    "AUTH_CONFIG",
    json.dumps(
        {"auth": {"tokenTtl": 3600, "algorithm": "RS256", "issuer": "https://auth.acme.io"}}
    ),
    "json-config-no-secret",
)
_neg(
    "SECRET_CONFIG",
    json.dumps({"secretRef": {"name": "app-secrets", "key": "password"}}),
    "json-config-no-secret",
)
_neg(
    "FEATURES_JSON",
    json.dumps({"features": {"passwordless": True, "apiKeys": False}}, indent=2),
    "json-config-no-secret",
)
_neg("KMS_KEY_ID", f"arn:aws:kms:us-east-1:123456789012:key/{_uuid()}", "kms-key-id")
_neg("KMS_KEY_ALIAS", "alias/app-secrets", "kms-key-id")
_neg("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app-secrets-reader", "kms-key-id")
_neg(
    "SOPS_GCP_KMS_IDS",
    "projects/acme/locations/global/keyRings/sops/cryptoKeys/sops-key",
    "kms-key-id",
)
_neg("IMAGE", "ghcr.io/acme/secrets-operator:v1.2.3", "image-ref")
_neg("VAULT_IMAGE", "hashicorp/vault:1.15.4", "image-ref")

# ---- ordinary random-looking values --------------------------------------
_neg("GIT_COMMIT", _s(_HEX, 40), "git-sha")
_neg("GITHUB_SHA", _s(_HEX, 40), "git-sha")
_neg("CI_COMMIT_SHA", _s(_HEX, 40), "git-sha")
_neg("SOURCE_VERSION", _s(_HEX, 40), "git-sha")
_neg("GIT_SHORT_SHA", _s(_HEX, 7), "git-sha")
_neg("APP_VERSION", "1.4.2+g" + _s(_HEX, 7), "git-sha")
_neg("REVISION", _s(_HEX, 40), "git-sha")
_neg("IMAGE_DIGEST", "sha256:" + _s(_HEX, 64), "image-digest")
_neg("IMAGE", f"ghcr.io/acme/api@sha256:{_s(_HEX, 64)}", "image-digest")
_neg("SIDECAR_IMAGE", f"docker.io/envoyproxy/envoy:v1.30.1@sha256:{_s(_HEX, 64)}", "image-digest")
_neg("BASE_IMAGE_DIGEST", "sha256:" + _s(_HEX, 64), "image-digest")
_neg("BUILD_ID", "20240611.3", "build-id")
_neg("CI_PIPELINE_ID", _num(10), "build-id")
_neg("GITHUB_RUN_ID", _num(10), "build-id")
_neg("CODEBUILD_BUILD_ID", f"acme-api:{_uuid()}", "build-id")
_neg("BUILDKITE_BUILD_ID", _uuid(), "build-id")
_neg("TRACEPARENT", f"00-{_s(_HEX, 32)}-{_s(_HEX, 16)}-01", "trace-id")
_neg(
    "OTEL_RESOURCE_ATTRIBUTES",
    f"service.name=api,service.instance.id={_uuid()},deployment.environment=prod",
    "trace-id",
)
_neg("X_REQUEST_ID", _uuid(), "trace-id")
_neg("DD_TRACE_ID", _num(19), "trace-id")
_neg("ASSET_HASH", _s(_HEX, 32), "content-hash")
_neg("CONFIG_CHECKSUM", _s(_HEX, 64), "content-hash")
_neg("BUNDLE_INTEGRITY", "sha384-" + _b64(_rb(48)), "content-hash")
_neg("ETAG", '"' + _s(_HEX, 32) + '"', "content-hash")
_neg("CACHE_KEY", "deps-" + _s(_HEX, 40), "content-hash")
_neg("LOCKFILE_SHA512", "sha512-" + _b64(_rb(64)), "content-hash")
_neg("INSTANCE_UUID", _uuid(), "uuid")
_neg("CLUSTER_ID", _uuid(), "uuid")
_neg("CORRELATION_ID", _uuid().upper(), "uuid")
_neg("DEVICE_ID", _uuid(), "uuid")
_neg(
    "NGINX_CONF_B64",
    _b64("server {\n  listen 80;\n  location / { proxy_pass http://api:8080; }\n}\n"),
    "base64-config",
)
_neg(
    "FEATURE_FLAGS_B64",
    _b64(_cj({"newCheckout": True, "darkMode": False, "maxItems": 50})),
    "base64-config",
)
_neg(
    "LOGGING_CONFIG_B64",
    _b64_76(
        "version: 1\nformatters:\n  json:\n    class: pythonjsonlogger.jsonlogger.JsonFormatter\n"
        "handlers:\n  console:\n    class: logging.StreamHandler\n    formatter: json\n"
        "root:\n  level: INFO\n  handlers: [console]\nloggers:\n  uvicorn.access:\n    level: WARNING\n"
    ),
    "base64-config",
)
_neg("DB_HOST_B64", _b64("postgres.db.svc.cluster.local:5432"), "base64-config")
_neg(
    "PROMETHEUS_RULES_B64",
    _b64_76(
        'groups:\n- name: api\n  rules:\n  - alert: HighErrorRate\n    expr: rate(http_requests_total{code=~"5.."}[5m]) > 0.05\n    for: 10m\n'
    ),
    "base64-config",
)
_neg("POD_TEMPLATE_HASH", _s(_HEX, 10), "random-ordinary")
_neg("HOSTNAME", f"api-{_s(_HEX, 10)}-{_s(_LODIG, 5)}", "random-ordinary")
_neg("EC2_INSTANCE_ID", "i-0" + _s(_HEX, 16), "random-ordinary")
_neg("AMI_ID", "ami-0" + _s(_HEX, 16), "random-ordinary")
_neg("SUBNET_ID", "subnet-0" + _s(_HEX, 16), "random-ordinary")
_neg("KUBERNETES_SERVICE_HOST", "10.96.0.1", "random-ordinary")
_neg("RANDOM_SEED", "42", "random-ordinary")
_neg("SESSION_COOKIE_NAME", "__Host-sid", "random-ordinary")
_neg("ROUTE53_ZONE_ID", "Z" + _s(_UPDIG, 20), "random-ordinary")
_neg("CLOUDFRONT_DISTRIBUTION_ID", "E" + _s(_UPDIG, 13), "random-ordinary")

# ================================================================= GREY ===
_grey("NEXT_PUBLIC_FIREBASE_API_KEY", _aiza(), False, "firebase-web-api-key")
_grey("FIREBASE_API_KEY", _aiza(), False, "firebase-web-api-key")
_grey("MINIO_ROOT_PASSWORD", "minioadmin", True, "vendor-default-password")
_grey("MINIO_ROOT_USER", "minioadmin", False, "vendor-default-password")
_grey("RABBITMQ_DEFAULT_PASS", "guest", True, "vendor-default-password")
_grey("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", True, "aws-docs-example")
_grey("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True, "aws-docs-example")
_grey("AWS_SECRET_ACCESS_KEY", "dummy", False, "fake-emulator-creds")
_grey("VAULT_DEV_ROOT_TOKEN_ID", "root", True, "dev-root-token")
_grey("TWILIO_ACCOUNT_SID", "AC" + _s(_HEX, 32), False, "account-identifier")
_grey(
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    f"InstrumentationKey={_uuid()};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
    False,
    "telemetry-ingest-key",
)
_grey("ALGOLIA_SEARCH_API_KEY", _s(_HEX, 32), False, "client-side-key")
_grey("SEGMENT_WRITE_KEY", _s(_ALNUM, 32), False, "client-side-key")
_grey("MIXPANEL_TOKEN", _s(_HEX, 32), False, "client-side-key")
_grey("LAUNCHDARKLY_CLIENT_SIDE_ID", _s(_HEX, 24), False, "client-side-key")
_grey("STRIPE_SECRET_KEY", _stripe("pk_live_"), False, "publishable-under-secret-name")
_grey("SUPABASE_KEY", _supabase_jwt("anon"), False, "supabase-anon-unclear-name")
_grey("DB_PASSWORD", "${DB_PASSWORD:-changeme}", True, "placeholder-with-default")
_grey("API_KEY", "your-api-key-here", False, "placeholder-word")
_grey("SECRET_KEY", "REPLACE_ME", False, "placeholder-word")
_grey("DB_PASSWORD", "none", False, "null-word")
_grey("GITHUB_TOKEN", "ghp_" + "x" * 36, False, "format-shaped-placeholder")
_grey("AWS_ACCESS_KEY_ID", "AKIA" + "X" * 16, False, "format-shaped-placeholder")
_grey(
    "JAVA_OPTS",
    "-Djavax.net.ssl.trustStore=/etc/ssl/cacerts -Djavax.net.ssl.trustStorePassword=changeit",
    False,
    "truststore-default",
)
_grey(
    "TLS_KEY",
    _pem(
        "ENCRYPTED " + _PK,
        "MIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQI" + _s(_B64, 1650) + "==",
    ),
    True,
    "encrypted-private-key",
)
_grey("PGBOUNCER_AUTH_PASSWORD", "md5" + _s(_HEX, 32), False, "pass-the-hash")
_grey(
    "ZAPIER_HOOK",
    f"https://hooks.zapier.com/hooks/catch/{_num(7)}/{_s(_LODIG, 7)}/",
    True,
    "short-webhook-key",
)
_grey("DEADMANSSNITCH_URL", f"https://nosnch.in/{_s(_HEX, 10)}", True, "short-webhook-key")
_grey(
    "UPTIME_KUMA_PUSH_URL",
    f"https://status.acme.io/api/push/{_s(_ALNUM, 10)}?status=up&msg=OK&ping=",
    True,
    "short-webhook-key",
)
_grey("PASSWORD_SALT", _s(_B64URL, 22), False, "salt")
_grey("CSP_NONCE", _b64(_rb(16)), False, "nonce")
_grey("ADMIN_PASSWORD_SECRET", "grafana-admin", False, "secret-object-or-literal")
_grey(
    "KAFKA_SASL_JAAS_CONFIG",
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";',
    True,
    "vendor-docs-example",
)
_grey("X_API_KEY", "test", True, "test-value")
_grey(
    "SAMPLE_JWT",
    _jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}),
    False,
    "sample-jwt",
)
_grey("PUBLIC_API_TOKEN", _s(_HEX, 32), True, "public-named-opaque-token")

assert len({(n, v) for n, v, _, _ in HOLDOUT}) == len(HOLDOUT), "duplicate (name, value) rows"
