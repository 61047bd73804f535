"""Push on the hosted MFA page: the device in the picker, the push sent with its number, the
device's answer (through the SDK) and the completing post, and the answer event the page
waits on. The completing post must come from the session the push was sent for, once."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import auth, machine
from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.builders import a_client, a_user, an_ip
from tests.push.conftest import push_on
from tests.push.devices import associate_push
from tests.push.pushes import Enrolled, enrolled
from tests.web.account_steps import ACCOUNT, an_enrolled_person, open_settings
from tests.web.conftest import CALLBACK, a_web_app, authorize, location
from tests.web.mfa_steps import always, audit_of, element, error_of, submit, text_of, to_mfa
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import open_session
from twofold.sdk.authenticator import approve, deny, enrol
from twofold.web import push_view
from twofold.web.browser import SESSION_COOKIE

__all__ = ["always", "auth", "machine", "push_on"]

_TXN = re.compile(r'name="txn" value="([^"]+)"')


def txn_of(page: str) -> str:
    found = _TXN.search(page)
    assert found, "no push on the page"
    return found.group(1)


async def number_of(rt: Runtime, txn: str) -> int:
    async with rt.store.read() as tx:
        push = await tx.push_transactions.get(txn)
    assert push is not None
    return push.number


async def at_the_push(
    rt: Runtime, http: httpx.AsyncClient, clock: FrozenClock
) -> tuple[Enrolled, httpx.Response]:
    """A user whose only factor is a push device signs in: the MFA page sends a push."""
    device = await enrolled(http, rt, clock)
    _, mfa_url = await to_mfa(rt, http, device.person)
    shown = await http.get(mfa_url)
    assert shown.status_code == 200, shown.text[:500]
    return device, shown


async def session_amr(rt: Runtime, http: httpx.AsyncClient) -> tuple[str, ...]:
    opened = await open_session(rt, http.cookies.get(SESSION_COOKIE))
    assert opened is not None
    return opened.session.amr


async def test_the_picker_offers_push_to_the_device_by_name(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope="enroll"
    )
    first = (await associate(client, token)).json()
    granted = await otp_grant(client, app, token, code(first["secret"], clock.now()))
    assert granted.status_code == 200, granted.text
    body = (await associate_push(client, granted.json()["access_token"])).json()
    await enrol(body["barcode_uri"], name="Pixel 8", http=client, now=clock.now())

    _, mfa_url = await to_mfa(runtime, client, person)
    picker = await client.get(mfa_url)

    assert picker.status_code == 200, picker.text[:300]
    labels = re.findall(r'id="choose-\d+">\s*([^<]*?)\s*</a>', picker.text)
    assert "Push to Pixel 8" in labels
    assert any(label.startswith("Authenticator app") for label in labels)


async def test_choosing_push_shows_the_number_and_approval_finishes_the_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    txn = txn_of(shown.text)
    number = await number_of(runtime, txn)

    assert text_of(shown.text, "push-number") == str(number)
    assert "We sent a sign-in request to Test phone." in shown.text
    assert 'id="push-resend"' in shown.text
    assert "Enter a code from the app instead" in shown.text
    assert element(shown.text, "push-wait", "data-events").startswith("/u/mfa/push/events?")
    before = len(await audit_of(runtime, device.person.user_id, "gd_auth_succeed"))
    await approve(device.account, txn, number, http=client, now=clock.now())
    done = await submit(client, shown.text, "mfa-form")

    assert location(done).startswith(CALLBACK + "?code=")
    assert await session_amr(runtime, client) == ("pwd", "swk", "mfa")
    after = await audit_of(runtime, device.person.user_id, "gd_auth_succeed")
    assert len(after) == before + 1


async def test_a_denied_push_says_so(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    await deny(device.account, txn_of(shown.text), http=client, now=clock.now())

    refused = await submit(client, shown.text, "mfa-form")

    assert refused.status_code == 400
    assert error_of(refused.text) == "The request was denied on your device."


async def test_completing_before_the_answer_keeps_waiting(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    _, shown = await at_the_push(runtime, client, clock)

    early = await submit(client, shown.text, "mfa-form")

    assert early.status_code == 400
    assert txn_of(early.text) == txn_of(shown.text)
    assert error_of(early.text) == "The sign-in request has not been approved on your device yet."


async def test_an_expired_push_offers_to_send_again(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    clock.advance(runtime.settings.push.transaction_ttl + 1)

    late = await submit(client, shown.text, "mfa-form")
    again = await submit(client, late.text, "push-resend")

    assert late.status_code == 400
    assert error_of(late.text) == push_view.EXPIRED
    assert again.status_code == 200, again.text[:300]
    assert text_of(again.text, "notice") == "We sent a new sign-in request."
    fresh = txn_of(again.text)
    assert fresh != txn_of(shown.text)
    await approve(
        device.account, fresh, await number_of(runtime, fresh), http=client, now=clock.now()
    )
    done = await submit(client, again.text, "mfa-form")
    assert location(done).startswith(CALLBACK + "?code=")


async def test_the_completing_post_counts_once(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    txn = txn_of(shown.text)
    await approve(device.account, txn, await number_of(runtime, txn), http=client, now=clock.now())
    done = await submit(client, shown.text, "mfa-form")
    assert location(done).startswith(CALLBACK + "?code=")
    succeeded = len(await audit_of(runtime, device.person.user_id, "gd_auth_succeed"))

    # The same browser signs in again with a `max_age` its MFA is older than, so MFA is
    # asked again, and replays the first push's completing post.
    clock.advance(5)
    mfa_url = location(await authorize(client, await a_web_app(runtime), max_age="1"))
    assert mfa_url.startswith("/u/mfa?")
    replayed = await client.post(mfa_url, data={"csrf_token": _csrf(shown.text), "txn": txn})

    assert replayed.status_code == 400, replayed.text[:300]
    assert error_of(replayed.text) == push_view.GONE
    assert len(await audit_of(runtime, device.person.user_id, "gd_auth_succeed")) == succeeded


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


@pytest.mark.usefixtures("always", "push_on")
async def test_another_session_cannot_complete_the_push(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    txn = txn_of(shown.text)
    await approve(device.account, txn, await number_of(runtime, txn), http=client, now=clock.now())
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as other:
        _, other_url = await to_mfa(runtime, other, device.person)
        other_page = await other.get(other_url)
        stolen = await submit(other, other_page.text, "mfa-form", txn=txn)
        own_events = element(other_page.text, "push-wait", "data-events")
        events = await other.get(own_events.replace(txn_of(other_page.text), txn))

    assert stolen.status_code == 400
    assert error_of(stolen.text) == push_view.GONE
    assert events.status_code == 404
    done = await submit(client, shown.text, "mfa-form")
    assert location(done).startswith(CALLBACK + "?code=")


async def test_the_events_stream_sends_the_answer(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    txn = txn_of(shown.text)
    status_url = element(shown.text, "push-wait", "data-status")
    pending = await client.get(status_url)
    await approve(device.account, txn, await number_of(runtime, txn), http=client, now=clock.now())

    events = await client.get(element(shown.text, "push-wait", "data-events"))
    approved = await client.get(status_url)

    assert pending.json() == {"status": "pending"}
    assert events.status_code == 200
    assert events.headers["content-type"].startswith("text/event-stream")
    assert 'event: answer\ndata: {"status": "approved"}\n\n' in events.text
    assert approved.json() == {"status": "approved"}


async def test_a_paused_user_is_told_why(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    device, shown = await at_the_push(runtime, client, clock)
    await deny(device.account, txn_of(shown.text), fraud=True, http=client, now=clock.now())

    again = await submit(client, shown.text, "push-resend")

    assert again.status_code == 403
    assert error_of(again.text) == push_view.PAUSED


async def at_the_push_enrolment(rt: Runtime, http: httpx.AsyncClient) -> tuple[str, httpx.Response]:
    """A user without a factor signs in: the enrolment step shows the push device's QR."""
    person = await a_user(rt)
    _, enrol_url = await to_mfa(rt, http, person)
    assert enrol_url.startswith("/u/mfa/enroll?"), enrol_url
    picker = await http.get(enrol_url)
    assert text_of(picker.text, "enrol-push") == "Authenticator app with push"
    shown = await http.get(enrol_url + "&factor=push")
    assert shown.status_code == 200, shown.text[:500]
    return person.user_id, shown


