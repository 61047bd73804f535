"""WebAuthn over the MFA API and the Passkey API: the tenant's webauthn factors switched on
through the Management API, software authenticators for the app's relying party, and the
HTTP steps (associate, challenge, the WebAuthn grant, the passkey challenge)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
from tests.builders import Client, Person, an_ip
from tests.support.soft_authenticator import SoftAuthenticator
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.domain import AuditRecord, JsonObject
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

WEBAUTHN = "urn:okta:params:oauth:grant-type:webauthn"
FACTORS = ("webauthn-roaming", "webauthn-platform")


def security_key(rt: Runtime, **knobs: Any) -> SoftAuthenticator:
    """A USB key for the app's RP ID, answering from its first allowed origin."""
    return SoftAuthenticator(rt.relying_party.id, rt.relying_party.origins[0], **knobs)


def device(rt: Runtime, **knobs: Any) -> SoftAuthenticator:
    """This device's biometrics: platform attachment, user verified."""
    knobs = {"uv": True, "attachment": "platform", "transports": ("internal",), **knobs}
    return SoftAuthenticator(rt.relying_party.id, rt.relying_party.origins[0], **knobs)


async def switch(
    http: httpx.AsyncClient, auth: TokenFactory, *, enabled: bool, names: tuple[str, ...] = FACTORS
) -> None:
    """Guardian's webauthn factors on or off, as an operator would (Auth0 has them off)."""
    writer = await auth("update:guardian_factors")
    for name in names:
        response = await http.put(
            f"/api/v2/guardian/factors/{name}", json={"enabled": enabled}, headers=writer
        )
        assert response.json() == {"enabled": enabled}, response.text


@pytest.fixture
async def webauthn_on(client: httpx.AsyncClient, auth: TokenFactory, tenant: None) -> None:
    """Both webauthn factors on for the test (`tenant` puts them back afterwards)."""
    await switch(client, auth, enabled=True)


@dataclass
class Served:
    """An app on the shared database with settings of the test's own."""

    rt: Runtime
    http: httpx.AsyncClient


async def served(settings: Settings, clock: FrozenClock, **webauthn: Any) -> AsyncIterator[Served]:
    """An app whose `webauthn` settings differ (passkeys on, other limits)."""
    custom = settings.model_copy(update={"webauthn": settings.webauthn.model_copy(update=webauthn)})
    rt = await build_runtime(custom, clock=clock)
    app = create_app(custom, runtime=rt)
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield Served(rt=rt, http=http)
    await close_runtime(rt)


async def associate(
    http: httpx.AsyncClient, bearer: str, factor: str = "webauthn-roaming", **extra: Any
) -> httpx.Response:
    return await http.post(
        "/mfa/associate",
        headers={"authorization": f"Bearer {bearer}"},
        json={"authenticator_types": [factor], **extra},
    )


async def challenge(
    http: httpx.AsyncClient, client: Client, token: str, **extra: Any
) -> httpx.Response:
    return await http.post(
        "/mfa/challenge",
        json={
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "mfa_token": token,
            "challenge_type": "webauthn",
            **extra,
        },
    )


async def grant(
    http: httpx.AsyncClient,
    client: Client,
    auth_session: str,
    response: JsonObject | str,
    *,
    mfa_token: str | None = None,
    **extra: Any,
) -> httpx.Response:
    """The WebAuthn grant (JSON body: `authn_response` as an object or a string)."""
    body: dict[str, Any] = {
        "grant_type": WEBAUTHN,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "auth_session": auth_session,
        "authn_response": response,
        **extra,
    }
    if mfa_token is not None:
        body["mfa_token"] = mfa_token
    return await http.post("/oauth/token", json=body)


@dataclass(frozen=True, slots=True)
class Enrolled:
    key: SoftAuthenticator
    authenticator_id: str
    recovery_code: str | None
    tokens: JsonObject


async def enrolled(  # noqa: PLR0917 - the walk's cast, in the order it appears
    http: httpx.AsyncClient,
    rt: Runtime,
    client: Client,
    person: Person,
    key: SoftAuthenticator,
    factor: str = "webauthn-roaming",
    **extra: Any,
) -> Enrolled:
    """A first factor registered with an `mfa_token` and confirmed by the WebAuthn grant."""
    token = await mfa_token(http, client, person)
    started = await associate(http, token, factor, **extra)
    assert started.status_code == 200, started.text
    body = started.json()
    created = key.create(body["authn_params_public_key"])
    granted = await grant(http, client, body["auth_session"], created, mfa_token=token)
    assert granted.status_code == 200, granted.text
    async with rt.store.read() as tx:
        items = await tx.authenticators.for_user(person.user_id)
    return Enrolled(
        key=key,
        authenticator_id=[a.id for a in items if a.type.value == factor][-1],
        recovery_code=(body.get("recovery_codes") or [None])[0],
        tokens=granted.json(),
    )


async def answered(
    http: httpx.AsyncClient, client: Client, person: Person, key: SoftAuthenticator
) -> httpx.Response:
    """A fresh login answered with `key` through `/mfa/challenge` and the WebAuthn grant."""
    token = await mfa_token(http, client, person)
    started = await challenge(http, client, token)
    assert started.status_code == 200, started.text
    body = started.json()
    response = key.get(body["authn_params_public_key"])
    return await grant(http, client, body["auth_session"], response, mfa_token=token)


async def claims_of(http: httpx.AsyncClient, granted: httpx.Response) -> dict[str, Any]:
    assert granted.status_code == 200, granted.text
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    claims: dict[str, Any] = jwt.decode(granted.json()["access_token"], keys).claims
    return claims


async def audit_of(
    rt: Runtime, user_id: str | None, type_: str, *, client_id: str | None = None
) -> list[AuditRecord]:
    """One user's (or one client's) events of a type, oldest first."""
    async with rt.store.read() as tx:
        page = await audit_repo.search(
            tx.conn, user_id=user_id, client_id=client_id, type=type_, per_page=100, ascending=True
        )
    return list(page.items)
