"""Where the platform may send requests: the outbound URL rule shared by every account kind and
notification target, checked when a URL is saved.

The address rule itself (globally routable addresses only) is apps/integrations/common/outbound.py's,
which checks it again on every connection, so a name that resolves elsewhere later is still refused.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from django.conf import settings

from apps.integrations.common.outbound import address_allowed

RESOLVE_TIMEOUT_SECONDS = 5.0


def outbound_url_problems(url: str, *, private_setting: str = "PROVIDER_ALLOW_PRIVATE_ADDRESSES") -> list[str]:
    """Why the platform must not send requests to `url`; empty when it may.

    Production sends over https only, and never to an address that is not globally routable
    (loopback, private, link-local, CGNAT, reserved...) unless the setting `private_setting` (for
    provider accounts PROVIDER_ALLOW_PRIVATE_ADDRESSES) says so: the platform calls the URL from
    inside its own network.
    """
    parts = urlsplit(url)
    try:
        hostname, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number, or out of range
        return ["must be an http(s) URL with a host name and a valid port"]
    if parts.scheme not in ("http", "https") or not hostname:
        return ["must be an http(s) URL with a host name"]
    if parts.username or parts.password:
        return ["must not carry credentials: use the account's fields"]
    problems = []
    if settings.IS_PRODUCTION and parts.scheme != "https":
        problems.append("must use https in production")
    if not getattr(settings, private_setting):
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(RESOLVE_TIMEOUT_SECONDS)
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(hostname, port or 443)}
        except (OSError, UnicodeError):
            problems.append(f"host '{hostname}' does not resolve")
            addresses = set()
        finally:
            socket.setdefaulttimeout(previous)
        internal = sorted(address for address in addresses if not address_allowed(address, allow_private=False))
        if internal:
            problems.append(
                f"host '{hostname}' resolves to an address that is not globally routable ({', '.join(internal)}); "
                f"set {private_setting} to allow it"
            )
    return problems
