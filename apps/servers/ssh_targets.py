"""What the platform needs before it opens an SSH session to a server, and how a missing piece is
said: a key to log in with (the server's own, else the default key) and an address OpenSSH will
read as an address. The health checks and provisioning (waiting for SSH, running Ansible) all
ask here, so the rule and its words are one."""

from __future__ import annotations

from apps.integrations.ssh import ssh_host_problem
from apps.servers.models import Server, SshKey

NO_KEY = "no SSH key: give the server a key or mark one key as the default"
NO_ADDRESS = "no address: the server has no IP and no SSH host"


def default_login_key() -> SshKey | None:
    return SshKey.objects.filter(is_default=True).first()


def login_key(server: Server, *, default_key: SshKey | None) -> SshKey | None:
    """The key the platform logs in to `server` with; `default_key` is default_login_key(), loaded
    once by callers that look at many servers."""
    return server.ssh_key or default_key


def ssh_address_problem(host: str) -> str | None:
    """Why the platform will not connect to `host`; None when it may try."""
    if not host:
        return NO_ADDRESS
    problem = ssh_host_problem(host)
    if problem:  # stored around the model's validator, or an IP the provider reported badly
        return f"refusing the SSH address {host!r}: {problem}; correct the server's SSH host"
    return None
