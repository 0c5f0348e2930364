"""Reads of the sandbox GitHub, shaped as GitHub's REST API (v3) answers them.

Only the fields GitHub documents and PyGithub reads for the calls the platform makes; times are
ISO 8601 with "Z", URLs are absolute under the API root the request came to.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from apps.core.exceptions import NotFoundError
from apps.sandbox.github import catalog
from apps.sandbox.github.services import RateState
from apps.sandbox.models import SandboxGitHubRequestCount, SandboxRepoFile, SandboxRepository

# GitHub leaves files over 1 MB out of the contents JSON: content "" and encoding "none".
CONTENTS_API_MAX_BYTES = 1024 * 1024
BASE64_LINE = 60  # GitHub wraps base64 content in lines of 60 characters
README = re.compile(r"^readme(\.[a-z0-9]+)?$", re.IGNORECASE)
README_PREFERENCE = ("README.md", "README.markdown", "README.rst", "README.txt", "README")
MAX_REPO_ID = 2**63 - 1


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}{number}".encode()).decode()


# --- Organizations and repositories -----------------------------------------------------------
def sandbox_github_org_login(org: str) -> str:
    """The organization's login as stored; NotFoundError for an organization the sandbox does not have."""
    configured = settings.SANDBOX_GITHUB_ORGANIZATION
    if org.lower() == configured.lower():
        return configured
    stored = SandboxRepository.objects.filter(organization__iexact=org).values_list("organization", flat=True).first()
    if stored is None:
        raise NotFoundError("Not Found")
    return stored


def _live_repos(org: str):
    return SandboxRepository.objects.filter(organization=org, removed_at__isnull=True)


def sandbox_github_org_as_dict(org: str, *, api_root: str, web_root: str) -> dict[str, Any]:
    repos = _live_repos(org)
    public = repos.filter(visibility=SandboxRepository.Visibility.PUBLIC).count()
    private = repos.exclude(visibility=SandboxRepository.Visibility.PUBLIC).count()
    org_id = catalog.organization_id(org)
    return {
        "login": org,
        "id": org_id,
        "node_id": _node_id("O_", org_id),
        "url": f"{api_root}orgs/{org}",
        "repos_url": f"{api_root}orgs/{org}/repos",
        "html_url": f"{web_root}{org}",
        "name": f"{org} (sandbox)",
        "description": "An organization of the platform's sandbox GitHub.",
        "type": "Organization",
        "public_repos": public,
        "total_private_repos": private,
        "owned_private_repos": private,
        "created_at": _iso(catalog.FIRST_CREATED),
        "updated_at": _iso(catalog.FIRST_CREATED),
    }


def sandbox_github_repo_page(org: str, *, page: int, per_page: int) -> tuple[list[SandboxRepository], int]:
    """One page of the organization's live repositories in creation (id) order, and their total."""
    repos = _live_repos(org).order_by("github_id")
    start = (page - 1) * per_page
    return list(repos[start : start + per_page]), repos.count()


def sandbox_github_repo_find(
    *, owner: str | None = None, name: str | None = None, github_id: int | None = None
) -> tuple[SandboxRepository, bool]:
    """The live repository by owner/name or id, and whether it was found under a former name
    (the caller then redirects). NotFoundError when there is none."""
    if github_id is not None:
        repo = None
        if 0 < github_id <= MAX_REPO_ID:
            repo = SandboxRepository.objects.filter(github_id=github_id, removed_at__isnull=True).first()
        if repo is None:
            raise NotFoundError("Not Found")
        return repo, False
    if owner is None or name is None:
        raise ValueError("pass owner and name, or github_id")
    repos = SandboxRepository.objects.filter(organization__iexact=owner, removed_at__isnull=True)
    repo = repos.filter(name__iexact=name).first()
    if repo is not None:
        return repo, False
    lowered = name.lower()
    for pk, former in repos.exclude(former_names=[]).values_list("pk", "former_names"):
        if any(str(old).lower() == lowered for old in former or []):
            return repos.get(pk=pk), True
    raise NotFoundError("Not Found")


