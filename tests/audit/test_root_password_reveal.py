"""Break-glass: an admin reveals a server's root password with a reason; everyone else gets 403,
and every attempt is in the audit trail without the password."""

from __future__ import annotations

import pytest

from apps.audit.choices import AuditAction, AuditOutcome
from apps.servers.models import Server
from tests import factories
from tests.audit.helpers import events, whole_table
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

ROOT_PASSWORD = "Xk9-root-Pw-7731"
REASON = "SSH key lost on web1, console login needed"


@pytest.fixture
def server():
    return factories.server(hostname="web1", root_password=ROOT_PASSWORD)


def reveal_url(server: Server) -> str:
    return f"/admin/servers/server/{server.pk}/reveal-root-password/"


def signed_in(client, role: str):
    client.force_login(user_with_role(role, f"{role}-1"))
    return client


def test_an_admin_with_a_reason_sees_the_password_once_and_the_reveal_is_audited(client, server):
    admin = signed_in(client, "admin")

    form = admin.get(reveal_url(server))
    page = admin.post(reveal_url(server), {"reason": f"  {REASON}  "})

    assert form.status_code == 200
    assert ROOT_PASSWORD not in form.content.decode()
    assert page.status_code == 200
    assert ROOT_PASSWORD in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    [event] = events(AuditAction.ROOT_PASSWORD_REVEAL)
    assert (event.actor_name, event.outcome, event.target_id) == ("admin-1", AuditOutcome.SUCCESS, str(server.pk))
    assert event.detail == {"reason": REASON, "stored": True}
    assert ROOT_PASSWORD not in whole_table()


def test_without_a_reason_the_form_asks_again_and_nothing_is_revealed(client, server):
    admin = signed_in(client, "admin")

    for reason in ("", "   short  "):
        page = admin.post(reveal_url(server), {"reason": reason})

        assert page.status_code == 200
        assert ROOT_PASSWORD not in page.content.decode()
        assert "errornote" in page.content.decode()
    assert not events(AuditAction.ROOT_PASSWORD_REVEAL)


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_get_403_and_the_attempt_is_recorded_as_denied(client, server, role):
    user = signed_in(client, role)

    shown = user.get(reveal_url(server))
    posted = user.post(reveal_url(server), {"reason": REASON})

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert ROOT_PASSWORD not in posted.content.decode()
    denied = events(AuditAction.ROOT_PASSWORD_REVEAL)
    assert [(event.actor_name, event.outcome) for event in denied] == [(f"{role}-1", AuditOutcome.DENIED)] * 2
    assert ROOT_PASSWORD not in whole_table()


def test_the_button_is_shown_only_to_those_who_may_reveal(client, server):
    change = f"/admin/servers/server/{server.pk}/change/"

    as_admin = signed_in(client, "admin").get(change).content.decode()
    client.logout()
    as_operator = signed_in(client, "operator").get(change).content.decode()

    assert reveal_url(server) in as_admin
    assert reveal_url(server) not in as_operator
    assert ROOT_PASSWORD not in as_admin


def test_a_server_without_a_stored_password_says_so_and_is_still_audited(client, server):
    Server.objects.filter(pk=server.pk).update(root_password="")
    admin = signed_in(client, "admin")

    page = admin.post(reveal_url(server), {"reason": REASON})

    assert 'id="no-root-password"' in page.content.decode()
    [event] = events(AuditAction.ROOT_PASSWORD_REVEAL)
    assert event.detail["stored"] is False
