"""What may be an SSH address: an IP address or a host name, never something OpenSSH would read
as an option.

The address ends up on command lines (`ssh`, through Ansible's `ansible_host`): a value such as
`-oProxyCommand=...` would be an option there, whatever the quoting. An IP address (IPv4 or
IPv6, without a zone index) or an RFC 1123 host name cannot start with `-`, hold a space or `=`.
The same rule is checked where an address is stored and again right before a connection.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
MAX_HOST_NAME_LENGTH = 253

HOST_RULE = (
    "an IP address or a host name (RFC 1123: letters, digits and '-' in dot-separated labels, each "
    "starting and ending with a letter or digit)"
)


def ssh_host_problem(host: object) -> str | None:
    """Why `host` cannot be an SSH address; None when it can."""
    if not isinstance(host, str) or not host:
        return "no address"
    if "%" not in host:  # an IPv6 zone index may hold anything
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return None
    name = host.removesuffix(".")
    labels = name.split(".")
    if len(name) > MAX_HOST_NAME_LENGTH or not all(_LABEL.match(label) for label in labels):
        return f"must be {HOST_RULE}"
    if all(label.isdigit() for label in labels):
        return "is not a valid IP address"
    return None
