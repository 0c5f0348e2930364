"""Markdown to plain text: what a reader sees, never markup."""

from apps.projects.docs_index.plaintext import inline_plain_text, plain_text


def test_a_table_row_becomes_a_sentence_and_its_markup_goes() -> None:
    markdown = (
        "| variable | meaning |\n|---|---|\n| `EDGE_ACME_EMAIL` | contact address for **certificate** issuance |\n"
    )

    assert plain_text(markdown) == "variable: meaning.\nEDGE_ACME_EMAIL: contact address for certificate issuance."


def test_links_keep_their_text_images_html_and_comments_go() -> None:
    markdown = "See [the runbook](docs/ops.md) ![badge](b.svg) <b>now</b><!-- hidden -->.\n\n- one *item*\n- `two`"

    assert plain_text(markdown) == "See the runbook now.\none item\ntwo"


def test_code_blocks_keep_their_lines() -> None:
    assert plain_text("```sh\nmake install\n\nmake run\n```") == "make install\nmake run"


def test_a_heading_title_is_read_inline_never_as_a_list() -> None:
    assert inline_plain_text("1. Setup `fast`") == "1. Setup fast"
