"""Credential formats as data: each with its pattern and the evidence that it works.

A format is a label, an RE2 pattern, at least one value it must catch and at
least one near miss it must let pass; ``tests/policies/test_secret_formats.py``
checks every entry, so a format that nothing tests cannot exist (an entry
without evidence fails at import). Evidence is written as a recipe, literal
parts and runs of random characters from an alphabet (``(B64URL, 36)``), that
the tests expand with a seeded generator: no token-shaped string sits in the
source for a secret scanner to trip on.

A pattern matches where a word starts (no letter or digit before it) unless the
format says ``anywhere``, in which case the pattern carries its own boundaries.
Charset and length are part of each pattern, so a prefix alone, or one inside a
longer word, never matches. Where a token must end, the pattern consumes the
character after it (RE2 has no lookahead): ``END`` and ``END_ALNUM``.

``check`` names a test the matched text must also pass, for what a pattern
cannot say (a base64 credential that decodes to ``user:password``).
Everything derived from the table (the one pattern that finds any format, each
format's literal first characters) is derived in ``secret_detectors``, never
written down a second time.
"""

import base64
from dataclasses import dataclass
from typing import Literal

# A run of n characters drawn from an alphabet, or a literal part.
Run = tuple[str, int]
Recipe = tuple[str | Run, ...]
Check = Literal[
    "basic-credentials", "bearer-credentials", "not-anon-jwt", "anon-jwt", "not-emulator"
]

DIGITS = "0123456789"
HEX = DIGITS + "abcdef"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
ALPHA = UPPER + LOWER
ALNUM = ALPHA + DIGITS
UPPER_DIGITS = UPPER + DIGITS
LOWER_DIGITS = LOWER + DIGITS
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"

END = r"(?:$|[^A-Za-z0-9_-])"  # the token ends: no letter, digit, - or _ follows
END_ALNUM = r"(?:$|[^A-Za-z0-9])"  # no letter or digit follows


@dataclass(frozen=True)
class Format:
    label: str
    pattern: str
    catches: tuple[Recipe, ...]
    passes: tuple[Recipe, ...]
    anywhere: bool = False
    check: Check | None = None

    def __post_init__(self) -> None:
        if not self.catches or not self.passes:
            raise ValueError(f"format {self.label!r}: needs a value it catches and a near miss")


def _b64_of(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _b64url_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


_JWT_HEAD = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"HS256","typ":"JWT"}
_ANON = _b64url_of('{"iss":"supabase","ref":"abcdefghij","role":"anon","iat":1700000000}')
_SERVICE = _b64url_of('{"iss":"supabase","ref":"abcdefghij","role":"service_role","iat":17000}')

