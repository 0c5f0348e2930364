"""Request rates of the API and of login attempts, counted in the default cache.

The cache is Redis in production (CACHE_URL), so every web process shares the counts; in
development and test it is the process's memory. Rates come from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings: API_THROTTLE_*_RATE, LOGIN_THROTTLE_RATE).
"""

from __future__ import annotations

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
    """Failed login attempts (scope `login`): a request is refused once the rate is used up.

    Unlike DRF's throttles, allow_request() only looks: the view calls record_failure() when
    the credentials were wrong, so people who type their password right are never slowed.
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
        return f"throttle_{self.scope}_{self.key_kind}_{identity}"

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        self.history = self.cache.get(self.key, []) if self.key else []
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) < self.num_requests

    def record_failure(self) -> None:
        """Count one failed attempt; call after allow_request() for the same request."""
        if self.rate is None or not self.key:
            return
        self.history.insert(0, self.timer())
        self.cache.set(self.key, self.history, self.duration)


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
