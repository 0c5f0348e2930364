"""Who may read /metrics: a scraper with the bearer token, from an allowed address.

Each control that is configured must pass (token and allowlist together are both required).
With neither configured, /metrics answers only to loopback outside production and to no one in
production, so an unconfigured deployment never publishes its metrics.
"""

from __future__ import annotations

import enum
import hmac
import ipaddress

from apps.core.networks import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

BEARER_PREFIX = "bearer "


class Decision(enum.Enum):
    ALLOWED = "allowed"
    # No token, or a wrong one: 401 with a Bearer challenge.
    UNAUTHORIZED = "unauthorized"
    # An address outside the allowlist, or metrics not configured: 403.
    FORBIDDEN = "forbidden"


def _address(remote_addr: str) -> Address | None:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _presented_token(authorization: str) -> str | None:
    if not authorization.lower().startswith(BEARER_PREFIX):
        return None
    return authorization[len(BEARER_PREFIX) :].strip() or None


def metrics_access(
    *, authorization: str, remote_addr: str, token: str, networks: tuple[Network, ...], production: bool
) -> Decision:
    address = _address(remote_addr)
    if not token and not networks:
        allowed = not production and address is not None and address.is_loopback
        return Decision.ALLOWED if allowed else Decision.FORBIDDEN
    if networks and (address is None or not any(address in network for network in networks)):
        return Decision.FORBIDDEN
    if token:
        presented = _presented_token(authorization)
        # compare_digest: the time taken does not tell how much of a guess was right.
        if presented is None or not hmac.compare_digest(presented.encode(), token.encode()):
            return Decision.UNAUTHORIZED
    return Decision.ALLOWED
