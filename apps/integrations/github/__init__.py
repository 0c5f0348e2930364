"""The GitHub client (REST v3 through PyGithub): the only code that talks to GitHub.

    with GitHubClient(base_url="https://api.github.com", organization="acme", token=...) as client:
        for page in client.repository_pages():
            for repo in page:
                sha = client.head_commit(repo.full_name, repo.default_branch)
                readme = client.readme(repo.full_name, sha, max_bytes=200_000)
                docs = client.docs_files(repo.full_name, sha, max_bytes=200_000, max_files=50)

Every failure is a `GitHubError`; its `retryable` says whether trying again soon can help, and a
`GitHubRateLimitedError` says when (`reset_at`): the client never sleeps on a rate limit.
"""

from .client import GitHubClient
from .errors import (
    GitHubAuthenticationError,
    GitHubError,
    GitHubInvalidResponseError,
    GitHubNotFoundError,
    GitHubRateLimitedError,
    GitHubUnavailableError,
)
from .models import DocFile, RateBudget, Repository

__all__ = [
    "DocFile",
    "GitHubAuthenticationError",
    "GitHubClient",
    "GitHubError",
    "GitHubInvalidResponseError",
    "GitHubNotFoundError",
    "GitHubRateLimitedError",
    "GitHubUnavailableError",
    "RateBudget",
    "Repository",
]
