"""What a job runs on: its target resolved to servers, and each server as a host of the inventory.

A target is `{"servers": [ids]}` or a selector `{"labels": {...}, "lifecycle": [...],
"provider_account": id}` (every part optional, at least one given), resolved when the job is
launched. A server the platform will not run the job on is kept as a `skipped` host with the
reason (no pinned host key, no address, the platform's own machine for a playbook that is not
on the allowlist, another login key than the job's), and the others run; a launch where no
host can run is refused.

One job logs in with one key (ansible-runner hands one key to ssh-agent): servers whose login
key differs from the first SSH host's are skipped, saying so.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.provisioning.services.targets import runs_on_this_machine
from apps.servers.choices import Connection, Lifecycle
from apps.servers.models import ProviderAccount, Server, SshKey
from apps.servers.selectors import servers_select
from apps.servers.ssh_targets import NO_KEY, default_login_key, login_key, ssh_address_problem

SELECTOR_KEYS = {"labels", "lifecycle", "provider_account"}
MAX_TARGET_SERVERS = 10_000


def target_check(target: Any) -> dict[str, Any]:
    """`target` normalized, or ValidationError on the `target` field."""
    if not isinstance(target, dict) or not target:
        raise ValidationError(
            {
                "target": [
                    '{"servers": [ids]} or a selector {"labels": {...}, "lifecycle": [...], "provider_account": id}'
                ]
            }
        )
    unknown = sorted(set(target) - SELECTOR_KEYS - {"servers"})
    if unknown:
        raise ValidationError({"target": [f"unknown target keys: {', '.join(unknown)}"]})
    if "servers" in target:
        if set(target) != {"servers"}:
            raise ValidationError({"target": ['"servers" names the servers: it does not combine with a selector']})
        ids = target["servers"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and i > 0 for i in ids):
            raise ValidationError({"target": ['"servers": a non-empty list of server ids']})
        if len(ids) > MAX_TARGET_SERVERS:
            raise ValidationError({"target": [f'"servers": at most {MAX_TARGET_SERVERS} ids']})
        missing = sorted(set(ids) - set(Server.objects.filter(pk__in=ids).values_list("pk", flat=True)))
        if missing:
            raise ValidationError({"target": [f"no server with id {', '.join(map(str, missing))}"]})
        return {"servers": sorted(set(ids))}
    normalized: dict[str, Any] = {}
    labels = target.get("labels")
    if labels is not None:
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise ValidationError({"target": ['"labels": an object of label names to values']})
        normalized["labels"] = labels
    lifecycle = target.get("lifecycle")
    if lifecycle is not None:
        if not isinstance(lifecycle, list) or not lifecycle or not set(lifecycle) <= set(Lifecycle.values):
            raise ValidationError({"target": [f'"lifecycle": a list of {", ".join(Lifecycle.values)}']})
        normalized["lifecycle"] = sorted(set(lifecycle))
    account = target.get("provider_account")
    if account is not None:
        if not isinstance(account, int) or not ProviderAccount.objects.filter(pk=account).exists():
            raise ValidationError({"target": [f'"provider_account": no provider account {account!r}']})
        normalized["provider_account"] = account
    try:
        servers_select(**normalized)  # the label names and values are checked there
    except ValidationError as error:
        raise ValidationError({"target": _messages(error)}) from None
    return normalized


def _messages(error: ValidationError) -> list[str]:
    if error.field_errors:
        return [f"{name}: {message}" for name, messages in error.field_errors.items() for message in messages]
    return [str(error)]


def target_servers(target: dict[str, Any]) -> list[Server]:
    """The servers `target` names now, in id order."""
    queryset = Server.objects.filter(pk__in=target["servers"]) if "servers" in target else servers_select(**target)
    return list(queryset.select_related("ssh_key").order_by("pk")[: MAX_TARGET_SERVERS + 1])


@dataclass
class Host:
    server: Server
    alias: str
    reason: str = ""  # why the job does not run there; blank when it does
    variables: dict[str, Any] = field(default_factory=dict)
    known_host: str = ""


@dataclass
class Plan:
    hosts: list[Host]
    key: SshKey | None = None

    @property
    def runnable(self) -> list[Host]:
        return [host for host in self.hosts if not host.reason]

    def inventory(self) -> dict[str, Any]:
        return {"all": {"hosts": {host.alias: host.variables for host in self.runnable}}}

    def known_hosts(self) -> str:
        return "".join(host.known_host for host in self.runnable)

    def skipped_summary(self) -> str:
        return "; ".join(f"{host.alias}: {host.reason}" for host in self.hosts if host.reason)


def local_playbook_allowed(*, project_full_name: str | None, playbook: str) -> bool:
    """Whether `playbook` may run on the platform's own machine: a playbook of the platform's
    directory on PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST, or a project's named there as
    `org/repo:path/to/playbook.yml`."""
    entry = f"{project_full_name}:{playbook}" if project_full_name else playbook
    return entry in settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST


def alias_for(server: Server, taken: set[str]) -> str:
    alias = re.sub(r"[^A-Za-z0-9_.-]", "-", server.hostname or "") or f"server-{server.pk}"
    if alias in taken:
        alias = f"{alias}-{server.pk}"
    taken.add(alias)
    return alias


def hosts_plan(servers: list[Server], *, project_full_name: str | None, playbook: str, work_dir: str = "") -> Plan:
    """Each server as a host of the job, or skipped with the reason."""
    default_key = default_login_key()
    local_ok = local_playbook_allowed(project_full_name=project_full_name, playbook=playbook)
    plan = Plan(hosts=[])
    taken: set[str] = set()
    for server in servers:
        host = Host(server=server, alias=alias_for(server, taken))
        plan.hosts.append(host)
        if server.lifecycle == Lifecycle.REMOVED:
            host.reason = "removed at the provider"
        elif runs_on_this_machine(server) and not local_ok:
            allowed = ", ".join(settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST) or "none"
            host.reason = f"the platform's own machine: only allowlisted playbooks run there ({allowed})"
        elif server.connection == Connection.LOCAL:
            host.variables = {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "ansible_remote_tmp": f"{work_dir}/remote-tmp" if work_dir else "",
            }
        else:
            _ssh_host(plan, host, login_key(server, default_key=default_key))
    return plan


def _ssh_host(plan: Plan, host: Host, key: SshKey | None) -> None:
    server = host.server
    address = server.effective_ssh_host
    problem = ssh_address_problem(address)
    if problem:
        host.reason = problem
    elif not server.host_key:
        host.reason = "no pinned host key: the platform will not run Ansible against an unverified host"
    elif key is None:
        host.reason = NO_KEY
    elif plan.key is not None and key.pk != plan.key.pk:
        host.reason = f"logs in with the key {key.name!r}; this job logs in with {plan.key.name!r} (one key per job)"
    else:
        plan.key = key
        pattern = address if server.ssh_port == 22 else f"[{address}]:{server.ssh_port}"
        host.known_host = f"{pattern} {server.host_key}\n"
        host.variables = {"ansible_host": address, "ansible_port": server.ssh_port, "ansible_user": server.ssh_user}
