"""The write phase of server_sync: a complete listing becomes Server rows."""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.servers.choices import Connection, Lifecycle, ProviderKind, ProviderStatus
from apps.servers.models import Server
from apps.servers.services.write import BATCH_SIZE, InvalidProviderData, servers_write
from tests.servers.factories import busy, details, listing, provider_account

pytestmark = pytest.mark.django_db


def write(account, servers):
    return servers_write(account=account, listing=servers, now=timezone.now())


def test_servers_seen_for_the_first_time_are_discovered_with_the_providers_values():
    account = provider_account()

    counts = write(account, [details(1, additional_ips=("198.51.100.200",)), busy(2)])

    assert (counts.created, counts.updated, counts.removed, counts.unchanged) == (2, 0, 0, 0)
    first = Server.objects.get(provider_id="1")
    assert first.lifecycle == Lifecycle.DISCOVERED
    assert first.hostname == "web1.example.com"
    assert first.ip == "198.51.100.2"
    assert first.additional_ips == ["198.51.100.200"]
    assert first.provider_status == ProviderStatus.ACTIVE
    assert (first.cpu_cores, first.cpu_mhz, first.ram_mb, first.disk_mb) == (2, 2400, 4096, 81920)
    assert first.connection == Connection.SSH
    assert first.busy is False
    assert Server.objects.get(provider_id="2").busy is True


def test_writing_the_same_listing_twice_changes_nothing_the_second_time():
    account = provider_account()
    write(account, listing(range(1, 6)))
    before = list(Server.objects.order_by("id").values())

    counts = write(account, listing(range(1, 6)))

    assert (counts.created, counts.updated, counts.removed, counts.unchanged) == (0, 0, 0, 5)
    assert list(Server.objects.order_by("id").values()) == before


def test_a_changed_server_is_updated_and_operator_fields_are_kept():
    account = provider_account()
    write(account, listing([1, 2]))
    Server.objects.filter(provider_id="1").update(ssh_user="deploy", ssh_port=2222, notes="db primary")

    counts = write(account, [details(1, os="debian-12-x86_64", ram_mb=8192), details(2)])

    assert (counts.updated, counts.unchanged) == (1, 1)
    server = Server.objects.get(provider_id="1")
    assert (server.os, server.ram_mb) == ("debian-12-x86_64", 8192)
    assert (server.ssh_user, server.ssh_port, server.notes) == ("deploy", 2222, "db primary")


def test_a_server_no_longer_listed_is_marked_removed_never_deleted_and_returns_with_its_lifecycle():
    account = provider_account()
    write(account, listing([1, 2]))
    Server.objects.filter(provider_id="2").update(lifecycle=Lifecycle.READY)

    removed = write(account, listing([1]))
    server = Server.objects.get(provider_id="2")
    assert removed.removed == 1
    assert server.lifecycle == Lifecycle.REMOVED

    returned = write(account, listing([1, 2]))
    server.refresh_from_db()
    assert returned.updated == 1
    assert server.lifecycle == Lifecycle.READY
    assert Server.objects.count() == 2


def test_a_server_with_no_ip_and_a_unicode_hostname_is_stored():
    account = provider_account()

    write(account, [details(7, ip=None, domain="žalgiris-ünïcode.example.lt", label="Ūkis")])

    server = Server.objects.get(provider_id="7")
    assert server.ip is None
    assert server.hostname == "žalgiris-ünïcode.example.lt"
    assert server.label == "Ūkis"
    assert server.effective_ssh_host == ""


def test_a_value_that_cannot_be_stored_fails_the_write_and_changes_nothing():
    account = provider_account()
    write(account, listing([1, 2]))
    before = list(Server.objects.order_by("id").values())

    with pytest.raises(InvalidProviderData, match="not an IP address"):
        write(account, [details(1, os="changed"), details(3, ip="999.1.1.1")])

    assert list(Server.objects.order_by("id").values()) == before


def test_sandbox_servers_use_the_local_connection():
    account = provider_account(kind=ProviderKind.SANDBOX)

    write(account, listing([1]))

    assert Server.objects.get().connection == Connection.LOCAL


def capture(account, servers) -> tuple[int, int]:
    """(queries other than INSERT, INSERT statements) issued by one write."""
    with CaptureQueriesContext(connection) as captured:
        write(account, servers)
    inserts = sum(1 for query in captured if query["sql"].lstrip().upper().startswith("INSERT"))
    return len(captured) - inserts, inserts


def insert_batches(rows: int) -> int:
    fields = [field for field in Server._meta.concrete_fields if not field.primary_key]
    # The write phase batches by BATCH_SIZE; the database may split each batch further by its
    # parameter limit (SQLite): both are "per batch", neither grows per server.
    per_statement = min(connection.ops.bulk_batch_size(fields, [Server()] * BATCH_SIZE) or BATCH_SIZE, BATCH_SIZE)
    full, rest = divmod(rows, BATCH_SIZE)
    return full * math.ceil(BATCH_SIZE / per_statement) + math.ceil(rest / per_statement)


def test_queries_stay_constant_per_batch_whatever_the_number_of_servers():
    small, large = provider_account(), provider_account()

    small_other, small_inserts = capture(small, listing(range(1, 11)))
    large_other, large_inserts = capture(large, listing(range(1, 1201)))
    assert small_other == large_other
    assert small_inserts == insert_batches(10)
    assert large_inserts == insert_batches(1200)

    # An update pass that changes some servers and removes others.
    few_other, _ = capture(small, [details(i, os="debian-12") for i in range(1, 6)])
    many_other, _ = capture(large, [details(i, os="debian-12") for i in range(1, 601)])
    assert few_other == many_other
