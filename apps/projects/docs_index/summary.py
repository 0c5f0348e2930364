"""An extractive summary of a README: a few of its own sentences, chosen by word frequency.

No model and no external service: the sentences that use the document's most frequent
content words are the ones that say what it is about.
"""

from __future__ import annotations

import re
from collections import Counter

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from apps.projects.docs_index.chunking import strip_front_matter

FENCED_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1[`~]*[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S.*$", re.MULTILINE)
AUTOLINK = re.compile(r"<(?:https?|mailto):[^>]*>|https?://\S+")
INLINE_CODE = re.compile(r"`+([^`]*)`+")
EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(\S(?:.*?\S)?)\1")
HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t].*)?$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|(?:-[ \t]*){3,})$")
TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$")
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
BLOCKQUOTE = re.compile(r"^\s*>\s?")
INDENTED_CODE = re.compile(r"^(?: {4}|\t)")
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+-]*")
# A sentence ending in one of these is not over: "e.g. Docker" is one sentence.
ABBREVIATIONS = {"e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "incl.", "no.", "dr.", "mr.", "ms.", "st."}
MIN_WORDS = 4  # shorter ones are labels ("Build status", "MIT licence"), not sentences
FIRST_PARAGRAPH_BONUS = 1.25  # a README usually says what the project is right away


def extractive_summary(*, text: str, sentences: int) -> str:
    """Up to `sentences` sentences of the text, the most informative ones, in their original order."""
    if sentences < 1:
        return ""
    candidates = [
        (index, paragraph, sentence)
        for index, (paragraph, sentence) in enumerate(_sentences(_plain_paragraphs(text)))
        if len(WORD.findall(sentence)) >= MIN_WORDS
    ]
    if not candidates:
        return ""
    frequencies = Counter(word for _, _, sentence in candidates for word in _content_words(sentence))
    first_paragraph = candidates[0][1]

    def score(paragraph: int, sentence: str) -> float:
        words = WORD.findall(sentence)
        total = sum(frequencies[word] for word in _content_words(sentence))
        bonus = FIRST_PARAGRAPH_BONUS if paragraph == first_paragraph else 1.0
        return bonus * total / len(words)

    # Highest score first, the earlier sentence winning a tie, so the result is deterministic.
    ranked = sorted(candidates, key=lambda item: (-score(item[1], item[2]), item[0]))
    chosen = sorted(ranked[:sentences], key=lambda item: item[0])
    return " ".join(sentence for _, _, sentence in chosen)


def _content_words(sentence: str) -> list[str]:
    words = (word.lower().strip("'-+") for word in WORD.findall(sentence))
    return [word for word in words if len(word) > 1 and word not in ENGLISH_STOP_WORDS]


def _plain_paragraphs(text: str) -> list[str]:
    """The prose of the document as plain-text paragraphs: a list item is a paragraph of its own;
    code, tables, headings, images, badges and HTML are gone, links become their text."""
    text = strip_front_matter(text)
    text = FENCED_CODE.sub("\n", text)
    text = HTML_COMMENT.sub(" ", text)
    text = LINK_DEFINITION.sub("", text)
    # Images first: a badge is an image inside a link, which then has no text left and goes too.
    text = IMAGE.sub("", text)
    text = LINK.sub(r"\1", text)
    text = HTML_TAG.sub(" ", text)
    text = AUTOLINK.sub("", text)

    paragraphs: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    lines = text.split("\n")
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if _is_not_prose(line, following, continues_paragraph=bool(current)):
            close()
        elif LIST_MARKER.match(line):
            close()
            current.append(_inline(LIST_MARKER.sub("", line)))
        else:
            current.append(_inline(BLOCKQUOTE.sub("", line)))
    close()
    return [paragraph for paragraph in (" ".join(p.split()) for p in paragraphs) if paragraph]


def _is_not_prose(line: str, following: str, *, continues_paragraph: bool) -> bool:
    """Blank lines, headings (and the title above a setext underline), rules, tables, indented code."""
    if not line.strip() or THEMATIC_BREAK.match(line) or HEADING.match(line) or SETEXT_UNDERLINE.match(line):
        return True
    if following.strip() and SETEXT_UNDERLINE.match(following):
        return True
    if "|" in line and (TABLE_DELIMITER.match(line) or TABLE_DELIMITER.match(following) or _in_table(line)):
        return True
    return bool(INDENTED_CODE.match(line)) and not continues_paragraph


def _in_table(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("|") or stripped.endswith("|")


def _inline(line: str) -> str:
    line = INLINE_CODE.sub(r"\1", line)
    return EMPHASIS.sub(r"\2", line).strip()


def _sentences(paragraphs: list[str]) -> list[tuple[int, str]]:
    """(paragraph number, sentence) for every sentence, in document order."""
    result: list[tuple[int, str]] = []
    for number, paragraph in enumerate(paragraphs):
        pending = ""
        for piece in SENTENCE_END.split(paragraph):
            pending = f"{pending} {piece}" if pending else piece
            if pending.split()[-1].lower() not in ABBREVIATIONS:
                result.append((number, pending.strip()))
                pending = ""
        if pending:
            result.append((number, pending.strip()))
    return result
