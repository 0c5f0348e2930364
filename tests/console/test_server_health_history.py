"""An operator opens a server's page and reads its health history: a drawn chart of disk use per
mount, memory and load, its latest checks, and "Check health now" among the page's buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.monitoring.choices import CheckOutcome
from tests import factories
from tests.console.browser import save_screenshot
from tests.monitoring.test_server_health_page import figures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECKS = 40


def test_the_server_page_draws_its_health_history(operator_page):
    server = factories.server(hostname="web1.example.com", lifecycle="ready", health_status="healthy")
    start = timezone.now() - timedelta(minutes=2 * CHECKS)
    for index in range(CHECKS):
        factories.health_check(
            on=server,
            outcome=CheckOutcome.HEALTHY,
            checked_at=start + timedelta(minutes=2 * index),
            figures=figures(root=40 + index / 2, data=20 + index % 5, available_kb=500 + index * 5, load=index % 7 / 4),
        )
    page = operator_page.page

    page.goto(f"/admin/servers/server/{server.pk}/change/")

    chart = page.locator("#server-health-chart canvas")
    expect(chart).to_be_visible()
    # unfold's script made a Chart.js chart of it, with the four series the checks measured.
    drawn = page.evaluate("() => Chart.getChart(document.querySelector('#server-health-chart canvas')).data")
    assert [dataset["label"] for dataset in drawn["datasets"]] == [
        "disk / %",
        "disk /data %",
        "memory used %",
        "load (1 min)",
    ]
    assert len(drawn["labels"]) == CHECKS
    expect(page.locator("#server-recent-checks tbody tr")).to_have_count(20)
    expect(page.locator("#check-health-now")).to_be_visible()
    expect(page.locator("#server-run-playbook")).to_be_visible()
    expect(page.locator("#server-run-job")).to_be_visible()
    save_screenshot(page, "server-health", part=page.locator("fieldset", has=page.locator("#server-health-history")))
