"""Screenshots and page HTML of browser tests, kept for a person to look at: under
`artifacts/browser/<test name>/` in the repository, or under `$TWOFOLD_TEST_ARTIFACTS/browser/`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from playwright.async_api import Page

REPO = Path(__file__).resolve().parents[2]
ROOT_ENV = "TWOFOLD_TEST_ARTIFACTS"


def artifacts_root() -> Path:
    """`$TWOFOLD_TEST_ARTIFACTS` (a relative path is taken from the repository), else
    `<repo>/artifacts`."""
    configured = os.environ.get(ROOT_ENV)
    return REPO / configured if configured else REPO / "artifacts"


def slug(text: str) -> str:
    """A file name from a test name or label: `test_x[sqlite-a b]` -> `test_x-sqlite-a-b`."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-") or "unnamed"


class Shots:
    """`await shot(page, "login form")` writes `NN-login-form.png`, numbered in order.

    The test's folder is emptied when the test starts, so what is there is one run's story.
    """

    def __init__(self, test_name: str) -> None:
        self.folder = artifacts_root() / "browser" / slug(test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self._count = 0

    async def __call__(self, page: Page, label: str) -> Path:
        path = self._next(label, "png")
        await page.screenshot(path=path, full_page=True)
        return path

    async def failure(self, page: Page, label: str = "failure") -> None:
        """The last screen and the page's HTML, for a test that failed."""
        if page.is_closed():
            return
        await self(page, label)
        self._next(label, "html", advance=False).write_text(await page.content())

    def _next(self, label: str, suffix: str, *, advance: bool = True) -> Path:
        if advance:
            self._count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{self._count:02d}-{slug(label)}.{suffix}"
