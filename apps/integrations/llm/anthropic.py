"""Anthropic's Messages API (`POST {base_url}/v1/messages`) with tool use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import LlmSettings
from .errors import LlmResponseError
from .models import ChatReply, Message, ToolCall, ToolSpec
from .transport import post_json

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


def _messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The conversation in Anthropic's shape: the results of one turn's tool calls go back
    together, as the blocks of one user message."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.content,
                "is_error": message.is_error,
            }
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif message.role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
            blocks += [
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments or {}}
                for call in message.tool_calls
            ]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": "user", "content": message.content})
    return out


def _reply(data: dict[str, Any]) -> ChatReply:
    blocks = data.get("content")
    if not isinstance(blocks, list):
        raise LlmResponseError("messages: the answer has no content blocks")
    texts, calls = [], []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif block.get("type") == "tool_use":
            if not isinstance(block.get("name"), str) or not block.get("id"):
                raise LlmResponseError("messages: a tool_use block has no name or id")
            arguments = block.get("input")
            calls.append(
                ToolCall(
                    id=str(block["id"]),
                    name=block["name"],
                    arguments=arguments if isinstance(arguments, dict) else None,
                )
            )
    return ChatReply(text="\n".join(texts), tool_calls=tuple(calls))


class AnthropicChat:
    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.url = (settings.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages"

    def chat(
        self, *, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec], deadline: float | None = None
    ) -> ChatReply:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
            "system": system,
            "messages": _messages(messages),
        }
        if tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
            ]
        headers = {
            "Content-Type": "application/json",
            "x-api-key": self.settings.api_key,
            "anthropic-version": API_VERSION,
        }
        data = post_json(
            self.url,
            headers=headers,
            body=body,
            policy=self.settings.policy(deadline),
            circuit=f"anthropic:{self.url}",
            what="messages",
            secrets=(self.settings.api_key,),
        )
        return _reply(data)
