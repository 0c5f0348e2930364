"""Clients of chat models with tool calling, behind one interface (ChatProvider).

Two protocols: OpenAI-compatible chat completions (OpenAI, and local servers such as Ollama and
vLLM) and Anthropic's Messages API. Every call has a time-out, bounded retries and a circuit
breaker per provider (transport.py). Like every client here it takes plain values and imports
nothing from the domain apps.
"""

from .anthropic import AnthropicChat
from .base import ChatProvider, LlmSettings
from .errors import (
    LlmCircuitOpenError,
    LlmError,
    LlmOutOfTimeError,
    LlmRequestError,
    LlmResponseError,
    LlmUnavailableError,
)
from .models import ChatReply, Message, ToolCall, ToolSpec
from .openai import OpenAIChat
from .transport import circuit_reset

PROVIDERS: dict[str, type] = {"openai": OpenAIChat, "anthropic": AnthropicChat}


def chat_provider(kind: str, settings: LlmSettings) -> ChatProvider:
    """The client of provider `kind` ("openai" or "anthropic"); ValueError for another kind."""
    try:
        return PROVIDERS[kind](settings)
    except KeyError:
        raise ValueError(f"unknown model provider {kind!r}: use one of {', '.join(PROVIDERS)}") from None


__all__ = [
    "PROVIDERS",
    "AnthropicChat",
    "ChatProvider",
    "ChatReply",
    "LlmCircuitOpenError",
    "LlmError",
    "LlmOutOfTimeError",
    "LlmRequestError",
    "LlmResponseError",
    "LlmSettings",
    "LlmUnavailableError",
    "Message",
    "OpenAIChat",
    "ToolCall",
    "ToolSpec",
    "chat_provider",
    "circuit_reset",
]
