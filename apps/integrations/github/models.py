"""What the GitHub client returns: frozen dataclasses, parsed and checked from GitHub's JSON.

The parsers (built on apps.integrations.common.parsing) raise `ResponseShapeError` naming the
field that was wrong (never its value); the client turns it into `GitHubInvalidResponseError`
with the method and path added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from apps.integrations.common.parsing import (
    ResponseShapeError,
    expect_list,
    expect_object,
    optional_bool,
    optional_str,
    parse_datetime,
    required_int,
    required_str,
)

VISIBILITIES = frozenset({"public", "private", "internal"})
SkipReason = Literal["too_large", "binary", "not_utf8"]
TOO_LARGE: SkipReason = "too_large"
BINARY: SkipReason = "binary"
NOT_UTF8: SkipReason = "not_utf8"


@dataclass(frozen=True)
class Repository:
    """One repository of the organization, as the listing describes it. Key it by `id`: a
    renamed repository keeps its id and gets a new name."""

    id: int
    name: str
    full_name: str
    description: str
    default_branch: str
    visibility: str  # 'public' | 'private' | 'internal'
    topics: tuple[str, ...]
    fork: bool
    archived: bool
    pushed_at: datetime | None
    html_url: str


@dataclass(frozen=True)
class DocFile:
    """A documentation file: `text` when it was read, else None and `skipped` says why
    ('too_large': bigger than max_bytes, never downloaded; 'binary': it holds NUL bytes;
    'not_utf8': not valid UTF-8), or `unchanged` is True: its blob is one the caller already
    has (it was not downloaded). `size` is in bytes, as GitHub reports it; `sha` is the blob's."""

    path: str
    size: int
    text: str | None
    skipped: SkipReason | None
    sha: str = ""
    unchanged: bool = False


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a commit's tree, listed recursively (`GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`).

    `type` is "blob" (a file), "tree" (a directory) or "commit" (a submodule); `mode` is git's,
    as text: "100644" a file, "100755" an executable, "120000" a symbolic link (its blob holds
    the target path), "040000" a directory, "160000" a submodule. `size` is the blob's in bytes
    (0 for trees and submodules, which have none); `path` is relative to the tree's root, with "/"."""

    path: str
    sha: str
    size: int
    type: str  # 'blob' | 'tree' | 'commit'
    mode: str


@dataclass(frozen=True)
class RateBudget:
    """The core REST budget: requests left of `limit` until `reset_at` (aware, UTC)."""

    remaining: int
    limit: int
    reset_at: datetime


# --- content ----------------------------------------------------------------------------------


def classify_content(data: bytes) -> tuple[str | None, SkipReason | None]:
    """(text, None) for UTF-8 text (a leading BOM dropped); (None, reason) otherwise."""
    if b"\x00" in data:
        return None, BINARY
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, NOT_UTF8
    return text.removeprefix("\ufeff"), None


# --- field parsers (the shared ones are in apps.integrations.common.parsing) -----------------


def optional_datetime(data: Mapping[str, Any], name: str, where: str) -> datetime | None:
    """An ISO 8601 date-time field ("Z" read as UTC); null or "" is None."""
    return parse_datetime(data.get(name), name, where, prepare=_iso_8601, expected="an ISO 8601 date-time")


def _iso_8601(value: str) -> str:
    return value.strip().replace("Z", "+00:00")


def _topics(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = data.get("topics")
    if value is None:
        return ()
    items = expect_list(value, f"{where}: field 'topics'")
    if not all(isinstance(item, str) for item in items):
        raise ResponseShapeError(f"{where}: field 'topics' must hold strings")
    return tuple(items)


def _visibility(data: Mapping[str, Any], where: str) -> str:
    value = data.get("visibility")
    if value is None:  # older GitHub Enterprise Server versions send only `private`
        return "private" if optional_bool(data, "private", where) else "public"
    if not isinstance(value, str) or value.lower() not in VISIBILITIES:
        raise ResponseShapeError(f"{where}: field 'visibility' must be one of {sorted(VISIBILITIES)}")
    return value.lower()


# --- bodies -----------------------------------------------------------------------------------


def parse_repository(item: Any, where: str) -> Repository:
    data = expect_object(item, where)
    return Repository(
        id=required_int(data, "id", where),
        name=required_str(data, "name", where),
        full_name=required_str(data, "full_name", where),
        description=optional_str(data, "description", where),
        default_branch=required_str(data, "default_branch", where),
        visibility=_visibility(data, where),
        topics=_topics(data, where),
        fork=optional_bool(data, "fork", where),
        archived=optional_bool(data, "archived", where),
        pushed_at=optional_datetime(data, "pushed_at", where),
        html_url=required_str(data, "html_url", where),
    )


def parse_repository_page(body: Any) -> list[Repository]:
    items = expect_list(body, "the repository list")
    return [parse_repository(item, f"repository list item {index}") for index, item in enumerate(items)]


def parse_rate_budget(body: Any) -> RateBudget:
    data = expect_object(body, "the rate limit")
    resources = data.get("resources")
    if isinstance(resources, dict) and "core" in resources:
        core, where = expect_object(resources["core"], "resources.core"), "resources.core"
    else:
        core, where = expect_object(data.get("rate"), "rate"), "rate"
    return RateBudget(
        remaining=required_int(core, "remaining", where),
        limit=required_int(core, "limit", where),
        reset_at=datetime.fromtimestamp(required_int(core, "reset", where), UTC),
    )


def parse_head_sha(body: Any) -> str:
    data = expect_object(body, "the branch")
    commit = expect_object(data.get("commit"), "the branch's field 'commit'")
    sha = required_str(commit, "sha", "the branch's commit")
    if len(sha) != 40 or any(char not in "0123456789abcdef" for char in sha.lower()):
        raise ResponseShapeError("the branch's commit: field 'sha' is not a 40-digit hex SHA-1")
    return sha


def parse_organization_summary(body: Any) -> dict[str, Any]:
    data = expect_object(body, "the organization")
    where = "the organization"
    public = required_int(data, "public_repos", where)
    # Only members see the private count; None when GitHub does not say.
    private = data.get("total_private_repos")
    if private is not None:
        private = required_int(data, "total_private_repos", where)
    return {
        "login": required_str(data, "login", where),
        "name": optional_str(data, "name", where),
        "public_repos": public,
        "private_repos": private,
        "repo_count": public + (private or 0),
    }
