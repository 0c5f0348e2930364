"""The Time4VPS API client: the only code that talks to the provider.

Plain values in, dataclasses out (see models.py); every failure is one of the exceptions in
errors.py. Each logical call is guarded by the account's circuit breaker, which wraps the
whole retried request: a call retried four times is one failure for the breaker.
"""

from __future__ import annotations

import base64
import contextvars
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pybreaker
import requests
import structlog
import tenacity
from django.conf import settings
from urllib3.exceptions import NewConnectionError

from . import models
from .circuit import circuit_breaker_for
from .errors import (
    AuthenticationError,
    CircuitOpenError,
    InvalidResponseError,
    NotFoundError,
    ProviderRequestError,
    ProviderUnavailableError,
    Time4VPSError,
)
from .models import OsTemplate, ProviderTask, ServerBrief, ServerDetails

log = structlog.get_logger(__name__)

T = TypeVar("T")

USER_AGENT = f"fleet-platform/0.1 (Time4VPS client) python-requests/{requests.__version__}"
# First wait window of the exponential backoff; each retry doubles it, up to retry_max_wait.
BACKOFF_MULTIPLIER_SECONDS = 0.5
MAX_PROVIDER_MESSAGE_CHARS = 500
NOT_FOUND_MESSAGE = re.compile(r"not found|invalid (task|server) id|does not exist|no such", re.IGNORECASE)
_NOT_JSON = object()


class _Cancelled(Exception):
    """A get_servers fetch skipped because another one already failed."""


