"""An admin MFA reset ends everything an earlier MFA vouched for (ARCHITECTURE invariant 6):
browser sessions, remembered browsers and refresh-token families, at once."""

from __future__ import annotations

from dataclasses import replace

import httpx

from tests.api.codeflow import a_code, a_code_app, exchange, refresh
from tests.builders import a_user
from tests.web.conftest import a_web_app, authorize, location, submit_login
from twofold.flows.admin import reset_mfa
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import remember_browser, remembered_for
from twofold.types import UserId


async def test_reset_ends_sessions_remembered_browsers_and_refresh_tokens(
    client: httpx.AsyncClient, runtime: Runtime, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    await submit_login(client, location(await authorize(client, web)), person)
    assert "code" in location(await authorize(client, web))
    remembered = await remember_browser(
        runtime, UserId(person.user_id), ("otp", "mfa"), RequestInfo()
    )
    code_app = await a_code_app(runtime)
    tokens = (await exchange(client, code_app, await a_code(runtime, code_app, person))).json()

    await reset_mfa(runtime, person.user_id, actor="test")

    assert location(await authorize(client, web)).startswith("/u/login?state=")
    remembering = runtime.settings.model_copy(deep=True)
    remembering.sessions.remember_browser = True
    assert (
        await remembered_for(replace(runtime, settings=remembering), remembered, person.user_id)
        is None
    )
    refused = await refresh(client, code_app, tokens["refresh_token"])
    assert (refused.status_code, refused.json()["error"]) == (403, "invalid_grant")
