"""VPS providers behind one interface (base.py) and one error family (errors.py).

Each provider is an adapter package (one directory or module here) registered by its account
kind in registry.py; nothing outside an adapter names its provider. How to add one:
docs/servers.md, "Adding a provider".
"""

from .base import (
    AccountSettings,
    ActionKind,
    ActionStatus,
    OsImage,
    ProviderAction,
    ProviderAdapter,
    ProviderServer,
    ServerState,
)
from .errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderRequestMaybeSent,
    ProviderUnavailable,
)

__all__ = [
    "AccountSettings",
    "ActionKind",
    "ActionStatus",
    "OsImage",
    "ProviderAction",
    "ProviderAdapter",
    "ProviderAuthError",
    "ProviderError",
    "ProviderNotFound",
    "ProviderRateLimited",
    "ProviderRefused",
    "ProviderRequestMaybeSent",
    "ProviderServer",
    "ProviderUnavailable",
    "ServerState",
]
