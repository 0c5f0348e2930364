"""Answer an operator's question: a small tool-calling loop over the MCP tool registry.

The model is offered the tools the operator's role allows (apps/mcp_server/registry.py) and each
call it asks for goes through the registry in this process, as the operator: the same checks,
the same audit events, the same scrubbed answers as a call over MCP. A tool the role forbids is
refused and the refusal goes back to the model (and onto the page). The loop is bounded: at most
ASSISTANT_MAX_TOOL_ROUNDS rounds of tool calls, and ASSISTANT_DEADLINE_SECONDS in all.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from apps.assistant.configuration import llm_client
from apps.assistant.prompts import system_prompt
from apps.audit.choices import AuditOutcome
from apps.integrations.llm import LlmError, Message, ToolCall, ToolSpec
from apps.mcp_server.choices import Via
from apps.mcp_server.registry import tool_call, tools_for

log = structlog.get_logger(__name__)

# A model asking for more calls than this in one turn gets the rest refused.
MAX_CALLS_PER_ROUND = 8
# What one tool answer may add to the conversation.
MAX_RESULT_CHARS = 12_000
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call the model asked for, as the page shows it."""

    name: str
    arguments: Any
    outcome: AuditOutcome
    result: str


@dataclass
class Answer:
    text: str = ""
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    rounds: int = 0
    # Why the loop ended without the model's answer (the bound, the deadline, the model's error).
    stopped: str = ""


def _tool_specs(user: AbstractBaseUser) -> list[ToolSpec]:
    return [ToolSpec(tool.name, tool.description, tool.input_schema) for tool in tools_for(user)]


def _as_text(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + " …(cut: ask for fewer rows)"
    return text


def _run_call(user: AbstractBaseUser, call: ToolCall) -> tuple[Message, ToolCallRecord]:
    if call.arguments is None:
        # Recorded like any call, so the audit trail shows what the model tried.
        result = tool_call(user=user, name=call.name, arguments="(not a JSON object)", via=Via.ASSISTANT)
    else:
        result = tool_call(user=user, name=call.name, arguments=call.arguments, via=Via.ASSISTANT)
    payload = result.payload()
    if result.refused:
        payload = {"error": f"Tool {result.tool!r} is not available: {result.error}"}
    text = _as_text(payload)
    record = ToolCallRecord(name=call.name, arguments=call.arguments, outcome=result.outcome, result=text)
    message = Message(role="tool", content=text, tool_call_id=call.id, is_error=not result.ok)
    return message, record


def _refused_call(call: ToolCall) -> tuple[Message, ToolCallRecord]:
    text = _as_text({"error": f"too many tool calls in one turn: at most {MAX_CALLS_PER_ROUND}"})
    record = ToolCallRecord(name=call.name, arguments=call.arguments, outcome=AuditOutcome.DENIED, result=text)
    return Message(role="tool", content=text, tool_call_id=call.id, is_error=True), record


def assistant_ask(*, user: AbstractBaseUser, question: str) -> Answer:
    """The model's answer to `question`, with every tool call it made on the way.

    Raises AssistantUnavailable (apps/assistant/configuration.py) when the assistant is off or
    misconfigured; an error of the model's provider ends the answer with `stopped` saying so.
    """
    client = llm_client()
    deadline = time.monotonic() + settings.ASSISTANT_DEADLINE_SECONDS
    system = system_prompt(user)
    tools = _tool_specs(user)
    messages = [Message(role="user", content=question[:MAX_QUESTION_CHARS])]
    answer = Answer()
    while True:
        try:
            reply = client.chat(system=system, messages=messages, tools=tools, deadline=deadline)
        except LlmError as error:
            answer.stopped = f"The model could not answer: {error}"
            break
        messages.append(reply.as_message())
        if not reply.tool_calls:
            answer.text = reply.text or "(The model gave no answer.)"
            break
        if answer.rounds >= settings.ASSISTANT_MAX_TOOL_ROUNDS:
            answer.text = reply.text
            answer.stopped = (
                f"Stopped after {answer.rounds} rounds of tool calls (ASSISTANT_MAX_TOOL_ROUNDS): the model "
                "kept asking for more instead of answering."
            )
            break
        answer.rounds += 1
        for number, call in enumerate(reply.tool_calls):
            message, record = _run_call(user, call) if number < MAX_CALLS_PER_ROUND else _refused_call(call)
            messages.append(message)
            answer.tool_calls.append(record)
        if time.monotonic() >= deadline:
            answer.stopped = f"Stopped: the question took longer than {settings.ASSISTANT_DEADLINE_SECONDS:.0f} s."
            break
    log.info(
        "assistant_answered",
        user_id=user.pk,
        rounds=answer.rounds,
        tool_calls=len(answer.tool_calls),
        stopped=bool(answer.stopped),
    )
    return answer
