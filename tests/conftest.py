"""Shared fixtures: a fresh app per test, and the real gunicorn server."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from policies.config import Config, load_config
from tests.server import Server, serve
from webhook import audit_log
from webhook.app import create_app

# Decision lines are batched and, in the server, written by a thread every 0.2 s; here
# that thread could write between two tests, where no test captures the output.
audit_log.flush_in_the_foreground()

# The control plane's fixtures, for the cluster suite and the e2e scenarios it runs.
pytest_plugins = ("tests.cluster.fixtures",)


@pytest.fixture(autouse=True)
def _flush_decision_lines() -> Iterator[None]:
    """Decision lines are batched; flushing after each test keeps them in its captured output."""
    yield
    audit_log.flush()


@pytest.fixture
def config() -> Config:
    return load_config()


@pytest.fixture
def app(config: Config) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real gunicorn + TLS server per test module, default config, enforce mode."""
    with serve(Path(tmp_path_factory.mktemp("server"))) as running:
        yield running
