"""compose.yaml's environment: Compose interpolation, required secrets, the production rules."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import environ
import pytest

from config import environment
from tests.deployment.compose_helpers import (
    PLATFORM_SERVICES,
    PRODUCTION_VARIABLES,
    REQUIRED_OPERATOR_VARIABLES,
    SECRET_VARIABLES,
    MissingVariableError,
    environment_of,
    interpolate,
    interpolate_tree,
    secret_references_with_a_default,
)


# --- The interpolation helpers themselves --------------------------------------------------
def test_interpolation_follows_compose_rules():
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("$$HOSTNAME ${SET} $SET", env) == "$HOSTNAME value value"
    assert interpolate("${EMPTY:-fallback} ${EMPTY-fallback} ${UNSET-fallback}", env) == "fallback  fallback"
    with pytest.raises(MissingVariableError):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${SET:?needed}", env) == "value"


def test_secret_default_detector_flags_defaults():
    assert secret_references_with_a_default("${SECRET_KEY:-insecure} $POSTGRES_PASSWORD ${FLOWER_BASIC_AUTH}") == [
        "${SECRET_KEY:-insecure}",
        "$POSTGRES_PASSWORD",
        "${FLOWER_BASIC_AUTH}",
    ]
    assert secret_references_with_a_default("${SECRET_KEY:?set it} ${POSTGRES_USER:-platform}") == []


# --- Environment ------------------------------------------------------------------------------
def test_no_secret_has_a_default(compose_text):
    for name in SECRET_VARIABLES:
        assert re.search(rf"\$\{{{name}:\?", compose_text), f"{name} is never required with ${{{name}:?...}}"
    problems = secret_references_with_a_default(compose_text)
    assert not problems, f"secret references without `:?`: {problems}"


@pytest.mark.parametrize("name", REQUIRED_OPERATOR_VARIABLES)
def test_compose_refuses_to_start_without(raw_compose, operator_env, name):
    env = {key: value for key, value in operator_env.items() if key != name}
    with pytest.raises(MissingVariableError, match=name):
        interpolate_tree(raw_compose, env)
    with pytest.raises(MissingVariableError, match=name):
        interpolate_tree(raw_compose, {**env, name: ""})


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_platform_service_environment_passes_the_production_rules(services, operator_env, name):
    env = environment_of(services[name])
    missing = [variable for variable in PRODUCTION_VARIABLES if not env.get(variable)]
    assert not missing, f"{name} lacks {missing}"
    assert env["ENVIRONMENT"] == "production"
    problems = environment.production_problems(
        secret_key=env["SECRET_KEY"],
        debug=environ.Env.parse_value(env.get("DEBUG") or "false", bool),
        allowed_hosts=environ.Env.parse_value(env["ALLOWED_HOSTS"], list),
        database_url=env["DATABASE_URL"],
        broker_url=env["CELERY_BROKER_URL"],
        cache_url=env["CACHE_URL"],
        field_encryption_keys=environ.Env.parse_value(env["FIELD_ENCRYPTION_KEYS"], list),
        cors_allowed_origins=environ.Env.parse_value(env.get("CORS_ALLOWED_ORIGINS", ""), list),
    ) + environment.metrics_access_problems(
        token=env.get("METRICS_TOKEN", ""),
        allowed_networks=environ.Env.parse_value(env.get("METRICS_ALLOWED_NETWORKS", ""), list),
    )
    assert not problems, f"{name} would refuse to start: {problems}"
    # The operator's values arrive unchanged: nothing in the file stands in for them.
    for variable in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"):
        assert env[variable] == operator_env[variable], f"{name} does not take {variable} from the operator"


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_platform_services_reach_the_compose_services(services, operator_env, name):
    env = environment_of(services[name])
    postgres = environment_of(services["postgres"])
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme in environment.PRODUCTION_DATABASE_SCHEMES
    assert database.hostname == "postgres"
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == operator_env["POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    assert urlsplit(env["CELERY_BROKER_URL"]).hostname == "redis-broker"
    assert urlsplit(env["CACHE_URL"]).hostname == "redis-cache"


def test_bootstrap_admin_password_reaches_migrate(services, operator_env):
    env = environment_of(services["migrate"])
    assert env.get("BOOTSTRAP_ADMIN_PASSWORD") == operator_env["BOOTSTRAP_ADMIN_PASSWORD"]
