"""Driving the console in a real browser: Debian's chromium through Playwright's sync API.

The suite never downloads a browser (`playwright install`): it launches the chromium that
platform/dev/system-packages.sh installs through apt.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
# Every wait on the page gives up after this long, so a console that never shows what a test
# waits for fails the test instead of hanging the run.
WAIT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}
REPO_ROOT = Path(__file__).resolve().parents[2]


def launch_chromium(playwright: Playwright) -> Browser:
    # The suite runs as root, where chromium refuses to start with its sandbox.
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], timeout=WAIT_MS * 2)


@dataclass
class ConsolePage:
    """A browser page on the live server, with the JavaScript errors it reported."""

    page: Page
    context: BrowserContext
    errors: list[str] = field(default_factory=list)

    def watch_errors(self) -> None:
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("console", self._console_message)

    def _console_message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console.error at {message.location.get('url', '?')}: {message.text}")


def open_page(browser: Browser, base_url: str) -> ConsolePage:
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    console = ConsolePage(page=context.new_page(), context=context)
    console.watch_errors()
    return console


def sign_in(console: ConsolePage, user, base_url: str) -> None:
    """Give the browser a session of `user` (the login form has a test of its own)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    console.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


def failure_screenshot_path(test_name: str) -> Path:
    """var/console-failures/<test>.png, under VAR_DIR when it is set."""
    var = Path(os.environ.get("VAR_DIR") or REPO_ROOT / "var")
    return var / "console-failures" / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test_name)}.png"


def save_screenshot(page: Page, name: str, *, part: Locator | None = None) -> Path | None:
    """console-<name>.png in CONSOLE_SCREENSHOTS_DIR (docs/images for `make console-screenshots`);
    nothing when it is not set, so the ordinary runs leave the docs' pictures alone. With `part`,
    only that element of the page."""
    directory = os.environ.get("CONSOLE_SCREENSHOTS_DIR")
    if not directory:
        return None
    path = Path(directory)
    if not path.is_absolute():
        path = REPO_ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"console-{name}.png"
    if part is not None:
        part.screenshot(path=str(target))
        return target
    # A window as tall as the page rather than a full-page capture: the theme's sidebar and
    # submit row are fixed to the window, and a capture taller than the window pictures them
    # half-way down the page.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 4000)})
    try:
        page.screenshot(path=str(target))
    finally:
        page.set_viewport_size(VIEWPORT)
    return target


def readonly_field(page: Page, label: str) -> Locator:
    """The value shown for a read-only field of an admin page, found by its label as a reader does."""
    row = page.locator(".field-line").filter(has=page.locator("label", has_text=re.compile(rf"^{re.escape(label)}$")))
    return row.locator(".readonly")
