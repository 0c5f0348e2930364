"""OpenAI-compatible chat completions (`POST {base_url}/chat/completions`): OpenAI, Ollama, vLLM..."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .base import LlmSettings
from .errors import LlmResponseError
from .models import ChatReply, Message, ToolCall, ToolSpec
from .transport import post_json

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def _arguments(raw: Any) -> dict[str, Any] | None:
    # The protocol sends a JSON string; some compatible servers send the object itself.
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return None
    return raw if isinstance(raw, dict) else None


def _message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    body: dict[str, Any] = {"role": message.role, "content": message.content or None}
    if message.tool_calls:
        body["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments or {})},
            }
            for call in message.tool_calls
        ]
    return body


def _reply(data: dict[str, Any]) -> ChatReply:
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        message = None
    if not isinstance(message, dict):
        raise LlmResponseError("chat completions: the answer has no choices[0].message")
    calls = []
    for number, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise LlmResponseError("chat completions: a tool call names no function")
        call_id = str(call.get("id") or f"call_{number}")
        calls.append(ToolCall(id=call_id, name=function["name"], arguments=_arguments(function.get("arguments"))))
    content = message.get("content")
    return ChatReply(text=content if isinstance(content, str) else "", tool_calls=tuple(calls))


class OpenAIChat:
    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.url = (settings.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"

    def chat(
        self, *, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec], deadline: float | None = None
    ) -> ChatReply:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [{"role": "system", "content": system}, *(_message(message) for message in messages)],
        }
        if tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in tools
            ]
        headers = {"Content-Type": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        data = post_json(
            self.url,
            headers=headers,
            body=body,
            policy=self.settings.policy(deadline),
            circuit=f"openai:{self.url}",
            what="chat completions",
            secrets=(self.settings.api_key,),
        )
        return _reply(data)
