"""Labels on the server's admin page: a text box of key=value lines (validated, never raw JSON),
the provider's labels read-only beside it, a column in the list, and search by key=value."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests.roles import user_with_role
from tests.servers.factories import listing, provider_account
from tests.servers.test_ssh_host_validation import admin_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers():
    servers_write(account=provider_account(), listing=listing([1, 2, 3]), now=timezone.now())
    return {server.provider_id: server for server in Server.objects.all()}


@pytest.fixture
def operator_browser():
    client = Client()
    client.force_login(user_with_role("operator", "ops"))
    return client


def test_the_change_page_shows_labels_as_lines_and_the_providers_read_only(operator_browser, servers):
    server = servers["1"]
    Server.objects.filter(pk=server.pk).update(
        labels={"role": "web", "env": "prod"}, provider_labels={"zone": "fsn1", "Team": "ops"}
    )

    page = operator_browser.get(f"/admin/servers/server/{server.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert '<textarea name="labels"' in html
    assert page.context["adminform"].form["labels"].value() == "env=prod\nrole=web"
    assert "Team=ops<br>zone=fsn1" in html
    assert '{"role": "web"' not in html  # never the raw JSON


def test_saving_key_value_lines_stores_the_labels_and_audits_the_change(operator_browser, servers):
    server = servers["1"]

    saved = admin_change(operator_browser, server, labels="role=web\n\n  env = prod  \ndrain=\n")

    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    server.refresh_from_db()
    assert server.labels == {"drain": "", "env": "prod", "role": "web"}
    event = AuditEvent.objects.get(action=AuditAction.RECORD_UPDATE, target_type="servers.server")
    assert event.actor_name == "ops"
    assert event.detail["changed"] == ["labels"]
    assert event.detail["values"]["labels"]["new"] == {"drain": "", "env": "prod", "role": "web"}

    cleared = admin_change(operator_browser, server, labels="")

    assert cleared.status_code == 302
    server.refresh_from_db()
    assert server.labels == {}


def test_bad_lines_show_the_form_again_naming_each_line_and_nothing_is_stored(operator_browser, servers):
    server = servers["1"]
    Server.objects.filter(pk=server.pk).update(labels={"keep": "me"})

    refused = admin_change(operator_browser, server, labels="role=web\nRole=db\nnot a label\nrole=again")

    assert refused.status_code == 200
    errors = list(refused.context["adminform"].form.errors["labels"])
    assert errors[0].startswith("line 2: 'Role': a label key is 1 to 63 characters")
    assert errors[1:] == ["line 3: 'not a label' is not key=value", "line 4: 'role' is given twice"]
    assert "role=web\nRole=db" in refused.content.decode()  # what was typed, to correct
    server.refresh_from_db()
    assert server.labels == {"keep": "me"}

    too_many = admin_change(operator_browser, server, labels="\n".join(f"k{i}=v" for i in range(51)))

    assert list(too_many.context["adminform"].form.errors["labels"]) == ["at most 50 labels per server, not 51"]


def test_the_list_shows_labels_and_search_finds_servers_by_key_value(operator_browser, servers):
    Server.objects.filter(provider_id="1").update(labels={"role": "web", "env": "prod"})
    Server.objects.filter(provider_id="2").update(labels={"role": "web"})
    Server.objects.filter(provider_id="3").update(provider_labels={"role": "web", "env": "prod"})

    def found(query: str) -> list[str]:
        page = operator_browser.get("/admin/servers/server/", {"q": query})
        assert page.status_code == 200
        return sorted(server.provider_id for server in page.context["cl"].result_list)

    listing_page = operator_browser.get("/admin/servers/server/").content.decode()
    assert "env=prod, role=web" in listing_page
    assert found("role=web") == ["1", "2", "3"]
    assert found("role=web env=prod") == ["1", "3"]
    assert found("role=web web2") == ["2"]  # a word searches the hostname as before
    assert found("role=db") == []
    assert found("web1") == ["1"]
