"""What the fake provider APIs share: a threaded HTTP server on loopback, the requests it
received, the failure rules it answers with, and how many requests it held at once.

A fake subclasses `RecordingHTTPFake`, calls `super().__init__(port=..., name=...)`, and
implements `_handler()` (its request handler class) and `_authorized(header)`; its handler calls
`_arrive(request)` (which records the request and returns the first matching failure rule, if
any) and `_leave()` around every request.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from tests.fakes.time4vps_records import compile_pattern


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here, not an error


class KeepAliveHandler(BaseHTTPRequestHandler):
    """The fakes' request handler base: keep-alive as a real API, quiet, GET and POST to `_handle`."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real API: the client's pooled connections are exercised
    timeout = 10  # an idle kept-alive connection is dropped after this

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        raise NotImplementedError


class RecordingHTTPFake:
    def __init__(self, *, port: int, name: str) -> None:
        self.port = port
        self.requests: list[Any] = []
        self.max_in_flight = 0
        self._name = name
        self._in_flight = 0
        self._rules: list[Any] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
        self._httpd = FakeHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=self._name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _address(self, prefix: str) -> str:
        assert self._httpd is not None, "start() the fake first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{prefix}"

    # --- failure rules and recorded requests ------------------------------------------------------

    def _add_rule(self, rule: Any) -> Any:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_failures(self) -> None:
        with self._lock:
            self._rules.clear()

    def requests_to(self, pattern: str, method: str | None = None) -> list[Any]:
        regex = compile_pattern(pattern)
        with self._lock:
            return [
                r for r in self.requests if regex.fullmatch(r.path) and (method is None or r.method == method.upper())
            ]

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    # --- request handling (called by the handler threads) -----------------------------------------

    def _arrive(self, request: Any) -> Any | None:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            for rule in self._rules:
                if rule.matches(request.method, request.path):
                    rule.hits += 1
                    return rule
        return None

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _handler(self) -> type:
        raise NotImplementedError

    def _authorized(self, header: str | None) -> bool:
        raise NotImplementedError
