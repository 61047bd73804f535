"""Browser tests: headless Chromium (Debian's, through Playwright's async API) against a live
Twofold on the leg's database. Every test in this folder is marked `browser`.

Async API, not sync: the sync API marks its own event loop as running on the main thread
between calls, which breaks every async test that pytest-asyncio runs after it in the session.
A test gets `page` (a fresh context), `pages.open()` for more browsers, `shot(page, label)`,
and `live` (`live.url`, `await live.run(flow, ...)` to seed, `live.clock.advance(s)`). It
fails on any console error, uncaught JavaScript error, CSP violation, broken static file or
server error; when it fails, every open page's screen and HTML are saved beside its shots.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.artifacts import Shots
from tests.browser.pages import BrowserPages
from tests.browser.server import LiveServer
from twofold.config import Settings

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("TWOFOLD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root on CI; Chromium's sandbox refuses root
    "--disable-gpu",
    # No calls home: the machine has no network, and each refused connection costs time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Before `-m` deselects: `make test` runs `-m "not browser"` where Chromium is missing."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report, so `pages` knows at teardown whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def live(settings: Settings, engine: AsyncEngine) -> Iterator[LiveServer]:
    """One server for the session (the schema comes from `engine`); tests seed their own
    users and applications, so they share it safely."""
    server = LiveServer(settings)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM} (TWOFOLD_TEST_CHROMIUM): as root on Debian, "
            "`scripts/services ensure` installs it (apt-get install -y chromium); without it, "
            "`make test` deselects the browser tests outside CI. Never `playwright install`."
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    """`await shot(page, "label")` -> artifacts/browser/<test name>/NN-label.png"""
    return Shots(request.node.name)


@pytest.fixture
async def pages(
    browser: Browser, live: LiveServer, shot: Shots, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserPages]:
    live.clock.reset()
    live.errors.records.clear()
    opened = BrowserPages(browser, live, shot)
    yield opened
    problems = opened.problems()
    reports = request.node.stash.get(REPORTS, {}).values()
    await opened.close(failed=bool(problems) or any(report.failed for report in reports))
    live.clock.reset()
    if problems:
        pytest.fail("the browser or the server reported:\n  " + "\n  ".join(problems))


@pytest.fixture
async def page(pages: BrowserPages) -> Page:
    return await pages.open()
