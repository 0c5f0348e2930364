"""Provisioning: runs with their status and the tail of their output, and provision a server."""

from __future__ import annotations

from typing import Any

import pydantic

from apps.mcp_server.registry import ConfirmedInput, Tool, ToolInput
from apps.mcp_server.tools.common import Page, api_filtered, choice_of, one, only, paged
from apps.provisioning import selectors, services
from apps.provisioning.api.serializers import ProvisioningEventOutputSerializer, ProvisioningRunOutputSerializer
from apps.provisioning.api.views import ProvisioningRunViewSet
from apps.provisioning.choices import Phase, RunKind, RunStatus
from apps.provisioning.services.requests import CONFIRM_MESSAGE
from apps.servers.selectors import server_list

RUN_LIST_FIELDS = (
    "id",
    "server",
    "server_name",
    "kind",
    "playbook",
    "status",
    "phase",
    "error",
    "requested_by",
    "created_at",
    "finished_at",
)
EVENT_FIELDS = ("seq", "event", "host", "task", "failed", "changed", "stdout")
MAX_TAIL = 200
# An event's output is cut to its end: the last lines say what went wrong.
STDOUT_TAIL_CHARS = 1500
RunStatusValue = choice_of(RunStatus)
RunKindValue = choice_of(RunKind)
PhaseValue = choice_of(Phase)


class ListRunsInput(Page):
    status: list[RunStatusValue] | None = pydantic.Field(default=None, description="Only runs in these states.")
    kind: RunKindValue | None = pydantic.Field(default=None, description="Only provisioning or only playbook runs.")
    phase: PhaseValue | None = pydantic.Field(default=None, description="Only runs at this phase.")
    server: int | None = pydantic.Field(default=None, description="Only the runs of this server (id).")


def list_provisioning_runs(*, user: Any, arguments: ListRunsInput) -> dict[str, Any]:
    filters = arguments.model_dump(exclude={"limit", "offset"})
    runs = api_filtered(ProvisioningRunViewSet, selectors.provisioning_run_list(), filters)
    return paged(
        runs, arguments, key="runs", represent=lambda r: only(ProvisioningRunOutputSerializer(r).data, RUN_LIST_FIELDS)
    )


class RunInput(ToolInput):
    run_id: int = pydantic.Field(description="The run's id (from list_provisioning_runs).")
    tail: int = pydantic.Field(default=20, ge=0, le=MAX_TAIL, description="How many of its last output events.")


def _event(event: Any) -> dict[str, Any]:
    data = only(ProvisioningEventOutputSerializer(event).data, EVENT_FIELDS)
    if len(data["stdout"]) > STDOUT_TAIL_CHARS:
        data["stdout"] = "…" + data["stdout"][-STDOUT_TAIL_CHARS:]
    return data


def get_provisioning_run(*, user: Any, arguments: RunInput) -> dict[str, Any]:
    run = one(selectors.provisioning_run_list(), arguments.run_id, "provisioning run")
    events = selectors.provisioning_events_tail(run=run, limit=arguments.tail) if arguments.tail else []
    return {
        "run": ProvisioningRunOutputSerializer(run).data,
        "finished": not run.is_active,
        "output_tail": [_event(event) for event in events],
    }


class ProvisionInput(ConfirmedInput):
    server_id: int = pydantic.Field(description="The server's id (from list_servers).")
    os: str = pydantic.Field(min_length=1, max_length=128, description="An OS template the server offers.")
    playbook: str | None = pydantic.Field(
        default=None, max_length=200, description="Default: the platform's playbook for the server's connection."
    )


def provision_server(*, user: Any, arguments: ProvisionInput) -> dict[str, Any]:
    server = one(server_list(), arguments.server_id, "server")
    run = services.provision_request(
        server=server,
        os_template=arguments.os,
        playbook=arguments.playbook,
        confirm=arguments.confirm,
        user=user,
    )
    return {"run_id": run.pk, "status": run.status, "phase": run.phase, "playbook": run.playbook}


TOOLS = (
    Tool(
        name="list_provisioning_runs",
        title="List provisioning runs",
        description="Provisioning and playbook runs, newest first, with their status, phase and error.",
        input=ListRunsInput,
        permission="provisioning.view_provisioningrun",
        run=list_provisioning_runs,
    ),
    Tool(
        name="get_provisioning_run",
        title="A provisioning run and its output",
        description=(
            "One run: its phases (attempts, errors), Ansible stats and the tail of its output (the last "
            "Ansible events), to explain why it failed or where it is."
        ),
        input=RunInput,
        permission="provisioning.view_provisioningrun",
        run=get_provisioning_run,
    ),
    Tool(
        name="provision_server",
        title="Provision a server (wipes it)",
        description=(
            "Reinstall a server with an OS template and configure it with a playbook. DESTRUCTIVE: the "
            "reinstall wipes the server, its data and its backups; it runs only with confirm: true."
        ),
        input=ProvisionInput,
        permission="provisioning.run_provisioning",
        run=provision_server,
        writes=True,
        destructive=True,
        confirm_message=CONFIRM_MESSAGE,
    ),
)
