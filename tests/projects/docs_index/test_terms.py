"""Lexical terms: stemming, stop words, identifiers kept whole and in parts; spans for marking."""

from apps.projects.docs_index.terms import query_terms, term_spans, terms


def test_words_are_lower_cased_stemmed_and_stop_words_dropped() -> None:
    assert terms("How do I rotate the TLS certificates?") == ["rotat", "tls", "certif"]
    assert terms("certificate renewal renewed") == ["certif", "renew", "renew"]


def test_an_identifier_is_a_term_whole_and_each_of_its_parts_too() -> None:
    assert terms("EDGE_ACME_EMAIL") == ["edge_acme_email", "edg", "acm", "email"]
    assert terms("X-Request-ID") == ["x-request-id", "request", "id"]
    assert terms("allkeys-lru") == ["allkeys-lru", "allkey", "lru"]
    assert terms("HttpOnly") == ["httponly", "http"]  # camelCase parts; "only" is a stop word


def test_a_query_counts_each_term_once() -> None:
    assert query_terms("cache the cache caching") == ["cach"]


def test_spans_point_at_the_words_in_the_text() -> None:
    text = "Set EDGE_ACME_EMAIL now"

    assert [(term, text[start:end]) for term, start, end in term_spans(text)][:3] == [
        ("set", "Set"),
        ("edge_acme_email", "EDGE_ACME_EMAIL"),
        ("edg", "EDGE"),
    ]
