"""JSON nested past any sensible depth is a 400 that says so, anonymously and on every write route."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.access.test_route_permissions import schema_routes
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_refused_as_too_deep(answer) -> None:
    assert answer.status_code == 400, answer.content[:300]
    assert "nests deeper than 32 levels" in answer.json()["detail"]


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_a_deep_body_to_the_login_endpoint_is_a_400_for_anyone(depth):
    answer = APIClient().post("/api/auth/token/", nested(depth), content_type="application/json")

    assert_refused_as_too_deep(answer)


def test_an_object_nested_deeply_inside_a_valid_body_is_refused_too():
    body = '{"username": "vera", "password": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"

    assert_refused_as_too_deep(APIClient().post("/api/auth/token/", body, content_type="application/json"))


def test_a_body_at_the_depth_limit_is_read_as_usual():
    # 32 levels: the answer is about the content (a list is not a login), not its depth.
    answer = APIClient().post("/api/auth/token/", nested(32), content_type="application/json")

    assert answer.status_code == 400
    assert "nests deeper" not in str(answer.json())


def test_every_write_route_refuses_a_deep_body_with_a_400():
    client = api_client_as(user_with_role("admin", "ada"))
    writes = sorted((method, path) for method, path in schema_routes() if method in ("POST", "PUT", "PATCH"))
    answers = {}
    for method, path in writes:
        url = path.replace("{id}", "1")
        answer = getattr(client, method.lower())(url, nested(5_000), content_type="application/json")
        answers[f"{method} {path}"] = answer.status_code

    assert len(writes) > 10
    # 400 where the body is read; 404 where the route's object is looked up first.
    assert set(answers.values()) <= {400, 404}, answers
    assert answers["POST /api/provider-accounts/"] == 400
    assert answers["POST /api/github-accounts/"] == 400
