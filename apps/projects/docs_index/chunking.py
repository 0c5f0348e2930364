"""Split a Markdown document into chunks: one per section, long sections cut at paragraphs.

A chunk is what search ranks and shows, so it follows the document's own structure (its
headings) rather than a fixed window of characters.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from apps.projects.docs_index.plaintext import inline_plain_text

# Up to three spaces of indentation, like CommonMark: four make an indented code block.
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
FRONT_MATTER = re.compile(r"\A(?:---[ \t]*\n.*?\n(?:---|\.\.\.)|\+\+\+[ \t]*\n.*?\n\+\+\+)[ \t]*(?:\n|\Z)", re.DOTALL)
# A sentence ends at . ! or ? followed by white space; good enough to cut an over-long paragraph.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
HEADING_SEPARATOR = " > "
PARAGRAPH_JOIN = "\n\n"
# GitHub's heading anchors: lower-cased, anything but word characters, hyphens and spaces
# dropped, spaces turned into hyphens; a repeated anchor gets -1, -2, ... in document order.
ANCHOR_DROPPED = re.compile(r"[^\w\- ]")


@dataclass(frozen=True)
class Chunk:
    path: str
    heading: str  # the heading path as plain text, e.g. "Install > Docker"; "" before the first heading
    position: int  # order within the file, from 0
    text: str  # the section's body (Markdown), without its heading line
    anchor: str = ""  # GitHub's anchor of the section's heading ("" before the first heading)


def markdown_chunks(*, path: str, text: str, max_chars: int) -> list[Chunk]:
    """The document's non-empty sections, each cut into pieces of at most `max_chars` characters."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[Chunk] = []
    for heading, anchor, body in _sections(strip_front_matter(text)):
        for piece in _split_to_fit(body, max_chars):
            chunks.append(Chunk(path=path, heading=heading, position=len(chunks), text=piece, anchor=anchor))
    return chunks


def github_anchor(title: str) -> str:
    """The anchor GitHub gives a heading with this (plain-text) title, before de-duplication."""
    return ANCHOR_DROPPED.sub("", title.lower()).replace(" ", "-")


def strip_front_matter(text: str) -> str:
    """The document without a leading YAML (---) or TOML (+++) block, line endings normalised."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return FRONT_MATTER.sub("", text, count=1)


def _sections(text: str) -> list[tuple[str, str, str]]:
    """(heading path, anchor, body) for each section, in document order, the preamble first."""
    sections: list[tuple[str, str, str]] = []
    stack: list[tuple[int, str]] = []  # (level, title) of the headings enclosing the current line
    lines: list[str] = []
    fence: str | None = None  # the opening fence's marker while inside a fenced code block
    anchors: Counter[str] = Counter()  # every heading counts, also one whose section is empty
    anchor = ""

    def close_section() -> None:
        body = "\n".join(lines).strip("\n")
        if body.strip():
            sections.append((HEADING_SEPARATOR.join(title for _, title in stack), anchor, body))
        lines.clear()

    def open_section(level: int, title: str) -> None:
        nonlocal anchor
        close_section()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        base = github_anchor(title)
        anchor = base if not anchors[base] else f"{base}-{anchors[base]}"
        anchors[base] += 1

    for line in text.split("\n"):
        if fence is not None:
            lines.append(line)
            if _closes_fence(line, fence):
                fence = None
            continue
        opening = FENCE_OPEN.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence = opening.group(1)
            lines.append(line)
            continue
        atx = ATX_HEADING.match(line)
        if atx:
            open_section(len(atx.group(1)), _clean_title(atx.group(2) or ""))
            continue
        underline = SETEXT_UNDERLINE.match(line)
        title_lines = _trailing_paragraph(lines) if underline else []
        if underline and title_lines:
            del lines[-len(title_lines) :]
            open_section(1 if underline.group(1)[0] == "=" else 2, _clean_title(" ".join(title_lines)))
            continue
        lines.append(line)
    close_section()
    return sections


def _closes_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(line) - len(line.lstrip(" ")) <= 3 and len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _trailing_paragraph(lines: list[str]) -> list[str]:
    """The paragraph lines right before a setext underline; none if the underline follows a blank
    line (then `---` is a thematic break) or a fence's closing line (a code block is no title)."""
    paragraph: list[str] = []
    for line in reversed(lines):
        if not line.strip() or FENCE_OPEN.match(line) or line.startswith(("    ", "\t")):
            break
        paragraph.append(line.strip())
    return paragraph[::-1]


def _clean_title(title: str) -> str:
    return inline_plain_text(" ".join(title.split()))


def _split_to_fit(body: str, max_chars: int) -> list[str]:
    """The body as it is when it fits; otherwise blocks (paragraphs, whole code blocks) packed
    greedily, a block too long on its own being cut at sentences (lines for code), then words."""
    if len(body) <= max_chars:
        return [body]
    # (text, what joins it to the unit before when both land in one piece)
    units: list[tuple[str, str]] = []
    for block in _blocks(body):
        if len(block) <= max_chars:
            units.append((block, PARAGRAPH_JOIN))
            continue
        is_code = FENCE_OPEN.match(block) is not None
        parts = block.split("\n") if is_code else SENTENCE_END.split(block)
        inner_join = "\n" if is_code else " "
        for index, part in enumerate(parts):
            for cut, piece in enumerate(_hard_split(part, max_chars)):
                if index == 0 and cut == 0:
                    units.append((piece, PARAGRAPH_JOIN))
                else:
                    units.append((piece, inner_join if cut == 0 else " "))
    return _pack(units, max_chars)


def _blocks(body: str) -> list[str]:
    """Paragraphs separated by blank lines, a fenced code block kept whole even with blank lines."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        if fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        if fence is not None:
            if _closes_fence(line, fence):
                fence = None
        elif opening := FENCE_OPEN.match(line):
            fence = opening.group(1)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _hard_split(text: str, max_chars: int) -> list[str]:
    """Cut at the last white space before the limit, or at the limit when there is none."""
    pieces: list[str] = []
    while len(text) > max_chars:
        cut = text.rfind(" ", 1, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def _pack(units: list[tuple[str, str]], max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for unit, join in units:
        if not unit.strip():
            continue
        candidate = f"{current}{join}{unit}" if current else unit
        if len(candidate) <= max_chars:
            current = candidate
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces
