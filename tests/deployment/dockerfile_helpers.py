"""Reading platform/docker/Dockerfile: its instructions, its final stage, its WORKDIR."""

from __future__ import annotations

from tests.deployment.compose_helpers import ROOT


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = (ROOT / "platform" / "docker" / "Dockerfile").read_text()
    instructions, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def dockerfile_workdir() -> str:
    workdirs = [arguments for keyword, arguments in final_stage() if keyword == "WORKDIR"]
    assert workdirs, "the final stage sets no WORKDIR"
    return workdirs[-1].rstrip("/")
