"""The model clients against the fake model over real HTTP: both protocols, time-outs, bounded
retries, the circuit breaker, and no key in any error."""

from __future__ import annotations

import time

import pytest

from apps.integrations.llm import (
    AnthropicChat,
    LlmCircuitOpenError,
    LlmOutOfTimeError,
    LlmRequestError,
    LlmSettings,
    LlmUnavailableError,
    Message,
    OpenAIChat,
    ToolSpec,
    chat_provider,
)
from tests.fakes.llm_server import error, say, use_all

TOOLS = [ToolSpec("list_servers", "List servers.", {"type": "object", "properties": {}})]
QUESTION = [Message(role="user", content="which servers?")]


def settings_for(url: str, key: str, **overrides) -> LlmSettings:
    values = {
        "base_url": url,
        "model": "fake-model",
        "api_key": key,
        "timeout": 2.0,
        "attempts": 3,
        "fail_max": 3,
        "allow_private_addresses": True,  # the fake model listens on loopback
    }
    return LlmSettings(**{**values, **overrides})


@pytest.fixture
def openai(fake_llm) -> OpenAIChat:
    return OpenAIChat(settings_for(fake_llm.openai_url, fake_llm.api_key))


def test_openai_protocol_tool_calls_and_their_results(fake_llm, openai):
    fake_llm.script(use_all(("list_servers", {"busy": True}), ("fleet_summary", {})), say("Two are busy."))

    first = openai.chat(system="be brief", messages=QUESTION, tools=TOOLS)
    follow_up = [
        *QUESTION,
        first.as_message(),
        Message(role="tool", content='{"servers": []}', tool_call_id=first.tool_calls[0].id),
        Message(role="tool", content='{"error": "no"}', tool_call_id=first.tool_calls[1].id, is_error=True),
    ]
    second = openai.chat(system="be brief", messages=follow_up, tools=TOOLS)

    assert [(call.name, call.arguments) for call in first.tool_calls] == [
        ("list_servers", {"busy": True}),
        ("fleet_summary", {}),
    ]
    assert second.text == "Two are busy."
    sent = fake_llm.requests[1].json()
    assert sent["model"] == "fake-model"
    assert sent["tools"][0] == {
        "type": "function",
        "function": {"name": "list_servers", "description": "List servers.", "parameters": TOOLS[0].parameters},
    }
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "tool", "tool"]
    assert sent["messages"][2]["tool_calls"][0]["function"] == {"name": "list_servers", "arguments": '{"busy": true}'}
    assert fake_llm.requests[0].header("Authorization") == f"Bearer {fake_llm.api_key}"


def test_anthropic_protocol_groups_a_turns_tool_results_in_one_user_message(fake_llm):
    client = AnthropicChat(settings_for(fake_llm.anthropic_url, fake_llm.api_key, max_tokens=333))
    fake_llm.script(use_all(("list_servers", {}), ("fleet_summary", {})), say("Done."))

    first = client.chat(system="be brief", messages=QUESTION, tools=TOOLS)
    results = [Message(role="tool", content="{}", tool_call_id=call.id) for call in first.tool_calls]
    second = client.chat(system="be brief", messages=[*QUESTION, first.as_message(), *results], tools=TOOLS)

    assert [call.name for call in first.tool_calls] == ["list_servers", "fleet_summary"]
    assert second.text == "Done."
    sent = fake_llm.requests[1].json()
    assert (sent["system"], sent["max_tokens"]) == ("be brief", 333)
    assert sent["tools"][0]["input_schema"] == TOOLS[0].parameters
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert [block["type"] for block in sent["messages"][2]["content"]] == ["tool_result", "tool_result"]
    assert fake_llm.requests[0].header("anthropic-version") == "2023-06-01"


def test_a_wrong_key_is_refused_at_once_and_the_error_does_not_carry_it(fake_llm):
    client = OpenAIChat(settings_for(fake_llm.openai_url, "sk-wrong-key-abcdef"))

    with pytest.raises(LlmRequestError) as raised:
        client.chat(system="", messages=QUESTION, tools=[])

    assert raised.value.status == 401
    assert "Incorrect API key" in str(raised.value)
    assert "sk-wrong-key-abcdef" not in str(raised.value)
    assert len(fake_llm.requests) == 1  # not retried: trying again cannot help


def test_server_errors_are_retried_within_the_bound(fake_llm, openai):
    fake_llm.script(error(500), error(502), say("third time lucky"))

    assert openai.chat(system="", messages=QUESTION, tools=[]).text == "third time lucky"
    assert len(fake_llm.requests) == 3


def test_after_the_last_attempt_the_error_says_what_happened(fake_llm, openai):
    fake_llm.fail(503, times=10)

    with pytest.raises(LlmUnavailableError, match="HTTP 503"):
        openai.chat(system="", messages=QUESTION, tools=[])
    assert len(fake_llm.requests) == 3


def test_a_slow_model_times_out(fake_llm):
    client = OpenAIChat(settings_for(fake_llm.openai_url, fake_llm.api_key, timeout=0.5, attempts=1))
    fake_llm.slow(2.0)

    started = time.monotonic()
    with pytest.raises(LlmUnavailableError, match="timed out"):
        client.chat(system="", messages=QUESTION, tools=[])
    assert time.monotonic() - started < 1.8


def test_no_attempt_starts_past_the_callers_deadline(fake_llm, openai):
    with pytest.raises(LlmOutOfTimeError):
        openai.chat(system="", messages=QUESTION, tools=[], deadline=time.monotonic())
    assert fake_llm.requests == []


def test_the_circuit_opens_after_repeated_failures_and_fails_fast(fake_llm):
    client = OpenAIChat(settings_for(fake_llm.openai_url, fake_llm.api_key, attempts=1, fail_max=2))
    fake_llm.fail(500, times=2)
    for _ in range(2):
        with pytest.raises(LlmUnavailableError):
            client.chat(system="", messages=QUESTION, tools=[])

    with pytest.raises(LlmCircuitOpenError, match="failed 2 times in a row"):
        client.chat(system="", messages=QUESTION, tools=[])
    assert len(fake_llm.requests) == 2


def test_a_refused_request_does_not_open_the_circuit(fake_llm):
    client = OpenAIChat(settings_for(fake_llm.openai_url, "sk-wrong", attempts=1, fail_max=1))
    for _ in range(3):
        with pytest.raises(LlmRequestError):
            client.chat(system="", messages=QUESTION, tools=[])
    assert len(fake_llm.requests) == 3


def test_an_unknown_provider_is_a_clear_error():
    with pytest.raises(ValueError, match="use one of openai, anthropic"):
        chat_provider("mistery", settings_for("http://127.0.0.1:9", ""))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_model_on_a_loopback_address_is_refused_at_connect_time_unless_allowed(fake_llm, host):
    url = fake_llm.openai_url.replace("127.0.0.1", host)
    client = OpenAIChat(settings_for(url, fake_llm.api_key, allow_private_addresses=False))

    with pytest.raises(LlmRequestError, match="not a globally routable address") as refused:
        client.chat(system="", messages=QUESTION, tools=TOOLS)

    assert fake_llm.api_key not in str(refused.value)
    assert fake_llm.requests == []  # nothing was sent, the key included
