"""A security key or this device as the second factor on `/u/mfa`: the request options in the
page, the picker when the user has several, a refused or replayed answer explained with a
new ceremony to retry, the challenge limit, and removing a key in My MFA settings."""

from __future__ import annotations

import httpx
import pytest

from tests.api.webauthn import enrolled
from tests.builders import Person, a_client, a_user
from tests.support.soft_authenticator import SoftAuthenticator, b64u
from tests.web.account_steps import ACCOUNT, authenticators_of, open_settings, post, rows
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
    a_key,
    answer,
    handle_of,
    keys_on,
    options_of,
    seeded_key,
)
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import open_session
from twofold.types import FactorType
from twofold.web.browser import SESSION_COOKIE

__all__ = ["always", "keys_on"]
pytestmark = pytest.mark.usefixtures("keys_on", "always")

ROAMING, PLATFORM = FactorType.WEBAUTHN_ROAMING.value, FactorType.WEBAUTHN_PLATFORM.value


async def with_a_key(
    http: httpx.AsyncClient, rt: Runtime, factor: str = ROAMING
) -> tuple[Person, SoftAuthenticator]:
    """A user whose only factor is a key, enrolled over the MFA API."""
    person, key = await a_user(rt), a_key(rt, factor)
    await enrolled(http, rt, await a_client(rt), person, key, factor)
    return person, key


async def at_the_challenge(http: httpx.AsyncClient, rt: Runtime, person: Person) -> httpx.Response:
    http.cookies.clear()  # a new browser
    _, mfa_url = await to_mfa(rt, http, person)
    assert mfa_url.startswith("/u/mfa?state=")
    shown = await http.get(mfa_url)
    assert shown.status_code == 200, shown.text[:300]
    return shown


async def session_amr(http: httpx.AsyncClient, rt: Runtime) -> tuple[str, ...]:
    current = await open_session(rt, http.cookies.get(SESSION_COOKIE))
    assert current is not None
    return current.session.amr


async def test_the_key_answers_the_challenge(client: httpx.AsyncClient, runtime: Runtime) -> None:
    person, key = await with_a_key(client, runtime)

    shown = await at_the_challenge(client, runtime, person)

    assert text_of(shown.text, "factor-label") == "Security key"
    assert text_of(shown.text, "webauthn-start") == "Use security key"
    assert 'id="submit"' not in shown.text  # the ceremony's button is the form's
    options = options_of(shown.text)
    assert [item["id"] for item in options["allowCredentials"]] == [
        b64u(cid) for cid in key.credentials
    ]
    assert options["userVerification"] == "discouraged"
    done = await answer(client, shown.text, "mfa-form", key.get(options))
    assert location(done).startswith(CALLBACK + "?code=")
    assert await session_amr(client, runtime) == ("pwd", "hwk", "mfa")


async def test_the_picker_offers_each_key_and_asks_only_the_one_picked(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, usb = await with_a_key(client, runtime)
    phone = a_key(runtime, PLATFORM)
    picked = await seeded_key(runtime, person.user_id, phone, PLATFORM, name="My laptop")

    picker = await at_the_challenge(client, runtime, person)

    assert text_of(picker.text, "choose-1").startswith("Security key")
    assert text_of(picker.text, "choose-2") == "This device (fingerprint, face or PIN) · My laptop"
    shown = await client.get(element(picker.text, "choose-2", "href"))
    options = options_of(shown.text)
    assert [item["id"] for item in options["allowCredentials"]] == [picked.params["credential_id"]]
    assert options["userVerification"] == "required"
    with pytest.raises(LookupError):  # the other key is not asked for
        usb.get(options)
    done = await answer(client, shown.text, "mfa-form", phone.get(options))
    assert location(done).startswith(CALLBACK + "?code=")
    assert await session_amr(client, runtime) == ("pwd", "hwk", "user", "mfa")


async def test_a_refused_then_a_replayed_answer_are_explained_and_a_new_one_works(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, key = await with_a_key(client, runtime)
    shown = await at_the_challenge(client, runtime, person)
    first = options_of(shown.text)

    refused = await answer(
        client, shown.text, "mfa-form", key.get(first, origin="https://phishing.example")
    )

    assert refused.status_code == 400
    assert error_of(refused.text) == "Your security key or device could not be verified. Try again."
    assert handle_of(refused.text) != handle_of(shown.text)
    replayed = await answer(client, shown.text, "mfa-form", key.get(first))
    assert replayed.status_code == 400
    assert error_of(replayed.text) == "This attempt was already used or has expired. Try again."
    missing = await submit(client, replayed.text, "mfa-form")
    assert missing.status_code == 400
    assert error_of(missing.text) == "Use your security key or device to continue."
    done = await answer(client, missing.text, "mfa-form", key.get(options_of(missing.text)))
    assert location(done).startswith(CALLBACK + "?code=")
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_challenge_failed")
    assert failed.details["reason"] == "invalid_response"


async def test_a_cloned_key_is_refused_and_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, key = await with_a_key(client, runtime)
    shown = await at_the_challenge(client, runtime, person)
    done = await answer(client, shown.text, "mfa-form", key.get(options_of(shown.text)))
    assert location(done).startswith(CALLBACK + "?code=")
    key.set_sign_count(0)  # a copy of the key, behind the original's counter

    again = await at_the_challenge(client, runtime, person)
    refused = await answer(client, again.text, "mfa-form", key.get(options_of(again.text)))

    assert refused.status_code == 400
    assert error_of(refused.text).startswith("This security key could not be trusted")
    [clone] = await audit_of(runtime, person.user_id, "webauthn_possible_clone")
    assert clone.details["authenticator_id"]


async def test_too_many_ceremonies_are_refused_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """15 challenges, then 15 a minute (Auth0's limit); the registration spent one."""
    person, _ = await with_a_key(client, runtime)
    shown = await at_the_challenge(client, runtime, person)
    views = 1
    while shown.status_code == 200 and views < 20:
        shown = await client.get(str(shown.url))
        views += 1

    assert (shown.status_code, views) == (429, 15)
    assert error_of(shown.text) == "Too many attempts. Try again in 1 minute."
    assert "data-options" not in shown.text


async def test_my_mfa_settings_renames_and_removes_a_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, _ = await with_a_key(client, runtime)
    second = await seeded_key(
        runtime, person.user_id, a_key(runtime, PLATFORM), PLATFORM, name="Pc"
    )
    client.cookies.clear()
    page = await open_settings(runtime, client, person)
    key_id = (await authenticators_of(runtime, person.user_id))[FactorType.WEBAUTHN_ROAMING].id

    renamed = await post(client, "/rename", page, authenticator_id=key_id, name="Keyring key")
    assert location(renamed) == f"{ACCOUNT}?done=renamed"
    removed = await post(client, "/remove", page, authenticator_id=key_id)

    assert location(removed) == f"{ACCOUNT}?done=removed"
    listed = rows((await client.get(ACCOUNT)).text)
    assert key_id not in listed
    assert listed[second.id]["name"] == "Pc"
    [unenrolled] = await audit_of(runtime, person.user_id, "gd_unenroll")
    assert unenrolled.details["authenticator_id"] == key_id
