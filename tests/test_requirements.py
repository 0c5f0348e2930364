"""Every requirement the project installs is pinned, and every direct dependency is compiled in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
PINNED = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.!+_-]+)$")
NAME = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines: comments (including indented "# via" lines), blanks and options dropped."""
    lines = []
    for line in path.read_text().splitlines():
        stripped = line.split(" #", 1)[0].strip()
        if not stripped or stripped.startswith(("#", "-")):
            continue
        lines.append(stripped)
    return lines


def pinned_versions(path: Path) -> dict[str, str]:
    pins = {}
    for line in requirement_lines(path):
        match = PINNED.match(line)
        if match:
            pins[normalize(match.group("name"))] = match.group("version")
    return pins


def direct_dependencies(path: Path) -> list[str]:
    return [normalize(NAME.match(line).group("name")) for line in requirement_lines(path)]


def test_requirement_line_parsing():
    assert PINNED.match("django==5.2.8")
    assert not PINNED.match("django>=5.2")
    assert not PINNED.match("celery[redis]==5.5.0")
    assert NAME.match("celery[redis]").group("name") == "celery"
    assert normalize("Django_Celery.Beat") == "django-celery-beat"


@pytest.mark.parametrize("compiled", ["base.txt", "dev.txt", "semantic.txt"])
def test_every_requirement_is_pinned(compiled):
    lines = requirement_lines(REQUIREMENTS / compiled)
    assert lines, f"{compiled} lists no requirement"
    unpinned = [line for line in lines if not PINNED.match(line)]
    assert not unpinned, f"{compiled} has requirements not pinned as name==version: {unpinned}"


@pytest.mark.parametrize(
    ("source", "compiled"), [("base.in", "base.txt"), ("dev.in", "dev.txt"), ("semantic.in", "semantic.txt")]
)
def test_every_direct_dependency_is_compiled(source, compiled):
    pins = pinned_versions(REQUIREMENTS / compiled)
    missing = [name for name in direct_dependencies(REQUIREMENTS / source) if name not in pins]
    assert not missing, f"{source} names {missing}, missing from {compiled}: run pip-compile"


# `make test` installs the three files in one pip call: a package pinned twice at two versions
# makes that call fail before any test runs.
@pytest.mark.parametrize(
    ("first", "second"), [("base.txt", "dev.txt"), ("base.txt", "semantic.txt"), ("dev.txt", "semantic.txt")]
)
def test_pins_agree_across_files(first, second):
    one = pinned_versions(REQUIREMENTS / first)
    other = pinned_versions(REQUIREMENTS / second)
    disagree = {name: (one[name], version) for name, version in other.items() if name in one and one[name] != version}
    assert not disagree, f"{second} pins differ from {first} ({first}, {second}): {disagree}"
