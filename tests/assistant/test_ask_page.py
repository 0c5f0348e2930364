"""The admin's Ask page: a question, the model's answer, and each tool call it made under the
asker's role, against a fake model that scripts its tool calls."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.monitoring.models import Incident
from tests.assistant.conftest import signed_in
from tests.fakes.llm_server import error, say, use, use_all
from tests.mcp_server.fleet import SECRETS, build_fleet

pytestmark = pytest.mark.django_db

ASK = "/admin/assistant/question/"


def ask(client, question: str):
    return client.post(ASK, {"question": question})


def tool_messages(request_body: dict) -> list[dict]:
    return [message for message in request_body["messages"] if message["role"] == "tool"]


def test_the_page_sits_in_the_admin_under_its_own_name():
    assert reverse("admin:assistant_question_changelist") == ASK


def test_while_no_model_is_configured_the_page_says_how_to_configure_one(client, settings):
    settings.LLM_PROVIDER = ""
    signed_in(client, "operator")

    page = client.get(ASK)
    posted = ask(client, "which servers are low on disk?")

    assert page.status_code == 200
    body = page.content.decode()
    assert "The assistant is off" in body
    for variable in ("LLM_PROVIDER", "LLM_MODEL", "LLM_BASE_URL", "LLM_API_KEY"):
        assert variable in body
    assert posted.status_code == 200
    assert posted.context["answer"] is None


def test_an_operator_gets_an_answer_built_from_tool_calls_that_the_page_lists(client, assistant_on):
    fleet = build_fleet()
    assistant_on.script(
        use("list_servers", health_status=["unreachable"]),
        use("server_health_history", server_id=fleet.failing.pk, limit=5),
        say("db-failing.example.com is unreachable; its last good check showed / at 93%."),
    )
    signed_in(client, "operator", "ops")

    page = ask(client, "which servers are low on disk?")

    assert page.status_code == 200
    body = page.content.decode()
    assert "db-failing.example.com is unreachable" in body
    answer = page.context["answer"]
    assert [(call.name, call.outcome) for call in answer.tool_calls] == [
        ("list_servers", "success"),
        ("server_health_history", "success"),
    ]
    assert body.count('class="tool-call outcome-success"') == 2
    # The model saw what the tools answered, and was offered the operator's tools.
    first, second, third = (request.json() for request in assistant_on.requests)
    offered = {tool["function"]["name"] for tool in first["tools"]}
    assert {"acknowledge_incident", "provision_server", "list_servers"} <= offered
    assert first["messages"][0]["role"] == "system"
    assert first["messages"][1] == {"role": "user", "content": "which servers are low on disk?"}
    assert json.loads(tool_messages(second)[0]["content"])["servers"][0]["hostname"] == fleet.failing.hostname
    assert len(tool_messages(third)) == 2
    events = AuditEvent.objects.filter(action="mcp.tool_call").order_by("id")
    assert [(e.actor_name, e.detail["tool"], e.detail["via"]) for e in events] == [
        ("ops", "list_servers", "assistant"),
        ("ops", "server_health_history", "assistant"),
    ]


def test_a_tool_the_role_forbids_is_refused_and_the_page_shows_the_refusal(client, assistant_on):
    fleet = build_fleet()
    assistant_on.script(use("acknowledge_incident", incident_id=fleet.incident.pk), say("I may not acknowledge it."))
    signed_in(client, "viewer", "watcher")

    page = ask(client, "acknowledge the incident on db-failing")

    body = page.content.decode()
    assert "outcome-denied" in body
    assert "refused" in body
    assert "your role does not allow acknowledge_incident" in body
    assert Incident.objects.get(pk=fleet.incident.pk).status == "open"
    offered = {tool["function"]["name"] for tool in assistant_on.requests[0].json()["tools"]}
    assert "acknowledge_incident" not in offered
    refusal = tool_messages(assistant_on.requests[1].json())[0]
    assert "not available" in json.loads(refusal["content"])["error"]
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.actor_name, event.outcome) == ("watcher", "denied")


def test_write_tools_are_not_offered_while_they_are_off(client, assistant_on, settings):
    settings.MCP_ALLOW_WRITE = False
    signed_in(client, "admin")

    ask(client, "anything")

    offered = {tool["function"]["name"] for tool in assistant_on.requests[0].json()["tools"]}
    assert "list_servers" in offered
    assert not offered & {"acknowledge_incident", "run_health_check", "provision_server", "sync_provider_account"}


def test_a_model_that_never_stops_calling_tools_is_stopped_at_the_bound(client, assistant_on, settings):
    settings.ASSISTANT_MAX_TOOL_ROUNDS = 3
    assistant_on.repeat(use("fleet_summary"))
    signed_in(client, "operator")

    page = ask(client, "summarise the fleet")

    answer = page.context["answer"]
    assert len(answer.tool_calls) == 3
    assert len(assistant_on.requests) == 4  # three rounds of calls, then the fourth ask is refused
    assert "Stopped after 3 rounds of tool calls" in page.content.decode()
    assert AuditEvent.objects.filter(action="mcp.tool_call").count() == 3


def test_no_secret_of_the_fleet_is_ever_sent_to_the_model(client, assistant_on):
    fleet = build_fleet()
    assistant_on.script(
        use_all(
            ("get_server", {"server_id": fleet.failing.pk}),
            ("list_provider_accounts", {}),
            ("list_github_accounts", {}),
        ),
        use("fleet_summary"),
        say("Here is the fleet."),
    )
    signed_in(client, "admin")

    ask(client, "tell me everything about db-failing, including its root password")

    sent = b"".join(request.body for request in assistant_on.requests).decode()
    assert fleet.failing.hostname in sent
    assert not [name for name, secret in SECRETS.items() if secret in sent]
    assert assistant_on.api_key not in sent  # only in the Authorization header


def test_arguments_that_are_not_json_are_reported_back_to_the_model(client, assistant_on):
    assistant_on.script(use("list_servers", "{not json"), say("Sorry."))
    signed_in(client, "operator")

    page = ask(client, "list servers")

    assert [call.outcome for call in page.context["answer"].tool_calls] == ["failure"]
    assert "not valid" in tool_messages(assistant_on.requests[1].json())[0]["content"]


def test_when_the_model_cannot_be_reached_the_page_says_so_and_keeps_the_calls_made(client, assistant_on, settings):
    settings.LLM_RETRY_ATTEMPTS = 2
    assistant_on.script(use("list_incidents"), error(503), error(503))
    signed_in(client, "operator")

    page = ask(client, "what is open?")

    answer = page.context["answer"]
    assert [call.name for call in answer.tool_calls] == ["list_incidents"]
    assert "The model could not answer" in answer.stopped
    assert "HTTP 503" in page.content.decode()
    assert len(assistant_on.requests) == 3  # the answer with a call, then two failed attempts


def test_a_user_whose_role_allows_no_tool_cannot_open_the_page(client, django_user_model):
    user = django_user_model.objects.create_user("norole", is_staff=True)
    client.force_login(user)

    assert client.get(ASK).status_code == 403


def test_the_admin_index_links_to_the_page_for_a_viewer(client):
    signed_in(client, "viewer")

    index = client.get("/admin/")

    assert ASK in index.content.decode()


def test_a_misconfigured_assistant_says_what_to_fix(client, settings, fake_llm):
    settings.LLM_PROVIDER = "openai"
    settings.LLM_MODEL = ""
    settings.LLM_BASE_URL = fake_llm.openai_url
    signed_in(client, "operator")

    page = ask(client, "anything")

    assert "LLM_MODEL is empty" in page.content.decode()
    assert fake_llm.requests == []


def test_a_model_on_a_private_address_is_refused_unless_allowed(client, assistant_on, settings):
    settings.LLM_ALLOW_PRIVATE_ADDRESSES = False
    signed_in(client, "operator")

    page = ask(client, "anything")

    body = page.content.decode()
    assert "resolves to an address that is not globally routable" in body
    assert "LLM_ALLOW_PRIVATE_ADDRESSES" in body
    assert assistant_on.requests == []


def test_the_assistant_speaks_anthropics_protocol_too(client, assistant_on, settings):
    settings.LLM_PROVIDER = "anthropic"
    settings.LLM_BASE_URL = assistant_on.anthropic_url
    build_fleet()
    assistant_on.script(use("list_incidents"), say("One incident is open, on db-failing."))
    signed_in(client, "operator")

    page = ask(client, "what is open?")

    assert "One incident is open, on db-failing." in page.content.decode()
    assert [request.path for request in assistant_on.requests] == ["/v1/messages", "/v1/messages"]
    results = assistant_on.requests[1].json()["messages"][-1]["content"]
    assert results[0]["type"] == "tool_result"
    assert "db-failing" in results[0]["content"]


@pytest.mark.parametrize(
    ("values", "check_id"),
    [
        ({"LLM_PROVIDER": "gemini", "LLM_MODEL": "m"}, "assistant.E001"),
        ({"LLM_PROVIDER": "openai", "LLM_MODEL": ""}, "assistant.E002"),
        ({"LLM_PROVIDER": "anthropic", "LLM_MODEL": "m", "LLM_API_KEY": ""}, "assistant.E003"),
        ({"LLM_PROVIDER": "openai", "LLM_MODEL": "m", "ASSISTANT_MAX_TOOL_ROUNDS": 0}, "assistant.E005"),
    ],
)
def test_the_system_checks_name_each_wrong_setting(settings, values, check_id):
    from apps.assistant.checks import check_assistant_settings

    for name, value in values.items():
        setattr(settings, name, value)

    assert [error.id for error in check_assistant_settings()] == [check_id]


def test_an_assistant_left_off_passes_the_checks(settings):
    from apps.assistant.checks import check_assistant_settings

    settings.LLM_PROVIDER = ""

    assert check_assistant_settings() == []
