"""The API under generated input: schemathesis sends each operation of the OpenAPI schema a
bounded number of requests, as an operator with a real token, over real HTTP.

Every answer must be something the schema promises (status code, content type, body) and
never a 5xx; every 4xx must say what was wrong. Runs in the PostgreSQL/Redis pass only:
requests that queue work go to the Redis broker, where no worker consumes them (the queues
are purged afterwards).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.access.test_route_permissions import schema_routes
from tests.conftest import purge_queues

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Requests per operation: enough to meet each field's edges, few enough for one CI minute or two.
MAX_EXAMPLES = 25


def explains_the_refusal(ctx, response, case) -> None:
    """A 4xx carries a JSON body that says what was wrong: a `detail`, or errors per field."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body: {response.content[:200]!r}") from None
    if isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"].strip():
        return
    field_errors = isinstance(body, dict) and body and all(_is_error_list(problems) for problems in body.values())
    assert field_errors, f"{response.status_code} whose body says nothing about what was wrong: {body!r:.300}"


def _is_error_list(problems) -> bool:
    """A field's problems (non-empty messages), or a nested serializer's own field errors."""
    if isinstance(problems, dict):
        return bool(problems) and all(_is_error_list(value) for value in problems.values())
    if isinstance(problems, list):
        return bool(problems) and all(_is_error_list(item) for item in problems)
    return isinstance(problems, str) and bool(problems.strip())


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    explains_the_refusal,
]


def with_real_ids(case, ids: dict[str, int]) -> None:
    """Point half the generated ids at seeded objects, so an operation meets a real row and not only a 404."""
    if "id" not in (case.path_parameters or {}):
        return
    generated = case.path_parameters["id"]
    if isinstance(generated, int) and generated % 2 == 0:
        case.path_parameters["id"] = ids[case.path.split("/")[2]]


# One test per operation, by pytest's own parametrization: schemathesis.pytest.from_fixture
# (the loader for a schema served by a fixture) sets Node._nodeid, which pytest 9 no longer
# has. The routes come from the generator behind /api/schema/; each test then fuzzes that
# operation of the schema as served to the operator.
@pytest.mark.parametrize(("method", "path"), sorted(schema_routes()))
def test_every_operation_answers_as_its_schema_says(method, path, operator_over_http):
    # The schema is for signed-in callers only, so it is fetched with the operator's token.
    schema = schemathesis.openapi.from_url(
        f"{operator_over_http.base_url}/api/schema/?format=json", headers=operator_over_http.headers, timeout=30
    )
    operation = schema[path][method]
    # Valid input and input that breaks the schema: both must get an answer the schema promises.
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers_as_promised(case):
        with_real_ids(case, operator_over_http.ids)
        case.call_and_validate(
            base_url=operator_over_http.base_url,
            headers=operator_over_http.headers,
            checks=CHECKS,
            timeout=30,
        )

    try:
        answers_as_promised()
    finally:
        purge_queues()  # what the accepted requests queued; no worker runs here to take it
