"""What an operator checks in compose.yaml and the image it builds, without Docker.

compose.yaml is read with PyYAML (anchors and merge keys resolved) and its `${VAR}` references
are interpolated the way Compose does, with a made-up operator environment; the result is held
to the same production rules that config/settings.py enforces at start.
"""

from __future__ import annotations

import base64
import configparser
import os
import re
import runpy
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import yaml
from django.conf import settings

from config import environment

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"

INFRASTRUCTURE_SERVICES = ("postgres", "redis-broker", "redis-cache")
PLATFORM_SERVICES = ("migrate", "web", "worker", "beat", "flower")
LONG_RUNNING_SERVICES = ("postgres", "redis-broker", "redis-cache", "web", "worker", "beat", "flower")
SERVICES_AFTER_MIGRATE = ("web", "worker", "beat")
# What config/settings.py refuses to start production without (config/environment.py).
PRODUCTION_VARIABLES = (
    "ENVIRONMENT",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "FIELD_ENCRYPTION_KEYS",
)
# Never given a value in the file: each reference must be `${NAME:?message}`.
SECRET_VARIABLES = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "POSTGRES_PASSWORD",
    "BOOTSTRAP_ADMIN_PASSWORD",
    "FLOWER_BASIC_AUTH",
)
# What compose must refuse to start without.
REQUIRED_OPERATOR_VARIABLES = (*SECRET_VARIABLES, "ALLOWED_HOSTS")


