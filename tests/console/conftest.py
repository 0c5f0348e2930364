"""Fixtures of the console's browser tests: one chromium for all of them, a page per test on
pytest-django's live server, signed in as a superuser or an operator. A test fails when the
page reported a JavaScript error; a failed test leaves a screenshot in var/console-failures/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect, sync_playwright

from tests.console.browser import WAIT_MS, ConsolePage, failure_screenshot_path, launch_chromium, open_page, sign_in
from tests.provisioning.conftest import fast_provisioning, sandbox_account, ssh_server  # noqa: F401 (fixtures)
from tests.roles import user_with_role

CALL_REPORT = pytest.StashKey[pytest.TestReport]()
PASSWORD = "console-test-password"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # The page fixture's teardown reads how the test itself went, to screenshot a failure.
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for the console's tests, closed after the last of them.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it is
    started, and Django then refuses database access from the tests ("async context"). The
    tests here touch the database only between page calls, never from a coroutine, so the
    check is lifted while the browser runs; the package scope (rather than the session) ends
    the loop, and restores the check, before the rest of the suite runs.
    """
    expect.set_options(timeout=WAIT_MS)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def console_page(request, browser, live_server, transactional_db) -> Iterator[ConsolePage]:
    """A fresh browser context on the live server, not signed in."""
    console = open_page(browser, live_server.url)
    try:
        yield console
        report = request.node.stash.get(CALL_REPORT, None)
        if report is not None and report.failed:
            path = failure_screenshot_path(request.node.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            console.page.screenshot(path=str(path), full_page=True)
    finally:
        console.context.close()
    assert console.errors == [], "the console reported JavaScript errors:\n" + "\n".join(console.errors)


@pytest.fixture
def superuser(transactional_db):
    return get_user_model().objects.create_superuser(username="root-admin", password=PASSWORD)


@pytest.fixture
def operator(transactional_db):
    return user_with_role("operator", "olga", password=PASSWORD)


@pytest.fixture
def superuser_page(console_page, superuser, live_server) -> ConsolePage:
    sign_in(console_page, superuser, live_server.url)
    return console_page


@pytest.fixture
def operator_page(console_page, operator, live_server) -> ConsolePage:
    sign_in(console_page, operator, live_server.url)
    return console_page
