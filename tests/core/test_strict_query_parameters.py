"""A query the API cannot read is a 400 that names what it takes, never the whole unfiltered list.

A script with a typo in a filter would otherwise act on every server.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests.access.test_route_permissions import schema_routes, world
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import busy, details, provider_account

pytestmark = pytest.mark.django_db

SERVER_PARAMETERS = (
    "busy, format, health_status, label, lifecycle, ordering, page, provider_account, provider_status, search"
)


@pytest.fixture
def api():
    return api_client_as(user_with_role("admin", "ops"))


@pytest.fixture
def fleet():
    account = provider_account()
    servers_write(account=account, listing=[details(1), busy(2), details(3)], now=timezone.now())
    return account


def test_a_boolean_filter_it_cannot_read_is_a_400_not_the_whole_fleet(api, fleet):
    response = api.get("/api/servers/", {"busy": "maybe"})

    assert response.status_code == 400
    assert response.json() == {"busy": ["'maybe' is not a valid value: use true or false"]}
    assert [s["provider_id"] for s in api.get("/api/servers/", {"busy": "true"}).json()["results"]] == ["2"]
    assert api.get("/api/servers/", {"busy": "False"}).json()["count"] == 2
    assert api.get("/api/servers/", {"busy": ""}).json()["count"] == 3  # blank: no filter, as a form sends it


def test_an_unknown_parameter_is_a_400_naming_the_ones_the_list_takes(api, fleet):
    response = api.get("/api/servers/", {"bussy": "true", "lifecycle": "discovered"})

    assert response.status_code == 400
    assert response.json() == {"bussy": [f"not a parameter of this operation; it takes: {SERVER_PARAMETERS}"]}


def test_an_ordering_the_list_does_not_offer_is_a_400_naming_those_it_does(api, fleet):
    response = api.get("/api/servers/", {"ordering": "hostname,nonexistent,-password"})

    assert response.status_code == 400
    (problem,) = response.json()["ordering"]
    assert problem.startswith("'nonexistent', '-password': not an ordering of this list; order by created_at, ")
    assert "hostname, ip, lifecycle, updated_at" in problem
    ordered = api.get("/api/servers/", {"ordering": "-hostname,ip"})
    assert [s["provider_id"] for s in ordered.json()["results"]] == ["3", "2", "1"]


def test_search_is_a_parameter_only_where_there_is_something_to_search(api, fleet):
    assert api.get("/api/servers/", {"search": "web2"}).json()["count"] == 1
    response = api.get("/api/ssh-keys/", {"search": "anything"})
    assert response.status_code == 400
    assert "search" in response.json()


def test_the_format_and_page_parameters_are_still_taken(api, fleet):
    assert api.get("/api/servers/", {"format": "json", "page": 1}).status_code == 200
    assert api.get("/api/servers/", {"page_size": 100}).status_code == 400  # pages have a fixed size


def test_a_detail_route_is_not_a_list_and_ignores_no_filter_of_its_own(api, fleet):
    server = Server.objects.get(provider_id="1")

    assert api.get(f"/api/servers/{server.pk}/").status_code == 200
    assert api.post(f"/api/provider-accounts/{fleet.pk}/sync/?trigger=x").status_code in (202, 503)


def query_operations() -> list[str]:
    """GET routes of the schema that read a query: lists and the reads with query parameters."""
    routes = {path for method, path in schema_routes() if method == "GET"}
    lists = {path for path in routes if "{" not in path and path not in ("/api/", "/api/system/heartbeat/")}
    return sorted(lists | {"/api/servers/{id}/health-checks/", "/api/provisioning-runs/{id}/events/"})


@pytest.mark.parametrize("path", query_operations())
def test_every_operation_that_reads_a_query_refuses_a_parameter_it_does_not_take(path):
    ids = world()
    client = api_client_as(user_with_role("admin", "walker"))
    url = path.replace("{id}", str(ids[path.split("/")[2]])) if "{id}" in path else path
    query = {"q": "deploy"} if path == "/api/projects/search/" else {}

    known = client.get(url, query)
    unknown = client.get(url, {**query, "no_such_parameter": "1"})

    assert known.status_code == 200, (url, known.content)
    assert unknown.status_code == 400, (url, unknown.content)
    (problem,) = unknown.json()["no_such_parameter"]
    assert problem.startswith("not a parameter of this operation; it takes: "), problem
