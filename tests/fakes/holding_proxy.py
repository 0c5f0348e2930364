"""Proxies that can hold one request or connection on its way, for tests that freeze or kill a
worker at an exact point: an HTTP proxy (in front of the sandbox provider) and a TCP proxy (in
front of the test sshd).

A hold matches once. `arrived` is set when the matching request (or connection) reaches the
proxy; nothing goes on until `release()`. With `after_forwarding`, the HTTP request is passed on
first and only its answer is held: the provider acted, the client has not heard.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.ports import free_port

HOLD_LIMIT_SECONDS = 300  # a held request never outlives a test that forgot to release it


@dataclass
class Hold:
    method: str = ""
    path: re.Pattern | None = None
    nth: int = 1
    after_forwarding: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    seen: int = 0

    def release(self) -> None:
        self.released.set()

    def wait_arrived(self, timeout: float) -> None:
        if not self.arrived.wait(timeout):
            raise AssertionError(f"nothing matching {self.method} {self.path and self.path.pattern} arrived")


class _Holds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: list[Hold] = []

    def add(self, hold: Hold) -> Hold:
        with self._lock:
            self._holds.append(hold)
        return hold

    def take(self, method: str = "", path: str = "") -> Hold | None:
        """The hold this request (or connection) meets, if any: counted, and used up once met."""
        with self._lock:
            for hold in self._holds:
                if hold.method and hold.method != method:
                    continue
                if hold.path is not None and not hold.path.search(path):
                    continue
                hold.seen += 1
                if hold.seen == hold.nth:
                    self._holds.remove(hold)
                    return hold
        return None

    def release_all(self) -> None:
        with self._lock:
            for hold in self._holds:
                hold.release()


class HoldingHttpProxy:
    """Forwards every request to `target` (scheme://host:port), recording (method, path)."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target_host, self.target_port = parts.hostname, parts.port
        self.requests: list[tuple[str, str]] = []
        self._holds = _Holds()
        self._pending: list[Hold] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def hold(self, method: str, path: str, *, nth: int = 1, after_forwarding: bool = False) -> Hold:
        hold = Hold(method=method, path=re.compile(path), nth=nth, after_forwarding=after_forwarding)
        self._pending.append(hold)
        return self._holds.add(hold)

    def count(self, method: str, path: str) -> int:
        pattern = re.compile(path)
        return sum(1 for m, p in self.requests if m == method and pattern.search(p))

    def __enter__(self) -> HoldingHttpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for hold in self._pending:
            hold.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 120

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests.append((method, self.path))
                hold = proxy._holds.take(method, self.path)
                if hold is not None and not hold.after_forwarding:
                    hold.arrived.set()
                    hold.released.wait(HOLD_LIMIT_SECONDS)
                upstream = http.client.HTTPConnection(proxy.target_host, proxy.target_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(method, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                if hold is not None and hold.after_forwarding:
                    hold.arrived.set()
                    hold.released.wait(HOLD_LIMIT_SECONDS)
                with contextlib.suppress(OSError):
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

        return Handler


class HoldingTcpProxy:
    """Forwards every connection to 127.0.0.1:`target_port`; `hold()` holds the next new one
    (accepted, but nothing passed on either way until released)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.connections = 0
        self._holds = _Holds()
        self._pending: list[Hold] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def hold(self) -> Hold:
        hold = Hold()
        self._pending.append(hold)
        return self._holds.add(hold)

    def __enter__(self) -> HoldingTcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        for hold in self._pending:
            hold.release()
        self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()
        self._thread.join(timeout=10)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client, self._holds.take()), daemon=True).start()

    def _serve(self, client: socket.socket, hold: Hold | None) -> None:
        self._sockets.append(client)
        if hold is not None:
            hold.arrived.set()
            hold.released.wait(HOLD_LIMIT_SECONDS)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._sockets.append(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
