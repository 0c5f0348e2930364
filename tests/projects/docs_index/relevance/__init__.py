"""The docs search relevance set (questions.json) and its measures: nDCG@10, recall@10, MRR.

A document is "repository/path" in the sandbox GitHub's world (apps/sandbox/github), whatever the
organization; relevance is binary. Results are judged by document, in the order the search
returned them: a document returned twice counts once, at its first place.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

QUESTIONS = Path(__file__).with_name("questions.json")
CUTOFF = 10
# Every theme of apps/sandbox/github/themes.py once: the organization the set is about.
SANDBOX_REPOSITORIES = 14


@dataclass(frozen=True)
class Question:
    kind: str  # "exact" or "paraphrase"
    query: str
    relevant: frozenset[str]


def questions() -> list[Question]:
    data = json.loads(QUESTIONS.read_text())
    return [Question(item["kind"], item["query"], frozenset(item["relevant"])) for item in data["questions"]]


def nonsense_queries() -> list[str]:
    return list(json.loads(QUESTIONS.read_text())["nonsense"])


def _distinct(documents: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(documents))


def ndcg(ranked: list[str], relevant: frozenset[str], cutoff: int = CUTOFF) -> float:
    gains = [1.0 if document in relevant else 0.0 for document in _distinct(ranked)[:cutoff]]
    dcg = sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))
    ideal = sum(1.0 / math.log2(position + 2) for position in range(min(len(relevant), cutoff)))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[str], relevant: frozenset[str], cutoff: int = CUTOFF) -> float:
    found = set(_distinct(ranked)[:cutoff]) & relevant
    return len(found) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], relevant: frozenset[str]) -> float:
    for position, document in enumerate(_distinct(ranked), start=1):
        if document in relevant:
            return 1.0 / position
    return 0.0


@dataclass(frozen=True)
class Measures:
    ndcg10: float
    recall10: float
    mrr: float
    count: int


def measure(search: Callable[[str], list[str]], items: list[Question]) -> Measures:
    """The means over the questions of what `search` (query -> ranked documents) returns."""
    runs = [(search(item.query), item.relevant) for item in items]
    count = len(runs)
    return Measures(
        ndcg10=sum(ndcg(ranked, relevant) for ranked, relevant in runs) / count,
        recall10=sum(recall(ranked, relevant) for ranked, relevant in runs) / count,
        mrr=sum(reciprocal_rank(ranked, relevant) for ranked, relevant in runs) / count,
        count=count,
    )


def document_of(result: dict) -> str:
    """An API result's document: "repository/path" (the organization left out)."""
    return f"{result['project']['full_name'].split('/', 1)[1]}/{result['path']}"
