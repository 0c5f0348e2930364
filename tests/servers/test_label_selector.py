"""servers_select: the servers a job's selector names, resolved at launch, and
label_selector_errors, the field errors of a selector that could not be resolved.

The same checks run on SQLite (the plain pass) and PostgreSQL (the services pass runs every test
there, and one more that insists on PostgreSQL): the label match is built from key transforms that
both databases read the same way.
"""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.exceptions import ValidationError
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.selectors import label_selector_errors, server_label_q, servers_select
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db


def make_fleet() -> dict[str, Server]:
    """Servers named after what they are, over two accounts."""
    main, other = provider_account(), provider_account()
    specs = {
        "web-ready": (main, Lifecycle.READY, {"role": "web", "env": "prod"}, {}),
        "web-discovered": (main, Lifecycle.DISCOVERED, {"role": "web"}, {}),
        "web-removed": (main, Lifecycle.REMOVED, {"role": "web"}, {}),
        "web-by-provider": (other, Lifecycle.READY, {}, {"role": "web", "env": "prod"}),
        "db-shadowing-provider": (main, Lifecycle.READY, {"role": "db"}, {"role": "web"}),
        "numeric-value": (other, Lifecycle.READY, {"port": "8080", "drain": ""}, {"Team": "ops"}),
        "unlabelled": (main, Lifecycle.READY, {}, {}),
    }
    return {
        name: Server.objects.create(
            provider_account=account,
            provider_id=name,
            hostname=name,
            lifecycle=lifecycle,
            labels=labels,
            provider_labels=provider_labels,
        )
        for name, (account, lifecycle, labels, provider_labels) in specs.items()
    }


def names(servers) -> list[str]:
    return sorted(server.hostname for server in servers)


def check_selector_semantics() -> None:
    fleet = make_fleet()
    main = fleet["web-ready"].provider_account_id

    assert names(servers_select(labels={"role": "web"})) == ["web-by-provider", "web-discovered", "web-ready"]
    assert names(servers_select(labels={"role": "web", "env": "prod"})) == ["web-by-provider", "web-ready"]
    assert names(servers_select(labels={"role": "web"}, lifecycle=["ready"])) == ["web-by-provider", "web-ready"]
    assert names(servers_select(labels={"role": "web"}, provider_account=main)) == ["web-discovered", "web-ready"]
    assert names(servers_select(labels={"role": "web"}, lifecycle=["removed"])) == ["web-removed"]
    assert names(servers_select(labels={"role": "db"})) == ["db-shadowing-provider"]
    assert names(servers_select(labels={"port": "8080", "drain": ""})) == ["numeric-value"]
    assert names(servers_select(labels={"Team": "ops"})) == ["numeric-value"]
    assert names(servers_select(labels={"role": "cache"})) == []
    assert names(servers_select(labels={"role": "WEB"})) == []
    assert "web-removed" not in names(servers_select())
    assert len(servers_select()) == len(fleet) - 1
    assert names(servers_select(labels={}, lifecycle=[])) == names(servers_select())
    chosen = [fleet["web-ready"].pk, fleet["web-removed"].pk, fleet["unlabelled"].pk]
    assert names(servers_select(ids=chosen)) == ["unlabelled", "web-ready"]
    assert names(servers_select(ids=chosen, labels={"role": "web"})) == ["web-ready"]
    assert list(servers_select(ids=[])) == []
    assert names(Server.objects.filter(server_label_q("env"))) == ["web-by-provider", "web-ready"]
    assert names(Server.objects.filter(server_label_q("drain", ""))) == ["numeric-value"]


def test_the_selector_matches_labels_lifecycle_account_and_ids():
    check_selector_semantics()


@pytest.mark.services
def test_the_selector_matches_the_same_way_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs DATABASE_URL on PostgreSQL (CI's services pass)")
    check_selector_semantics()


def test_keys_that_look_like_lookups_or_paths_are_only_keys():
    make_fleet()
    server = Server.objects.get(hostname="unlabelled")
    Server.objects.filter(pk=server.pk).update(
        labels={"contains": "x", "a__b": "y", "has_key": "z", "example.com/team": "ops"}
    )

    for key, value in [("contains", "x"), ("a__b", "y"), ("has_key", "z"), ("example.com/team", "ops")]:
        assert names(servers_select(labels={key: value})) == ["unlabelled"]
        assert names(servers_select(labels={key: "other"})) == []


def test_a_bad_selector_raises_field_errors_before_any_query():
    make_fleet()

    with pytest.raises(ValidationError) as refused:
        servers_select(labels={"1": "x", "role": "a b"}, lifecycle=["ready", "exploded"], provider_account=99999)

    errors = refused.value.field_errors
    assert set(errors) == {"labels", "lifecycle", "provider_account"}
    assert len(errors["labels"]) == 2
    assert "'1': a label key is" in errors["labels"][0]
    assert errors["lifecycle"] == [
        "'exploded' is not a lifecycle state; use discovered, pending_setup, provisioning, ready, failed, removed"
    ]
    assert errors["provider_account"] == ["no provider account has the id 99999"]
    with pytest.raises(ValidationError) as bad_ids:
        servers_select(ids=["1"])
    assert bad_ids.value.field_errors == {"ids": ["a list of server ids (integers)"]}


@pytest.mark.parametrize(
    ("selector", "errors"),
    [
        ({}, {}),
        ({"labels": {"role": "web"}, "lifecycle": ["ready"]}, {}),
        ({"labels": {"Example.com/Team": ""}}, {}),
        ("role=web", {"non_field_errors": ["a selector is an object with labels, lifecycle and provider_account"]}),
        ({"servers": [1]}, {"servers": ["not a selector field; a selector takes labels, lifecycle, provider_account"]}),
        ({"labels": ["role=web"]}, {"labels": ["an object of key: value strings"]}),
        ({"labels": {"role": 5}}, {"labels": ["'role': the value 5 is not a label value: up to 63 characters: "
                                              "letters, digits and . _ -"]}),
        ({"lifecycle": "ready"}, {"lifecycle": [
            "a list of lifecycle states: discovered, pending_setup, provisioning, ready, failed, removed"]}),
        ({"provider_account": "1"}, {"provider_account": ["a provider account's id (an integer)"]}),
        ({"provider_account": True}, {"provider_account": ["a provider account's id (an integer)"]}),
    ],
)  # fmt: skip
def test_label_selector_errors_names_each_field_that_is_wrong(selector, errors):
    assert label_selector_errors(selector) == errors


def test_an_existing_account_is_a_valid_selector():
    account = provider_account()

    assert label_selector_errors({"provider_account": account.pk}) == {}


def test_a_key_that_was_not_validated_never_reaches_a_query():
    with pytest.raises(ValueError, match="not a label key"):
        server_label_q("role=web OR 1=1")
