"""Who may call which tool, and the one path every call takes: check, validate, run, scrub, audit.

A tool is one `Tool` entry in apps/mcp_server/tools/ (TOOLS): a name, a description, an input
model (its JSON schema is what clients see), the permission it needs and a function that calls
one service or selector. These rules hold however a tool is called: the MCP server over HTTP or
stdio, or the admin's assistant.

- A caller sees (tools/list) and may call only the tools whose permission their role holds
  (apps/access/roles.py decides what each role holds); a write tool exists only while
  MCP_ALLOW_WRITE is on.
- A destructive tool refuses unless its arguments say `confirm: true`.
- Every call, allowed or not, is one audit event (mcp.tool_call): the caller, the tool, the
  arguments with secrets removed, the outcome. The service a tool calls records its own action too.
- What a tool returns passes the audit scrubber: no secret-looking value reaches a client or a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pydantic
import structlog
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from pydantic.json_schema import GenerateJsonSchema

from apps.audit.choices import AuditAction, AuditOutcome
from apps.audit.scrub import scrub
from apps.audit.services import audit_record
from apps.core.exceptions import PlatformError, ValidationError
from apps.mcp_server.choices import Via

log = structlog.get_logger(__name__)

MAX_NAME_LENGTH = 64


class ToolInput(pydantic.BaseModel):
    """A tool's arguments. An argument the tool does not know is an error, never ignored."""

    model_config = pydantic.ConfigDict(extra="forbid")


class ConfirmedInput(ToolInput):
    """The arguments of a destructive tool: it runs only with `confirm: true`."""

    confirm: bool = pydantic.Field(
        default=False, description="Must be true: say it only after the person asking has agreed."
    )


class _ClientSchema(GenerateJsonSchema):
    """JSON schemas as clients and models read them best: no titles, and an optional argument is
    simply left out (no "null" alternative to send)."""

    def nullable_schema(self, schema: Any) -> Any:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: Any) -> Any:
        if "default_factory" not in schema and schema.get("default") is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    input: type[ToolInput]
    # The Django permission the caller's role must hold (the API's permission for the same action).
    permission: str
    # run(user=..., arguments=<an instance of `input`>) -> a JSON object; one service or selector call.
    run: Callable[..., dict[str, Any]]
    writes: bool = False
    destructive: bool = False
    # What a destructive tool says when called without `confirm: true`.
    confirm_message: str = ""

    def __post_init__(self) -> None:
        if self.destructive and not (self.writes and issubclass(self.input, ConfirmedInput) and self.confirm_message):
            raise ValueError(f"{self.name}: a destructive tool writes, takes ConfirmedInput and says why it asks")

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        schema = self.input.model_json_schema(schema_generator=_ClientSchema)
        schema.pop("title", None)
        return schema


@dataclass(frozen=True)
class ToolResult:
    """How one call ended: the tool's answer, or why it failed or was refused."""

    tool: str
    outcome: AuditOutcome
    data: dict[str, Any] | None = None
    error: str = ""
    field_errors: dict[str, list[str]] | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == AuditOutcome.SUCCESS

    @property
    def refused(self) -> bool:
        """The caller may not call this tool at all (unknown, not in their role, writes off)."""
        return self.outcome == AuditOutcome.DENIED

    def payload(self) -> dict[str, Any]:
        """What the caller gets back: the answer, or `{"error": ..., "fields": {...}}`."""
        if self.ok:
            return self.data or {}
        body: dict[str, Any] = {"error": self.error}
        if self.field_errors:
            body["fields"] = self.field_errors
        return body


def _tools() -> tuple[Tool, ...]:
    from apps.mcp_server.tools import TOOLS  # the tools import the domain apps; they load on first use

    return TOOLS


def tool_named(name: str) -> Tool | None:
    return next((tool for tool in _tools() if tool.name == name), None)


def refusal(tool: Tool | None, user: AbstractBaseUser, *, name: str = "") -> str | None:
    """Why `user` may not call `tool` (None: they may)."""
    if tool is None:
        return f"there is no tool named {name[:MAX_NAME_LENGTH]!r}"
    if tool.writes and not settings.MCP_ALLOW_WRITE:
        return f"{tool.name} changes the fleet, and write tools are switched off (MCP_ALLOW_WRITE)"
    if not user.has_perm(tool.permission):
        return f"your role does not allow {tool.name}"
    return None


def tools_for(user: AbstractBaseUser) -> list[Tool]:
    """The tools `user` may call now, in the registry's order."""
    return [tool for tool in _tools() if refusal(tool, user) is None]


def _field_errors(error: pydantic.ValidationError) -> dict[str, list[str]]:
    # Messages only: pydantic's `input` would echo what was sent, secrets included.
    fields: dict[str, list[str]] = {}
    for problem in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in problem["loc"]) or "arguments"
        fields.setdefault(field, []).append(problem["msg"])
    return fields


def _execute(tool: Tool, user: AbstractBaseUser, arguments: Any) -> ToolResult:
    try:
        parsed = tool.input.model_validate(arguments if arguments is not None else {})
    except pydantic.ValidationError as error:
        fields = _field_errors(error)
        return ToolResult(tool.name, AuditOutcome.FAILURE, error="the arguments are not valid", field_errors=fields)
    if tool.destructive and parsed.confirm is not True:
        return ToolResult(
            tool.name,
            AuditOutcome.FAILURE,
            error=tool.confirm_message,
            field_errors={"confirm": [tool.confirm_message]},
        )
    try:
        data = tool.run(user=user, arguments=parsed)
    except ValidationError as error:
        return ToolResult(tool.name, AuditOutcome.FAILURE, error=str(error), field_errors=error.field_errors)
    except PlatformError as error:  # its message is written to be shown, and holds no secret
        return ToolResult(tool.name, AuditOutcome.FAILURE, error=str(error))
    return ToolResult(tool.name, AuditOutcome.SUCCESS, data=scrub(data))


def tool_call(*, user: AbstractBaseUser, name: str, arguments: Any, via: Via) -> ToolResult:
    """Call the tool `name` as `user` and record the call in the audit trail.

    Never raises for what the caller did wrong: an unknown or forbidden tool, bad arguments and
    the service's refusals come back as a ToolResult saying why. An unexpected error is logged
    and reported as an internal error, without its details.
    """
    name = name if isinstance(name, str) else repr(name)
    tool = tool_named(name)
    reason = refusal(tool, user, name=name)
    if reason is not None:
        result = ToolResult(name[:MAX_NAME_LENGTH], AuditOutcome.DENIED, error=reason)
    else:
        try:
            result = _execute(tool, user, arguments)
        except Exception as error:
            log.exception("mcp_tool_crashed", tool=name, via=via)
            result = ToolResult(name, AuditOutcome.FAILURE, error=f"internal error ({type(error).__name__})")
    detail: dict[str, Any] = {"tool": result.tool, "via": via, "arguments": arguments}
    if result.error:
        detail["error"] = result.error
    audit_record(
        action=AuditAction.MCP_TOOL_CALL,
        actor=user,
        target_type="mcp_server.tool",
        target_id=result.tool,
        target_repr=result.tool,
        outcome=result.outcome,
        detail=detail,
    )
    log.info("mcp_tool_called", tool=result.tool, via=via, outcome=result.outcome, user_id=user.pk)
    return result
