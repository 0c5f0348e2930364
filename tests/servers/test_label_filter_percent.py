"""A label term holding a % is refused with a 400 that quotes it, never a 500."""

import pytest

from tests.roles import api_client_with_role

pytestmark = pytest.mark.django_db


def test_a_label_term_with_a_percent_sign_is_a_field_error():
    response = api_client_with_role("viewer", "v").get("/api/servers/?label=%25s%25")

    assert response.status_code == 400
    assert "'%s%'" in response.data["label"][0]
