"""The provider interface: what every VPS provider adapter offers, in plain values.

An adapter is built for one account (its base URL, its credentials) and used as a context
manager. It answers with the dataclasses below and raises only the family in errors.py. The
servers app builds adapters through the registry (registry.py), keyed by the account's kind.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from apps.integrations.common.closing import ClosingContext


class ActionKind(enum.StrEnum):
    """The provider actions the platform asks for."""

    RESET_PASSWORD = "reset_password"  # noqa: S105 - an action name, not a password
    REINSTALL = "reinstall"


class ServerState(enum.StrEnum):
    """A server's state at its provider, normalised (the provider's own text is kept beside it)."""

    ACTIVE = "active"
    PENDING = "pending"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class ActionStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class ProviderServer:
    """One server as its provider describes it. Sizes in MB, CPU frequency in MHz."""

    provider_id: str
    hostname: str
    label: str
    status: ServerState
    #: The provider's own words for the state.
    status_text: str
    ip: str | None
    additional_ips: tuple[str, ...]
    os: str
    cpu_cores: int | None
    cpu_mhz: int | None
    ram_mb: int | None
    disk_mb: int | None
    bandwidth_mb: int | None
    #: What the provider is doing to the server right now (its own name for it); "" when idle.
    busy_with: str = ""
    #: The provider's own labels (key -> value), shown read-only beside the operator's.
    labels: Mapping[str, str] = field(default_factory=dict)
    location: str = ""


@dataclass(frozen=True)
class OsImage:
    """An operating system the provider can install on a server: `code` is what reinstall takes."""

    code: str
    title: str


@dataclass(frozen=True)
class ProviderAction:
    """An asynchronous provider action and where it is.

    `action_id` is None for an action found only in a provider's history that carries no id.
    `name` is the provider's own name for it (what a sync shows as the server's active task).
    `root_password` is the new password the action handed out, when the provider tells it.
    """

    action_id: int | None
    kind: ActionKind
    name: str
    status: ActionStatus
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str = ""
    root_password: str | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.status != ActionStatus.RUNNING


@dataclass(frozen=True)
class AccountSettings:
    """What an adapter is built from: one account's address and its credentials (plain values)."""

    base_url: str
    credentials: Mapping[str, str] = field(repr=False)
    #: Names the account's circuit breaker; None: no breaker.
    circuit_key: str | None = None
    #: Server details fetched at once, for providers that list servers one by one.
    detail_concurrency: int = 8


class ProviderAdapter(ClosingContext, abc.ABC):
    """What every provider adapter implements. Provider ids are strings (each provider its own format).

    An adapter is built with `Adapter(settings: AccountSettings)`; its methods raise only ProviderError.
    """

    #: The account kind this adapter serves (the registry's key).
    kind: ClassVar[str]
    title: ClassVar[str]
    #: The credential fields an account of this kind needs (stored encrypted, never shown), each
    #: with what it is, for forms and API docs: {"api_token": "the project's API token"}.
    credential_fields: ClassVar[dict[str, str]]
    #: Whether a reinstall lets the platform's public key in by itself. Where not (or not surely),
    #: provisioning logs in once with the root password the provider handed out and installs it.
    installs_key_on_reinstall: ClassVar[bool] = True
    #: A development stand-in: its servers are the machine the platform runs on, and production refuses it.
    development_only: ClassVar[bool] = False

    def __init__(self, settings: AccountSettings) -> None:
        self.settings = settings

    @classmethod
    def default_base_url(cls) -> str | None:
        """The API address used when an account names none (None: an account must name one)."""
        return None

    @classmethod
    def credential_problems(cls, credentials: Mapping[str, Any]) -> dict[str, list[str]]:
        """Field errors of the credentials given for a new account (empty when they are usable)."""
        return credential_errors(cls.credential_fields, credentials)

    @abc.abstractmethod
    def list_servers(self) -> list[ProviderServer]:
        """Every server of the account, with details. All or nothing: a partial listing is an error."""

    @abc.abstractmethod
    def get_server(self, provider_id: str) -> ProviderServer: ...

    @abc.abstractmethod
    def list_images(self, provider_id: str) -> list[OsImage]:
        """The operating systems this server can be reinstalled with."""

    @abc.abstractmethod
    def reset_password(self, provider_id: str) -> ProviderAction: ...

    @abc.abstractmethod
    def reinstall(self, provider_id: str, *, image: str, public_key: str | None) -> ProviderAction:
        """Wipe the server and install `image`, letting `public_key` in as root where the provider can."""

    @abc.abstractmethod
    def get_action(self, provider_id: str, action_id: int) -> ProviderAction: ...

    @abc.abstractmethod
    def find_action(self, provider_id: str, kind: ActionKind, *, since: datetime) -> ProviderAction | None:
        """The latest action of `kind` on the server started at or after `since`, if any: how a
        worker that lost an answer finds out whether its request reached the provider."""

    @abc.abstractmethod
    def close(self) -> None: ...


def credential_errors(required: Iterable[str], credentials: Mapping[str, Any]) -> dict[str, list[str]]:
    """The shared rule of `credential_problems`: every required field present and not blank."""
    return {
        name: ["this field is required for this kind of account"]
        for name in required
        if not isinstance(credentials.get(name), str) or not credentials[name].strip()
    }
