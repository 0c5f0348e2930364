"""The check table is what a health check runs and judges: its entries, in one SSH session."""

import pytest

from apps.integrations.ssh import HEALTH_COMMANDS, parse_meminfo
from apps.monitoring.choices import IncidentKind, Severity
from apps.monitoring.models import HealthCheck, Incident
from apps.monitoring.services import check_table, health_check_batch
from apps.monitoring.services import checks as sweep
from apps.monitoring.services.check_table import CHECKS, CheckSpec, Target
from apps.monitoring.services.incidents import FAMILIES
from apps.monitoring.services.problems import Problem


def target(*, docker: bool) -> Target:
    return Target(
        server_id=1,
        local=False,
        host="192.0.2.10",
        port=22,
        username="fleet",
        private_key=None,
        pinned_host_key=None,
        mounts=("/", "/srv/data"),
        docker=docker,
    )


@pytest.mark.parametrize("docker", [False, True])
def test_the_table_runs_exactly_the_integrations_health_commands(docker):
    commands = sweep.health_check_commands(target(docker=docker))

    assert commands == HEALTH_COMMANDS(["/", "/srv/data"], docker)


def test_each_entry_has_a_name_of_its_own_and_each_kind_one_family():
    names = [spec.name for spec in CHECKS]
    kinds = [kind for spec in CHECKS for kind in spec.kinds]

    assert len(names) == len(set(names))
    assert len(kinds) == len(set(kinds))
    assert all(spec.family and spec.kinds for spec in CHECKS if spec.judge is not None)
    assert FAMILIES[IncidentKind.MEMORY_WARNING] == FAMILIES[IncidentKind.MEMORY_CRITICAL] == "memory"
    assert FAMILIES[IncidentKind.DISK_WARNING] != FAMILIES[IncidentKind.MEMORY_WARNING]


def _judge_swap(memory) -> Problem | None:
    return Problem(IncidentKind.MEMORY_WARNING, Severity.WARNING, f"swap: {memory.swap_free_kb} kB free")


SWAP = CheckSpec(
    name="swap",
    command=lambda target: "cat /proc/meminfo",
    parse=lambda output: parse_meminfo(output.stdout),
    judge=_judge_swap,
    family="memory",
    kinds=(IncidentKind.MEMORY_WARNING, IncidentKind.MEMORY_CRITICAL),
)


@pytest.mark.django_db
def test_an_entry_added_to_the_table_is_run_in_the_same_session_recorded_and_judged(make_server, monkeypatch, settings):
    settings.DISK_WARNING_PERCENT = settings.DISK_CRITICAL_PERCENT = 101
    server = make_server()
    # The table with its memory entry swapped for a test entry judging swap in the memory family.
    monkeypatch.setattr(check_table, "CHECKS", (*(spec for spec in CHECKS if spec.name != "memory"), SWAP))
    sessions = []
    run_checks = sweep.run_checks

    def counted(**kwargs):
        sessions.append(list(kwargs["commands"]))
        return run_checks(**kwargs)

    monkeypatch.setattr(sweep, "run_checks", counted)

    health_check_batch(server_ids=[server.pk])

    assert sessions == [["disk", "load", "swap"]]
    figures = HealthCheck.objects.get(server=server).figures
    assert figures["swap"]["total_kb"] > 0
    assert "memory" not in figures
    incident = Incident.objects.get(server=server)
    assert (incident.kind, incident.message.startswith("swap: ")) == (IncidentKind.MEMORY_WARNING, True)
