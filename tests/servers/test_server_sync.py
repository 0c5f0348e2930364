"""server_sync against a provider on loopback that can be told to fail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.choices import SyncStatus
from apps.integrations.providers.time4vps import circuit_state
from apps.servers.choices import Lifecycle
from apps.servers.models import ProviderAccount, Server
from apps.servers.services import server_sync_now, server_sync_run
from apps.syncs.leases import sync_lease_claim

pytestmark = pytest.mark.django_db


def rows():
    return list(Server.objects.order_by("id").values())


def test_a_sync_creates_a_server_for_each_one_the_provider_reports(fake_provider, account_on):
    account = account_on()

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert (run.created, run.updated, run.removed, run.unchanged) == (3, 0, 0, 0)
    assert set(Server.objects.values_list("provider_id", flat=True)) == {str(i) for i in fake_provider.servers}
    account.refresh_from_db()
    assert account.last_sync_status == SyncStatus.SUCCEEDED
    assert account.last_successful_sync_at is not None
    assert account.sync_lease_owner == ""


def test_a_second_sync_in_a_row_changes_nothing(fake_provider, account_on):
    account = account_on()
    server_sync_now(account=account)
    before = rows()

    run = server_sync_now(account=account)

    assert (run.created, run.updated, run.removed, run.unchanged) == (0, 0, 0, 3)
    assert rows() == before


def test_wrong_credentials_fail_the_run_with_a_clear_error_and_change_nothing(fake_provider, account_on):
    account = account_on(password="wrong-password")

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.FAILED
    assert "wronglogin" in run.error or "credentials" in run.error.lower()
    assert "wrong-password" not in run.error
    account.refresh_from_db()
    assert account.last_sync_status == SyncStatus.FAILED
    assert account.last_sync_error == run.error
    assert not Server.objects.exists()


def test_server_errors_then_success_are_retried_and_the_sync_succeeds(fake_provider, account_on):
    account = account_on()
    fake_provider.fail("/server", method="GET", times=2, status=500)

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert len(fake_provider.requests_to("/server", method="GET")) == 3
    assert Server.objects.count() == 3


def test_a_provider_that_times_out_fails_the_run_and_changes_nothing(fake_provider, account_on):
    account = account_on()
    server_sync_now(account=account)
    before = rows()
    fake_provider.fail("/server", delay=2.0)

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.FAILED
    assert "no answer within" in run.error
    assert rows() == before


def test_a_details_call_that_fails_marks_nothing_removed(fake_provider, account_on):
    account = account_on()
    server_sync_now(account=account)
    before = rows()
    failing_id = sorted(fake_provider.servers)[1]
    fake_provider.fail(f"/server/{failing_id}", status=500)

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.FAILED
    assert not Server.objects.filter(lifecycle=Lifecycle.REMOVED).exists()
    assert rows() == before


def test_malformed_json_fails_the_run_and_changes_nothing(fake_provider, account_on):
    account = account_on()
    server_sync_now(account=account)
    before = rows()
    fake_provider.fail("/server", method="GET", malformed=True)

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.FAILED
    assert run.error
    assert rows() == before


def test_a_wrongly_typed_field_fails_the_run_and_changes_nothing(fake_provider, account_on):
    account = account_on()
    server_sync_now(account=account)
    before = rows()
    first = sorted(fake_provider.servers)[0]
    fake_provider.servers[first]["cpu_cores"] = "two"

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.FAILED
    assert "cpu_cores" in run.error
    assert rows() == before


def test_a_server_with_a_null_ip_and_a_unicode_hostname_is_synced(fake_provider, account_on):
    account = account_on()
    first = sorted(fake_provider.servers)[0]
    fake_provider.servers[first].update(ip=None, domain="ąžuolas-ünïcode.example.lt")

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    server = Server.objects.get(provider_id=str(first))
    assert server.ip is None
    assert server.hostname == "ąžuolas-ünïcode.example.lt"


def test_a_server_the_provider_stops_listing_is_marked_removed(fake_provider, account_on):
    account = account_on()
    server_sync_now(account=account)
    gone = sorted(fake_provider.servers)[0]
    del fake_provider.servers[gone]

    run = server_sync_now(account=account)

    assert run.removed == 1
    assert Server.objects.get(provider_id=str(gone)).lifecycle == Lifecycle.REMOVED
    assert Server.objects.count() == 3


def test_two_syncs_of_one_account_never_run_at_once(fake_provider, account_on):
    account = account_on()
    assert sync_lease_claim(
        model=ProviderAccount, account_id=account.pk, owner="sync-run:other", ttl=timedelta(minutes=5)
    )

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.FAILED
    assert "another sync" in run.error
    assert fake_provider.requests == []


def test_a_lease_left_by_a_crashed_worker_expires_and_the_next_sync_proceeds(fake_provider, account_on):
    account = account_on()
    ProviderAccount.objects.filter(pk=account.pk).update(
        sync_lease_owner="sync-run:crashed", sync_lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    run = server_sync_now(account=account)

    assert run.status == SyncStatus.SUCCEEDED, run.error


def test_a_redelivered_run_that_already_finished_does_nothing(fake_provider, account_on):
    account = account_on()
    run = server_sync_now(account=account)
    fake_provider.reset_requests()

    again = server_sync_run(sync_run_id=run.pk)

    assert again.status == SyncStatus.SUCCEEDED
    assert fake_provider.requests == []


def test_a_provider_that_stays_down_opens_the_circuit_and_is_not_called_again(fake_provider, account_on, settings):
    settings.PROVIDER_CIRCUIT_FAIL_MAX = 2
    account = account_on()
    fake_provider.fail("/server", status=503)
    for _ in range(2):
        assert server_sync_now(account=account).status == SyncStatus.FAILED
    calls = len(fake_provider.requests)

    run = server_sync_now(account=account)

    assert circuit_state(account.circuit_key) == "open"
    assert run.status == SyncStatus.FAILED
    assert "circuit" in run.error.lower()
    assert len(fake_provider.requests) == calls
