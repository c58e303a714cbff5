"""A labeled corpus of env vars for measuring the secret detector, generated on demand.

Credential-shaped values are assembled at run time from a format's prefix and
random characters drawn from a seeded generator: every run sees the same rows,
and the repository holds no token a secret scanner could mistake for a real
one. Each positive row is labeled with its format and each negative with the
kind of look-alike it is, so a miss or a false alarm names what broke.
"""

import base64
import json
import random
import string
from collections.abc import Callable
from typing import NamedTuple

SEED = 20261128
PER_FORMAT = 14
PER_LOOK_ALIKE = 12


class Sample(NamedTuple):
    name: str
    value: str
    label: str  # the credential format, or the kind of look-alike
    secret: bool


Maker = Callable[[random.Random], tuple[str, str]]
Value = Callable[[random.Random], str]

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
# Names that say nothing: a format must be recognised by its shape alone.
NEUTRAL = ("CONFIG", "VALUE", "DATA", "SETTINGS", "PAYLOAD", "APP_CONFIG", "EXTRA", "INIT_DATA")
WORDS = (
    "alpha",
    "orange",
    "river",
    "castle",
    "piano",
    "harbor",
    "maple",
    "falcon",
    "copper",
    "meadow",
    "winter",
    "quartz",
    "lantern",
    "summit",
    "velvet",
    "cobalt",
)
HOSTS = (
    "db",
    "postgres.default.svc.cluster.local",
    "mysql-primary",
    "10.0.12.7",
    "redis-master.cache.svc",
    "mongo-0.mongo",
    "rabbitmq",
    "broker.internal:5671",
)


def corpus(seed: int = SEED) -> list[Sample]:
    """Every format ``PER_FORMAT`` times, every look-alike ``PER_LOOK_ALIKE`` times, Helm env."""
    rng = random.Random(seed)
    rows = [
        Sample(*make(rng), label, True)
        for label, make in FORMATS.items()
        for _ in range(PER_FORMAT)
    ]
    rows += [
        Sample(*make(rng), label, False)
        for label, make in LOOK_ALIKES.items()
        for _ in range(PER_LOOK_ALIKE)
    ]
    rows += [Sample(name, value, "helm-chart-env", False) for name, value in HELM_ENV]
    return rows


def _fmt(names: str, value: Value, neutral: bool = True) -> Maker:
    """A maker drawing a name from ``names`` (space-separated, plus NEUTRAL) and a value."""
    pool = tuple(names.split()) + (NEUTRAL if neutral else ())
    return lambda rng: (rng.choice(pool), value(rng))


def _pairs(*pairs: tuple[str, str]) -> Maker:
    return lambda rng: rng.choice(pairs)


def _one_of(*values: Value) -> Value:
    return lambda rng: rng.choice(values)(rng)


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _token(prefix: str, alphabet: str, n: int, suffix: str = "") -> Value:
    """``prefix`` + ``n`` random characters: the shape of most API tokens."""
    return lambda rng: prefix + _chars(rng, alphabet, n) + suffix


def _mixed(rng: random.Random, alphabet: str, n: int) -> str:
    """Random characters with an upper, a lower and a digit among them, as real keys have."""
    while True:
        text = _chars(rng, alphabet, n)
        if (
            any(c.isupper() for c in text)
            and any(c.islower() for c in text)
            and any(c.isdigit() for c in text)
        ):
            return text


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


def _uuid(rng: random.Random) -> str:
    h = _chars(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _pem(rng: random.Random, kind: str, lines: int = 12) -> str:
    body = _b64(_random_bytes(rng, 48 * lines))
    rows = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}-----\n{rows}\n-----END {kind}-----\n"


def _private_pem(rng: random.Random) -> str:
    kind = rng.choice(("RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA ", "")) + "PRIVATE" + " KEY"
    return _pem(rng, kind)


def _cert(rng: random.Random) -> str:
    return _pem(rng, "CERTIFICATE", rng.randrange(8, 20))


DEMO_PASSWORDS = (
    "changeme",
    "admin123",
    "P@ssw0rd",
    "hunter2",
    "letmein1",
    "Welcome1!",
    "root",
    "s3cr3t!",
    "qwerty123",
    "example",
    "toor",
    "pass1234",
    "Passw0rd",
)


def _password(rng: random.Random) -> str:
    """What people type: a demo default, a word and digits, or a generated string."""
    style = rng.randrange(4)
    if style == 0:
        return rng.choice(DEMO_PASSWORDS)
    if style == 1:
        return rng.choice(WORDS).capitalize() + str(rng.randrange(10, 9999)) + rng.choice("!#_")
    if style == 2:
        return _mixed(rng, ALNUM, rng.randrange(12, 33))
    return _mixed(rng, ALNUM + "!#%^*-_", rng.randrange(16, 41))


def _url_password(rng: random.Random) -> str:
    """A password as it sits in a URL: characters that need percent-encoding left out."""
    return "".join(c for c in _password(rng) if c.isalnum() or c in "-_!*") or "x1"


def _jwt(
    rng: random.Random, roles: tuple[str, ...] = ("service_role", "admin", "authenticated")
) -> str:
    header = {"alg": rng.choice(("HS256", "RS256", "ES256")), "typ": "JWT"}
    claims = {
        "sub": _chars(rng, LOWER_ALNUM, 12),
        "iat": rng.randrange(1_600_000_000, 10**10),
        "role": rng.choice(roles),
    }
    parts = (_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()))
    return f"{parts[0]}.{parts[1]}.{_chars(rng, B64URL, 43)}"


def _service_account(rng: random.Random) -> str:
    key = {
        "type": "service_account",
        "project_id": f"{rng.choice(WORDS)}-prod",
        "private_key_id": _chars(rng, HEX, 40),
        "private_key": _private_pem(rng),
        "client_email": f"app@{rng.choice(WORDS)}.iam.gserviceaccount.com",
    }
    return json.dumps(key, indent=rng.choice((None, 2)))


def _database_url(rng: random.Random) -> str:
    scheme = rng.choice(
        (
            "postgres",
            "postgresql",
            "mysql",
            "mongodb+srv",
            "mongodb",
            "redis",
            "rediss",
            "amqp",
            "amqps",
            "https",
            "http",
            "ftp",
            "smtp",
            "jdbc:postgresql",
        )
    )
    user = rng.choice((rng.choice(WORDS), "app", ""))
    path = rng.choice(("/app", "/0", "", "/orders?sslmode=require"))
    return f"{scheme}://{user}:{_url_password(rng)}@{rng.choice(HOSTS)}{path}"


