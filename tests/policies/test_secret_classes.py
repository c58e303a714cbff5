"""Classes of false alarms and misses, each tried in several shapes, never one example each.

A false alarm is a value that is not a plaintext secret under a name that sounds
like one: a password hash, ciphertext, a key public by design, a reference to a
secret store, the name of a Secret's key, a credential an emulator's docs publish.
A miss is a literal secret the name or the place should have given away. Token-
shaped values are built from random parts at test time.
"""

import base64
import json
import random
import string

import pytest

from policies.secret_detectors import detect

RNG = random.Random(0xC1A55)
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
CRYPT64 = "./" + ALNUM


def chars(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pem(kind: str) -> str:
    body = b64(RNG.randbytes(600))
    rows = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}-----\n{rows}\n-----END {kind}-----\n"


def jwt(claims: dict[str, object]) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{chars(ALNUM + '-_', 43)}"


MAPBOX_PUBLIC = "pk.eyJ1Ijoi" + chars(ALNUM, 40) + "." + chars(ALNUM, 22)
BCRYPT = "$2b$12$" + chars(CRYPT64, 53)
ARGON2 = f"$argon2id$v=19$m=65536,t=3,p=4${chars(B64, 22)}${chars(B64, 43)}"
SHA512_CRYPT = f"$6$rounds=5000${chars(CRYPT64, 16)}${chars(CRYPT64, 86)}"
APR1 = f"$apr1${chars(CRYPT64, 8)}${chars(CRYPT64, 22)}"
KMS_BLOB = b64(bytes.fromhex("0102020078") + RNG.randbytes(180))
SEALED = b64(bytes.fromhex("0200") + RNG.randbytes(700))
AZURITE_KEY = (  # Azurite's account key, as Microsoft's documentation publishes it
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" + "K1SZFPTOtr/KBHBeksoGMGw=="
)
COSMOS_EMULATOR_KEY = (  # the Cosmos DB emulator's published key
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/" + "Jw=="
)

