"""Fixtures for the sandbox GitHub's own contract: plain HTTP requests to it through live_server."""

from __future__ import annotations

import pytest
import requests

from tests.fakes.sandbox_github import sandbox_github_configure, sandbox_github_url

ORG = "contract-org"
TOKEN = "contract-tests-github-token"
APP_ID = 31337
TIMEOUT = 10


class GitHubApi:
    """A bare HTTP client of the sandbox GitHub: paths under the API root, a token header."""

    def __init__(self, base_url: str, authorization: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if authorization:
            self.session.headers["Authorization"] = authorization

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.url(path), timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.url(path), timeout=TIMEOUT, **kwargs)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path


@pytest.fixture
def github_settings(settings):
    return sandbox_github_configure(settings, organization=ORG, token=TOKEN, app_id=APP_ID)


@pytest.fixture
def github_url(live_server, github_settings) -> str:
    return sandbox_github_url(live_server)


@pytest.fixture
def gh(github_url) -> GitHubApi:
    return GitHubApi(github_url, f"token {TOKEN}")


@pytest.fixture
def anonymous_gh(github_url) -> GitHubApi:
    return GitHubApi(github_url, None)
