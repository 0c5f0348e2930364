"""Markdown to plain text: what a reader sees, for snippets, the lexical terms and the embeddings.

markdown-it-py parses (CommonMark and GitHub's tables), so markup is read the way GitHub reads it:
emphasis, links and inline code keep their text; HTML, link targets and images go; a table row
becomes one line ("EDGE_ACME_EMAIL: contact address for certificate issuance."), a list item
or a code line a line of its own.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

HTML_TAG = re.compile(r"<[^>]*>")
SPACES = re.compile(r"[ \t\u00a0]+")
SENTENCE_END = (".", "!", "?", ":", ";")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def plain_text(markdown: str) -> str:
    """The text of a Markdown fragment, one block (paragraph, item, row, code line) per line."""
    lines: list[str] = []
    row: list[str] = []
    in_row = False
    for token in _parser().parse(markdown):
        if token.type == "tr_open":
            in_row, row = True, []
        elif token.type == "tr_close":
            in_row = False
            cells = [cell for cell in row if cell]
            if cells:
                lines.append(_table_row(cells))
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if in_row:
                row.append(text)
            elif text:
                lines.append(text)
        elif token.type in ("fence", "code_block"):
            lines.extend(line.strip() for line in token.content.splitlines() if line.strip())
        elif token.type == "html_block":
            text = _squeeze(HTML_TAG.sub(" ", token.content))
            if text:
                lines.append(text)
    return "\n".join(lines)


def inline_plain_text(markdown: str) -> str:
    """One line of Markdown (a heading's title) as plain text; never read as a block ("1. Setup")."""
    return _squeeze(" ".join(_inline_text(token.children or []) for token in _parser().parseInline(markdown)))


def _table_row(cells: list[str]) -> str:
    first, rest = cells[0], ", ".join(cells[1:])
    line = f"{first}: {rest}" if rest else first
    return line if line.endswith(SENTENCE_END) else f"{line}."


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        # Images (badges, diagrams), link_open/close, emphasis markers and inline HTML add no text.
    return _squeeze("".join(parts))


def _squeeze(text: str) -> str:
    return SPACES.sub(" ", text).strip()
