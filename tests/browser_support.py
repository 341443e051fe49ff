"""What the browser tests share: Debian's Chromium driven by Playwright against a real server
(uvicorn on a free port, in a thread), pages signed in as a user, and screenshots.

A test module defines its own module-scoped ``server`` fixture (its site, then
``with serve(site) as base: yield base, site``) and imports ``browser`` and ``page_of`` from
here. Chromium is /usr/bin/chromium (``.ci/run`` installs it; ``playwright install`` is never
run). Without it the tests are skipped (a failure under ``make test``, which installs it).
Screenshots go to ``test-artifacts/screenshots/``.
"""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import free_port
from web_support import PASSWORD, Site

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"

playwright_sync = pytest.importorskip("playwright.sync_api")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium)")


@contextmanager
def serve(site: Site) -> Iterator[str]:
    """``site.app`` served by uvicorn in a thread: its base URL; stopped (and the site's
    engines disposed) at the end."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        site.close()


@pytest.fixture(scope="module")
def browser(server):
    with playwright_sync.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page_of(server, browser):
    """``page_of(user)``: a page of a fresh browser context signed in as ``user``, with
    the console errors of the page collected in ``page.errors``."""
    base, _ = server
    contexts = []

    def sign_in(user: str, locale: str = "zh-CN"):
        context = browser.new_context(
            base_url=base, locale=locale, viewport={"width": 1360, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto("/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/overview.*"))
        return page

    yield sign_in
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def shown(page, selector: str) -> tuple[float, str]:
    """The unrounded value (``data-value``) and the text of a figure on the page."""
    element = page.locator(selector)
    return float(element.get_attribute("data-value")), element.inner_text().strip()
