"""A result's snippet: plain text around the query's terms, and where those terms are in it.

The snippet is plain text (Markdown rendered away, apps/projects/docs_index/plaintext.py); the
matched terms are given as [start, end) character offsets into it, so the API stays plain JSON
and a page marks them after escaping (the admin wraps them in <mark>).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from apps.projects.docs_index.plaintext import plain_text
from apps.projects.docs_index.terms import term_spans

SNIPPET_CHARS = 240
ELLIPSIS = "…"
LINE_JOIN = " · "  # between two lines that do not end a sentence (list items, code lines)
SENTENCE_END = (".", "!", "?", ":", ";")


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]]  # [start, end) offsets of matched terms in `text`


def flat_text(markdown: str) -> str:
    """The chunk's plain text on one line."""
    lines = [line.strip() for line in plain_text(markdown).split("\n") if line.strip()]
    pieces: list[str] = []
    for number, line in enumerate(lines):
        if number:
            pieces.append(" " if lines[number - 1].endswith(SENTENCE_END) else LINE_JOIN)
        pieces.append(line)
    return "".join(pieces)


def snippet_for(markdown: str, query_terms: Collection[str], *, length: int = SNIPPET_CHARS) -> Snippet:
    """The window of about `length` characters with the most distinct query terms, marked."""
    text = flat_text(markdown)
    wanted = set(query_terms)
    spans = _merged([(start, end, term) for term, start, end in term_spans(text) if term in wanted])
    start = _window_start(text, spans, length)
    end = _cut_end(text, start + length)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    shift = len(prefix) - start
    highlights = [
        (span_start + shift, span_end + shift)
        for span_start, span_end, _ in spans
        if start <= span_start and span_end <= end
    ]
    return Snippet(text=prefix + text[start:end] + suffix, highlights=highlights)


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, frozenset[str]]]:
    """Overlapping spans as one (a compound and its matched part mark the compound)."""
    merged: list[tuple[int, int, frozenset[str]]] = []
    for start, end, term in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_terms = merged[-1]
            merged[-1] = (last_start, max(last_end, end), last_terms | {term})
        else:
            merged.append((start, end, frozenset({term})))
    return merged


def _window_start(text: str, spans: list[tuple[int, int, frozenset[str]]], length: int) -> int:
    if not spans or len(text) <= length:
        return 0
    lead = length // 5  # some context before the first marked term
    best_start, best_count = 0, -1
    for first, (span_start, _, _) in enumerate(spans):
        limit = span_start + length - lead
        found: set[str] = set()
        for _, other_end, other_terms in spans[first:]:
            if other_end > limit:
                break
            found |= other_terms
        if len(found) > best_count:
            best_start, best_count = span_start, len(found)
    start = max(0, best_start - lead)
    if start == 0:
        return 0
    sentence = max(text.rfind(". ", start, best_start), text.rfind(LINE_JOIN, start, best_start))
    if sentence >= 0:  # begin at the sentence that holds the first term, when it starts near
        return sentence + (2 if text.startswith(". ", sentence) else len(LINE_JOIN))
    space = text.find(" ", start, best_start)
    return space + 1 if space >= 0 else start


def _cut_end(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", 0, end)
    return space if space > 0 else end
