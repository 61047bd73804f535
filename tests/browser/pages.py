"""The pages of one browser test: each in a fresh browser context (its own cookies, so a
second one is "another browser"), watched for errors, photographed when the test fails."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page

from tests.browser.artifacts import Shots
from tests.browser.server import LiveServer
from tests.browser.watch import PageWatch

TIMEOUT_MS = 15_000
"""Playwright's per-action wait: long enough for a slow CI machine, short enough that a
missing element fails in seconds rather than at Playwright's default 30 s."""


class BrowserPages:
    def __init__(self, browser: Browser, live: LiveServer, shots: Shots) -> None:
        self._browser = browser
        self._live = live
        self._shots = shots
        self._opened: list[tuple[BrowserContext, PageWatch]] = []

    async def open(self) -> Page:
        """A page in a new context whose relative URLs (`page.goto("/u/login")`) go to the
        live server."""
        context = await self._browser.new_context(base_url=self._live.url)
        context.set_default_timeout(TIMEOUT_MS)
        watch = await PageWatch.attach(context)
        self._opened.append((context, watch))
        return await context.new_page()

    def watch(self, page: Page) -> PageWatch:
        for context, watch in self._opened:
            if page.context is context:
                return watch
        raise LookupError("that page was not opened by this test's `pages`")

    def problems(self) -> list[str]:
        """Every page's problems and the server's errors, taken (asked once per test)."""
        found = [problem for _, watch in self._opened for problem in watch.take()]
        found += [f"server log: {record}" for record in self._live.errors.records]
        self._live.errors.records.clear()
        return found

    async def close(self, *, failed: bool) -> None:
        """Photograph every open page first when the test failed (or left problems)."""
        for index, (context, _) in enumerate(self._opened):
            for number, page in enumerate(context.pages):
                if failed:
                    await self._shots.failure(page, _failure_label(index, number))
            await context.close()
        self._opened.clear()


def _failure_label(context_index: int, page_index: int) -> str:
    if (context_index, page_index) == (0, 0):
        return "failure"
    return f"failure-context{context_index + 1}-page{page_index + 1}"
