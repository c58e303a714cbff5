"""Independent, hand-labelled holdout set for ``policies.secret_detectors.detect``.

Each row is ``(name, value, is_secret, category)``. Categories of negatives start with
``neg:``; rows a reasonable security reviewer could label either way start with ``grey:``
(their ``is_secret`` is the label this author leans to) and are scored separately.

No real credentials: every token-shaped value is assembled at import time from a
documented prefix and characters drawn from a seeded ``random.Random`` in the format's own
charset and length. The only verbatim key material is AWS's documented example pair.
"""

from __future__ import annotations

import base64
import json
import random
import string
import urllib.parse

_R = random.Random(0x6A7E_40)

UP = string.ascii_uppercase
LO = string.ascii_lowercase
DIG = string.digits
AN = UP + LO + DIG
HEX = "0123456789abcdef"
HEXU = "0123456789ABCDEF"
B64 = AN + "+/"
B64U = AN + "-_"
AWS_ID = UP + "234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def r(chars: str, n: int) -> str:
    return "".join(_R.choice(chars) for _ in range(n))


def rbytes(n: int) -> bytes:
    return _R.randbytes(n)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def uuid4() -> str:
    h = r(HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_R.choice('89ab')}{h[17:20]}-{h[20:]}"


def digits(n: int) -> str:
    return _R.choice("123456789") + r(DIG, n - 1)


def pw(n: int = 16) -> str:
    """A random password: letters, digits and a few punctuation characters."""
    return r(AN + "!#%^*-_=+", n)


def upw(n: int = 16) -> str:
    """A random password, percent-encoded for use inside a URL."""
    return urllib.parse.quote(pw(n), safe="")


def wrap(body: str, width: int = 64) -> list[str]:
    return [body[i : i + width] for i in range(0, len(body), width)]


def pem(label: str, der: bytes, headers: tuple[str, ...] = (), sep: str = "\n") -> str:
    lines = [f"-----BEGIN {label}-----", *headers, *wrap(b64(der)), f"-----END {label}-----"]
    return sep.join(lines) + sep


# DER openings of real structures, so the base64 bodies start the way real ones do.
RSA_PRIV = bytes.fromhex("308204a40201000282010100")
EC_PRIV = bytes.fromhex("30770201010420")
PKCS8_PRIV = bytes.fromhex("308204bd020100300d06092a864886f70d0101010500048204a7308204a3020100")
PKCS8_ENC = bytes.fromhex("3082051c304e06092a864886f70d01050d3041302906092a864886f70d01050c")
DSA_PRIV = bytes.fromhex("308201bb02010002818100")
SPKI_RSA = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
CERT = bytes.fromhex("308203c5308202ada003020102021400")


def rsa_key(sep: str = "\n") -> str:
    return pem("RSA PRIVATE KEY", RSA_PRIV + rbytes(1180), sep=sep)


def ec_key(sep: str = "\n") -> str:
    der = EC_PRIV + rbytes(32) + bytes.fromhex("a00a06082a8648ce3d030107a144034200") + rbytes(65)
    return pem("EC PRIVATE KEY", der, sep=sep)


def pkcs8_key(sep: str = "\n") -> str:
    return pem("PRIVATE KEY", PKCS8_PRIV + rbytes(1180), sep=sep)


def pkcs8_der_b64() -> str:
    return b64(PKCS8_PRIV + rbytes(1180))


def pkcs8_encrypted(sep: str = "\n") -> str:
    return pem("ENCRYPTED PRIVATE KEY", PKCS8_ENC + rbytes(1280), sep=sep)


def rsa_legacy_encrypted() -> str:
    heads = ("Proc-Type: 4,ENCRYPTED", f"DEK-Info: AES-256-CBC,{r(HEXU, 32)}", "")
    return pem("RSA PRIVATE KEY", rbytes(1192), headers=heads)


def dsa_key() -> str:
    return pem("DSA PRIVATE KEY", DSA_PRIV + rbytes(430))


def openssh_key(sep: str = "\n") -> str:
    head = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
    body = head + b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519" + rbytes(340)
    return (
        sep.join(
            [
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                *wrap(b64(body), 70),
                "-----END OPENSSH PRIVATE KEY-----",
            ]
        )
        + sep
    )


def pgp_private() -> str:
    body = wrap(b64(bytes.fromhex("9583") + rbytes(900)))
    return "\n".join(
        [
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "",
            *body,
            f"={r(B64, 4)}",
            "-----END PGP PRIVATE KEY BLOCK-----",
            "",
        ]
    )


def pgp_public() -> str:
    body = wrap(b64(bytes.fromhex("9901") + rbytes(500)))
    return "\n".join(
        [
            "-----BEGIN PGP PUBLIC KEY BLOCK-----",
            "",
            *body,
            f"={r(B64, 4)}",
            "-----END PGP PUBLIC KEY BLOCK-----",
            "",
        ]
    )


def public_key(sep: str = "\n") -> str:
    return pem("PUBLIC KEY", SPKI_RSA + rbytes(256) + bytes.fromhex("0203010001"), sep=sep)


def rsa_public_key() -> str:
    return pem(
        "RSA PUBLIC KEY",
        bytes.fromhex("3082010a0282010100") + rbytes(256) + bytes.fromhex("0203010001"),
    )


def cert(sep: str = "\n") -> str:
    return pem("CERTIFICATE", CERT + rbytes(940), sep=sep)


def cert_der_b64() -> str:
    return b64(CERT + rbytes(700))


def ssh_ed25519_pub(comment: str = "deploy@ci") -> str:
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + rbytes(32)
    return f"ssh-ed25519 {b64(blob)} {comment}"


def ssh_rsa_pub() -> str:
    blob = b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01\x00\x00\x01\x01\x00" + rbytes(256)
    return f"ssh-rsa {b64(blob)} ops@bastion"


def ecdsa_pub() -> str:
    blob = b"\x00\x00\x00\x13ecdsa-sha2-nistp256\x00\x00\x00\x08nistp256\x00\x00\x00A\x04" + rbytes(
        64
    )
    return f"ecdsa-sha2-nistp256 {b64(blob)}"


