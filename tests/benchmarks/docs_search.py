"""Docs search figures: relevance per ranking (the relevance set, over the indexed sandbox), and
speed over 50,000 chunks beside the bare scoring (bm25s and a numpy product)."""

from __future__ import annotations

import time

import numpy as np


def bench_docs_relevance(report, sandbox_web_server) -> None:
    from django.conf import settings

    from apps.projects.choices import SearchRanking
    from apps.projects.docs_index import semantic_installed
    from apps.projects.selectors import docs_search
    from apps.projects.services import docs_index_now, github_sync_now
    from apps.sandbox.github.services import sandbox_github_repos_ensure
    from tests.projects.docs_index.relevance import SANDBOX_REPOSITORIES, measure, nonsense_queries, questions
    from tests.projects.factories import github_account

    organization = "relevance-org"
    sandbox_github_repos_ensure(count=SANDBOX_REPOSITORIES, organization=organization)
    with sandbox_web_server() as sandbox_url:
        base_url = sandbox_url.replace("/sandbox/api", "/sandbox/github/api/v3")
        account = github_account(organization=organization, base_url=base_url, token=settings.SANDBOX_GITHUB_TOKEN)
        github_sync_now(account=account)
        docs_index_now(account=account)
    rankings = list(SearchRanking) if semantic_installed() else [SearchRanking.LEXICAL]
    for ranking in rankings:

        def search(query: str, ranking=ranking) -> list[str]:
            results = docs_search(query=query, limit=10, ranking=ranking).results
            return [f"{result.project.split('/', 1)[1]}/{result.path}" for result in results]

        for kind in (None, "exact", "paraphrase"):
            items = [item for item in questions() if kind is None or item.kind == kind]
            figures = measure(search, items)
            suffix = f"_{ranking.value}" + (f"_{kind}" if kind else "")
            report(f"docs_search_ndcg10{suffix}", figures.ndcg10, "")
            report(f"docs_search_recall10{suffix}", figures.recall10, "")
            report(f"docs_search_mrr{suffix}", figures.mrr, "")
        answered = sum(1 for query in nonsense_queries() if search(query))
        report(f"docs_search_nonsense_answered_{ranking.value}", answered, "queries")


def bench_docs_speed(report, chunks: int = 50_000, queries: int = 200) -> None:
    from apps.integrations.github import DocFile
    from apps.projects.choices import SearchRanking
    from apps.projects.docs_index import clear_search_index_cache, search_chunks, search_index, semantic_backend
    from apps.projects.docs_index.services import docs_index_version_bump
    from apps.projects.models import DocChunk, Project
    from apps.projects.services.indexing import doc_chunks_build
    from tests.projects.factories import github_account

    backend = semantic_backend()
    rng = np.random.default_rng(7)
    vocabulary = [f"term{number}" for number in range(20_000)]
    distinct = 2_000
    texts = [" ".join(rng.choice(vocabulary, size=40)) + "." for _ in range(distinct)]
    account = github_account(organization="bench-search")
    projects = Project.objects.bulk_create(
        [Project(account=account, github_id=n, full_name=f"bench/p{n}", name=f"p{n}") for n in range(100)]
    )
    # Indexing: terms and embeddings of 2,000 distinct chunks, timed, then stored 25 times over.
    started = time.perf_counter()
    built = doc_chunks_build(
        projects[0],
        [DocFile(path=f"docs/{n}.md", size=1, text=text, skipped=None, sha="") for n, text in enumerate(texts)],
        backend,
    )
    build_seconds = time.perf_counter() - started
    report(f"docs_index_build_{distinct}_chunks", build_seconds, "s")
    report(f"docs_index_build_{chunks // 1000}k_chunks_extrapolated", build_seconds * chunks / distinct, "s")
    started = time.perf_counter()
    DocChunk.objects.bulk_create(
        [
            DocChunk(
                project=projects[n % 100],
                path=f"docs/{n}.md",
                heading="",
                position=0,
                text=built[n % distinct].text,
                terms=built[n % distinct].terms,
                vector=built[n % distinct].vector,
                backend=built[n % distinct].backend,
            )
            for n in range(chunks)
        ],
        batch_size=2_000,
    )
    docs_index_version_bump()
    report(f"docs_index_store_{chunks // 1000}k", time.perf_counter() - started, "s")
    clear_search_index_cache()
    started = time.perf_counter()
    index = search_index()
    report(f"docs_search_index_build_{chunks // 1000}k", time.perf_counter() - started, "s")

    questions = [" ".join(rng.choice(vocabulary, size=4)) for _ in range(queries)]
    rankings = list(SearchRanking) if backend is not None else [SearchRanking.LEXICAL]
    for ranking in rankings:
        timings, floor = [], []
        for question in questions:
            started = time.perf_counter()
            search_chunks(query=question, limit=10, ranking=ranking)
            timings.append(time.perf_counter() - started)
        for question in questions:
            # The floor: the libraries alone on the same index, the query's tokens already known.
            tokens = question.split()
            started = time.perf_counter()
            if ranking != SearchRanking.SEMANTIC:
                index.lexical._body._bm25.get_scores(tokens)
            if ranking != SearchRanking.LEXICAL:
                (index.semantic.units @ backend.embed_query(question)).argmax()
            floor.append(time.perf_counter() - started)
        name = f"docs_search_{chunks // 1000}k_{ranking.value}"
        report(f"{name}_median", float(np.median(timings)) * 1000, "ms", floor=float(np.median(floor)) * 1000)
        report(
            f"{name}_p95", float(np.percentile(timings, 95)) * 1000, "ms", floor=float(np.percentile(floor, 95)) * 1000
        )