def _provider_message(body: Any) -> str | None:
    """The message of an `{"error": [...]}` body, as the official library builds it."""
    if not isinstance(body, dict) or "error" not in body:
        return None
    errors = body["error"]
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list) and errors and isinstance(errors[0], str):
        return "; ".join(item if isinstance(item, str) else json.dumps(item) for item in errors)
    # The official library JSON-encodes the whole array when its first element is not a string.
    return json.dumps(errors, ensure_ascii=False)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _never_reached_server(error: requests.RequestException) -> bool:
    """True only when the TCP connection could not be opened, so no byte of the request was sent."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)  # urllib3's MaxRetryError
        return isinstance(reason, NewConnectionError)  # refused, unreachable, DNS failure
    return False


class Time4VPSClient:
    """A client for one Time4VPS account.

    Timeouts, retries and the circuit breaker default to the PROVIDER_* settings, read when
    the client is built; keyword arguments override them. `circuit_key` names the account's
    circuit breaker (None: no breaker). Use it as a context manager, or call close().

    One client is meant for one thread (its Session is not thread-safe); get_servers() runs its
    own pool with a Session per thread.
    """

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        circuit_key: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_attempts: int | None = None,
        retry_max_wait: float | None = None,
    ) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL such as https://billing.time4vps.com/api")
        if parts.username or parts.password:
            raise ValueError("base_url must not contain credentials: pass username and password")
        if not username or not password:
            raise ValueError("username and password are required")
        self.base_url = base_url.rstrip("/")
        self.circuit_key = circuit_key
        # As UTF-8 bytes: requests would encode str credentials as Latin-1 and fail on other characters.
        self._auth = (username.encode(), password.encode())
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._secrets = [secret for secret in (token, password) if len(secret) >= 4]
        self.connect_timeout = float(
            settings.PROVIDER_CONNECT_TIMEOUT_SECONDS if connect_timeout is None else connect_timeout
        )
        self.read_timeout = float(settings.PROVIDER_READ_TIMEOUT_SECONDS if read_timeout is None else read_timeout)
        self.retry_attempts = max(
            1, int(settings.PROVIDER_RETRY_ATTEMPTS if retry_attempts is None else retry_attempts)
        )
        self.retry_max_wait = float(
            settings.PROVIDER_RETRY_MAX_WAIT_SECONDS if retry_max_wait is None else retry_max_wait
        )
        self._breaker = circuit_breaker_for(circuit_key) if circuit_key is not None else None
        self._jitter = tenacity.wait_random_exponential(multiplier=BACKOFF_MULTIPLIER_SECONDS, max=self.retry_max_wait)
        self._session = self._new_session()

    def __repr__(self) -> str:
        return f"Time4VPSClient(base_url={self.base_url!r}, circuit_key={self.circuit_key!r})"

    def __enter__(self) -> Time4VPSClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # --- the API ------------------------------------------------------------------------------

    def list_servers(self) -> list[ServerBrief]:
        """Every active server of the account (`GET /server`)."""
        return self._parse("GET", "/server", models.parse_server_list, self._call("GET", "/server"))

    def get_server(self, server_id: int) -> ServerDetails:
        """One server's details (`GET /server/{id}`)."""
        return self._get_server(_check_id(server_id, "server_id"), session=self._session, cancel=None)

    def get_servers(self, server_ids: Iterable[int], *, max_workers: int) -> list[ServerDetails]:
        """The details of several servers, fetched at most `max_workers` at a time, in the order asked.

        All or nothing: the first failure stops the fetches not yet started (and the retries of
        those under way) and is raised, so a caller never gets a partial set.
        """
        ids = [_check_id(server_id, "server_id") for server_id in server_ids]
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValueError("max_workers must be a positive integer")
        if not ids:
            return []
        cancel = threading.Event()
        local = threading.local()
        sessions: list[requests.Session] = []
        first_error: list[BaseException] = []
        guard = threading.Lock()

        def fetch(server_id: int) -> ServerDetails:
            if cancel.is_set():
                raise _Cancelled
            session = getattr(local, "session", None)
            if session is None:  # one Session per pool thread: a Session is not thread-safe
                session = local.session = self._new_session()
                with guard:
                    sessions.append(session)
            try:
                return self._get_server(server_id, session=session, cancel=cancel)
            except BaseException as error:
                with guard:
                    if not first_error:
                        first_error.append(error)
                cancel.set()
                raise

        executor = ThreadPoolExecutor(max_workers=min(max_workers, len(ids)), thread_name_prefix="time4vps")
        try:
            # Each fetch runs in a copy of the caller's context, so log context (task id...) follows it.
            futures = [executor.submit(contextvars.copy_context().run, fetch, server_id) for server_id in ids]
            wait(futures, return_when=FIRST_EXCEPTION)
            if first_error:
                raise first_error[0]
            return [future.result() for future in futures]
        finally:
            cancel.set()
            executor.shutdown(wait=True, cancel_futures=True)
            for session in sessions:
                session.close()

    def list_oses(self, server_id: int) -> list[OsTemplate]:
        """The OS templates a server can be reinstalled with (`GET /server/{id}/oses`)."""
        path = f"/server/{_check_id(server_id, 'server_id')}/oses"
        return self._parse("GET", path, models.parse_os_list, self._call("GET", path))

    def reinstall(self, server_id: int, *, os: str, ssh_key: str | None = None, script: int | None = None) -> int:
        """Reinstall a server with `os` — this WIPES it, data and backups. Returns the task id."""
        if not isinstance(os, str) or not os.strip():
            raise ValueError("os must be an OS template code from list_oses()")
        body: dict[str, Any] = {"os": os}
        if ssh_key is not None:
            body["ssh_key"] = ssh_key
        if script is not None:
            body["script"] = _check_id(script, "script")
        return self._action(server_id, "reinstall", body)

    def reset_password(self, server_id: int) -> int:
        """Set a new password for the server's privileged user; get_task() reveals it. Returns the task id."""
        return self._action(server_id, "resetpassword", None)

    def reboot(self, server_id: int) -> int:
        """Reboot a server. Returns the task id."""
        return self._action(server_id, "reboot", None)

    def get_task(self, server_id: int, task_id: int) -> ProviderTask:
        """A task's progress and results (`GET /server/{id}/task/{task_id}`)."""
        task_id = _check_id(task_id, "task_id")
        path = f"/server/{_check_id(server_id, 'server_id')}/task/{task_id}"
        return self._parse("GET", path, lambda body: models.parse_task(body, task_id), self._call("GET", path))

    # --- plumbing -----------------------------------------------------------------------------

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.auth = self._auth
        # As the official library: JSON in and out, Content-Type on every request.
        session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Content-Type": "application/json"}
        )
        return session

    def _get_server(
        self, server_id: int, *, session: requests.Session, cancel: threading.Event | None
    ) -> ServerDetails:
        path = f"/server/{server_id}"
        body = self._call("GET", path, session=session, cancel=cancel)
        return self._parse("GET", path, lambda data: models.parse_server_details(data, server_id), body)

    def _action(self, server_id: int, action: str, body: dict[str, Any] | None) -> int:
        path = f"/server/{_check_id(server_id, 'server_id')}/{action}"
        return self._parse("POST", path, models.parse_task_id, self._call("POST", path, body=body))

    def _parse(self, method: str, path: str, parser: Callable[[Any], T], body: Any) -> T:
        try:
            return parser(body)
        except models.ResponseShapeError as error:
            raise InvalidResponseError(
                self._scrub(f"Time4VPS answered {method} {path} with an unexpected body: {error}"),
                method=method,
                path=path,
                status=200,
            ) from None

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        session: requests.Session | None = None,
        cancel: threading.Event | None = None,
    ) -> Any:
        """One logical call: the circuit breaker around the retried request."""
        session = session or self._session
        if self._breaker is None:
            return self._retried(method, path, body, session, cancel)
        try:
            return self._breaker.call(self._retried, method, path, body, session, cancel)
        except pybreaker.CircuitBreakerError as error:
            until = self._breaker.open_until()
            when = f"until {until.isoformat()}" if until else "for now"
            log.warning("time4vps.circuit_open", method=method, path=path, circuit=self.circuit_key, until=until)
            raise CircuitOpenError(
                f"Time4VPS circuit '{self.circuit_key}' is open {when} ({error}): {method} {path} was not sent",
                until=until,
                method=method,
                path=path,
            ) from None

    def _retried(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        session: requests.Session,
        cancel: threading.Event | None,
    ) -> Any:
        idempotent = method == "GET"

        def worth_retrying(error: BaseException) -> bool:
            if not isinstance(error, ProviderUnavailableError):
                return False
            # reinstall/resetpassword/reboot are not idempotent: a repeated reinstall wipes the
            # server twice. A POST is retried only when the request certainly never reached the
            # provider (the connection could not be opened) — never after a read timeout, a
            # dropped connection or a 5xx, when the provider may already have acted on it.
            return idempotent or not error.request_sent

        stop = tenacity.stop_after_attempt(self.retry_attempts)
        if cancel is not None:
            stop = stop | tenacity.stop_when_event_set(cancel)
        retrying = tenacity.Retrying(
            stop=stop, wait=self._wait, retry=tenacity.retry_if_exception(worth_retrying), reraise=True
        )
        for attempt in retrying:
            with attempt:
                return self._attempt(method, path, body, session, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        """Full-jitter exponential backoff, stretched to a Retry-After, capped by retry_max_wait."""
        seconds = self._jitter(retry_state)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            seconds = max(seconds, retry_after)
        return min(seconds, self.retry_max_wait)

    def _attempt(
        self, method: str, path: str, body: dict[str, Any] | None, session: requests.Session, attempt: int
    ) -> Any:
        started = time.monotonic()
        fields = {"method": method, "path": path, "attempt": attempt, "circuit": self.circuit_key}
        try:
            response = session.request(
                method,
                self.base_url + path,
                json=body,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
            )
        except requests.RequestException as error:
            duration_ms = round((time.monotonic() - started) * 1000)
            log.warning("time4vps.request_failed", **fields, duration_ms=duration_ms, error=type(error).__name__)
            raise self._transport_error(error, method, path, attempt) from error
        duration_ms = round((time.monotonic() - started) * 1000)
        level = log.info if response.status_code < 400 else log.warning
        level("time4vps.request", **fields, status=response.status_code, duration_ms=duration_ms)
        return self._answer(response, method, path, attempt)

    def _transport_error(self, error: requests.RequestException, method: str, path: str, attempt: int) -> Time4VPSError:
        where = f"{method} {path}{self._attempt_note(method, attempt)}"
        if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
            return ProviderRequestError(f"Time4VPS request {where} is invalid: {type(error).__name__}")
        if _never_reached_server(error):
            reason = (
                f"could not connect within {self.connect_timeout:g}s"
                if isinstance(error, requests.exceptions.ConnectTimeout)
                else "could not connect"
            )
            sent = False
        elif isinstance(error, requests.exceptions.ReadTimeout):
            reason, sent = f"no answer within {self.read_timeout:g}s", True
        else:
            reason, sent = f"connection failed ({type(error).__name__})", True
        unavailable = ProviderUnavailableError(
            self._scrub(f"Time4VPS is unavailable: {where}: {reason}"), request_sent=sent, method=method, path=path
        )
        if method != "GET" and sent:
            unavailable.retryable = False  # the provider may have acted on it: do not repeat blindly
        return unavailable

    def _answer(self, response: requests.Response, method: str, path: str, attempt: int) -> Any:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = _NOT_JSON
        message = _provider_message(body)
        if 200 <= status < 300 and message is None:
            if body is _NOT_JSON:
                content_type = response.headers.get("Content-Type") or "no content type"
                raise InvalidResponseError(
                    f"Time4VPS answered {method} {path} -> HTTP {status} with a body that is not JSON "
                    f"({content_type}, {len(response.content)} bytes)",
                    method=method,
                    path=path,
                    status=status,
                )
            return body

        detail = message[:MAX_PROVIDER_MESSAGE_CHARS] if message else (response.reason or "no error message")
        where = f"{method} {path} -> HTTP {status}"
        context = {"method": method, "path": path, "status": status}
        if status in (401, 403) or (message and "wronglogin" in message.lower()):
            raise AuthenticationError(
                self._scrub(f"Time4VPS rejected the account's credentials: {where}: {detail}"), **context
            )
        if status == 404 or (message and NOT_FOUND_MESSAGE.search(message)):
            raise NotFoundError(self._scrub(f"Time4VPS found nothing at {where}: {detail}"), **context)
        if status == 429 or status >= 500:
            unavailable = ProviderUnavailableError(
                self._scrub(f"Time4VPS is unavailable: {where}{self._attempt_note(method, attempt)}: {detail}"),
                retry_after=_retry_after_seconds(response),
                **context,
            )
            if method != "GET":
                unavailable.retryable = False  # the provider may have acted on it: do not repeat blindly
            raise unavailable
        raise ProviderRequestError(self._scrub(f"Time4VPS refused {where}: {detail}"), **context)

    def _attempt_note(self, method: str, attempt: int) -> str:
        return f" (attempt {attempt} of {self.retry_attempts})" if method == "GET" else ""

    def _scrub(self, text: str) -> str:
        """Remove the password and the Authorization token, should the provider ever echo them."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def _check_id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer")
    return value
