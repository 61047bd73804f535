"""The example web app: sign-in through Twofold, a page that demands a recent MFA (step-up
by redirect), and a JSON API that demands the same through the SDK (RFC 9470 answers).

No `from __future__ import annotations`: the API route's `Annotated` alias is built from the
settings inside `create_app`, and FastAPI must see it as an object.
"""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from examples.stepup_app import oidc, pages
from examples.stepup_app.sessions import COOKIE, BrowserSession, SessionStore
from examples.stepup_app.settings import AppSettings
from twofold.sdk import TokenClaims, TwofoldAuth


class StepUpSite:
    """The browser-facing routes, sharing the settings, the SDK and the session store."""

    def __init__(
        self,
        settings: AppSettings,
        *,
        auth: TwofoldAuth,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.auth = auth
        self.http = http
        self.clock = clock
        self.sessions = SessionStore(clock=clock)

    def mount(self, app: FastAPI) -> None:
        for path, endpoint in (
            ("/", self.home),
            ("/login", self.login),
            ("/callback", self.callback),
            ("/sensitive", self.sensitive),
            ("/logout", self.logout),
        ):
            app.add_api_route(path, endpoint, methods=["GET"], response_class=Response)

    async def home(self, request: Request) -> Response:
        session = self._session(request)
        if session is None or session.sign_in is None:
            return pages.signed_out()
        return pages.home(session.sign_in, max_age=self.settings.step_up_max_age)

    async def login(self, request: Request, return_to: str | None = None) -> Response:
        """Plain sign-in: whatever Twofold's policy asks for, no step-up demanded."""
        pending = oidc.start_sign_in(return_to=return_to or "/", now=self.clock())
        return self._redirect_to_twofold(request, pending)

    async def sensitive(self, request: Request) -> Response:
        """Open only with MFA no older than `step_up_max_age`; otherwise ask Twofold for it
        with `acr_values` (the multi-factor ACR) and `max_age`, and come back here."""
        session = self._session(request)
        sign_in = session.sign_in if session else None
        max_age = self.settings.step_up_max_age
        if sign_in is not None and not oidc.needs_step_up(
            sign_in, max_age=max_age, now=self.clock()
        ):
            return pages.sensitive(sign_in)
        pending = oidc.start_sign_in(
            return_to="/sensitive", now=self.clock(), step_up=True, max_age=max_age
        )
        return self._redirect_to_twofold(request, pending)

    async def callback(
        self,
        request: Request,
        *,
        state: str | None = None,
        code: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        iss: str | None = None,
    ) -> Response:
        """Twofold's answer (OIDC Core 3.1.2.5/3.1.2.6), accepted only for a sign-in this
        browser started, once, and only from our issuer (RFC 9207 `iss` when sent)."""
        session = self._session(request)
        pending = self.sessions.take(session, state) if session and state else None
        if session is None or pending is None:
            return pages.error("This sign-in is unknown, used or expired. Please start again.")
        if iss is not None and iss != self.settings.issuer:
            return pages.error("The answer came from another issuer.")
        if error or not code:
            return pages.error(f"Twofold said: {error_description or error or 'no code'}")
        try:
            sign_in = await oidc.finish_sign_in(
                self.http, self.auth, settings=self.settings, pending=pending, code=code
            )
        except oidc.SignInError as exc:
            return pages.error(exc.description)
        max_age = self.settings.step_up_max_age
        if pending.step_up and oidc.needs_step_up(sign_in, max_age=max_age, now=self.clock()):
            return pages.step_up_failed(max_age)
        session = self.sessions.sign_in(session, sign_in)
        return self._with_cookie(RedirectResponse(pending.return_to, status_code=302), session)

    async def logout(self, request: Request) -> Response:
        """End the local session, then Twofold's (which sends the browser back home)."""
        session = self._session(request)
        sign_in = session.sign_in if session else None
        if session is not None:
            self.sessions.end(session)
        response = RedirectResponse(oidc.logout_url(self.settings, sign_in), status_code=302)
        response.delete_cookie(COOKIE, path="/")
        return response

    def _session(self, request: Request) -> BrowserSession | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def _redirect_to_twofold(self, request: Request, pending: oidc.PendingSignIn) -> Response:
        session = self._session(request) or self.sessions.start()
        self.sessions.remember(session, pending)
        location = oidc.authorize_url(self.settings, pending)
        return self._with_cookie(RedirectResponse(location, status_code=302), session)

    def _with_cookie(self, response: Response, session: BrowserSession) -> Response:
        response.set_cookie(
            COOKIE,
            session.id,
            httponly=True,
            samesite="lax",  # sent on the top-level redirect back from Twofold
            secure=self.settings.secure_cookies,
            path="/",
        )
        return response


def create_app(
    settings: AppSettings,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The app; `http` (closed by its owner) reaches Twofold, `clock` gives epoch seconds."""
    client = http or httpx.AsyncClient(timeout=10)
    auth = TwofoldAuth(issuer=settings.issuer, audience=settings.audience, http=client, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if http is None:
            await client.aclose()

    app = FastAPI(title="Twofold step-up example", lifespan=lifespan, docs_url=None, redoc_url=None)
    auth.install(app)
    StepUpSite(settings, auth=auth, http=client, clock=clock).mount(app)
    recent_mfa = auth.require(mfa=True, max_age=settings.step_up_max_age)

    @app.get("/api/sensitive")
    async def sensitive_api(
        claims: Annotated[TokenClaims, Depends(recent_mfa)],
    ) -> dict[str, Any]:
        """What a resource server does: 401 `insufficient_user_authentication` with
        `acr_values` and `max_age` until the access token proves a recent MFA."""
        return {"sub": claims.sub, "auth_time": claims.auth_time, "amr": list(claims.amr)}

    return app
