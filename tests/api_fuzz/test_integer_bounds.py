"""Every integer the API accepts is bounded by the column it ends in: the schema says so (so
schemathesis generates the edges), and a value past a 64-bit column is a 400, never a 500."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from apps.projects.models import GitHubAccount
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

BIGINT_MAX = 2**63 - 1


def integer_inputs(schema: dict) -> list[tuple[str, dict]]:
    """(where, schema) of every integer in a request body or a query or path parameter."""
    found: list[tuple[str, dict]] = []
    components = schema["components"]["schemas"]

    def walk(where: str, node: dict, seen: frozenset) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(f"{where}<{name}>", components[name], seen | {name})
            return
        if node.get("readOnly"):
            return
        if node.get("type") == "integer":
            found.append((where, node))
        for key, child in (node.get("properties") or {}).items():
            walk(f"{where}.{key}", child, seen)
        for keyword in ("items", "additionalProperties"):
            if isinstance(node.get(keyword), dict):
                walk(f"{where}[]", node[keyword], seen)
        for keyword in ("allOf", "oneOf", "anyOf"):
            for index, child in enumerate(node.get(keyword) or []):
                walk(f"{where}|{index}", child, seen)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters") or []:
                walk(f"{method.upper()} {path} ?{parameter['name']}", parameter.get("schema", {}), frozenset())
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                walk(f"{method.upper()} {path} body", media.get("schema", {}), frozenset())
    return found


def test_every_integer_input_in_the_schema_has_bounds_a_64_bit_column_holds(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    inputs = integer_inputs(yaml.safe_load(target.read_text()))

    unbounded = [
        where
        for where, node in inputs
        if "maximum" not in node
        or "minimum" not in node
        or node["maximum"] > BIGINT_MAX
        or node["minimum"] < -BIGINT_MAX - 1
    ]

    assert inputs, "the walk found no integer input at all"
    assert not unbounded, f"integer inputs without column bounds: {unbounded}"


@pytest.mark.parametrize("field", ["app_id", "installation_id"])
def test_a_github_app_id_past_the_column_is_a_400_naming_the_field(field):
    client = api_client_as(user_with_role("admin", "ada"))
    body = {"organization": "acme", "auth_kind": "app", "app_id": 1, "installation_id": 1, "app_private_key": "k"}

    answer = client.post("/api/github-accounts/", {**body, field: 2**63}, format="json")

    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert not GitHubAccount.objects.exists()


def routes_with_integer_parameters() -> list[tuple[str, str, str, str]]:
    """(method, path, parameter, where) of each integer path or query parameter in the schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters") or []:
                if parameter.get("schema", {}).get("type") == "integer":
                    found.append((method.upper(), path, parameter["name"], parameter["in"]))
    return sorted(found)


@pytest.mark.parametrize("number", [2**63, 2**64, -(2**63) - 1])
def test_parameters_past_64_bits_are_refused_never_a_server_error(number):
    client = api_client_as(user_with_role("admin", "ada"))
    routes = routes_with_integer_parameters()
    answers = {}
    for method, path, name, where in routes:
        if where == "path":
            url, query = path.replace("{" + name + "}", str(number)), {}
        elif "{" in path:
            continue  # a query parameter of one object's route: covered by that object's own tests
        else:
            url, query = path, {name: str(number)}
        answer = getattr(client, method.lower())(url, query if method == "GET" else None, format="json")
        if method != "GET" and query:
            answer = getattr(client, method.lower())(f"{url}?{name}={number}", {}, format="json")
        answers[f"{method} {url} {query}"] = answer.status_code

    assert len(routes) > 20
    assert all(400 <= status < 500 for status in answers.values()), {k: v for k, v in answers.items() if v >= 500}
