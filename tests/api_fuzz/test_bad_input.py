"""Hostile input through the real API and admin: SQL and HTML in text fields, oversized bodies,
and secrets that a viewer (or an error message) must never see."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from apps.access.services import token_create
from apps.audit.models import AuditEvent
from apps.monitoring.models import NotificationChannel
from apps.projects.models import GitHubAccount
from apps.servers.models import ProviderAccount, Server, SshKey
from tests.access.test_route_permissions import ASKS_THE_PROVIDER, POLICY, concrete, schema_routes, world
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

SQL = "'; DROP TABLE servers_server; --"
HTML = "<script>alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE = f"{SQL} {HTML}"
# What an HTML page must show instead of the markup: Django's escaping of HTML.
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
RAW_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror")


@pytest.fixture
def admin_user():
    return user_with_role("admin", "hostile-admin")


@pytest.fixture
def admin_api(admin_user):
    return api_client_as(admin_user)


@pytest.fixture
def admin_browser(admin_user) -> Client:
    browser = Client()
    browser.force_login(admin_user)
    return browser


def assert_tables_intact() -> None:
    tables = connection.introspection.table_names()
    assert {Server._meta.db_table, ProviderAccount._meta.db_table} <= set(tables)
    assert Server.objects.count() >= 0  # the table answers a query


def assert_shown_escaped(browser: Client, *urls: str) -> None:
    for url in urls:
        page = browser.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert ESCAPED in html, f"{url} does not show the value escaped"
        for markup in RAW_MARKUP:
            assert markup not in html, f"{url} shows raw markup {markup!r}"


# --- SQL and HTML in text fields ------------------------------------------------------------


def test_a_provider_account_name_and_username_are_stored_verbatim_and_shown_escaped(admin_api, admin_browser):
    payload = {
        "name": HOSTILE,
        "kind": "time4vps",
        "base_url": "http://127.0.0.1:9/api",
        "username": HOSTILE,
        "password": "provider-password",
    }

    response = admin_api.post("/api/provider-accounts/", payload, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["username"]) == (HOSTILE, HOSTILE)  # JSON is not HTML
    account = ProviderAccount.objects.get(pk=response.json()["id"])
    assert (account.name, account.username) == (HOSTILE, HOSTILE)
    assert admin_api.get(f"/api/provider-accounts/{account.pk}/").json()["name"] == HOSTILE
    assert_tables_intact()
    assert_shown_escaped(
        admin_browser, "/admin/servers/provideraccount/", f"/admin/servers/provideraccount/{account.pk}/change/"
    )


def test_server_notes_hostname_and_label_are_stored_verbatim_and_shown_escaped(admin_api, admin_browser):
    ids = world()
    server = Server.objects.get(pk=ids["servers"])
    # Hostname and label come from the provider (read-only in the API): a hostile provider could send anything.
    Server.objects.filter(pk=server.pk).update(label=HOSTILE, hostname=HOSTILE)
    operator = api_client_as(user_with_role("operator", "hostile-operator"))

    response = operator.patch(f"/api/servers/{server.pk}/", {"notes": HOSTILE}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["notes"], response.json()["label"]) == (HOSTILE, HOSTILE)
    server.refresh_from_db()
    assert server.notes == HOSTILE
    listed = admin_api.get("/api/servers/", {"search": SQL})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [server.pk]  # the search is a value, not SQL
    assert_tables_intact()
    assert_shown_escaped(admin_browser, "/admin/servers/server/", f"/admin/servers/server/{server.pk}/change/")


def test_an_ssh_key_name_is_stored_verbatim_and_shown_escaped(admin_api, admin_browser):
    response = admin_api.post("/api/ssh-keys/", {"name": HOSTILE}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["name"] == HOSTILE
    key = SshKey.objects.get(pk=response.json()["id"])
    assert key.name == HOSTILE
    assert_tables_intact()
    assert_shown_escaped(admin_browser, "/admin/servers/sshkey/", f"/admin/servers/sshkey/{key.pk}/change/")


def test_a_github_organization_is_not_free_text_so_sql_and_html_are_refused(admin_api):
    for organization in (SQL, HTML):
        response = admin_api.post(
            "/api/github-accounts/", {"organization": organization, "token": "gh-token"}, format="json"
        )

        assert response.status_code == 400, response.content
        assert response.json()["organization"], response.json()
    assert not GitHubAccount.objects.exists()
    assert_tables_intact()


def test_a_notification_channel_name_is_stored_verbatim_and_shown_escaped(admin_browser):
    response = admin_browser.post(
        "/admin/monitoring/notificationchannel/add/",
        {"name": HOSTILE, "kind": "email", "target": "ops@example.com", "min_severity": "warning", "enabled": "on"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    channel = NotificationChannel.objects.get()
    assert channel.name == HOSTILE
    assert_tables_intact()
    assert_shown_escaped(
        admin_browser,
        "/admin/monitoring/notificationchannel/",
        f"/admin/monitoring/notificationchannel/{channel.pk}/change/",
    )


def test_the_admin_index_shows_hostile_names_escaped(admin_browser):
    ids = world()
    Server.objects.filter(pk=ids["servers"]).update(label=HOSTILE, hostname=HOSTILE)
    ProviderAccount.objects.filter(pk=ids["provider-accounts"]).update(name=HOSTILE)

    page = admin_browser.get("/admin/")

    assert page.status_code == 200
    for markup in RAW_MARKUP:
        assert markup not in page.content.decode()


# --- Oversized bodies -----------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_stored(admin_api, settings):
    # The configured limit (API_MAX_BODY_BYTES), not one lowered for the test.
    over_the_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    payload = {
        "name": "too-big",
        "kind": "time4vps",
        "base_url": "http://127.0.0.1:9/api",
        "username": "ops@example.com",
        "password": "x" * over_the_limit,
    }

    response = admin_api.post("/api/provider-accounts/", payload, format="json")

    assert response.status_code == 413, response.content
    assert "larger than" in response.json()["detail"]
    assert not ProviderAccount.objects.filter(name="too-big").exists()


def test_a_form_body_of_too_many_fields_is_a_400_that_says_so_and_nothing_is_stored(admin_api, settings):
    too_many = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1
    body = "&".join(["name=too-many", "kind=time4vps", *(f"limit={number}" for number in range(too_many))])

    response = admin_api.post("/api/provider-accounts/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields" in response.json()["detail"]
    assert not ProviderAccount.objects.filter(name="too-many").exists()


def test_an_oversized_patch_leaves_the_server_unchanged(settings):
    ids = world()
    operator = api_client_as(user_with_role("operator", "big-operator"))
    over_the_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1

    response = operator.patch(f"/api/servers/{ids['servers']}/", {"notes": "n" * over_the_limit}, format="json")

    assert response.status_code == 413, response.content
    assert Server.objects.get(pk=ids["servers"]).notes == ""


# --- Secrets and viewers --------------------------------------------------------------------

SECRETS = {
    "provider password": "pw-7f3a9c-provider-secret",
    "GitHub token": "ghp_4d2b8e-github-token-secret",
    "GitHub App private key": "-----BEGIN PRIVATE KEY-----\nMIIapp-key-secret-91c4\n-----END PRIVATE KEY-----",
    "SSH private key": "-----BEGIN OPENSSH PRIVATE KEY-----\nssh-key-secret-5e0d\n-----END OPENSSH PRIVATE KEY-----",
    "root password": "root-pw-2a6f-secret",
}


def secret_world() -> dict[str, int]:
    """One object of every kind, every secret field filled with a value we can look for."""
    ids = world()
    ProviderAccount.objects.filter(pk=ids["provider-accounts"]).update(password=SECRETS["provider password"])
    Server.objects.filter(pk=ids["servers"]).update(root_password=SECRETS["root password"])
    SshKey.objects.filter(pk=ids["ssh-keys"]).update(private_key=SECRETS["SSH private key"])
    GitHubAccount.objects.filter(pk=ids["github-accounts"]).update(token=SECRETS["GitHub token"])
    GitHubAccount.objects.create(
        organization="acme-app",
        auth_kind="app",
        app_id=1,
        installation_id=2,
        app_private_key=SECRETS["GitHub App private key"],
    )
    return ids


def assert_no_secret_in(body: bytes, where: str) -> None:
    text = body.decode(errors="replace")
    for what, value in SECRETS.items():
        for fragment in {value, *value.splitlines()} - {"-----END PRIVATE KEY-----"}:
            if "secret" in fragment:
                assert fragment not in text, f"{where} shows the {what}"


def test_a_viewer_reading_every_route_sees_no_secret():
    ids = secret_world()
    viewer_user = user_with_role("viewer", "secret-viewer")
    viewer = api_client_as(viewer_user)
    audit_id = AuditEvent.objects.create(action="auth.login", outcome="success").pk
    token_id = token_create(user=viewer_user, name="mine", expires_in_days=1)[0].pk

    read = 0
    for method, path in sorted(schema_routes()):
        if method != "GET" or POLICY[(method, path)] not in ("authenticated", "viewer"):
            continue  # not a read, or not the viewer's to read (a 403 shows nothing)
        url = concrete(path, ids, token_id, audit_id)
        response = viewer.get(url, {"q": "secret"} if path.endswith("/search/") else {})
        # A read that asks an outside service this world cannot reach answers 503 (or 400 for a
        # project with no default branch to read): what it says must hold no secret either.
        expected = (200, 400, 503) if (method, path) in ASKS_THE_PROVIDER else (200,)
        assert response.status_code in expected, f"GET {url}: {response.status_code}"
        assert_no_secret_in(response.content, f"GET {url}")
        read += 1
    assert read >= 20  # every readable route was asked, not a handful


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/provider-accounts/", {"name": "v", "username": "u", "password": SECRETS["provider password"]}),
        ("patch", "/api/provider-accounts/{id}/", {"password": SECRETS["provider password"]}),
        ("post", "/api/github-accounts/", {"organization": "x", "token": SECRETS["GitHub token"]}),
        ("patch", "/api/github-accounts/{id}/", {"app_private_key": SECRETS["GitHub App private key"]}),
        ("post", "/api/ssh-keys/", {"name": "v", "private_key": SECRETS["SSH private key"]}),
        ("patch", "/api/servers/{id}/", {"notes": SECRETS["root password"], "root_password": SECRETS["root password"]}),
    ],
)
def test_a_viewer_writing_a_secret_gets_a_403_that_does_not_echo_it(method, path, body):
    ids = secret_world()
    viewer = api_client_as(user_with_role("viewer", "secret-writer"))
    url = path.replace("{id}", str(ids[path.split("/")[2]]))

    response = getattr(viewer, method)(url, body, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert_no_secret_in(response.content, f"{method.upper()} {url}")


def test_an_invalid_secret_is_refused_without_being_echoed(admin_api):
    bad_ssh_key = SECRETS["SSH private key"]
    bad_app_key = SECRETS["GitHub App private key"]

    ssh = admin_api.post("/api/ssh-keys/", {"name": "pasted", "private_key": bad_ssh_key}, format="json")
    app = admin_api.post(
        "/api/github-accounts/",
        {"organization": "acme", "auth_kind": "app", "app_id": 1, "installation_id": 2, "app_private_key": bad_app_key},
        format="json",
    )

    assert ssh.status_code == 400, ssh.content
    assert ssh.json()["private_key"]
    assert app.status_code == 400, app.content
    assert app.json()["app_private_key"]
    for response in (ssh, app):
        assert_no_secret_in(response.content, "a 400 for a malformed key")
    assert not SshKey.objects.filter(name="pasted").exists()
    assert not GitHubAccount.objects.exists()


def test_a_secret_in_a_malformed_json_body_is_not_echoed(admin_api):
    body = '{"name": "broken", "password": "' + SECRETS["provider password"] + '"'  # no closing brace

    response = admin_api.post("/api/provider-accounts/", body, content_type="application/json")

    assert response.status_code == 400
    assert json.loads(response.content)["detail"]
    assert_no_secret_in(response.content, "a 400 for malformed JSON")


def test_the_secret_holding_fixtures_really_hold_the_secrets():
    # Guards the tests above: a secret that was never stored could never leak.
    ids = secret_world()
    assert ProviderAccount.objects.get(pk=ids["provider-accounts"]).password == SECRETS["provider password"]
    assert Server.objects.get(pk=ids["servers"]).root_password == SECRETS["root password"]
    assert SshKey.objects.get(name="k").private_key == SECRETS["SSH private key"]
    assert GitHubAccount.objects.get(organization="acme").token == SECRETS["GitHub token"]
    assert GitHubAccount.objects.get(organization="acme-app").app_private_key == SECRETS["GitHub App private key"]


# --- Answers that generated input once broke ------------------------------------------------


def test_a_time_offset_postgresql_does_not_know_is_compared_in_utc():
    viewer = api_client_as(user_with_role("viewer", "time-viewer"))

    # ISO 8601 allows +16:31; PostgreSQL refused it with a 500.
    odd_offset = viewer.get("/api/audit-events/", {"occurred_before": "0010-08-15T17:49:46.84+16:31"})
    before_year_one = viewer.get("/api/audit-events/", {"occurred_after": "0001-01-01T00:00+05:00"})

    assert odd_offset.status_code == 200, odd_offset.content
    assert before_year_one.status_code == 400
    assert before_year_one.json() == {"occurred_after": ["This date and time is out of range."]}


def test_a_nul_in_a_search_is_a_400_whose_body_is_an_object():
    viewer = api_client_as(user_with_role("viewer", "nul-viewer"))

    response = viewer.get("/api/servers/", {"search": "web\x00"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}


def test_an_api_url_no_route_matches_answers_json():
    viewer = api_client_as(user_with_role("viewer", "lost-viewer"))

    response = viewer.get("/api/servers/1.5/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == "Not found."
