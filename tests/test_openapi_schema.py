"""The OpenAPI schema automation relies on: generated without warnings, valid, complete."""

import yaml
from django.core.management import call_command


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    paths = set(schema["paths"])
    assert {
        "/api/auth/token/",
        "/api/provider-accounts/",
        "/api/provider-accounts/{id}/",
        "/api/provider-accounts/{id}/sync/",
        "/api/servers/",
        "/api/servers/{id}/",
        "/api/sync-runs/",
        "/api/sync-runs/{id}/",
        "/api/github-accounts/",
        "/api/github-accounts/{id}/sync/",
        "/api/projects/",
        "/api/projects/{id}/",
        "/api/projects/search/",
    } <= paths
    account_input = schema["components"]["schemas"]["ProviderAccountInputRequest"]
    account_output = schema["components"]["schemas"]["ProviderAccountOutput"]
    assert "password" in account_input["properties"]
    assert "password" not in account_output["properties"]
    github_output = schema["components"]["schemas"]["GitHubAccountOutput"]
    assert not {"token", "app_private_key"} & set(github_output["properties"])
