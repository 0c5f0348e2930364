"""Writes that keep the search caches honest."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from apps.projects.models import DocsIndexVersion


def docs_index_version_bump() -> None:
    """Advance DocsIndexVersion; call it in the transaction that writes or deletes chunks.

    An UPDATE with F() locks the row until the caller's transaction ends, so concurrent
    indexers never lose an increment, and no process sees the new number before the chunks.
    """
    bumped = DocsIndexVersion.objects.filter(pk=DocsIndexVersion.SINGLETON_ID).update(version=F("version") + 1)
    if bumped:
        return
    # The first bump ever: get_or_create survives another process creating the row meanwhile
    # (its savepoint catches the unique violation and reads the row instead).
    with transaction.atomic():
        _, created = DocsIndexVersion.objects.get_or_create(pk=DocsIndexVersion.SINGLETON_ID, defaults={"version": 1})
        if not created:
            DocsIndexVersion.objects.filter(pk=DocsIndexVersion.SINGLETON_ID).update(version=F("version") + 1)
