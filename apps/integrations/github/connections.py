"""PyGithub's connections, opened through the outbound address guard.

PyGithub opens its own requests Sessions (one per connection object, for every Requester it
makes, including the one that fetches a GitHub App's installation token), so the guard is put
in PyGithub's connection classes, for the whole process, when this module is imported. The
connections follow the policy of the surrounding `outbound_policy` block, which
GitHubTransport opens around each of its requests; outside one, private addresses are refused.
"""

from __future__ import annotations

from typing import Any

from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

from apps.integrations.common.outbound import GuardedHTTPAdapter


def _guard(connection: Any, prefix: str) -> None:
    connection.adapter = GuardedHTTPAdapter(
        allow_private=None,
        max_retries=connection.retry,
        pool_connections=connection.pool_size,
        pool_maxsize=connection.pool_size,
    )
    connection.session.mount(prefix, connection.adapter)


class GuardedHTTPSConnection(HTTPSRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _guard(self, "https://")


class GuardedHTTPConnection(HTTPRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _guard(self, "http://")


def install() -> None:
    """Make every PyGithub Requester use the guarded connections.

    PyGithub's public `Requester.injectConnectionClasses` also switches connection reuse off
    (it is meant for tests); setting the class attributes it sets keeps reuse on.
    """
    Requester._Requester__httpConnectionClass = GuardedHTTPConnection  # type: ignore[attr-defined]
    Requester._Requester__httpsConnectionClass = GuardedHTTPSConnection  # type: ignore[attr-defined]


install()
