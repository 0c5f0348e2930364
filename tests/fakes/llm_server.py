"""A fake chat model: a real HTTP server on loopback speaking OpenAI's chat completions and
Anthropic's Messages API, answering from a script.

    llm = FakeLLM().start()
    llm.script(use("list_servers", health_status=["degraded"]), say("web1 is low on disk."))
    llm.script(use("list_incidents"), error(503), error(503))   # a scripted turn may be an HTTP error
    llm.repeat(use("fleet_summary"))        # once the script is used up: this, forever
    llm.fail(500, times=2)                  # the next two requests get a 500
    llm.slow(2.0, times=1)                  # the next request is answered after 2 s
    llm.requests[-1].json()                 # what arrived (path, headers, body)
    llm.stop()

`llm.openai_url` is an OpenAI-compatible base URL (…/v1), `llm.anthropic_url` an Anthropic one.
Requests must carry `llm.api_key` (Authorization: Bearer for OpenAI, x-api-key for Anthropic),
or get a 401. Without a script the model answers "done." and calls nothing.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    text: str = ""
    # (tool name, arguments); arguments given as a str are sent as they are (not JSON-encoded).
    calls: tuple[tuple[str, dict[str, Any] | str], ...] = ()
    # An HTTP error status to answer with instead.
    status: int | None = None


def say(text: str) -> Reply:
    return Reply(text=text)


def use(name: str, arguments: dict[str, Any] | str | None = None, **kwargs: Any) -> Reply:
    return Reply(calls=((name, arguments if arguments is not None else kwargs),))


def error(status: int) -> Reply:
    return Reply(status=status)


def use_all(*calls: tuple[str, dict[str, Any]]) -> Reply:
    return Reply(calls=tuple(calls))


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


@dataclass
class _Trouble:
    status: int | None
    delay: float
    times: int


@dataclass
class _State:
    script: list[Reply] = field(default_factory=list)
    repeat: Reply = field(default_factory=lambda: say("done."))
    troubles: list[_Trouble] = field(default_factory=list)
    calls_made: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up


class FakeLLM:
    def __init__(self, *, api_key: str = "sk-fake-model-key-0123456789") -> None:
        self.api_key = api_key
        self.requests: list[Received] = []
        self._state = _State()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base = ""

    @property
    def openai_url(self) -> str:
        return f"{self.base}/v1"

    @property
    def anthropic_url(self) -> str:
        return self.base

    def start(self) -> FakeLLM:
        self._server = _Server((HOST, 0), _handler_for(self))
        self.base = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._state.script = list(replies)

    def repeat(self, reply: Reply) -> None:
        with self._lock:
            self._state.repeat = reply

    def fail(self, status: int, *, times: int = 1) -> None:
        with self._lock:
            self._state.troubles.append(_Trouble(status=status, delay=0.0, times=times))

    def slow(self, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            self._state.troubles.append(_Trouble(status=None, delay=seconds, times=times))

    def _next(self) -> tuple[_Trouble | None, Reply]:
        with self._lock:
            trouble = next((t for t in self._state.troubles if t.times > 0), None)
            if trouble is not None:
                trouble.times -= 1
                if trouble.status is not None:
                    return trouble, self._state.repeat
            reply = self._state.script.pop(0) if self._state.script else self._state.repeat
            self._state.calls_made += 1
            return trouble, reply


def _openai_reply(reply: Reply, number: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.calls:
        message["tool_calls"] = [
            {
                "id": f"call_{number}_{index}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for index, (name, args) in enumerate(reply.calls)
        ]
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.calls else "stop"}],
    }


def _anthropic_reply(reply: Reply, number: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    content += [
        {"type": "tool_use", "id": f"toolu_{number}_{index}", "name": name, "input": args}
        for index, (name, args) in enumerate(reply.calls)
    ]
    return {
        "id": f"msg_{number}",
        "type": "message",
        "role": "assistant",
        "model": "fake-model",
        "content": content,
        "stop_reason": "tool_use" if reply.calls else "end_turn",
    }


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received = Received(self.path, dict(self.headers.items()), body)
            with fake._lock:
                fake.requests.append(received)
            if self.path == "/v1/chat/completions":
                authorized = received.header("Authorization") == f"Bearer {fake.api_key}"
                render = _openai_reply
            elif self.path == "/v1/messages":
                authorized = received.header("x-api-key") == fake.api_key and bool(received.header("anthropic-version"))
                render = _anthropic_reply
            else:
                self._answer(404, {"error": {"message": f"no such endpoint {self.path}"}})
                return
            if not authorized:
                self._answer(401, {"error": {"message": "Incorrect API key provided"}})
                return
            trouble, reply = fake._next()
            if trouble is not None and trouble.delay:
                time.sleep(trouble.delay)
            status = trouble.status if trouble is not None and trouble.status is not None else reply.status
            if status is not None:
                self._answer(status, {"error": {"message": f"fake trouble {status}"}})
                return
            self._answer(200, render(reply, fake._state.calls_made))

    return Handler
