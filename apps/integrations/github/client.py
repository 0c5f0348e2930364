"""The GitHub client: the only code that talks to GitHub (github.com or GitHub Enterprise Server).

Plain values in, dataclasses out (see models.py); every failure is one of the exceptions of
errors.py. The HTTP side (PyGithub, credentials, the logged and translated requests, paging
links) is the base class, `GitHubTransport`, in transport.py; reading documentation files out
of contents and blob answers is in documents.py, commits and trees in trees.py. The client
parses GitHub's JSON itself, so no lazy PyGithub object can cost a hidden request per
repository, and `ContentFile.decoded_content`'s base64-only assertion (files over 1 MB come
with encoding "none") never applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from apps.integrations.common.closing import ClosingContext

from . import documents, models, trees
from .errors import GitHubError, GitHubNotFoundError, GitHubTreeTruncatedError
from .models import DocFile, RateBudget, Repository, TreeEntry
from .transport import NAME, GitHubTransport, path_of


class GitHubClient(GitHubTransport, ClosingContext):
    """A client for one organization, with a token or as a GitHub App installation.

    Timeout, retry attempts, page size and the pause between requests default to the GITHUB_*
    settings, read when the client is built; keyword arguments override them. Use it as a
    context manager, or call close(). One client is meant for one thread.
    """

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, organization={self.organization!r})"

    # --- the API ------------------------------------------------------------------------------

    def rate_budget(self) -> RateBudget:
        """The core REST budget (`GET /rate_limit`, which costs none of it)."""
        return self._parse("GET", "/rate_limit", models.parse_rate_budget, self._get("/rate_limit")[1])

    def last_rate_budget(self) -> RateBudget | None:
        """The budget the last answer's X-RateLimit-* headers reported, without a request; None before any."""
        remaining, limit = self._requester.rate_limiting
        reset = self._requester.rate_limiting_resettime
        if remaining < 0 or limit < 0 or not reset:
            return None
        return RateBudget(remaining=remaining, limit=limit, reset_at=datetime.fromtimestamp(reset, UTC))

    def organization_summary(self) -> dict[str, Any]:
        """`GET /orgs/{org}`: {login, name, public_repos, private_repos (None unless a member asks),
        repo_count} — what "test connection" shows."""
        path = f"/orgs/{quote(self.organization, safe='')}"
        return self._parse("GET", path, models.parse_organization_summary, self._get(path)[1])

    def repository_pages(self) -> Iterator[list[Repository]]:
        """The organization's repositories (all types), one page of `per_page` at a time.

        Follows the Link header's rel="next"; each page is one request, parsed from the listing
        alone. An empty organization yields nothing; an unknown one raises GitHubNotFoundError
        (from the first next()).
        """
        url: str | None = f"/orgs/{quote(self.organization, safe='')}/repos"
        params: dict[str, Any] | None = {"type": "all", "per_page": self.per_page}
        seen: set[str] = set()
        while url is not None:
            seen.add(url)
            headers, body = self._get(url, params)
            page = self._parse("GET", path_of(url), models.parse_repository_page, body)
            url, params = self._next_link(headers, url, seen), None
            if page:
                yield page

    def head_commit(self, full_name: str, branch: str) -> str:
        """The SHA of the branch's head commit (`GET /repos/{owner}/{repo}/branches/{branch}`)."""
        if not isinstance(branch, str) or not branch.strip():
            raise ValueError("branch must be a non-empty string")
        path = f"{_repo_path(full_name)}/branches/{quote(branch, safe='/')}"
        return self._parse("GET", path, models.parse_head_sha, self._get(path)[1])

    def commit_sha(self, full_name: str, ref: str) -> str:
        """The 40-digit SHA (lower case) of the commit `ref` names: a branch, a tag or a commit SHA
        (7+ digits), via `GET /repos/{owner}/{repo}/commits/{ref}`.

        No such ref raises GitHubNotFoundError: GitHub answers 422 "No commit found for SHA: ..."
        for an unknown ref, 404 for an unknown repository, and 409 for an empty one.
        """
        if not isinstance(ref, str) or not ref.strip():
            raise ValueError("ref must be a branch, tag or commit SHA")
        path = f"{_repo_path(full_name)}/commits/{quote(ref.strip(), safe='/')}"
        try:
            _, body = self._get(path)
        except GitHubError as error:
            if type(error) is GitHubError and error.status in (409, 422):
                raise GitHubNotFoundError(error.message, method="GET", path=path, status=error.status) from None
            raise
        return self._parse("GET", path, trees.commit_sha, body)

    def tree(self, full_name: str, sha: str) -> list[TreeEntry]:
        """Every entry of the tree of commit (or tree) `sha`, recursively, in path order: one request,
        `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1`.

        Directories come as entries of type "tree", files as "blob" (with their size), submodules as
        "commit". An unknown SHA raises GitHubNotFoundError. When GitHub truncates the listing (over
        100,000 entries or 7 MB) this raises GitHubTreeTruncatedError rather than return part of it.
        """
        if not isinstance(sha, str) or not sha.strip():
            raise ValueError("sha must be a commit or tree SHA")
        path = f"{_repo_path(full_name)}/git/trees/{quote(sha.strip(), safe='')}"
        entries, truncated = self._parse("GET", path, trees.tree_listing, self._get(path, {"recursive": "1"})[1])
        if truncated:
            raise GitHubTreeTruncatedError(
                f"GitHub truncated the tree of {full_name} at {sha[:12]} ({len(entries)} entries listed): "
                "the repository is too large to be read in one listing",
                method="GET",
                path=path,
                status=200,
            )
        return entries

    def blob(self, full_name: str, sha: str) -> bytes:
        """The bytes of blob `sha` (`GET /repos/{owner}/{repo}/git/blobs/{sha}`), any size up to GitHub's 100 MB."""
        if not isinstance(sha, str) or not trees.is_sha(sha):
            raise ValueError("sha must be a 40-digit hex blob SHA")
        return self._blob(full_name, sha)

    def readme(self, full_name: str, ref: str | None, *, max_bytes: int) -> DocFile | None:
        """The repository's README at `ref` (None: the default branch); None when it has none.

        One request; a README over 1 MB (encoding "none") takes a second one, for its blob.
        A README larger than max_bytes comes back with skipped='too_large'.
        """
        _check_positive(max_bytes, "max_bytes")
        path = f"{_repo_path(full_name)}/readme"
        try:
            _, body = self._get(path, _ref_params(ref))
        except GitHubNotFoundError:
            return None
        entry = self._parse("GET", path, documents.file_entry, body)
        if entry["size"] > max_bytes:
            return documents.too_large(entry["path"], entry["size"], entry["sha"])
        if entry["encoding"] == "base64" and (entry["content"] or entry["size"] == 0):
            data = self._parse("GET", path, documents.decode_base64, entry["content"])
        else:  # GitHub leaves files over 1 MB out of the JSON (encoding "none"): fetch the blob
            data = self._blob(full_name, entry["sha"])
        return documents.doc_file(entry["path"], entry["size"], data, max_bytes, entry["sha"])

    def docs_files(
        self,
        full_name: str,
        ref: str | None,
        *,
        directory: str = "docs",
        max_bytes: int,
        max_files: int,
        known_shas: Mapping[str, str] | None = None,
    ) -> list[DocFile]:
        """Every *.md / *.markdown under `directory` at `ref`, recursively, at most `max_files`.

        One request per directory listed (shallower directories first, entries in path order)
        and one per file read, by its blob SHA. A file larger than max_bytes is not downloaded:
        its size comes from the listing and it is returned with skipped='too_large'. A file whose
        path and blob SHA are in `known_shas` is not downloaded either: it comes back with
        unchanged=True. No such directory (or an empty repository) gives [].
        """
        _check_positive(max_bytes, "max_bytes")
        _check_positive(max_files, "max_files")
        repo_path = _repo_path(full_name)
        pending = [directory.strip("/")]
        listed = 0
        files: list[DocFile] = []
        while pending and len(files) < max_files and listed < documents.MAX_DOCS_DIRECTORIES:
            current = pending.pop(0)
            listed += 1
            path = f"{repo_path}/contents/{quote(current, safe='/')}"
            try:
                _, body = self._get(path, _ref_params(ref))
            except GitHubNotFoundError:
                continue
            if not isinstance(body, list):  # a file, not a directory
                continue
            entries = self._parse("GET", path, documents.directory_entries, body)
            for entry in entries:
                if entry["type"] == "dir":
                    pending.append(entry["path"])
                elif entry["type"] == "file" and entry["path"].lower().endswith(documents.MARKDOWN_SUFFIXES):
                    if len(files) >= max_files:
                        break
                    files.append(self._doc_from_listing(full_name, entry, max_bytes, known_shas or {}))
        return files

    # --- plumbing -----------------------------------------------------------------------------

    def _doc_from_listing(
        self, full_name: str, entry: Mapping[str, Any], max_bytes: int, known_shas: Mapping[str, str]
    ) -> DocFile:
        if known_shas.get(entry["path"]) == entry["sha"]:
            return documents.unchanged(entry["path"], entry["size"], entry["sha"])
        if entry["size"] > max_bytes:
            return documents.too_large(entry["path"], entry["size"], entry["sha"])
        data = self._blob(full_name, entry["sha"])
        return documents.doc_file(entry["path"], entry["size"], data, max_bytes, entry["sha"])

    def _blob(self, full_name: str, sha: str) -> bytes:
        path = f"{_repo_path(full_name)}/git/blobs/{quote(sha, safe='')}"
        return self._parse("GET", path, documents.blob_bytes, self._get(path)[1])


# --- helpers ----------------------------------------------------------------------------------


def _repo_path(full_name: str) -> str:
    owner, separator, name = (full_name or "").partition("/")
    if not separator or not NAME.match(owner) or not NAME.match(name):
        raise ValueError("full_name must be 'owner/repository'")
    return f"/repos/{owner}/{name}"


def _ref_params(ref: str | None) -> dict[str, str] | None:
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError("ref must be a branch, tag or commit SHA, or None")
    return {"ref": ref}


def _check_positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer")