FORMATS: tuple[Format, ...] = (
    Format(
        "PEM private key",
        r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----",
        catches=(
            ("-----BEGIN RSA PRIVATE KEY-----\n", (B64, 64), "\n-----END RSA PRIVATE KEY-----"),
            ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n", (B64, 64), "\n"),
        ),
        passes=(("-----BEGIN PUBLIC KEY-----\n", (B64, 64), "\n-----END PUBLIC KEY-----"),),
    ),
    Format(
        "PEM private key",
        r"PuTTY-User-Key-File-\d: ",
        catches=(("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n",),),
        passes=(("PuTTY-User-Key-File: ssh-ed25519",),),
    ),
    Format(
        "base64 DER private key",
        r"M(?:II[A-Za-z0-9+/]{2,3}IBA(?:AKC|DANBgkqhkiG9w0BAQEFAASC)|HcCAQEEI|IGHAgEAMBMGByqGSM49"
        r"|C4CAQAwBQYDK2VwBCIEI)[A-Za-z0-9+/]{20,}",
        catches=(("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", (B64, 300)), ("MHcCAQEEI", (B64, 80))),
        passes=(("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", (B64, 300)),),
    ),
    Format(
        "GCP service account key",
        r'"(?:type"\s*:\s*"service_account"|private_key"\s*:\s*")',
        catches=(('{"type": "service_account", "project_id": "shop-prod"}',),),
        passes=(('{"type": "authorized_user", "project_id": "shop-prod"}',),),
    ),
    Format(
        "Docker config auth",
        r'"auths?"\s*:\s*\{[^{}]*\{[^{}]*"auth"\s*:\s*"[A-Za-z0-9+/]{8,}',
        catches=(('{"auths": {"ghcr.io": {"auth": "', (B64, 24), '"}}}'),),
        passes=(('{"auths": {"ghcr.io": {"auth": ""}}}',),),
    ),
    Format(
        "AWS access key id",
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}" + END_ALNUM,
        catches=(("AKIA", (UPPER_DIGITS, 16)), ("ASIA", (UPPER_DIGITS, 16))),
        passes=(("AKIA", (UPPER_DIGITS, 15)), ("AKIA", (UPPER_DIGITS, 17))),
    ),
    Format(
        "AWS session token",
        r"(?:FwoGZXIvYXdz|IQoJb3JpZ2luX2Vj)[A-Za-z0-9+/=]{80,}",
        catches=(("FwoGZXIvYXdz", (B64, 200)), ("IQoJb3JpZ2luX2Vj", (B64, 200))),
        passes=(("FwoGZXIvYXdz", (B64, 60)),),
    ),
    Format(
        "GCP API key",
        r"AIza[0-9A-Za-z_-]{30,}",
        catches=(("AIza", (B64URL, 35)),),
        passes=(("AIza", (B64URL, 25)),),
    ),
    Format(
        "GCP OAuth client secret",
        r"GOCSPX-[0-9A-Za-z_-]{24,}",
        catches=(("GOCSPX-", (B64URL, 28)),),
        passes=(("GOCSPX-", (B64URL, 20)),),
    ),
    Format(
        "Google OAuth token",
        r"(?:ya29\.[0-9A-Za-z_-]{30,}|1//0[0-9A-Za-z_-]{40,})",
        catches=(("ya29.", (B64URL, 150)), ("1//0", (B64URL, 60))),
        passes=(("ya29.", (B64URL, 20)), ("1//0", (B64URL, 30))),
    ),
    Format(
        "Azure storage account key",
        r"AccountKey=[A-Za-z0-9+/]{20,}",
        catches=(("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=", (B64, 86), "=="),),
        passes=(("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=;EndpointSuffix=x",),),
        check="not-emulator",
    ),
    Format(
        "Azure SAS token",
        r"(?:sig|SharedAccessSignature)=[A-Za-z0-9%+/]{20,}",
        catches=(("https://shop.blob.core.windows.net/b?sv=2022-11-02&sp=r&sig=", (B64, 43)),),
        passes=(("https://shop.blob.core.windows.net/b?sv=2022-11-02&sig=", (B64, 8)),),
    ),
    Format(
        "Azure shared access key",
        r"SharedAccessKey=[A-Za-z0-9+/]{20,}",
        catches=(("Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKey=", (B64, 43), "="),),
        passes=(
            ("Endpoint=sb://localhost;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true",),
        ),
    ),
    Format(
        "GitHub token",
        r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})" + END,
        catches=(("ghp_", (ALNUM, 36)), ("github_pat_", (ALNUM, 22), "_", (ALNUM, 59))),
        passes=(("ghp_", (ALNUM, 30)), ("ghp_", (ALNUM, 36), "-", (ALNUM, 4))),
    ),
    Format(
        "GitLab token",
        r"(?:gl(?:pat|ptt|rt|dt|soat|ffct|cbt|imt|agent|oas|ft|wt)-[0-9A-Za-z_-]{20,}"
        r"|GR1348941[0-9A-Za-z_-]{20,})",
        catches=(("glpat-", (B64URL, 20)), ("GR1348941", (B64URL, 20))),
        passes=(("glpat-", (B64URL, 12)),),
    ),
    Format(
        "Slack token",
        r"(?:xox[abposre]-[0-9A-Za-z-]{10,}|xapp-\d-[0-9A-Za-z-]{20,})",
        catches=(("xoxb-", (DIGITS, 12), "-", (DIGITS, 12), "-", (ALNUM, 24)),),
        passes=(("xoxz-", (DIGITS, 12), "-", (ALNUM, 24)),),
    ),
    Format(
        "Slack webhook URL",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}",
        catches=(("https://hooks.slack.com/services/T", (UPPER_DIGITS, 8), "/B", (ALNUM, 24)),),
        passes=(("https://hooks.slack.com/services/",),),
    ),
    Format(
        "Stripe secret key",
        r"(?:[sr]k_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})",
        catches=(("sk_live_", (ALNUM, 24)), ("rk_test_", (ALNUM, 24)), ("whsec_", (ALNUM, 32))),
        passes=(("sk_live_", (ALNUM, 10)), ("pk_live_", (ALNUM, 24))),
    ),
    Format(
        "Twilio API key",
        r"SK[0-9a-f]{32}" + END,
        catches=(("SK", (HEX, 32)),),
        passes=(("SK", (HEX, 31)), ("SK", (HEX, 33))),
    ),
    Format(
        "Twilio account SID",
        r"AC[0-9a-f]{32}" + END,
        catches=(("AC", (HEX, 32)),),
        passes=(("AC", (HEX, 30)),),
    ),
    Format(
        "SendGrid API key",
        r"SG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{30,}",
        catches=(("SG.", (B64URL, 22), ".", (B64URL, 43)),),
        passes=(("SG.", (B64URL, 22), ".", (B64URL, 12)),),
    ),
    Format(
        "npm token",
        r"npm_[A-Za-z0-9]{36,}" + END,
        catches=(("npm_", (ALNUM, 36)), ("//registry.npmjs.org/:_authToken=", "npm_", (ALNUM, 36))),
        passes=(("npm_", (ALNUM, 20)),),
    ),
    Format(
        "PyPI token",
        r"pypi-[A-Za-z0-9_-]{50,}",
        catches=(("pypi-AgEIcHlwaS5vcmc", (B64URL, 120)),),
        passes=(("pypi-", (B64URL, 30)),),
    ),
    Format(
        "Docker Hub token",
        r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}",
        catches=(("dckr_pat_", (B64URL, 27)),),
        passes=(("dckr_pat_", (B64URL, 10)),),
    ),
    Format(
        "Grafana API key",
        r"eyJrIjoi[A-Za-z0-9+/]{40,}",
        catches=(("eyJrIjoi", (B64, 60)),),
        passes=(("eyJrIjoi", (B64, 20)),),
    ),
    Format(
        "JSON Web Token",
        r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        catches=((_JWT_HEAD, ".", _SERVICE, ".", (B64URL, 43)),),
        passes=(
            (_JWT_HEAD, ".", (B64URL, 40), ".", (B64URL, 43)),
            (_JWT_HEAD, ".", _ANON, ".", (B64URL, 43)),
        ),
        check="not-anon-jwt",
    ),
    Format(
        "Anthropic API key",
        r"sk-ant-[a-z]{3,6}\d{2}-[A-Za-z0-9_-]{40,}",
        catches=(("sk-ant-api03-", (B64URL, 93), "AA"),),
        passes=(("sk-ant-api03-", (B64URL, 20)),),
    ),
    Format(
        "OpenAI-style API key",
        r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{32,}" + END + ")",
        catches=(("sk-proj-", (B64URL, 156)), ("sk-", (ALNUM, 48))),
        passes=(("sk-", (ALNUM, 20)), ("sk-", (ALNUM, 40), "-", (ALNUM, 4))),
    ),
    Format(
        "Groq API key",
        r"gsk_[A-Za-z0-9]{48,}",
        catches=(("gsk_", (ALNUM, 52)),),
        passes=(("gsk_", (ALNUM, 30)),),
    ),
    Format(
        "Replicate API token",
        r"r8_[A-Za-z0-9]{37}" + END,
        catches=(("r8_", (ALNUM, 37)),),
        passes=(("r8_", (ALNUM, 38)),),
    ),
    Format(
        "Hugging Face token",
        r"hf_[A-Za-z]{30,}" + END,
        catches=(("hf_", (ALPHA, 34)),),
        passes=(("hf_", (ALPHA, 20)), ("hf_", (ALPHA, 34), "_", (ALNUM, 3))),
    ),
    Format(
        "Mailgun API key",
        r"(?:key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})" + END,
        catches=(("key-", (HEX, 32)), ((HEX, 32), "-", (HEX, 8), "-", (HEX, 8))),
        passes=(("key-", (HEX, 20)),),
    ),
    Format(
        "Mailchimp API key",
        r"[0-9a-f]{32}-us\d{1,2}" + END,
        catches=(((HEX, 32), "-us21"),),
        passes=(((HEX, 32), "-eu21"),),
    ),
    Format(
        "New Relic key",
        r"(?:NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|[a-f0-9]{36}NRAL)" + END,
        catches=(("NRAK-", (UPPER_DIGITS, 27)), ((HEX, 36), "NRAL")),
        passes=(("NRAK-", (UPPER_DIGITS, 20)),),
    ),
    Format(
        "Shopify token",
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32,}" + END,
        catches=(("shpat_", (HEX, 32)),),
        passes=(("shpat_", (HEX, 20)), ("shpxx_", (HEX, 32))),
    ),
    Format(
        "Heroku API key",
        r"HRKU-[A-Za-z0-9_-]{30,}",
        catches=(("HRKU-", (B64URL, 60)),),
        passes=(("HRKU-", (B64URL, 20)),),
    ),
    Format(
        "HashiCorp Vault token",
        r"hv[sbr]\.[A-Za-z0-9_-]{24,}",
        catches=(("hvs.", (B64URL, 95)), ("hvb.", (B64URL, 110))),
        passes=(("hvs.", (B64URL, 12)),),
    ),
    Format(
        "Atlassian API token",
        r"AT(?:[AC]TT3|BB)[A-Za-z0-9_=.-]{32,}",
        catches=(("ATATT3xFfGF0", (B64URL, 170), "=", (UPPER_DIGITS, 8)),),
        passes=(("ATATT3", (B64URL, 12)),),
    ),
    Format(
        "DigitalOcean token",
        r"do[opr]_v1_[a-f0-9]{64,}" + END,
        catches=(("dop_v1_", (HEX, 64)),),
        passes=(("dop_v1_", (HEX, 40)),),
    ),
    Format(
        "Discord bot token",
        r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}" + END,
        catches=(("M", (B64URL, 23), ".", (B64URL, 6), ".", (B64URL, 38)),),
        passes=(("M", (B64URL, 23), ".", (B64URL, 6), ".", (B64URL, 12)),),
    ),
    Format(
        "Discord webhook URL",
        r"discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}",
        catches=(("https://discord.com/api/webhooks/", (DIGITS, 18), "/", (B64URL, 68)),),
        passes=(("https://discord.com/api/webhooks/", (DIGITS, 18)),),
    ),
    Format(
        "Telegram bot token",
        # Also inside a bot API URL, right after "bot": only a digit may not come before it.
        r"(?:^|[^0-9])\d{8,10}:AA[0-9A-Za-z_-]{30,}" + END,
        catches=(
            ((DIGITS, 10), ":AA", (B64URL, 33)),
            ("https://api.telegram.org/bot", (DIGITS, 10), ":AA", (B64URL, 33), "/sendMessage"),
        ),
        passes=(((DIGITS, 10), ":AA", (B64URL, 12)), ((DIGITS, 12), ":AA", (B64URL, 33))),
        anywhere=True,
    ),
    Format(
        "Square token",
        r"(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43})" + END,
        catches=(("EAAA", (B64URL, 60)), ("sq0csp-", (B64URL, 43))),
        passes=(("sq0csp-", (B64URL, 12)),),
    ),
    Format(
        "Meta access token",
        r"EAA[BCDGIM][A-Za-z0-9]{80,}",
        catches=(("EAAB", (ALNUM, 120)),),
        passes=(("EAAB", (ALNUM, 40)),),
    ),
    Format(
        "age secret key",
        r"AGE-SECRET-KEY-1[A-Z0-9]{50,}" + END,
        catches=(("AGE-SECRET-KEY-1", (BECH32, 58)),),
        passes=(("AGE-SECRET-KEY-1", (BECH32, 20)),),
    ),
    Format(
        "Databricks token",
        r"dapi[a-f0-9]{32,}(?:-\d)?" + END,
        catches=(("dapi", (HEX, 32)),),
        passes=(("dapi", (HEX, 20)),),
    ),
    Format(
        "Grafana token",
        r"(?:glc_[A-Za-z0-9+/]{32,}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        catches=(("glc_", (B64, 120)), ("glsa_", (ALNUM, 32), "_", (HEX, 8))),
        passes=(("glc_", (B64, 20)),),
    ),
    Format(
        "Sentry auth token",
        r"sntry[su]_[A-Za-z0-9+/=_]{40,}",
        catches=(("sntrys_", (B64, 120)), ("sntryu_", (HEX, 64))),
        passes=(("sntryu_", (HEX, 20)),),
    ),
    Format(
        "Doppler token",
        r"dp\.(?:st|ct|pt|sa|scim|audit)\.[A-Za-z0-9_.-]{40,}",
        catches=(("dp.st.prd.", (ALNUM, 43)),),
        passes=(("dp.xx.prd.", (ALNUM, 43)),),
    ),
    Format(
        "Pulumi access token",
        r"pul-[a-f0-9]{40,}" + END,
        catches=(("pul-", (HEX, 40)),),
        passes=(("pul-", (HEX, 20)),),
    ),
    Format(
        "Linear API key",
        r"lin_(?:api|oauth)_[A-Za-z0-9]{32,}" + END,
        catches=(("lin_api_", (ALNUM, 40)),),
        passes=(("lin_api_", (ALNUM, 20)),),
    ),
    Format(
        "Postman API key",
        r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + END,
        catches=(("PMAK-", (HEX, 24), "-", (HEX, 34)),),
        passes=(("PMAK-", (HEX, 24), "-", (HEX, 20)),),
    ),
    Format(
        "Airtable token",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + END,
        catches=(("pat", (ALNUM, 14), ".", (HEX, 64)),),
        passes=(("pat", (ALNUM, 14), ".", (HEX, 30)),),
    ),
    Format(
        "Notion token",
        r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{46})" + END,
        catches=(("secret_", (ALNUM, 43)), ("ntn_", (ALNUM, 46))),
        passes=(("secret_", (ALNUM, 20)),),
    ),
    Format(
        "Supabase key",
        r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,})",
        catches=(("sbp_", (HEX, 40)), ("sb_secret_", (B64URL, 31))),
        passes=(("sb_publishable_", (B64URL, 31)),),
    ),
    Format(
        "PlanetScale token",
        r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,}",
        catches=(("pscale_tkn_", (B64URL, 43)),),
        passes=(("pscale_tkn_", (B64URL, 12)),),
    ),
    Format(
        "Buildkite token",
        r"bkua_[a-f0-9]{40,}" + END,
        catches=(("bkua_", (HEX, 40)),),
        passes=(("bkua_", (HEX, 20)),),
    ),
    Format(
        "CircleCI token",
        r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}" + END,
        catches=(("CCIPAT_", (ALNUM, 22), "_", (HEX, 40)),),
        passes=(("CCIPAT_", (ALNUM, 22), "_", (HEX, 20)),),
    ),
    Format(
        "Netlify token",
        r"nfp_[A-Za-z0-9]{36,}" + END,
        catches=(("nfp_", (ALNUM, 40)),),
        passes=(("nfp_", (ALNUM, 20)),),
    ),
    Format(
        "Fly.io token",
        r"(?:fo1_[A-Za-z0-9_-]{39,}|fm[12][ar]?_[A-Za-z0-9+/=_-]{40,})",
        catches=(("fo1_", (B64URL, 43)), ("fm2_", (B64, 120))),
        passes=(("fo1_", (B64URL, 20)),),
    ),
    Format(
        "RubyGems API key",
        r"rubygems_[a-f0-9]{48,}" + END,
        catches=(("rubygems_", (HEX, 48)),),
        passes=(("rubygems_", (HEX, 20)),),
    ),
    Format(
        "NuGet API key",
        r"oy2[a-z0-9]{43}" + END,
        catches=(("oy2", (LOWER_DIGITS, 43)),),
        passes=(("oy2", (LOWER_DIGITS, 30)),),
    ),
    Format(
        "JFrog token",
        r"(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{40,})",
        catches=(("AKCp", (ALNUM, 69)), ("cmVmdGtuOjAxOj", (ALNUM, 50))),
        passes=(("AKCp", (ALNUM, 40)),),
    ),
    Format(
        "Cloudflare origin CA key",
        r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}" + END,
        catches=(("v1.0-", (HEX, 24), "-", (HEX, 146)),),
        passes=(("v1.0-", (HEX, 24), "-", (HEX, 100)),),
    ),
    Format(
        "Alibaba Cloud access key id",
        r"LTAI[A-Za-z0-9]{12,20}" + END_ALNUM,
        catches=(("LTAI", (ALNUM, 20)),),
        passes=(("LTAI", (ALNUM, 8)),),
    ),
    Format(
        "Tencent Cloud secret id",
        r"AKID[A-Za-z0-9]{32}" + END_ALNUM,
        catches=(("AKID", (ALNUM, 32)),),
        passes=(("AKID", (ALNUM, 20)),),
    ),
    Format(
        "Mapbox secret token",
        r"[st]k\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
        catches=(("sk.eyJ1Ijoi", (B64URL, 50), ".", (B64URL, 22)),),
        passes=(("pk.eyJ1Ijoi", (B64URL, 50), ".", (B64URL, 22)),),
    ),
    Format(
        "LaunchDarkly key",
        r"(?:sdk|api)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}" + END,
        catches=(("sdk-", (HEX, 8), "-", (HEX, 4), "-", (HEX, 4), "-", (HEX, 4), "-", (HEX, 12)),),
        passes=(("mob-", (HEX, 8), "-", (HEX, 4), "-", (HEX, 4), "-", (HEX, 4), "-", (HEX, 12)),),
    ),
    Format(
        "Contentful token",
        r"CFPAT-[A-Za-z0-9_-]{40,}",
        catches=(("CFPAT-", (B64URL, 43)),),
        passes=(("CFPAT-", (B64URL, 20)),),
    ),
    Format(
        "Braintree access token",
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}",
        catches=(("access_token$production$", (LOWER_DIGITS, 16), "$", (HEX, 32)),),
        passes=(("access_token$production$", (LOWER_DIGITS, 16), "$", (HEX, 20)),),
    ),
    Format(
        "Shippo token",
        r"shippo_(?:live|test)_[a-f0-9]{40}" + END,
        catches=(("shippo_live_", (HEX, 40)),),
        passes=(("shippo_live_", (HEX, 30)),),
    ),
    Format(
        "Dropbox token",
        r"sl\.[A-Za-z0-9_-]{130,}",
        catches=(("sl.", (B64URL, 140)),),
        passes=(("sl.", (B64URL, 60)),),
    ),
    Format(
        "SonarQube token",
        r"sq[upa]_[a-f0-9]{40,}" + END,
        catches=(("squ_", (HEX, 40)),),
        passes=(("squ_", (HEX, 20)),),
    ),
    Format(
        "1Password service account token",
        r"ops_eyJ[A-Za-z0-9+/=_-]{40,}",
        catches=(("ops_eyJ", (B64URL, 80)),),
        passes=(("ops_eyJ", (B64URL, 20)),),
    ),
    Format(
        "Twitter bearer token",
        r"A{22}[A-Za-z0-9%]{60,}",
        catches=(("A" * 22, (ALNUM, 80)),),
        passes=(("A" * 22, (ALNUM, 30)),),
    ),
    Format(
        "Dynatrace token",
        r"dt0[a-z]\d{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}" + END,
        catches=(("dt0c01.", (UPPER_DIGITS, 24), ".", (UPPER_DIGITS, 64)),),
        passes=(("dt0c01.", (UPPER_DIGITS, 24), ".", (UPPER_DIGITS, 30)),),
    ),
    Format(
        "Figma token",
        r"fig[dor]_[A-Za-z0-9_-]{40,}",
        catches=(("figd_", (B64URL, 43)),),
        passes=(("figd_", (B64URL, 20)),),
    ),
    Format(
        "xAI API key",
        r"xai-[A-Za-z0-9]{70,}" + END,
        catches=(("xai-", (ALNUM, 80)),),
        passes=(("xai-", (ALNUM, 40)),),
    ),
    Format(
        "Perplexity API key",
        r"pplx-[A-Za-z0-9]{40,}" + END,
        catches=(("pplx-", (ALNUM, 48)),),
        passes=(("pplx-", (ALNUM, 20)),),
    ),
    Format(
        "LangSmith API key",
        r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + END,
        catches=(("lsv2_pt_", (HEX, 32), "_", (HEX, 10)),),
        passes=(("lsv2_pt_", (HEX, 32), "_", (HEX, 5)),),
    ),
    Format(
        "Pinecone API key",
        r"pcsk_[A-Za-z0-9_]{40,}",
        catches=(("pcsk_", (ALNUM, 60)),),
        passes=(("pcsk_", (ALNUM, 20)),),
    ),
    Format(
        "Render API key",
        r"rnd_[A-Za-z0-9]{28,}" + END,
        catches=(("rnd_", (ALNUM, 32)),),
        passes=(("rnd_", (ALNUM, 12)),),
    ),
    Format(
        "Neon API key",
        r"napi_[a-z0-9]{60,}" + END,
        catches=(("napi_", (LOWER_DIGITS, 64)),),
        passes=(("napi_", (LOWER_DIGITS, 30)),),
    ),
    Format(
        "Resend API key",
        r"re_[A-Za-z0-9]{8}_[A-Za-z0-9]{20,}" + END,
        catches=(("re_", (ALNUM, 8), "_", (ALNUM, 24)),),
        passes=(("re_", (ALNUM, 8), "_", (ALNUM, 10)),),
    ),
    Format(
        "Brevo API key",
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}" + END,
        catches=(("xkeysib-", (HEX, 64), "-", (ALNUM, 16)),),
        passes=(("xkeysib-", (HEX, 64), "-", (ALNUM, 8)),),
    ),
    Format(
        "MailerSend token",
        r"mlsn\.[a-f0-9]{64}" + END,
        catches=(("mlsn.", (HEX, 64)),),
        passes=(("mlsn.", (HEX, 30)),),
    ),
    Format(
        "EasyPost API key",
        r"EZ[AT]K[A-Za-z0-9]{54}" + END,
        catches=(("EZAK", (ALNUM, 54)),),
        passes=(("EZAK", (ALNUM, 30)),),
    ),
    Format(
        "Plaid access token",
        r"access-(?:sandbox|development|production)-[a-f0-9-]{36}" + END,
        catches=(
            (
                "access-sandbox-",
                (HEX, 8),
                "-",
                (HEX, 4),
                "-",
                (HEX, 4),
                "-",
                (HEX, 4),
                "-",
                (HEX, 12),
            ),
        ),
        passes=(("access-sandbox-", (HEX, 8)),),
    ),
    Format(
        "Prefect API key",
        r"pnu_[A-Za-z0-9]{36}" + END,
        catches=(("pnu_", (ALNUM, 36)),),
        passes=(("pnu_", (ALNUM, 20)),),
    ),
    Format(
        "ReadMe API key",
        r"rdme_[a-z0-9]{70}" + END,
        catches=(("rdme_", (LOWER_DIGITS, 70)),),
        passes=(("rdme_", (LOWER_DIGITS, 30)),),
    ),
    Format(
        "Typeform token",
        r"tfp_[A-Za-z0-9_.=-]{40,}",
        catches=(("tfp_", (B64URL, 44)),),
        passes=(("tfp_", (B64URL, 20)),),
    ),
    Format(
        "Duffel token",
        r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}" + END,
        catches=(("duffel_test_", (B64URL, 43)),),
        passes=(("duffel_test_", (B64URL, 20)),),
    ),
    Format(
        "Flutterwave secret key",
        r"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X" + END,
        catches=(("FLWSECK_TEST-", (HEX, 32), "-X"),),
        passes=(("FLWSECK_TEST-", (HEX, 32), "-Y"),),
    ),
    Format(
        "Adafruit IO key",
        r"aio_[A-Za-z0-9]{28}" + END,
        catches=(("aio_", (ALNUM, 28)),),
        passes=(("aio_", (ALNUM, 12)),),
    ),
    Format(
        "PostHog personal API key",
        r"phx_[A-Za-z0-9]{40,}" + END,
        catches=(("phx_", (ALNUM, 47)),),
        passes=(("phc_", (ALNUM, 47)),),
    ),
    Format(
        "Firebase Cloud Messaging key",
        r"AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{100,}",
        catches=(("AAAA", (B64URL, 7), ":APA91b", (B64URL, 134)),),
        passes=(("AAAA", (B64URL, 7), ":APA91b", (B64URL, 40)),),
    ),
    Format(
        "Terraform Cloud token",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}",
        catches=(((ALNUM, 14), ".atlasv1.", (B64URL, 67)),),
        passes=(((ALNUM, 14), ".atlasv1.", (B64URL, 30)),),
    ),
    Format(
        "HTTP bearer credentials",
        r"(?i:bearer|token|ssws)\s+[A-Za-z0-9._~+/=-]{16,}",
        catches=(("Authorization: Bearer ", (B64URL, 20), "7", (B64URL, 19)),),
        passes=(("Bearer ", (ALPHA, 40)), ("Token based authentication is enabled",)),
        check="bearer-credentials",
    ),
    Format(
        "HTTP basic credentials",
        r"(?i:basic)\s+[A-Za-z0-9+/]{8,}={0,2}",
        catches=(("Authorization: Basic ", _b64_of("deploy:hunter22")),),
        passes=(("Basic ", _b64_of("deploy-hunter22")), ("basic authentication is required",)),
        check="basic-credentials",
    ),
    # Anywhere: these carry their own boundaries.
    Format(
        "Azure AD client secret",
        r"(?:^|[^\w~.-])[\w~.-]{3}[78]Q~[\w~.-]{31,34}(?:$|[^\w~.-])",
        catches=(((ALNUM, 3), "8Q~", (B64URL, 34)),),
        passes=(((ALNUM, 3), "8Q~", (B64URL, 20)),),
        anywhere=True,
    ),
    Format(
        "Microsoft Teams webhook URL",
        r"\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/_-]{40,}",
        catches=(("https://acme.webhook.office.com/webhookb2/", (HEX, 36), "@", (HEX, 36)),),
        passes=(("https://acme.webhook.office.com/webhookb2/",),),
        anywhere=True,
    ),
    # One JSON object, members in either order: a key type and the private exponent or scalar.
    Format(
        "JWK private key",
        r'\{[^{}]*"kty"\s*:\s*"(?:RSA|EC|OKP)"[^{}]*"d"\s*:\s*"[A-Za-z0-9_-]{16,}'
        r'|\{[^{}]*"d"\s*:\s*"[A-Za-z0-9_-]{16,}[^{}]*"kty"\s*:\s*"(?:RSA|EC|OKP)"',
        catches=(
            ('{"kty": "EC", "crv": "P-256", "x": "', (B64URL, 43), '", "d": "', (B64URL, 43), '"}'),
            ('{"d": "', (B64URL, 43), '", "kty": "OKP", "crv": "Ed25519"}'),
        ),
        passes=(
            ('{"kty": "EC", "crv": "P-256", "x": "', (B64URL, 43), '", "y": "', (B64URL, 43), '"}'),
        ),
        anywhere=True,
    ),
)

