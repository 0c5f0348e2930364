"""The one interface the assistant talks to, whichever provider answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .models import ChatReply, Message, ToolSpec
from .transport import CallPolicy


@dataclass(frozen=True)
class LlmSettings:
    """Where the model is and how to call it (from the platform's settings)."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 30.0
    attempts: int = 3
    fail_max: int = 5
    reset_timeout: float = 120.0
    max_tokens: int = 1024
    # Whether the model may be on a loopback or private address (a local Ollama, say); checked on
    # the resolved address of every connection, not only when configured.
    allow_private_addresses: bool = False

    def policy(self, deadline: float | None) -> CallPolicy:
        return CallPolicy(
            timeout=self.timeout,
            attempts=self.attempts,
            fail_max=self.fail_max,
            reset_timeout=self.reset_timeout,
            deadline=deadline,
            allow_private_addresses=self.allow_private_addresses,
        )


class ChatProvider(Protocol):
    """A chat model that may answer with tool calls."""

    def chat(
        self, *, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec], deadline: float | None = None
    ) -> ChatReply:
        """The model's next turn; raises an LlmError (apps/integrations/llm/errors.py)."""
        ...
