"""A test host in its own network namespace, joined to this one by a veth pair.

The API server refuses a loopback address as a Service endpoint, so a Gatehouse
reached through the chart's Service must listen on another address: the test
host's. The pair gets a /30 of 198.18.0.0/15 (RFC 2544, set aside for testing), one
end here and one in the namespace; traffic to the test host never leaves this machine.
"""

import ipaddress
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

TEST_RANGE = ipaddress.ip_network("198.18.0.0/15")


class NetnsError(Exception):
    """The namespace could not be made: the message says what to fix."""


@dataclass(frozen=True)
class TestHost:
    namespace: str
    address: str  # the test host's, inside the namespace
    gateway: str  # this side's end of the pair

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def pids(self) -> list[int]:
        """The processes inside the namespace: only what the tests started there."""
        listed = subprocess.run(
            ["ip", "netns", "pids", self.namespace], capture_output=True, text=True, check=True
        )
        return [int(pid) for pid in listed.stdout.split()]

    def kill_leftovers(self, seconds: float = 10) -> None:
        """SIGKILL whatever still runs inside (a worker orphaned by a killed master,
        holding the port), and wait until nothing does."""
        for pid in self.pids():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + seconds
        while self.pids():
            if time.monotonic() > deadline:
                raise NetnsError(f"processes still in {self.namespace}: {self.pids()}")
            time.sleep(0.05)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _free_block() -> ipaddress.IPv4Network:
    """A /30 no interface of this machine already uses, starting from one chosen by pid."""
    in_use = subprocess.run(
        ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    blocks = list(TEST_RANGE.subnets(new_prefix=30))
    start = os.getpid() % len(blocks)
    for block in blocks[start:] + blocks[:start]:
        if not any(f" {host}/" in in_use for host in block.hosts()):
            return block
    raise NetnsError(f"every /30 of {TEST_RANGE} is in use")


@contextmanager
def test_host(tag: str = "") -> Iterator[TestHost]:
    """A fresh namespace and veth pair, deleted on the way out whatever happened.

    ``tag`` (a letter or two) tells apart the hosts one run makes: one per pod.
    """
    if shutil.which("ip") is None:
        raise NetnsError("the `ip` command (iproute2) is needed: apt-get install iproute2")
    if os.geteuid() != 0:
        raise NetnsError("creating a network namespace needs root (CAP_NET_ADMIN)")
    tag = f"{os.getpid() % 100000}{tag}"  # interface names: 15 characters at most
    namespace, here, there = f"gatehouse-{tag}", f"gh{tag}h", f"gh{tag}n"
    block = _free_block()
    gateway, address = (str(h) for h in block.hosts())
    _ip("netns", "add", namespace)
    try:
        _ip("link", "add", here, "type", "veth", "peer", "name", there, "netns", namespace)
        _ip("addr", "add", f"{gateway}/30", "dev", here)
        _ip("link", "set", here, "up")
        _ip("-n", namespace, "addr", "add", f"{address}/30", "dev", there)
        _ip("-n", namespace, "link", "set", there, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        yield TestHost(namespace, address, gateway)
    finally:
        # Deleting the namespace deletes its end of the pair, and with it this end.
        _ip("netns", "delete", namespace)
