"""gunicorn settings for Gatehouse: ``gunicorn -c python:webhook.gunicorn_conf 'webhook.app:create_app()'``.

Every knob comes from the environment so the image, ``make run`` and the tests
start the very same configuration:

  GATEHOUSE_BIND        address to listen on (default 0.0.0.0:8443)
  GATEHOUSE_TLS_CERT    server certificate (PEM)      GATEHOUSE_TLS_KEY  its key
  GATEHOUSE_CLIENT_CA   optional CA; when set, /validate answers only callers with a certificate it signed
  GATEHOUSE_WORKERS     worker processes, one event loop each (default: one per usable core)
  GATEHOUSE_CONFIG      policy config file            GATEHOUSE_MODE     enforce | dry-run
"""

import os
import shutil
import ssl
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from policies.config import ConfigError
from webhook import audit_log, settings
from webhook.tls import RotatingContext, TlsFiles
from webhook.worker import usable_cores

bind = os.environ.get("GATEHOUSE_BIND", "0.0.0.0:8443")
# An event loop per worker, by measurement (README "Performance"): sync closes every
# connection, so each review pays a TLS handshake; gevent's tail under saturation is
# unfair; gthread hands every request to a thread (webhook/worker.py says why not).
worker_class = "webhook.worker.GatehouseWorker"
# One loop per usable core (README "Performance": two loops sharing a core serve a
# fifth fewer reviews than one): the CPU affinity, capped by a container's CPU quota.
workers = int(os.environ.get("GATEHOUSE_WORKERS") or usable_cores())
# The API server keeps idle connections for 90 s and has no TLS session cache.
keepalive = 120
# Well inside the API server's 10 s webhook timeout (the chart sets 5 s).
timeout = 8
graceful_timeout = 20
limit_request_line = 8190
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GATEHOUSE_LOG_LEVEL", "info")
proc_name = "gatehouse"
control_socket_disable = True  # no runtime control surface in a webhook pod

certfile = os.environ.get("GATEHOUSE_TLS_CERT", "/etc/gatehouse/tls/tls.crt")
keyfile = os.environ.get("GATEHOUSE_TLS_KEY", "/etc/gatehouse/tls/tls.key")
_tls = TlsFiles(certfile, keyfile, os.environ.get("GATEHOUSE_CLIENT_CA") or None)

# Metrics from every worker land in one directory that /metrics adds up. A directory
# we make is ours to empty and remove; one the user names is only emptied at start.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gatehouse-metrics-")
    os.environ["GATEHOUSE_OWNS_METRICS_DIR"] = "1"


def on_starting(server: Any) -> None:
    try:
        config = settings.load()
        RotatingContext(_tls)
    except ConfigError as exc:
        sys.exit(f"gatehouse: {exc}")
    except (OSError, ssl.SSLError) as exc:
        sys.exit(f"gatehouse: cannot load the TLS certificate {certfile} and key {keyfile}: {exc}")
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for name in os.listdir(metrics_dir):  # counters start at zero with the master
        os.unlink(os.path.join(metrics_dir, name))
    server.log.info("gatehouse: mode %s, config %s", config.mode, config.source)


def on_reload(server: Any) -> None:
    """SIGHUP: new workers get the new config, or the old one if the new one is invalid."""
    try:
        config = settings.load()
        server.log.info("gatehouse: reloaded config, mode %s", config.mode)
    except ConfigError as exc:
        server.log.error("gatehouse: keeping the previous config: %s", exc)


_rotating: RotatingContext | None = None  # made in each worker on its first connection


def ssl_context(conf: Any, default_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    global _rotating
    if _rotating is None:
        _rotating = RotatingContext(_tls)
    return _rotating.get()


def worker_exit(server: Any, worker: Any) -> None:
    audit_log.flush()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if os.environ.get("GATEHOUSE_OWNS_METRICS_DIR"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
