"""An operator runs a playbook on a sandbox server and watches its run page: Ansible's output
lines appear in the page while the run is still running, and the page follows the run to its
end in place, without reloading. A real worker runs ansible against the test sshd; the sandbox
provider and the server's fixtures are the provisioning tests' (imported in tests/console/conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.provisioning.choices import RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from tests.console.browser import save_screenshot
from tests.provisioning.helpers import run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# slow.yml sleeps this long in its "Sleep" task: the page must show the task's header meanwhile.
SLEEP_SECONDS = 10
# Longer than the pages' usual waits: a real worker starts ansible, which gathers facts over SSH.
FIRST_OUTPUT_WAIT_MS = 60_000
RUN_END_WAIT_MS = 90_000
RUN_PAGE = re.compile(r"/admin/provisioning/provisioningrun/(\d+)/change/$")
FINISHED_ON_THE_PAGE = "!['queued', 'running'].includes(document.getElementById('run-status').dataset.status)"


def test_output_lines_appear_on_the_run_page_while_the_run_is_running(
    operator_page, ssh_server, sshd, start_celery, fast_provisioning
):
    worker = start_provisioning_worker(
        start_celery, {**fast_provisioning, "PROVISIONING_TEST_SLOW_SECONDS": str(SLEEP_SECONDS)}
    )
    Server.objects.filter(pk=ssh_server.pk).update(lifecycle=Lifecycle.READY, host_key=sshd.host_key_line)
    page = operator_page.page

    page.goto(f"/admin/servers/server/{ssh_server.pk}/change/")
    page.get_by_role("link", name="Run a playbook…").click()
    page.get_by_label("Playbook").select_option("slow.yml")
    page.get_by_role("button", name="Run the playbook").click()
    expect(page).to_have_url(RUN_PAGE)
    run_id = int(RUN_PAGE.search(page.url).group(1))
    # Survives only as long as the page is not reloaded or left.
    page.evaluate("window.__followedInPlace = 'yes'")

    output = page.locator("#run-output")
    expect(output).to_contain_text("TASK [Sleep]", timeout=FIRST_OUTPUT_WAIT_MS)
    run = ProvisioningRun.objects.get(pk=run_id)
    assert run.status == RunStatus.RUNNING, run_output(run)
    expect(page.locator("#run-status")).to_contain_text("Running")
    save_screenshot(page, "run-output")

    page.wait_for_function(FINISHED_ON_THE_PAGE, timeout=RUN_END_WAIT_MS)
    run = wait_finished(run.pk, worker)
    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    expect(page.locator("#run-status")).to_contain_text("Succeeded")
    expect(output).to_contain_text("TASK [Mark the end]")
    expect(output).to_contain_text("PLAY RECAP")
    assert page.evaluate("window.__followedInPlace") == "yes"
