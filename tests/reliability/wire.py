"""A small HTTP/1.1-over-TLS client that hears early answers, as the API server's client does.

http.client writes the whole body before it reads: when the server refuses a
body it will not read (413, 415) and closes, http.client sees a broken pipe,
never the answer. Go's client, which the API server uses, reads while it
writes. This one checks for an answer between 64 KiB pieces, so a test can
tell "answered early" from "dropped".
"""

import select
import socket
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tests.server import Server

PIECE = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    closed: bool  # the connection ended with it (closed by the server, or body broken off)
    sent: int  # body bytes written before the answer came


def pieces(body: bytes) -> Iterator[bytes]:
    return (body[at : at + PIECE] for at in range(0, len(body), PIECE))


class EarlyAnswerClient:
    def __init__(self, server: Server, timeout: float = 30.0) -> None:
        self._server, self._timeout = server, timeout
        self._tls: ssl.SSLSocket | None = None
        self.connections = 0

    def post(self, body: bytes, content_type: str = "application/json") -> Answer:
        return self.stream(pieces(body), content_type, len(body))

    def stream(self, parts: Iterable[bytes], content_type: str, length: int | None) -> Answer:
        """POST ``parts`` with a Content-Length, or chunked when ``length`` is None."""
        tls = self._tls or self._connect()
        framing = (
            f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
        )
        tls.sendall(
            f"POST /validate?timeout=10s HTTP/1.1\r\nHost: localhost\r\n"
            f"Content-Type: {content_type}\r\n{framing}\r\n\r\n".encode()
        )
        sent, early, finished = 0, b"", True
        for part in parts:
            if sent and (early := self._early(tls)):  # after the first piece, as a client would
                finished = False
                break
            try:
                tls.sendall(b"%x\r\n%s\r\n" % (len(part), part) if length is None else part)
            except OSError:
                finished = False  # the server closed as we wrote: its answer is waiting
                break
            sent += len(part)
        if finished and length is None:
            tls.sendall(b"0\r\n\r\n")
        return self._answer(tls, early, sent, finished)

    def close(self) -> None:
        if self._tls is not None:
            self._tls.close()
            self._tls = None

    def _connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self._server.port), timeout=self._timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # head and body, no Nagle wait
        self._tls = self._server.ssl_context().wrap_socket(raw, server_hostname="localhost")
        self.connections += 1
        return self._tls

    def _early(self, tls: ssl.SSLSocket) -> bytes:
        """Answer bytes already here, without blocking (TLS session tickets are not an answer)."""
        if not select.select([tls], [], [], 0)[0]:
            return b""
        tls.setblocking(False)
        try:
            return tls.recv(PIECE)
        except ssl.SSLWantReadError:
            return b""
        except OSError:
            return b""
        finally:
            tls.settimeout(self._timeout)

    def _answer(self, tls: ssl.SSLSocket, data: bytes, sent: int, finished: bool) -> Answer:
        while b"\r\n\r\n" not in data:
            more = self._recv(tls)
            if not more:
                self.close()
                raise ConnectionError(f"closed without an answer after {sent} body bytes")
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = (line.partition(":") for line in lines[1:])
        headers = {name.strip().lower(): value.strip() for name, _, value in fields}
        length = int(headers.get("content-length", "0"))
        while len(body) < length and (more := self._recv(tls)):
            body += more
        # A body broken off midway leaves the connection unusable, whatever the server says.
        closed = (
            not finished or len(body) < length or headers.get("connection", "").lower() == "close"
        )
        if closed:
            self.close()
        return Answer(int(lines[0].split()[1]), body[:length], closed, sent)

    @staticmethod
    def _recv(tls: ssl.SSLSocket) -> bytes:
        try:
            return tls.recv(PIECE)
        except (ssl.SSLError, ConnectionError):
            return b""
