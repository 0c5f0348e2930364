"""Request rates of the API and of login attempts, counted in the default cache.

The cache is Redis in production (CACHE_URL), so every web process shares the counts; in
development and test it is the process's memory. Rates come from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings: API_THROTTLE_*_RATE, LOGIN_THROTTLE_RATE).
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class _RatesFromSettings:
    # DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time, so a changed
    # setting (override_settings, which reloads api_settings) would never reach it.
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ApiUserRateThrottle(_RatesFromSettings, UserRateThrottle):
    """Requests of one signed-in user (scope `user`)."""


class CountingThrottle(_RatesFromSettings, SimpleRateThrottle):
    """Counts requests of one identity in aligned fixed windows, with the cache's atomic `incr`.

    DRF's throttles read a history, append and write it back: parallel requests all read the
    same history and all pass (20 simultaneous guesses got through). Here every counted request
    is one atomic increment, so none is lost however many arrive at once. Works on a DRF Request
    and on a plain Django HttpRequest (the admin's login view).
    """

    key_kind = ""

    def identity(self, request: Any) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        identity = self.identity(request)
        if not identity:
            return None
        # Aligned windows: the key names its window, so it needs no read-modify-write to expire.
        window = int(self.now // self.duration)
        return f"throttle_{self.scope}_{self.key_kind}_{identity}_{window}"

    def _start(self, request: Any) -> bool:
        """Find this request's counter; False when nothing is counted (no rate, no identity)."""
        self.reserved = False
        if self.rate is None:
            return False
        self.now = self.timer()
        self.key = self.get_cache_key(request, None)
        return bool(self.key)

    def _increment(self) -> int:
        # add() is a no-op when the window's counter exists; incr() is atomic in Redis and in
        # the local-memory cache alike.
        self.cache.add(self.key, 0, self.duration)
        try:
            return self.cache.incr(self.key)
        except ValueError:  # the counter expired between add() and incr(): a new window
            self.cache.add(self.key, 1, self.duration)
            return 1

    def allow_request(self, request: Any, view: Any) -> bool:
        """Count this request; False once the window holds more than the rate allows."""
        if not self._start(request):
            return True
        count = self._increment()
        self.reserved = True
        return count <= self.num_requests

    def release(self) -> None:
        """Give back the request allow_request() counted: it turned out not to count."""
        if not getattr(self, "reserved", False):
            return
        self.reserved = False
        with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing left to give back
            self.cache.decr(self.key)

    def wait(self) -> float:
        return self.duration - (self.now % self.duration)


class ApiAnonRateThrottle(CountingThrottle):
    """Requests without credentials, per client IP (scope `anon`), counted while authenticating."""

    scope = "anon"
    key_kind = "ip"

    def identity(self, request: Any) -> str | None:
        return self.get_ident(request)


class AuthFailureThrottle(CountingThrottle):
    """Requests whose token is wrong, expired or malformed, per client IP (scope `auth_failure`).

    Only failures are counted, and a request is refused once its address used up the window:
    right tokens cost one cache read, so many parallel requests of a busy script are never slowed.
    """

    scope = "auth_failure"
    key_kind = "ip"

    def identity(self, request: Any) -> str | None:
        return self.get_ident(request)

    def exhausted(self, request: Any) -> bool:
        if not self._start(request):
            return False
        return (self.cache.get(self.key) or 0) >= self.num_requests

    def record_failure(self, request: Any) -> None:
        if self._start(request):
            self._increment()


class FailedLoginThrottle(CountingThrottle):
    """Failed login attempts (scope `login`).

    allow_request() reserves one attempt before the password is checked, so parallel requests
    cannot all pass on the same count. The view gives the attempt back with release() when the
    credentials were right, so people who type their password right are never slowed, and when
    another throttle refused the request, which then tried nothing.
    """

    scope = "login"


class LoginIpThrottle(FailedLoginThrottle):
    """Failed logins from one client IP (NUM_PROXIES says which X-Forwarded-For entry is the client)."""

    key_kind = "ip"

    def identity(self, request: Any) -> str | None:
        return self.get_ident(request)


class LoginUsernameThrottle(FailedLoginThrottle):
    """Failed logins for one username, from any address (slows password guessing spread over IPs)."""

    key_kind = "user"

    def identity(self, request: Any) -> str | None:
        data = getattr(request, "data", None)
        if data is None:  # a Django HttpRequest
            data = request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        # Hashed: a cache key of fixed length and safe characters, whatever was typed.
        return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def login_throttles() -> list[FailedLoginThrottle]:
    return [LoginIpThrottle(), LoginUsernameThrottle()]


def login_throttles_refusing(request: Any, throttles: list[FailedLoginThrottle]) -> list[FailedLoginThrottle]:
    """The throttles that refuse this login attempt; when any does, every reservation is given back."""
    refusing = [throttle for throttle in throttles if not throttle.allow_request(request, None)]
    if refusing:
        for throttle in throttles:
            throttle.release()
    return refusing
