"""What the tools answer, through the registry's one call path (the MCP server and the assistant
both call it): filters as the API's, bounded pages, refusals with reasons, the services' rules."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.mcp_server.choices import Via
from apps.mcp_server.registry import tool_call
from apps.monitoring.models import Incident
from apps.projects.api.serializers import SearchResultSerializer
from apps.projects.docs_index import clear_search_index_cache
from apps.projects.models import Project
from apps.projects.services.write import projects_write
from apps.provisioning.models import ProvisioningEvent, ProvisioningRun
from apps.servers.models import Server
from tests.fakes.time4vps_records import DEFAULT_OSES
from tests.mcp_server.fleet import build_fleet
from tests.projects.docs_index.helpers import index_chunks
from tests.projects.factories import github_account, listing
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(settings):
    settings.MCP_ALLOW_WRITE = True
    return user_with_role("operator", "ops")


@pytest.fixture
def fleet():
    return build_fleet()


def ask(user, name, **arguments):
    return tool_call(user=user, name=name, arguments=arguments, via=Via.HTTP)


def hostnames(result) -> list[str]:
    assert result.ok, result.payload()
    return [row["hostname"] for row in result.data["servers"]]


def test_list_servers_filters_as_the_api_does(operator, fleet):
    assert hostnames(ask(operator, "list_servers", health_status=["unreachable", "healthy"])) == [
        fleet.failing.hostname,
        fleet.ready.hostname,
    ]
    assert hostnames(ask(operator, "list_servers", busy=True)) == [fleet.failing.hostname]
    assert hostnames(ask(operator, "list_servers", search="192.0.2.30")) == [fleet.discovered.hostname]
    assert hostnames(ask(operator, "list_servers", search="web ready")) == [fleet.ready.hostname]
    assert hostnames(ask(operator, "list_servers", provider_account=fleet.account.pk, provider_status=["unknown"])) == [
        fleet.failing.hostname,
        fleet.discovered.hostname,
        fleet.ready.hostname,
    ]


def test_list_servers_pages_and_counts_every_match(operator, fleet):
    result = ask(operator, "list_servers", limit=2, offset=1)

    assert result.data["count"] == 3
    assert result.data["offset"] == 1
    assert len(result.data["servers"]) == 2
    assert set(result.data["servers"][0]) == {
        "id",
        "hostname",
        "label",
        "ip",
        "provider_account",
        "provider_status",
        "lifecycle",
        "health_status",
        "busy",
        "last_seen_at",
    }


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"lifecycle": ["sleeping"]}, "lifecycle.0"),
        ({"limit": 1000}, "limit"),
        ({"colour": "red"}, "colour"),
        ({"provider_account": 999999}, "provider_account"),
    ],
)
def test_an_unknown_filter_or_value_is_a_field_error_and_recorded(operator, fleet, arguments, field):
    result = ask(operator, "list_servers", **arguments)

    assert not result.ok
    assert field in result.field_errors
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.outcome, event.detail["arguments"]) == ("failure", arguments)


def test_get_server_of_an_unknown_id_says_so(operator):
    result = ask(operator, "get_server", server_id=424242)

    assert (result.ok, result.error) == (False, "there is no server with id 424242")


def test_list_incidents_shows_the_active_ones_unless_told_otherwise(operator, fleet):
    active = ask(operator, "list_incidents")
    resolved = ask(operator, "list_incidents", status=["resolved"])

    assert [row["id"] for row in active.data["incidents"]] == [fleet.incident.pk]
    assert active.data["incidents"][0]["server_name"] == str(fleet.failing)
    assert [row["id"] for row in resolved.data["incidents"]] == [fleet.resolved.pk]


def test_acknowledging_an_incident_twice_is_refused_the_second_time(operator, fleet):
    first = ask(operator, "acknowledge_incident", incident_id=fleet.incident.pk)
    second = ask(operator, "acknowledge_incident", incident_id=fleet.incident.pk)

    assert first.ok
    assert Incident.objects.get(pk=fleet.incident.pk).acknowledged_by.username == "ops"
    assert not second.ok
    assert "only an open incident can be acknowledged" in second.error
    outcomes = list(AuditEvent.objects.filter(action="incident.acknowledge").values_list("outcome", flat=True))
    assert sorted(outcomes) == ["failure", "success"]


def test_health_history_is_newest_first_and_bounded(operator, fleet):
    result = ask(operator, "server_health_history", server_id=fleet.failing.pk, limit=1)

    assert [check["outcome"] for check in result.data["checks"]] == ["unreachable"]
    assert result.data["checks"][0]["error"] == "connection refused"
    assert result.data["health_status"] == "unreachable"


def test_a_run_comes_with_the_end_of_its_output_each_event_cut_to_its_last_lines(operator, fleet):
    ProvisioningEvent.objects.filter(run=fleet.run, seq=30).update(stdout="x" * 5000 + "fatal: disk full")

    result = ask(operator, "get_provisioning_run", run_id=fleet.run.pk, tail=3)

    assert result.data["run"]["error"] == "ansible failed"
    assert result.data["finished"] is True
    assert [event["seq"] for event in result.data["output_tail"]] == [28, 29, 30]
    last = result.data["output_tail"][-1]["stdout"]
    assert last.endswith("fatal: disk full")
    assert len(last) <= 1501


def test_provisioning_runs_filter_by_status_and_server(operator, fleet):
    assert [r["id"] for r in ask(operator, "list_provisioning_runs", server=fleet.failing.pk).data["runs"]] == [
        fleet.run.pk
    ]
    assert ask(operator, "list_provisioning_runs", status=["running"]).data["runs"] == []


def test_provision_without_confirm_is_refused_and_changes_nothing(operator, fake_provider):
    fleet = build_fleet(fake_provider)

    result = ask(operator, "provision_server", server_id=fleet.discovered.pk, os=DEFAULT_OSES[0]["os"])

    assert not result.ok
    assert "wipes the server" in result.field_errors["confirm"][0]
    assert not ProvisioningRun.objects.filter(server=fleet.discovered).exists()
    assert Server.objects.get(pk=fleet.discovered.pk).lifecycle == "discovered"
    assert fake_provider.requests == []
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert event.outcome == "failure"


def test_provision_with_confirm_queues_a_run(operator, fake_provider, django_capture_on_commit_callbacks):
    fleet = build_fleet(fake_provider)

    result = ask(operator, "provision_server", server_id=fleet.discovered.pk, os=DEFAULT_OSES[0]["os"], confirm=True)

    assert result.ok, result.payload()
    run = ProvisioningRun.objects.get(pk=result.data["run_id"])
    assert (run.kind, run.status, run.requested_by.username) == ("provision", "queued", "ops")
    assert AuditEvent.objects.get(action="provisioning.provision").actor_name == "ops"


def test_provision_of_an_os_the_server_does_not_offer_names_the_ones_it_does(operator, fake_provider):
    fleet = build_fleet(fake_provider)

    result = ask(operator, "provision_server", server_id=fleet.discovered.pk, os="plan9", confirm=True)

    assert not result.ok
    assert DEFAULT_OSES[0]["os"] in result.field_errors["os"][0]


def test_search_docs_answers_as_the_search_endpoint(operator):
    clear_search_index_cache()
    projects_write(account=github_account(), repositories=listing([1, 2]), now=timezone.now())
    billing, other = Project.objects.order_by("github_id")
    index_chunks(billing, ["Invoices are generated nightly by the billing job."], path="docs/invoices.md")
    index_chunks(other, ["Deploy with compose and watch the health endpoint."])

    result = ask(operator, "search_docs", q="billing invoices", limit=5)

    assert result.data["results"][0]["project"]["full_name"] == "acme/repo-1"
    assert result.data["results"][0]["path"] == "docs/invoices.md"
    # Every field of the API's search results, the ranking's scores and highlights included.
    assert set(result.data["results"][0]) == set(SearchResultSerializer().fields)
    assert not ask(operator, "search_docs", q="x").ok  # too short, as in the API


def test_the_fleet_summary_is_the_dashboards(operator, fleet):
    summary = ask(operator, "fleet_summary").data

    assert summary["servers"]["by_lifecycle"] == {
        "Discovered": 1,
        "Pending setup": 0,
        "Provisioning": 0,
        "Ready": 1,
        "Failed": 1,
        "Removed": 0,
    }
    assert summary["active_incidents"]["total"] == 1
    assert summary["active_incidents"]["by_severity"]["Critical"] == 1
    assert summary["active_incidents"]["open_by_severity"]["Critical"] == 1
    assert summary["runs_last_day"]["Provisioning runs"]["by_status"]["Failed"] == 1
    failed_runs = next(block for block in summary["failures_last_day"] if block["what"] == "Provisioning runs")
    assert failed_runs["count"] == 1


def test_an_unknown_tool_is_refused_and_recorded(operator):
    result = ask(operator, "drop_database", really=True)

    assert result.refused
    assert result.error == "there is no tool named 'drop_database'"
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.outcome, event.target_id, event.actor_name) == ("denied", "drop_database", "ops")


def test_secrets_in_arguments_never_reach_the_audit_trail(operator):
    ask(operator, "list_servers", search="web", password="hunter2-secret", api_key="sk-live-secret")

    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert event.detail["arguments"]["search"] == "web"
    assert "hunter2-secret" not in str(event.detail)
    assert "sk-live-secret" not in str(event.detail)
