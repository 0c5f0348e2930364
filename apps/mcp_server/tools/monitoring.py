"""Health and incidents: a server's health history, open incidents, acknowledge one, check a server now."""

from __future__ import annotations

from typing import Any

import pydantic

from apps.mcp_server.registry import Tool, ToolInput
from apps.mcp_server.tools.common import Page, api_filtered, choice_of, one, paged
from apps.monitoring import selectors, services
from apps.monitoring.api.serializers import HealthCheckOutputSerializer, IncidentOutputSerializer
from apps.monitoring.api.views import IncidentViewSet
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, IncidentKind, IncidentStatus, Severity
from apps.servers.selectors import server_list

MAX_HISTORY = 100
IncidentStatusValue = choice_of(IncidentStatus)
IncidentKindValue = choice_of(IncidentKind)
SeverityValue = choice_of(Severity)


class HealthHistoryInput(ToolInput):
    server_id: int = pydantic.Field(description="The server's id (from list_servers).")
    limit: int = pydantic.Field(default=10, ge=1, le=MAX_HISTORY, description="The latest this many checks.")


def server_health_history(*, user: Any, arguments: HealthHistoryInput) -> dict[str, Any]:
    server = one(server_list(), arguments.server_id, "server")
    checks = selectors.health_checks_of(server=server)[: arguments.limit]
    return {
        "server_id": server.pk,
        "health_status": server.health_status,
        "checks": HealthCheckOutputSerializer(checks, many=True).data,
    }


class ListIncidentsInput(Page):
    status: list[IncidentStatusValue] = pydantic.Field(
        default_factory=lambda: list(ACTIVE_INCIDENT_STATUSES),
        description="Incidents in these states (default: open and acknowledged).",
    )
    kind: list[IncidentKindValue] | None = pydantic.Field(default=None, description="Only these kinds of problem.")
    severity: list[SeverityValue] | None = pydantic.Field(default=None, description="Only these severities.")
    server: int | None = pydantic.Field(default=None, description="Only the incidents of this server (id).")


def list_incidents(*, user: Any, arguments: ListIncidentsInput) -> dict[str, Any]:
    filters = arguments.model_dump(exclude={"limit", "offset"})
    incidents = api_filtered(IncidentViewSet, selectors.incident_list(), filters)
    return paged(incidents, arguments, key="incidents", represent=lambda i: IncidentOutputSerializer(i).data)


class IncidentInput(ToolInput):
    incident_id: int = pydantic.Field(description="The incident's id (from list_incidents).")


def acknowledge_incident(*, user: Any, arguments: IncidentInput) -> dict[str, Any]:
    incident = one(selectors.incident_list(), arguments.incident_id, "incident")
    incident = services.incident_acknowledge(incident=incident, user=user)
    return {"incident": IncidentOutputSerializer(incident).data}


class CheckInput(ToolInput):
    server_id: int = pydantic.Field(description="The server's id (from list_servers).")


def run_health_check(*, user: Any, arguments: CheckInput) -> dict[str, Any]:
    server = one(server_list(), arguments.server_id, "server")
    batches = services.health_check_queue(server_ids=[server.pk])
    return {"server_id": server.pk, "queued_batches": batches}


TOOLS = (
    Tool(
        name="server_health_history",
        title="Health history of a server",
        description=(
            "A server's latest health checks, newest first: outcome, figures (disk use per mount, load, "
            "memory, Docker) and errors."
        ),
        input=HealthHistoryInput,
        permission="monitoring.view_healthcheck",
        run=server_health_history,
    ),
    Tool(
        name="list_incidents",
        title="List incidents",
        description=(
            "Incidents the health checks opened (unreachable, disk, Docker, host key...), newest first; "
            "by default the open and acknowledged ones."
        ),
        input=ListIncidentsInput,
        permission="monitoring.view_incident",
        run=list_incidents,
    ),
    Tool(
        name="acknowledge_incident",
        title="Acknowledge an incident",
        description="Acknowledge an open incident: someone is on it (its reminders stop).",
        input=IncidentInput,
        permission="monitoring.handle_incident",
        run=acknowledge_incident,
        writes=True,
    ),
    Tool(
        name="run_health_check",
        title="Check a server now",
        description="Queue a health check of one server now; its result appears in server_health_history.",
        input=CheckInput,
        permission="monitoring.run_health_check",
        run=run_health_check,
        writes=True,
    ),
)