async def test_the_enrolment_step_waits_for_the_device_then_passes_the_step(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    _, shown = await at_the_push_enrolment(runtime, client)
    uri = text_of(shown.text, "push-uri")
    status_url = element(shown.text, "push-wait", "data-status")

    early = await client.get(status_url)
    account = await enrol(uri, name="Pixel 8", http=client, now=clock.now())
    late = await client.get(status_url)
    done = await submit(client, shown.text, "enrol-form")

    assert element(shown.text, "qr", "src").startswith("data:image/svg+xml;base64,")
    assert uri.startswith("otpauth://totp/")
    assert "enrollment_tx_id=" in uri
    assert early.json() == {"status": "pending"}
    assert late.json() == {"status": "enrolled"}
    assert done.status_code == 200, done.text[:300]
    assert len(text_of(done.text, "recovery-code")) == 24
    assert await session_amr(runtime, client) == ("pwd", "swk", "mfa")
    finished = await client.get(element(done.text, "continue", "href"))
    assert location(finished).startswith(CALLBACK + "?code=")
    assert account.device_id.startswith("push|dev_")


async def test_continuing_before_the_device_registered_shows_a_new_code(
    client: httpx.AsyncClient, runtime: Runtime, always: None, push_on: None
) -> None:
    _, shown = await at_the_push_enrolment(runtime, client)

    early = await submit(client, shown.text, "enrol-form")

    assert early.status_code == 400
    assert error_of(early.text) == (
        "Your device has not finished setting up yet. Scan the QR code with the app."
    )
    assert text_of(early.text, "push-uri") != text_of(shown.text, "push-uri")


async def test_the_enrolment_counts_once(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, always: None, push_on: None
) -> None:
    _, shown = await at_the_push_enrolment(runtime, client)
    await enrol(text_of(shown.text, "push-uri"), name="Pixel 8", http=client, now=clock.now())
    first = await submit(client, shown.text, "enrol-form")
    assert first.status_code == 200, first.text[:300]

    replayed = await submit(client, shown.text, "enrol-form")

    assert replayed.status_code == 400
    assert error_of(replayed.text) == "This enrolment was already completed."


async def test_push_is_not_offered_while_the_factor_is_off(
    client: httpx.AsyncClient, runtime: Runtime, always: None
) -> None:
    person = await a_user(runtime)
    _, enrol_url = await to_mfa(runtime, client, person)

    picker = await client.get(enrol_url)
    refused = await client.get(enrol_url + "&factor=push")

    assert 'id="enrol-push"' not in picker.text
    assert refused.status_code == 400


async def test_my_mfa_settings_adds_a_push_device(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, push_on: None
) -> None:
    person = await an_enrolled_person(runtime, client)
    await open_settings(runtime, client, person.person)
    shown = await client.get(f"{ACCOUNT}/add?factor=push")
    assert shown.status_code == 200, shown.text[:300]
    await enrol(text_of(shown.text, "push-uri"), name="Pixel 8", http=client, now=clock.now())

    added = await submit(client, shown.text, "enrol-form")
    listed = await client.get(ACCOUNT)

    assert location(added) == f"{ACCOUNT}?done=added"
    assert "Pixel 8" in listed.text
