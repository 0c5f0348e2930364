"""An operator searches the projects' docs from the console's Docs search page and finds the
project whose docs answer the query, the query's words marked in the snippet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from apps.projects.docs_index import clear_search_index_cache
from tests.console.browser import save_screenshot
from tests.projects.docs_index.helpers import index_chunks, make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUNBOOK = "# Rotating credentials\n\nRotate the database credentials with `make rotate` before the quarterly audit."
OTHER = "# Caching\n\nKeys expire with random jitter so a deploy does not empty the cache at once."


@pytest.fixture
def lexical_docs_index(settings) -> Iterator[None]:
    # Lexical ranking: the semantic extra's model is not needed to show a result. The index
    # is cached per process (the live server's too) by version, which restarts with each database.
    settings.DOCS_EMBEDDING_BACKEND = ""
    clear_search_index_cache()
    yield
    clear_search_index_cache()


def test_an_operator_finds_the_project_whose_docs_answer_a_query(operator_page, lexical_docs_index):
    index_chunks(make_project("billing"), [RUNBOOK], path="docs/runbook.md")
    index_chunks(make_project("edge-cache"), [OTHER])
    page = operator_page.page

    page.goto("/admin/")
    page.get_by_role("navigation").get_by_role("link", name="Docs search").click()
    expect(page).to_have_url("/admin/projects/project/search/")
    page.locator("#docs-search input[name=q]").fill("rotate database credentials")
    page.locator("#docs-search input[type=submit]").click()

    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("billing")
    expect(results.first).to_contain_text("docs/runbook.md")
    expect(results.first.locator("mark").first).to_be_visible()
    expect(page.get_by_text("edge-cache")).to_have_count(0)
    save_screenshot(page, "docs-search")
