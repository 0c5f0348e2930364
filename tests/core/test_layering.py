"""Imports point one way: apps/core sits below apps/audit (which imports it), and nothing in apps/
or tasks/ imports the Django project (config/). Read from the source, so an import inside a
function counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute or relative (resolved against its package)."""
    package = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def importers_of(top: str, *, under: str) -> dict[str, list[str]]:
    """{file: [imported modules]} for the files below `under` that import `top` or a submodule."""
    found = {}
    for path in sorted((REPO_ROOT / under).rglob("*.py")):
        hits = sorted(name for name in imported_modules(path) if name == top or name.startswith(f"{top}."))
        if hits:
            found[str(path.relative_to(REPO_ROOT))] = hits
    return found


def test_the_importer_finds_absolute_relative_and_nested_imports(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.REPO_ROOT", tmp_path)
    module = tmp_path / "apps" / "core" / "example.py"
    module.parent.mkdir(parents=True)
    module.write_text("import apps.audit\nfrom .. import audit\n\ndef f():\n    from apps.audit.services import x\n")

    assert importers_of("apps.audit", under="apps/core") == {
        "apps/core/example.py": ["apps.audit", "apps.audit.services", "apps.audit.services.x"]
    }


def test_core_never_imports_audit():
    # The sync-run framework (apps/syncs) and "run now" (apps/scheduling) write the audit trail
    # from above it (docs/adr/0008-sync-runs-home.md).
    assert importers_of("apps.audit", under="apps/core") == {}


@pytest.mark.parametrize("under", ["apps", "tasks"])
def test_apps_and_tasks_never_import_the_django_project(under):
    assert importers_of("config", under=under) == {}
