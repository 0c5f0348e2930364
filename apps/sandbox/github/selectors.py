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

from apps.core.exceptions import NotFoundError, PlatformError
from apps.sandbox.github import catalog
from apps.sandbox.github.services import RateState
from apps.sandbox.models import SandboxGitHubRequestCount, SandboxRepoFile, SandboxRepository

# GitHub leaves files over 1 MB out of the contents JSON: content "" and encoding "none".
CONTENTS_API_MAX_BYTES = 1024 * 1024
BASE64_LINE = 60  # GitHub wraps base64 content in lines of 60 characters
README = re.compile(r"^readme(\.[a-z0-9]+)?$", re.IGNORECASE)
README_PREFERENCE = ("README.md", "README.markdown", "README.rst", "README.txt", "README")
MAX_REPO_ID = 2**63 - 1


class CommitNotFoundError(PlatformError):
    """GitHub's answer to `GET .../commits/{ref}` for a ref that names no commit: 422."""

    status_code = 422


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


def _names_head(repo: SandboxRepository, ref: str) -> bool:
    if ref in (repo.default_branch, f"refs/heads/{repo.default_branch}", f"heads/{repo.default_branch}"):
        return True
    return len(ref) >= 7 and repo.head_sha.startswith(ref.lower())


def _tree_shas(repo: SandboxRepository) -> dict[str, str]:
    return catalog.tree_shas(dict(SandboxRepoFile.objects.filter(repository=repo).values_list("path", "sha")))


def sandbox_github_commit(repo: SandboxRepository, ref: str, *, api_root: str, web_root: str) -> dict[str, Any]:
    """GET /repos/{o}/{r}/commits/{ref}: the one commit, named by the default branch or its SHA
    (7+ digits); anything else is GitHub's 422 "No commit found for SHA: <ref>"."""
    if not _names_head(repo, ref):
        raise CommitNotFoundError(f"No commit found for SHA: {ref}")
    api = f"{api_root}repos/{repo.organization}/{repo.name}"
    tree = _tree_shas(repo)[""]
    signature = {"name": "Sandbox", "email": "sandbox@example.com", "date": _iso(repo.pushed_at)}
    return {
        "sha": repo.head_sha,
        "node_id": _node_id("C_", int(repo.head_sha[:12], 16)),
        "commit": {
            "author": signature,
            "committer": signature,
            "message": "Sandbox commit",
            "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
            "url": f"{api}/git/commits/{repo.head_sha}",
            "comment_count": 0,
        },
        "url": f"{api}/commits/{repo.head_sha}",
        "html_url": f"{web_root}{repo.organization}/{repo.name}/commit/{repo.head_sha}",
        "parents": [],
        "files": [],
    }


def sandbox_github_tree(repo: SandboxRepository, sha: str, *, recursive: bool, api_root: str) -> dict[str, Any]:
    """GET /repos/{o}/{r}/git/trees/{sha}[?recursive=1]: the tree of the head commit (its SHA or the
    default branch name), or of any directory (its tree SHA), with git's real tree ids. Entries are
    in path order, directories as "tree" entries (no size); `truncated` is always false."""
    trees = _tree_shas(repo)
    if _names_head(repo, sha):
        root = ""
    else:
        root = next((path for path, tree_sha in trees.items() if tree_sha == sha.lower()), None)
        if root is None:
            raise NotFoundError("Not Found")
    api = f"{api_root}repos/{repo.organization}/{repo.name}"
    prefix = f"{root}/" if root else ""
    entries = []
    for path, tree_sha in trees.items():
        if path.startswith(prefix) and path != root:
            entries.append(
                {"path": path[len(prefix) :], "mode": catalog.TREE_MODE, "type": "tree", "sha": tree_sha}
                | {"url": f"{api}/git/trees/{tree_sha}"}
            )
    rows = SandboxRepoFile.objects.filter(repository=repo, path__startswith=prefix).values_list("path", "sha", "size")
    for path, blob_sha, size in rows:
        entries.append(
            {"path": path[len(prefix) :], "mode": catalog.FILE_MODE, "type": "blob", "sha": blob_sha, "size": size}
            | {"url": f"{api}/git/blobs/{blob_sha}"}
        )
    if not recursive:
        entries = [entry for entry in entries if "/" not in entry["path"]]
    return {
        "sha": trees[root],
        "url": f"{api}/git/trees/{trees[root]}",
        "tree": sorted(entries, key=lambda entry: entry["path"]),
        "truncated": False,
    }


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
    files, directories, below = [], set(), {}
    for file_path, size, sha in rows:
        rest = file_path[len(prefix) :]
        below[rest] = sha
        head, slash, _ = rest.partition("/")
        if slash:
            directories.add(head)
        else:
            files.append((file_path, size, sha))
    if not files and not directories:
        raise NotFoundError("Not Found")
    trees = catalog.tree_shas(below)  # a directory's id depends only on what is below it
    entries = [_entry(repo, "file", p, size, sha, api_root=api_root, web_root=web_root) for p, size, sha in files] + [
        _entry(repo, "dir", prefix + name, 0, trees[name], api_root=api_root, web_root=web_root)
        for name in sorted(directories)
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
