"""compose.yaml's services: the one image, their commands, health, start order, Redis roles, volumes."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.deployment.compose_helpers import (
    INFRASTRUCTURE_SERVICES,
    LONG_RUNNING_SERVICES,
    PLATFORM_SERVICES,
    ROOT,
    SERVICES_AFTER_MIGRATE,
    command_words,
    environment_of,
    healthcheck_text,
    option_value,
    runs,
)
from tests.deployment.dockerfile_helpers import dockerfile_workdir


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


def test_mcp_serves_the_mcp_server_published_on_loopback_by_default(services, raw_compose):
    words = command_words(services["mcp"])
    assert runs(words, "python", "manage.py", "mcp"), f"mcp runs {words}"
    assert "--stdio" not in words
    assert option_value(words, "--port") == "8001"
    ports = [str(port) for port in raw_compose["services"]["mcp"].get("ports", [])]
    assert ports == ["${MCP_BIND:-127.0.0.1}:${MCP_PORT:-8001}:8001"]
    assert "/health/live" in healthcheck_text(services["mcp"])
    # The assistant in web calls the same tools: the write switch must reach both.
    for name in ("web", "mcp"):
        assert environment_of(services[name])["MCP_ALLOW_WRITE"] == "false", name


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


def test_flower_is_published_on_loopback_by_default(raw_compose):
    ports = [str(port) for port in raw_compose["services"]["flower"].get("ports", [])]
    assert ports, "flower publishes no port"
    assert all(port.startswith("${FLOWER_BIND:-127.0.0.1}:") for port in ports), ports


def test_web_shares_metrics_across_gunicorn_workers_and_guards_them(services, raw_compose):
    web = environment_of(services["web"])
    assert web.get("PROMETHEUS_MULTIPROC_DIR", "").startswith("/"), "web's workers would each report their own metrics"
    conf = (ROOT / "platform" / "docker" / "gunicorn.conf.py").read_text()
    for hook in ("def on_starting", "def child_exit"):
        assert hook in conf, f"gunicorn does not manage the metrics directory ({hook})"
    raw_web = environment_of(raw_compose["services"]["web"])
    assert raw_web["METRICS_TOKEN"] == "${METRICS_TOKEN:-}", "the metrics token must come from the operator"
    assert raw_web["METRICS_ALLOWED_NETWORKS"] == "${METRICS_ALLOWED_NETWORKS:-}"
    for name in ("worker", "beat", "flower"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in environment_of(services[name]), name


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
    # A full broker refuses publishes and acknowledgements (docs/reliability.md): watched, not capped.
    assert "--maxmemory" not in words
    assert any(str(volume).endswith(":/data") for volume in services["redis-broker"].get("volumes", []))


def test_cache_redis_evicts(services):
    words = command_words(services["redis-cache"])
    assert words[:1] == ["redis-server"]
    policy = option_value(words, "--maxmemory-policy")
    assert policy, "the cache Redis has no eviction policy"
    assert policy != "noeviction", "the cache Redis must evict"
    assert option_value(words, "--maxmemory"), "an eviction policy needs a memory limit"


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
