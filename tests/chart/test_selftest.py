"""webhook.selftest, the `helm test` program, against the real server in both modes."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.server import Server, free_port, serve
from webhook.selftest import Failure, judge_bad, judge_good, main


@pytest.fixture(scope="module")
def dry_run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("dry-run"), env={"GATEHOUSE_MODE": "dry-run"}) as running:
        yield running


def selftest(server: Server, mode: str, ca: Path | None = None) -> int:
    return main(
        ["--url", f"{server.url}/validate", "--ca", str(ca or server.ca_file), "--mode", mode]
    )


def test_passes_against_an_enforcing_server(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert selftest(server, "enforce") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok: bad pod denied: Gatehouse denied Pod gatehouse-selftest/")
    assert out[1] == "ok: good pod allowed"


def test_passes_against_a_dry_run_server(
    dry_run_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert selftest(dry_run_server, "dry-run") == 0
    assert capsys.readouterr().out.startswith("ok: bad pod allowed with ")


@pytest.mark.parametrize(
    ("server_fixture", "claimed", "message"),
    [
        ("server", "dry-run", "FAIL: bad pod was denied, expected only warnings"),
        ("dry_run_server", "enforce", "FAIL: bad pod was allowed, expected a denial"),
    ],
)
def test_fails_clearly_when_the_mode_is_not_the_expected_one(
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    server_fixture: str,
    claimed: str,
    message: str,
) -> None:
    assert selftest(request.getfixturevalue(server_fixture), claimed) == 1
    assert capsys.readouterr().err.startswith(message)


def test_fails_clearly_on_an_untrusted_certificate(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    assert selftest(server, "enforce", stranger) == 1
    assert "FAIL: cannot reach" in capsys.readouterr().err


def test_fails_clearly_when_nothing_listens(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://127.0.0.1:{free_port()}/validate"
    assert main(["--url", url, "--ca", str(server.ca_file), "--mode", "enforce"]) == 1
    assert capsys.readouterr().err.startswith(f"FAIL: cannot reach {url}")


def test_refuses_plain_http() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--url", "http://gatehouse/validate", "--ca", "ca.crt", "--mode", "enforce"])
    assert exited.value.code == 2


@pytest.mark.parametrize(
    ("response", "mode", "problem"),
    [
        ({"allowed": True, "warnings": []}, "dry-run", "no policy fired"),
        ({"allowed": True}, "enforce", "bad pod was allowed"),
        ({"allowed": False}, "dry-run", "bad pod was denied"),
    ],
)
def test_judging_the_bad_pod(response: dict[str, object], mode: str, problem: str) -> None:
    with pytest.raises(Failure, match=problem):
        judge_bad(response, mode)


def test_judging_the_good_pod() -> None:
    assert judge_good({"allowed": True}) == "good pod allowed"
    with pytest.raises(Failure, match="good pod was denied: nope"):
        judge_good({"allowed": False, "status": {"message": "nope"}})


@pytest.fixture(scope="module")
def client_ca_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Gatehouse with GATEHOUSE_CLIENT_CA: the handshake requires a certificate from it."""
    workdir = tmp_path_factory.mktemp("client-ca")
    client_ca = workdir / "client-ca.pem"
    trustme.CA(organization_name="kube-apiserver client CA").cert_pem.write_to_path(str(client_ca))
    with serve(workdir, env={"GATEHOUSE_CLIENT_CA": str(client_ca)}) as running:
        yield running


def certificate_check(server: Server, ca: Path | None = None) -> int:
    return main(
        [
            "--url",
            f"{server.url}/validate",
            "--ca",
            str(ca or server.ca_file),
            "--mode",
            "enforce",
            "--timeout",
            "1",
            "--client-certificate-required",
        ]
    )


def test_with_a_client_ca_a_caller_without_a_certificate_is_refused(
    client_ca_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert certificate_check(client_ca_server) == 0
    assert capsys.readouterr().out == (
        "ok: a caller without a client certificate was refused at the TLS handshake\n"
    )


def test_the_certificate_check_fails_where_no_certificate_is_required(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert certificate_check(server) == 1
    assert "took a TLS connection without a client certificate" in capsys.readouterr().err


def test_the_certificate_check_still_verifies_the_server(
    client_ca_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    assert certificate_check(client_ca_server, stranger) == 1
    assert "FAIL: cannot reach" in capsys.readouterr().err


def test_the_certificate_check_fails_when_nothing_listens(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://127.0.0.1:{free_port()}/validate"
    args = ["--url", url, "--ca", str(server.ca_file), "--mode", "enforce"]
    assert main([*args, "--client-certificate-required"]) == 1
    assert capsys.readouterr().err.startswith(f"FAIL: cannot reach {url}")
