"""Before ``make run`` starts gunicorn: is each port free? One line and exit 1 if not.

gunicorn retries a port in use five times, a second apart, logging each try;
this answers at once and says which variable picks another port.

    python hack/check_ports.py PORT=127.0.0.1:8443 PROBE_PORT=127.0.0.1:8080
"""

import errno
import socket
import sys


def in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As gunicorn binds: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def main(pairs: list[str]) -> int:
    for pair in pairs:
        variable, _, address = pair.partition("=")
        host, _, port = address.rpartition(":")
        if in_use(host, int(port)):
            print(
                f"make run: port {port} is in use on {host}; stop what listens there, or "
                f"choose another: {variable}={int(port) + 1} make run",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