# Keys their vendors publish as safe to expose (they identify, and the vendor
# limits what they can do). Reported only when the config asks for them.
PUBLIC_FORMATS: tuple[Format, ...] = (
    Format(
        "Stripe publishable key",
        r"pk_(?:live|test)_[0-9A-Za-z]{16,}",
        catches=(("pk_live_", (ALNUM, 99)),),
        passes=(("pk_live_", (ALNUM, 8)),),
    ),
    Format(
        "Mapbox public token",
        r"pk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
        catches=(("pk.eyJ1Ijoi", (B64URL, 50), ".", (B64URL, 22)),),
        passes=(("pk.eyJ1Ijoi", (B64URL, 50)),),
    ),
    Format(
        "PostHog project API key",
        r"phc_[A-Za-z0-9]{32,}" + END,
        catches=(("phc_", (ALNUM, 43)),),
        passes=(("phc_", (ALNUM, 12)),),
    ),
    Format(
        "Datadog client token",
        r"pub[0-9a-f]{32}" + END,
        catches=(("pub", (HEX, 32)),),
        passes=(("pub", (HEX, 31)),),
    ),
    Format(
        "Supabase publishable key",
        r"sb_publishable_[A-Za-z0-9_-]{20,}",
        catches=(("sb_publishable_", (B64URL, 31)),),
        passes=(("sb_publishable_", (B64URL, 8)),),
    ),
    Format(
        "Supabase anon key",
        r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        catches=((_JWT_HEAD, ".", _ANON, ".", (B64URL, 43)),),
        passes=((_JWT_HEAD, ".", _SERVICE, ".", (B64URL, 43)),),
        check="anon-jwt",
    ),
    Format(
        "Sentry DSN public key",
        r"[a-z]+://[0-9a-f]{32}@[A-Za-z0-9.-]+(?::\d+)?/(?:[A-Za-z0-9._-]+/)*\d+(?:$|[^A-Za-z0-9/])",
        catches=(("https://", (HEX, 32), "@o", (DIGITS, 6), ".ingest.sentry.io/", (DIGITS, 7)),),
        passes=(("https://", (HEX, 32), ":", (HEX, 32), "@sentry.example.com/12"),),
    ),
    Format(
        "New Relic browser key",
        r"NRJS-[a-f0-9]{19}" + END,
        catches=(("NRJS-", (HEX, 19)),),
        passes=(("NRJS-", (HEX, 12)),),
    ),
    Format(
        "Cloudflare Turnstile site key",
        r"0x4AAAAAAA[A-Za-z0-9_-]{10,}",
        catches=(("0x4AAAAAAA", (B64URL, 14)),),
        passes=(("0x4AAAAAAA", (B64URL, 4)),),
    ),
    Format(
        "Braintree tokenization key",
        r"(?:sandbox|production)_[a-z0-9]{8}_[a-z0-9]{16}" + END,
        catches=(("production_", (LOWER_DIGITS, 8), "_", (LOWER_DIGITS, 16)),),
        passes=(("production_", (LOWER_DIGITS, 8), "_", (LOWER_DIGITS, 6)),),
    ),
    Format(
        "Square application id",
        r"sq0idp-[A-Za-z0-9_-]{22}" + END,
        catches=(("sq0idp-", (B64URL, 22)),),
        passes=(("sq0idp-", (B64URL, 10)),),
    ),
)
