"""What went wrong inside the browser: uncaught JavaScript errors, console errors, Content
Security Policy violations, broken static files and server errors. A page test fails on any.

CSP violations are caught twice on purpose: Chromium's console line says what to fix (the
hash an inline script would need), the `securitypolicyviolation` event names the directive
and the blocked URL even where the console text changes between Chromium versions.
"""

from __future__ import annotations

from playwright.async_api import BrowserContext, ConsoleMessage, Error, Response

STATIC = frozenset({"script", "stylesheet", "image", "font", "media"})
"""Subresources a page needs to work: any failure is a bug. Fetches are left to the page's
script (an expected 4xx there is the script's business); the document's own status is the
test's to assert."""

REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__twofoldCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${event.documentURI}`
  );
});
"""
"""Runs before any page script, through DevTools, so the page's own CSP does not block it."""


class PageWatch:
    """Listens on one browser context (every page and popup in it) and keeps the problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    @classmethod
    async def attach(cls, context: BrowserContext) -> PageWatch:
        watch = cls()
        await context.expose_function("__twofoldCspViolation", watch._csp_violation)
        await context.add_init_script(REPORT_CSP)
        context.on("console", watch._console)
        context.on("weberror", lambda error: watch._uncaught(error.error))
        context.on("response", watch._response)
        return watch

    def take(self) -> list[str]:
        """The problems so far, forgotten: for a test that provokes one on purpose and asserts
        exactly that one."""
        taken, self.problems = self.problems, []
        return taken

    def _csp_violation(self, text: str) -> None:
        self.problems.append(f"CSP violation: {text}")

    def _console(self, message: ConsoleMessage) -> None:
        # "Failed to load resource" is Chromium's echo of an HTTP status; `_response` judges
        # statuses itself (an error page is a fine document).
        if message.type in ("error", "assert") and not message.text.startswith(
            "Failed to load resource"
        ):
            where = message.location.get("url")
            at = f" (at {where})" if where else ""
            self.problems.append(f"console {message.type}: {message.text}{at}")

    def _uncaught(self, error: Error) -> None:
        self.problems.append(f"uncaught JavaScript error: {error.message}")

    def _response(self, response: Response) -> None:
        status, kind, url = response.status, response.request.resource_type, response.url
        if status >= 500:
            self.problems.append(f"server error {status} for {kind} {url}")
        elif status >= 400 and kind in STATIC:
            self.problems.append(f"{kind} {url} answered {status}")