def _operator_environment() -> dict[str, str]:
    """A valid production environment, as an operator's .env would give it."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "platform.example.com,.example.org",
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "BOOTSTRAP_ADMIN_PASSWORD": secrets.token_urlsafe(24),
        "FLOWER_BASIC_AUTH": f"ops:{secrets.token_urlsafe(16)}",
    }


# --- Compose interpolation ----------------------------------------------------------------
_REFERENCE = re.compile(
    r"\$\$"
    r"|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariableError(Exception):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        operator = match.group("operator")
        value = env.get(name)
        if operator in (":-", "-"):
            use_default = value is None or (operator == ":-" and value == "")
            return match.group("argument") if use_default else value
        if operator in (":?", "?"):
            if value is None or (operator == ":?" and value == ""):
                raise MissingVariableError(f"{name}: {match.group('argument')}")
            return value
        return value or ""

    return _REFERENCE.sub(replace, text)


def interpolate_tree(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


def secret_references_with_a_default(text: str) -> list[str]:
    """Every reference to a secret variable that is not `${NAME:?message}`."""
    problems = []
    for match in _REFERENCE.finditer(text):
        name = match.group("name") or match.group("bare")
        if name in SECRET_VARIABLES and match.group("operator") != ":?":
            problems.append(match.group(0))
    return problems


# --- Reading the file ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose_text() -> str:
    assert COMPOSE_FILE.is_file(), "compose.yaml is missing at the repository root"
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def raw_compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def operator_env() -> dict[str, str]:
    return _operator_environment()


@pytest.fixture(scope="module")
def compose(raw_compose, operator_env) -> dict:
    return interpolate_tree(raw_compose, operator_env)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command_words(service: dict) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    words = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    if len(words) == 3 and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and words[1] == "-c":
        words = shlex.split(words[2])
    return words


def option_value(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return None


def runs(words: list[str], *program: str) -> bool:
    """`words` starts with `program` (a program with its arguments, e.g. celery -A tasks beat)."""
    return words[: len(program)] == list(program)


def healthcheck_text(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")


# --- The interpolation helpers themselves --------------------------------------------------
def test_interpolation_follows_compose_rules():
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("$$HOSTNAME ${SET} $SET", env) == "$HOSTNAME value value"
    assert interpolate("${EMPTY:-fallback} ${EMPTY-fallback} ${UNSET-fallback}", env) == "fallback  fallback"
    with pytest.raises(MissingVariableError):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${SET:?needed}", env) == "value"


def test_secret_default_detector_flags_defaults():
    assert secret_references_with_a_default("${SECRET_KEY:-insecure} $POSTGRES_PASSWORD ${FLOWER_BASIC_AUTH}") == [
        "${SECRET_KEY:-insecure}",
        "$POSTGRES_PASSWORD",
        "${FLOWER_BASIC_AUTH}",
    ]
    assert secret_references_with_a_default("${SECRET_KEY:?set it} ${POSTGRES_USER:-platform}") == []


# --- Structure ------------------------------------------------------------------------------
def test_compose_file_uses_the_compose_specification(raw_compose):
    assert "version" not in raw_compose, "the Compose Specification has no `version:` key"
    assert isinstance(raw_compose.get("services"), dict)


def test_every_service_exists(services):
    missing = set(INFRASTRUCTURE_SERVICES + PLATFORM_SERVICES) - set(services)
    assert not missing, f"services missing from compose.yaml: {sorted(missing)}"


def test_infrastructure_images(services):
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis-broker"]["image"].startswith("redis:7")
    assert services["redis-cache"]["image"].startswith("redis:7")


def test_platform_services_build_the_one_image(services):
    images = set()
    for name in PLATFORM_SERVICES:
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name} does not build the platform image"
        context = ROOT / build.get("context", ".")
        assert context.resolve() == ROOT, f"{name} builds with context {build.get('context')}, not the repository root"
        assert build.get("dockerfile") == "platform/docker/Dockerfile", f"{name} builds another Dockerfile"
        assert (context / build["dockerfile"]).is_file()
        images.add(services[name].get("image"))
    assert len(images) == 1, f"platform services tag different images: {images}"


# --- Commands -------------------------------------------------------------------------------
def test_web_runs_gunicorn_with_the_wsgi_application(services):
    words = command_words(services["web"])
    assert words[:1] == ["gunicorn"], f"web runs {words}"
    assert "config.wsgi:application" in words
    config_file = option_value(words, "--config", "-c")
    assert config_file, "web does not pass gunicorn its configuration file"
    assert (ROOT / config_file).is_file(), f"{config_file} does not exist"
    ports = [str(port) for port in services["web"].get("ports", [])]
    assert any(port.endswith(":8000") for port in ports), f"web publishes {ports}, not port 8000"


def test_worker_consumes_every_queue(services):
    words = command_words(services["worker"])
    assert runs(words, "celery", "-A", "tasks", "worker"), f"worker runs {words}"
    queues = option_value(words, "-Q", "--queues")
    assert queues, "the worker names no queues: it would consume only Celery's default queue"
    assert set(queues.split(",")) == set(settings.CELERY_TASK_QUEUE_NAMES)
    assert set(settings.CELERY_TASK_QUEUE_NAMES) == {"default", "sync", "health", "provisioning"}
    concurrency = option_value(words, "--concurrency", "-c")
    assert concurrency, "worker concurrency is not set (from the environment)"
    assert concurrency.isdigit(), f"worker concurrency is {concurrency!r}"


def test_beat_runs_celery_beat(services):
    words = command_words(services["beat"])
    assert runs(words, "celery", "-A", "tasks", "beat"), f"beat runs {words}"


def test_exactly_one_beat(services):
    replicas = (services["beat"].get("deploy") or {}).get("replicas", 1)
    assert int(replicas) == 1, "two beats send every periodic task twice"
    schedulers = []
    for name, service in services.items():
        words = command_words(service)
        if runs(words, "celery", "-A", "tasks", "beat") or (
            runs(words, "celery", "-A", "tasks", "worker") and ({"-B", "--beat"} & set(words))
        ):
            schedulers.append(name)
    assert schedulers == ["beat"], f"services that run a beat scheduler: {schedulers}"


def test_flower_requires_basic_auth(services, operator_env):
    flower = services["flower"]
    words = command_words(flower)
    assert runs(words, "celery", "-A", "tasks", "flower"), f"flower runs {words}"
    from_option = option_value(words, "--basic-auth", "--basic_auth")
    from_environment = environment_of(flower).get("FLOWER_BASIC_AUTH")
    assert operator_env["FLOWER_BASIC_AUTH"] in (from_option, from_environment), (
        "flower's basic auth does not come from the operator's FLOWER_BASIC_AUTH"
    )


def test_migrate_is_one_shot_and_idempotent(services):
    migrate = services["migrate"]
    words = command_words(migrate)
    text = " ".join(words)
    steps = ["manage.py migrate", "manage.py register_periodic_tasks", "manage.py bootstrap_admin"]
    positions = [text.find(step) for step in steps]
    assert all(position >= 0 for position in positions), f"migrate runs {text!r}"
    assert positions == sorted(positions), "migrate runs its steps out of order"
    assert "--noinput" in words
    assert words.count("&&") == len(steps) - 1, "a failed step must stop the ones after it (&&)"
    assert str(migrate.get("restart", "no")) == "no"


# --- Health, restarts, order ------------------------------------------------------------------
@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_has_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck") or {}
    assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
    test = healthcheck.get("test")
    assert test, f"{name} has no healthcheck"
    assert test != ["NONE"], f"{name} has no healthcheck"


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_restarts(services, name):
    assert services[name].get("restart") in ("unless-stopped", "always"), f"{name} is not restarted"


def test_healthchecks_probe_what_matters(services):
    assert "pg_isready" in healthcheck_text(services["postgres"])
    assert "redis-cli" in healthcheck_text(services["redis-broker"])
    assert "ping" in healthcheck_text(services["redis-broker"])
    assert "redis-cli" in healthcheck_text(services["redis-cache"])
    web = healthcheck_text(services["web"])
    assert "/health/ready" in web
    # Django answers 400 to a Host outside ALLOWED_HOSTS: the probe must send one of them.
    assert "ALLOWED_HOSTS" in web
    assert "curl" not in web, "python:3.11-slim has no curl"
    assert "inspect ping" in healthcheck_text(services["worker"])


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_platform_services_wait_for_healthy_infrastructure(services, name):
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name} depends_on has no conditions"
    for dependency in INFRASTRUCTURE_SERVICES:
        assert (depends_on.get(dependency) or {}).get("condition") == "service_healthy", (
            f"{name} does not wait for {dependency} to be healthy"
        )


@pytest.mark.parametrize("name", SERVICES_AFTER_MIGRATE)
def test_services_wait_for_migrate(services, name):
    depends_on = services[name].get("depends_on") or {}
    assert (depends_on.get("migrate") or {}).get("condition") == "service_completed_successfully"


def test_service_healthy_conditions_point_at_healthchecks(services):
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        if not isinstance(depends_on, dict):
            continue
        for dependency, spec in depends_on.items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            if (spec or {}).get("condition") == "service_healthy":
                assert services[dependency].get("healthcheck"), f"{dependency} has no healthcheck to wait for"


# --- Redis roles ------------------------------------------------------------------------------
def test_broker_redis_never_evicts_and_persists(services):
    words = command_words(services["redis-broker"])
    assert words[:1] == ["redis-server"]
    assert option_value(words, "--maxmemory-policy") == "noeviction", "an evicting broker loses queued tasks"
    assert option_value(words, "--appendonly") == "yes", "queued tasks must survive a Redis restart"
    assert any(str(volume).endswith(":/data") for volume in services["redis-broker"].get("volumes", []))


def test_cache_redis_evicts(services):
    words = command_words(services["redis-cache"])
    assert words[:1] == ["redis-server"]
    policy = option_value(words, "--maxmemory-policy")
    assert policy, "the cache Redis has no eviction policy"
    assert policy != "noeviction", "the cache Redis must evict"
    assert option_value(words, "--maxmemory"), "an eviction policy needs a memory limit"


# --- Environment ------------------------------------------------------------------------------
def test_no_secret_has_a_default(compose_text):
    for name in SECRET_VARIABLES:
        assert re.search(rf"\$\{{{name}:\?", compose_text), f"{name} is never required with ${{{name}:?...}}"
    problems = secret_references_with_a_default(compose_text)
    assert not problems, f"secret references without `:?`: {problems}"


@pytest.mark.parametrize("name", REQUIRED_OPERATOR_VARIABLES)
def test_compose_refuses_to_start_without(raw_compose, operator_env, name):
    env = {key: value for key, value in operator_env.items() if key != name}
    with pytest.raises(MissingVariableError, match=name):
        interpolate_tree(raw_compose, env)
    with pytest.raises(MissingVariableError, match=name):
        interpolate_tree(raw_compose, {**env, name: ""})


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_platform_service_environment_passes_the_production_rules(services, operator_env, name):
    env = environment_of(services[name])
    missing = [variable for variable in PRODUCTION_VARIABLES if not env.get(variable)]
    assert not missing, f"{name} lacks {missing}"
    assert env["ENVIRONMENT"] == "production"
    problems = environment.production_problems(
        secret_key=env["SECRET_KEY"],
        debug=environ.Env.parse_value(env.get("DEBUG") or "false", bool),
        allowed_hosts=environ.Env.parse_value(env["ALLOWED_HOSTS"], list),
        database_url=env["DATABASE_URL"],
        broker_url=env["CELERY_BROKER_URL"],
        cache_url=env["CACHE_URL"],
        field_encryption_keys=environ.Env.parse_value(env["FIELD_ENCRYPTION_KEYS"], list),
        cors_allowed_origins=environ.Env.parse_value(env.get("CORS_ALLOWED_ORIGINS", ""), list),
    )
    assert not problems, f"{name} would refuse to start: {problems}"
    # The operator's values arrive unchanged: nothing in the file stands in for them.
    for variable in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"):
        assert env[variable] == operator_env[variable], f"{name} does not take {variable} from the operator"


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_platform_services_reach_the_compose_services(services, operator_env, name):
    env = environment_of(services[name])
    postgres = environment_of(services["postgres"])
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme in environment.PRODUCTION_DATABASE_SCHEMES
    assert database.hostname == "postgres"
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == operator_env["POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    assert urlsplit(env["CELERY_BROKER_URL"]).hostname == "redis-broker"
    assert urlsplit(env["CACHE_URL"]).hostname == "redis-cache"


def test_bootstrap_admin_password_reaches_migrate(services, operator_env):
    env = environment_of(services["migrate"])
    assert env.get("BOOTSTRAP_ADMIN_PASSWORD") == operator_env["BOOTSTRAP_ADMIN_PASSWORD"]


# --- Volumes ----------------------------------------------------------------------------------
def _named_volume_targets(service: dict, declared: set[str]) -> dict[str, str]:
    targets = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            source, target = volume.get("source"), volume.get("target")
        else:
            source, _, target = str(volume).partition(":")
            target = target.split(":")[0]
        if source in declared:
            targets[target] = source
    return targets


def test_state_lives_in_named_volumes(compose, services):
    declared = set(compose.get("volumes") or {})
    assert "/var/lib/postgresql/data" in _named_volume_targets(services["postgres"], declared)
    assert "/data" in _named_volume_targets(services["redis-broker"], declared)
    var_dir = f"{dockerfile_workdir()}/var"
    for name in ("migrate", "web", "worker", "beat"):
        assert var_dir in _named_volume_targets(services[name], declared), f"{name} does not mount {var_dir}"


# --- The Dockerfile -----------------------------------------------------------------------------
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


# --- platform/ --------------------------------------------------------------------------------
def test_ansible_configuration_checks_host_keys():
    config = configparser.ConfigParser()
    config.read(ROOT / "platform" / "ansible" / "ansible.cfg")
    defaults = config["defaults"]
    assert defaults.getboolean("host_key_checking") is True
    assert defaults.getboolean("retry_files_enabled") is False
    assert defaults.get("roles_path") == "roles"


def test_platform_folder_does_not_shadow_the_standard_library():
    assert not (ROOT / "platform" / "__init__.py").exists(), "platform/ must not be a Python package"
    # A fresh interpreter: this one imported the standard library's platform long ago.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import platform; "
            "print(platform.python_version()); print(platform.__file__)",
            str(ROOT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    version, module_file = result.stdout.split()
    assert version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert not Path(module_file).resolve().is_relative_to(ROOT), f"platform imported from {module_file}"
