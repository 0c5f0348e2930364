from apps.projects.docs_index import Chunk, markdown_chunks

README = """---
title: Fleet
tags: [deploy]
---
Fleet ships containers to servers.

# Install

Use pip.

## Docker

```bash
# this comment is not a heading
docker run fleet
```

Setext section
--------------

Under a setext heading.

Usage
=====

## Nothing here

### Flags ###

Pass --dry-run to preview.
"""


def test_sections_become_chunks_named_by_their_heading_path() -> None:
    chunks = markdown_chunks(path="README.md", text=README, max_chars=1500)

    assert [(chunk.heading, chunk.position) for chunk in chunks] == [
        ("", 0),
        ("Install", 1),
        ("Install > Docker", 2),
        ("Install > Setext section", 3),
        ("Usage > Nothing here > Flags", 4),
    ]
    assert all(chunk.path == "README.md" for chunk in chunks)
    assert chunks[1].text == "Use pip."
    assert chunks[4].text == "Pass --dry-run to preview."


def test_front_matter_is_not_part_of_any_chunk() -> None:
    chunks = markdown_chunks(path="README.md", text=README, max_chars=1500)

    assert chunks[0] == Chunk(path="README.md", heading="", position=0, text="Fleet ships containers to servers.")
    assert not any("title: Fleet" in chunk.text for chunk in chunks)


def test_a_hash_inside_a_fenced_code_block_is_not_a_heading() -> None:
    chunks = markdown_chunks(path="README.md", text=README, max_chars=1500)

    docker = next(chunk for chunk in chunks if chunk.heading == "Install > Docker")
    assert docker.text == "```bash\n# this comment is not a heading\ndocker run fleet\n```"
    assert not any("this comment" in chunk.heading for chunk in chunks)


def test_a_tilde_fence_and_a_longer_fence_are_closed_only_by_their_own_kind() -> None:
    text = "# Top\n\n~~~~\n```\n# still code\n~~~~\n\n# Next\nafter"

    chunks = markdown_chunks(path="a.md", text=text, max_chars=1500)

    assert [chunk.heading for chunk in chunks] == ["Top", "Next"]
    assert "# still code" in chunks[0].text


def test_an_unclosed_fence_runs_to_the_end_of_the_file() -> None:
    chunks = markdown_chunks(path="a.md", text="# Top\n```\n# code\n# more", max_chars=1500)

    assert [chunk.heading for chunk in chunks] == ["Top"]


def test_sections_with_only_a_heading_are_dropped() -> None:
    chunks = markdown_chunks(path="a.md", text="# One\n\n# Two\n\ntext\n\n# Three\n", max_chars=1500)

    assert [(chunk.heading, chunk.text) for chunk in chunks] == [("Two", "text")]
    assert chunks[0].position == 0


def test_a_thematic_break_after_a_blank_line_is_not_a_setext_heading() -> None:
    chunks = markdown_chunks(path="a.md", text="# Top\n\nBefore.\n\n---\n\nAfter.", max_chars=1500)

    assert [chunk.heading for chunk in chunks] == ["Top"]
    assert "After." in chunks[0].text


def test_a_long_section_is_split_at_paragraphs_under_max_chars() -> None:
    paragraphs = [f"Paragraph {number} " + "word " * 30 for number in range(10)]
    text = "# Guide\n\n" + "\n\n".join(paragraph.strip() for paragraph in paragraphs)

    chunks = markdown_chunks(path="guide.md", text=text, max_chars=400)

    assert len(chunks) > 1
    assert all(len(chunk.text) <= 400 for chunk in chunks)
    assert all(chunk.heading == "Guide" for chunk in chunks)
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
    # Cut between paragraphs, never inside one: every paragraph is whole in exactly one chunk.
    for paragraph in paragraphs:
        assert sum(paragraph.strip() in chunk.text for chunk in chunks) == 1


def test_a_paragraph_longer_than_max_chars_is_split_at_sentences() -> None:
    sentences = [f"Sentence {number} says something useful." for number in range(20)]

    chunks = markdown_chunks(path="a.md", text=" ".join(sentences), max_chars=120)

    assert all(len(chunk.text) <= 120 for chunk in chunks)
    for chunk in chunks:
        assert chunk.text.endswith("useful.")
    assert " ".join(chunk.text for chunk in chunks) == " ".join(sentences)


def test_text_without_any_boundary_is_still_cut_under_max_chars() -> None:
    chunks = markdown_chunks(path="a.md", text="x" * 250, max_chars=100)

    assert [len(chunk.text) for chunk in chunks] == [100, 100, 50]


def test_positions_count_from_zero_in_each_file() -> None:
    first = markdown_chunks(path="a.md", text="# A\none\n# B\ntwo", max_chars=1500)
    second = markdown_chunks(path="b.md", text="# C\nthree", max_chars=1500)

    assert [chunk.position for chunk in first] == [0, 1]
    assert [chunk.position for chunk in second] == [0]


def test_an_empty_document_has_no_chunks() -> None:
    assert markdown_chunks(path="a.md", text="", max_chars=1500) == []
    assert markdown_chunks(path="a.md", text="---\ntitle: x\n---\n\n  \n", max_chars=1500) == []