def jwt(payload: dict[str, object], alg: str = "HS256") -> str:
    head = b64u(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(rbytes(32 if alg.startswith("HS") else 256))
    return f"{head}.{body}.{sig}"


def aws_id(prefix: str = "AKIA") -> str:
    return prefix + r(AWS_ID, 16)


def aws_secret() -> str:
    return r(B64, 40)


def azure_key(nbytes: int = 64) -> str:
    return b64(rbytes(nbytes))


def sas_query() -> str:
    sig = urllib.parse.quote(b64(rbytes(32)), safe="")
    return (
        "sv=2022-11-02&ss=b&srt=co&sp=rwdlacupiytfx&se=2026-03-01T00:00:00Z"
        f"&st=2025-01-01T00:00:00Z&spr=https&sig={sig}"
    )


def gcp_sa_json() -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "shop-prod-4471",
            "private_key_id": r(HEX, 40),
            "private_key": pkcs8_key(),
            "client_email": "uploader@shop-prod-4471.iam.gserviceaccount.com",
            "client_id": digits(21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


def basic(user: str, password: str) -> str:
    return b64(f"{user}:{password}".encode())


def slack_webhook() -> str:
    return f"https://hooks.slack.com/services/T{r(UP + DIG, 8)}/B{r(UP + DIG, 10)}/{r(AN, 24)}"


def discord_token() -> str:
    user_id = b64(digits(18).encode()).rstrip("=")
    return f"{user_id}.{r(B64U, 6)}.{r(B64U, 38)}"


def mapbox(kind: str) -> str:
    claims = b64u(json.dumps({"u": "acme-maps", "a": r(LO + DIG, 25)}).encode())
    return f"{kind}.{claims}.{r(B64U, 22)}"


def ulid() -> str:
    return "01H" + r(CROCKFORD, 23)


def traceparent() -> str:
    return f"00-{r(HEX, 32)}-{r(HEX, 16)}-01"


def sha256() -> str:
    return r(HEX, 64)


def digest_ref(repo: str) -> str:
    return f"{repo}@sha256:{sha256()}"


Row = tuple[str, str, bool, str]


def _pos(cat: str, *pairs: tuple[str, str]) -> list[Row]:
    return [(n, v, True, cat) for n, v in pairs]


def _neg(cat: str, *pairs: tuple[str, str]) -> list[Row]:
    return [(n, v, False, "neg:" + cat) for n, v in pairs]


def _grey(cat: str, label: bool, *pairs: tuple[str, str]) -> list[Row]:
    return [(n, v, label, "grey:" + cat) for n, v in pairs]


# --------------------------------------------------------------------------- positives
# (a) credential formats, under secret-sounding and under neutral names.

POSITIVES: list[Row] = [
    *_pos(
        "aws_access_key_id",
        ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_ACCESS_KEY_ID", aws_id()),
        ("S3_ACCESS_KEY_ID", aws_id()),
        ("CONFIG", aws_id()),
        ("VALUE", aws_id()),
        ("AWS_ACCESS_KEY_ID", aws_id("ASIA")),
    ),
    *_pos(
        "aws_secret_access_key",
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("AWS_SECRET_ACCESS_KEY", aws_secret()),
        ("AWS_SECRET_KEY", aws_secret()),
        ("aws_secret_access_key", aws_secret()),
        ("S3_SECRET_KEY", aws_secret()),
    ),
    *_pos(
        "aws_session_token",
        ("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjE" + r(B64, 760) + "=="),
        ("AWS_SECURITY_TOKEN", "FwoGZXIvYXdzE" + r(B64, 340)),
    ),
    *_pos(
        "aws_credentials_file",
        (
            "AWS_CREDENTIALS",
            f"[default]\naws_access_key_id = {aws_id()}\naws_secret_access_key = {aws_secret()}\n",
        ),
        (
            "DATA",
            f"[default]\\naws_access_key_id={aws_id()}\\naws_secret_access_key={aws_secret()}",
        ),
    ),
    *_pos(
        "gcp_api_key",
        ("GOOGLE_API_KEY", "AIza" + r(B64U, 35)),
        ("GOOGLE_MAPS_API_KEY", "AIza" + r(B64U, 35)),
        ("FIREBASE_API_KEY", "AIza" + r(B64U, 35)),
        ("CONFIG", "AIza" + r(B64U, 35)),
        ("SETTING", "AIza" + r(B64U, 35)),
    ),
    *_pos(
        "gcp_service_account_json",
        ("GOOGLE_CREDENTIALS", gcp_sa_json()),
        ("GCP_SA_KEY", gcp_sa_json()),
        ("DATA", gcp_sa_json()),
        ("GOOGLE_CREDENTIALS_B64", b64(gcp_sa_json().encode())),
    ),
    *_pos(
        "google_oauth_client_secret",
        ("GOOGLE_CLIENT_SECRET", "GOCSPX-" + r(B64U, 28)),
        ("OAUTH2_PROXY_CLIENT_SECRET", "GOCSPX-" + r(B64U, 28)),
        ("CONFIG", "GOCSPX-" + r(B64U, 28)),
    ),
    *_pos(
        "google_oauth_token",
        ("GOOGLE_ACCESS_TOKEN", "ya29.a0A" + r(B64U, 170)),
        ("VALUE", "ya29.a0A" + r(B64U, 150)),
        ("GOOGLE_REFRESH_TOKEN", "1//0" + r(B64U, 101)),
    ),
    *_pos(
        "azure_storage_connection_string",
        (
            "AZURE_STORAGE_CONNECTION_STRING",
            f"DefaultEndpointsProtocol=https;AccountName=shopassets;AccountKey={azure_key()};"
            "EndpointSuffix=core.windows.net",
        ),
        (
            "AzureWebJobsStorage",
            f"DefaultEndpointsProtocol=https;AccountName=fnjobs01;AccountKey={azure_key()};"
            "EndpointSuffix=core.windows.net",
        ),
        ("CONFIG", f"DefaultEndpointsProtocol=https;AccountName=logs7;AccountKey={azure_key()}"),
    ),
    *_pos(
        "azure_storage_account_key",
        ("AZURE_STORAGE_KEY", azure_key()),
        ("AZURE_STORAGE_ACCOUNT_KEY", azure_key()),
    ),
    *_pos(
        "azure_sas",
        ("AZURE_BLOB_SAS_URL", f"https://shopassets.blob.core.windows.net/uploads?{sas_query()}"),
        ("BACKUP_URL", f"https://bk01.blob.core.windows.net/nightly?{sas_query()}"),
        ("AZURE_STORAGE_SAS_TOKEN", "?" + sas_query()),
    ),
    *_pos(
        "azure_service_bus",
        (
            "SERVICEBUS_CONNECTION_STRING",
            "Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName="
            f"RootManageSharedAccessKey;SharedAccessKey={azure_key(32)}",
        ),
        (
            "EVENTHUB_CONNECTION_STRING",
            "Endpoint=sb://telemetry.servicebus.windows.net/;SharedAccessKeyName=send;"
            f"SharedAccessKey={azure_key(32)};EntityPath=events",
        ),
        (
            "CONFIG",
            "Endpoint=sb://bus2.servicebus.windows.net/;SharedAccessKeyName=listen;"
            f"SharedAccessKey={azure_key(32)}",
        ),
    ),
    *_pos(
        "azure_cosmos",
        (
            "COSMOS_CONNECTION_STRING",
            f"AccountEndpoint=https://cat-db.documents.azure.com:443/;AccountKey={azure_key()};",
        ),
        ("COSMOS_KEY", azure_key()),
    ),
    *_pos(
        "azure_ad_client_secret",
        ("AZURE_CLIENT_SECRET", r(AN, 3) + "8Q~" + r(AN + "_~.-", 34)),
        ("ARM_CLIENT_SECRET", r(AN, 3) + "8Q~" + r(AN + "_~.-", 34)),
        ("SETTING", r(AN, 3) + "8Q~" + r(AN + "_~.-", 34)),
    ),
    *_pos(
        "github_classic_pat",
        ("GITHUB_TOKEN", "ghp_" + r(AN, 36)),
        ("GH_TOKEN", "ghp_" + r(AN, 36)),
        ("CONFIG", "ghp_" + r(AN, 36)),
    ),
    *_pos("github_oauth_token", ("GITHUB_OAUTH_TOKEN", "gho_" + r(AN, 36))),
    *_pos("github_user_to_server", ("VALUE", "ghu_" + r(AN, 36))),
    *_pos(
        "github_server_to_server",
        ("GITHUB_APP_TOKEN", "ghs_" + r(AN, 36)),
        ("OPTS", "ghs_" + r(AN, 36)),
    ),
    *_pos("github_refresh_token", ("GITHUB_REFRESH_TOKEN", "ghr_" + r(AN, 36))),
    *_pos(
        "github_fine_grained_pat",
        ("GITHUB_PAT", "github_pat_" + r(AN, 22) + "_" + r(AN, 59)),
        ("RENOVATE_TOKEN", "github_pat_" + r(AN, 22) + "_" + r(AN, 59)),
        ("DATA", "github_pat_" + r(AN, 22) + "_" + r(AN, 59)),
    ),
    *_pos(
        "gitlab_pat",
        ("GITLAB_TOKEN", "glpat-" + r(B64U, 20)),
        ("DANGER_GITLAB_API_TOKEN", "glpat-" + r(B64U, 20)),
        ("CONFIG", "glpat-" + r(B64U, 20)),
    ),
    *_pos(
        "gitlab_deploy_token",
        ("GITLAB_DEPLOY_TOKEN", "gldt-" + r(B64U, 20)),
        ("VALUE", "gldt-" + r(B64U, 20)),
    ),
    *_pos(
        "gitlab_runner_token",
        ("CI_SERVER_TOKEN", "glrt-" + r(B64U, 20)),
        ("RUNNER_TOKEN", "glrt-t1_" + r(B64U, 20)),
        ("REGISTRATION_TOKEN", "GR1348941" + r(B64U, 20)),
    ),
    *_pos(
        "gitlab_trigger_token",
        ("TRIGGER_TOKEN", "glptt-" + r(HEX, 40)),
        ("SETTING", "glptt-" + r(HEX, 40)),
    ),
    *_pos(
        "slack_bot_token",
        ("SLACK_BOT_TOKEN", f"xoxb-{digits(12)}-{digits(13)}-{r(AN, 24)}"),
        ("CONFIG", f"xoxb-{digits(11)}-{digits(13)}-{r(AN, 24)}"),
    ),
    *_pos(
        "slack_user_token",
        ("SLACK_USER_TOKEN", f"xoxp-{digits(12)}-{digits(12)}-{digits(13)}-{r(HEX, 32)}"),
    ),
    *_pos(
        "slack_app_token",
        ("SLACK_APP_TOKEN", f"xapp-1-A{r(UP + DIG, 10)}-{digits(13)}-{r(HEX, 64)}"),
        ("VALUE", f"xapp-1-A{r(UP + DIG, 10)}-{digits(13)}-{r(HEX, 64)}"),
    ),
    *_pos(
        "slack_webhook",
        ("SLACK_WEBHOOK_URL", slack_webhook()),
        ("NOTIFY_URL", slack_webhook()),
        ("ALERTMANAGER_RECEIVER", slack_webhook()),
    ),
    *_pos(
        "stripe_secret_key",
        ("STRIPE_SECRET_KEY", "sk_live_" + r(AN, 24)),
        ("STRIPE_API_KEY", "sk_live_51" + r(AN, 97)),
        ("CONFIG", "sk_live_51" + r(AN, 97)),
    ),
    *_pos(
        "stripe_restricted_key",
        ("STRIPE_RESTRICTED_KEY", "rk_live_51" + r(AN, 97)),
        ("VALUE", "rk_live_" + r(AN, 24)),
    ),
    *_pos(
        "stripe_test_key",
        ("STRIPE_SECRET_KEY_TEST", "sk_test_51" + r(AN, 97)),
        ("STRIPE_KEY", "sk_test_" + r(AN, 24)),
    ),
    *_pos(
        "stripe_webhook_secret",
        ("STRIPE_WEBHOOK_SECRET", "whsec_" + r(AN, 32)),
        ("DATA", "whsec_" + r(AN, 32)),
    ),
    *_pos("twilio_auth_token", ("TWILIO_AUTH_TOKEN", r(HEX, 32))),
    *_pos("twilio_api_key", ("TWILIO_API_KEY", "SK" + r(HEX, 32))),
    *_pos("twilio_api_secret", ("TWILIO_API_SECRET", r(AN, 32))),
    *_pos(
        "sendgrid",
        ("SENDGRID_API_KEY", f"SG.{r(B64U, 22)}.{r(B64U, 43)}"),
        ("SMTP_PASSWORD", f"SG.{r(B64U, 22)}.{r(B64U, 43)}"),
        ("CONFIG", f"SG.{r(B64U, 22)}.{r(B64U, 43)}"),
    ),
    *_pos(
        "npm_token",
        ("NPM_TOKEN", "npm_" + r(AN, 36)),
        ("NODE_AUTH_TOKEN", "npm_" + r(AN, 36)),
        ("CONFIG", "npm_" + r(AN, 36)),
        ("NPMRC", "//registry.npmjs.org/:_authToken=npm_" + r(AN, 36)),
    ),
    *_pos(
        "pypi_token",
        ("PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmcC" + r(B64U, 160)),
        ("TWINE_PASSWORD", "pypi-AgEIcHlwaS5vcmcC" + r(B64U, 160)),
        ("CONFIG", "pypi-AgEIcHlwaS5vcmcC" + r(B64U, 140)),
    ),
    *_pos(
        "docker_hub_pat",
        ("DOCKERHUB_TOKEN", "dckr_pat_" + r(B64U, 27)),
        ("DOCKER_PASSWORD", "dckr_pat_" + r(B64U, 27)),
        ("CONFIG", "dckr_pat_" + r(B64U, 27)),
    ),
    *_pos(
        "docker_config_json",
        (
            "DOCKER_AUTH_CONFIG",
            json.dumps(
                {"auths": {"registry.gitlab.example.com": {"auth": basic("deployer", pw(20))}}}
            ),
        ),
        (
            "DOCKERCONFIGJSON",
            json.dumps(
                {
                    "auths": {
                        "https://index.docker.io/v1/": {
                            "username": "acmebot",
                            "password": pw(24),
                            "auth": basic("acmebot", pw(24)),
                        }
                    }
                }
            ),
        ),
        ("DATA", json.dumps({"auths": {"ghcr.io": {"auth": basic("ci", "ghp_" + r(AN, 36))}}})),
    ),
    *_pos(
        "jwt",
        ("ACCESS_TOKEN", jwt({"sub": digits(8), "iat": 1718000000, "exp": 1718003600})),
        (
            "ID_TOKEN",
            jwt(
                {
                    "iss": "https://auth.example.com",
                    "sub": uuid4(),
                    "aud": "web",
                    "iat": 1718000000,
                },
                "RS256",
            ),
        ),
        (
            "SUPABASE_SERVICE_ROLE_KEY",
            jwt({"iss": "supabase", "ref": r(LO, 20), "role": "service_role", "iat": 1700000000}),
        ),
        ("CONFIG", jwt({"sub": "svc-orders", "scope": "orders:write"})),
        ("VALUE", jwt({"sub": "ci", "iat": 1718000000}, "RS256")),
        (
            "K8S_SA_TOKEN",
            jwt(
                {
                    "iss": "kubernetes/serviceaccount",
                    "kubernetes.io/serviceaccount/namespace": "ci",
                    "sub": "system:serviceaccount:ci:deployer",
                },
                "RS256",
            ),
        ),
    ),
    *_pos(
        "pem_rsa",
        ("TLS_KEY", rsa_key()),
        ("DATA", rsa_key()),
        ("SSH_KEY", rsa_key("\\n")),
        ("GITHUB_APP_PRIVATE_KEY", rsa_key()),
    ),
    *_pos("pem_ec", ("TLS_PRIVATE_KEY", ec_key()), ("CONFIG", ec_key("\\n"))),
    *_pos(
        "pem_pkcs8",
        ("PRIVATE_KEY", pkcs8_key()),
        ("JWT_SIGNING_KEY", pkcs8_key("\\n")),
        ("SETTING", pkcs8_key()),
        ("TLS_BUNDLE", cert() + pkcs8_key()),
    ),
    *_pos(
        "pem_openssh",
        ("SSH_PRIVATE_KEY", openssh_key()),
        ("GIT_SSH_KEY", openssh_key("\\n")),
        ("DEPLOY_KEY", openssh_key()),
    ),
    *_pos(
        "pem_encrypted",
        ("TLS_KEY_ENCRYPTED", pkcs8_encrypted()),
        ("OLD_KEY", rsa_legacy_encrypted()),
        ("VALUE", pkcs8_encrypted("\\n")),
    ),
    *_pos("pem_dsa", ("LEGACY_KEY", dsa_key())),
    *_pos("pgp_private_key", ("GPG_PRIVATE_KEY", pgp_private()), ("BLOB", pgp_private())),
    *_pos(
        "url_postgres",
        ("DATABASE_URL", "postgres://u:p@host/db"),
        ("DATABASE_URL", f"postgresql://app:{r(AN, 20)}@pg.prod.svc:5432/shop?sslmode=require"),
        ("SQLALCHEMY_DATABASE_URI", f"postgresql+psycopg2://svc:{upw(14)}@10.0.3.4/orders"),
        ("UPSTREAM", f"postgres://report:{r(AN, 12)}@replica.db:5432/reports"),
    ),
    *_pos(
        "url_mysql",
        ("MYSQL_URL", f"mysql://root:{r(AN, 16)}@mysql:3306/wordpress"),
        ("DSN", f"mysql+pymysql://shop:{r(AN, 18)}@db.internal/shop?charset=utf8mb4"),
    ),
    *_pos(
        "url_mongodb",
        (
            "MONGO_URI",
            f"mongodb+srv://admin:{r(AN, 16)}@cluster0.ab1cd.mongodb.net/app"
            "?retryWrites=true&w=majority",
        ),
        (
            "MONGODB_URL",
            f"mongodb://app:{r(AN, 20)}@mongo-0.mongo:27017,mongo-1.mongo:27017/app?replicaSet=rs0",
        ),
        ("CONFIG", f"mongodb+srv://etl:{r(AN, 14)}@etl.x9y8z.mongodb.net/"),
    ),
    *_pos(
        "url_redis",
        ("REDIS_URL", f"redis://:{r(AN, 24)}@redis-master:6379/0"),
        ("CACHE_URL", f"rediss://default:{r(AN, 32)}@cache.example.com:6380"),
        ("CELERY_RESULT_BACKEND", f"redis://:{upw(12)}@redis:6379/1"),
    ),
    *_pos(
        "url_amqp",
        ("CELERY_BROKER_URL", f"amqp://worker:{r(AN, 16)}@rabbitmq:5672//"),
        ("BROKER_URL", f"amqps://svc:{r(AN, 20)}@b-1234.mq.us-east-1.amazonaws.com:5671"),
    ),
    *_pos(
        "url_https_basic",
        ("PIP_EXTRA_INDEX_URL", f"https://ci:{r(AN, 24)}@pypi.internal.example.com/simple"),
        ("GIT_REPO_URL", f"https://x-access-token:ghs_{r(AN, 36)}@github.com/acme/app.git"),
        ("ELASTICSEARCH_URL", f"https://elastic:{r(AN, 20)}@es.example.com:9200"),
        ("ENDPOINT", f"https://admin:{upw(12)}@grafana.internal/api"),
    ),
    *_pos(
        "url_ftp",
        ("FTP_URL", f"ftp://upload:{r(AN, 12)}@ftp.partner.example.com/incoming"),
        ("SFTP_TARGET", f"sftp://batch:{r(AN, 14)}@sftp.bank.example:22/out"),
    ),
    *_pos("url_smtp", ("EMAIL_URL", f"smtp://mailer:{r(AN, 16)}@smtp.example.com:587")),
    *_pos("url_ldap", ("LDAP_URI", f"ldap://cn=admin:{r(AN, 12)}@ldap.corp:389")),
    *_pos("url_proxy", ("HTTPS_PROXY", f"http://proxyuser:{r(AN, 12)}@proxy.corp:3128")),
    *_pos(
        "jdbc_password",
        ("SPRING_DATASOURCE_URL", f"jdbc:postgresql://db:5432/app?user=app&password={r(AN, 16)}"),
        ("JDBC_URL", f"jdbc:mysql://mysql:3306/shop?user=shop&password={r(AN, 14)}&useSSL=true"),
    ),
    *_pos(
        "openai_key",
        ("OPENAI_API_KEY", "sk-proj-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)),
        ("CONFIG", "sk-proj-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)),
        ("OPENAI_KEY", "sk-" + r(AN, 20) + "T3BlbkFJ" + r(AN, 20)),
        ("LLM_API_KEY", "sk-svcacct-" + r(B64U, 74) + "T3BlbkFJ" + r(B64U, 74)),
    ),
    *_pos(
        "anthropic_key",
        ("ANTHROPIC_API_KEY", "sk-ant-api03-" + r(B64U, 93) + "AA"),
        ("CONFIG", "sk-ant-api03-" + r(B64U, 93) + "AA"),
    ),
    *_pos(
        "huggingface_token",
        ("HF_TOKEN", "hf_" + r(UP + LO, 34)),
        ("HUGGING_FACE_HUB_TOKEN", "hf_" + r(UP + LO, 34)),
        ("CONFIG", "hf_" + r(UP + LO, 34)),
    ),
    *_pos(
        "datadog_key",
        ("DD_API_KEY", r(HEX, 32)),
        ("DD_APP_KEY", r(HEX, 40)),
        ("DD_APPLICATION_KEY", r(HEX, 40)),
        ("DATADOG_API_KEY", r(HEX, 32)),
    ),
    *_pos(
        "newrelic_key",
        ("NEW_RELIC_API_KEY", "NRAK-" + r(UP + DIG, 27)),
        ("NEW_RELIC_LICENSE_KEY", r(HEX, 36) + "NRAL"),
        ("CONFIG", "NRAK-" + r(UP + DIG, 27)),
    ),
    *_pos(
        "sentry_secret",
        ("SENTRY_AUTH_TOKEN", "sntryu_" + r(HEX, 64)),
        ("SENTRY_DSN", f"https://{r(HEX, 32)}:{r(HEX, 32)}@sentry.example.com/42"),
    ),
    *_pos(
        "mailgun_key",
        ("MAILGUN_API_KEY", "key-" + r(HEX, 32)),
        ("MAILGUN_SENDING_KEY", f"{r(HEX, 32)}-{r(HEX, 8)}-{r(HEX, 8)}"),
    ),
    *_pos("mailchimp_key", ("MAILCHIMP_API_KEY", r(HEX, 32) + "-us12")),
    *_pos(
        "shopify_token",
        ("SHOPIFY_ACCESS_TOKEN", "shpat_" + r(HEX, 32)),
        ("SHOPIFY_API_SECRET", "shpss_" + r(HEX, 32)),
        ("CONFIG", "shpat_" + r(HEX, 32)),
    ),
    *_pos("heroku_key", ("HEROKU_API_KEY", "HRKU-AA" + r(B64U, 58)), ("HEROKU_API_KEY", uuid4())),
    *_pos(
        "vault_token",
        ("VAULT_TOKEN", "hvs." + r(AN, 24)),
        ("VAULT_TOKEN", "hvs.CAESI" + r(B64U, 86)),
        ("CONFIG", "hvs." + r(AN, 24)),
        ("VAULT_BATCH_TOKEN", "hvb.AAAAAQ" + r(B64U, 120)),
    ),
    *_pos(
        "terraform_token",
        ("TF_TOKEN_app_terraform_io", r(AN, 14) + ".atlasv1." + r(AN, 67)),
        ("TFE_TOKEN", r(AN, 14) + ".atlasv1." + r(AN, 67)),
        ("CONFIG", r(AN, 14) + ".atlasv1." + r(AN, 67)),
    ),
    *_pos(
        "digitalocean_token",
        ("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_" + r(HEX, 64)),
        ("DO_TOKEN", "dop_v1_" + r(HEX, 64)),
        ("CONFIG", "dop_v1_" + r(HEX, 64)),
    ),
    *_pos(
        "discord",
        ("DISCORD_BOT_TOKEN", discord_token()),
        ("ALERT_URL", f"https://discord.com/api/webhooks/{digits(19)}/{r(B64U, 68)}"),
    ),
    *_pos(
        "telegram_bot_token",
        ("TELEGRAM_BOT_TOKEN", f"{digits(10)}:AA{r(B64U, 33)}"),
        ("TG_TOKEN", f"{digits(9)}:AA{r(B64U, 33)}"),
    ),
    *_pos(
        "square",
        ("SQUARE_ACCESS_TOKEN", "EAAA" + r(B64U, 60)),
        ("SQUARE_APPLICATION_SECRET", "sq0csp-" + r(B64U, 43)),
        ("CONFIG", "sq0atp-" + r(B64U, 22)),
    ),
    *_pos(
        "age_secret_key",
        ("SOPS_AGE_KEY", "AGE-SECRET-KEY-1" + r(BECH32, 58)),
        ("CONFIG", "AGE-SECRET-KEY-1" + r(BECH32, 58)),
    ),
    *_pos(
        "alibaba",
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI" + r(AN, 20)),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", r(AN, 30)),
        ("CONFIG", "LTAI5t" + r(AN, 18)),
    ),
    *_pos(
        "cloudflare",
        ("CF_API_TOKEN", r(B64U, 40)),
        ("CLOUDFLARE_API_TOKEN", r(B64U, 40)),
        ("CF_API_KEY", r(HEX, 37)),
        (
            "TUNNEL_TOKEN",
            b64(json.dumps({"a": r(HEX, 32), "t": uuid4(), "s": b64(rbytes(32))}).encode()),
        ),
    ),
    *_pos("okta", ("OKTA_API_TOKEN", "00" + r(B64U, 40)), ("OKTA_CLIENT_SECRET", r(B64U, 40))),
    *_pos("linear", ("LINEAR_API_KEY", "lin_api_" + r(AN, 40)), ("CONFIG", "lin_api_" + r(AN, 40))),
    *_pos(
        "notion",
        ("NOTION_TOKEN", "secret_" + r(AN, 43)),
        ("NOTION_API_KEY", "ntn_" + digits(11) + r(AN, 35)),
        ("VALUE", "ntn_" + digits(11) + r(AN, 35)),
    ),
    *_pos(
        "postman",
        ("POSTMAN_API_KEY", f"PMAK-{r(HEX, 24)}-{r(HEX, 34)}"),
        ("CONFIG", f"PMAK-{r(HEX, 24)}-{r(HEX, 34)}"),
    ),
    *_pos(
        "grafana",
        ("GRAFANA_SERVICE_ACCOUNT_TOKEN", f"glsa_{r(AN, 32)}_{r(HEX, 8)}"),
        (
            "GRAFANA_CLOUD_TOKEN",
            "glc_"
            + b64(
                json.dumps(
                    {"o": digits(6), "n": "stack-ci", "k": r(AN, 24), "m": {"r": "prod-us-east-0"}},
                    separators=(",", ":"),
                ).encode()
            ),
        ),
        ("SETTING", f"glsa_{r(AN, 32)}_{r(HEX, 8)}"),
    ),
    *_pos("pulumi", ("PULUMI_ACCESS_TOKEN", "pul-" + r(HEX, 40)), ("CONFIG", "pul-" + r(HEX, 40))),
    *_pos(
        "atlassian",
        ("JIRA_API_TOKEN", "ATATT3xFfGF0" + r(B64U, 174) + "=" + r(HEXU, 8)),
        ("CONFIG", "ATATT3xFfGF0" + r(B64U, 174) + "=" + r(HEXU, 8)),
    ),
    *_pos(
        "databricks",
        ("DATABRICKS_TOKEN", "dapi" + r(HEX, 32)),
        ("VALUE", "dapi" + r(HEX, 32) + "-2"),
    ),
    *_pos(
        "doppler", ("DOPPLER_TOKEN", "dp.st.prd." + r(AN, 40)), ("CONFIG", "dp.st.dev." + r(AN, 40))
    ),
    *_pos("airtable", ("AIRTABLE_API_KEY", f"pat{r(AN, 14)}.{r(HEX, 64)}")),
    *_pos("buildkite", ("BUILDKITE_API_TOKEN", "bkua_" + r(HEX, 40))),
    *_pos("sonarqube", ("SONAR_TOKEN", "squ_" + r(HEX, 40)), ("CONFIG", "squ_" + r(HEX, 40))),
    *_pos("supabase_pat", ("SUPABASE_ACCESS_TOKEN", "sbp_" + r(HEX, 40))),
    *_pos("artifactory", ("ARTIFACTORY_API_KEY", "AKCp8" + r(AN, 68))),
    *_pos("fcm_server_key", ("FCM_SERVER_KEY", f"AAAA{r(B64U, 7)}:APA91b{r(B64U, 134)}")),
    *_pos("mapbox_secret", ("MAPBOX_SECRET_TOKEN", mapbox("sk"))),
    *_pos(
        "jwk_private",
        (
            "JWT_PRIVATE_JWK",
            json.dumps(
                {
                    "kty": "RSA",
                    "kid": "sig-2024",
                    "use": "sig",
                    "alg": "RS256",
                    "e": "AQAB",
                    "n": b64u(rbytes(256)),
                    "d": b64u(rbytes(256)),
                    "p": b64u(rbytes(128)),
                    "q": b64u(rbytes(128)),
                }
            ),
        ),
    ),
    *_pos("wireguard_private_key", ("WG_PRIVATE_KEY", b64(rbytes(32)))),
    *_pos("vapid_private_key", ("VAPID_PRIVATE_KEY", b64u(rbytes(32)))),
    *_pos("recaptcha_secret", ("RECAPTCHA_SECRET_KEY", "6L" + r(B64U, 38))),
    *_pos("algolia_admin_key", ("ALGOLIA_ADMIN_API_KEY", r(HEX, 32))),
]

# (b)/(c) secrets announced by the name: plain passwords, keys, tokens, connection strings.
POSITIVES += [
    *_pos(
        "password_literal",
        ("DB_PASSWORD", "Tr0ub4dor&3"),
        ("MYSQL_ROOT_PASSWORD", "example"),
        ("REDIS_PASSWORD", "foobared"),
        ("POSTGRES_PASSWORD", "postgres"),
        ("PGPASSWORD", "s3cr3t!"),
        ("MONGO_INITDB_ROOT_PASSWORD", r(AN, 16)),
        ("ADMIN_PASSWORD", "admin123"),
        ("KEYCLOAK_ADMIN_PASSWORD", pw(18)),
        ("GF_SECURITY_ADMIN_PASSWORD", pw(14)),
        ("MINIO_ROOT_PASSWORD", "minio123"),
        ("ELASTIC_PASSWORD", "changeme"),
        ("LDAP_BIND_PASSWORD", pw(20)),
        ("SMTP_PASSWORD", r(AN, 16)),
        ("KEYSTORE_PASSWORD", pw(12)),
        ("DB_PASSWD", r(AN, 10)),
        ("MYSQL_PWD", r(AN, 12)),
        ("RABBITMQ_DEFAULT_PASS", r(AN, 16)),
        ("SMTP_PASS", pw(14)),
        ("password", "hunter2"),
        ("Password", r(AN, 12)),
        ("KAFKA_SASL_PASSWORD", r(B64, 40)),
        ("REGISTRY_PASSWORD", r(AN, 20)),
        ("DATABASE_PASSWORD", "correct horse battery staple"),
        ("MYSQL_ROOT_PASSWORD", "123456"),
        ("WORDPRESS_DB_PASSWORD", "wp-" + r(AN, 10)),
        ("ARGOCD_ADMIN_PASSWORD", pw(16)),
    ),
    *_pos(
        "password_camel_dotted",
        ("dbPassword", pw(14)),
        ("adminPassword", r(AN, 12)),
        ("spring.datasource.password", pw(16)),
        ("spring.rabbitmq.password", r(AN, 12)),
        ("SPRING_DATASOURCE_PASSWORD", pw(16)),
        ("redis.password", r(AN, 10)),
        ("ConnectionStrings__Password", pw(12)),
    ),
    *_pos(
        "secret_key",
        ("DJANGO_SECRET_KEY", r(LO + DIG + "!@#$%^&*(-_=+)", 50)),
        ("SECRET_KEY_BASE", r(HEX, 128)),
        ("FLASK_SECRET_KEY", r(HEX, 48)),
        ("SECRET_KEY", "dev-secret-change-me"),
        ("APP_SECRET_KEY", b64(rbytes(32))),
        ("MINIO_SECRET_KEY", r(AN, 40)),
        ("RAILS_MASTER_KEY", r(HEX, 32)),
        ("secretKey", r(AN, 32)),
    ),
    *_pos(
        "jwt_secret",
        ("JWT_SECRET", r(AN, 64)),
        ("JWT_SECRET_KEY", "supersecret"),
        ("JWT_SIGNING_SECRET", b64(rbytes(48))),
    ),
    *_pos(
        "session_secret",
        ("SESSION_SECRET", r(AN, 32)),
        ("COOKIE_SECRET", r(HEX, 64)),
        ("NEXTAUTH_SECRET", b64(rbytes(32))),
        ("AUTH_SECRET", b64(rbytes(32))),
    ),
    *_pos(
        "encryption_key",
        ("ENCRYPTION_KEY", r(HEX, 64)),
        ("ENCRYPTION_KEY", b64(rbytes(32))),
        ("DATA_ENCRYPTION_KEY", b64(rbytes(32))),
        ("AIRFLOW__CORE__FERNET_KEY", b64u(rbytes(32)) + "="),
        ("MASTER_KEY", r(HEX, 64)),
    ),
    *_pos(
        "api_key_generic",
        ("API_KEY", r(AN, 32)),
        ("X_API_KEY", r(HEX, 40)),
        ("apiKey", r(AN, 40)),
        ("INTERNAL_API_KEY", uuid4()),
        ("PAYMENT_API_KEY", r(HEX, 48)),
        ("WEATHER_APIKEY", r(HEX, 32)),
        ("api.key", r(AN, 28)),
    ),
    *_pos(
        "access_key_generic",
        ("MINIO_ACCESS_KEY", r(UP + DIG, 20)),
        ("SPACES_ACCESS_KEY_ID", r(UP + DIG, 20)),
    ),
    *_pos(
        "private_key_b64",
        ("PRIVATE_KEY", pkcs8_der_b64()),
        ("JWT_PRIVATE_KEY", b64(pkcs8_key().encode())),
    ),
    *_pos(
        "credentials_blob",
        ("CREDENTIALS", json.dumps({"username": "svc-reports", "password": pw(18)})),
        ("DB_CREDENTIALS", f"reports:{pw(16)}"),
        ("SERVICE_CREDENTIALS", json.dumps({"client_id": "reports", "client_secret": r(AN, 40)})),
        (
            "SPRING_APPLICATION_JSON",
            json.dumps({"spring": {"datasource": {"username": "app", "password": pw(16)}}}),
        ),
        ("CONFIG_JSON", json.dumps({"db": {"host": "pg", "password": r(AN, 18)}})),
    ),
    *_pos(
        "auth_header",
        ("AUTH_HEADER", "Authorization: Basic " + basic("admin", pw(14))),
        ("HTTP_HEADERS", "Authorization: Bearer " + r(AN, 40)),
        ("AUTHORIZATION", "Basic " + basic("api", r(AN, 20))),
        ("BASIC_AUTH", f"admin:{pw(14)}"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team=" + r(AN, 32)),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "Authorization=Basic%20" + basic(digits(6), "glc_" + r(AN, 60)),
        ),
    ),
    *_pos(
        "token_generic",
        ("AUTH_TOKEN", r(HEX, 40)),
        ("ACCESS_TOKEN", r(AN, 48)),
        ("REFRESH_TOKEN", r(B64U, 64)),
        ("API_TOKEN", r(AN, 32)),
        ("SERVICE_TOKEN", r(HEX, 64)),
        ("BEARER_TOKEN", r(B64U, 43)),
        ("CONSUL_HTTP_TOKEN", uuid4()),
        ("SNYK_TOKEN", uuid4()),
        ("CODECOV_TOKEN", uuid4()),
        ("PROMETHEUS_BEARER_TOKEN", r(AN, 40)),
    ),
    *_pos(
        "client_or_shared_secret",
        ("CLIENT_SECRET", r(AN, 32)),
        ("OAUTH_CLIENT_SECRET", r(B64U, 40)),
        ("WEBHOOK_SECRET", r(HEX, 40)),
        ("GITHUB_WEBHOOK_SECRET", r(AN, 24)),
        ("HMAC_SECRET", b64(rbytes(32))),
        ("SIGNING_SECRET", r(HEX, 32)),
        ("SHARED_SECRET", pw(24)),
        ("KEYCLOAK_CLIENT_SECRET", r(AN, 32)),
    ),
    *_pos(
        "passphrase", ("GPG_PASSPHRASE", pw(20)), ("SSH_KEY_PASSPHRASE", "blue-river-" + r(LO, 6))
    ),
    *_pos(
        "connection_string_password",
        (
            "SQL_CONNECTION_STRING",
            "Server=tcp:shop.database.windows.net,1433;Database=shop;User ID=sqladmin;"
            f"Password={pw(16)};Encrypt=true;",
        ),
        (
            "ConnectionStrings__DefaultConnection",
            f"Host=pg;Port=5432;Database=app;Username=app;Password={r(AN, 16)}",
        ),
        (
            "KAFKA_SASL_JAAS_CONFIG",
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="orders" password="{r(AN, 20)}";',
        ),
        (
            "JAVA_OPTS",
            f"-Xmx1g -Djavax.net.ssl.keyStorePassword={r(AN, 14)} "
            "-Djavax.net.ssl.keyStore=/etc/tls/ks.p12",
        ),
        ("JAVA_TOOL_OPTIONS", f"-Dspring.datasource.password={pw(14)} -XX:+UseG1GC"),
        ("ARGS", f"--db-user=app --db-password={r(AN, 16)} --port=8080"),
    ),
    # Real-world sloppiness: special characters left unencoded in the URL password.
    *_pos(
        "url_unencoded_password",
        ("REDIS_URL", f"redis://:{r(AN, 7)}#{r(AN, 6)}@redis:6379/0"),
        ("DATABASE_URL", f"postgres://app:{r(AN, 6)}@{r(AN, 5)}@db:5432/app"),
    ),
]

# --------------------------------------------------------------------------- negatives

NEGATIVES: list[Row] = [
    *_neg(
        "url_no_credentials",
        ("DATABASE_URL", "postgres://db.internal:5432/app"),
        ("REDIS_URL", "redis://redis-master:6379/0"),
        ("BROKER_URL", "amqp://rabbitmq:5672//"),
        ("API_BASE_URL", "https://api.example.com/v1"),
        ("MONGO_URI", "mongodb://mongo-0.mongo:27017,mongo-1.mongo:27017/app?replicaSet=rs0"),
        ("WEBHOOK_URL", "https://ci.example.com/hooks/build"),
        ("UPSTREAM", "http://orders.default.svc.cluster.local:8080"),
        ("SEARCH_URL", "https://example.com/search?q=token&page=2"),
        ("PASSWORD_RESET_URL", "https://accounts.example.com/reset-password"),
        ("HTTP_PROXY", "http://proxy.corp:3128"),
        ("ELASTICSEARCH_HOSTS", "http://elasticsearch-master:9200"),
        ("S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com"),
        ("JDBC_URL", "jdbc:postgresql://db:5432/app?sslmode=require"),
        ("SENTRY_URL", "https://sentry.io/"),
    ),
    *_neg(
        "url_user_only",
        ("GIT_URL", "ssh://git@github.com/acme/app.git"),
        ("DATABASE_URL", "postgres://app@db:5432/app"),
        ("REPO_URL", "https://deploy-bot@git.example.com/acme/app.git"),
    ),
    *_neg(
        "url_password_reference",
        ("DATABASE_URL", "postgres://app:$(DB_PASSWORD)@db:5432/app"),
        ("REDIS_URL", "redis://:$(REDIS_PASSWORD)@redis:6379/0"),
    ),
    *_neg(
        "image_digest",
        ("IMAGE", digest_ref("ghcr.io/acme/api")),
        ("SIDECAR_IMAGE", digest_ref("docker.io/envoyproxy/envoy")),
        ("INIT_IMAGE", digest_ref("registry.k8s.io/pause")),
        ("DIGEST", "sha256:" + sha256()),
        ("IMAGE_DIGEST", "sha256:" + sha256()),
        ("CONTENT_SHA256", sha256()),
        ("CHECKSUM", sha256()),
        ("INTEGRITY", "sha384-" + b64(rbytes(48))),
        ("NPM_INTEGRITY", "sha512-" + b64(rbytes(64))),
    ),
    *_neg(
        "commit_sha",
        ("GIT_COMMIT", r(HEX, 40)),
        ("GITHUB_SHA", r(HEX, 40)),
        ("CI_COMMIT_SHA", r(HEX, 40)),
        ("SENTRY_RELEASE", "api@" + r(HEX, 40)),
        ("BUILD_SHA", r(HEX, 7)),
        ("VERSION", "v1.14.2-14-g" + r(HEX, 7)),
        ("APP_VERSION", "2024.06.11+" + r(HEX, 12)),
    ),
    *_neg(
        "uuid_and_ids",
        ("INSTANCE_ID", uuid4()),
        ("REQUEST_ID", uuid4()),
        ("AZURE_TENANT_ID", uuid4()),
        ("AZURE_CLIENT_ID", uuid4()),
        ("AZURE_SUBSCRIPTION_ID", uuid4()),
        ("ARM_TENANT_ID", uuid4()),
        ("BUILDKITE_BUILD_ID", uuid4()),
        ("CORRELATION_ID", ulid()),
        ("MONGO_OBJECT_ID", r(HEX, 24)),
        ("CLOUDFRONT_DISTRIBUTION_ID", "E" + r(UP + DIG, 13)),
        ("GA_MEASUREMENT_ID", "G-" + r(UP + DIG, 10)),
        ("HOSTED_ZONE_ID", "Z" + r(UP + DIG, 20)),
        ("GITHUB_RUN_ID", digits(10)),
        ("GITHUB_APP_ID", digits(6)),
        ("GITHUB_APP_INSTALLATION_ID", digits(8)),
        ("SLACK_CHANNEL_ID", "C" + r(UP + DIG, 10)),
        ("SLACK_TEAM_ID", "T" + r(UP + DIG, 8)),
        ("STRIPE_PRICE_ID", "price_1" + r(AN, 23)),
        ("STRIPE_PRODUCT_ID", "prod_" + r(AN, 14)),
        ("DEFAULT_CUSTOMER", "cus_" + r(AN, 14)),
        ("TWILIO_MESSAGING_SERVICE_SID", "MG" + r(HEX, 32)),
    ),
    *_neg(
        "trace_ids",
        ("TRACEPARENT", traceparent()),
        ("traceparent", traceparent()),
        ("TRACE_ID", r(HEX, 32)),
        ("SPAN_ID", r(HEX, 16)),
        ("X_B3_TRACEID", r(HEX, 32)),
        ("DD_TRACE_ID", digits(19)),
        ("AWS_XRAY_TRACE_ID", f"Root=1-{r(HEX, 8)}-{r(HEX, 24)};Parent={r(HEX, 16)};Sampled=1"),
    ),
    *_neg(
        "client_ids",
        ("GITHUB_CLIENT_ID", "Iv1." + r(HEX, 16)),
        ("GOOGLE_CLIENT_ID", f"{digits(12)}-{r(LO + DIG, 32)}.apps.googleusercontent.com"),
        ("AUTH0_CLIENT_ID", r(AN, 32)),
        ("OIDC_CLIENT_ID", "orders-web"),
        ("AUTH0_DOMAIN", "acme.eu.auth0.com"),
        ("ALGOLIA_APP_ID", r(UP + DIG, 10)),
        ("KAFKA_SASL_USERNAME", "svc-orders"),
        ("MINIO_ROOT_USER", "admin"),
        ("RABBITMQ_DEFAULT_USER", "user"),
        ("POSTGRES_USER", "postgres"),
        ("MYSQL_USER", "wordpress"),
        ("GF_SECURITY_ADMIN_USER", "admin"),
        ("KEYCLOAK_ADMIN", "admin"),
        ("DB_USERNAME", "app"),
    ),
    *_neg(
        "jvm_options",
        ("JAVA_OPTS", "-Xmx512m -XX:+UseG1GC -Dfile.encoding=UTF-8"),
        ("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError"),
        ("JAVA_OPTS", "-javaagent:/otel/opentelemetry-javaagent.jar -Dotel.service.name=orders"),
        ("ES_JAVA_OPTS", "-Xms512m -Xmx512m"),
        (
            "JVM_OPTS",
            "-Djavax.net.ssl.trustStore=/etc/ssl/truststore.jks "
            "-Djavax.net.ssl.trustStoreType=PKCS12",
        ),
        ("JAVA_OPTS", "-Djavax.net.ssl.keyStorePassword=$(KEYSTORE_PASSWORD) -Xmx1g"),
        ("CATALINA_OPTS", "-Dspring.profiles.active=prod -Duser.timezone=UTC"),
        ("NODE_OPTIONS", "--max-old-space-size=1536 --enable-source-maps"),
        ("KAFKA_HEAP_OPTS", "-Xmx1G -Xms1G"),
        (
            "KAFKA_SASL_JAAS_CONFIG",
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            'username="orders" password="$(KAFKA_PASSWORD)";',
        ),
    ),
    *_neg(
        "public_key_or_cert",
        ("SSH_PUBLIC_KEY", ssh_ed25519_pub()),
        ("AUTHORIZED_KEYS", ssh_rsa_pub()),
        ("HOST_KEY_PUB", ecdsa_pub()),
        ("SSH_KNOWN_HOSTS", "github.com " + ssh_ed25519_pub("")),
        ("JWT_PUBLIC_KEY", public_key()),
        ("PUBLIC_KEY", public_key("\\n")),
        ("RSA_PUBLIC_KEY", rsa_public_key()),
        ("JWT_PUBLIC_KEY_DER", b64(SPKI_RSA + rbytes(256) + bytes.fromhex("0203010001"))),
        ("TLS_CERT", cert()),
        ("CA_CERT", cert("\\n")),
        ("TLS_CHAIN", cert() + cert()),
        ("SAML_IDP_CERT", cert_der_b64()),
        ("CA_BUNDLE", b64(cert().encode())),
        ("caBundle", b64((cert() + cert()).encode())),
        ("SSL_CERT_B64", b64(cert().encode())),
        ("GPG_PUBLIC_KEY", pgp_public()),
        ("DKIM_PUBLIC_KEY", "v=DKIM1; k=rsa; p=" + b64(SPKI_RSA + rbytes(256))),
        (
            "JWKS",
            json.dumps(
                {
                    "keys": [
                        {
                            "kty": "RSA",
                            "kid": "sig-2024",
                            "use": "sig",
                            "alg": "RS256",
                            "e": "AQAB",
                            "n": b64u(rbytes(256)),
                        }
                    ]
                }
            ),
        ),
        ("WG_PUBLIC_KEY", b64(rbytes(32))),
        ("VAPID_PUBLIC_KEY", b64u(b"\x04" + rbytes(64))),
        ("SOPS_AGE_RECIPIENTS", "age1" + r(BECH32.lower(), 58)),
        ("RECAPTCHA_SITE_KEY", "6L" + r(B64U, 38)),
    ),
    *_neg(
        "file_path",
        ("PASSWORD_FILE", "/run/secrets/db"),
        ("DB_PASSWORD_FILE", "/run/secrets/db_password"),
        ("POSTGRES_PASSWORD_FILE", "/run/secrets/postgres-passwd"),
        ("MYSQL_ROOT_PASSWORD_FILE", "/var/run/secrets/mysql/root"),
        ("SECRET_PATH", "/var/run/secrets/app"),
        ("TOKEN_PATH", "/var/run/secrets/kubernetes.io/serviceaccount/token"),
        ("API_KEY_PATH", "/etc/app/api-key"),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"),
        ("SSL_KEY", "/etc/tls/tls.key"),
        ("PRIVATE_KEY_PATH", "/etc/keys/private.pem"),
        ("PRIVATE_KEY", "/etc/keys/signing.pem"),
        ("SSH_PRIVATE_KEY", "~/.ssh/id_ed25519"),
        ("TLS_KEY_FILE", "/etc/tls/tls.key"),
        ("KUBECONFIG", "/etc/kube/config"),
        ("VAULT_TOKEN_PATH", "/home/vault/.vault-token"),
        ("CREDENTIALS", "/etc/creds/creds.json"),
        ("CREDENTIALS_DIRECTORY", "/run/credentials/app.service"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/home/app/.aws/credentials"),
        ("SECRETS_DIR", "/run/secrets"),
        ("DOCKER_CONFIG", "/kaniko/.docker"),
        ("TOKEN_CACHE_DIR", "/tmp/tokens"),
    ),
    *_neg(
        "duration_or_number",
        ("TOKEN_TTL", "3600"),
        ("TOKEN_EXPIRY", "15m"),
        ("JWT_EXPIRATION", "86400"),
        ("ACCESS_TOKEN_LIFETIME", "300"),
        ("REFRESH_TOKEN_TTL", "720h"),
        ("SESSION_TIMEOUT", "30m"),
        ("PASSWORD_MAX_AGE_DAYS", "90"),
        ("PASSWORD_MIN_LENGTH", "12"),
        ("TOKEN_LENGTH", "32"),
        ("API_KEY_LENGTH", "40"),
        ("PASSWORD_HASH_ROUNDS", "12"),
        ("BCRYPT_COST", "12"),
        ("TOKEN_REFRESH_INTERVAL", "5m"),
        ("TOKEN_CLOCK_SKEW", "60s"),
        ("SECRET_CACHE_TTL_SECONDS", "300"),
        ("ACCESS_KEY_ROTATION_DAYS", "90"),
        ("TOKEN_BUCKET_CAPACITY", "100"),
        ("MAX_TOKENS", "4096"),
        ("KEY_SIZE", "2048"),
        ("PASSWORD_EXPIRY", "90d"),
    ),
    *_neg(
        "secret_name_or_reference",
        ("SECRET_NAME", "db-credentials"),
        ("SECRET_REF", "db-credentials/password"),
        ("TLS_SECRET_NAME", "app-tls"),
        ("EXISTING_SECRET", "mysql-auth"),
        ("API_KEY_SECRET_NAME", "api-keys"),
        ("AUTH_TOKEN_SECRET_REF", "auth-token"),
        ("VAULT_SECRET_PATH", "secret/data/app"),
        ("SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
        ("AWS_SECRETS_MANAGER_SECRET_ID", "prod/app/db"),
        ("GCP_SECRET", "projects/123456789/secrets/db-password/versions/latest"),
        ("DB_PASSWORD", "vault:secret/data/app#DB_PASSWORD"),
        ("API_KEY", "ref+vault://secret/app#/api_key"),
        ("DB_PASSWORD", "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password"),
        ("KEY_VAULT_NAME", "kv-prod-eastus"),
        ("KEY_VAULT_URL", "https://kv-prod-eastus.vault.azure.net/"),
        ("SECRETS_BACKEND", "aws-secretsmanager"),
        ("SECRET_PROVIDER", "vault"),
    ),
    *_neg(
        "env_reference",
        ("DB_PASSWORD", "$(DB_PASSWORD)"),
        ("PASSWORD", "${DB_PASSWORD}"),
        ("API_KEY", "$(API_KEY)"),
        ("GITHUB_TOKEN", "$(GH_TOKEN)"),
        ("AWS_ACCESS_KEY_ID", "$(AWS_ACCESS_KEY_ID)"),
        ("JWT_SECRET", "${JWT_SECRET}"),
        ("CLIENT_SECRET", "$(OIDC_CLIENT_SECRET)"),
        ("SECRET_KEY", "${SECRET_KEY:-}"),
    ),
    *_neg(
        "empty",
        ("PASSWORD", ""),
        ("API_KEY", ""),
        ("ACCESS_TOKEN", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("PRIVATE_KEY", ""),
    ),
    *_neg(
        "flag_or_setting_under_secretish_name",
        ("AUTH_ENABLED", "true"),
        ("PASSWORD_AUTH", "false"),
        ("TOKEN_AUTH_ENABLED", "true"),
        ("REQUIRE_PASSWORD", "true"),
        ("ALLOW_EMPTY_PASSWORD", "yes"),
        ("MYSQL_RANDOM_ROOT_PASSWORD", "yes"),
        ("MYSQL_ALLOW_EMPTY_PASSWORD", "no"),
        ("PASSWORD_POLICY", "strong"),
        ("PASSWORD_HASHER", "argon2"),
        ("PASSWORD_ENCODER", "bcrypt"),
        ("TOKEN_TYPE", "Bearer"),
        ("TOKEN_AUDIENCE", "api://default"),
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_ISSUER", "https://auth.example.com/"),
        ("JWT_AUDIENCE", "orders-api"),
        ("JWKS_URI", "https://auth.example.com/.well-known/jwks.json"),
        ("OAUTH_CALLBACK_URL", "https://app.example.com/oauth/callback"),
        ("TOKEN_ENDPOINT", "https://auth.example.com/oauth2/token"),
        ("TOKEN_URL", "https://login.microsoftonline.com/common/oauth2/v2.0/token"),
        ("API_KEY_HEADER", "X-API-Key"),
        ("AUTH_HEADER_NAME", "Authorization"),
        ("API_KEY_QUERY_PARAM", "api_key"),
        ("KEYCLOAK_REALM", "master"),
        ("SORT_KEY", "created_at"),
        ("PRIMARY_KEY", "id"),
        ("PARTITION_KEY", "tenant_id"),
        ("CACHE_KEY_PREFIX", "app:"),
        ("REDIS_KEY_PREFIX", "orders:v2:"),
        ("KEYSPACE", "orders"),
        ("KMS_KEY_ID", "arn:aws:kms:us-east-1:123456789012:key/" + uuid4()),
        ("AWS_KMS_KEY_ALIAS", "alias/app-prod"),
        ("SIGNING_KEY_ID", "kid-2024-06"),
        ("SSH_KEY_TYPE", "ed25519"),
        ("TLS_KEY_ALGORITHM", "ECDSA"),
        ("PASSTHROUGH", "true"),
        ("BYPASS_CACHE", "1"),
        ("AUTHOR", "Jane Doe"),
        ("TOKENIZER", "bert-base-uncased"),
        ("TOKENIZERS_PARALLELISM", "false"),
        ("SECRET_ROTATION_SCHEDULE", "0 0 * * 0"),
        ("CREDENTIAL_PROVIDER", "instance-metadata"),
        ("SECRETS_ENCRYPTION", "enabled"),
        ("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256"),
        ("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256"),
        ("VAULT_AUTH_METHOD", "kubernetes"),
        ("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        ("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
        ("GF_AUTH_ANONYMOUS_ENABLED", "true"),
        ("xpack.security.enabled", "false"),
    ),
    *_neg(
        "aws_non_secret",
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ACCOUNT_ID", "123456789012"),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app-prod"),
        ("S3_BUCKET", "acme-app-artifacts-prod"),
        ("AWS_PROFILE", "prod"),
        ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
        ("AWS_ENDPOINT_URL", "http://localstack:4566"),
        ("SQS_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/orders"),
        ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts"),
        ("GOOGLE_CLOUD_PROJECT", "shop-prod-4471"),
        ("GCP_PROJECT_NUMBER", digits(12)),
        ("AZURE_STORAGE_ACCOUNT", "shopassets"),
        ("AZURE_RESOURCE_GROUP", "rg-shop-prod"),
    ),
    *_neg(
        "network",
        ("KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability:4317"),
        ("OTEL_RESOURCE_ATTRIBUTES", "service.name=orders,deployment.environment=prod"),
        ("OTEL_SERVICE_NAME", "orders"),
        ("VAULT_ADDR", "https://vault.vault.svc:8200"),
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("KUBERNETES_SERVICE_PORT", "443"),
        ("POD_IP", "10.244.1.17"),
        ("DB_HOST", "postgres.default.svc.cluster.local"),
        ("REDIS_HOST", "redis-master"),
        ("NO_PROXY", "localhost,127.0.0.1,.svc,.cluster.local,10.0.0.0/8"),
        ("SERVICE_CIDR", "10.96.0.0/12"),
        ("ZOO_SERVERS", "server.1=zk-0:2888:3888;2181 server.2=zk-1:2888:3888;2181"),
        ("HOSTNAME", "orders-7d9f8b6c5d-x2k4q"),
        ("NODE_NAME", "ip-10-0-12-34.ec2.internal"),
        ("DD_AGENT_HOST", "datadog-agent.datadog"),
        ("STATSD_HOST", "127.0.0.1:8125"),
    ),
    *_neg(
        "runtime_config",
        ("SPRING_PROFILES_ACTIVE", "prod,kubernetes"),
        ("LOG_LEVEL", "info"),
        ("GOMAXPROCS", "2"),
        ("GOMEMLIMIT", "900MiB"),
        ("NODE_ENV", "production"),
        ("PYTHONUNBUFFERED", "1"),
        ("TZ", "UTC"),
        ("LANG", "C.UTF-8"),
        ("PORT", "8080"),
        ("WORKERS", "4"),
        ("CRON_SCHEDULE", "*/5 * * * *"),
        ("FEATURE_FLAGS", "new-checkout,dark-mode"),
        ("POD_NAMESPACE", "payments"),
        ("VAULT_ROLE", "orders"),
        ("VAULT_NAMESPACE", "admin"),
        ("POSTGRES_DB", "app"),
        ("MYSQL_DATABASE", "wordpress"),
        ("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ("RABBITMQ_DEFAULT_VHOST", "/"),
        ("REDIS_REPLICATION_MODE", "master"),
        ("discovery.type", "single-node"),
        ("SENTRY_ENVIRONMENT", "production"),
        ("DD_ENV", "prod"),
        ("DD_SERVICE", "orders"),
        ("DD_VERSION", "1.14.2"),
        ("WORDPRESS_DB_HOST", "mysql:3306"),
        (
            "FEATURE_CONFIG_B64",
            b64(
                json.dumps(
                    {"features": {"checkout_v2": True, "dark_mode": False}, "rollout": 25}
                ).encode()
            ),
        ),
        ("MESSAGE", "Deploy finished: 3 pods ready"),
        ("GREETING", "Hello, world!"),
    ),
]

# --------------------------------------------------------------------------- grey

GREY: list[Row] = [
    *_grey(
        "publishable_key",
        False,
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_51" + r(AN, 97)),
        ("MAPBOX_ACCESS_TOKEN", mapbox("pk")),
        ("ALGOLIA_SEARCH_API_KEY", r(HEX, 32)),
        ("DD_CLIENT_TOKEN", "pub" + r(HEX, 32)),
    ),
    *_grey(
        "identifier_not_secret",
        False,
        ("TWILIO_ACCOUNT_SID", "AC" + r(HEX, 32)),
        ("SENTRY_DSN", f"https://{r(HEX, 32)}@o{digits(6)}.ingest.sentry.io/{digits(16)}"),
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            f"InstrumentationKey={uuid4()};IngestionEndpoint="
            "https://eastus-8.in.applicationinsights.azure.com/",
        ),
    ),
    *_grey(
        "password_hash",
        False,
        ("ADMIN_PASSWORD_HASH", "$2b$12$" + r(AN + "./", 53)),
        ("HTPASSWD", "admin:$apr1$" + r(AN, 8) + "$" + r(AN + "./", 22)),
    ),
    *_grey(
        "placeholder_or_default",
        False,
        ("DB_PASSWORD", "******"),
        ("DB_PASSWORD", "<your-password-here>"),
        ("API_KEY", "REPLACE_ME"),
        ("TRUSTSTORE_PASSWORD", "changeit"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("PASSWORD_SECRET_KEY", "password"),
    ),
    *_grey(
        "neutral_name_unprefixed",
        True,
        ("DATA", aws_secret()),
        ("VALUE", "IQoJb3JpZ2luX2VjE" + r(B64, 600)),
        ("SETTING", "SK" + r(HEX, 32)),
        ("CONFIG", f"{digits(10)}:AA{r(B64U, 33)}"),
        ("OPTS", discord_token()),
        ("VALUE", "key-" + r(HEX, 32)),
        ("DATA", r(HEX, 32) + "-us21"),
        ("BLOB", b64(gcp_sa_json().encode())),
        ("DATA", b64(pkcs8_key().encode())),
    ),
    *_grey("shared_cookie", True, ("RABBITMQ_ERLANG_COOKIE", r(UP, 20))),
    *_grey(
        "templated_reference",
        False,
        ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db:5432/app"),
        ("API_TOKEN", "{{ .Values.apiToken }}"),
    ),
]

HOLDOUT: list[tuple[str, str, bool, str]] = [*POSITIVES, *NEGATIVES, *GREY]
