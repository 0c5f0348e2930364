from apps.projects.docs_index import extractive_summary

README = """<p align="center"><img src="logo.png" alt="Fleet logo"></p>

# Fleet

[![Build Status](https://ci.example.com/badge.svg)](https://ci.example.com) [![PyPI](https://img.shields.io/pypi/v/fleet.svg)](https://pypi.org/project/fleet)

Fleet is a deployment tool that ships containers to your servers.
It keeps the containers of every server in sync with one manifest.

## Install

```bash
pip install fleet  # the deployment tool that ships containers to servers
```

| Option | Meaning |
|--------|---------|
| --servers | the servers that receive the containers |

## Usage

Run `fleet deploy` to ship the containers of the manifest to all servers.
See the [documentation](https://docs.example.com) for details.

Thanks to our sponsors and friends everywhere.

Licensed under MIT. Copyright 2024 the authors.
"""


def test_the_summary_picks_the_informative_sentences_in_their_original_order() -> None:
    summary = extractive_summary(text=README, sentences=2)

    assert summary == (
        "Fleet is a deployment tool that ships containers to your servers. "
        "Run fleet deploy to ship the containers of the manifest to all servers."
    )


def test_the_summary_has_at_most_the_requested_number_of_sentences() -> None:
    assert extractive_summary(text=README, sentences=1) == (
        "Fleet is a deployment tool that ships containers to your servers."
    )
    assert len(extractive_summary(text=README, sentences=3)) > len(extractive_summary(text=README, sentences=2))


def test_badges_images_html_code_and_tables_never_reach_the_summary() -> None:
    summary = extractive_summary(text=README, sentences=10)

    for markup in ("Build Status", "badge", "shields", "logo", "<", "pip install", "|", "--servers", "http", "`"):
        assert markup not in summary
    assert "documentation for details" in summary  # a link keeps its text


def test_the_summary_is_deterministic() -> None:
    assert len({extractive_summary(text=README, sentences=3) for _ in range(5)}) == 1


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    text = "Fleet ships containers to hosts, e.g. Docker hosts and Podman hosts. Nothing else matters here."

    assert extractive_summary(text=text, sentences=1) == (
        "Fleet ships containers to hosts, e.g. Docker hosts and Podman hosts."
    )


def test_empty_or_markup_only_text_has_an_empty_summary() -> None:
    assert extractive_summary(text="", sentences=3) == ""
    assert extractive_summary(text="# Title\n\n[![badge](b.svg)](https://x)\n\n```\ncode only\n```", sentences=3) == ""
