"""The Flask app the API server talks to: ``gunicorn 'webhook.app:create_app()'``."""

import inspect
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from policies.base import Deadline
from policies.config import Config, ConfigError
from webhook import active_config
from webhook.audit_log import (
    decision_label,
    log_bad_request,
    log_config_error,
    log_decision,
    log_unexpected,
    worth_a_line,
)
from webhook.decision import decide
from webhook.metrics import Metrics
from webhook.options import ServerOptions
from webhook.response import build_response, error_body
from webhook.review import BadRequest, parse_review
from webhook.tls import peer_verified

JSON = "application/json"
MAX_BODY_BYTES = 8 * 1024 * 1024  # large pods are real; anything past this is refused with 413
ADMISSION_PATHS = frozenset({"/validate"})
NOT_HERE = {
    "admission": "not found: this port serves POST /validate only "
    "(probes and metrics are on the probe port)",
    "probes": "not found: this port serves GET /healthz, /readyz and /metrics "
    "(reviews go to /validate on the HTTPS port)",
    None: "not found",
}


class _SyncFlask(Flask):
    """Every view and hook here is a plain function: Flask's check, on each call, for
    one written with ``async def`` is skipped (a few microseconds a review), and made
    once instead, by ``refuse_coroutines`` when the app is built."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def refuse_coroutines(app: Flask) -> None:
    """Raise TypeError if a view, request hook or error handler of ``app`` is ``async
    def``: under ``_SyncFlask`` it would answer a coroutine object, never awaited."""
    found: list[Any] = list(app.view_functions.values())
    for hooks in (app.before_request_funcs, app.after_request_funcs):
        found += [hook for funcs in hooks.values() for hook in funcs]
    for by_code in app.error_handler_spec.values():
        found += [handler for handlers in by_code.values() for handler in handlers.values()]
    for func in found:
        if inspect.iscoroutinefunction(func):
            raise TypeError(f"{func.__qualname__} is async; this app serves plain functions")


def create_app(
    config: Config | None = None,
    options: ServerOptions | None = None,
    require_client_cert: bool | None = None,
) -> Flask:
    """An app judging with ``config``, or with the server's configuration.

    ``options`` defaults to the server's (``ServerOptions.from_environ``).
    ``require_client_cert`` (default: whether a client CA is configured): /validate
    answers only callers whose TLS client certificate verified against that CA.
    Under the worker each request says which listener it came in on, and each
    path answers only on its own: ``/validate`` on the admission port, probes and
    metrics on the probe port. In process (tests) every path answers.
    """
    options = options or ServerOptions.from_environ()
    if require_client_cert is None:
        require_client_cert = options.client_ca is not None
    app = _SyncFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    metrics = Metrics()
    config_error = ""
    if config is None:
        try:
            config = active_config.current(options)
        except ConfigError as exc:
            config_error = str(exc)
            log_config_error(config_error)

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
        # A stray GET / (or a review sent to the probe port) is no admission error.
        if request.path in ADMISSION_PATHS and request.environ.get("gatehouse.listener") in (
            None,
            "admission",
        ):
            metrics.count_error()
        return reply(error_body(message), status)

    @app.before_request
    def only_on_its_own_port() -> Response | None:
        listener = request.environ.get("gatehouse.listener")
        if listener is None:
            return None
        wanted = "admission" if request.path in ADMISSION_PATHS else "probes"
        return None if listener == wanted else not_found(NotFound())

    @app.post("/validate")
    def validate() -> Response:
        started = time.perf_counter()
        deadline = Deadline.after(options.review_budget)
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
        decision = decide(config, review, deadline)
        body = orjson.dumps(build_response(review, decision, options.review_budget))
        seconds = time.perf_counter() - started
        label = decision_label(decision)
        if worth_a_line(decision, label, options.log_allowed):
            log_decision(review, decision, label, seconds)
        metrics.count_review(
            review.operation,
            review.kind or "unknown",
            label,
            decision.findings,
            seconds,
            decision.over_budget,
        )
        metrics.count_exceptions(decision.excepted)
        return Response(body, mimetype=JSON)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b"ok\n", mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> Response:
        if config is None:
            return Response(f"not ready: {config_error}\n", status=503, mimetype="text/plain")
        ready = f"ready: mode {config.mode}, config {config.source}"
        if options.managed_tls is not None:
            from webhook.managed_tls.status import readiness

            trusted, why = readiness(options.tls_files)
            if not trusted:
                return Response(f"not ready: {why}\n", status=503, mimetype="text/plain")
            ready += f", {why}"
        return Response(ready + "\n", mimetype="text/plain")

    def policy_states() -> list[tuple[str, bool]]:
        if config is None:
            return []
        now = datetime.now(UTC)
        return [
            (p.policy.id, p.enabled and config.effect_of(p, now) == "enforce")
            for p in config.policies
        ]

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        return Response(metrics.exposition(policy_states), mimetype="text/plain; version=0.0.4")

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return refuse(NOT_HERE.get(request.environ.get("gatehouse.listener"), "not found"), 404)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        """413, 404, 405 and friends as JSON, like every other answer."""
        return refuse(exc.description or exc.name, exc.code or 400)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        """A bug must not leak a traceback (or an object) to the caller."""
        log_unexpected(exc)
        return reply(error_body("internal error; see the webhook's log"), 500)

    refuse_coroutines(app)
    return app
