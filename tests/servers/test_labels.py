"""Operators' labels on servers: the rules a label keeps, PATCH /api/servers/{id}/ with `labels`
(audited), the `label` filter of the server list, and a provider sync that never touches them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from apps.core.choices import SyncStatus
from apps.servers.models import Server
from apps.servers.services import provider_account_create, server_sync_now
from apps.servers.services.write import servers_write
from apps.servers.validators import label_problems, label_term_parse, labels_from_text, validate_labels
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db

GOOD_KEYS = ["role", "a", "tier-1", "app.example.com/name", "x9", "k" * 63, "9a", "a_b.c-d"]
BAD_KEYS = ["Role", "-role", "role-", "", "1", "123", "k" * 64, "role\n", "ro le", "röle", "a=b", "/role", 5]
GOOD_VALUES = ["", "web", "Web-1.x_y", "v" * 63, "123"]
BAD_VALUES = ["a b", "v" * 64, "web\n", "a/b", "é", 5, None, True, ["web"]]


@pytest.fixture
def operator():
    return api_client_as(user_with_role("operator", "ops"))


@pytest.fixture
def servers():
    """Three servers of one account: web1, web2, web3.example.com (ids 1, 2, 3 at the provider)."""
    servers_write(account=provider_account(), listing=listing([1, 2, 3]), now=timezone.now())
    return {server.provider_id: server for server in Server.objects.all()}


def label_servers(**labels_by_provider_id):
    for provider_id, labels in labels_by_provider_id.items():
        Server.objects.filter(provider_id=provider_id.removeprefix("s")).update(labels=labels)


def listed(api, *labels: str) -> list[str]:
    response = api.get("/api/servers/", {"label": list(labels)})
    assert response.status_code == 200, response.json()
    return sorted(server["provider_id"] for server in response.json()["results"])


# --- The rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_a_lower_case_kubernetes_style_key_is_a_label_key(key):
    assert label_problems({key: "web"}) == []


@pytest.mark.parametrize("key", BAD_KEYS)
def test_anything_else_is_refused_as_a_key_and_the_message_names_it(key):
    problems = label_problems({key: "web"})

    assert len(problems) == 1
    assert repr(key)[:20] in problems[0]
    assert "a label key is 1 to 63 characters" in problems[0]


@pytest.mark.parametrize("value", GOOD_VALUES)
def test_short_values_of_letters_digits_and_dot_dash_underscore_are_label_values(value):
    assert label_problems({"role": value}) == []


@pytest.mark.parametrize("value", BAD_VALUES)
def test_other_values_are_refused_naming_their_key(value):
    (problem,) = label_problems({"role": value})

    assert problem.startswith("'role': the value")


def test_at_most_fifty_labels_and_the_model_refuses_the_rest():
    fifty = {f"k{i}": "v" for i in range(50)}

    assert label_problems(fifty) == []
    assert label_problems({**fifty, "one-more": "v"}) == ["at most 50 labels per server, not 51"]
    assert label_problems(["role=web"]) == ["labels are an object of key: value strings"]
    with pytest.raises(ValidationError) as refused:
        validate_labels({**fifty, "Bad": "v"})
    assert len(refused.value.messages) == 2


def test_a_server_with_bad_labels_fails_model_validation(servers):
    server = servers["1"]
    server.labels = {"Role": "web"}

    with pytest.raises(ValidationError) as refused:
        server.full_clean()

    assert set(refused.value.message_dict) == {"labels"}


def test_filter_terms_are_key_value_or_a_key_and_a_provider_style_key_may_be_upper_case():
    assert label_term_parse("role=web") == ("role", "web")
    assert label_term_parse("role=") == ("role", "")
    assert label_term_parse("role") == ("role", None)
    assert label_term_parse("Example.com/Team=ops") == ("Example.com/Team", "ops")
    for term in ["", "=web", "role=a b", "role=a=b", "1=x", "-role", "role\n"]:
        with pytest.raises(ValueError, match="is not key=value or key"):
            label_term_parse(term)


def test_the_admin_text_is_read_line_by_line_and_each_bad_line_is_named():
    assert labels_from_text("  env = prod \n\nrole=web\ndrain=\n") == {"drain": "", "env": "prod", "role": "web"}
    with pytest.raises(ValidationError) as refused:
        labels_from_text("role=web\nnot a label\nrole=db\nBad=x")
    assert refused.value.messages == [
        "line 2: 'not a label' is not key=value",
        "line 3: 'role' is given twice",
        "line 4: 'Bad': a label key is 1 to 63 characters: lower-case letters, digits and . _ / -, beginning "
        "and ending with a letter or a digit, at least one of them a letter",
    ]


# --- PATCH ----------------------------------------------------------------------------------


def test_patching_labels_stores_them_sorted_shows_them_beside_the_provider_labels_and_audits(operator, servers):
    server = servers["1"]
    Server.objects.filter(pk=server.pk).update(provider_labels={"zone": "a"})

    response = operator.patch(
        f"/api/servers/{server.pk}/", {"labels": {"role": "web", "env": "prod"}, "notes": "front"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["labels"] == {"env": "prod", "role": "web"}
    assert response.json()["provider_labels"] == {"zone": "a"}
    server.refresh_from_db()
    assert list(server.labels.items()) == [("env", "prod"), ("role", "web")]
    shown = operator.get(f"/api/servers/{server.pk}/").json()
    in_list = {s["provider_id"]: s for s in operator.get("/api/servers/").json()["results"]}["1"]
    assert (shown["labels"], shown["provider_labels"]) == ({"env": "prod", "role": "web"}, {"zone": "a"})
    assert (in_list["labels"], in_list["provider_labels"]) == ({"env": "prod", "role": "web"}, {"zone": "a"})
    event = AuditEvent.objects.get(action=AuditAction.RECORD_UPDATE, target_type="servers.server")
    assert event.actor_name == "ops"
    assert event.target_id == str(server.pk)
    assert sorted(event.detail["changed"]) == ["labels", "notes"]
    assert event.detail["values"]["labels"] == {"old": {}, "new": {"env": "prod", "role": "web"}}


def test_patching_labels_replaces_the_whole_set_and_an_empty_object_clears_it(operator, servers):
    server = servers["1"]
    operator.patch(f"/api/servers/{server.pk}/", {"labels": {"role": "web", "env": "prod"}}, format="json")

    replaced = operator.patch(f"/api/servers/{server.pk}/", {"labels": {"role": "db"}}, format="json")
    cleared = operator.patch(f"/api/servers/{server.pk}/", {"labels": {}}, format="json")

    assert replaced.json()["labels"] == {"role": "db"}
    assert cleared.status_code == 200
    assert cleared.json()["labels"] == {}
    server.refresh_from_db()
    assert server.labels == {}


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"Role": "web"}, "'Role': a label key is 1 to 63 characters"),
        ({"role": "a b"}, "'role': the value 'a b' is not a label value"),
        ({"role": 5}, "'role': the value 5 is not a label value"),
        ({"role": None}, "'role': the value None is not a label value"),
        ({"": "web"}, "'': a label key is"),
        ({f"k{i}": "v" for i in range(51)}, "at most 50 labels per server, not 51"),
        ("role=web", "labels are an object of key: value strings"),
        (["role"], "labels are an object of key: value strings"),
    ],
)
def test_bad_labels_are_a_400_under_the_field_and_nothing_changes(operator, servers, labels, message):
    server = servers["1"]
    Server.objects.filter(pk=server.pk).update(labels={"keep": "me"})

    response = operator.patch(f"/api/servers/{server.pk}/", {"labels": labels, "notes": "x"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"labels"}
    assert any(message in problem for problem in response.json()["labels"]), response.json()
    server.refresh_from_db()
    assert (server.labels, server.notes) == ({"keep": "me"}, "")
    assert not AuditEvent.objects.filter(action=AuditAction.RECORD_UPDATE, target_type="servers.server").exists()


def test_null_labels_and_provider_labels_are_refused(operator, servers):
    server = servers["1"]

    null = operator.patch(f"/api/servers/{server.pk}/", {"labels": None}, format="json")
    provider = operator.patch(f"/api/servers/{server.pk}/", {"provider_labels": {"role": "web"}}, format="json")

    assert null.status_code == 400
    assert set(null.json()) == {"labels"}
    assert provider.status_code == 400
    assert provider.json() == {"provider_labels": ["read-only: the provider or the platform owns this field"]}


def test_a_viewer_may_read_labels_but_not_change_them(servers):
    server = servers["1"]
    Server.objects.filter(pk=server.pk).update(labels={"role": "web"})
    viewer = api_client_as(user_with_role("viewer", "reader"))

    assert viewer.get(f"/api/servers/{server.pk}/").json()["labels"] == {"role": "web"}
    assert viewer.patch(f"/api/servers/{server.pk}/", {"labels": {}}, format="json").status_code == 403
    server.refresh_from_db()
    assert server.labels == {"role": "web"}


# --- The label filter -----------------------------------------------------------------------


def test_the_label_filter_matches_key_value_every_term_and_a_key_alone(operator, servers):
    label_servers(s1={"role": "web", "env": "prod"}, s2={"role": "web", "env": "staging"}, s3={"role": "db"})

    assert listed(operator, "role=web") == ["1", "2"]
    assert listed(operator, "role=web", "env=prod") == ["1"]
    assert listed(operator, "env") == ["1", "2"]
    assert listed(operator, "env", "role=db") == []
    assert listed(operator, "role=cache") == []
    assert listed(operator, "role=WEB") == []  # values are case-sensitive


def test_provider_labels_match_too_and_an_operator_label_shadows_the_providers(operator, servers):
    Server.objects.filter(provider_id="1").update(provider_labels={"role": "web", "zone": "fsn1"})
    Server.objects.filter(provider_id="2").update(provider_labels={"role": "web"}, labels={"role": "db"})
    Server.objects.filter(provider_id="3").update(provider_labels={"Team": "ops"}, labels={"role": "web"})

    assert listed(operator, "role=web") == ["1", "3"]
    assert listed(operator, "role=db") == ["2"]
    assert listed(operator, "zone") == ["1"]
    assert listed(operator, "Team=ops") == ["3"]


def test_an_empty_value_matches_only_an_empty_label(operator, servers):
    label_servers(s1={"drain": ""}, s2={"drain": "yes"})

    assert listed(operator, "drain=") == ["1"]
    assert listed(operator, "drain") == ["1", "2"]


@pytest.mark.parametrize("term", ["", "=web", "role=a b", "role=a=b", "1=x", "Role Web", "role\n", "k" * 256])
def test_a_malformed_label_term_is_a_400_naming_the_parameter_never_ignored(operator, servers, term):
    response = operator.get("/api/servers/", {"label": ["role=web", term]})

    assert response.status_code == 400
    assert set(response.json()) == {"label"}
    assert "is not key=value or key" in response.json()["label"][0]


def test_the_label_filter_combines_with_the_other_filters(operator, servers):
    label_servers(s1={"role": "web"}, s2={"role": "web"})
    Server.objects.filter(provider_id="2").update(lifecycle="ready")

    response = operator.get("/api/servers/", {"label": "role=web", "lifecycle": "ready", "search": "web2"})

    assert [server["provider_id"] for server in response.json()["results"]] == ["2"]


# --- Sync -------------------------------------------------------------------------------------


def test_a_provider_sync_never_touches_operator_labels(fake_provider, account_on):
    account = account_on()
    assert server_sync_now(account=account).status == SyncStatus.SUCCEEDED
    server = Server.objects.order_by("provider_id").first()
    Server.objects.filter(pk=server.pk).update(labels={"role": "web"})
    fake_provider.servers[int(server.provider_id)]["domain"] = "renamed.example.com"

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.updated == 1
    server.refresh_from_db()
    assert server.hostname == "renamed.example.com"
    assert server.labels == {"role": "web"}


def test_a_sync_updates_the_provider_labels_beside_the_operators(fake_hetzner):
    account = provider_account_create(
        data={"name": "h", "kind": "hetzner", "api_token": fake_hetzner.token, "base_url": fake_hetzner.base_url}
    )
    assert server_sync_now(account=account).status == SyncStatus.SUCCEEDED
    server = Server.objects.get(provider_id="4201001")
    assert server.provider_labels == {"role": "web"}
    Server.objects.filter(pk=server.pk).update(labels={"role": "db", "owner": "ops"})
    fake_hetzner.servers[4201001]["labels"] = {"role": "cache"}

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    server.refresh_from_db()
    assert server.provider_labels == {"role": "cache"}
    assert server.labels == {"owner": "ops", "role": "db"}
