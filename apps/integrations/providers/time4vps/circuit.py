"""One circuit breaker per provider account, shared by every worker process through Redis.

After `PROVIDER_CIRCUIT_FAIL_MAX` unavailable calls in a row the account's circuit opens: calls
fail at once with `CircuitOpenError` until `PROVIDER_CIRCUIT_RESET_SECONDS` have passed, then one
trial call decides. Only `ProviderUnavailableError` counts as a failure: a refused password, a
404 or a malformed body means the provider did answer.

With `PROVIDER_CIRCUIT_REDIS_URL` set the state lives in Redis under `time4vps:circuit:<key>:*`,
so every worker sees the same circuit; otherwise each process keeps its own in memory.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pybreaker
import redis
import structlog
from django.conf import settings

from .errors import ProviderUnavailableError

log = structlog.get_logger(__name__)

REDIS_NAMESPACE = "time4vps:circuit"


def _is_not_a_failure(error: BaseException) -> bool:
    return not isinstance(error, ProviderUnavailableError)


class _StateLogger(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        if getattr(old_state, "name", None) == new_state.name:
            return
        log.warning(
            "time4vps.circuit_state_changed",
            circuit=cb.name,
            old_state=getattr(old_state, "name", None),
            new_state=new_state.name,
        )


class AccountCircuitBreaker(pybreaker.CircuitBreaker):
    """pybreaker's breaker, without holding its lock for the whole guarded call.

    pybreaker runs every call inside the breaker's lock, which would serialize all the calls of
    an account (get_servers' thread pool included). Here the lock guards state changes only;
    while the circuit is open or half-open, at most one call per process goes through as the
    trial, and the others fail fast.
    """

    def __init__(self, key: str, storage: pybreaker.CircuitBreakerStorage, *, fail_max: int, reset_timeout: float):
        super().__init__(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=[_is_not_a_failure],
            listeners=[_StateLogger()],
            state_storage=storage,
            name=key,
            # The call that trips the circuit raises its own ProviderUnavailableError.
            throw_new_error_on_trip=False,
        )
        self.key = key
        self.storage = storage
        self._trial = threading.RLock()  # re-entrant: pybreaker's open state calls back into call()

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        state = self.state
        if state.name == pybreaker.STATE_CLOSED:
            return state.call(func, *args, **kwargs)
        if not self._trial.acquire(blocking=False):
            raise pybreaker.CircuitBreakerError("a trial call is already in progress")
        try:
            return self.state.call(func, *args, **kwargs)
        finally:
            self._trial.release()

    def open_until(self) -> datetime | None:
        """When an open circuit lets a trial call through, if it is open."""
        opened_at = self.storage.opened_at
        return opened_at + timedelta(seconds=self.reset_timeout) if opened_at else None


class _RedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage, keeping the opening time to the microsecond.

    pybreaker stores it in whole seconds, so an open circuit could let a trial through up to a
    second early — noticeable with a short reset time.
    """

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self._client = client
        self._opened_at_key = f"{namespace}:pybreaker:opened_at_precise"
        super().__init__(pybreaker.STATE_CLOSED, client, namespace=namespace)

    @property
    def opened_at(self) -> datetime | None:
        try:
            value = self._client.get(self._opened_at_key)
        except redis.RedisError:
            self.logger.exception("RedisError")
            return None
        try:
            return datetime.fromtimestamp(float(value), UTC) if value else None
        except ValueError:
            return None

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        try:
            self._client.set(self._opened_at_key, repr(now.timestamp()))
        except redis.RedisError:
            self.logger.exception("RedisError")


_lock = threading.Lock()
_breakers: dict[tuple[str, str], AccountCircuitBreaker] = {}
_redis_clients: dict[str, redis.Redis] = {}


def _redis_client(url: str) -> redis.Redis:
    client = _redis_clients.get(url)
    if client is None:
        # Bytes, not decoded strings: pybreaker's Redis storage decodes the state itself.
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)
        _redis_clients[url] = client
    return client


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError("a circuit key must be a non-empty string")
    return key


def build_circuit_breaker(key: str, *, redis_url: str | None = None) -> AccountCircuitBreaker:
    """A new breaker for `key`, not registered (a second one on the same Redis state acts as
    another worker process would). Raises redis.RedisError when Redis cannot be reached."""
    _check_key(key)
    url = settings.PROVIDER_CIRCUIT_REDIS_URL if redis_url is None else redis_url
    if url:
        storage: pybreaker.CircuitBreakerStorage = _RedisStorage(_redis_client(url), f"{REDIS_NAMESPACE}:{key}")
    else:
        storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    return AccountCircuitBreaker(
        key,
        storage,
        fail_max=settings.PROVIDER_CIRCUIT_FAIL_MAX,
        reset_timeout=settings.PROVIDER_CIRCUIT_RESET_SECONDS,
    )


def circuit_breaker_for(key: str) -> AccountCircuitBreaker:
    """The process's breaker for one provider account (created on first use).

    fail_max and reset_timeout are read from the settings on every look-up. If Redis is
    configured but cannot be reached, a breaker in memory is returned for now (not kept, so
    the next look-up tries Redis again).
    """
    _check_key(key)
    url = settings.PROVIDER_CIRCUIT_REDIS_URL or ""
    with _lock:
        breaker = _breakers.get((url, key))
        if breaker is None:
            try:
                breaker = build_circuit_breaker(key, redis_url=url)
            except redis.RedisError as error:
                log.warning("time4vps.circuit_redis_unavailable", circuit=key, error=type(error).__name__)
                return build_circuit_breaker(key, redis_url="")
            _breakers[(url, key)] = breaker
    breaker.fail_max = settings.PROVIDER_CIRCUIT_FAIL_MAX
    breaker.reset_timeout = settings.PROVIDER_CIRCUIT_RESET_SECONDS
    return breaker


def circuit_state(key: str) -> str:
    """The account's circuit: "closed", "open" or "half-open", as stored.

    An open circuit whose reset time has passed still reads "open" until the next call tries it.
    """
    return circuit_breaker_for(key).current_state


def circuit_reset(key: str) -> None:
    """Close the account's circuit and clear its failure count (admin action, tests)."""
    circuit_breaker_for(key).close()
    log.info("time4vps.circuit_reset", circuit=key)
