"""Steps of the security-key page tests: the tenant's WebAuthn factors on, the options a page
carries in its `data-options` attribute (what `webauthn.js` hands the browser), a software
authenticator's answer posted in the page's form, and keys seeded through the flows."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest

from tests.api.webauthn import FACTORS, device, security_key
from tests.support.soft_authenticator import SoftAuthenticator
from tests.web.mfa_steps import submit
from twofold.domain import Authenticator, JsonObject
from twofold.flows import hosted_webauthn
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.types import FactorType

__all__ = ["FACTORS", "device", "security_key"]

_OPTIONS = re.compile(r"data-options='([^']*)'")
_HANDLE = re.compile(r'name="auth_session" value="([^"]*)"')


@pytest.fixture
async def keys_on(runtime: Runtime, tenant: None) -> None:
    """Both WebAuthn factors on (`tenant` puts the switches back afterwards)."""
    async with runtime.store.transaction() as tx:
        for name in FACTORS:
            await tx.tenant.set_factor(name, enabled=True)


def a_key(rt: Runtime, factor: str, **knobs: Any) -> SoftAuthenticator:
    """A USB security key without user verification, or this device's biometrics."""
    if factor == FactorType.WEBAUTHN_PLATFORM.value:
        return device(rt, **knobs)
    return security_key(rt, **{"uv": False, **knobs})


def options_of(page: str) -> JsonObject:
    """The ceremony's options, as the page's script reads them."""
    found = _OPTIONS.search(page)
    assert found, "no data-options on the page"
    options: JsonObject = json.loads(html.unescape(found.group(1)))
    return options


def handle_of(page: str) -> str:
    found = _HANDLE.search(page)
    assert found, "no auth_session on the page"
    return html.unescape(found.group(1))


async def answer(
    http: httpx.AsyncClient, page: str, form_id: str, response: JsonObject, **fields: str
) -> httpx.Response:
    """Post the form as the script does: its hidden fields, and the browser's answer."""
    return await submit(http, page, form_id, authn_response=json.dumps(response), **fields)


async def seeded_key(
    rt: Runtime, user_id: str, key: SoftAuthenticator, factor: str, *, name: str
) -> Authenticator:
    """A key registered through the pages' own flow (as My MFA settings would add it)."""
    ceremony = await hosted_webauthn.start_enrolment(
        rt, user_id, FactorType(factor), name=name, info=RequestInfo(), session_id="ses_seeding"
    )
    created = key.create(ceremony.authn_params_public_key)
    await hosted_webauthn.finish_enrolment(
        rt,
        user_id,
        ceremony.auth_session,
        json.dumps(created),
        info=RequestInfo(),
        session_id="ses_seeding",
    )
    async with rt.store.read() as tx:
        items = await tx.authenticators.for_user(user_id)
    return next(a for a in items if a.type.value == factor and a.name == name)
