"""Words to lexical terms: lower-cased, stop words out, stemmed (Snowball English, PyStemmer).

Identifiers are what operators search for verbatim ("EDGE_ACME_EMAIL", "X-Request-ID",
"allkeys-lru"), so a compound of word parts joined by _ - . / : + @ is a term of its own, and each
of its parts (camelCase split too) is a term as well: "EDGE_ACME_EMAIL" finds that exact variable
first, and "ACME" still finds it. One function for the chunks and the queries, so both sides
always agree; a change to the rules changes TERMS_VERSION, which re-indexes every project.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

TERMS_VERSION = 1
COMPOUND = re.compile(r"\w+(?:[-./:+@]\w+)*")
JOINERS = re.compile(r"[-_./:+@]+")
CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# NLTK's English list (function words only: no "fire", "back" or "system" as in some longer
# lists), and the modal verbs that questions start with.
STOP_WORDS = frozenset(STOPWORDS_EN_PLUS) | {"could", "would", "might", "must", "shall", "may", "us"}
MIN_LENGTH = 2


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The text's terms in order (repeats kept: BM25 counts them)."""
    return [term for term, _, _ in term_spans(text)]


def term_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for every term of the text; a compound's span covers all its parts."""
    stem = _stemmer().stemWord
    for match in COMPOUND.finditer(text):
        word = match.group()
        pieces = list(_parts(word, match.start()))
        if len(pieces) > 1 or "_" in word:
            yield word.lower(), match.start(), match.end()
        for part, start, end in pieces:
            lowered = part.lower()
            if len(lowered) >= MIN_LENGTH and lowered not in STOP_WORDS:
                yield stem(lowered), start, end


def _parts(word: str, offset: int) -> Iterator[tuple[str, int, int]]:
    position = 0
    for piece in JOINERS.split(word):
        start = word.index(piece, position) if piece else position
        position = start + len(piece)
        for camel in CAMEL_PART.finditer(piece):
            yield camel.group(), offset + start + camel.start(), offset + start + camel.end()


def query_terms(text: str) -> list[str]:
    """A query's distinct terms, in order: a word said twice does not weigh twice."""
    return list(dict.fromkeys(terms(text)))
