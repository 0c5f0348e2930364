"""Servers and provider accounts: list and search, one server's details, sync an account now."""

from __future__ import annotations

from typing import Any

import pydantic

from apps.core.choices import Trigger
from apps.mcp_server.registry import Tool, ToolInput
from apps.mcp_server.tools.common import Page, api_filtered, choice_of, one, only, paged
from apps.servers import selectors, services
from apps.servers.api.serializers import ProviderAccountOutputSerializer, ServerOutputSerializer
from apps.servers.api.views import ServerViewSet
from apps.servers.choices import HealthStatus, Lifecycle, ProviderStatus

SERVER_LIST_FIELDS = (
    "id",
    "hostname",
    "label",
    "ip",
    "provider_account",
    "provider_status",
    "lifecycle",
    "health_status",
    "busy",
    "last_seen_at",
)
ACCOUNT_FIELDS = ("id", "name", "kind", "enabled", "last_sync_at", "last_sync_status", "last_sync_error")
LifecycleValue = choice_of(Lifecycle)
HealthValue = choice_of(HealthStatus)
ProviderStatusValue = choice_of(ProviderStatus)


class ListServersInput(Page):
    lifecycle: list[LifecycleValue] | None = pydantic.Field(
        default=None, description="Only servers in one of these lifecycle states."
    )
    health_status: list[HealthValue] | None = pydantic.Field(
        default=None, description="Only servers with one of these health states."
    )
    provider_status: list[ProviderStatusValue] | None = pydantic.Field(
        default=None, description="Only servers the provider reports in one of these states."
    )
    provider_account: int | None = pydantic.Field(default=None, description="Only the servers of this account (id).")
    busy: bool | None = pydantic.Field(default=None, description="Only servers the provider is (or is not) busy with.")
    search: str | None = pydantic.Field(
        default=None, max_length=200, description="Words to find in the hostname, label, IP or provider id."
    )


def list_servers(*, user: Any, arguments: ListServersInput) -> dict[str, Any]:
    filters = arguments.model_dump(exclude={"limit", "offset"})
    servers = api_filtered(ServerViewSet, selectors.server_list(), filters)
    return paged(
        servers, arguments, key="servers", represent=lambda s: only(ServerOutputSerializer(s).data, SERVER_LIST_FIELDS)
    )


class ServerInput(ToolInput):
    server_id: int = pydantic.Field(description="The server's id (from list_servers).")


def get_server(*, user: Any, arguments: ServerInput) -> dict[str, Any]:
    server = one(selectors.server_list(), arguments.server_id, "server")
    return {"server": ServerOutputSerializer(server).data}


class NoInput(ToolInput):
    pass


def list_provider_accounts(*, user: Any, arguments: NoInput) -> dict[str, Any]:
    accounts = selectors.provider_account_list()
    return {"accounts": [only(ProviderAccountOutputSerializer(a).data, ACCOUNT_FIELDS) for a in accounts]}


class AccountInput(ToolInput):
    account_id: int = pydantic.Field(description="The account's id (from list_provider_accounts).")


def sync_provider_account(*, user: Any, arguments: AccountInput) -> dict[str, Any]:
    account = one(selectors.provider_account_list(), arguments.account_id, "provider account")
    run = services.server_sync_queue(account=account, trigger=Trigger.API, user=user)
    return {"sync_run_id": run.pk, "account": account.name, "status": run.status}


TOOLS = (
    Tool(
        name="list_servers",
        title="List servers",
        description=(
            "List or search the fleet's servers, filtered as GET /api/servers/ filters them (lifecycle, "
            "health_status, provider_status, provider_account, busy, search). Concise rows; get_server has the rest."
        ),
        input=ListServersInput,
        permission="servers.view_server",
        run=list_servers,
    ),
    Tool(
        name="get_server",
        title="Server details",
        description="One server's details: provider data, lifecycle, health, SSH settings, notes.",
        input=ServerInput,
        permission="servers.view_server",
        run=get_server,
    ),
    Tool(
        name="list_provider_accounts",
        title="List provider accounts",
        description="The provider accounts the servers come from, with how their last sync ended.",
        input=NoInput,
        permission="servers.view_provideraccount",
        run=list_provider_accounts,
    ),
    Tool(
        name="sync_provider_account",
        title="Sync a provider account",
        description="Queue a sync of one provider account now (its servers are read again from the provider).",
        input=AccountInput,
        permission="servers.sync_provideraccount",
        run=sync_provider_account,
        writes=True,
    ),
)
