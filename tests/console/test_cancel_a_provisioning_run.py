"""An operator cancels a running playbook run from its page: a confirmation page says what
canceling would do and asks first; once confirmed the run shows canceled, by whom."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.provisioning.choices import RunStatus
from tests import factories
from tests.console.browser import readonly_field, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_confirms_and_cancels_a_running_run(operator_page):
    server = factories.server(hostname="app1.example.com", lifecycle="ready")
    run = factories.provisioning_run(on=server, status=RunStatus.RUNNING)
    page = operator_page.page

    page.goto(f"/admin/provisioning/provisioningrun/{run.pk}/change/")
    expect(readonly_field(page, "Status")).to_have_text("Running")
    page.locator("#run-cancel").click()

    expect(page).to_have_url(f"/admin/provisioning/provisioningrun/{run.pk}/cancel/")
    consequences = page.locator(f"#consequences-{run.pk}")
    expect(consequences).to_contain_text("The playbook is stopped within seconds")
    expect(consequences).to_contain_text("The server keeps its lifecycle.")
    save_screenshot(page, "cancel-run")
    page.locator("#confirm-operation").click()

    expect(page).to_have_url(f"/admin/provisioning/provisioningrun/{run.pk}/change/")
    expect(page.get_by_text(f"Run #{run.pk} canceled.")).to_be_visible()
    expect(readonly_field(page, "Status")).to_have_text("Canceled")
    expect(readonly_field(page, "Error")).to_contain_text("canceled by olga")
    expect(page.locator("#run-cancel")).to_have_count(0)
