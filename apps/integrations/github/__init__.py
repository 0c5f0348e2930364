"""The GitHub client (REST v3 through PyGithub): the only code that talks to GitHub.

    with GitHubClient(base_url="https://api.github.com", organization="acme", token=...) as client:
        for page in client.repository_pages():
            for repo in page:
                sha = client.head_commit(repo.full_name, repo.default_branch)
                readme = client.readme(repo.full_name, sha, max_bytes=200_000)
                docs = client.docs_files(repo.full_name, sha, max_bytes=200_000, max_files=50)
        commit = client.commit_sha("acme/app", "v1.2")        # a branch, tag or SHA -> 40-hex
        for entry in client.tree("acme/app", commit):         # TreeEntry(path, sha, size, type, mode)
            data = client.blob("acme/app", entry.sha) if entry.type == "blob" else None

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
    GitHubTreeTruncatedError,
    GitHubUnavailableError,
)
from .models import DocFile, RateBudget, Repository, TreeEntry

__all__ = [
    "DocFile",
    "GitHubAuthenticationError",
    "GitHubClient",
    "GitHubError",
    "GitHubInvalidResponseError",
    "GitHubNotFoundError",
    "GitHubRateLimitedError",
    "GitHubTreeTruncatedError",
    "GitHubUnavailableError",
    "RateBudget",
    "Repository",
    "TreeEntry",
]
