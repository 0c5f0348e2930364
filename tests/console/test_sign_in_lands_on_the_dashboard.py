"""An operator signs in through the login form and lands on the Fleet dashboard: its cards, and
the sidebar grouped by the operator's work (servers first, the machinery last)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.console.browser import save_screenshot
from tests.console.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DASHBOARD_CARDS = [
    "#dashboard-servers-lifecycle",
    "#dashboard-servers-health",
    "#dashboard-incidents-open",
    "#dashboard-incidents-acknowledged",
]
SIDEBAR_ORDER = ["Servers", "Provisioning and jobs", "Monitoring", "Projects"]


def test_an_operator_signs_in_and_sees_the_fleet_dashboard(console_page, operator):
    server = factories.server(hostname="web1.example.com", lifecycle="ready", health_status="healthy")
    factories.incident(on=server, kind="disk_warning", severity="warning", message="/ is 91% full")
    page = console_page.page

    page.goto("/admin/")
    expect(page).to_have_url("/admin/login/?next=/admin/")
    save_screenshot(page, "login")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")

    expect(page).to_have_url("/admin/")
    expect(page).to_have_title(re.compile(r"Fleet console$"))
    expect(page.get_by_role("link", name="Fleet", exact=True)).to_be_visible()
    for card in DASHBOARD_CARDS:
        expect(page.locator(card)).to_be_visible()
    expect(page.locator("#dashboard-servers-lifecycle")).to_contain_text("Ready: 1")
    expect(page.locator("#dashboard-incidents-open")).to_contain_text("Open incidents: 1")
    expect(page.locator("#dashboard-incidents")).to_contain_text("web1.example.com")
    groups = page.get_by_role("navigation").get_by_role("heading", level=2).all_inner_texts()
    assert [group for group in groups if group in SIDEBAR_ORDER] == SIDEBAR_ORDER, groups
    save_screenshot(page, "dashboard")
