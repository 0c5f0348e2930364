"""Sign-ins through the admin's login page: both outcomes recorded, never the password."""

import pytest
from django.contrib.auth import get_user_model

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from tests.audit.helpers import events, whole_table

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def test_a_successful_and_a_failed_sign_in_are_recorded_without_the_password(client):
    get_user_model().objects.create_user("ada", password=PASSWORD, is_staff=True)

    failed = client.post("/admin/login/", {"username": "ada", "password": "wrong-" + PASSWORD})
    signed_in = client.post("/admin/login/", {"username": "ada", "password": PASSWORD})

    assert failed.status_code == 200
    assert signed_in.status_code == 302
    [failure] = events(AuditAction.LOGIN_FAILED)
    [success] = events(AuditAction.LOGIN)
    assert (failure.actor_name, failure.outcome, failure.actor_id) == ("ada", AuditOutcome.FAILURE, None)
    assert (success.actor_name, success.actor_kind, success.outcome) == ("ada", ActorKind.USER, AuditOutcome.SUCCESS)
    assert success.ip_address == "127.0.0.1"
    assert PASSWORD not in whole_table()