def sandbox_github_repo_as_dict(repo: SandboxRepository, *, api_root: str, web_root: str) -> dict[str, Any]:
    org_id = catalog.organization_id(repo.organization)
    api = f"{api_root}repos/{repo.organization}/{repo.name}"
    return {
        "id": repo.github_id,
        "node_id": _node_id("R_", repo.github_id),
        "name": repo.name,
        "full_name": f"{repo.organization}/{repo.name}",
        "private": repo.visibility != SandboxRepository.Visibility.PUBLIC,
        "owner": {
            "login": repo.organization,
            "id": org_id,
            "node_id": _node_id("O_", org_id),
            "type": "Organization",
            "url": f"{api_root}users/{repo.organization}",
            "html_url": f"{web_root}{repo.organization}",
        },
        "html_url": f"{web_root}{repo.organization}/{repo.name}",
        "description": repo.description or None,
        "fork": repo.fork,
        "url": api,
        "branches_url": f"{api}/branches{{/branch}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "created_at": _iso(repo.created_at),
        "updated_at": _iso(repo.pushed_at or repo.created_at),
        "pushed_at": _iso(repo.pushed_at),
        "default_branch": repo.default_branch,
        "visibility": repo.visibility,
        "topics": list(repo.topics),
        "archived": repo.archived,
        "disabled": False,
        "is_template": False,
        "has_issues": True,
        "language": "Python",
        "size": 0,
    }


# --- Branches, contents, blobs ----------------------------------------------------------------
def sandbox_github_check_ref(repo: SandboxRepository, ref: str | None) -> None:
    """The sandbox keeps one commit per repository: `ref` must name it (branch or SHA, 7+ digits)."""
    if not ref or ref == repo.default_branch or ref == f"refs/heads/{repo.default_branch}":
        return
    if len(ref) >= 7 and repo.head_sha.startswith(ref.lower()):
        return
    raise NotFoundError(f"No commit found for the ref {ref}")


def sandbox_github_branch_as_dict(repo: SandboxRepository, branch: str, *, api_root: str) -> dict[str, Any]:
    if branch != repo.default_branch:
        raise NotFoundError("Branch not found")
    api = f"{api_root}repos/{repo.organization}/{repo.name}"
    return {
        "name": branch,
        "commit": {
            "sha": repo.head_sha,
            "node_id": _node_id("C_", int(repo.head_sha[:12], 16)),
            "url": f"{api}/commits/{repo.head_sha}",
            "commit": {
                "message": "Sandbox commit",
                "author": {"name": "Sandbox", "email": "sandbox@example.com", "date": _iso(repo.pushed_at)},
            },
        },
        "_links": {"self": f"{api}/branches/{branch}", "html": f"{api}/tree/{branch}"},
        "protected": False,
    }


