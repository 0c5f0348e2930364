"""Reading commits and trees out of GitHub's answers.

Pure functions: the parsers of a commit (`GET /repos/{o}/{r}/commits/{ref}`) and of a recursive
tree listing (`GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`). They raise `ResponseShapeError`,
which the client turns into `GitHubInvalidResponseError`.
"""

from __future__ import annotations

from typing import Any

from apps.integrations.common import parsing
from apps.integrations.common.parsing import ResponseShapeError

from .models import TreeEntry

ENTRY_TYPES = frozenset({"blob", "tree", "commit"})
HEX = frozenset("0123456789abcdef")


def is_sha(value: str) -> bool:
    """A full 40-digit hex SHA-1 (either case)."""
    return len(value) == 40 and set(value.lower()) <= HEX


def commit_sha(body: Any) -> str:
    data = parsing.expect_object(body, "the commit")
    sha = parsing.required_str(data, "sha", "the commit")
    if not is_sha(sha):
        raise ResponseShapeError("the commit: field 'sha' is not a 40-digit hex SHA-1")
    return sha.lower()


def tree_listing(body: Any) -> tuple[list[TreeEntry], bool]:
    """The tree's entries in path order, and whether GitHub says it truncated the listing."""
    data = parsing.expect_object(body, "the tree")
    truncated = parsing.optional_bool(data, "truncated", "the tree")
    entries = []
    for index, item in enumerate(parsing.expect_list(data.get("tree"), "the tree's field 'tree'")):
        where = f"tree entry {index}"
        entry = parsing.expect_object(item, where)
        kind = parsing.required_str(entry, "type", where)
        if kind not in ENTRY_TYPES:
            raise ResponseShapeError(f"{where}: field 'type' must be one of {sorted(ENTRY_TYPES)}")
        sha = parsing.required_str(entry, "sha", where)
        if not is_sha(sha):
            raise ResponseShapeError(f"{where}: field 'sha' is not a 40-digit hex SHA-1")
        # GitHub gives a size for blobs only.
        size = parsing.required_int(entry, "size", where) if kind == "blob" else 0
        if size < 0:
            raise ResponseShapeError(f"{where}: field 'size' must not be negative")
        entries.append(
            TreeEntry(
                path=parsing.required_str(entry, "path", where),
                sha=sha.lower(),
                size=size,
                type=kind,
                mode=parsing.required_str(entry, "mode", where),
            )
        )
    return sorted(entries, key=lambda entry: entry.path), truncated
