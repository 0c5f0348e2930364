"""The admin's "queue a run for each selected account" actions (sync, index docs), written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.http import HttpRequest

from apps.core.choices import Trigger
from apps.core.exceptions import ServiceUnavailableError


def runs_queue_from_admin(modeladmin, request: HttpRequest, accounts: Iterable, *, queue: Callable, what: str) -> None:
    """Queue one run per account through `queue` (a service taking account, trigger, user) and say
    which runs were queued; stop at the first refusal of the broker and say why."""
    queued = []
    for account in accounts:
        try:
            queued.append(queue(account=account, trigger=Trigger.OPERATOR, user=request.user))
        except ServiceUnavailableError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
            return
    if queued:
        runs = ", ".join(f"#{run.pk}" for run in queued)
        modeladmin.message_user(request, f"Queued {len(queued)} {what} run(s): {runs}.", messages.SUCCESS)
