"""The assistant's model, from the LLM_* settings: off until LLM_PROVIDER is set."""

from __future__ import annotations

from django.conf import settings

from apps.core.validators import outbound_url_problems
from apps.integrations.llm import PROVIDERS, ChatProvider, LlmSettings, chat_provider
from apps.integrations.llm.anthropic import DEFAULT_BASE_URL as ANTHROPIC_BASE_URL
from apps.integrations.llm.openai import DEFAULT_BASE_URL as OPENAI_BASE_URL

DEFAULT_BASE_URLS = {"openai": OPENAI_BASE_URL, "anthropic": ANTHROPIC_BASE_URL}


def assistant_enabled() -> bool:
    return bool(settings.LLM_PROVIDER)


def base_url() -> str:
    return settings.LLM_BASE_URL or DEFAULT_BASE_URLS.get(settings.LLM_PROVIDER, "")


def configuration_problems() -> list[tuple[str, str]]:
    """(check id, problem) for each setting that is wrong, without calling anything (the system
    check and the Ask page both show them). Nothing while the assistant is off."""
    provider = settings.LLM_PROVIDER
    if not provider:
        return []
    problems = []
    if provider not in PROVIDERS:
        problems.append(("assistant.E001", f"LLM_PROVIDER is {provider!r}: use one of {', '.join(PROVIDERS)}"))
    if not settings.LLM_MODEL.strip():
        problems.append(("assistant.E002", "LLM_MODEL is empty: name the model to ask"))
    if provider == "anthropic" and not settings.LLM_API_KEY:
        problems.append(("assistant.E003", "LLM_API_KEY is empty: Anthropic's API needs a key"))
    if settings.LLM_TIMEOUT_SECONDS <= 0 or settings.ASSISTANT_DEADLINE_SECONDS <= 0:
        problems.append(("assistant.E004", "LLM_TIMEOUT_SECONDS and ASSISTANT_DEADLINE_SECONDS must be positive"))
    if settings.ASSISTANT_MAX_TOOL_ROUNDS < 1:
        problems.append(("assistant.E005", "ASSISTANT_MAX_TOOL_ROUNDS must be at least 1"))
    return problems


class AssistantUnavailable(Exception):
    """The assistant cannot ask its model: off, misconfigured, or its address is refused."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def llm_client() -> ChatProvider:
    """The configured model's client; raises AssistantUnavailable saying what to fix.

    The base URL passes the platform's outbound rule first (https in production; no loopback or
    private address unless LLM_ALLOW_PRIVATE_ADDRESSES): the key goes wherever it points.
    """
    if not assistant_enabled():
        raise AssistantUnavailable(["LLM_PROVIDER is not set"])
    problems = [problem for _, problem in configuration_problems()]
    problems += [
        f"LLM_BASE_URL {problem}"
        for problem in outbound_url_problems(base_url(), private_setting="LLM_ALLOW_PRIVATE_ADDRESSES")
    ]
    if problems:
        raise AssistantUnavailable(problems)
    return chat_provider(
        settings.LLM_PROVIDER,
        LlmSettings(
            base_url=base_url(),
            model=settings.LLM_MODEL,
            api_key=settings.LLM_API_KEY,
            timeout=settings.LLM_TIMEOUT_SECONDS,
            attempts=settings.LLM_RETRY_ATTEMPTS,
            fail_max=settings.LLM_CIRCUIT_FAIL_MAX,
            reset_timeout=settings.LLM_CIRCUIT_RESET_SECONDS,
            max_tokens=settings.LLM_MAX_TOKENS,
            allow_private_addresses=settings.LLM_ALLOW_PRIVATE_ADDRESSES,
        ),
    )
