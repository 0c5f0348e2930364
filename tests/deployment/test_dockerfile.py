"""The image compose.yaml builds: platform/docker/Dockerfile, its gunicorn configuration, .dockerignore."""

from __future__ import annotations

import re
import runpy

from tests.deployment.compose_helpers import ROOT
from tests.deployment.dockerfile_helpers import dockerfile_instructions, final_stage


# --- The Dockerfile -----------------------------------------------------------------------------
def test_dockerfile_is_based_on_python_311_slim():
    instructions = dockerfile_instructions()
    arguments = {}
    for keyword, value in instructions:
        if keyword == "ARG" and "=" in value:
            name, default = value.split("=", 1)
            arguments.setdefault(name, default)
    images = []
    for keyword, value in instructions:
        if keyword == "FROM":
            image = value.split()[0]
            images.append(re.sub(r"\$\{(\w+)\}", lambda match: arguments.get(match.group(1), ""), image))
    assert images, "the Dockerfile has no FROM"
    assert all(image.startswith("python:3.11-slim") for image in images), images


def test_dockerfile_runs_as_a_non_root_user():
    users = [value for keyword, value in final_stage() if keyword == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_installs_the_pinned_requirements():
    runs_ = [value for keyword, value in dockerfile_instructions() if keyword == "RUN"]
    assert any("pip install" in run and re.search(r"-r\s+\S*requirements/base\.txt", run) for run in runs_)
    assert not any(re.search(r"pip install(?!.*-r\s)", run) for run in runs_), "a pip install outside base.txt"


def test_dockerfile_installs_openssh_client_and_collects_static_files():
    runs_ = " ".join(value for keyword, value in final_stage() if keyword == "RUN")
    assert "openssh-client" in runs_
    assert "collectstatic" in runs_


def test_dockerfile_serves_gunicorn_on_port_8000():
    stage = final_stage()
    assert any(keyword == "EXPOSE" and "8000" in value.split() for keyword, value in stage)
    commands = [value for keyword, value in stage if keyword == "CMD"]
    assert commands, "the image has no default command"
    assert "gunicorn" in commands[-1]
    assert "config.wsgi:application" in commands[-1]
    assert "platform/docker/gunicorn.conf.py" in commands[-1]


def test_gunicorn_configuration_reads_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2")
    config = runpy.run_path(str(ROOT / "platform" / "docker" / "gunicorn.conf.py"))
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] == 5
    assert config["forwarded_allow_ips"] == "10.0.0.2"
    assert config["accesslog"] == "-"
    assert config["timeout"] > 0


def test_dockerignore_keeps_local_state_out_of_the_image():
    patterns = {
        line.strip().strip("/").removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    missing = {".venv", "var", ".git", "__pycache__", ".env", ".pytest_cache"} - patterns
    assert not missing, f".dockerignore does not exclude {sorted(missing)}"