def _connection_string(rng: random.Random) -> str:
    host, password = rng.choice(HOSTS), _password(rng)
    return rng.choice(
        (
            f"Server=tcp:{host},1433;Initial Catalog=app;User ID=app;Password={password};Encrypt=True;",
            f"Data Source={host};Database=app;Uid=app;Pwd={password};",
            f"host={host} port=5432 user=app password={password} dbname=app",
            f"jdbc:sqlserver://{host}:1433;databaseName=app;user=sa;password={password}",
            f"jdbc:mysql://{host}/app?user=app&password={password}",
        )
    )


def _config_file(rng: random.Random) -> str:
    host = rng.choice(HOSTS)
    return rng.choice(
        (
            f"database:\n  host: {host}\n  password: {_password(rng)}\n",
            json.dumps({"db": {"host": host, "password": _password(rng)}}),
            json.dumps(
                {"api": {"url": "https://api.example.com", "apiKey": _mixed(rng, ALNUM, 32)}}
            ),
        )
    )


def _plain_config(rng: random.Random) -> str:
    return rng.choice(
        (
            json.dumps({"server": {"port": 8080}, "features": [rng.choice(WORDS)]}),
            f"log_level: info\nregion: eu-west-1\nreplicas: {rng.randrange(1, 9)}\n",
            f"[app]\nname = {rng.choice(WORDS)}\nworkers = 4\n",
        )
    )


def _jvm_options(rng: random.Random) -> str:
    option = rng.choice(
        (
            "-Djavax.net.ssl.trustStorePassword=",
            "-Djavax.net.ssl.keyStorePassword=",
            "-Dspring.datasource.password=",
            "--db.password=",
            "-Dapp.api.token=",
        )
    )
    return f"-Xmx{rng.choice((256, 512, 1024))}m {option}{_password(rng)} -XX:+UseG1GC"


def _sas(rng: random.Random) -> str:
    url = rng.choice((f"https://{rng.choice(WORDS)}.blob.core.windows.net/backups", ""))
    signature = _b64(_random_bytes(rng, 32))
    signature = signature.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    query = "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&spr=https"
    return f"{url}?{query}&sig={signature}"


