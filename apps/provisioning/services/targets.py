"""What a run acts on: the key the platform logs in with, and whether the target is this machine."""

from __future__ import annotations

import ipaddress
import socket

from apps.core.exceptions import ValidationError
from apps.servers.choices import Connection
from apps.servers.models import Server, SshKey
from apps.servers.ssh_targets import NO_KEY, default_login_key


def platform_key_for(server: Server) -> SshKey:
    """The server's own key, else the default key. Raises ValidationError when there is none."""
    key = server.ssh_key or default_login_key()
    if key is None:
        raise ValidationError(NO_KEY)
    return key


def address_is_this_machine(host: str) -> bool:
    """Whether `host` (a name or an address) is the machine this process runs on: a loopback or
    unspecified address, or one this machine can bind to (one of its own interfaces)."""
    if not host:
        return False
    try:
        addresses = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    for family, _, _, _, sockaddr in addresses:
        address = str(sockaddr[0]).split("%", 1)[0]
        parsed = ipaddress.ip_address(address)
        if parsed.is_loopback or parsed.is_unspecified:
            return True
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.bind((sockaddr[0], 0))
        except OSError:
            continue
        return True
    return False


def runs_on_this_machine(server: Server) -> bool:
    """A `local` server, or one whose SSH address is this machine: playbooks there are restricted."""
    return server.connection == Connection.LOCAL or address_is_this_machine(server.effective_ssh_host)
