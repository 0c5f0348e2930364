"""A server's SSH host is an IP address or a host name: nothing OpenSSH could read as an option.

Checked where it is stored (the API, the admin form, the model) and again before every
connection (tests/provisioning/test_ssh_host_refused_with_a_worker.py, tests/integrations/ssh).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from apps.servers.models import Server
from apps.servers.services.write import servers_write
from apps.servers.validators import validate_ssh_host
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db

INJECTION = "-oProxyCommand=touch /tmp/fleet-ssh-host-injection"
REFUSED = [
    INJECTION,
    "-p2222",
    "-oProxyCommand=x",
    "web1 -oProxyCommand=x",
    "web1;reboot",
    "$(reboot)",
    "web_1.example.com",
    "-web.example.com",
    "web-.example.com",
    "web..example.com",
    "a" * 64 + ".example.com",
    "999.1.1.1",
    "10.0.0",
    "fe80::1%eth0",
    "[2001:db8::1]",
    "root@web1",
    "web1:22",
]
ACCEPTED = ["192.0.2.10", "2001:db8::1", "::1", "localhost", "web-1.example.com", "web1.example.com.", "1password.io"]


@pytest.fixture
def server():
    servers_write(account=provider_account(), listing=listing([1]), now=timezone.now())
    return Server.objects.get()


@pytest.mark.parametrize("value", REFUSED)
def test_the_validator_refuses_what_is_not_an_address(value):
    with pytest.raises(ValidationError):
        validate_ssh_host(value)


@pytest.mark.parametrize("value", ACCEPTED)
def test_the_validator_takes_ip_addresses_and_host_names(value):
    validate_ssh_host(value)


@pytest.mark.parametrize("value", [INJECTION, "web1 -oProxyCommand=x", "fe80::1%eth0"])
def test_patching_an_option_as_ssh_host_is_a_400_and_stores_nothing(server, value):
    api = api_client_as(user_with_role("operator", "ops"))

    response = api.patch(f"/api/servers/{server.pk}/", {"ssh_host": value}, format="json")

    assert response.status_code == 400
    assert "IP address or a host name" in response.json()["ssh_host"][0]
    server.refresh_from_db()
    assert server.ssh_host == ""


@pytest.mark.parametrize("value", ["2001:db8::1", "web-1.example.com", ""])
def test_patching_an_address_or_blank_is_stored(server, value):
    api = api_client_as(user_with_role("operator", "ops"))

    response = api.patch(f"/api/servers/{server.pk}/", {"ssh_host": value}, format="json")

    assert response.status_code == 200, response.content
    server.refresh_from_db()
    assert server.ssh_host == value
    assert response.json()["ssh_host"] == (value or server.ip)


def admin_change(client: Client, server: Server, **changes):
    """POST the server's admin change form as the page rendered it, with `changes` applied."""
    url = f"/admin/servers/server/{server.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    data.update(changes)
    return client.post(url, data)


def test_the_admin_form_refuses_an_option_as_ssh_host(server):
    client = Client()
    client.force_login(user_with_role("operator", "ops"))

    refused = admin_change(client, server, ssh_host=INJECTION)

    assert refused.status_code == 200  # the form again, with the error
    assert "IP address or a host name" in str(refused.context["adminform"].form.errors["ssh_host"])
    server.refresh_from_db()
    assert server.ssh_host == ""

    saved = admin_change(client, server, ssh_host="web-1.example.com")

    assert saved.status_code == 302
    server.refresh_from_db()
    assert server.ssh_host == "web-1.example.com"
