"""The servers app owns its rows and the provider adapters own their providers: read from the
source, so a change that writes Server rows from another app, or names a provider outside its
adapter, fails here. And the lifecycle moves keep to their table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.services import server_lifecycle_move
from apps.servers.services.state import LIFECYCLE_MOVES
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db  # this directory's fixtures reset circuits in the database

ROOT = Path(__file__).resolve().parents[2]
WRITES = {"update", "bulk_update", "bulk_create", "save", "delete", "create", "get_or_create", "update_or_create"}
# The apps allowed to write Server rows: the servers app itself, and the sandbox, whose own fake
# provider rows (SandboxServer) are a different model that its variables also call `server`.
OWNERS = ("apps/servers/", "apps/sandbox/")
# Where a provider may be named: its adapter, the registry, and the sandbox that plays one.
PROVIDER_HOMES = (
    "apps/integrations/providers/time4vps/",
    "apps/integrations/providers/hetzner/",
    "apps/integrations/providers/sandbox.py",
    "apps/integrations/providers/registry.py",
    "apps/sandbox/",
)


def _sources(*roots: str):
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, path.read_text()


def _receiver_names(node: ast.AST):
    """The names along a call chain's receiver: Server.objects.filter(...).update -> Server, objects, filter."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            yield node.attr
            node = node.value
        elif isinstance(node, ast.Name):
            yield node.id
            return
        else:
            return


def test_no_app_but_servers_writes_server_rows():
    offenders = []
    for relative, text in _sources("apps", "tasks"):
        if relative.startswith(OWNERS):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                names = list(_receiver_names(node.func.value))
                if "Server" in names or (node.func.attr == "save" and names[-1:] == ["server"]):
                    offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


def test_no_code_outside_an_adapter_names_a_provider():
    pattern = re.compile(r"time4vps|hetzner", re.IGNORECASE)
    offenders = [
        f"{relative}:{text[: match.start()].count(chr(10)) + 1}"
        for relative, text in _sources("apps", "tasks")
        if not relative.startswith(PROVIDER_HOMES)
        for match in pattern.finditer(text)
    ]
    assert offenders == []


def test_a_move_the_table_does_not_allow_changes_nothing():
    server = Server.objects.create(provider_account=provider_account(), provider_id="1", lifecycle=Lifecycle.REMOVED)

    moved = [to for to in LIFECYCLE_MOVES if server_lifecycle_move(server_id=server.pk, to=to, reason="late")]

    server.refresh_from_db()
    assert moved == []
    assert server.lifecycle == Lifecycle.REMOVED
    assert server.lifecycle_reason == ""


def test_a_move_keeps_or_sets_the_reason_and_only_from_narrows_it():
    server = Server.objects.create(provider_account=provider_account(), provider_id="1", lifecycle=Lifecycle.READY)

    assert not server_lifecycle_move(server_id=server.pk, to=Lifecycle.FAILED, only_from=[Lifecycle.PENDING_SETUP])
    assert server_lifecycle_move(server_id=server.pk, to=Lifecycle.FAILED, reason="run #3 failed")
    assert server_lifecycle_move(server_id=server.pk, to=Lifecycle.PROVISIONING, reason=None)

    server.refresh_from_db()
    assert server.lifecycle == Lifecycle.PROVISIONING
    assert server.lifecycle_reason == "run #3 failed"
