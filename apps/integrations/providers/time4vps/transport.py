"""The HTTP side of the Time4VPS client: one account's settings, sessions and requests.

`Time4VPSTransport` is the base of `Time4VPSClient` (client.py), which adds the API methods.
Each logical call (`_call`) is guarded by the account's circuit breaker, which wraps the whole
retried request (retry.py): a call retried four times is one failure for the breaker. Each
attempt is sent and logged here; what its answer means is decided in responses.py.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pybreaker
import requests
import structlog
import tenacity
from django.conf import settings

from apps.integrations.common.outbound import OutboundAddressRefused, outbound_session

from . import responses, retry
from .circuit import circuit_breaker_for
from .errors import CircuitOpenError, ProviderRequestError

# The client's log stream: its request and circuit events keep the logger name they always had.
log = structlog.get_logger("apps.integrations.providers.time4vps.client")

USER_AGENT = f"fleet-platform/0.1 (Time4VPS client) python-requests/{requests.__version__}"


class Time4VPSTransport:
    """The connection to one Time4VPS account: validated settings, Sessions, retried requests.

    Timeouts, retries and the circuit breaker default to the PROVIDER_* settings, read when
    it is built; keyword arguments override them. `circuit_key` names the account's circuit
    breaker (None: no breaker). Connections go only to globally routable addresses, checked as
    each one opens, unless `allow_private_addresses` (default PROVIDER_ALLOW_PRIVATE_ADDRESSES).
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
        allow_private_addresses: bool | None = None,
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
        self.allow_private_addresses = bool(
            settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES if allow_private_addresses is None else allow_private_addresses
        )
        self._breaker = circuit_breaker_for(circuit_key) if circuit_key is not None else None
        self._jitter = retry.jitter(self.retry_max_wait)
        self._session = self._new_session()

    def close(self) -> None:
        self._session.close()

    def _new_session(self) -> requests.Session:
        session = outbound_session(allow_private=self.allow_private_addresses)
        session.auth = self._auth
        # As the official library: JSON in and out, Content-Type on every request.
        session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Content-Type": "application/json"}
        )
        return session

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
        retrying = retry.retrying(method, attempts=self.retry_attempts, wait=self._wait, cancel=cancel)
        for attempt in retrying:
            with attempt:
                return self._attempt(method, path, body, session, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        return retry.backoff_seconds(retry_state, jitter=self._jitter, max_wait=self.retry_max_wait)

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
        except OutboundAddressRefused as error:
            # A configuration problem, not an outage: no retry, and not a failure for the circuit.
            log.warning("time4vps.request_refused", **fields, error=type(error).__name__)
            raise ProviderRequestError(
                f"Time4VPS request {method} {path} was not sent: {error}", method=method, path=path
            ) from None
        except requests.RequestException as error:
            duration_ms = round((time.monotonic() - started) * 1000)
            log.warning("time4vps.request_failed", **fields, duration_ms=duration_ms, error=type(error).__name__)
            raise responses.transport_error(
                error,
                method,
                path,
                attempt_note=self._attempt_note(method, attempt),
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                scrub=self._scrub,
            ) from error
        duration_ms = round((time.monotonic() - started) * 1000)
        level = log.info if response.status_code < 400 else log.warning
        level("time4vps.request", **fields, status=response.status_code, duration_ms=duration_ms)
        return responses.answer_body(
            response, method, path, attempt_note=self._attempt_note(method, attempt), scrub=self._scrub
        )

    def _attempt_note(self, method: str, attempt: int) -> str:
        return f" (attempt {attempt} of {self.retry_attempts})" if method == "GET" else ""

    def _scrub(self, text: str) -> str:
        """Remove the password and the Authorization token, should the provider ever echo them."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text
