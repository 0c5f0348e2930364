"""Where the platform may send credentials: the outbound URL rule shared by every account kind."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

RESOLVE_TIMEOUT_SECONDS = 5.0


def _internal_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


def outbound_url_problems(url: str) -> list[str]:
    """Why the platform must not send credentials to `url`; empty when it may.

    Production sends credentials over https only, and never to an address inside the network the
    platform runs in (loopback, private, link-local) unless PROVIDER_ALLOW_PRIVATE_ADDRESSES says
    so: the platform calls the URL from inside.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["must be an http(s) URL with a host name"]
    if parts.username or parts.password:
        return ["must not carry credentials: use the account's fields"]
    problems = []
    if settings.IS_PRODUCTION and parts.scheme != "https":
        problems.append("must use https in production")
    if not settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(RESOLVE_TIMEOUT_SECONDS)
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
        except (OSError, UnicodeError):
            problems.append(f"host '{parts.hostname}' does not resolve")
            addresses = set()
        finally:
            socket.setdefaulttimeout(previous)
        internal = sorted(address for address in addresses if _internal_address(address))
        if internal:
            problems.append(
                f"host '{parts.hostname}' resolves to an internal address ({', '.join(internal)}); "
                "set PROVIDER_ALLOW_PRIVATE_ADDRESSES to allow it"
            )
    return problems
