"""``helm test`` for Gatehouse: post one bad and one good Pod review to a running webhook.

The chart's test Pod runs it from the Gatehouse image itself, so it uses the
standard library only:

    python -m webhook.selftest --url https://gatehouse.gatehouse.svc/validate \\
        --ca /etc/gatehouse/tls/ca.crt --mode enforce

It connects the way the API server does: HTTPS to the Service's DNS name,
verified against the CA bundle the webhook configuration carries. A wrong SAN,
a CA that does not match, a server that is down or a policy that does not fire
fails here, with one line saying which. Exit 0: both answers were right;
1: something was wrong; 2: bad arguments.

With ``--client-certificate-required`` (the chart passes it when Gatehouse has a
client CA) the test Pod, which has no certificate from that CA, cannot post
reviews: it checks instead that Gatehouse's certificate verifies and that a
caller without a client certificate is refused at the TLS handshake.
"""

import argparse
import json
import socket
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Sequence
from typing import Any

MODES = ("enforce", "dry-run")
# Not a real namespace: the review is synthetic. It must not be exempt in the config.
DEFAULT_NAMESPACE = "gatehouse-selftest"
SELFTEST_USER = "gatehouse-selftest"
NON_ROOT_UID = 65532

# Runs as root and sets no limits: no-root-containers and require-resource-limits must fire.
BAD_CONTAINER: dict[str, Any] = {
    "name": "bad",
    "image": "gatehouse.invalid/selftest:bad",
    "securityContext": {"runAsUser": 0},
}
# Everything the default policies ask for.
GOOD_CONTAINER: dict[str, Any] = {
    "name": "good",
    "image": "gatehouse.invalid/selftest:good",
    "securityContext": {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID},
    "resources": {
        "requests": {"cpu": "10m", "memory": "16Mi"},
        "limits": {"cpu": "100m", "memory": "64Mi"},
    },
}


class Failure(Exception):
    """The webhook answered wrongly or not at all; the message is the line we print."""


def pod_review(container: dict[str, Any], namespace: str) -> dict[str, Any]:
    """An AdmissionReview v1 for creating a one-container Pod, as the API server sends it."""
    name = f"gatehouse-selftest-{container['name']}"
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "operation": "CREATE",
            "namespace": namespace,
            "name": name,
            "userInfo": {"username": SELFTEST_USER},
            "dryRun": True,
            "object": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"containers": [container]},
            },
        },
    }


def post(
    url: str, review: dict[str, Any], context: ssl.SSLContext, timeout: float
) -> dict[str, Any]:
    """The review's ``response``, checked to answer this very request."""
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in main
        url,
        data=json.dumps(review).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        # https only: main() refuses any other scheme before we get here.
        with urllib.request.urlopen(request, context=context, timeout=timeout) as reply:  # noqa: S310  # nosec B310
            body = json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        raise Failure(f"{url} answered HTTP {exc.code}: {exc.read()[:200]!r}") from None
    except urllib.error.URLError as exc:
        raise Failure(f"cannot reach {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise Failure(f"no valid answer from {url}: {exc}") from None
    response = body.get("response") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        raise Failure(f"{url} answered without an AdmissionReview response: {str(body)[:200]}")
    if response.get("uid") != review["request"]["uid"]:
        raise Failure(f"{url} answered another request (uid {response.get('uid')!r})")
    return response


# TLS 1.3's own alert for "no client certificate". TLS 1.2 only has a generic
# handshake failure, which a cipher mismatch sends too: the check speaks TLS 1.3.
CERTIFICATE_REQUIRED = "TLSV13_ALERT_CERTIFICATE_REQUIRED"


def refused_without_certificate(url: str, context: ssl.SSLContext, timeout: float) -> str:
    """What shows that ``url`` refuses a caller with no client certificate, or Failure.

    TLS 1.3: the client verifies the server's certificate, finishes its side of the
    handshake, and the server's refusal is the alert on the first read. Nothing is
    sent, so the alert cannot be lost to a reset. A server that does not require a
    certificate waits for a request instead and, finally, hangs up.
    """
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            try:
                tls.recv(1)
            except ssl.SSLError as exc:
                if exc.reason == CERTIFICATE_REQUIRED:
                    return "a caller without a client certificate was refused at the TLS handshake"
            except TimeoutError:
                pass  # the handshake was taken: the server is waiting for a request
    except ssl.SSLCertVerificationError as exc:
        raise Failure(f"cannot reach {url}: {exc.verify_message}") from None
    except ssl.SSLError as exc:
        raise Failure(f"no valid TLS handshake with {url}: {exc}") from None
    except OSError as exc:
        raise Failure(f"cannot reach {url}: {exc}") from None
    raise Failure(
        f"{url} took a TLS connection without a client certificate: is the client CA set?"
    )


def judge_bad(response: dict[str, Any], mode: str) -> str:
    """What the bad Pod's answer shows, or Failure if it is not what ``mode`` promises."""
    allowed = response.get("allowed")
    warnings = response.get("warnings") or []
    if mode == "enforce":
        if allowed is not False:
            raise Failure("bad pod was allowed, expected a denial (is the mode really enforce?)")
        message = str((response.get("status") or {}).get("message", ""))
        return f"bad pod denied: {message.splitlines()[0] if message else '(no message)'}"
    if allowed is not True:
        raise Failure("bad pod was denied, expected only warnings (is the mode really dry-run?)")
    if not warnings:
        raise Failure("bad pod was allowed without warnings: no policy fired")
    return f"bad pod allowed with {len(warnings)} warning(s): {warnings[0]}"


def judge_good(response: dict[str, Any]) -> str:
    if response.get("allowed") is not True:
        message = str((response.get("status") or {}).get("message", ""))
        raise Failure(f"good pod was denied: {message}")
    return "good pod allowed"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m webhook.selftest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        required=True,
        help="the webhook's /validate URL, by the DNS name its certificate names",
    )
    parser.add_argument("--ca", required=True, help="PEM CA bundle to verify the server with")
    parser.add_argument("--mode", required=True, choices=MODES, help="the mode Gatehouse runs in")
    parser.add_argument(
        "--namespace",
        default=DEFAULT_NAMESPACE,
        help=f"namespace the reviews claim (default {DEFAULT_NAMESPACE})",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument(
        "--client-certificate-required",
        action="store_true",
        help="Gatehouse requires a client certificate this test does not have: check that "
        "a caller without one is refused, instead of posting reviews",
    )
    args = parser.parse_args(argv)
    if not args.url.startswith("https://"):
        parser.error("--url must be https://: the API server only calls webhooks over TLS")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        context = ssl.create_default_context(cafile=args.ca)
    except (OSError, ssl.SSLError) as exc:
        print(f"FAIL: cannot load the CA bundle {args.ca}: {exc}", file=sys.stderr)
        return 1
    try:
        if args.client_certificate_required:
            print(f"ok: {refused_without_certificate(args.url, context, args.timeout)}")
            return 0
        bad = post(args.url, pod_review(BAD_CONTAINER, args.namespace), context, args.timeout)
        print(f"ok: {judge_bad(bad, args.mode)}")
        good = post(args.url, pod_review(GOOD_CONTAINER, args.namespace), context, args.timeout)
        print(f"ok: {judge_good(good)}")
    except Failure as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
