"""The sandbox GitHub as the tests configure it: one organization, its token and App, a dozen
repositories, served by live_server under /sandbox/github/api/v3."""

from __future__ import annotations

API_PATH = "/sandbox/github/api/v3"


def sandbox_github_configure(settings, *, organization: str, token: str, app_id: int):
    """Known values for the sandbox GitHub, whatever the environment says (pytest-django's
    `settings`, so they are undone after the test)."""
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_GITHUB_ORGANIZATION = organization
    settings.SANDBOX_GITHUB_REPO_COUNT = 12
    settings.SANDBOX_GITHUB_TOKEN = token
    settings.SANDBOX_GITHUB_RATE_LIMIT = 5000
    settings.SANDBOX_GITHUB_APP_ID = app_id
    return settings


def sandbox_github_url(live_server) -> str:
    return f"{live_server.url}{API_PATH}"
