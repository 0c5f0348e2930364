"""An operator acknowledges an open incident from its page, with a comment, and sees it
acknowledged: the status, who did it and why, and the Acknowledge button gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.monitoring.choices import IncidentKind, Severity
from tests import factories
from tests.console.browser import readonly_field, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_acknowledges_an_incident_with_a_comment(operator_page, operator):
    server = factories.server(hostname="db1.example.com", lifecycle="ready")
    incident = factories.incident(
        on=server, kind=IncidentKind.DISK_WARNING, severity=Severity.WARNING, message="/var is 88% full"
    )
    page = operator_page.page

    page.goto(f"/admin/monitoring/incident/{incident.pk}/change/")
    expect(page.get_by_text("/var is 88% full")).to_be_visible()
    expect(readonly_field(page, "Status")).to_have_text("Open")
    page.locator("#incident-handling textarea[name=comment]").fill("rotating the logs")
    save_screenshot(page, "incident")
    page.locator("#incident-acknowledge").click()

    expect(page).to_have_url(f"/admin/monitoring/incident/{incident.pk}/change/")
    expect(page.get_by_text(f"Incident #{incident.pk} acknowledged.")).to_be_visible()
    expect(readonly_field(page, "Status")).to_have_text("Acknowledged")
    expect(page.get_by_text("Incident acknowledged by olga")).to_be_visible()
    expect(page.get_by_text("“rotating the logs”")).to_be_visible()
    expect(page.locator("#incident-acknowledge")).to_have_count(0)
    expect(page.locator("#incident-resolve")).to_be_visible()
