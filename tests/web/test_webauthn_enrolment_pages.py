"""Enrolling a security key (`webauthn-roaming`) or this device (`webauthn-platform`) on the
hosted pages: named first, then the registration ceremony whose options travel in the page
and whose answer (a software authenticator's) comes back in the form; on the sign-in's
`/u/mfa/enroll` and in My MFA settings, the first one bringing the recovery code."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.builders import Person, a_user
from tests.web.account_steps import ACCOUNT, authenticators_of, open_settings, rows
from tests.web.conftest import CALLBACK, location
from tests.web.mfa_steps import (
    always,
    audit_of,
    element,
    error_of,
    submit,
    text_of,
    to_mfa,
)
from tests.web.webauthn_steps import (
    FACTORS,
    a_key,
    answer,
    handle_of,
    keys_on,
    options_of,
)
from twofold.factors.webauthn.pages import PAGES
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import open_session
from twofold.types import AuthenticatorStatus, FactorType
from twofold.web.browser import SESSION_COOKIE

__all__ = ["always", "keys_on"]
pytestmark = pytest.mark.usefixtures("keys_on")

ATTACHMENT = {"webauthn-roaming": "cross-platform", "webauthn-platform": "platform"}
AMR = {
    "webauthn-roaming": ("pwd", "hwk", "mfa"),
    "webauthn-platform": ("pwd", "hwk", "user", "mfa"),
}
_KIND = re.compile(r'class="kind">([^<]*)<')
_MODEL = re.compile(r'class="aaguid">([^<]*)<')


async def name_form(http: httpx.AsyncClient, url: str, factor: str) -> httpx.Response:
    """The first form of a key's enrolment: its name, prefilled with the kind's."""
    shown = await http.get(url)
    assert shown.status_code == 200, shown.text[:300]
    page = PAGES[FactorType(factor)]
    assert text_of(shown.text, "factor-label") == page.label
    assert page.name_field is not None
    assert element(shown.text, "key-name", "value") == page.name_field.default
    assert "data-options" not in shown.text  # nothing started (or charged) yet
    return shown


async def ceremony_for(
    http: httpx.AsyncClient, shown: httpx.Response, person: Person, factor: str, name: str
) -> httpx.Response:
    """The name given: the page holds the creation options for this user and kind."""
    started = await submit(http, shown.text, "enrol-form", name=name)
    assert started.status_code == 200, started.text[:300]
    assert text_of(started.text, "key-name-shown") == name
    assert text_of(started.text, "webauthn-start") == PAGES[FactorType(factor)].ceremony
    options = options_of(started.text)
    assert options["user"]["name"] == person.email
    assert options["authenticatorSelection"]["authenticatorAttachment"] == ATTACHMENT[factor]
    assert options["excludeCredentials"] == []
    return started


async def stored(rt: Runtime, person: Person, factor: str) -> tuple[str | None, str]:
    item = (await authenticators_of(rt, person.user_id))[FactorType(factor)]
    assert item.status == AuthenticatorStatus.ACTIVE
    return item.name, item.id


@pytest.mark.usefixtures("always")
@pytest.mark.parametrize("factor", FACTORS)
async def test_a_key_enrolled_during_a_sign_in_finishes_it(
    client: httpx.AsyncClient, runtime: Runtime, factor: str
) -> None:
    person = await a_user(runtime)
    _, enrol_url = await to_mfa(runtime, client, person)
    picker = await client.get(enrol_url)
    link = element(picker.text, f"enrol-{factor}", "href")
    shown = await name_form(client, link, factor)
    started = await ceremony_for(client, shown, person, factor, "Work key")
    key = a_key(runtime, factor)

    done = await answer(client, started.text, "enrol-form", key.create(options_of(started.text)))

    assert done.status_code == 200, done.text[:300]
    assert len(text_of(done.text, "recovery-code")) == 24  # the first factor's, shown once
    finished = await client.get(element(done.text, "continue", "href"))
    assert location(finished).startswith(CALLBACK + "?code=")
    assert (await stored(runtime, person, factor))[0] == "Work key"
    current = await open_session(runtime, client.cookies.get(SESSION_COOKIE))
    assert current is not None
    assert current.session.amr == AMR[factor]
    [started_event] = await audit_of(runtime, person.user_id, "gd_start_enroll")
    assert started_event.details["factor"] == factor


@pytest.mark.parametrize("factor", FACTORS)
async def test_a_key_is_added_in_my_mfa_settings_and_listed(
    client: httpx.AsyncClient, runtime: Runtime, factor: str
) -> None:
    person = await a_user(runtime)
    await open_settings(runtime, client, person)
    shown = await name_form(client, f"{ACCOUNT}/add?factor={factor}", factor)
    started = await ceremony_for(client, shown, person, factor, "Desk key")
    key = a_key(runtime, factor, aaguid=bytes(range(16)))

    added = await answer(client, started.text, "enrol-form", key.create(options_of(started.text)))

    assert added.status_code == 200, added.text[:300]
    assert (
        text_of(added.text, "recovery-code-title") == "Authenticator added: save your recovery code"
    )
    listed = await client.get(ACCOUNT)
    name, key_id = await stored(runtime, person, factor)
    row = rows(listed.text)[key_id]
    assert (row["name"], name) == ("Desk key", "Desk key")
    assert row["type"].startswith(PAGES[FactorType(factor)].label)
    assert _KIND.findall(listed.text) == ["device-bound key"]
    assert _MODEL.findall(listed.text) == ["00010203-0405-0607-0809-0a0b0c0d0e0f"]
    assert 'id="setup-mfa-banner"' not in listed.text


async def test_a_synced_passkey_says_so_and_an_undisclosed_model_too(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    await open_settings(runtime, client, person)
    factor = FactorType.WEBAUTHN_PLATFORM.value
    shown = await name_form(client, f"{ACCOUNT}/add?factor={factor}", factor)
    started = await ceremony_for(client, shown, person, factor, "Phone")
    synced = a_key(runtime, factor, resident=True, backup_eligible=True, backed_up=True)

    await answer(client, started.text, "enrol-form", synced.create(options_of(started.text)))

    listed = await client.get(ACCOUNT)
    assert _KIND.findall(listed.text) == ["synced passkey"]
    assert _MODEL.findall(listed.text) == ["not disclosed"]


async def test_a_refused_registration_says_why_and_starts_a_new_ceremony(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    await open_settings(runtime, client, person)
    factor = FactorType.WEBAUTHN_ROAMING.value
    shown = await name_form(client, f"{ACCOUNT}/add?factor={factor}", factor)
    started = await ceremony_for(client, shown, person, factor, "Travel key")
    key = a_key(runtime, factor)
    elsewhere = key.create(options_of(started.text), origin="https://phishing.example")

    refused = await answer(client, started.text, "enrol-form", elsewhere)

    assert refused.status_code == 400
    assert error_of(refused.text) == "The response comes from a page of another origin."
    assert handle_of(refused.text) != handle_of(started.text)  # the old one died with it
    assert text_of(refused.text, "key-name-shown") == "Travel key"
    replayed = await answer(
        client, started.text, "enrol-form", key.create(options_of(started.text))
    )
    assert replayed.status_code == 400
    assert error_of(replayed.text) == "This attempt was already used or has expired. Try again."
    fresh = a_key(runtime, factor)
    added = await answer(client, refused.text, "enrol-form", fresh.create(options_of(refused.text)))
    assert added.status_code == 200, added.text[:300]
    assert (await stored(runtime, person, factor))[0] == "Travel key"
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_enrollment_failed")
    assert failed.details["reason"] == "invalid_response"


async def test_a_name_is_required_and_a_post_without_an_answer_is_explained(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    await open_settings(runtime, client, person)
    factor = FactorType.WEBAUTHN_ROAMING.value
    shown = await name_form(client, f"{ACCOUNT}/add?factor={factor}", factor)

    unnamed = await submit(client, shown.text, "enrol-form", name="   ")

    assert unnamed.status_code == 400
    field = PAGES[FactorType(factor)].name_field
    assert field is not None
    assert error_of(unnamed.text) == field.invalid
    started = await submit(client, unnamed.text, "enrol-form", name="Key")
    no_script = await submit(client, started.text, "enrol-form")  # the button without JS
    assert no_script.status_code == 400
    assert error_of(no_script.text) == "Use your security key or device to continue."
    assert handle_of(no_script.text) != handle_of(started.text)


async def test_a_second_key_s_ceremony_excludes_the_first(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """So the browser refuses to register one key twice (webauthn.js says it is already
    registered); no further recovery code comes with it."""
    person = await a_user(runtime)
    await open_settings(runtime, client, person)
    factor = FactorType.WEBAUTHN_ROAMING.value
    url = f"{ACCOUNT}/add?factor={factor}"
    first = await ceremony_for(client, await name_form(client, url, factor), person, factor, "A")
    created = a_key(runtime, factor).create(options_of(first.text))
    await answer(client, first.text, "enrol-form", created)

    second = await submit(client, (await client.get(url)).text, "enrol-form", name="B")

    excluded = options_of(second.text)["excludeCredentials"]
    assert [item["id"] for item in excluded] == [created["rawId"]]
    other = a_key(runtime, factor).create(options_of(second.text))
    added = await answer(client, second.text, "enrol-form", other)
    assert location(added) == f"{ACCOUNT}?done=added"
    names = sorted(r["name"] for r in rows((await client.get(ACCOUNT)).text).values())
    assert names == ["A", "B", "Recovery code"]
