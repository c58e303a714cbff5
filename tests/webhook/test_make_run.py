"""`make run`, the README's first command, really serves the webhook over TLS; and when it
cannot, says why in one line."""

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from tests.manifests import leaky_container, pod, review
from tests.server import REPO, free_port


def test_make_run_serves_reviews_with_the_dev_certificate(tmp_path: Path) -> None:
    port, probe_port = free_port(), free_port()
    certs = tmp_path / "certs"
    process = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "run",
            f"PORT={port}",
            f"PROBE_PORT={probe_port}",
            f"CERT_DIR={certs}",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    try:
        url = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = requests.get(f"http://127.0.0.1:{probe_port}/readyz", timeout=2)
                break
            except (requests.ConnectionError, OSError):  # not listening, or no CA written yet
                assert process.poll() is None, (
                    process.stdout.read().decode() if process.stdout else ""
                )
                assert time.monotonic() < deadline, "make run did not start serving in 60 s"
                time.sleep(0.2)
        assert ready.status_code == 200
        answer = requests.post(
            f"{url}/validate?timeout=5s",
            data=json.dumps(review(pod(leaky_container()))),
            headers={"Content-Type": "application/json"},
            verify=certs / "ca.pem",
            timeout=10,
        ).json()
        assert answer["response"]["allowed"] is False
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_a_port_in_use_is_one_line_at_once_not_gunicorns_retries(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                "make",
                "--no-print-directory",
                "run",
                f"PORT={port}",
                f"PROBE_PORT={free_port()}",
                f"CERT_DIR={tmp_path / 'certs'}",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "MAKEFLAGS": ""},
            check=False,
        )
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if line.startswith("make run: ")]
    assert ours == [
        f"make run: port {port} is in use on 127.0.0.1; stop what listens there, or choose "
        f"another: PORT={port + 1} make run"
    ]
    output = done.stdout + done.stderr
    assert "Connection in use" not in output and "Starting gunicorn" not in output
