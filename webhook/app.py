"""The Flask app the API server talks to: ``gunicorn 'webhook.app:create_app()'``."""

import os
import time

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from policies.config import Config, ConfigError
from webhook import settings
from webhook.audit_log import decision_label, log_bad_request, log_decision
from webhook.decision import decide
from webhook.metrics import Metrics
from webhook.response import build_response, error_body
from webhook.review import BadRequest, parse_review
from webhook.tls import peer_verified

JSON = "application/json"
MAX_BODY_BYTES = 8 * 1024 * 1024  # large pods are real; anything past this is refused with 413


def create_app(config: Config | None = None, require_client_cert: bool | None = None) -> Flask:
    """An app judging with ``config``, or with the server's configuration (see settings).

    ``require_client_cert`` (default: whether GATEHOUSE_CLIENT_CA is set): /validate
    answers only callers whose TLS client certificate verified against that CA, so
    only the API server can ask. Probes and /metrics stay open: the kubelet and
    metrics scrapers present no certificate.
    """
    if require_client_cert is None:
        require_client_cert = bool(os.environ.get("GATEHOUSE_CLIENT_CA"))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    metrics = Metrics()
    config_error = ""
    if config is None:
        try:
            config = settings.active_config()
        except ConfigError as exc:
            config_error = str(exc)
            settings.report_config_error(config_error)

    def reply(body: object, status: int = 200) -> Response:
        return Response(orjson.dumps(body), status=status, mimetype=JSON)

    def read_body() -> bytes:
        """The request body, at most MAX_BODY_BYTES: a longer one is a 413.

        A Content-Length over the limit is refused before anything is read. A
        chunked body has none, and werkzeug stops reading it at the limit without
        a word; one byte more behind it means the body was longer.
        """
        data = request.get_data(cache=False)
        if (
            request.content_length is None
            and len(data) >= MAX_BODY_BYTES
            and request.environ["wsgi.input"].read(1)
        ):
            raise RequestEntityTooLarge()
        return data

    def refuse(message: str, status: int) -> Response:
        log_bad_request(message, status, request.remote_addr)
        metrics.count_error()
        return reply(error_body(message), status)

    @app.post("/validate")
    def validate() -> Response:
        started = time.perf_counter()
        if require_client_cert and not peer_verified(request.environ):
            return refuse("client certificate required", 403)
        if config is None:
            return refuse(f"not ready: {config_error}", 503)
        if request.mimetype != JSON:
            return refuse("content type must be application/json", 415)
        try:
            review = parse_review(read_body())
        except BadRequest as exc:
            return refuse(exc.message, exc.status)
        decision = decide(
            config,
            review.operation,
            review.namespace,
            review.user,
            review.obj,
            review.old_obj,
            review.sub_resource,
        )
        body = orjson.dumps(build_response(review, decision))
        seconds = time.perf_counter() - started
        label = decision_label(decision)
        log_decision(review, decision, label, seconds)
        metrics.count_review(
            review.operation, review.kind or "unknown", label, decision.findings, seconds
        )
        return Response(body, mimetype=JSON)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b"ok\n", mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> Response:
        if config is None:
            return Response(f"not ready: {config_error}\n", status=503, mimetype="text/plain")
        ready = f"ready: mode {config.mode}, config {config.source}\n"
        return Response(ready, mimetype="text/plain")

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        """413, 404, 405 and friends as JSON, like every other answer."""
        return refuse(exc.description or exc.name, exc.code or 400)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        """A bug must not leak a traceback (or an object) to the caller."""
        settings.report_unexpected(exc)
        return reply(error_body("internal error; see the webhook's log"), 500)

    return app
