"""My MFA settings (`/u/account/security`): the gate, the list, renaming and removing
authenticators, and CSRF and ownership checks on every change."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.builders import a_user
from tests.web.account_steps import (
    ACCOUNT,
    an_enrolled_person,
    audit_of,
    authenticators_of,
    open_settings,
    pass_mfa,
    post,
    recovery_grant,
    rows,
    session_csrf,
    set_policy,
    sign_in,
)
from tests.web.conftest import location, submit_login
from twofold.clock import FrozenClock
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import remember_browser
from twofold.types import FactorType, UserId
from twofold.web.browser import SESSION_COOKIE

LAST_FACTOR = "This is your only authenticator"
NEW_CODE = re.compile(r'id="new-recovery-code">([A-Z0-9]{24})<')
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


async def test_signed_out_visit_signs_in_and_comes_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    first = await client.get(ACCOUNT)
    assert first.status_code == 303
    assert location(first).startswith("/u/login?state=")
    assert SESSION_COOKIE in first.cookies
    back = await submit_login(client, location(first), person)
    assert location(back) == ACCOUNT
    page = await client.get(ACCOUNT)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert 'id="setup-mfa-banner"' in page.text
    assert 'id="setup-mfa-link"' in page.text
    assert 'id="no-authenticators"' in page.text
    assert rows(page.text) == {}
    assert 'href="/oidc/logout"' in page.text


async def test_a_user_with_a_factor_passes_mfa_before_the_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    went = await sign_in(client, enrolled.person)
    assert went.startswith("/u/mfa?state=")
    again = await client.get(ACCOUNT)
    assert location(again).startswith("/u/mfa?state=")
    otp = (await authenticators_of(runtime, enrolled.person.user_id))[FactorType.OTP]
    token = await session_csrf(runtime, client)
    refused = await post(client, "/remove", token, authenticator_id=otp.id)
    assert location(refused).startswith("/u/mfa?state=")
    assert FactorType.OTP in await authenticators_of(runtime, enrolled.person.user_id)
    assert await pass_mfa(runtime, client, location(again)) == ACCOUNT
    page = await client.get(ACCOUNT)
    assert page.status_code == 200
    assert 'id="setup-mfa-banner"' not in page.text


async def test_the_list_shows_names_types_and_last_use(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    page = await open_settings(runtime, client, enrolled.person)
    stored = await authenticators_of(runtime, enrolled.person.user_id)
    assert rows(page.text) == {
        stored[FactorType.OTP].id: {
            "name": "Authenticator app",
            "type": "Authenticator app",
            "created": "22 Nov 2026",
            "last-used": "22 Nov 2026",
        },
        stored[FactorType.RECOVERY_CODE].id: {
            "name": "Recovery code",
            "type": "Recovery code",
            "created": "22 Nov 2026",
            "last-used": "Never",
        },
    }
    assert 'id="regenerate-recovery-code"' in page.text
    assert 'id="add-authenticator"' in page.text


async def test_rename_trims_the_name_and_is_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    page = await open_settings(runtime, client, enrolled.person)
    otp = (await authenticators_of(runtime, enrolled.person.user_id))[FactorType.OTP]
    response = await post(client, "/rename", page, authenticator_id=otp.id, name="  Work phone ")
    assert location(response) == f"{ACCOUNT}?done=renamed"
    page = await client.get(location(response))
    assert 'id="notice"' in page.text
    assert "Authenticator renamed." in page.text
    assert rows(page.text)[otp.id]["name"] == "Work phone"
    assert rows(page.text)[otp.id]["type"] == "Authenticator app"
    [event] = await audit_of(runtime, enrolled.person.user_id, "gd_update_device_account")
    assert event.details == {"authenticator_id": otp.id, "factor": "otp"}
    assert event.actor == enrolled.person.user_id


@pytest.mark.parametrize("name", ["", "   ", "x" * 61, "evil\u202egnp.exe"])
async def test_rename_refuses_a_bad_name_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime, name: str
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    page = await open_settings(runtime, client, enrolled.person)
    otp = (await authenticators_of(runtime, enrolled.person.user_id))[FactorType.OTP]
    response = await post(client, "/rename", page, authenticator_id=otp.id, name=name)
    assert response.status_code == 400
    assert 'id="error"' in response.text
    assert rows(response.text)[otp.id]["name"] == "Authenticator app"
    assert await audit_of(runtime, enrolled.person.user_id, "gd_update_device_account") == []


async def test_removing_the_last_factor_is_refused_when_the_policy_requires_mfa(
    client: httpx.AsyncClient, runtime: Runtime, tenant: None
) -> None:
    await set_policy(runtime, "all-applications")
    enrolled = await an_enrolled_person(runtime, client)
    page = await open_settings(runtime, client, enrolled.person)
    otp = (await authenticators_of(runtime, enrolled.person.user_id))[FactorType.OTP]
    response = await post(client, "/remove", page, authenticator_id=otp.id)
    assert response.status_code == 403
    assert LAST_FACTOR in response.text
    assert otp.id in rows(response.text)
    assert FactorType.OTP in await authenticators_of(runtime, enrolled.person.user_id)
    assert await audit_of(runtime, enrolled.person.user_id, "gd_unenroll") == []


async def test_removing_the_last_factor_is_allowed_under_never_and_keeps_the_code(
    client: httpx.AsyncClient, runtime: Runtime, tenant: None
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    await set_policy(runtime)
    page = await open_settings(runtime, client, enrolled.person)
    stored = await authenticators_of(runtime, enrolled.person.user_id)
    otp = stored[FactorType.OTP]
    response = await post(client, "/remove", page, authenticator_id=otp.id)
    assert location(response) == f"{ACCOUNT}?done=removed"
    page = await client.get(location(response))
    assert "Authenticator removed." in page.text
    assert 'id="setup-mfa-banner"' in page.text
    assert list(rows(page.text)) == [stored[FactorType.RECOVERY_CODE].id]
    assert list(await authenticators_of(runtime, enrolled.person.user_id)) == [
        FactorType.RECOVERY_CODE
    ]
    [event] = await audit_of(runtime, enrolled.person.user_id, "gd_unenroll")
    assert event.details == {"authenticator_id": otp.id, "factor": "otp"}
    assert (event.actor, event.client_id) == (enrolled.person.user_id, None)
    assert event.ip is not None


async def test_the_recovery_code_cannot_be_removed_only_regenerated(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    page = await open_settings(runtime, client, enrolled.person)
    code = (await authenticators_of(runtime, enrolled.person.user_id))[FactorType.RECOVERY_CODE]
    response = await post(client, "/remove", page, authenticator_id=code.id)
    assert response.status_code == 400
    assert "regenerate it" in response.text
    assert FactorType.RECOVERY_CODE in await authenticators_of(runtime, enrolled.person.user_id)


@pytest.mark.parametrize("token", [None, "forged"])
async def test_a_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, token: str | None
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    await open_settings(runtime, client, enrolled.person)
    otp = (await authenticators_of(runtime, enrolled.person.user_id))[FactorType.OTP]
    form = {"authenticator_id": otp.id} | ({"csrf_token": token} if token else {})
    response = await client.post(f"{ACCOUNT}/remove", data=form)
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert 'id="error-code">access_denied<' in response.text
    assert FactorType.OTP in await authenticators_of(runtime, enrolled.person.user_id)


async def test_a_signed_out_post_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{ACCOUNT}/browsers/forget-all", data={"csrf_token": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "fields"), [("/remove", {}), ("/rename", {"name": "Mine now"})])
async def test_another_users_authenticator_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, path: str, fields: dict[str, str]
) -> None:
    victim = await an_enrolled_person(runtime, client)
    target = (await authenticators_of(runtime, victim.person.user_id))[FactorType.OTP]
    await open_settings(runtime, client, await a_user(runtime))
    token = await session_csrf(runtime, client)
    response = await post(client, path, token, authenticator_id=target.id, **fields)
    assert response.status_code == 404
    assert 'id="error-code">not_found<' in response.text
    assert (await authenticators_of(runtime, victim.person.user_id))[FactorType.OTP] == target


async def test_regenerating_the_recovery_code_kills_the_old_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    page = await open_settings(runtime, client, enrolled.person)
    response = await post(client, "/recovery-code", page)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = NEW_CODE.search(response.text)
    assert found
    new_code = found.group(1)
    assert new_code != enrolled.recovery_code
    old = await recovery_grant(client, enrolled, enrolled.recovery_code)
    assert (old.status_code, old.json()["error"]) == (403, "invalid_grant")
    assert (await recovery_grant(client, enrolled, new_code)).status_code == 200
    [event] = await audit_of(runtime, enrolled.person.user_id, "gd_update_device_account")
    assert (event.description, event.actor) == (
        "Recovery code regenerated",
        enrolled.person.user_id,
    )


async def test_a_user_without_code_or_factor_gets_no_recovery_code(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    await open_settings(runtime, client, person)
    response = await post(client, "/recovery-code", await session_csrf(runtime, client))
    assert response.status_code == 400
    assert "one is issued with your first authenticator" in response.text
    assert await authenticators_of(runtime, person.user_id) == {}


async def test_remembered_browsers_are_listed_and_forgotten(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    user_id = UserId(person.user_id)
    await remember_browser(runtime, user_id, ("otp",), RequestInfo(user_agent=SAFARI_IPHONE))
    clock.advance(8 * 86400)  # the first lapses: unused for more than 7 days
    await remember_browser(runtime, user_id, ("otp",), RequestInfo(user_agent=FIREFOX_LINUX))
    await remember_browser(runtime, user_id, ("otp",), RequestInfo(user_agent=None))
    page = await open_settings(runtime, client, person)
    listed = rows(page.text, "remembered")
    assert sorted(row["browser"] for row in listed.values()) == [
        "Firefox on Linux",
        "Unknown browser",
    ]
    assert {row["created"] for row in listed.values()} == {"30 Nov 2026"}
    first = next(iter(listed))
    response = await post(client, "/browsers/forget", page, remembered_id=first)
    assert location(response) == f"{ACCOUNT}?done=forgotten"
    page = await client.get(location(response))
    assert list(rows(page.text, "remembered")) == [id_ for id_ in listed if id_ != first]
    [event] = await audit_of(runtime, person.user_id, "tf_rb_forget")
    assert event.details == {"remembered_id": first}
    response = await post(client, "/browsers/forget-all", page)
    assert location(response) == f"{ACCOUNT}?done=forgotten-all"
    page = await client.get(location(response))
    assert 'id="no-remembered-browsers"' in page.text
    async with runtime.store.read() as tx:
        assert await tx.remembered.for_user(person.user_id) == []
    assert len(await audit_of(runtime, person.user_id, "tf_rb_forget")) == 3


async def test_another_users_browser_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await a_user(runtime)
    await remember_browser(runtime, UserId(owner.user_id), ("otp",), RequestInfo())
    async with runtime.store.read() as tx:
        [theirs] = await tx.remembered.for_user(owner.user_id)
    await open_settings(runtime, client, await a_user(runtime))
    token = await session_csrf(runtime, client)
    response = await post(client, "/browsers/forget", token, remembered_id=theirs.id)
    assert response.status_code == 404
    async with runtime.store.read() as tx:
        assert await tx.remembered.for_user(owner.user_id) == [theirs]
