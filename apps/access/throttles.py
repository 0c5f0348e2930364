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
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _RatesFromSettings:
    # DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time, so a changed
    # setting (override_settings, which reloads api_settings) would never reach it.
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ApiUserRateThrottle(_RatesFromSettings, UserRateThrottle):
    """Requests of one signed-in user (scope `user`)."""


class ApiAnonRateThrottle(_RatesFromSettings, AnonRateThrottle):
    """Requests without credentials, per client IP (scope `anon`)."""


class FailedLoginThrottle(_RatesFromSettings, SimpleRateThrottle):
    """Failed login attempts (scope `login`), counted atomically in fixed windows.

    allow_request() reserves one attempt with the cache's atomic `incr` before the password is
    checked, so parallel requests cannot all read the same count and all pass (a get-then-set
    history, as DRF keeps, lets 20 simultaneous guesses through). The view gives the attempt back
    with release() when the credentials were right, so people who type their password right are
    never slowed, and when another throttle refused the request, which then tried nothing.
    Works on a DRF Request and on a plain Django HttpRequest (the admin's login view).
    """

    scope = "login"
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

    def allow_request(self, request: Any, view: Any) -> bool:
        self.reserved = False
        if self.rate is None:
            return True
        self.now = self.timer()
        self.key = self.get_cache_key(request, view)
        if not self.key:
            return True
        # add() is a no-op when the window's counter exists; incr() is atomic in Redis and in
        # the local-memory cache alike.
        self.cache.add(self.key, 0, self.duration)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # the counter expired between add() and incr(): a new window
            self.cache.add(self.key, 1, self.duration)
            count = 1
        self.reserved = True
        return count <= self.num_requests

    def release(self) -> None:
        """Give back the attempt allow_request() reserved: it was not a failed login."""
        if not getattr(self, "reserved", False):
            return
        self.reserved = False
        with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing left to give back
            self.cache.decr(self.key)

    def wait(self) -> float:
        return self.duration - (self.now % self.duration)


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
