"""Authentication, errors, retries and rate limits of the GitHub client, against the sandbox over HTTP."""

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from apps.integrations.github import (
    GitHubAuthenticationError,
    GitHubClient,
    GitHubInvalidResponseError,
    GitHubNotFoundError,
    GitHubRateLimitedError,
    GitHubUnavailableError,
)
from apps.sandbox.github import services
from apps.sandbox.github.selectors import sandbox_github_request_count
from tests.integrations.github.conftest import APP_ID, INSTALLATION_ID, ORG

pytestmark = pytest.mark.django_db(transaction=True)

REPOS = f"/orgs/{ORG}/repos"
BAD_TOKEN = "ghp_thisIsNotTheSandboxToken1234"


def first_page(client):
    return next(client.repository_pages())


def test_a_token_is_accepted(client):
    assert len(first_page(client)) == 12


def test_a_github_app_installation_fetches_one_token_and_reuses_it(make_client, app_private_key):
    client = make_client(app_id=APP_ID, app_private_key=app_private_key, installation_id=INSTALLATION_ID)

    assert len(first_page(client)) == 12
    assert client.organization_summary()["login"] == ORG
    assert sandbox_github_request_count(f"/app/installations/{INSTALLATION_ID}/access_tokens", method="POST") == 1


def test_an_app_the_sandbox_does_not_know_is_refused(make_client, app_private_key):
    client = make_client(app_id=APP_ID + 1, app_private_key=app_private_key, installation_id=INSTALLATION_ID)

    with pytest.raises(GitHubAuthenticationError):
        first_page(client)


def test_a_bad_token_raises_an_authentication_error_that_does_not_show_the_token(make_client):
    client = make_client(token=BAD_TOKEN)

    with capture_logs() as logs, pytest.raises(GitHubAuthenticationError) as caught:
        client.rate_budget()

    error = caught.value
    assert (error.status, error.retryable) == (401, False)
    assert "Bad credentials" in str(error)
    assert BAD_TOKEN not in f"{error} {error!r} {error.args}"
    assert BAD_TOKEN not in repr(logs)


def test_an_unusable_private_key_is_refused_when_the_client_is_built(github_url):
    key = "-----BEGIN RSA PRIVATE KEY-----\nnot really a key\n-----END RSA PRIVATE KEY-----"

    with pytest.raises(ValueError, match="not a usable RSA private key") as caught:
        GitHubClient(base_url=github_url, organization=ORG, app_id=1, app_private_key=key, installation_id=2)

    assert "not really a key" not in str(caught.value)


def test_a_token_and_app_credentials_together_are_refused(github_url, app_private_key):
    with pytest.raises(ValueError, match="either a token"):
        GitHubClient(
            base_url=github_url,
            organization=ORG,
            token="x",
            app_id=1,
            app_private_key=app_private_key,
            installation_id=2,
        )


def test_a_500_followed_by_success_is_retried_transparently(client):
    services.sandbox_github_fault_add(path=REPOS, status=500, times=1)

    assert len(first_page(client)) == 12
    assert sandbox_github_request_count(REPOS) == 2


def test_a_500_that_persists_raises_unavailable_after_the_configured_attempts(make_client):
    services.sandbox_github_fault_add(path=REPOS, status=500, times=None)

    with pytest.raises(GitHubUnavailableError) as caught:
        first_page(make_client(retry_attempts=4))

    assert (caught.value.status, caught.value.retryable) == (500, True)
    assert sandbox_github_request_count(REPOS) == 4


def test_a_rate_limited_answer_raises_at_once_with_its_reset_time(client):
    reset = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    services.sandbox_github_fault_rate_limited(path=REPOS, reset_at=reset)

    started = time.monotonic()
    with pytest.raises(GitHubRateLimitedError) as caught:
        first_page(client)
    elapsed = time.monotonic() - started

    assert elapsed < 0.5  # no sleeping until the reset, no retry
    assert caught.value.reset_at == reset
    assert caught.value.retryable is False
    assert sandbox_github_request_count(REPOS) == 1


def test_a_secondary_rate_limit_takes_its_reset_time_from_retry_after(client):
    services.sandbox_github_fault_rate_limited(
        path=REPOS, reset_at=datetime.now(UTC) + timedelta(seconds=120), secondary=True
    )

    started = time.monotonic()
    with pytest.raises(GitHubRateLimitedError) as caught:
        first_page(client)

    assert time.monotonic() - started < 0.5
    wait = (caught.value.reset_at - datetime.now(UTC)).total_seconds()
    assert 100 < wait <= 121


def test_a_secondary_rate_limit_without_retry_after_waits_a_minute_not_until_the_hourly_reset(client):
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    services.sandbox_github_fault_add(path=REPOS, status=403, body={"message": message})

    with pytest.raises(GitHubRateLimitedError) as caught:
        first_page(client)

    wait = (caught.value.reset_at - datetime.now(UTC)).total_seconds()
    assert 55 < wait <= 60


def test_a_403_that_is_not_a_rate_limit_is_an_authentication_error(client):
    services.sandbox_github_fault_add(
        path=REPOS, status=403, body={"message": "Resource not accessible by integration"}
    )

    with pytest.raises(GitHubAuthenticationError, match="Resource not accessible"):
        first_page(client)


def test_a_429_is_a_rate_limit_too(client):
    services.sandbox_github_fault_add(path=REPOS, status=429, headers={"Retry-After": "30"})

    with pytest.raises(GitHubRateLimitedError) as caught:
        first_page(client)

    assert caught.value.status == 429


def test_a_spent_budget_raises_rate_limited_until_the_next_hour(make_client, github_settings):
    github_settings.SANDBOX_GITHUB_RATE_LIMIT = 2
    client = make_client()
    client.organization_summary()
    client.organization_summary()

    with pytest.raises(GitHubRateLimitedError) as caught:
        client.organization_summary()

    now = datetime.now(UTC)
    assert now < caught.value.reset_at <= now + timedelta(hours=1)
    assert caught.value.reset_at.minute == caught.value.reset_at.second == 0


def test_rate_budget_reports_what_is_left_and_costs_nothing(client, github_settings):
    client.organization_summary()
    client.organization_summary()

    budget = client.rate_budget()
    again = client.rate_budget()

    assert (budget.limit, budget.remaining) == (5000, 4998)
    assert again == budget
    assert budget.reset_at > datetime.now(UTC)
    assert client.last_rate_budget() == budget


def test_an_unreachable_server_raises_unavailable(github_settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GitHubClient(
        base_url=f"http://127.0.0.1:{port}/api/v3",
        organization=ORG,
        token="whatever",
        retry_attempts=2,
        retry_backoff_seconds=0.01,
        timeout=2,
    )

    with pytest.raises(GitHubUnavailableError) as caught:
        client.rate_budget()

    assert caught.value.retryable is True
    assert "whatever" not in str(caught.value)


def test_an_unknown_repository_or_branch_raises_not_found(client):
    with pytest.raises(GitHubNotFoundError):
        client.head_commit(f"{ORG}/no-such-repository", "main")
    with pytest.raises(GitHubNotFoundError):
        client.head_commit(f"{ORG}/billing-engine", "no-such-branch")


def test_a_body_of_the_wrong_shape_raises_invalid_response(client):
    services.sandbox_github_fault_add(path=REPOS, status=200, body=[{"id": "not a number"}])

    with pytest.raises(GitHubInvalidResponseError, match="'id' must be an integer"):
        first_page(client)
