"""The Hetzner Cloud adapter: one project's servers, images and actions, in the interface's terms.

Built on hcloud (pinned in requirements/base.txt). Three things are changed on the library's
request layer, `Client._client` (hcloud 2.27's ClientBase), because the library offers no
option for them: its retries are switched off (calls.py retries reads only), its Session is
replaced by the platform's outbound one (every address checked as a connection opens), and a
response hook reads the RateLimit-* headers. tests/integrations/test_hetzner_adapter.py fails if
a library upgrade moves them.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import hcloud
from django.conf import settings
from hcloud.images import Image
from hcloud.servers import Server

from apps.integrations.common.outbound import outbound_session
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

from .calls import RateBudget, call

T = TypeVar("T")

PER_PAGE = 50  # the API's maximum
COMMANDS = {ActionKind.RESET_PASSWORD: "reset_password", ActionKind.REINSTALL: "rebuild_server"}
KINDS_BY_COMMAND = {command: kind for kind, command in COMMANDS.items()}
ACTION_STATUSES = {"running": ActionStatus.RUNNING, "success": ActionStatus.SUCCEEDED, "error": ActionStatus.FAILED}
SERVER_STATES = {
    "running": ServerState.ACTIVE,
    "initializing": ServerState.PENDING,
    "starting": ServerState.PENDING,
    "rebuilding": ServerState.PENDING,
    "migrating": ServerState.PENDING,
    "off": ServerState.STOPPED,
    "stopping": ServerState.STOPPED,
    "deleting": ServerState.TERMINATED,
}
# A server in one of these states is busy with an action (shown as its active task).
BUSY_STATUSES = {"initializing", "starting", "stopping", "rebuilding", "migrating", "deleting"}
MB_PER_GB = 1024


class HetznerAdapter(ProviderAdapter):
    kind = "hetzner"
    title = "Hetzner Cloud"
    credential_fields = {"api_token": "the project's API token"}
    # The key goes in as cloud-init user data, which an image without cloud-init ignores.
    installs_key_on_reinstall = False
    development_only = False

    def __init__(self, settings_: AccountSettings) -> None:
        super().__init__(settings_)
        parts = urlsplit(settings_.base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise family.ProviderRefused("base_url must be an http(s) URL without credentials")
        token = settings_.credentials.get("api_token") or ""
        if not token:
            raise family.ProviderRefused("an API token is required")
        self._token = token
        self.budget = RateBudget()
        self.client = hcloud.Client(
            token=token,
            api_endpoint=settings_.base_url.rstrip("/"),
            application_name="fleet-platform",
            timeout=(settings.PROVIDER_CONNECT_TIMEOUT_SECONDS, settings.PROVIDER_READ_TIMEOUT_SECONDS),
        )
        transport = self.client._client
        transport._retry_max_retries = 0
        transport._session.close()
        transport._session = outbound_session(allow_private=settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES)
        transport._session.hooks["response"].append(self.budget.observe)

    @classmethod
    def default_base_url(cls) -> str | None:
        return "https://api.hetzner.cloud/v1"

    def close(self) -> None:
        self.client._client._session.close()

    # --- servers ------------------------------------------------------------------------------

    def list_servers(self) -> list[ProviderServer]:
        """Every server of the project, all pages. Before the second page the budget is checked:
        a listing that would run out of requests half-way stops before it starts."""
        first = self._get("/servers", lambda: self.client.servers.get_list(page=1, per_page=PER_PAGE))
        servers = list(first.servers)
        pagination = first.meta.pagination if first.meta else None
        last_page = (pagination.last_page if pagination else None) or 1
        self._check_budget(pages=last_page - 1)
        for page in range(2, last_page + 1):
            result = self._get("/servers", lambda page=page: self.client.servers.get_list(page=page, per_page=PER_PAGE))
            servers.extend(result.servers)
        return [self._server(server) for server in servers]

    def get_server(self, provider_id: str) -> ProviderServer:
        server_id = _server_id(provider_id)
        return self._server(self._get(f"/servers/{server_id}", lambda: self.client.servers.get_by_id(server_id)))

    def list_images(self, provider_id: str) -> list[OsImage]:
        server_id = _server_id(provider_id)
        server = self._get(f"/servers/{server_id}", lambda: self.client.servers.get_by_id(server_id))
        architecture = getattr(server.server_type, "architecture", None)
        images = self._get(
            "/images",
            lambda: self.client.images.get_all(type=["system"], architecture=[architecture] if architecture else None),
        )
        return [OsImage(code=image.name, title=image.description or image.name) for image in images if image.name]

    # --- actions ------------------------------------------------------------------------------

    def reset_password(self, provider_id: str) -> ProviderAction:
        server_id = _server_id(provider_id)
        answer = self._post(
            f"/servers/{server_id}/actions/reset_password",
            lambda: self.client.servers.reset_password(Server(server_id)),
        )
        return _action(answer.action, root_password=answer.root_password)

    def reinstall(self, provider_id: str, *, image: str, public_key: str | None) -> ProviderAction:
        """A rebuild with the image. Hetzner installs no SSH key on a rebuild, so the key goes in as
        cloud-init user data; the root password the answer carries is the fallback way in."""
        server_id = _server_id(provider_id)
        user_data = _cloud_config(public_key) if public_key else None
        answer = self._post(
            f"/servers/{server_id}/actions/rebuild",
            lambda: self.client.servers.rebuild(Server(server_id), Image(name=image), user_data=user_data),
        )
        return _action(answer.action, root_password=answer.root_password)

    def get_action(self, provider_id: str, action_id: int) -> ProviderAction:
        _server_id(provider_id)
        return _action(self._get(f"/actions/{action_id}", lambda: self.client.actions.get_by_id(action_id)))

    def find_action(self, provider_id: str, kind: ActionKind, *, since: datetime) -> ProviderAction | None:
        server_id = _server_id(provider_id)
        page = self._get(
            f"/servers/{server_id}/actions",
            lambda: self.client.servers.get_actions_list(Server(server_id), sort=["started:desc"], per_page=PER_PAGE),
        )
        for action in page.actions:
            if action.started is not None and action.started < since:
                break  # newest first: every later entry is older still
            if action.command == COMMANDS[kind]:
                return _action(action)
        return None

    # --- plumbing -----------------------------------------------------------------------------

    def _get(self, what: str, function: Callable[[], T]) -> T:
        return call(
            what,
            function,
            method="GET",
            budget=self.budget,
            attempts=max(1, settings.PROVIDER_RETRY_ATTEMPTS),
            max_wait=settings.PROVIDER_RETRY_MAX_WAIT_SECONDS,
            scrub=self._scrub,
        )

    def _post(self, what: str, function: Callable[[], T]) -> T:
        return call(what, function, method="POST", budget=self.budget, attempts=1, max_wait=0, scrub=self._scrub)

    def _check_budget(self, *, pages: int) -> None:
        remaining = self.budget.remaining
        reserve = settings.PROVIDER_RATE_LIMIT_RESERVE
        if pages > 0 and remaining is not None and remaining - reserve < pages:
            raise family.ProviderRateLimited(
                f"Hetzner Cloud rate limit: {remaining} requests left, {pages} more needed plus a reserve of "
                f"{reserve}; nothing was written",
                reset_at=self.budget.reset_at,
            )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[redacted]") if len(self._token) >= 4 else text

    def _server(self, server: Any) -> ProviderServer:
        status = server.status or ""
        server_type = server.server_type
        image = server.image
        ipv4, ipv6 = _addresses(server.public_net)
        location = server.location
        busy = status if status in BUSY_STATUSES else ("locked" if server.locked else "")
        return ProviderServer(
            provider_id=str(server.id),
            hostname=server.name or "",
            label="",
            status=SERVER_STATES.get(status, ServerState.UNKNOWN),
            status_text=status,
            ip=ipv4,
            additional_ips=(ipv6,) if ipv6 else (),
            os=(image.description or image.name or "") if image is not None else "",
            cpu_cores=server_type.cores if server_type else None,
            cpu_mhz=None,
            ram_mb=_mb(server_type.memory) if server_type else None,
            disk_mb=_mb(server_type.disk) if server_type else None,
            bandwidth_mb=server.included_traffic // (1024 * 1024) if server.included_traffic else None,
            busy_with=busy,
            labels=_labels(server.labels),
            location=getattr(location, "name", "") or "",
        )


def _server_id(provider_id: str) -> int:
    try:
        value = int(provider_id)
    except (TypeError, ValueError):
        raise family.ProviderRefused(f"{provider_id!r} is not a Hetzner Cloud server id (a number)") from None
    if value <= 0:
        raise family.ProviderRefused(f"{provider_id!r} is not a Hetzner Cloud server id (a positive number)")
    return value


def _addresses(public_net: Any) -> tuple[str | None, str | None]:
    if public_net is None:
        return None, None
    ipv4 = getattr(public_net.ipv4, "ip", None) if public_net.ipv4 else None
    network = getattr(public_net.ipv6, "ip", None) if public_net.ipv6 else None
    ipv6 = None
    if network:
        # Hetzner assigns a /64 and its images configure the network's first address (::1).
        ipv6 = str(ipaddress.ip_network(network, strict=False).network_address + 1)
    return ipv4, ipv6


def _mb(gigabytes: float | int | None) -> int | None:
    return None if gigabytes is None else math.floor(float(gigabytes) * MB_PER_GB)


def _labels(labels: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(key): str(value) for key, value in (labels or {}).items()}


def _action(action: Any, *, root_password: str | None = None) -> ProviderAction:
    error = action.error or {}
    return ProviderAction(
        action_id=action.id,
        kind=KINDS_BY_COMMAND.get(action.command, ActionKind.REINSTALL),
        name=action.command or "",
        status=ACTION_STATUSES.get(action.status, ActionStatus.RUNNING),
        started_at=action.started,
        finished_at=action.finished,
        error=f"{error.get('code', '')}: {error.get('message', '')}" if error else "",
        root_password=root_password or None,
    )


def _cloud_config(public_key: str) -> str:
    key = public_key.strip().replace("\n", " ")
    return f'#cloud-config\nssh_authorized_keys:\n  - "{key}"\n'
