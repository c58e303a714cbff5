"""gunicorn settings for Gatehouse: ``gunicorn -c python:webhook.gunicorn_conf 'webhook.app:create_app()'``.

Every knob comes from ``GATEHOUSE_*`` variables, read once by
``webhook.options.ServerOptions`` (its fields list them), so the image,
``make run`` and the tests start the very same configuration. Two listeners:
``GATEHOUSE_BIND`` (HTTPS, what the API server calls) and
``GATEHOUSE_PROBE_BIND`` (plain HTTP, probes and metrics). TLS is the worker's
own business (webhook/worker.py), so gunicorn itself is told of no certificate.
"""

import os
import shutil
import ssl
import sys
import tempfile
from typing import Any

from policies.config import ConfigError
from webhook import active_config
from webhook.options import ManagedTlsOptions, OptionsError, ServerOptions
from webhook.tls import RotatingContext
from webhook.worker import usable_cores

try:
    options = ServerOptions.from_environ()
except OptionsError as exc:
    sys.exit(f"gatehouse: {exc}")

bind = [options.bind, options.probe_bind]
# An event loop per worker, by measurement (docs/decisions/0002-event-loop-worker.md):
# sync closes every connection, so each review pays a TLS handshake; gevent's tail
# under saturation is unfair; gthread hands every request to a thread.
worker_class = "webhook.worker.GatehouseWorker"
# One loop per usable core (two loops sharing a core serve a fifth fewer reviews than
# one): the CPU affinity, capped by a container's CPU quota.
workers = options.workers or usable_cores()
worker_connections = options.max_connections
# The review budget keeps every request far inside this; it is the backstop for a bug.
timeout = 8
graceful_timeout = 20
limit_request_line = 8190
accesslog = None
errorlog = "-"
loglevel = options.log_level
proc_name = "gatehouse"
control_socket_disable = True  # no runtime control surface in a webhook pod

# Metrics from every worker land in one directory that /metrics adds up. A directory
# we make is ours to empty and remove; one the user names is only emptied at start.
# Set before anything imports prometheus_client, which reads it once.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gatehouse-metrics-")
    os.environ["GATEHOUSE_OWNS_METRICS_DIR"] = "1"


def on_starting(server: Any) -> None:
    try:
        config = active_config.load(options)
        RotatingContext(options.tls_files)  # fail at start-up, not on the first connection
    except ConfigError as exc:
        sys.exit(f"gatehouse: {exc}")
    except (OSError, ssl.SSLError) as exc:
        sys.exit(
            f"gatehouse: cannot load the TLS certificate {options.tls_cert_file} "
            f"and key {options.tls_key_file}: {exc}"
        )
    if options.managed_tls is not None:
        _start_cert_controller(server, options.managed_tls)
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for name in os.listdir(metrics_dir):  # counters start at zero with the master
        os.unlink(os.path.join(metrics_dir, name))
    server.log.info(
        "gatehouse: mode %s, config %s; admission https://%s, probes and metrics http://%s",
        config.mode,
        config.source,
        options.bind,
        options.probe_bind,
    )


def on_reload(server: Any) -> None:
    """SIGHUP: new workers get the new config, or the old one if the new one is invalid."""
    try:
        config = active_config.load(options)
        server.log.info("gatehouse: reloaded config, mode %s", config.mode)
    except ConfigError as exc:
        server.log.error("gatehouse: keeping the previous config: %s", exc)


def worker_exit(server: Any, worker: Any) -> None:
    from webhook import audit_log

    audit_log.flush()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


# tls.mode=managed: the certificate controller, a thread of this (master) process.
_cert_controller: Any = None


def _start_cert_controller(server: Any, managed: ManagedTlsOptions) -> None:
    """One controller per pod, in the master: the workers only read the pair it installs.

    Started before the first worker is forked; a forked worker has none of its
    threads and never touches its objects (docs/decisions/0004-managed-tls.md).
    """
    global _cert_controller
    from webhook.managed_tls.cluster import ClusterApi, Target, connect
    from webhook.managed_tls.controller import CertController

    directory = os.path.dirname(os.path.abspath(options.tls_cert_file))
    if not os.access(directory, os.W_OK):
        sys.exit(f"gatehouse: managed TLS needs a writable directory for the pair: {directory}")
    try:
        api = connect(managed.kubeconfig)
    except Exception as exc:
        sys.exit(f"gatehouse: managed TLS cannot reach the API server: {type(exc).__name__}: {exc}")
    target = Target(managed.namespace, managed.secret_name, managed.webhook)
    _cert_controller = CertController(managed, options.tls_files, ClusterApi(api, target))
    _cert_controller.start()
    server.log.info(
        "gatehouse: managed TLS for %s, Secret %s/%s, webhook %s",
        ",".join(managed.dns_names),
        managed.namespace,
        managed.secret_name,
        managed.webhook,
    )


def on_exit(server: Any) -> None:
    if _cert_controller is not None:
        _cert_controller.stop()
    if os.environ.get("GATEHOUSE_OWNS_METRICS_DIR"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
