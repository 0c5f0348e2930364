"""`make run` serves the MCP server: the Procfile's `mcp` line, run as honcho runs it, answers a
real MCP client; and the API root's address for it comes from one function."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import REPO_ROOT, subprocess_env
from tests.fakes.ports import free_port
from tests.mcp_server.client import tool_names
from tests.mcp_server.conftest import token_for
from tests.mcp_server.process import McpProcess

PROCFILE = REPO_ROOT / "Procfile"


def procfile_command(name: str, env: dict[str, str]) -> list[str]:
    line = next(line for line in PROCFILE.read_text().splitlines() if line.startswith(f"{name}:"))
    command = line.split(":", 1)[1].strip()
    # ${NAME:-default}, as the shell honcho starts expands it.
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1), m.group(2)), command)
    words = shlex.split(command)
    # `exec`: the shell honcho starts becomes the process itself (so a signal reaches it).
    return words[1:] if words[:1] == ["exec"] else words


def test_the_procfile_starts_the_mcp_server_on_mcp_port():
    words = procfile_command("mcp", {})

    assert words[1:3] == ["manage.py", "mcp"]
    assert "--stdio" not in words
    assert words[words.index("--port") + 1] == "8001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_procfiles_mcp_process_answers_a_real_client(django_db_blocker, tmp_path):
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(MCP_PORT=str(port))
    server = McpProcess(env, tmp_path / "mcp.log", command=procfile_command("mcp", env), port=port)
    try:
        names = tool_names(server.url, token_for("viewer"), mode="legacy")
    finally:
        server.stop()

    assert "list_servers" in names
