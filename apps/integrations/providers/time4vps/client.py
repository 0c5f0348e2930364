"""The Time4VPS API client: the only code that talks to the provider.

Plain values in, dataclasses out (see models.py); every failure is one of the exceptions in
errors.py. The HTTP side (settings, sessions, the circuit breaker around the retried request,
the errors answers become) is the base class, `Time4VPSTransport`, in transport.py.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, TypeVar

import requests

from apps.integrations.common.closing import ClosingContext
from apps.integrations.common.parsing import parse_body

from . import models
from .errors import InvalidResponseError
from .models import OsTemplate, ProviderTask, ServerBrief, ServerDetails
from .transport import Time4VPSTransport

T = TypeVar("T")


class _Cancelled(Exception):
    """A get_servers fetch skipped because another one already failed."""


class Time4VPSClient(Time4VPSTransport, ClosingContext):
    """A client for one Time4VPS account.

    Timeouts, retries and the circuit breaker default to the PROVIDER_* settings, read when
    the client is built; keyword arguments override them. `circuit_key` names the account's
    circuit breaker (None: no breaker). Use it as a context manager, or call close().

    One client is meant for one thread (its Session is not thread-safe); get_servers() runs its
    own pool with a Session per thread.
    """

    def __repr__(self) -> str:
        return f"Time4VPSClient(base_url={self.base_url!r}, circuit_key={self.circuit_key!r})"

    # --- the API ------------------------------------------------------------------------------

    def list_servers(self) -> list[ServerBrief]:
        """Every active server of the account (`GET /server`)."""
        return self._parse("GET", "/server", models.parse_server_list, self._call("GET", "/server"))

    def get_server(self, server_id: int) -> ServerDetails:
        """One server's details (`GET /server/{id}`)."""
        return self._get_server(_check_id(server_id, "server_id"), session=self._session, cancel=None)

    def get_servers(self, server_ids: Iterable[int], *, max_workers: int) -> list[ServerDetails]:
        """The details of several servers, fetched at most `max_workers` at a time, in the order asked.

        All or nothing: the first failure stops the fetches not yet started (and the retries of
        those under way) and is raised, so a caller never gets a partial set.
        """
        ids = [_check_id(server_id, "server_id") for server_id in server_ids]
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ValueError("max_workers must be a positive integer")
        if not ids:
            return []
        cancel = threading.Event()
        local = threading.local()
        sessions: list[requests.Session] = []
        first_error: list[BaseException] = []
        guard = threading.Lock()

        def fetch(server_id: int) -> ServerDetails:
            if cancel.is_set():
                raise _Cancelled
            session = getattr(local, "session", None)
            if session is None:  # one Session per pool thread: a Session is not thread-safe
                session = local.session = self._new_session()
                with guard:
                    sessions.append(session)
            try:
                return self._get_server(server_id, session=session, cancel=cancel)
            except BaseException as error:
                with guard:
                    if not first_error:
                        first_error.append(error)
                cancel.set()
                raise

        executor = ThreadPoolExecutor(max_workers=min(max_workers, len(ids)), thread_name_prefix="time4vps")
        try:
            # Each fetch runs in a copy of the caller's context, so log context (task id...) follows it.
            futures = [executor.submit(contextvars.copy_context().run, fetch, server_id) for server_id in ids]
            wait(futures, return_when=FIRST_EXCEPTION)
            if first_error:
                raise first_error[0]
            return [future.result() for future in futures]
        finally:
            cancel.set()
            executor.shutdown(wait=True, cancel_futures=True)
            for session in sessions:
                session.close()

    def list_oses(self, server_id: int) -> list[OsTemplate]:
        """The OS templates a server can be reinstalled with (`GET /server/{id}/oses`)."""
        path = f"/server/{_check_id(server_id, 'server_id')}/oses"
        return self._parse("GET", path, models.parse_os_list, self._call("GET", path))

    def reinstall(self, server_id: int, *, os: str, ssh_key: str | None = None, script: int | None = None) -> int:
        """Reinstall a server with `os` — this WIPES it, data and backups. Returns the task id."""
        if not isinstance(os, str) or not os.strip():
            raise ValueError("os must be an OS template code from list_oses()")
        body: dict[str, Any] = {"os": os}
        if ssh_key is not None:
            body["ssh_key"] = ssh_key
        if script is not None:
            body["script"] = _check_id(script, "script")
        return self._action(server_id, "reinstall", body)

    def reset_password(self, server_id: int) -> int:
        """Set a new password for the server's privileged user; get_task() reveals it. Returns the task id."""
        return self._action(server_id, "resetpassword", None)

    def reboot(self, server_id: int) -> int:
        """Reboot a server. Returns the task id."""
        return self._action(server_id, "reboot", None)

    def get_task(self, server_id: int, task_id: int) -> ProviderTask:
        """A task's progress and results (`GET /server/{id}/task/{task_id}`)."""
        task_id = _check_id(task_id, "task_id")
        path = f"/server/{_check_id(server_id, 'server_id')}/task/{task_id}"
        return self._parse("GET", path, lambda body: models.parse_task(body, task_id), self._call("GET", path))

    # --- plumbing -----------------------------------------------------------------------------

    def _get_server(
        self, server_id: int, *, session: requests.Session, cancel: threading.Event | None
    ) -> ServerDetails:
        path = f"/server/{server_id}"
        body = self._call("GET", path, session=session, cancel=cancel)
        return self._parse("GET", path, lambda data: models.parse_server_details(data, server_id), body)

    def _action(self, server_id: int, action: str, body: dict[str, Any] | None) -> int:
        path = f"/server/{_check_id(server_id, 'server_id')}/{action}"
        return self._parse("POST", path, models.parse_task_id, self._call("POST", path, body=body))

    def _parse(self, method: str, path: str, parser: Callable[[Any], T], body: Any) -> T:
        return parse_body(
            parser, body, service="Time4VPS", method=method, path=path, error=InvalidResponseError, scrub=self._scrub
        )


def _check_id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer")
    return value