NOT_PLAINTEXT = {
    "password hashes": [
        ("ADMIN_PASSWORD_HASH", BCRYPT),
        ("ADMIN_PASSWORD", BCRYPT),
        ("ARGOCD_ADMIN_PASSWORD", "$2a$10$" + chars(CRYPT64, 53)),
        ("PASSWORD", ARGON2),
        ("LDAP_ROOT_PASSWORD", "{SSHA}" + b64(RNG.randbytes(24))),
        ("ROOTPW", "{SSHA512}" + b64(RNG.randbytes(72))),
        ("USER_PASSWORD", "{SHA}" + b64(RNG.randbytes(20))),
        ("ROOT_PASSWORD", SHA512_CRYPT),
        ("HTPASSWD", f"admin:{APR1}"),
        ("BASIC_AUTH_USERS", f"admin:{BCRYPT},ops:{APR1}"),
        ("TRAEFIK_AUTH", f"admin:{APR1}\nops:{BCRYPT}"),
        ("DJANGO_ADMIN_PASSWORD", f"pbkdf2_sha256$600000${chars(ALNUM, 22)}${chars(B64, 43)}="),
        ("APP_PASSWORD", f"scrypt:32768:8:1${chars(ALNUM, 16)}${chars(HEX, 128)}"),
        ("POSTGRES_PASSWORD", "md5" + chars(HEX, 32)),
        (
            "PG_PASSWORD",
            f"SCRAM-SHA-256$4096:{b64(RNG.randbytes(16))}${b64(RNG.randbytes(32))}:{b64(RNG.randbytes(32))}",
        ),
        ("MYSQL_PASSWORD", "*" + chars(HEX.upper(), 40)),
        ("JENKINS_ADMIN_PASSWORD", "#jbcrypt:" + BCRYPT),
        ("PORTAINER_ADMIN_PASSWORD", BCRYPT.replace("$", "$$")),  # escaped in a compose file
        ("USER_PASSWORD", f"sha256${chars(ALNUM, 12)}${chars(HEX, 64)}"),
    ],
    "ciphertext": [
        (
            "DB_PASSWORD",
            f"ENC[AES256_GCM,data:{chars(B64, 24)},iv:{chars(B64, 43)}=,tag:{chars(B64, 22)}==,type:str]",
        ),
        ("API_TOKEN", f"ENC[AES256_GCM,data:{chars(B64, 60)},type:str]"),
        ("DB_PASSWORD", KMS_BLOB),
        ("SECRET_KEY", "CiQA" + chars(B64, 120)),
        ("DB_PASSWORD", SEALED),
        ("API_KEY", f"vault:v1:{b64(RNG.randbytes(48))}"),
        ("DB_PASSWORD", "$ANSIBLE_VAULT;1.1;AES256\n" + chars(HEX, 80) + "\n" + chars(HEX, 80)),
        ("JASYPT_PASSWORD", f"ENC({b64(RNG.randbytes(32))})"),
        ("SPRING_DATASOURCE_PASSWORD", "{cipher}" + chars(HEX, 96)),
        (
            "TOKEN",
            "-----BEGIN AGE ENCRYPTED FILE-----\n"
            + b64(RNG.randbytes(120))
            + "\n-----END AGE ENCRYPTED FILE-----",
        ),
        (
            "SECRET",
            f"EJ[1:{b64(RNG.randbytes(32))}:{b64(RNG.randbytes(24))}:{b64(RNG.randbytes(40))}]",
        ),
        ("ENCRYPTED_DB_PASSWORD", b64(RNG.randbytes(64))),
        ("DB_PASSWORD_ENCRYPTED", b64(RNG.randbytes(64))),
        ("KMS_ENCRYPTED_API_KEY", b64(RNG.randbytes(96))),
        (
            "APP_CONFIG",
            f"db:\n  host: db\n  password: ENC[AES256_GCM,data:{chars(B64, 24)},type:str]\n",
        ),
        (
            "SETTINGS_JSON",
            json.dumps({"apiKey": f"ENC[AES256_GCM,data:{chars(B64, 40)},type:str]"}),
        ),
        (
            "DB_PASSWORD",
            "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ."
            + ".".join(chars(ALNUM + "-_", n) for n in (342, 16, 30, 22)),
        ),
        ("DB_PASSWORD", "kms:" + KMS_BLOB),
    ],
    "references to a secret store": [
        ("DB_PASSWORD", "secretsmanager:prod/db#password"),
        ("DB_PASSWORD", "vault:secret/data/db#password"),
        ("API_KEY", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/api-AbCdEf"),
        ("DB_PASSWORD", "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db/password"),
        ("DB_PASSWORD", "ssm:/prod/db/password"),
        ("API_TOKEN", "{{resolve:secretsmanager:prod/api:SecretString:token}}"),
        ("API_TOKEN", "${ssm:/prod/api/token}"),
        ("DB_PASSWORD", "gcp:secretmanager:projects/shop/secrets/db-password/versions/latest"),
        ("DB_PASSWORD", "projects/shop/secrets/db-password/versions/3"),
        ("CLIENT_SECRET", "azure:keyvault:kv-prod/client-secret"),
        ("CLIENT_SECRET", "@Microsoft.KeyVault(VaultName=kv-prod;SecretName=client-secret)"),
        ("GITHUB_TOKEN", "op://ci/github/token"),
        ("DB_PASSWORD", "sm://shop-prod/db-password"),
        ("DB_PASSWORD", "ref+awssecrets://prod/db#/password"),
        ("SECRET_KEY", "doppler:prd/SECRET_KEY"),
        ("DB_PASSWORD", "aws-secretsmanager:prod/db"),
        ("DB_PASSWORD", "((db-password))"),  # CredHub, Concourse
        ("DB_PASSWORD", "secretref:db-password"),  # Azure Container Apps
    ],
    "the key of a Secret to read": [
        ("PASSWORD_KEY", "password"),
        ("DB_PASSWORD_KEY", "db-password"),
        ("PASSWORD_SECRET_KEY", "password"),
        ("ADMIN_PASSWORD_SECRET_KEY", "admin-password"),
        ("TOKEN_KEY", "token"),
        ("REDIS_PASSWORD_KEY", "redis-password"),
        ("API_TOKEN_SECRET_KEY", "api-token"),
        ("CREDENTIALS_KEY", "credentials.json"),
        ("API_KEY_SECRET_KEY", "api-key"),
        ("CLIENT_SECRET_KEY", "client-secret"),
    ],
    "emulator credentials published in their docs": [
        (
            "AZURE_STORAGE_CONNECTION_STRING",
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        ),
        ("AZURE_STORAGE_KEY", AZURITE_KEY),
        ("STORAGE", AZURITE_KEY),
        (
            "COSMOS_CONNECTION",
            f"AccountEndpoint=https://localhost:8081/;AccountKey={COSMOS_EMULATOR_KEY}",
        ),
        ("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"),
        (
            "SERVICEBUS_CONNECTION",
            "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;"
            "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;",
        ),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SECRET_ACCESS_KEY", "fakeSecretAccessKey"),
    ],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [pytest.param(n, v, id=f"{cls}: {n}") for cls, rows in NOT_PLAINTEXT.items() for n, v in rows],
)
def test_not_a_plaintext_secret(name: str, value: str) -> None:
    assert detect(name, value) is None


PUBLIC_BY_DESIGN = [
    ("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "pk_live_" + chars(ALNUM, 99)),
    ("STRIPE_KEY", "pk_test_" + chars(ALNUM, 24)),
    ("VITE_MAPBOX_TOKEN", "pk.eyJ1IjoiYWNtZSIsImEiOiJ" + chars(ALNUM, 20) + "." + chars(ALNUM, 22)),
    ("POSTHOG_API_KEY", "phc_" + chars(ALNUM, 43)),
    ("NEXT_PUBLIC_SUPABASE_ANON_KEY", jwt({"iss": "supabase", "ref": "shop", "role": "anon"})),
    (
        "SUPABASE_KEY",
        jwt({"role": "anon", "iss": "supabase", "iat": 1700000000, "exp": 2000000000}),
    ),
    ("DD_CLIENT_TOKEN", "pub" + chars(HEX, 32)),
    (
        "SENTRY_DSN",
        f"https://{chars(HEX, 32)}@o{RNG.randrange(10**6)}.ingest.sentry.io/{RNG.randrange(10**7)}",
    ),
    ("NEXT_PUBLIC_SENTRY_DSN", f"https://{chars(HEX, 32)}@sentry.example.com/42"),
]


@pytest.mark.parametrize(("name", "value"), PUBLIC_BY_DESIGN, ids=[n for n, _ in PUBLIC_BY_DESIGN])
def test_a_key_public_by_design_passes_unless_asked_for(name: str, value: str) -> None:
    assert detect(name, value) is None
    assert detect(name, value, report_public_keys=True) is not None


SECRET_UNDER_PUBLIC_NAME = [
    ("NEXT_PUBLIC_STRIPE_SECRET_KEY", "sk_live_" + chars(ALNUM, 24)),
    ("VITE_GITHUB_TOKEN", "ghp_" + chars(ALNUM, 36)),
    ("NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY", jwt({"iss": "supabase", "role": "service_role"})),
    ("REACT_APP_AWS_SECRET_ACCESS_KEY", chars(ALNUM + "/+", 38) + "aZ"),
    ("NEXT_PUBLIC_SENTRY_DSN", f"https://{chars(HEX, 32)}:{chars(HEX, 32)}@sentry.example.com/42"),
    ("VITE_API_SECRET", "hunter2-and-more"),
    ("NEXT_PUBLIC_DB_PASSWORD", "Winter2024!"),
]


@pytest.mark.parametrize(
    ("name", "value"), SECRET_UNDER_PUBLIC_NAME, ids=[n for n, _ in SECRET_UNDER_PUBLIC_NAME]
)
def test_a_public_looking_name_never_excuses_a_secret(name: str, value: str) -> None:
    assert detect(name, value) is not None


def wrapped(text: str, width: int) -> str:
    encoded = b64(text.encode())
    return "\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))


MISSES = {
    "a credential word that is not the last word": [
        ("SECRET_BLAH", "secretsquirrels"),
        ("PASSWORD_DB", "Winter2024"),
        ("TOKEN_GITHUB", chars(ALNUM, 20)),
        ("PASSWORD_FOR_REPLICATION", "repl-pass-2024"),
        ("PASS_REDIS", "hunter22"),
        ("CREDENTIALS_SMTP", "mailer:hunter22"),
        ("SECRET_DJANGO", "django-insecure-" + chars(ALNUM, 20)),
        ("APIKEY_MAPS", chars(ALNUM, 32)),
    ],
    "glued names": [
        ("DBPASS", "hunter22"),
        ("SMTPPASS", "mailpass1"),
        ("ADMINPWD", "Adm1n!"),
        ("ROOTPW", "toor"),
        ("dbpass", "hunter22"),
        ("MAILPASSWORD", "mailpass1"),
        ("REDISPASSWD", "redis-pw"),
        ("APPSECRET", "shhh-it-is"),
        ("MASTERAUTH", "replica-pass"),
    ],
    "URL passwords that start with $ or digits": [
        ("DATABASE_URL", "postgres://app:$ecret-" + chars(ALNUM, 6) + "@db:5432/app"),
        ("MYSQL_URL", "mysql://root:" + "$3cr3t" + "@mysql:3306/shop"),
        ("REDIS_URL", "redis://:123#" + chars(ALNUM, 6) + "@redis:6379/0"),
        ("MONGO_URL", "mongodb://admin:2024/" + chars(ALNUM, 8) + "@mongo:27017/admin"),
        ("AMQP_URL", "amqp://guest:99?" + chars(ALNUM, 6) + "@rabbit:5672/"),
        ("CACHE", "redis://default:" + "42/x" + "@cache.internal:6379"),
    ],
    "Oracle connect strings": [
        ("ORACLE_CONNECTION", "scott/tiger@orcl"),
        ("DB_CONNECT", "app_user/" + "S3cret!" + "@db.example.com:1521/ORCLPDB1"),
        ("JDBC_URL", "jdbc:oracle:thin:scott/" + "tiger" + "@//db.example.com:1521/ORCL"),
        ("SPRING_DATASOURCE_URL", "jdbc:oracle:thin:app/" + chars(ALNUM, 12) + "@db:1521:XE"),
        ("DATASOURCE", "system/" + "oracle" + "@//db:1521/XEPDB1"),
        ("TNS", "hr/hr_pass@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521)))"),
    ],
    "key=value settings with short password keys": [
        (
            "LDAP_OPTS",
            "uri=ldap://ldap binddn=cn=admin,dc=example,dc=org bindpw=" + chars(ALNUM, 10),
        ),
        ("ODBC", "Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd=" + chars(ALNUM, 12) + ";"),
        ("CONFIG", "user=app passwd=" + chars(ALNUM, 10)),
        ("DSN_OPTS", "host=db;pwd=" + chars(ALNUM, 10)),
        ("SSSD", "ldap_default_bind_password = " + chars(ALNUM, 12)),
        ("SLAPD", "olcRootPW: " + chars(ALNUM, 12)),
        ("NSLCD_CONF", "uri ldap://ldap\nbinddn cn=reader\nbindpw " + chars(ALNUM, 12) + "\n"),
    ],
    "tokens in a URL's path or query": [
        (
            "ALERT_URL",
            "https://api.telegram.org/bot"
            + str(RNG.randrange(10**9, 10**10))
            + ":AA"
            + chars(ALNUM + "_-", 33)
            + "/sendMessage",
        ),
        (
            "HEALTHCHECK_URL",
            "https://hc-ping.com/" + "-".join(chars(HEX, n) for n in (8, 4, 4, 4, 12)),
        ),
        ("PING_URL", "https://hc-ping.com/" + chars(ALNUM + "_-", 22) + "/backup-job"),
        (
            "MATTERMOST",
            "https://chat.example.com/hooks/" + chars("abcdefghijklmnopqrstuvwxyz0123456789", 26),
        ),
        ("PAGERDUTY", "https://events.pagerduty.com/integration/" + chars(HEX, 32) + "/enqueue"),
        ("IFTTT", "https://maker.ifttt.com/trigger/deploy/with/key/" + chars(ALNUM + "_-", 22)),
        ("UPTIME_PUSH", "https://status.example.com/api/push/" + chars(ALNUM, 20) + "?status=up"),
        (
            "CHAT_WEBHOOK",
            "https://chat.googleapis.com/v1/spaces/AAA/messages?key=AIza"
            + chars(ALNUM, 35)
            + "&token="
            + chars(ALNUM, 40),
        ),
        ("EXPORT_URL", "https://api.example.com/v1/export?format=csv&api_key=" + chars(ALNUM, 32)),
        (
            "TRIGGER",
            "https://gitlab.example.com/api/v4/projects/7/trigger/pipeline?token="
            + chars(HEX, 40)
            + "&ref=main",
        ),
    ],
    "command-line options": [
        ("REDIS_ARGS", "--appendonly yes --requirepass " + chars(ALNUM, 16)),
        ("ARGS", "--db-host db --db-password " + chars(ALNUM, 12)),
        ("COMMAND", "mysql -h db -uroot -p" + chars(ALNUM, 12) + " shop"),
        ("BACKUP_CMD", "mysqldump -u root -p'" + chars(ALNUM, 12) + "' --all-databases"),
        ("EXTRA_ARGS", "--token=" + chars(ALNUM, 24)),
        ("CURL_ARGS", "-s -u deploy:" + chars(ALNUM, 12) + " https://repo.example.com"),
        ("SSH_CMD", "sshpass -p " + chars(ALNUM, 10) + " ssh ops@host"),
        ("MONGO_CMD", "mongosh --host mongo -u admin -p " + chars(ALNUM, 12)),
        ("KEYTOOL_ARGS", "-keystore app.jks -storepass " + chars(ALNUM, 10)),
        ("REDIS_CLI", "redis-cli -h cache -a " + chars(ALNUM, 14) + " ping"),
        ("LOGIN", "docker login -u ci -p " + chars(ALNUM, 20) + " registry.example.com"),
        ("OPENSSL_ARGS", "-in key.pem -passin pass:" + chars(ALNUM, 10)),
    ],
    "base64 wrapped at 76 or 64 columns": [
        ("TLS_KEY_B64", wrapped(pem("RSA PRIVATE KEY"), 76)),
        ("SSH_KEY_DATA", wrapped(pem("OPENSSH PRIVATE KEY"), 64)),
        (
            "APP_ENV_B64",
            wrapped("DB_HOST=db\nDB_PASSWORD=" + chars(ALNUM, 16) + "\nDEBUG=false\n" * 3, 76),
        ),
        (
            "CONFIG_B64",
            wrapped(
                json.dumps({"db": {"host": "db", "password": chars(ALNUM, 16)}, "pad": "x" * 40}),
                76,
            ).replace("\n", "\r\n"),
        ),
    ],
    "word-like values under a strong name": [
        ("ADMIN_PASSWORD", "P@ss.word"),
        ("DB_PASSWORD", "internal"),
        ("JWT_SECRET", "internal"),
        ("API_TOKEN", "local"),
        ("DB_PASSWORD", "github"),
        ("SMTP_PASSWORD", "ops@example.com"),
        ("SECRET_KEY", "dev.secret"),
        ("REDIS_PASSWORD", "session"),
        ("MINIO_ACCESS_KEY", "minio"),  # a word under a key name, not the name of a Secret's key
    ],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [pytest.param(n, v, id=f"{cls}: {n}") for cls, rows in MISSES.items() for n, v in rows],
)
def test_a_literal_secret_is_found(name: str, value: str) -> None:
    assert detect(name, value) is not None


NOT_SECRETS_NEAR_THE_NEW_RULES = [
    ("ACTION", "actions/checkout@v4"),
    ("IMAGE", "docker.io/library/postgres@sha256:" + chars(HEX, 64)),
    ("NPM_PACKAGE", "@scope/pkg@1.2.3"),
    ("CALLBACK_URL", "https://app.example.com:8443/done?by=ops@example.com"),
    ("NPM_REGISTRY_URL", "https://registry.npmjs.org:443/@babel/core"),
    ("FILES_URL", "http://static.example.com:8080/img/logo@2x.png"),
    ("COMMAND", "mysql -h db -u app -p shop"),  # -p alone: mysql prompts
    ("DOCKER_ARGS", "run -p 8080:80 -p 9090:9090 nginx"),
    ("ARGS", "--password-file /run/secrets/db --token-ttl 3600"),
    ("ARGS", "--db-password $(DB_PASSWORD) --api-key ${API_KEY}"),
    ("LOGIN", "echo $TOKEN | docker login --password-stdin registry.example.com"),
    ("DOCS_URL", "https://docs.example.com/keys/rotation"),
    ("HOOKS_URL", "https://api.github.com/repos/acme/app/hooks/12345678"),
    (
        "BASE64_CONFIG",
        wrapped("log_level: info\nregion: eu-west-1\nreplicas: 3\nfeatures: [a, b]\n", 76),
    ),
    ("AUTH", "oidc"),
    ("AUTH_MODE", "internal"),
    ("AUTH_LDAP_BIND_DN", "cn=admin,dc=example,dc=org"),
    ("PASSWORD_HASHING", "argon2id"),
    ("API_KEY", "your-api-key-here"),
    ("API_KEY", "REPLACE_ME"),
    ("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-dataset=prod"),
    ("MAPBOX_STYLE_URL", "https://api.mapbox.com/styles/v1/acme/x?access_token=" + MAPBOX_PUBLIC),
    ("SEALED_SECRET_NAME", "db-credentials"),
    # A credential word followed by words that describe a setting about it
    ("PASSWORD_LOCKOUT_THRESHOLD", "5"),
    ("PASSWORD_UPPERCASE", "1"),
    ("TOKEN_STORAGE", "redis"),
    ("TOKEN_CACHE", "memcached"),
    ("PASSWORD_VALIDATORS", "django.contrib.auth.password_validation.MinimumLengthValidator"),
]


@pytest.mark.parametrize(
    ("name", "value"),
    NOT_SECRETS_NEAR_THE_NEW_RULES,
    ids=[n for n, _ in NOT_SECRETS_NEAR_THE_NEW_RULES],
)
def test_look_alikes_of_the_new_rules_pass(name: str, value: str) -> None:
    assert detect(name, value) is None
