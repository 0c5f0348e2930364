"""Snippets: plain text around the query's terms, with their offsets."""

from apps.projects.docs_index.snippets import snippet_for
from apps.projects.docs_index.terms import query_terms

TABLE = "| variable | meaning |\n|---|---|\n| `EDGE_ACME_EMAIL` | contact address for certificate issuance |\n"


def marked(snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.highlights]


def test_the_snippet_is_plain_text_with_the_matched_terms_marked() -> None:
    snippet = snippet_for(TABLE, query_terms("ACME certificates"))

    assert "|" not in snippet.text
    assert "`" not in snippet.text
    assert snippet.text == "variable: meaning. EDGE_ACME_EMAIL: contact address for certificate issuance."
    assert marked(snippet) == ["ACME", "certificate"]  # the part of the identifier that matched


def test_a_long_text_is_cut_around_the_terms_with_ellipses() -> None:
    text = " ".join(["Filler words about nothing in particular."] * 20) + " The zeppelin lands. " + "More filler. " * 30

    snippet = snippet_for(text, query_terms("zeppelin"), length=120)

    assert snippet.text.startswith("…")
    assert snippet.text.endswith("…")
    assert len(snippet.text) <= 122
    assert marked(snippet) == ["zeppelin"]


def test_without_a_matched_term_the_snippet_starts_at_the_beginning() -> None:
    snippet = snippet_for("Reload, never restart: a reload keeps connections.", query_terms("unrelated"))

    assert snippet.text == "Reload, never restart: a reload keeps connections."
    assert snippet.highlights == []
