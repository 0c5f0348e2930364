"""Fixtures of the deployment tests: compose.yaml as read, and as interpolated for an operator."""

from __future__ import annotations

import pytest
import yaml

from tests.deployment.compose_helpers import COMPOSE_FILE, interpolate_tree, operator_environment


@pytest.fixture(scope="module")
def compose_text() -> str:
    assert COMPOSE_FILE.is_file(), "compose.yaml is missing at the repository root"
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def raw_compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def operator_env() -> dict[str, str]:
    return operator_environment()


@pytest.fixture(scope="module")
def compose(raw_compose, operator_env) -> dict:
    return interpolate_tree(raw_compose, operator_env)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]
