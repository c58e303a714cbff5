"""The pod-local files of tls.mode=managed: replaced whole, with their mode, and no
temporary copy of a key left behind when a write fails."""

import errno
import os
from pathlib import Path

import pytest

from webhook.managed_tls.status import write_atomically


def test_a_file_is_replaced_whole_with_its_mode(tmp_path: Path) -> None:
    key = tmp_path / "tls.key"
    key.write_bytes(b"old")
    write_atomically(key, b"new" * 100_000, 0o600)
    assert key.read_bytes() == b"new" * 100_000
    assert key.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["tls.key"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "tls.key"
    key.write_bytes(b"old")

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        write_atomically(key, b"PRIVATE KEY", 0o600)
    assert key.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["tls.key"]
