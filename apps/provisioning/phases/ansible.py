"""Phase 4, Ansible: run the run's playbook against this one host through ansible-runner.

The inventory is built here (one host); SSH servers are reached with the platform's key (handed to
ssh-agent, never written to a file) and their pinned host key (strict checking); `local` servers
run with Ansible's local connection, restricted to the allowlisted playbooks. Events are stored as
they arrive; the cancel callback stops the playbook within seconds of a cancel or of another
attempt taking the run over (the lease keeper, services/lease.py, finds the run is no longer this
attempt's). The playbook starts only after `effect_begin` confirmed, under a live lease, that the
run is still this attempt's; what it did is recorded fenced, so a superseded attempt records nothing.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.integrations.ansible import run_playbook
from apps.provisioning.models import ProvisioningEvent, ProvisioningRun
from apps.provisioning.services.ansible_processes import ansible_process_record, ansible_process_stop
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.events import EventRecorder
from apps.provisioning.services.phase_results import Done, PhaseError, Superseded, Wait
from apps.provisioning.services.playbooks import playbook_check, playbook_dir
from apps.provisioning.services.targets import platform_key_for
from apps.provisioning.services.workdirs import private_dir_prefix, run_dirs_remove, work_dir_prefix, work_root
from apps.servers.choices import Connection
from apps.servers.models import Server
from apps.servers.ssh_targets import ssh_address_problem


class CancelWatch:
    """ansible-runner's cancel callback (called about every second): True once the run is no
    longer this attempt's (canceled by an operator, or taken over after its lease ran out), as the
    lease keeper found."""

    def __init__(self, ctx: PhaseContext) -> None:
        self.ctx = ctx

    def __call__(self) -> bool:
        return self.ctx.lost

    @property
    def lost(self) -> bool:
        return self.ctx.lost


class ControllerErrorWatch:
    """Remembers the last OS error ansible-playbook itself printed (a traceback on this machine:
    its work directory full or read-only), so a run that dies of it says why instead of only its
    exit status."""

    PATTERN = re.compile(r"(?:OSError|PermissionError): (\[Errno \d+\] [^\r\n]{1,200})")

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, event_data: dict) -> None:
        found = self.PATTERN.findall(str(event_data.get("stdout") or ""))
        if found:
            self.last = found[-1].strip()


def host_alias(server: Server) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", server.hostname or "") or f"server-{server.pk}"


def _target(server: Server, work_dir: str) -> dict:
    """inventory, ssh_key and known_hosts of the run."""
    alias = host_alias(server)
    if server.connection == Connection.LOCAL:
        host_vars = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            # Not ~/.ansible/tmp: on the platform's own machine a run writes only under var/.
            "ansible_remote_tmp": f"{work_dir}/remote-tmp",
        }
        return {"inventory": {"all": {"hosts": {alias: host_vars}}}, "ssh_key": None, "known_hosts": None}
    if not server.host_key:
        raise PhaseError(
            "no pinned host key: the platform will not run Ansible against an unverified host", retryable=False
        )
    try:
        key = platform_key_for(server)
    except ValidationError as error:
        raise PhaseError(str(error), retryable=False) from None
    host = server.effective_ssh_host
    problem = ssh_address_problem(host)
    if problem:
        raise PhaseError(problem, retryable=False)
    pattern = host if server.ssh_port == 22 else f"[{host}]:{server.ssh_port}"
    host_vars = {"ansible_host": host, "ansible_port": server.ssh_port, "ansible_user": server.ssh_user}
    return {
        "inventory": {"all": {"hosts": {alias: host_vars}}},
        "ssh_key": key.private_key,
        "known_hosts": f"{pattern} {server.host_key}\n",
    }


def _extravars(ctx: PhaseContext, server: Server, work_dir: str) -> dict:
    try:
        public_key = platform_key_for(server).public_key
    except ValidationError:
        public_key = ""
    return {
        "platform_ssh_public_key": public_key,
        "platform_var_dir": str(Path(settings.VAR_DIR).resolve()),
        "platform_server_name": str(server),
        "platform_run_id": ctx.run.pk,
        "platform_work_dir": work_dir,
    }


def step(ctx: PhaseContext) -> Done | Wait:
    server = Server.objects.select_related("ssh_key").get(pk=ctx.server.pk)  # with the host key just pinned
    try:
        playbook = playbook_check(server=server, playbook=ctx.run.playbook)
    except ValidationError as error:
        raise PhaseError(str(error), retryable=False) from None
    ansible_process_stop(run_id=ctx.run.pk)  # an earlier attempt's, if it still runs here
    run_dirs_remove(run_id=ctx.run.pk)  # and what an earlier attempt killed with its worker left
    recorder = EventRecorder(
        model=ProvisioningEvent, owner={"run_id": ctx.run.pk}, extra={"attempt": ctx.record.attempts}, guard=ctx.owned
    )
    watch = CancelWatch(ctx)
    controller_errors = ControllerErrorWatch()

    def on_event(event_data: dict) -> None:
        controller_errors(event_data)
        recorder.add(event_data)

    root = work_root()
    with recorder.writing():
        try:
            with tempfile.TemporaryDirectory(prefix=work_dir_prefix(ctx.run.pk), dir=_ensure(root)) as work_dir:
                target = _target(server, work_dir)
                ctx.effect_begin()  # the playbook acts on the server: only while this attempt holds the run
                result = run_playbook(
                    playbook_dir=playbook_dir(),
                    playbook=playbook,
                    inventory=target["inventory"],
                    extravars=_extravars(ctx, server, work_dir),
                    config_file=Path(settings.ANSIBLE_CONFIG_FILE),
                    work_root=root,
                    private_dir_prefix=private_dir_prefix(ctx.run.pk),
                    timeout=settings.PROVISIONING_ANSIBLE_TIMEOUT_SECONDS,
                    cancel_callback=watch,
                    event_handler=on_event,
                    on_process=lambda pgid: ansible_process_record(run_id=ctx.run.pk, pgid=pgid),
                    ssh_key=target["ssh_key"],
                    known_hosts=target["known_hosts"],
                )
        except OSError as error:
            raise PhaseError(f"cannot prepare the Ansible run: {error.strerror or error}", retryable=False) from None
    if watch.lost or result.status == "canceled":
        raise Superseded
    with ctx.owned():
        ProvisioningRun.objects.filter(pk=ctx.run.pk).update(stats=result.stats)
    ctx.record_fact(detail={**ctx.record.detail, "status": result.status, "rc": result.rc, "events": recorder.count})
    if result.status == "successful":
        return Done()
    if result.status == "timeout":
        raise PhaseError(
            f"the playbook ran past its time-out of {settings.PROVISIONING_ANSIBLE_TIMEOUT_SECONDS}s", retryable=False
        )
    if result.unreachable:
        raise PhaseError(f"the host became unreachable during the playbook ({recorder.last_failure})", retryable=True)
    detail = (
        recorder.last_failure
        or (controller_errors.last and f"ansible-playbook stopped: {controller_errors.last}")
        or f"ansible-playbook exited with status {result.rc}"
    )
    raise PhaseError(f"the playbook failed: {detail}", retryable=False)


def _ensure(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    return str(directory)
