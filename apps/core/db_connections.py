"""A database connection that broke under a task (the server restarted, the backend was killed).

Django replaces a broken connection only between requests (and Celery between tasks); a task
that must still record its outcome after the break drops it at once, so the next query opens a
fresh one. Never inside a transaction: the caller's atomic block is its own to unwind.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, connections

CONNECTION_ERRORS = (OperationalError, InterfaceError)


def connection_lost(error: BaseException | None) -> bool:
    """True when `error`, or an error it was raised from (a callback's wrapper), is a database
    connection error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, CONNECTION_ERRORS):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def broken_connections_close() -> None:
    """Close every connection of this thread that errored and no longer answers (Django's own
    test), outside transactions; the next query reconnects."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


# Options of a Celery task that must run again after its connection was lost (a killed backend,
# a restarted server): a fresh connection per attempt (Celery closes them between tasks), backoff
# 2 s doubling up to 60 s with jitter, five retries. For tasks safe to run twice (they read their
# recorded state first).
RETRY_ON_LOST_CONNECTION = {
    "autoretry_for": CONNECTION_ERRORS,
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
}
