"""How one Hetzner Cloud call is made: the library's errors as the provider family, reads retried.

hcloud retries on its own (rate limits, conflicts, time-outs, POSTs too) and sleeps up to a
minute between tries; the adapter switches that off (adapter.py) and retries here instead: GETs
only, a bounded number of times with jittered backoff. A rebuild is never repeated by a retry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import requests
import structlog
import tenacity
from hcloud import APIException

from apps.integrations.common.outbound import OutboundAddressRefused
from apps.integrations.providers import errors as family

log = structlog.get_logger(__name__)

T = TypeVar("T")

# The error codes Hetzner documents (docs.hetzner.cloud, "Errors"), grouped by what they mean here.
AUTH_CODES = {"unauthorized", 401}
NOT_FOUND_CODES = {"not_found", 404}
RATE_CODES = {"rate_limit_exceeded", 429}
# The resource is busy with another action: nothing was done, trying again later can help.
BUSY_CODES = {"locked", "conflict", 409, 423}
UNAVAILABLE_CODES = {"server_error", "unavailable", "bad_gateway", "timeout", "maintenance"}


class RateBudget:
    """What the last answer's RateLimit-* headers said of the project's request budget."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: datetime | None = None

    def observe(self, response: requests.Response, *args, **kwargs) -> None:
        """A requests response hook: reads the headers of every answer."""
        headers = response.headers
        self.limit = _int(headers.get("RateLimit-Limit"), self.limit)
        self.remaining = _int(headers.get("RateLimit-Remaining"), self.remaining)
        reset = _int(headers.get("RateLimit-Reset"), None)
        if reset is not None:
            self.reset_at = datetime.fromtimestamp(reset, UTC)


def _int(value: str | None, default: int | None) -> int | None:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def call(
    what: str,
    function: Callable[[], T],
    *,
    method: str,
    budget: RateBudget,
    attempts: int,
    max_wait: float,
    scrub: Callable[[str], str],
) -> T:
    """Run one API call; GETs retried while the provider is unavailable (never a rate limit: the
    budget is spent, and waiting for its reset belongs to the scheduler, not to a worker)."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts if method == "GET" else 1),
        wait=tenacity.wait_random_exponential(multiplier=0.5, max=max_wait),
        retry=tenacity.retry_if_exception(
            lambda error: (
                isinstance(error, family.ProviderUnavailable) and not isinstance(error, family.ProviderRateLimited)
            )
        ),
        reraise=True,
    )
    for attempt in retrying:
        with attempt, mapped(what, method=method, budget=budget, scrub=scrub):
            return function()
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


@contextlib.contextmanager
def mapped(what: str, *, method: str, budget: RateBudget, scrub: Callable[[str], str]) -> Iterator[None]:
    """hcloud's and requests' errors as the provider family, naming the call, never the token."""
    where = {"method": method, "path": what}
    try:
        yield
    except APIException as error:
        status = error.code if isinstance(error.code, int) else None
        text = scrub(f"Hetzner Cloud {method} {what}: {error.message} ({error.code})")
        log.warning("hetzner.request_failed", method=method, path=what, code=str(error.code))
        raise _from_api(error.code, text, method=method, budget=budget, where={**where, "status": status}) from None
    except OutboundAddressRefused as error:
        raise family.ProviderRefused(f"Hetzner Cloud {method} {what} was not sent: {error}", **where) from None
    except (requests.ConnectionError, requests.Timeout) as error:
        sent = not isinstance(error, requests.ConnectTimeout) and not _never_connected(error)
        text = f"Hetzner Cloud {method} {what}: {type(error).__name__} (the provider did not answer)"
        log.warning("hetzner.request_failed", method=method, path=what, error=type(error).__name__)
        if method != "GET" and sent:
            raise family.ProviderRequestMaybeSent(text + "; it may have acted on the request", **where) from None
        raise family.ProviderUnavailable(text, request_sent=sent, **where) from None
    except requests.RequestException as error:
        raise family.ProviderUnavailable(f"Hetzner Cloud {method} {what}: {type(error).__name__}", **where) from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # The library could not read the answer (a field missing or of the wrong type).
        raise family.ProviderRefused(
            f"Hetzner Cloud {method} {what}: the answer could not be read ({type(error).__name__})", **where
        ) from None


def _never_connected(error: requests.RequestException) -> bool:
    # A refused or unresolvable connection never carried the request.
    return isinstance(error, requests.ConnectionError) and "NewConnectionError" in repr(error)


def _from_api(code, text: str, *, method: str, budget: RateBudget, where: dict) -> family.ProviderError:
    if code in AUTH_CODES:
        return family.ProviderAuthError(text, **where)
    if code in NOT_FOUND_CODES:
        return family.ProviderNotFound(text, **where)
    if code in RATE_CODES:
        return family.ProviderRateLimited(text, reset_at=budget.reset_at, **where)
    if code in BUSY_CODES:
        return family.ProviderUnavailable(text, request_sent=False, **where)
    if code in UNAVAILABLE_CODES or (isinstance(code, int) and code >= 500):
        if method != "GET":
            return family.ProviderRequestMaybeSent(text + "; it may have acted on the request", **where)
        return family.ProviderUnavailable(text, **where)
    return family.ProviderRefused(text, **where)