def _entry(repo: SandboxRepository, kind: str, path: str, size: int, sha: str, *, api_root: str, web_root: str):
    api = f"{api_root}repos/{repo.organization}/{repo.name}"
    url = f"{api}/contents/{path}?ref={repo.default_branch}"
    git_url = f"{api}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    html_url = (
        f"{web_root}{repo.organization}/{repo.name}/{'blob' if kind == 'file' else 'tree'}/{repo.default_branch}/{path}"
    )
    return {
        "type": kind,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": size,
        "url": url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": None,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def _file_as_dict(repo: SandboxRepository, file: SandboxRepoFile, *, api_root: str, web_root: str) -> dict[str, Any]:
    data = _entry(repo, "file", file.path, file.size, file.sha, api_root=api_root, web_root=web_root)
    if file.size > CONTENTS_API_MAX_BYTES:
        data.update(content="", encoding="none")
    else:
        encoded = base64.b64encode(bytes(file.content)).decode()
        lines = [encoded[i : i + BASE64_LINE] for i in range(0, len(encoded), BASE64_LINE)]
        data.update(content="\n".join(lines) + ("\n" if lines else ""), encoding="base64")
    return data


def sandbox_github_contents(
    repo: SandboxRepository, path: str, *, api_root: str, web_root: str
) -> dict[str, Any] | list[dict[str, Any]]:
    """GET /repos/{o}/{r}/contents/{path}: a file (with its content) or a directory's entries."""
    path = path.strip("/")
    file = SandboxRepoFile.objects.filter(repository=repo, path=path).first() if path else None
    if file is not None:
        return _file_as_dict(repo, file, api_root=api_root, web_root=web_root)
    prefix = f"{path}/" if path else ""
    rows = SandboxRepoFile.objects.filter(repository=repo, path__startswith=prefix).values_list("path", "size", "sha")
    files, directories = [], {}
    for file_path, size, sha in rows:
        rest = file_path[len(prefix) :]
        head, slash, _ = rest.partition("/")
        if slash:
            directories.setdefault(prefix + head, []).append(sha)
        else:
            files.append((file_path, size, sha))
    if not files and not directories:
        raise NotFoundError("Not Found")
    entries = [_entry(repo, "file", p, size, sha, api_root=api_root, web_root=web_root) for p, size, sha in files] + [
        _entry(repo, "dir", p, 0, catalog.commit_sha(*sorted(shas)), api_root=api_root, web_root=web_root)
        for p, shas in directories.items()
    ]
    return sorted(entries, key=lambda entry: entry["name"])


def sandbox_github_readme(repo: SandboxRepository, *, api_root: str, web_root: str) -> dict[str, Any]:
    names = [
        path
        for path in SandboxRepoFile.objects.filter(repository=repo).values_list("path", flat=True)
        if "/" not in path and README.match(path)
    ]
    if not names:
        raise NotFoundError("Not Found")
    rank = {name.lower(): index for index, name in enumerate(README_PREFERENCE)}
    chosen = min(names, key=lambda name: (rank.get(name.lower(), len(rank)), name))
    file = SandboxRepoFile.objects.get(repository=repo, path=chosen)
    return _file_as_dict(repo, file, api_root=api_root, web_root=web_root)


def sandbox_github_blob(repo: SandboxRepository, sha: str, *, api_root: str) -> dict[str, Any]:
    file = SandboxRepoFile.objects.filter(repository=repo, sha=sha.lower()).first()
    if file is None:
        raise NotFoundError("Not Found")
    return {
        "sha": file.sha,
        "node_id": _node_id("B_", int(file.sha[:12], 16)),
        "size": file.size,
        "url": f"{api_root}repos/{repo.organization}/{repo.name}/git/blobs/{file.sha}",
        "content": base64.b64encode(bytes(file.content)).decode(),
        "encoding": "base64",
    }


# --- Rate limit and request counts ------------------------------------------------------------
def sandbox_github_rate_limit_as_dict(state: RateState) -> dict[str, Any]:
    core = {"limit": state.limit, "used": state.used, "remaining": state.remaining, "reset": state.reset}
    search = {"limit": 30, "used": 0, "remaining": 30, "reset": state.reset}
    graphql = {"limit": state.limit, "used": 0, "remaining": state.limit, "reset": state.reset}
    return {
        "resources": {
            "core": {**core, "resource": "core"},
            "search": {**search, "resource": "search"},
            "graphql": {**graphql, "resource": "graphql"},
        },
        "rate": {**core, "resource": "core"},
    }


def sandbox_github_request_counts() -> dict[str, int]:
    """Requests received so far, keyed "METHOD /api/path" (the path under the API root, no query)."""
    return {
        f"{method} {path}": count
        for method, path, count in SandboxGitHubRequestCount.objects.values_list("method", "path", "count")
    }


def sandbox_github_request_count(path: str, *, method: str = "GET") -> int:
    return (
        SandboxGitHubRequestCount.objects.filter(method=method, path=path).values_list("count", flat=True).first() or 0
    )
