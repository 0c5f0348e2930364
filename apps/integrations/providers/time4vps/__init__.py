"""The Time4VPS API client (https://billing.time4vps.com/api): the only code that talks to the provider.

    with Time4VPSClient(base_url=..., username=..., password=..., circuit_key=f"account-{pk}") as client:
        servers = client.list_servers()
        details = client.get_servers([s.server_id for s in servers], max_workers=8)

Every failure is a `Time4VPSError`; its `retryable` says whether trying again later can help.
"""

from .circuit import AccountCircuitBreaker, build_circuit_breaker, circuit_breaker_for, circuit_reset, circuit_state
from .client import Time4VPSClient
from .errors import (
    AuthenticationError,
    CircuitOpenError,
    InvalidResponseError,
    NotFoundError,
    ProviderRequestError,
    ProviderUnavailableError,
    Time4VPSError,
)
from .models import ActiveTask, OsTemplate, ProviderTask, ServerBrief, ServerDetails, TaskBrief

__all__ = [
    "AccountCircuitBreaker",
    "ActiveTask",
    "AuthenticationError",
    "CircuitOpenError",
    "InvalidResponseError",
    "NotFoundError",
    "OsTemplate",
    "ProviderRequestError",
    "ProviderTask",
    "ProviderUnavailableError",
    "ServerBrief",
    "ServerDetails",
    "TaskBrief",
    "Time4VPSClient",
    "Time4VPSError",
    "build_circuit_breaker",
    "circuit_breaker_for",
    "circuit_reset",
    "circuit_state",
]
