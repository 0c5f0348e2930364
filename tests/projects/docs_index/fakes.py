"""A small embedding backend for tests of the semantic plumbing, without the model.

Each word has a fixed pseudo-random direction (seeded by its hash) and synonyms share one,
so "renew" and "refresh" point the same way while sharing no letters: enough to test that a
paraphrase is found by meaning, that several vectors per chunk are stored and compared, and
that a query of unknown words is no match.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

DIMENSIONS = 64
SYNONYMS = {"refresh": "renew", "refreshed": "renew", "renewed": "renew", "certs": "certificates"}
WORD = re.compile(r"[a-z]+")


class WordVectorBackend:
    name = f"test-words-{DIMENSIONS}"
    dimensions = DIMENSIONS

    @staticmethod
    def installed() -> bool:
        return True

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.array([self._embed(text) for text in texts], dtype=np.float32).reshape(len(texts), DIMENSIONS)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed(text)

    def _embed(self, text: str) -> np.ndarray:
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        for word in WORD.findall(text.lower()):
            word = SYNONYMS.get(word, word)
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
            vector += np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector


WORD_VECTOR_BACKEND = "tests.projects.docs_index.fakes.WordVectorBackend"
