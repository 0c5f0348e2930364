"""Reading documentation files out of GitHub's contents and blob answers.

Pure functions: the parsers of a file entry, a directory listing and a blob (they raise
`ResponseShapeError`, which the client turns into `GitHubInvalidResponseError`), base64
decoding, and the `DocFile` a file's bytes become.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from apps.integrations.common import parsing
from apps.integrations.common.parsing import ResponseShapeError

from .models import TOO_LARGE, DocFile, classify_content

MAX_DOCS_DIRECTORIES = 100
MARKDOWN_SUFFIXES = (".md", ".markdown")


def file_entry(body: Any) -> dict[str, Any]:
    data = parsing.expect_object(body, "the file")
    return {
        "path": parsing.required_str(data, "path", "the file"),
        "size": parsing.required_int(data, "size", "the file"),
        "sha": parsing.required_str(data, "sha", "the file"),
        "encoding": parsing.optional_str(data, "encoding", "the file"),
        "content": parsing.optional_str(data, "content", "the file"),
    }


def directory_entries(body: Any) -> list[dict[str, Any]]:
    entries = []
    for index, item in enumerate(parsing.expect_list(body, "the directory listing")):
        where = f"directory entry {index}"
        data = parsing.expect_object(item, where)
        entries.append(
            {
                "type": parsing.required_str(data, "type", where),
                "path": parsing.required_str(data, "path", where),
                "size": parsing.required_int(data, "size", where),
                "sha": parsing.required_str(data, "sha", where),
            }
        )
    return sorted(entries, key=lambda entry: entry["path"])


def decode_base64(content: str) -> bytes:
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ResponseShapeError("field 'content' is not valid base64") from None


def blob_bytes(body: Any) -> bytes:
    data = parsing.expect_object(body, "the blob")
    encoding = parsing.optional_str(data, "encoding", "the blob")
    content = parsing.optional_str(data, "content", "the blob")
    if encoding == "base64":
        return decode_base64(content)
    if encoding in ("utf-8", "utf8"):
        return content.encode()
    raise ResponseShapeError(f"the blob: unsupported encoding {encoding[:20]!r}")


def too_large(path: str, size: int, sha: str = "") -> DocFile:
    """A file bigger than max_bytes: listed, never read."""
    return DocFile(path=path, size=size, text=None, skipped=TOO_LARGE, sha=sha)


def unchanged(path: str, size: int, sha: str) -> DocFile:
    """A file whose blob the caller already has: listed, not read again."""
    return DocFile(path=path, size=size, text=None, skipped=None, sha=sha, unchanged=True)


def doc_file(path: str, size: int, data: bytes, max_bytes: int, sha: str = "") -> DocFile:
    if len(data) > max_bytes:  # the listing under-reported it
        return too_large(path, len(data), sha)
    text, skipped = classify_content(data)
    return DocFile(path=path, size=size, text=text, skipped=skipped, sha=sha)
