"""Time4VPS behind the provider interface: the client's calls and errors in the interface's terms."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from apps.integrations.providers import errors as family
from apps.integrations.providers.base import (
    AccountSettings,
    ActionKind,
    ActionStatus,
    OsImage,
    ProviderAction,
    ProviderAdapter,
    ProviderServer,
    ServerState,
)

from . import errors
from .client import Time4VPSClient
from .models import ServerDetails

#: The provider's task names of the actions the platform asks for.
TASK_NAMES = {ActionKind.RESET_PASSWORD: "server_reset_password", ActionKind.REINSTALL: "server_recreate"}
KINDS_BY_TASK_NAME = {name: kind for kind, name in TASK_NAMES.items()}


class Time4VPSAdapter(ProviderAdapter):
    kind = "time4vps"
    title = "Time4VPS"
    credential_fields = {"username": "the client-area e-mail", "password": "the client-area password"}

    def __init__(self, settings: AccountSettings) -> None:
        super().__init__(settings)
        with _mapped():
            self.client = Time4VPSClient(
                base_url=settings.base_url,
                username=settings.credentials.get("username", ""),
                password=settings.credentials.get("password", ""),
                circuit_key=settings.circuit_key,
            )

    @classmethod
    def default_base_url(cls) -> str | None:
        return "https://billing.time4vps.com/api"

    def close(self) -> None:
        self.client.close()

    def list_servers(self) -> list[ProviderServer]:
        with _mapped():
            ids = [brief.server_id for brief in self.client.list_servers()]
            details = self.client.get_servers(ids, max_workers=self.settings.detail_concurrency)
        return [provider_server(item) for item in details]

    def get_server(self, provider_id: str) -> ProviderServer:
        with _mapped():
            return provider_server(self.client.get_server(_server_id(provider_id)))

    def list_images(self, provider_id: str) -> list[OsImage]:
        with _mapped():
            return [OsImage(code=item.os, title=item.title) for item in self.client.list_oses(_server_id(provider_id))]

    def reset_password(self, provider_id: str) -> ProviderAction:
        with _mapped():
            task_id = self.client.reset_password(_server_id(provider_id))
        return _started(task_id, ActionKind.RESET_PASSWORD)

    def reinstall(self, provider_id: str, *, image: str, public_key: str | None) -> ProviderAction:
        with _mapped():
            task_id = self.client.reinstall(_server_id(provider_id), os=image, ssh_key=public_key)
        return _started(task_id, ActionKind.REINSTALL)

    def get_action(self, provider_id: str, action_id: int) -> ProviderAction:
        with _mapped():
            task = self.client.get_task(_server_id(provider_id), action_id)
        kind = KINDS_BY_TASK_NAME.get(task.name, ActionKind.REINSTALL)
        return ProviderAction(
            action_id=task.task_id,
            kind=kind,
            name=task.name,
            # Time4VPS reports no failure of a task: a task ends by completing.
            status=ActionStatus.SUCCEEDED if task.done else ActionStatus.RUNNING,
            started_at=task.activated,
            finished_at=task.completed,
            root_password=task.password(),
        )

    def find_action(self, provider_id: str, kind: ActionKind, *, since: datetime) -> ProviderAction | None:
        """From the details' `active_task` and `last_tasks`, which carry no task id (and no results).
        A task without an activation time counts as started since: the provider may leave it out."""
        name = TASK_NAMES[kind]
        with _mapped():
            details = self.client.get_server(_server_id(provider_id))
        active = details.active_task
        if active is not None and active.name == name and (active.activated is None or active.activated >= since):
            return ProviderAction(None, kind, name, ActionStatus.RUNNING, started_at=active.activated)
        for task in details.last_tasks:
            if task.name == name and (task.activated is None or task.activated >= since):
                status = ActionStatus.RUNNING if task.completed is None else ActionStatus.SUCCEEDED
                return ProviderAction(None, kind, name, status, started_at=task.activated, finished_at=task.completed)
        return None


def _started(task_id: int, kind: ActionKind) -> ProviderAction:
    return ProviderAction(task_id, kind, TASK_NAMES[kind], ActionStatus.RUNNING)


def _server_id(provider_id: str) -> int:
    try:
        value = int(provider_id)
    except (TypeError, ValueError):
        raise family.ProviderRefused(f"{provider_id!r} is not a Time4VPS server id (a number)") from None
    if value <= 0:
        raise family.ProviderRefused(f"{provider_id!r} is not a Time4VPS server id (a positive number)")
    return value


def _state(text: str) -> ServerState:
    # Time4VPS's statuses are already the platform's words (Active, Pending, Suspended, ...).
    normalised = (text or "").strip().lower()
    return ServerState(normalised) if normalised in ServerState._value2member_map_ else ServerState.UNKNOWN


def provider_server(details: ServerDetails) -> ProviderServer:
    """One server's Time4VPS details in the interface's terms."""
    return ProviderServer(
        provider_id=str(details.server_id),
        hostname=details.domain,
        label=details.label,
        status=_state(details.status),
        status_text=details.status,
        ip=details.ip,
        additional_ips=details.additional_ips,
        os=details.os,
        cpu_cores=details.cpu_cores,
        cpu_mhz=details.cpu_mhz,
        ram_mb=details.ram_mb,
        disk_mb=details.disk_mb,
        bandwidth_mb=details.bandwidth_mb,
        busy_with=details.active_task.name if details.active_task else "",
    )


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """The client's errors as the interface's family (message, method, path and status kept)."""
    try:
        yield
    except ValueError as error:  # the client's own argument checks (a base URL, missing credentials)
        raise family.ProviderRefused(str(error)) from None
    except errors.Time4VPSError as error:
        raise _translate(error) from None


def _translate(error: errors.Time4VPSError) -> family.ProviderError:
    where = {"method": error.method, "path": error.path, "status": error.status}
    message = error.message
    if isinstance(error, errors.AuthenticationError):
        return family.ProviderAuthError(message, **where)
    if isinstance(error, errors.NotFoundError):
        return family.ProviderNotFound(message, **where)
    if isinstance(error, errors.CircuitOpenError):
        retry_after = (error.until - datetime.now(UTC)).total_seconds() if error.until else None
        return family.ProviderUnavailable(message, request_sent=False, retry_after=retry_after, **where)
    if isinstance(error, errors.ProviderUnavailableError):
        if error.status == 429:
            reset_at = datetime.now(UTC) + timedelta(seconds=error.retry_after) if error.retry_after else None
            return family.ProviderRateLimited(message, reset_at=reset_at, **where)
        if not error.retryable:  # a write that may have reached the provider
            return family.ProviderRequestMaybeSent(message, **where)
        return family.ProviderUnavailable(
            message, request_sent=error.request_sent, retry_after=error.retry_after, **where
        )
    return family.ProviderRefused(message, **where)
