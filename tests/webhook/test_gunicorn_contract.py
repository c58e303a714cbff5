"""Every gunicorn internal webhook/worker.py relies on, and what it relies on it to do.

The worker runs gunicorn's parser and WSGI glue on bytes it read itself, so it
leans on names that are not gunicorn's public API. gunicorn is pinned (here and
in the dependency bounds), and this file fails first, naming the internal, when
an upgrade moves one: read it before bumping the pin.
"""

import importlib.metadata
import inspect
import re
from pathlib import Path

from gunicorn import http, util
from gunicorn.config import Config
from gunicorn.http import Request, wsgi
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.base import Worker

REPO = Path(__file__).resolve().parents[2]
PINNED = re.search(
    r"^gunicorn==([\w.]+)", (REPO / "requirements/runtime.txt").read_text(), re.MULTILINE
)


class Socket:
    """What the worker hands gunicorn as a socket: it writes to a buffer."""

    def __init__(self) -> None:
        self.data = bytearray()

    def sendall(self, data: bytes) -> None:
        self.data += data

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass


def parse(raw: bytes) -> Request:
    request = next(http.get_parser(Config(), [raw], ("10.0.0.1", 5000)))
    assert isinstance(request, Request)
    return request


def test_the_installed_gunicorn_is_the_pinned_one() -> None:
    assert PINNED is not None, "requirements/runtime.txt pins no gunicorn"
    assert importlib.metadata.version("gunicorn") == PINNED.group(1)
    assert "gunicorn>=23,<28" in (REPO / "pyproject.toml").read_text()


def test_get_parser_parses_a_request_from_a_list_of_bytes() -> None:
    assert list(inspect.signature(http.get_parser).parameters)[:3] == [
        "cfg",
        "source",
        "source_addr",
    ]
    request = parse(b"POST /validate?timeout=5s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert (request.method, request.path, request.query) == ("POST", "/validate", "timeout=5s")
    assert request.body.read() == b"{}"
    assert request._expected_100_continue is False  # the worker sets it: it sent the 100 itself
    request.force_close()
    assert request.should_close()


def test_a_head_cut_short_raises_no_more_data() -> None:
    """The worker hands over a head that never ended (past its allowance): gunicorn says so."""
    for raw in (b"GET / HT", b"GET / HTTP/1.1\r\nHost: x"):
        try:
            parse(raw)
        except NoMoreData:
            continue
        raise AssertionError(f"{raw!r}: an unfinished head must raise NoMoreData")


def test_wsgi_create_builds_the_environ_and_a_response_that_writes_to_the_socket() -> None:
    assert list(inspect.signature(wsgi.create).parameters)[:5] == [
        "req",
        "sock",
        "client",
        "server",
        "cfg",
    ]
    sock = Socket()
    request = parse(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    resp, environ = wsgi.create(request, sock, ("10.0.0.1", 5000), ("127.0.0.1", 8080), Config())
    assert (environ["PATH_INFO"], environ["SERVER_PORT"], environ["REMOTE_ADDR"]) == (
        "/healthz",
        "8080",
        "10.0.0.1",
    )
    assert environ["gunicorn.socket"] is sock
    assert resp.headers_sent is False
    resp.start_response("200 OK", [("Content-Length", "2")])
    resp.write(b"ok")
    resp.close()
    assert resp.headers_sent is True
    assert bytes(sock.data).startswith(b"HTTP/1.1 200 OK\r\n") and sock.data.endswith(b"ok")
    assert resp.should_close() is False
    resp.force_close()
    assert resp.should_close() is True


def test_the_worker_base_class_has_what_the_worker_uses() -> None:
    for name in ("init_process", "load_wsgi", "notify", "handle_error", "run"):
        assert callable(getattr(Worker, name)), name
    assert list(inspect.signature(Worker.__init__).parameters) == [
        "self",
        "age",
        "ppid",
        "sockets",
        "app",
        "timeout",
        "cfg",
        "log",
    ]
    assert list(inspect.signature(Worker.handle_error).parameters) == [
        "self",
        "req",
        "client",
        "addr",
        "exc",
    ]
    worker = Worker(0, 1, [], None, 30, Config(), None)
    try:
        for attribute in ("cfg", "log", "sockets", "alive", "nr", "max_requests", "ppid", "tmp"):
            assert hasattr(worker, attribute), attribute
    finally:
        worker.tmp.close()
    assert "self.PIPE = os.pipe()" in inspect.getsource(Worker.init_process)
    assert "self.wsgi =" in inspect.getsource(Worker.load_wsgi)


def test_the_config_settings_the_worker_reads() -> None:
    config = Config()
    for name in ("pre_request", "post_request", "graceful_timeout", "worker_connections"):
        assert hasattr(config, name), name
    assert callable(config.pre_request) and callable(config.post_request)


def test_write_error_writes_through_sendall_on_a_non_blocking_socket() -> None:
    sock = Socket()
    util.write_error(sock, 400, "Bad Request", "no")
    assert bytes(sock.data).startswith(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n")


def test_the_parser_and_wsgi_layer_only_read_the_config_so_settled_reads_serve_them() -> None:
    """The worker hands both a config that looks each setting up once (_SettledConfig):
    that holds only while they read settings as attributes and never set one (gunicorn
    keeps caches of its own on the config, which land on the settled one alike)."""
    from webhook.worker import _SettledConfig

    raw = b"POST /validate HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\nContent-Length: 2\r\n\r\n{}"

    class Watched(Config):  # type: ignore[misc]
        def __setattr__(self, name: str, value: object) -> None:
            if name in Config().settings:
                raise AssertionError(f"gunicorn set the config's {name}")
            super().__setattr__(name, value)

    environs = []
    for cfg in (Config(), _SettledConfig(Watched())):
        request = next(http.get_parser(cfg, [raw], ("10.0.0.1", 5000)))
        resp, environ = wsgi.create(request, Socket(), ("10.0.0.1", 5000), ("127.0.0.1", 8443), cfg)
        resp.start_response("200 OK", [("Content-Length", "2")])
        resp.write(b"ok")
        environs.append({k: v for k, v in environ.items() if isinstance(v, str | bool | tuple)})
    assert environs[0] == environs[1] and environs[0]["PATH_INFO"] == "/validate"
