"""Changes to accounts, keys, channels, users, tokens and schedules: field names, old and new
values, and never a secret value."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.access.services import token_create, token_revoke
from apps.audit.choices import ActorKind, AuditAction
from apps.monitoring.choices import ChannelKind
from apps.monitoring.models import NotificationChannel
from tests import factories
from tests.audit.helpers import events, whole_table
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "n3w-Provider-Passw0rd"


def test_an_account_change_records_field_names_and_never_the_password():
    account = provider_account(name="main")
    api = api_client_as(user_with_role("admin", "ada"))

    response = api.patch(
        f"/api/provider-accounts/{account.pk}/", {"name": "primary", "password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    [event] = events(AuditAction.RECORD_UPDATE, target_type="servers.provideraccount")
    assert (event.actor_kind, event.actor_name) == (ActorKind.USER, "ada")
    assert sorted(event.detail["changed"]) == ["name", "password"]
    assert event.detail["values"] == {"name": {"old": "main", "new": "primary"}}
    listed = api.get("/api/audit-events/", {"target_type": "servers.provideraccount"})
    for text in (whole_table(), json.dumps(listed.json())):
        assert NEW_PASSWORD not in text
        assert "provider-password" not in text  # the old one


def test_creating_an_account_records_which_fields_were_set_not_their_values():
    api = api_client_as(user_with_role("admin", "ada"))

    response = api.post(
        "/api/provider-accounts/",
        {
            "name": "new",
            "kind": "time4vps",
            "base_url": "https://billing.time4vps.com/api",
            "username": "u",
            "password": NEW_PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    [event] = events(AuditAction.RECORD_CREATE, target_type="servers.provideraccount")
    assert "password" in event.detail["fields"]
    assert NEW_PASSWORD not in whole_table()


def test_a_channel_secret_change_is_reported_as_changed_only():
    channel = NotificationChannel.objects.create(
        name="ops", kind=ChannelKind.WEBHOOK, target="https://hooks.example.com/x", secret="hmac-old-value"
    )

    channel.secret = "hmac-new-value"
    channel.min_severity = "critical"
    channel.save()

    [event] = events(AuditAction.RECORD_UPDATE, target_type="monitoring.notificationchannel")
    assert sorted(event.detail["changed"]) == ["min_severity", "secret"]
    assert "secret" not in event.detail["values"]
    assert "hmac-old-value" not in whole_table()
    assert "hmac-new-value" not in whole_table()


def test_a_password_change_of_a_user_and_a_group_change_are_recorded_without_the_hash():
    user = user_with_role("viewer", "vic")

    user.set_password("a-new-user-password")
    user.save()
    user.groups.add(Group.objects.get(name="operator"))

    [change] = events(AuditAction.RECORD_UPDATE, target_type="auth.user", detail__changed=["password"])
    assert change.detail["values"] == {}
    assert user.password not in whole_table()
    group_events = [e for e in events(AuditAction.RECORD_UPDATE, target_type="auth.user") if "added" in e.detail]
    assert group_events[-1].detail == {"changed": ["groups"], "added": ["operator"]}


def test_server_saves_by_the_platform_are_not_recorded_operator_edits_are():
    server = factories.server(hostname="web1")
    server.host_key_fingerprint = "SHA256:abc"
    server.save(update_fields=["host_key_fingerprint"])
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.patch(f"/api/servers/{server.pk}/", {"ssh_port": 2222}, format="json")

    assert response.status_code == 200, response.content
    [event] = events(AuditAction.RECORD_UPDATE, target_type="servers.server")
    assert event.actor_name == "olga"
    assert event.detail == {"changed": ["ssh_port"], "values": {"ssh_port": {"old": 22, "new": 2222}}}


def test_beat_bookkeeping_on_a_periodic_task_is_ignored_and_disabling_it_is_recorded():
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    task = PeriodicTask.objects.create(name="job", task="core.heartbeat", interval=every)

    task.total_run_count = 5
    task.save()
    task.enabled = False
    task.save()

    updates = events(AuditAction.RECORD_UPDATE, target_type="django_celery_beat.periodictask")
    assert [event.detail["changed"] for event in updates] == [["enabled"]]


def test_tokens_are_recorded_when_created_and_revoked_without_their_value():
    user = user_with_role("viewer", "vic")

    token, value = token_create(user=user, name="ci", expires_in_days=30)
    token_revoke(token=token)

    [created] = events(AuditAction.TOKEN_CREATE)
    [revoked] = events(AuditAction.TOKEN_REVOKE)
    assert (created.target_repr, created.detail["user"]) == ("ci", "vic")
    assert revoked.detail["expired"] is False
    stored = whole_table()
    assert value not in stored
    assert token.digest not in stored
    assert token.token_key not in stored


def test_an_expired_token_removed_by_the_platform_is_recorded_as_expired():
    user = user_with_role("viewer", "vic")
    token, _ = token_create(user=user, name="old", expires_in_days=1)
    token.expiry = token.created - timedelta(days=1)
    token.save(update_fields=["expiry"])

    token_create(user=user, name="new", expires_in_days=1)  # removes the expired one

    [revoked] = events(AuditAction.TOKEN_REVOKE)
    assert (revoked.target_repr, revoked.detail["expired"]) == ("old", True)