def _slack_token(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"xapp-1-A{_chars(rng, UPPER_DIGITS, 10)}-{rng.randrange(10**12, 10**13)}-" + (
            _chars(rng, HEX, 64)
        )
    prefix = rng.choice(("xoxb-", "xoxp-", "xoxa-2-"))
    return f"{prefix}{rng.randrange(10**11, 10**12)}-{rng.randrange(10**11, 10**12)}-" + (
        _chars(rng, ALNUM, 24)
    )


def _secret_literal(rng: random.Random) -> str:
    """What sits under JWT_SECRET or API_TOKEN: hex, random, a passphrase, user:password, a uuid."""
    return rng.choice(
        (
            lambda: _chars(rng, HEX, rng.choice((32, 40, 64, 128))),
            lambda: _mixed(rng, ALNUM, rng.randrange(20, 64)),
            lambda: "-".join(rng.choice(WORDS) for _ in range(3)) + f"-{rng.randrange(100)}",
            lambda: f"{rng.choice(WORDS)}:{_password(rng)}",
            lambda: _mixed(rng, ALNUM + "!@#$%^&*(-_=+)", 50),
            lambda: _uuid(rng),
        )
    )()


def _random_key(rng: random.Random) -> str:
    return rng.choice(
        (
            lambda: _chars(rng, HEX, 64),
            lambda: _b64(_random_bytes(rng, 32)),
            lambda: "base64:" + _b64(_random_bytes(rng, 32)),
            lambda: _b64url(_random_bytes(rng, 32)) + "=",
            lambda: _mixed(rng, ALNUM, 32),
        )
    )()


def _marker(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(("API_KEY", "GITHUB_TOKEN", "JWT_SECRET", "DB_PASSWORD", "CLUSTER_TOKEN"))
    marker = rng.choice(
        (f"{name}_VALUE", f"YOUR_{name}", f"REPLACE_WITH_{name}", name.rsplit("_", 1)[-1])
    )
    return name, marker


FORMATS: dict[str, Maker] = {
    "aws-access-key-id": _fmt(
        "AWS_ACCESS_KEY_ID AWS_ACCESS_KEY S3_ACCESS_KEY",
        _one_of(
            lambda r: "AKIA" + "IOSFODNN7" + "EXAMPLE",  # AWS's documented example key id
            _token("AKIA", UPPER_DIGITS, 16),
            _token("ASIA", UPPER_DIGITS, 16),
        ),
    ),
    "aws-secret-access-key": _fmt(
        "AWS_SECRET_ACCESS_KEY AWS_SECRET_KEY S3_SECRET",
        _one_of(
            lambda r: "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",  # AWS's documented example
            lambda r: _mixed(r, B64, 40),
        ),
    ),
    "aws-session-token": _fmt(
        "AWS_SESSION_TOKEN AWS_SECURITY_TOKEN",
        _one_of(_token("FwoGZXIvYXdz", B64, 300), _token("IQoJb3JpZ2luX2Vj", B64, 250)),
    ),
    "gcp-api-key": _fmt(
        "GOOGLE_API_KEY MAPS_API_KEY FIREBASE_API_KEY GEMINI_API_KEY", _token("AIza", B64URL, 35)
    ),
    "gcp-service-account-json": _fmt(
        "GOOGLE_CREDENTIALS GCP_SA_KEY GOOGLE_APPLICATION_CREDENTIALS_JSON", _service_account
    ),
    "gcp-service-account-json-base64": _fmt(
        "GCP_CREDENTIALS_B64 GOOGLE_CREDENTIALS_BASE64",
        lambda r: _b64(_service_account(r).encode()),
    ),
    "gcp-oauth-client-secret": _fmt(
        "GOOGLE_CLIENT_SECRET OAUTH_CLIENT_SECRET", _token("GOCSPX-", B64URL, 28)
    ),
    "google-oauth-access-token": _fmt(
        "GOOGLE_ACCESS_TOKEN GCLOUD_TOKEN", _token("ya29.", B64URL, 150)
    ),
    "azure-storage-connection-string": _fmt(
        "AZURE_STORAGE_CONNECTION_STRING STORAGE_CONN BLOB_STORAGE",
        lambda r: (
            f"DefaultEndpointsProtocol=https;AccountName={r.choice(WORDS)}store;"
            f"AccountKey={_b64(_random_bytes(r, 64))};EndpointSuffix=core.windows.net"
        ),
    ),
    "azure-storage-account-key": _fmt(
        "AZURE_STORAGE_KEY STORAGE_ACCOUNT_KEY", lambda r: _b64(_random_bytes(r, 64))
    ),
    "azure-sas-token": _fmt("AZURE_SAS_URL BLOB_SAS BACKUP_TARGET", _sas),
    "azure-service-bus-connection-string": _fmt(
        "SERVICEBUS_CONNECTION EVENTHUB_CONNECTION_STRING AZURE_SB",
        lambda r: (
            f"Endpoint=sb://{r.choice(WORDS)}.servicebus.windows.net/;SharedAccessKeyName="
            f"RootManageSharedAccessKey;SharedAccessKey={_b64(_random_bytes(r, 32))}"
            + r.choice(("", ";EntityPath=orders"))
        ),
    ),
    "azure-ad-client-secret": _fmt(
        "AZURE_CLIENT_SECRET AAD_APP_SECRET",
        lambda r: _chars(r, ALNUM, 3) + r.choice("78") + "Q~" + _chars(r, B64URL + "~.", 34),
    ),
    "github-token": _fmt(
        "GITHUB_TOKEN GH_TOKEN GIT_TOKEN RENOVATE_TOKEN",
        lambda r: _token(r.choice(("ghp", "gho", "ghu", "ghs", "ghr")) + "_", ALNUM, 36)(r),
    ),
    "github-fine-grained-pat": _fmt(
        "GITHUB_PAT GH_TOKEN",
        lambda r: "github_pat_" + _chars(r, ALNUM, 22) + "_" + _chars(r, ALNUM, 59),
    ),
    "gitlab-token": _fmt(
        "GITLAB_TOKEN GITLAB_PAT RUNNER_TOKEN CI_DEPLOY_PASSWORD",
        lambda r: _token(r.choice(("glpat-", "glrt-", "gldt-", "glptt-")), B64URL, 20)(r),
    ),
    "slack-token": _fmt("SLACK_BOT_TOKEN SLACK_TOKEN SLACK_APP_TOKEN", _slack_token),
    "slack-webhook-url": _fmt(
        "SLACK_WEBHOOK_URL ALERT_WEBHOOK NOTIFY_URL",
        lambda r: (
            f"https://hooks.slack.com/services/T{_chars(r, UPPER_DIGITS, 8)}/"
            f"B{_chars(r, UPPER_DIGITS, 10)}/{_chars(r, ALNUM, 24)}"
        ),
    ),
    "stripe-secret-key": _fmt(
        "STRIPE_SECRET_KEY STRIPE_API_KEY PAYMENTS_KEY",
        lambda r: _token(
            r.choice(("sk_live_", "rk_live_", "sk_test_")), ALNUM, r.randrange(24, 99)
        )(r),
    ),
    "stripe-webhook-secret": _fmt(
        "STRIPE_WEBHOOK_SECRET STRIPE_SIGNING", _token("whsec_", ALNUM, 32)
    ),
    "twilio-api-key": _fmt("TWILIO_API_KEY TWILIO_KEY_SID", _token("SK", HEX, 32)),
    "twilio-account-sid-with-token": _fmt(
        "TWILIO_ACCOUNT_SID TWILIO_CREDENTIALS",
        lambda r: _token("AC", HEX, 32, r.choice(("", ":" + _chars(r, HEX, 32))))(r),
    ),
    "sendgrid-api-key": _fmt(
        "SENDGRID_API_KEY SMTP_PASSWORD MAIL_KEY",
        lambda r: "SG." + _chars(r, B64URL, 22) + "." + _chars(r, B64URL, 43),
    ),
    "npm-token": _fmt(
        "NPM_TOKEN NODE_AUTH_TOKEN NPMRC",
        lambda r: (
            r.choice(("", "//registry.npmjs.org/:_authToken=")) + _token("npm_", ALNUM, 36)(r)
        ),
    ),
    "npmrc-auth-token": _fmt(
        "NPMRC NPM_CONFIG",
        lambda r: (
            "//registry.npmjs.org/:_authToken=" + (r.choice((_uuid(r), _mixed(r, ALNUM, 40))))
        ),
    ),
    "pypi-token": _fmt(
        "PYPI_TOKEN TWINE_PASSWORD UV_PUBLISH_TOKEN",
        _token("pypi-" + "AgEIcHlwaS5vcmc", B64URL, 120),
    ),
    "docker-hub-token": _fmt(
        "DOCKERHUB_TOKEN DOCKER_PASSWORD REGISTRY_PAT", _token("dckr_pat_", B64URL, 27)
    ),
    "docker-config-json": _fmt(
        "DOCKER_CONFIG_JSON REGISTRY_AUTH",
        lambda r: json.dumps(
            {
                "auths": {
                    r.choice(("https://index.docker.io/v1/", "ghcr.io", "registry.example.com")): {
                        "auth": _b64(f"{r.choice(WORDS)}:{_password(r)}".encode())
                    }
                }
            }
        ),
    ),
    "jwt": _fmt("SUPABASE_SERVICE_ROLE_KEY API_JWT SERVICE_ACCOUNT_JWT BEARER", _jwt),
    "pem-private-key": _fmt(
        "TLS_KEY SSH_PRIVATE_KEY JWT_SIGNING_KEY GITHUB_APP_PRIVATE_KEY SAML_SP_KEY", _private_pem
    ),
    "pem-private-key-base64": _fmt(
        "TLS_KEY_B64 PRIVATE_KEY_BASE64 SSH_KEY_DATA", lambda r: _b64(_private_pem(r).encode())
    ),
    "url-with-password": _fmt(
        "DATABASE_URL REDIS_URL MONGO_URI BROKER_URL CELERY_BROKER_URL HTTP_PROXY "
        "SQLALCHEMY_DATABASE_URI AMQP_URL",
        _database_url,
    ),
    "url-with-credential-query": _fmt(
        "WEBHOOK_URL EXPORT_URL CALLBACK",
        lambda r: (
            f"https://api.{r.choice(WORDS)}.example.com/v1/events?"
            + r.choice(("api_key=", "access_token=", "token=", "apikey=", "client_secret="))
            + _mixed(r, ALNUM, 32)
            + r.choice(("", "&region=eu"))
        ),
    ),
    "openai-api-key": _fmt(
        "OPENAI_API_KEY LLM_API_KEY",
        _one_of(
            _token("sk-proj-", B64URL, 156),
            _token("sk-", ALNUM, 48),
            _token("sk-svcacct-", B64URL, 120),
        ),
    ),
    "anthropic-api-key": _fmt(
        "ANTHROPIC_API_KEY CLAUDE_KEY", _token("sk-ant-api03-", B64URL, 93, "AA")
    ),
    "huggingface-token": _fmt(
        "HF_TOKEN HUGGING_FACE_HUB_TOKEN", _token("hf_", string.ascii_letters, 34)
    ),
    "mailgun-api-key": _fmt(
        "MAILGUN_API_KEY MG_KEY",
        _one_of(
            _token("key-", HEX, 32),
            lambda r: f"{_chars(r, HEX, 32)}-{_chars(r, HEX, 8)}-{_chars(r, HEX, 8)}",
        ),
    ),
    "shopify-token": _fmt(
        "SHOPIFY_ACCESS_TOKEN SHOPIFY_API_SECRET",
        lambda r: _token(r.choice(("shpat_", "shpss_", "shpca_", "shppa_")), HEX, 32)(r),
    ),
    "heroku-api-key": _fmt("HEROKU_API_KEY", _token("HRKU-", B64URL, 60)),
    "vault-token": _fmt(
        "VAULT_TOKEN VAULT_ROOT", _one_of(_token("hvs.", B64URL, 95), _token("hvb.", B64URL, 110))
    ),
    "atlassian-api-token": _fmt(
        "JIRA_API_TOKEN CONFLUENCE_TOKEN ATLASSIAN_TOKEN",
        lambda r: _token("ATATT3" + "xFfGF0", B64URL, 170, "=" + _chars(r, HEX, 8).upper())(r),
    ),
    "digitalocean-token": _fmt(
        "DIGITALOCEAN_TOKEN DO_TOKEN",
        lambda r: _token(r.choice(("dop_v1_", "doo_v1_", "dor_v1_")), HEX, 64)(r),
    ),
    "discord-bot-token": _fmt(
        "DISCORD_TOKEN DISCORD_BOT_TOKEN",
        lambda r: (
            r.choice("MNO")
            + _chars(r, B64URL, 23)
            + "."
            + _chars(r, B64URL, 6)
            + "."
            + _chars(r, B64URL, 38)
        ),
    ),
    "discord-webhook-url": _fmt(
        "DISCORD_WEBHOOK ALERT_WEBHOOK_URL",
        lambda r: (
            f"https://discord.com/api/webhooks/{r.randrange(10**17, 10**18)}/"
            + _chars(r, B64URL, 68)
        ),
    ),
    "telegram-bot-token": _fmt(
        "TELEGRAM_BOT_TOKEN TG_TOKEN",
        lambda r: _token(f"{r.randrange(10**8, 10**10)}:AA", B64URL, 33)(r),
    ),
    "square-token": _fmt(
        "SQUARE_ACCESS_TOKEN SQUARE_SECRET",
        _one_of(_token("EAAA", B64URL, 60), _token("sq0csp-", B64URL, 43)),
    ),
    "age-secret-key": _fmt(
        "SOPS_AGE_KEY AGE_KEY", _token("AGE-SECRET-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)
    ),
    "databricks-token": _fmt("DATABRICKS_TOKEN", _token("dapi", HEX, 32)),
    "grafana-token": _fmt(
        "GRAFANA_TOKEN GF_SA_TOKEN",
        _one_of(
            lambda r: _token("glsa_", ALNUM, 32, "_" + _chars(r, HEX, 8))(r),
            _token("glc_", B64, 120),
        ),
    ),
    "new-relic-key": _fmt(
        "NEW_RELIC_LICENSE_KEY NEW_RELIC_API_KEY",
        _one_of(_token("NRAK-", UPPER_DIGITS, 27), lambda r: _chars(r, HEX, 36) + "NRAL"),
    ),
    "sentry-auth-token": _fmt(
        "SENTRY_AUTH_TOKEN", _one_of(_token("sntrys_", B64, 120), _token("sntryu_", HEX, 64))
    ),
    "sentry-dsn-with-secret": _fmt(
        "SENTRY_DSN RAVEN_DSN",
        lambda r: (
            f"https://{_chars(r, HEX, 32)}:{_chars(r, HEX, 32)}@sentry.{r.choice(WORDS)}.example.com/"
            f"{r.randrange(1, 10**4)}"
        ),
    ),
    "doppler-token": _fmt(
        "DOPPLER_TOKEN", lambda r: _token(f"dp.st.{r.choice(('prd', 'dev'))}.", ALNUM, 43)(r)
    ),
    "pulumi-token": _fmt("PULUMI_ACCESS_TOKEN", _token("pul-", HEX, 40)),
    "linear-api-key": _fmt("LINEAR_API_KEY", _token("lin_api_", ALNUM, 40)),
    "postman-api-key": _fmt(
        "POSTMAN_API_KEY", lambda r: f"PMAK-{_chars(r, HEX, 24)}-" + _chars(r, HEX, 34)
    ),
    "mapbox-secret-token": _fmt(
        "MAPBOX_SECRET_TOKEN",
        lambda r: "sk.eyJ1Ijoi" + _chars(r, B64URL, 50) + "." + _chars(r, B64URL, 22),
    ),
    "sonarqube-token": _fmt(
        "SONAR_TOKEN", lambda r: _token(r.choice(("squ_", "sqp_", "sqa_")), HEX, 40)(r)
    ),
    "der-private-key-base64": _fmt(
        "TLS_KEY_DER PRIVATE_KEY_DATA",
        lambda r: (
            r.choice(
                (
                    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
                    "MIIEpAIBAAKCAQEA",
                    "MHcCAQEEI",
                )
            )
            + _chars(r, B64, 600)
        ),
    ),
    "numeric-password": _fmt(
        "REDIS_PASSWORD DB_PASSWORD ADMIN_PIN_PASSWORD MYSQL_PWD",
        lambda r: str(r.randrange(10**5, 10**9)),
        neutral=False,
    ),
    "datadog-api-key": _fmt(
        "DD_API_KEY DATADOG_API_KEY DD_APP_KEY DD_APPLICATION_KEY",
        lambda r: _chars(r, HEX, r.choice((32, 40))),
        neutral=False,
    ),
    "http-bearer-credentials": _fmt(
        "AUTH_HEADER OTEL_EXPORTER_OTLP_HEADERS DEFAULT_HEADERS",
        lambda r: (
            r.choice(("", "Authorization: ", "authorization="))
            + "Bearer "
            + _mixed(r, B64URL + ".", 40)
        ),
    ),
    "http-basic-credentials": _fmt(
        "AUTH_HEADER UPSTREAM_AUTHORIZATION",
        lambda r: "Basic " + _b64(f"{r.choice(WORDS)}:{_password(r)}".encode()),
    ),
    "jvm-option-password": _fmt(
        "JAVA_OPTS JAVA_TOOL_OPTIONS CATALINA_OPTS JVM_ARGS", _jvm_options, neutral=False
    ),
    "connection-string-password": _fmt(
        "DB_CONNECTION_STRING ConnectionStrings__Default PG_CONNINFO JDBC_URL "
        "SPRING_DATASOURCE_URL",
        _connection_string,
        neutral=False,
    ),
    "config-file-with-password": _fmt("APP_CONFIG CONFIG_YAML SETTINGS_JSON", _config_file),
    "password-named-literal": _fmt(
        "DB_PASSWORD POSTGRES_PASSWORD MYSQL_ROOT_PASSWORD REDIS_PASSWORD RABBITMQ_DEFAULT_PASS "
        "ADMIN_PASS dbPassword ADMIN_PASSWORD SMTP_PASSWORD LDAP_BIND_PASSWORD KEYSTORE_PASSWORD "
        "MONGO_INITDB_ROOT_PASSWORD GF_SECURITY_ADMIN_PASSWORD ELASTIC_PASSWORD "
        "MINIO_ROOT_PASSWORD "
        "PGPASSWORD DB_PASS DB_PWD SA_PASSWORD MSSQL_SA_PASSWORD spring.datasource.password "
        "KEY_PASSPHRASE REDIS_PW mysqlRootPassword",
        _password,
        neutral=False,
    ),
    "secret-named-literal": _fmt(
        "JWT_SECRET SESSION_SECRET APP_SECRET CLIENT_SECRET COOKIE_SECRET NEXTAUTH_SECRET "
        "WEBHOOK_SECRET API_TOKEN AUTH_TOKEN ACCESS_TOKEN REFRESH_TOKEN API_KEY apiKey X_API_KEY "
        "SERVICE_TOKEN SECRET_KEY SECRET_KEY_BASE OAUTH2_PROXY_COOKIE_SECRET CONSUMER_SECRET "
        "BASIC_AUTH VAULT_SECRET_ID ALGOLIA_ADMIN_API_KEY CF_API_TOKEN SNYK_TOKEN HEROKU_API_KEY "
        "TWILIO_AUTH_TOKEN CREDENTIALS DB_CREDENTIALS RABBITMQ_ERLANG_COOKIE",
        _secret_literal,
        neutral=False,
    ),
    "key-named-random-value": _fmt(
        "ENCRYPTION_KEY SIGNING_KEY MASTER_KEY LICENSE_KEY HMAC_KEY AES_KEY APP_KEY COOKIE_KEY "
        "FERNET_KEY INGEST_KEY WRITE_KEY DATA_KEY N8N_ENCRYPTION_KEY TOKEN_KEY KEY",
        _random_key,
        neutral=False,
    ),
}

LOOK_ALIKES: dict[str, Maker] = {
    "url-without-credentials": _fmt(
        "TOKEN_URL OAUTH_URL KEYCLOAK_URL AUTH_SERVER_URL JWKS_URI OIDC_ISSUER_URL API_BASE_URL "
        "DATABASE_URL REDIS_URL HTTP_PROXY OTEL_EXPORTER_OTLP_ENDPOINT WEBHOOK_URL REPO_URL",
        lambda r: r.choice(
            (
                f"https://auth.{r.choice(WORDS)}.example.com/realms/main/protocol/openid-connect/token",
                f"postgres://app@{r.choice(HOSTS)}/app?sslmode=require",
                "redis://redis-master:6379/0",
                "http://otel-collector.observability.svc:4317",
                f"ssh://git@github.com/{r.choice(WORDS)}/app.git",
                f"https://api.example.com/v1?region=eu&timeout={r.randrange(5, 60)}&page_size=50",
                "http://proxy.internal:3128",
                "https://login.microsoftonline.com/common/v2.0",
                "mongodb://mongo-0.mongo:27017,mongo-1.mongo:27017/?replicaSet=rs0",
                f"https://{r.choice(WORDS)}@bitbucket.org/team/repo.git",
                "https://auth.example.com/token",
            )
        ),
        neutral=False,
    ),
    # Keys their vendors publish as safe to expose: reported only when the config asks.
    "public-by-design-key": _fmt(
        "STRIPE_PUBLISHABLE_KEY NEXT_PUBLIC_STRIPE_KEY MAPBOX_TOKEN NEXT_PUBLIC_POSTHOG_KEY "
        "DD_CLIENT_TOKEN SUPABASE_ANON_KEY VITE_SUPABASE_KEY SENTRY_DSN NEXT_PUBLIC_SENTRY_DSN",
        _one_of(
            _token("pk_live_", ALNUM, 99),
            _token("pk_test_", ALNUM, 24),
            lambda r: "pk.eyJ1Ijoi" + _chars(r, B64URL, 50) + "." + _chars(r, B64URL, 22),
            _token("phc_", ALNUM, 43),
            _token("pub", HEX, 32),
            lambda r: _jwt(r, roles=("anon",)),
            lambda r: (
                f"https://{_chars(r, HEX, 32)}@o{r.randrange(10**5, 10**7)}.ingest.sentry.io/"
                f"{r.randrange(10**5, 10**7)}"
            ),
        ),
    ),
    "image-digest": _fmt(
        "IMAGE SIDECAR_IMAGE IMAGE_DIGEST INIT_IMAGE",
        lambda r: (
            r.choice(
                (
                    f"registry.example.com/{r.choice(WORDS)}@sha256:",
                    "sha256:",
                    "ghcr.io/org/app:1.2@sha256:",
                )
            )
            + _chars(r, HEX, 64)
        ),
        neutral=False,
    ),
    "uuid": _fmt(
        "REQUEST_ID TENANT_ID AZURE_TENANT_ID AZURE_CLIENT_ID INSTANCE_UUID "
        "SUBSCRIPTION_ID "
        "CLUSTER_ID ARM_CLIENT_ID APPLICATION_ID WORKSPACE_ID",
        _uuid,
        neutral=False,
    ),
    "trace-id": _fmt(
        "TRACEPARENT TRACE_ID SPAN_ID OTEL_TRACE_ID X_REQUEST_ID CORRELATION_ID",
        _one_of(
            lambda r: f"00-{_chars(r, HEX, 32)}-{_chars(r, HEX, 16)}-01",
            lambda r: _chars(r, HEX, 32),
            lambda r: _chars(r, HEX, 16),
        ),
        neutral=False,
    ),
    "git-sha": _fmt(
        "GIT_COMMIT GIT_SHA SOURCE_VERSION BUILD_SHA COMMIT VCS_REF REVISION",
        lambda r: _chars(r, HEX, r.choice((40, 7, 12, 64))),
        neutral=False,
    ),
    "jvm-and-runtime-options": _fmt(
        "JAVA_OPTS JAVA_TOOL_OPTIONS CATALINA_OPTS NODE_OPTIONS GUNICORN_CMD_ARGS JVM_OPTS",
        lambda r: r.choice(
            (
                f"-Xmx{r.choice((256, 512, 2048))}m -Xms128m -XX:+UseG1GC -Dfile.encoding=UTF-8",
                "-Dspring.profiles.active=prod -Djava.security.egd=file:/dev/./urandom",
                "-Dcom.sun.management.jmxremote.authenticate=false "
                "-Dcom.sun.management.jmxremote.ssl=false",
                "-Djavax.net.ssl.trustStore=/etc/ssl/truststore.jks -Djavax.net.ssl.trustStoreType=JKS",
                "-javaagent:/otel/opentelemetry-javaagent.jar -Dotel.service.name=checkout",
                "--max-old-space-size=4096 --enable-source-maps",
                "--workers=4 --timeout=60 --keep-alive=5",
                "-XX:MaxRAMPercentage=75.0 -Duser.timezone=UTC -Dlog4j2.formatMsgNoLookups=true",
                "-Djavax.net.ssl.keyStore=/etc/tls/keystore.p12 "
                "-Djavax.net.ssl.keyStorePassword=${KEYSTORE_PASSWORD}",
            )
        ),
        neutral=False,
    ),
    "public-key-or-certificate": _fmt(
        "TLS_CERT CA_CERT JWT_PUBLIC_KEY SSH_PUBLIC_KEY SSH_AUTHORIZED_KEYS PUBLIC_KEY "
        "SIGNING_CERT "
        "SAML_IDP_CERT SSH_KEY TOKEN_VERIFICATION_KEY",
        _one_of(
            _cert,
            lambda r: _pem(r, "PUBLIC KEY", 6),
            _token("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", B64, 43, " deploy@ci"),
            _token("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ", B64, 300, " ops@example.com"),
            lambda r: (
                _token("ssh-rsa AAAAB3NzaC1yc2E", B64, 200, " a@ci\n")(r)
                + _token("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", B64, 43, " b@ci\n")(r)
            ),
        ),
        neutral=False,
    ),
    "secret-file-path": _pairs(
        ("PASSWORD_FILE", "/run/secrets/db"),
        ("DB_PASSWORD_FILE", "/run/secrets/db-password"),
        ("TOKEN_PATH", "/var/run/secrets/tokens/vault-token"),
        ("API_KEY_FILE", "./secrets/api_key"),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/home/app/.aws/credentials"),
        ("TLS_KEY", "/etc/tls/tls.key"),
        ("SSL_KEY_PATH", "/etc/ssl/private/server.key"),
        ("VAULT_TOKEN_PATH", "/home/vault/.vault-token"),
        ("SECRETS_DIR", "/mnt/secrets-store"),
        ("PWD", "/app"),
        ("CREDENTIALS_DIRECTORY", "/run/credentials/app.service"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"),
        ("SSH_PRIVATE_KEY", "~/.ssh/id_ed25519"),
    ),
    "number-or-duration-under-secret-name": _pairs(
        ("TOKEN_TTL", "3600"),
        ("TOKEN_EXPIRY", "1h"),
        ("SESSION_TOKEN_TIMEOUT", "30m"),
        ("PASSWORD_MIN_LENGTH", "12"),
        ("SECRET_ROTATION_DAYS", "90"),
        ("ACCESS_TOKEN_LIFETIME", "PT1H"),
        ("REFRESH_TOKEN_TTL", "720h"),
        ("AUTH_RETRIES", "3"),
        ("PASSWORD_HASH_ROUNDS", "12"),
        ("TOKEN_CACHE_SIZE", "1000"),
        ("API_KEY_RATE_LIMIT", "100"),
        ("JWT_EXPIRES_IN", "3600s"),
        ("TOKEN", "3600"),
        ("SECRET_REFRESH_INTERVAL", "5m"),
        ("PASSWORD_EXPIRY", "90d"),
        ("MAX_TOKENS", "128000"),
        ("TOKEN_TTL", "86400"),
    ),
    "boolean-under-secret-name": _fmt(
        "SECRET_ROTATION_ENABLED AUTH_ENABLED PASSWORD_AUTH REQUIRE_PASSWORD USE_TOKEN_AUTH "
        "DISABLE_AUTH TOKEN_VALIDATION API_KEY_REQUIRED AUTH BASIC_AUTH SECRETS_ENCRYPTION "
        "ALLOW_EMPTY_PASSWORD",
        lambda r: r.choice(
            ("true", "false", "yes", "no", "on", "off", "True", "FALSE", "1", "0", "enabled")
        ),
        neutral=False,
    ),
    "secret-reference-or-template": _fmt(
        "DB_PASSWORD API_KEY JWT_SECRET GITHUB_TOKEN CLIENT_SECRET PASSWORD",
        lambda r: r.choice(
            (
                "$(DB_PASSWORD_FROM_SECRET)",
                "${API_KEY}",
                "$API_TOKEN",
                "${{ secrets.API_KEY }}",
                "%DB_PASSWORD%",
                "#{DbPassword}#",
                "__API_TOKEN__",
                "vault:secret/data/app#password",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
                "projects/acme-prod/secrets/db-password/versions/latest",
                "@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/db/)",
                "{{ .Values.db.password }}",
                "<your-api-key>",
                "********",
                "ref+vault://secret/app#/token",
                "ENC(" + _b64(_random_bytes(r, 24)) + ")",
                "",
                "REDACTED",
            )
        ),
        neutral=False,
    ),
    "substitution-marker": _marker,
    "secret-object-name": _pairs(
        ("DB_SECRET_NAME", "db-credentials"),
        ("TLS_SECRET_NAME", "web-tls"),
        ("SECRET_REF", "app-secrets"),
        ("EXISTING_SECRET", "app-credentials"),
        ("TOKEN_SECRET_NAMESPACE", "vault"),
        ("SECRET_KEY_REF", "password"),
        ("PASSWORD_SECRET_NAME", "postgres-auth"),
        ("API_KEY_SECRET_KEY_NAME", "api-key"),
        ("CREDENTIALS_SECRET", "$(CREDENTIALS_SECRET_NAME)"),
        ("SECRETS_PROVIDER", "aws"),
        ("SECRET_STORE", "vault"),
        ("AUTH_USER", "admin"),
        ("PASSWORD_USERNAME", "app"),
        ("IMAGE_PULL_SECRET", "regcred"),
        ("TLS_SECRET", "web-tls"),
    ),
    "header-or-algorithm-name": _pairs(
        ("TOKEN_HEADER", "Authorization"),
        ("API_KEY_HEADER", "X-Api-Key"),
        ("AUTH_HEADER_NAME", "X-Auth-Token"),
        ("JWT_ALGORITHM", "HS256"),
        ("JWT_ALGORITHM", "RS256"),
        ("TOKEN_SIGNING_ALG", "ES256"),
        ("PASSWORD_HASHER", "argon2id"),
        ("ENCRYPTION_ALGORITHM", "AES-256-GCM"),
        ("PASSWORD_ENCODER", "bcrypt"),
        ("AUTH_TYPE", "oidc"),
        ("AUTH_METHOD", "basic"),
        ("TOKEN_TYPE", "Bearer"),
        ("AUTH", "oidc"),
        ("AUTH", "ldap"),
        ("AUTH", "none"),
        ("AUTH_PROVIDER", "github"),
        ("SECRET_BACKEND", "kubernetes"),
        ("TOKEN_AUDIENCE", "api://default"),
    ),
    "key-not-secret": lambda r: r.choice(
        (
            ("CACHE_KEY_PREFIX", "app"),
            ("SORT_KEY", "name"),
            ("PRIMARY_KEY", "id"),
            ("PARTITION_KEY", "tenantId"),
            ("ROUTING_KEY", "orders.created"),
            ("KEYCLOAK_URL", "https://keycloak.example.com/auth"),
            ("MONKEY", "banana"),
            ("KEY_ALIAS", "prod-signing"),
            ("KEYSPACE", "app"),
            ("GPG_KEY", _chars(r, HEX, 40).upper()),
            ("STRIPE_PUBLISHABLE_KEY", "pk_live_" + _chars(r, ALNUM, 24)),
            ("RECAPTCHA_SITE_KEY", "6Le" + _mixed(r, ALNUM, 37)),
            ("S3_KEY_PREFIX", "uploads/2024/"),
            ("IDEMPOTENCY_KEY_HEADER", "Idempotency-Key"),
            ("KMS_KEY_ID", _uuid(r)),
            ("SSH_HOST_KEY", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + _chars(r, B64, 43)),
            ("KEY", "value"),
            ("FOREIGN_KEY_CHECKS", "0"),
            ("HOTKEY", "ctrl+k"),
            ("REDIS_KEY", "session:active"),
            ("KEY_ROTATION_PERIOD", "30d"),
        )
    ),
    "substring-look-alike": _pairs(
        ("BYPASS_CACHE", "true"),
        ("PASSTHROUGH", "enabled"),
        ("COMPASS_URL", "https://compass.io"),
        ("AUTHOR", "Jane Doe"),
        ("AUTHOR_EMAIL", "jane@example.com"),
        ("OAUTH_URL", "https://oauth.example.com"),
        ("OAUTH_CALLBACK_PATH", "/oauth/callback"),
        ("TOKENIZER", "bert-base-uncased"),
        ("TOKENIZERS_PARALLELISM", "false"),
        ("SECRETARY_EMAIL", "office@example.com"),
        ("PASSENGER_APP_ENV", "production"),
        ("PASSIVE_MODE", "true"),
        ("KEYBOARD_LAYOUT", "us"),
        ("SSL_PASSTHROUGH", "true"),
        ("AUTHORITY", "https://login.microsoftonline.com/common"),
        ("PASS_HOST_HEADER", "true"),
        ("AUTHZ_MODE", "rbac"),
        ("PWDEBUG", "0"),
    ),
    "base64-ca-bundle": _fmt(
        "CA_BUNDLE CA_CERT_B64 TLS_CA caBundle WEBHOOK_CA",
        lambda r: _b64(_cert(r).encode()),
        neutral=False,
    ),
    "base64-config": _fmt(
        "CONFIG_B64 APP_SETTINGS_BASE64 BOOTSTRAP AUTH_CONFIG",
        lambda r: _b64(_plain_config(r).encode()),
        neutral=False,
    ),
    "json-config-without-secrets": _fmt(
        "SPRING_APPLICATION_JSON APP_SETTINGS CONFIG FEATURES_JSON",
        lambda r: json.dumps(
            {
                "server": {"port": r.randrange(1024, 9999)},
                "tokenUrl": "https://auth.example.com/token",
                "passwordMinLength": 12,
                "auth": {"enabled": True, "type": "oidc"},
                "secretName": "app-secrets",
            }
        ),
        neutral=False,
    ),
    "hostname-or-address": _fmt(
        "DB_HOST REDIS_ADDR KAFKA_BROKERS ADMIN_EMAIL SMTP_HOST VAULT_ADDR",
        lambda r: r.choice(
            (
                r.choice(HOSTS),
                f"{r.choice(WORDS)}.example.com",
                f"10.{r.randrange(256)}.0.12",
                "kafka-0.kafka:9092,kafka-1.kafka:9092",
                "ops@example.com",
                "https://vault.svc:8200",
            )
        ),
        neutral=False,
    ),
    "id-or-checksum-under-neutral-name": _fmt(
        "CHECKSUM CONFIG_HASH BUILD_ID INSTANCE_ID ETAG CHART_VERSION NONCE_SALT_LENGTH "
        "SESSION_ID_HEADER GITHUB_CLIENT_ID GOOGLE_CLIENT_ID",
        lambda r: r.choice(
            (
                _chars(r, HEX, 64),
                "i-0" + _chars(r, HEX, 16),
                f"v{r.randrange(9)}.{r.randrange(30)}.0",
                f"{r.randrange(10**11)}-{_chars(r, LOWER_ALNUM, 32)}.apps.googleusercontent.com",
                "Iv1." + _chars(r, HEX, 16),
                str(r.randrange(10**6, 10**9)),
            )
        ),
        neutral=False,
    ),
    "free-text": _fmt(
        "DESCRIPTION MOTD WELCOME_MESSAGE NOTES LOGIN_BANNER",
        lambda r: r.choice(
            (
                "Authorized use only",
                "Token based authentication is enabled for this service",
                "Reset your password at https://id.example.com/reset",
                "Use the API key from Vault",
                f"Welcome to {r.choice(WORDS)}",
            )
        ),
        neutral=False,
    ),
}

# Env as public Helm charts render it.
HELM_ENV: tuple[tuple[str, str], ...] = (
    ("LOG_LEVEL", "info"),
    ("POD_IP", "10.244.1.17"),
    ("POD_NAME", "web-7d9f8c6b5-x2k4p"),
    ("NODE_NAME", "ip-10-0-1-23.eu-west-1.compute.internal"),
    ("POD_NAMESPACE", "default"),
    ("GOMAXPROCS", "4"),
    ("GOMEMLIMIT", "512MiB"),
    ("OTEL_SERVICE_NAME", "checkout"),
    ("OTEL_RESOURCE_ATTRIBUTES", "service.name=checkout,deployment.environment=prod"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317"),
    ("SPRING_PROFILES_ACTIVE", "prod"),
    ("TZ", "UTC"),
    ("LANG", "en_US.UTF-8"),
    ("NODE_ENV", "production"),
    ("PYTHONUNBUFFERED", "1"),
    ("PORT", "8080"),
    ("METRICS_PORT", "9090"),
    ("REDIS_HOST", "redis-master"),
    ("DB_HOST", "postgres"),
    ("DB_USER", "app"),
    ("DB_NAME", "orders"),
    ("DB_PORT", "5432"),
    ("DB_SSLMODE", "require"),
    ("KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka-headless:9092"),
    ("ELASTICSEARCH_HOSTS", "http://es:9200"),
    ("WORKERS", "4"),
    ("MAX_CONNECTIONS", "100"),
    ("ENVIRONMENT", "production"),
    ("CLUSTER_NAME", "prod-eu"),
    ("AWS_REGION", "eu-west-1"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app"),
    ("VAULT_ADDR", "https://vault:8200"),
    ("CONSUL_HTTP_ADDR", "consul:8500"),
    ("DD_AGENT_HOST", "datadog-agent"),
    ("DD_ENV", "prod"),
    ("DD_SITE", "datadoghq.eu"),
    ("DD_TRACE_SAMPLE_RATE", "0.1"),
    ("SENTRY_ENVIRONMENT", "production"),
    ("CRON_SCHEDULE", "*/5 * * * *"),
    ("PROMETHEUS_MULTIPROC_DIR", "/tmp/metrics"),
    ("HOME", "/home/app"),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    ("MALLOC_ARENA_MAX", "2"),
    ("NGINX_WORKER_PROCESSES", "auto"),
    ("JAEGER_AGENT_HOST", "jaeger-agent"),
    ("GIN_MODE", "release"),
    ("RAILS_ENV", "production"),
    ("RAILS_LOG_TO_STDOUT", "true"),
    ("DJANGO_SETTINGS_MODULE", "app.settings"),
    ("ASPNETCORE_ENVIRONMENT", "Production"),
    ("ASPNETCORE_URLS", "http://+:8080"),
    ("GF_SERVER_ROOT_URL", "https://grafana.example.com"),
    ("GF_AUTH_ANONYMOUS_ENABLED", "false"),
    ("GF_AUTH_GENERIC_OAUTH_ENABLED", "true"),
    ("GF_AUTH_GENERIC_OAUTH_SCOPES", "openid email profile"),
    ("KC_HOSTNAME", "keycloak.example.com"),
    ("KC_PROXY", "edge"),
    ("MINIO_BROWSER", "on"),
    ("ARGOCD_SERVER_INSECURE", "true"),
    ("REDIS_TLS_ENABLED", "no"),
    ("POSTGRES_USER", "postgres"),
    ("POSTGRES_DB", "app"),
    ("PGDATA", "/var/lib/postgresql/data/pgdata"),
    ("MYSQL_DATABASE", "wordpress"),
    ("RABBITMQ_DEFAULT_USER", "guest"),
    ("MONGO_INITDB_DATABASE", "app"),
    ("JAVA_HOME", "/opt/java/openjdk"),
    ("HTTP_PROXY", ""),
    ("NO_PROXY", "localhost,127.0.0.1,.svc,.cluster.local"),
    ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
    ("FEATURE_FLAGS", "new-checkout,dark-mode"),
    ("IMAGE_TAG", "1.27.3-alpine"),
    ("CHART_VERSION", "4.11.2"),
    ("RELEASE_NAME", "web"),
    ("TRACING_SAMPLER", "parentbased_traceidratio"),
    ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
    ("OTEL_PROPAGATORS", "tracecontext,baggage"),
    ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
    ("SSL_CERT_DIR", "/etc/ssl/certs"),
    ("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"),
    ("NODE_EXTRA_CA_CERTS", "/etc/ssl/custom/ca.pem"),
    ("UV_THREADPOOL_SIZE", "16"),
)
