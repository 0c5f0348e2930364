"""Production refuses to start with unsafe values, reporting every problem at once."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from config import environment

REPO_ROOT = Path(__file__).resolve().parents[2]

VALID_PRODUCTION_ENV = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "p" * 20 + "-a-real-long-random-production-secret-key-xyz",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "fleet.example.com",
    "DATABASE_URL": "postgres://fleet:pw@db.internal:5432/fleet",
    "CELERY_BROKER_URL": "redis://redis-broker:6379/0",
    "CACHE_URL": "redis://redis-cache:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "CORS_ALLOWED_ORIGINS": "https://ops.example.com",
}

INVALID_PRODUCTION_ENV = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "too-short",
    "DEBUG": "true",
    "ALLOWED_HOSTS": "*",
    "DATABASE_URL": "sqlite:////tmp/db.sqlite3",
    "CELERY_BROKER_URL": "filesystem://",
    "CACHE_URL": "locmemcache://",
    "FIELD_ENCRYPTION_KEYS": "not-a-fernet-key",
    "CORS_ALLOWED_ORIGINS": "*",
    "METRICS_TOKEN": "short",
}


def run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in VALID_PRODUCTION_ENV}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"ENV_FILE": "/nonexistent", "VAR_DIR": os.environ["VAR_DIR"], **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def problems(**overrides) -> list[str]:
    values = {
        "secret_key": VALID_PRODUCTION_ENV["SECRET_KEY"],
        "debug": False,
        "allowed_hosts": ["fleet.example.com"],
        "database_url": VALID_PRODUCTION_ENV["DATABASE_URL"],
        "broker_url": VALID_PRODUCTION_ENV["CELERY_BROKER_URL"],
        "cache_url": VALID_PRODUCTION_ENV["CACHE_URL"],
        "field_encryption_keys": [VALID_PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"]],
        "cors_allowed_origins": [],
    }
    values.update(overrides)
    return environment.production_problems(**values)


def test_valid_production_values_have_no_problem():
    assert problems() == []


def test_each_unsafe_value_is_reported():
    cases = {
        "secret_key": ("", "SECRET_KEY is missing"),
        "debug": (True, "DEBUG is on"),
        "allowed_hosts": ([], "ALLOWED_HOSTS is empty"),
        "database_url": ("", "DATABASE_URL is missing"),
        "broker_url": ("", "CELERY_BROKER_URL is missing"),
        "cache_url": ("", "CACHE_URL is missing"),
        "field_encryption_keys": ([], "FIELD_ENCRYPTION_KEYS is missing"),
        "cors_allowed_origins": (["https://a.example", "*"], "CORS_ALLOWED_ORIGINS contains '*'"),
    }
    for field, (value, expected) in cases.items():
        reported = problems(**{field: value})
        assert len(reported) == 1, (field, reported)
        assert expected in reported[0], (field, reported)


def test_secret_key_that_is_short_or_a_published_placeholder_is_refused():
    assert "at least 50" in problems(secret_key="x" * 49)[0]
    assert "placeholder" in problems(secret_key=environment.DEVELOPMENT_SECRET_KEY)[0]
    assert "placeholder" in problems(secret_key="django-insecure-" + "x" * 60)[0]


def test_allowed_hosts_wildcard_and_development_backends_are_refused():
    assert "'*'" in problems(allowed_hosts=["fleet.example.com", "*"])[0]
    assert "PostgreSQL" in problems(database_url="sqlite:///db.sqlite3")[0]
    assert "Redis" in problems(broker_url="filesystem://")[0]
    assert "own" in problems(cache_url=VALID_PRODUCTION_ENV["CELERY_BROKER_URL"])[0]


def test_malformed_duplicate_or_published_field_encryption_keys_are_refused():
    key = VALID_PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"]
    assert "key #2" in problems(field_encryption_keys=[key, "abc"])[0]
    assert "twice" in problems(field_encryption_keys=[key, key])[0]
    assert "development key" in problems(field_encryption_keys=[environment.DEVELOPMENT_FIELD_ENCRYPTION_KEY])[0]


def test_metrics_that_would_be_public_or_guessable_are_refused():
    def metrics_problems(token: str = "", networks: tuple[str, ...] = ()) -> list[str]:
        return environment.metrics_access_problems(token=token, allowed_networks=list(networks))

    # Unconfigured metrics are closed (403 to everyone), not open.
    assert metrics_problems() == []
    assert metrics_problems(token="t" * 32, networks=("0.0.0.0/0",)) == []
    assert metrics_problems(networks=("10.0.0.0/8", "2001:db8::/32")) == []
    assert "at least 32" in metrics_problems(token="t" * 31)[0]
    assert "would be public" in metrics_problems(networks=("10.0.0.0/8", "::/0"))[0]
    assert "'nope'" in metrics_problems(networks=("nope",))[0]


def test_production_start_fails_with_one_message_listing_every_problem():
    result = run_django(INVALID_PRODUCTION_ENV, "check")

    assert result.returncode != 0
    message = result.stderr
    assert "Refusing to start in production" in message
    for expected in (
        "SECRET_KEY is 9 characters long",
        "DEBUG is on",
        "ALLOWED_HOSTS contains '*'",
        "DATABASE_URL uses 'sqlite'",
        "CELERY_BROKER_URL uses 'filesystem'",
        "CACHE_URL uses 'locmemcache'",
        "FIELD_ENCRYPTION_KEYS key #1",
        "CORS_ALLOWED_ORIGINS contains '*'",
        "METRICS_TOKEN is 5 characters long",
    ):
        assert expected in message, expected
    assert message.count("Refusing to start") == 1


def test_production_start_fails_when_required_values_are_missing():
    result = run_django({"ENVIRONMENT": "production"}, "check")

    assert result.returncode != 0
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "FIELD_ENCRYPTION_KEYS"):
        assert f"{name} is" in result.stderr, name


def test_check_deploy_is_clean_with_a_valid_production_environment():
    result = run_django(VALID_PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_unknown_environment_name_is_refused():
    result = run_django({"ENVIRONMENT": "staging"}, "check")

    assert result.returncode != 0
    assert "ENVIRONMENT is 'staging'" in result.stderr


def broker_settings(broker_url: str, **extra: str) -> list[str]:
    code = (
        "import ssl; from tasks import app; tls = app.conf.broker_use_ssl or {}; "
        "print(app.conf.broker_transport, tls.get('ssl_cert_reqs') == ssl.CERT_REQUIRED, tls.get('ssl_ca_certs'))"
    )
    env = {**VALID_PRODUCTION_ENV, "CELERY_BROKER_URL": broker_url, **extra}
    result = run_django(env, "shell", "--verbosity", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_redis_broker_is_used_through_the_platform_transport():
    assert broker_settings("redis://redis-broker:6379/0") == ["tasks.broker:Transport", "False", "None"]


def test_a_tls_broker_has_its_certificate_checked():
    assert broker_settings("rediss://redis-broker:6380/0") == ["tasks.broker:Transport", "True", "None"]
    ca = "/etc/fleet/broker-ca.pem"
    assert broker_settings("rediss://redis-broker:6380/0", CELERY_BROKER_CA_FILE=ca) == [
        "tasks.broker:Transport",
        "True",
        ca,
    ]
