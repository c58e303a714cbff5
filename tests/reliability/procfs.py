"""What /proc says about the server's workers: their memory, and which one holds a connection."""

import os
import time
from collections.abc import Iterable
from pathlib import Path

from tests.server import Server


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


def _accepted_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server side of the loopback connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
                and inode
            ):
                return inode
    return None


def _holds(pid: int, link: str) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == link:
                return True
        except OSError:
            continue
    return False


def connection_owner(server: Server, client_port: int, seconds: float = 5.0) -> int | None:
    """The worker pid holding the accepted end of the connection from ``client_port``.

    Polls: a connection is only a worker's once the worker has accepted it.
    """
    deadline = time.monotonic() + seconds
    while True:
        inode = _accepted_inode(server.port, client_port)
        if inode is not None:
            link = f"socket:[{inode}]"
            for pid in server.worker_pids():
                if _holds(pid, link):
                    return pid
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def owners(server: Server, client_ports: Iterable[int]) -> dict[int, int | None]:
    return {port: connection_owner(server, port) for port in client_ports}


def wait_for_workers(
    server: Server, count: int, gone: Iterable[int] = (), seconds: float = 30.0
) -> list[int]:
    """Worker pids once there are ``count`` of them and none of ``gone`` is among them."""
    old = set(gone)
    deadline = time.monotonic() + seconds
    while True:
        pids = server.worker_pids()
        if len(pids) == count and not old & set(pids):
            return pids
        if time.monotonic() > deadline:
            raise AssertionError(f"workers {pids}, wanted {count} without {sorted(old)}")
        time.sleep(0.05)
