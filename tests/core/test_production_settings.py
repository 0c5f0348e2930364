"""Production refuses to start with unsafe values, reporting every problem at once."""

import base64
import os
import secrets
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


def test_weak_secret_and_encryption_keys_are_refused():
    assert "distinct characters" in problems(secret_key="a" * 64)[0]
    all_zero = base64.urlsafe_b64encode(bytes(32)).decode()
    assert "not random" in problems(field_encryption_keys=[all_zero])[0]
    # Generated keys pass, hex ones included.
    assert problems(secret_key=secrets.token_hex(32)) == []
    assert problems(secret_key=secrets.token_urlsafe(50)) == []


def test_the_cache_on_the_brokers_redis_database_is_refused_however_it_is_spelled():
    for broker, cache in (
        ("redis://localhost:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379", "redis://localhost/0"),
        ("redis://[::1]:6379/2", "redis://localhost:6379/2"),
        ("redis://redis:6379/1", "redis://REDIS:6379/?db=1"),
    ):
        reported = problems(broker_url=broker, cache_url=cache)
        assert reported == ["CACHE_URL is the broker's Redis database: give the cache its own (it evicts)"], (
            broker,
            cache,
        )
    assert problems(broker_url="redis://localhost:6379/0", cache_url="redis://127.0.0.1:6379/1") == []


def test_allowed_hosts_of_a_whole_top_level_domain_are_refused():
    assert "whole top-level domain" in problems(allowed_hosts=[".com"])[0]
    assert problems(allowed_hosts=[".example.com"]) == []


def test_cors_origins_that_are_null_or_plain_http_are_refused():
    assert "'null'" in problems(cors_allowed_origins=["null"])[0]
    assert "not an https origin" in problems(cors_allowed_origins=["http://ops.example.com"])[0]
    assert problems(cors_allowed_origins=["https://ops.example.com"]) == []


def limits_problems(rates: dict[str, str] | None = None, **bounded: int) -> list[str]:
    defaults = {"user": "1200/min", "anon": "60/min", "login": "10/min", "auth_failure": "30/min"}
    values = {
        "API_TOKEN_MAX_TTL_DAYS": 365,
        "API_TOKEN_DEFAULT_TTL_DAYS": 90,
        "API_LOGIN_TOKEN_TTL_HOURS": 10,
        "API_LOGIN_TOKENS_PER_USER": 10,
        "API_MAX_JSON_DEPTH": 32,
    }
    return environment.api_limits_problems(throttle_rates={**defaults, **(rates or {})}, bounded={**values, **bounded})


def test_absurd_throttle_rates_and_token_lifetimes_are_refused():
    assert limits_problems() == []
    assert "would not limit" in limits_problems({"login": "100000/min"})[0]
    assert "would not limit" in limits_problems({"anon": "1000000/hour"})[0]
    assert "not a rate" in limits_problems({"user": "lots"})[0]
    assert "refuse every request" in limits_problems({"auth_failure": "0/min"})[0]
    assert "production accepts 1 to 730" in limits_problems(API_TOKEN_MAX_TTL_DAYS=100000)[0]
    assert "API_LOGIN_TOKEN_TTL_HOURS is 0" in limits_problems(API_LOGIN_TOKEN_TTL_HOURS=0)[0]
    assert "API_LOGIN_TOKENS_PER_USER is 5000" in limits_problems(API_LOGIN_TOKENS_PER_USER=5000)[0]
    assert "API_MAX_JSON_DEPTH is 100000" in limits_problems(API_MAX_JSON_DEPTH=100000)[0]
    assert "above API_TOKEN_MAX_TTL_DAYS" in limits_problems(API_TOKEN_DEFAULT_TTL_DAYS=400)[0]


def test_production_start_lists_weak_values_with_the_other_problems():
    weak = {
        **VALID_PRODUCTION_ENV,
        "SECRET_KEY": "x" * 60,
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(bytes(32)).decode(),
        "CELERY_BROKER_URL": "redis://localhost:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": ".com",
        "CORS_ALLOWED_ORIGINS": "null,http://ops.example.com",
        "LOGIN_THROTTLE_RATE": "100000/min",
        "API_TOKEN_MAX_TTL_DAYS": "100000",
    }
    result = run_django(weak, "check")

    assert result.returncode != 0
    for expected in (
        "SECRET_KEY uses only 1 distinct characters",
        "FIELD_ENCRYPTION_KEYS key #1 is not random",
        "CACHE_URL is the broker's Redis database",
        "ALLOWED_HOSTS entry '.com'",
        "CORS_ALLOWED_ORIGINS contains 'null'",
        "'http://ops.example.com' is not an https origin",
        "the 'login' throttle rate '100000/min'",
        "API_TOKEN_MAX_TTL_DAYS is 100000",
    ):
        assert expected in result.stderr, expected
