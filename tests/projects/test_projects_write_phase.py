"""The write phase of github_sync: a complete organization listing becomes Project rows."""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.projects.choices import ProjectState
from apps.projects.models import Project
from apps.projects.services.write import BATCH_SIZE, projects_write
from tests.projects.factories import github_account, listing, repository

pytestmark = pytest.mark.django_db


def write(account, repositories):
    return projects_write(account=account, repositories=repositories, now=timezone.now())


def test_new_repositories_become_active_projects_with_githubs_values():
    account = github_account()

    counts = write(account, [repository(1, topics=("Python", "ops")), repository(2, visibility="public")])

    assert (counts.created, counts.updated, counts.removed, counts.unchanged) == (2, 0, 0, 0)
    first = Project.objects.get(github_id=1)
    assert (first.full_name, first.default_branch, first.state) == ("acme/repo-1", "main", ProjectState.ACTIVE)
    assert first.topics == ["ops", "python"]
    assert Project.objects.get(github_id=2).visibility == "public"


def test_writing_the_same_listing_twice_changes_nothing():
    account = github_account()
    write(account, listing(range(1, 6)))
    before = list(Project.objects.order_by("id").values())

    counts = write(account, listing(range(1, 6)))

    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 5)
    assert list(Project.objects.order_by("id").values()) == before


def test_a_renamed_repository_updates_its_row_instead_of_creating_one():
    account = github_account()
    write(account, [repository(7)])
    row = Project.objects.get()

    counts = write(account, [repository(7, name="renamed", full_name="acme/renamed")])

    assert counts.updated == 1
    assert Project.objects.count() == 1
    row.refresh_from_db()
    assert row.full_name == "acme/renamed"


def test_a_repository_gone_from_the_listing_is_archived_never_deleted_and_comes_back_active():
    account = github_account()
    write(account, listing([1, 2]))

    gone = write(account, listing([1]))
    project = Project.objects.get(github_id=2)
    assert gone.removed == 1
    assert project.state == ProjectState.ARCHIVED
    assert project.archived_at is not None

    write(account, listing([1, 2]))
    project.refresh_from_db()
    assert (project.state, project.archived_at) == (ProjectState.ACTIVE, None)


def test_an_empty_organization_archives_what_it_had_and_creates_nothing():
    account = github_account()
    write(account, listing([1]))

    counts = write(account, [])

    assert (counts.created, counts.removed) == (0, 1)
    assert Project.objects.get().state == ProjectState.ARCHIVED


def test_queries_stay_constant_per_batch_whatever_the_number_of_repositories():
    def queries(ids) -> int:
        with CaptureQueriesContext(connection) as captured:
            write(github_account(), listing(ids))
        return len(captured)

    small, large = queries(range(1, 11)), queries(range(1, 1201))
    fields = [field for field in Project._meta.concrete_fields if not field.primary_key]
    per_statement = min(connection.ops.bulk_batch_size(fields, [Project()] * BATCH_SIZE) or BATCH_SIZE, BATCH_SIZE)
    extra_statements = sum(math.ceil(n / per_statement) for n in (500, 500, 200)) - 1
    assert large - small <= extra_statements
