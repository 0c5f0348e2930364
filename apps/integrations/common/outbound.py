"""Where the platform's HTTP clients may connect: the address rule and its guard at connect time.

Every outbound target (a provider's or GitHub's base URL, a webhook, Slack, Telegram) is a URL
someone typed. The platform calls it from inside its own network, so a URL that leads to that
network (loopback, private ranges, link-local, the CGNAT range that holds cloud metadata
services, ...) would let its author reach what the internet cannot. The rule: connect only to
globally routable addresses (`ipaddress`'s `is_global`, no multicast), unless the caller allows
private addresses (development, where the sandbox is on loopback; the settings decide and pass
the answer in as a plain value).

Checking a URL when it is saved is not enough: its name can resolve elsewhere by the time it is
called (DNS rebinding). `GuardedHTTPAdapter` resolves the host when it opens each connection,
checks every address the name has, and connects to those checked addresses itself; the host
name stays what TLS (SNI, the certificate check) and the Host header see. A refused address
raises `OutboundAddressRefused` before anything is sent; it is not an OSError, so neither
urllib3 nor requests retries it or turns it into a connection error: each client maps it to
its own error that says no retry can help.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from contextvars import ContextVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family, create_connection

_allow_private: ContextVar[bool] = ContextVar("outbound_allow_private_addresses", default=False)


class OutboundAddressRefused(Exception):
    """A host resolved to an address the platform does not connect to; nothing was sent.

    The message names the host and the refused addresses, never a URL's path or query (which
    can be a secret: Slack's webhook, Telegram's bot token).
    """

    def __init__(self, host: str, addresses: list[str]) -> None:
        self.host = host
        self.addresses = addresses
        where = host if addresses == [host] else f"{host} resolves to {', '.join(addresses)}, which"
        super().__init__(f"{where} is not a globally routable address: the platform does not connect there")


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """Whether the platform may connect to `address` (an IP address, optionally with %zone)."""
    if allow_private:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def resolved_addresses(host: str, port: int, *, allow_private: bool) -> list[tuple]:
    """getaddrinfo's answers for (host, port), TCP; OutboundAddressRefused if any of them is
    not allowed (a name with one internal address among public ones is refused: which one a
    connection gets is not ours to choose). socket.gaierror when the name does not resolve."""
    infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    if not allow_private:
        refused = sorted(
            {str(info[4][0]) for info in infos if not address_allowed(str(info[4][0]), allow_private=False)}
        )
        if refused:
            raise OutboundAddressRefused(host, refused)
    return infos


@contextmanager
def outbound_policy(*, allow_private: bool) -> Iterator[None]:
    """Connections opened inside the block (by a GuardedHTTPAdapter built with allow_private=None)
    follow this policy. Outside any block, private addresses are refused."""
    token = _allow_private.set(allow_private)
    try:
        yield
    finally:
        _allow_private.reset(token)


class _CheckedAddressConnection:
    """urllib3's connection, resolving its host itself and connecting only to checked addresses."""

    def _new_conn(self) -> socket.socket:
        try:
            infos = resolved_addresses(self._dns_host, self.port, allow_private=_allow_private.get())
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        last_error: OSError | None = None
        for address in dict.fromkeys(str(info[4][0]) for info in infos):
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from error
            except OSError as error:
                last_error = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}") from last_error


class CheckedHTTPConnection(_CheckedAddressConnection, HTTPConnection):
    pass


class CheckedHTTPSConnection(_CheckedAddressConnection, HTTPSConnection):
    pass


class CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


class GuardedHTTPAdapter(HTTPAdapter):
    """requests' adapter whose connections go only where the policy allows.

    `allow_private`: True or False fixes the policy for this adapter; None follows the
    surrounding `outbound_policy` (for connections a library opens on the caller's behalf).
    Through a proxy the proxy opens the connection: the target's addresses are then checked
    here, before the request is handed to the proxy (a rebinding between the two is the proxy's
    to refuse).
    """

    __attrs__ = [*HTTPAdapter.__attrs__, "allow_private"]

    def __init__(self, *, allow_private: bool | None, **kwargs) -> None:
        self.allow_private = allow_private
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": CheckedHTTPConnectionPool,
            "https": CheckedHTTPSConnectionPool,
        }

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        policy = nullcontext() if self.allow_private is None else outbound_policy(allow_private=self.allow_private)
        with policy:
            if select_proxy(request.url, kwargs.get("proxies") or {}):
                parts = urlsplit(request.url)
                port = parts.port or (443 if parts.scheme == "https" else 80)
                # A name this machine cannot resolve is the proxy's to resolve (and to refuse).
                with suppress(socket.gaierror):
                    resolved_addresses(parts.hostname or "", port, allow_private=_allow_private.get())
            return super().send(request, **kwargs)


def outbound_session(*, allow_private: bool | None, **adapter_options) -> requests.Session:
    """A requests Session whose every connection goes through a GuardedHTTPAdapter."""
    session = requests.Session()
    adapter = GuardedHTTPAdapter(allow_private=allow_private, **adapter_options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
