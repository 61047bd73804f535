"""Steps of the code flow's token side: a code made with `issue_code` (no browser), then the
token endpoint, `/userinfo` and the audit log over HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.builders import Person
from twofold.domain import Application, AuditRecord
from twofold.flows.codes import issue_code
from twofold.flows.grants import GrantType
from twofold.flows.runtime import Runtime
from twofold.security import tokens
from twofold.store.repos import audit as audit_repo
from twofold.types import ClientId

REDIRECT_URI = "https://app.example.com/callback"
FULL_SCOPE = "openid profile email offline_access"
MFA_AMR = ("pwd", "otp", "mfa")
BROWSER_GRANTS = (GrantType.AUTHORIZATION_CODE.value, GrantType.REFRESH_TOKEN.value)


@dataclass(frozen=True, slots=True)
class CodeApp:
    client_id: str
    client_secret: str | None

    def credentials(self) -> dict[str, str]:
        """`client_secret_post` for a confidential client, `none` for a public one."""
        if self.client_secret is None:
            return {"client_id": self.client_id}
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"authorization": f"Basic {base64.b64encode(pair).decode()}"}


async def a_code_app(
    rt: Runtime, *, public: bool = False, grant_types: tuple[str, ...] = BROWSER_GRANTS
) -> CodeApp:
    """A regular_web (or, `public`, a spa) application registered for REDIRECT_URI."""
    secret = None if public else tokens.new_client_secret()
    application = Application(
        client_id=ClientId(tokens.new_client_id()),
        name="code flow app",
        secret_hash=tokens.token_hash(secret) if secret else None,
        app_type="spa" if public else "regular_web",
        grant_types=grant_types,
        scopes=(),
        created_at=rt.clock.now(),
        callbacks=(REDIRECT_URI,),
    )
    async with rt.store.transaction() as tx:
        await tx.applications.add(application)
    return CodeApp(application.client_id, secret)


def pkce_pair() -> tuple[str, str]:
    """A verifier and its S256 challenge, computed here independently of security/pkce.py."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def a_code(
    rt: Runtime,
    app: CodeApp,
    person: Person,
    *,
    scope: str = FULL_SCOPE,
    amr: tuple[str, ...] = MFA_AMR,
    nonce: str | None = "n-0S6_WzA2Mj",
    challenge: str | None = None,
    session_id: str = "ses_test-session",
    auth_time: dt.datetime | None = None,
) -> str:
    """What `/authorize` hands out once the user passed every step."""
    async with rt.store.transaction() as tx:
        return await issue_code(
            rt,
            tx,
            client_id=app.client_id,
            user_id=person.user_id,
            redirect_uri=REDIRECT_URI,
            scope=scope,
            audience=rt.settings.userinfo_audience,
            auth_time=auth_time or rt.clock.now() - dt.timedelta(minutes=2),
            amr=amr,
            acr=None,
            nonce=nonce,
            code_challenge=challenge,
            code_challenge_method="S256" if challenge else None,
            session_id=session_id,
        )


async def exchange(
    http: httpx.AsyncClient,
    app: CodeApp,
    code: str,
    *,
    redirect_uri: str = REDIRECT_URI,
    basic: bool = False,
    code_verifier: str | None = None,
    **extra: str,
) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier is not None:
        body["code_verifier"] = code_verifier
    if basic:
        return await http.post("/oauth/token", data=body | extra, headers=app.basic())
    return await http.post("/oauth/token", data=body | app.credentials() | extra)


async def refresh(
    http: httpx.AsyncClient, app: CodeApp, refresh_token: str, **extra: str
) -> httpx.Response:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await http.post("/oauth/token", data=body | app.credentials() | extra)


async def tokens_for(
    rt: Runtime, http: httpx.AsyncClient, app: CodeApp, person: Person, **code_args: Any
) -> dict[str, Any]:
    """A code exchanged at once: the token response's JSON."""
    response = await exchange(http, app, await a_code(rt, app, person, **code_args))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def userinfo(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/userinfo", headers={"authorization": f"Bearer {access_token}"})


async def claims_of(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """A JWT's claims, checked against the published JWKS with joserfc directly."""
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    return dict(jwt.decode(token, keys, algorithms=["RS256", "ES256"]).claims)


async def events_of(rt: Runtime, client_id: str) -> list[AuditRecord]:
    """The client's audit events, oldest first."""
    async with rt.store.read() as tx:
        page = await audit_repo.search(tx.conn, client_id=client_id, ascending=True)
    return list(page.items)


async def outcomes(rt: Runtime, client_id: str) -> list[tuple[str, str | None]]:
    """(type, details.reason) of the client's audit events, oldest first."""
    return [(event.type, event.details.get("reason")) for event in await events_of(rt, client_id)]
