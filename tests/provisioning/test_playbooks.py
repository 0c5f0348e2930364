"""The provisioning playbooks: syntax, ansible-lint, the baseline's work, and a real run of sandbox.yml.

Every Ansible process runs with HOME, ANSIBLE_HOME and the temp and cache directories under
tmp_path, and ansible-lint runs offline, so the tests write nothing outside tmp_path.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
ANSIBLE_DIR = ROOT / "platform" / "ansible"
TEST_PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
BIN = Path(sys.executable).parent
PLATFORM_PLAYBOOKS = ("baseline.yml", "sandbox.yml")

# Keys of a task that are not its module (https://docs.ansible.com/ansible/latest/reference_appendices/playbooks_keywords.html).
TASK_KEYWORDS = {
    "name", "when", "loop", "loop_control", "with_items", "register", "notify", "listen", "vars", "tags",
    "become", "become_user", "changed_when", "failed_when", "ignore_errors", "environment", "delegate_to",
    "run_once", "no_log", "check_mode", "diff", "args", "retries", "delay", "until", "block", "rescue", "always",
}  # fmt: skip


@pytest.fixture
def ansible_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an Ansible process: this checkout's ansible.cfg, every writable place under tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANSIBLE_", "ANSIBLE_LINT_")) and key != "VIRTUAL_ENV"
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
        ANSIBLE_HOME=str(home / ".ansible"),
        ANSIBLE_LOCAL_TEMP=str(home / "local-tmp"),
        ANSIBLE_REMOTE_TEMP=str(home / "remote-tmp"),
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
    )
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# --- syntax and lint ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "playbook",
    [ANSIBLE_DIR / name for name in PLATFORM_PLAYBOOKS] + sorted(TEST_PLAYBOOKS.glob("*.yml")),
    ids=lambda path: path.name,
)
def test_playbook_passes_the_syntax_check(playbook: Path, ansible_env, tmp_path):
    command = [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", str(playbook)]
    result = run(command, ansible_env, tmp_path)

    assert result.returncode == 0, output_of(result)


def test_test_playbooks_are_all_there():
    assert {path.name for path in TEST_PLAYBOOKS.glob("*.yml")} >= {"ok.yml", "fails.yml", "slow.yml", "bench.yml"}


def test_platform_playbooks_pass_ansible_lint_offline(ansible_env):
    # platform/ansible/.ansible-lint selects the production profile and offline mode.
    config = ANSIBLE_DIR / ".ansible-lint"
    result = run(
        [str(BIN / "ansible-lint"), "--offline", "-c", str(config), *PLATFORM_PLAYBOOKS], ansible_env, ANSIBLE_DIR
    )

    assert result.returncode == 0, output_of(result)
    assert yaml.safe_load(config.read_text())["profile"] == "production"


# --- what the baseline does -----------------------------------------------------------------
def baseline_play() -> dict:
    plays = yaml.safe_load((ANSIBLE_DIR / "baseline.yml").read_text())
    assert len(plays) == 1
    return plays[0]


def all_tasks(tasks: list[dict] | None) -> list[dict]:
    """Tasks with the tasks of their blocks, flattened."""
    found = []
    for task in tasks or []:
        found.append(task)
        for section in ("block", "rescue", "always"):
            found.extend(all_tasks(task.get(section)))
    return found


def module_calls(play: dict, *modules: str) -> list[dict]:
    """The arguments of every task and handler of `play` that calls one of `modules` (fully qualified)."""
    calls = []
    for task in all_tasks(play.get("pre_tasks")) + all_tasks(play.get("tasks")) + all_tasks(play.get("handlers")):
        for key, value in task.items():
            if key not in TASK_KEYWORDS and key in modules:
                calls.append({**(value if isinstance(value, dict) else {"_raw": value}), "_task": task})
    return calls


def as_list(value: object) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def installed_packages(play: dict) -> set[str]:
    names: set[str] = set()
    for call in module_calls(play, "ansible.builtin.apt", "ansible.builtin.package"):
        if call.get("state", "present") in ("present", "latest"):
            names.update(as_list(call.get("name")))
    return names


def file_contents(play: dict) -> dict[str, str]:
    """What the copy and template tasks write, by destination."""
    contents = {}
    for call in module_calls(play, "ansible.builtin.copy", "ansible.builtin.template"):
        if "content" in call:
            contents[call["dest"]] = call["content"]
        elif "src" in call:
            contents[call["dest"]] = (ANSIBLE_DIR / "templates" / call["src"]).read_text()
    return contents


def test_baseline_targets_every_host_as_root_and_refuses_other_os_families():
    play = baseline_play()

    assert play["hosts"] == "all"
    assert play["become"] is True
    asserts = [" ".join(call["that"]) for call in module_calls(play, "ansible.builtin.assert")]
    assert any("os_family" in that and "Debian" in that for that in asserts), asserts


def test_baseline_creates_a_deploy_user_without_password_and_with_the_platform_key():
    play = baseline_play()

    assert play["vars"]["deploy_user"] == "deploy"
    (user,) = [call for call in module_calls(play, "ansible.builtin.user") if "deploy_user" in call["name"]]
    assert "password" not in user or user.get("password_lock") is True
    keys = module_calls(play, "ansible.posix.authorized_key")
    assert any("deploy_user" in key["user"] and "platform_ssh_public_key" in key["key"] for key in keys), keys


def test_baseline_hardens_sshd_with_a_validated_config_and_restarts_it():
    play = baseline_play()

    sshd_writes = [
        call
        for call in module_calls(play, "ansible.builtin.copy", "ansible.builtin.template", "ansible.builtin.lineinfile")
        if str(call.get("dest", call.get("path", ""))).startswith("/etc/ssh/sshd_config")
    ]
    assert sshd_writes
    assert all("sshd -t" in call.get("validate", "") for call in sshd_writes), "every sshd write is validated"
    text = "\n".join(
        content for dest, content in file_contents(play).items() if dest.startswith("/etc/ssh/sshd_config")
    )
    settings = dict(re.findall(r"^\s*(\w+)\s+(\S+)", text, flags=re.MULTILINE))
    assert settings.get("PasswordAuthentication") == "no"
    assert settings.get("KbdInteractiveAuthentication") == "no"
    assert settings.get("PermitRootLogin") == "prohibit-password"
    notified = {name for call in sshd_writes for name in as_list(call["_task"].get("notify"))}
    restarts = [
        call
        for call in module_calls(play, "ansible.builtin.service", "ansible.builtin.systemd_service")
        if call["_task"] in play["handlers"] and call["name"] in ("ssh", "sshd")
    ]
    assert restarts, "a handler restarts or reloads ssh"
    assert restarts[0]["state"] in ("restarted", "reloaded")
    assert notified & {restarts[0]["_task"]["name"], restarts[0]["_task"].get("listen")}


def test_baseline_turns_on_unattended_security_updates():
    play = baseline_play()

    assert "unattended-upgrades" in installed_packages(play)
    periodic = file_contents(play)["/etc/apt/apt.conf.d/20auto-upgrades"]
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic


def test_baseline_installs_starts_and_enables_docker():
    play = baseline_play()

    assert installed_packages(play) & {"docker.io", "docker-ce"}
    services = module_calls(play, "ansible.builtin.service", "ansible.builtin.systemd_service")
    assert any(s["name"] == "docker" and s.get("state") == "started" and s.get("enabled") is True for s in services)


def test_baseline_firewall_allows_ssh_denies_other_incoming_and_is_enabled():
    play = baseline_play()

    assert "ufw" in installed_packages(play)
    rules = module_calls(play, "community.general.ufw")
    allows = [rule for rule in rules if rule.get("rule") == "allow"]
    assert allows
    # The port is `ansible_port | default(22)`, directly or through a play variable.
    port = str(allows[0]["port"])
    port += "".join(str(value) for name, value in play.get("vars", {}).items() if name in port)
    assert "ansible_port" in port, port
    assert "22" in port, port
    # default: deny for direction: incoming, given directly or through the task's loop.
    defaults = [str(rule["_task"].get("loop", rule)) for rule in rules if "default" in rule]
    assert any("deny" in text and "incoming" in text for text in defaults), defaults
    assert any(rule.get("state") == "enabled" for rule in rules)
    enabled_at = next(i for i, rule in enumerate(rules) if rule.get("state") == "enabled")
    assert rules.index(allows[0]) < enabled_at, "SSH is allowed before the firewall is enabled"


# --- sandbox.yml, for real ------------------------------------------------------------------
def run_sandbox(extra_vars: dict, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-e",
            json.dumps(extra_vars),
            str(ANSIBLE_DIR / "sandbox.yml"),
        ],
        env,
        cwd,
    )


def files_under(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*")}


def test_sandbox_playbook_writes_a_facts_summary_under_the_var_dir_only(ansible_env, tmp_path):
    var_dir, work_dir = tmp_path / "var", tmp_path / "work"
    work_dir.mkdir()
    extra = {"platform_var_dir": str(var_dir), "platform_work_dir": str(work_dir), "platform_run_id": 42}
    extra |= {"platform_server_name": "sandbox-1", "platform_ssh_public_key": "ssh-ed25519 AAAA test"}

    result = run_sandbox(extra, ansible_env, tmp_path)

    assert result.returncode == 0, output_of(result)
    summary_path = var_dir / "sandbox-hosts" / "sandbox-1.json"
    summary = json.loads(summary_path.read_text())
    assert summary["run_id"] == 42
    assert summary["server_name"] == "sandbox-1"
    assert summary["hostname"] == socket.gethostname().split(".")[0]
    assert summary["distribution"]
    assert summary["kernel"] == os.uname().release
    assert summary["cpu_count"] >= 1
    assert summary["memory_mb"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", summary["recorded_at"])
    assert (summary_path.parent.stat().st_mode & 0o777, summary_path.stat().st_mode & 0o777) == (0o750, 0o640)
    # Besides Ansible's own home and temp directories, the summary is all there is.
    assert {path for path in files_under(tmp_path) if path.split("/")[0] != "home"} == {
        "var",
        "var/sandbox-hosts",
        "var/sandbox-hosts/sandbox-1.json",
        "work",
    }


def test_sandbox_playbook_keeps_a_hostile_server_name_inside_the_var_dir(ansible_env, tmp_path):
    var_dir = tmp_path / "deep" / "var"
    extra = {"platform_var_dir": str(var_dir), "platform_run_id": 7, "platform_server_name": "../../x/ y"}

    result = run_sandbox(extra, ansible_env, tmp_path)

    assert result.returncode == 0, output_of(result)
    (written,) = (var_dir / "sandbox-hosts").iterdir()
    assert not written.name.startswith(".")
    assert json.loads(written.read_text())["server_name"] == "../../x/ y"
    assert files_under(tmp_path / "deep") == {"var", "var/sandbox-hosts", f"var/sandbox-hosts/{written.name}"}


def test_sandbox_playbook_refuses_a_relative_var_dir(ansible_env, tmp_path):
    extra = {"platform_var_dir": "var", "platform_run_id": 1, "platform_server_name": "sandbox-1"}

    result = run_sandbox(extra, ansible_env, tmp_path)

    assert result.returncode != 0
    assert "must be an absolute path" in result.stdout + result.stderr, output_of(result)
    assert not (tmp_path / "var").exists()
