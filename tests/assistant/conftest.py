"""Assistant tests: the admin's Ask page and the model clients, against a fake model on loopback
(tests/fakes/llm_server.py) that speaks the OpenAI and Anthropic protocols."""

from __future__ import annotations

import pytest

from tests.fakes.llm_server import FakeLLM
from tests.roles import user_with_role


@pytest.fixture
def assistant_on(settings, fake_llm) -> FakeLLM:
    """The assistant asking the fake model (OpenAI protocol), with short waits and write tools on."""
    settings.LLM_PROVIDER = "openai"
    settings.LLM_BASE_URL = fake_llm.openai_url
    settings.LLM_MODEL = "fake-model"
    settings.LLM_API_KEY = fake_llm.api_key
    settings.LLM_TIMEOUT_SECONDS = 5.0
    settings.LLM_RETRY_ATTEMPTS = 3
    settings.LLM_ALLOW_PRIVATE_ADDRESSES = True
    settings.ASSISTANT_MAX_TOOL_ROUNDS = 3
    settings.MCP_ALLOW_WRITE = True
    return fake_llm


def signed_in(client, role: str, username: str | None = None):
    user = user_with_role(role, username or f"{role}-asker")
    client.force_login(user)
    return user
