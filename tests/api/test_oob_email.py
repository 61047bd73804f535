"""Email codes over the MFA API through a real SMTP relay on loopback (STARTTLS and AUTH):
allowed only beside an independent factor, and a wrong code five times kills the code."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
from tests.api.oob import (
    Oob,
    a_number,
    associate_oob,
    audit_of,
    last_mail,
    last_sms,
    oob,
    oob_grant,
    with_otp,
)
from tests.api.webauthn import challenge, enrolled, grant, security_key, webauthn_on
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.factors.destinations import mask_email

__all__ = ["oob", "webauthn_on"]


async def test_email_is_enrolled_beside_otp_and_confirmed_by_the_mailed_code(
    oob: Oob, clock: FrozenClock
) -> None:
    app, person, access = await with_otp(oob, clock)
    address = f"mail-{person.user_id[-6:]}@example.com"

    enrolment = await associate_oob(oob.http, access, "email", email=address)

    assert enrolment.status_code == 200, enrolment.text
    body = enrolment.json()
    assert sorted(body) == ["authenticator_type", "binding_method", "id", "oob_channel", "oob_code"]
    assert body["oob_channel"] == "email"
    assert body["id"].startswith("email|dev_")
    [mail] = [m for m in oob.relay.mails if m.recipients == [address]]
    assert (mail.encrypted, mail.authenticated) == (True, True)
    login = await mfa_token(oob.http, app, person)
    granted = await oob_grant(oob.http, app, login, body["oob_code"], last_mail(oob.relay, address))
    assert granted.status_code == 200, granted.text
    listed = await oob.http.get(
        "/mfa/authenticators",
        headers={"authorization": f"Bearer {await mfa_token(oob.http, app, person)}"},
    )
    [email] = [a for a in listed.json() if a.get("oob_channel") == "email"]
    assert (email["active"], email["name"]) == (True, mask_email(address))
    [sent] = await audit_of(oob.rt, person.user_id, "gd_send_email")
    assert (sent.details["provider"], sent.details["to"]) == ("smtp", mask_email(address))


async def test_email_alone_is_refused(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    refused = await associate_oob(oob.http, token, "email", email="alone@example.com")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "access_denied",
        "error_description": (
            "Email can only be enrolled by a user who already has another factor"
            " (otp, sms, voice or webauthn) active."
        ),
    }
    assert oob.relay.mails == []


async def test_five_wrong_codes_kill_the_code(oob: Oob, clock: FrozenClock) -> None:
    app, person, access = await with_otp(oob, clock)
    phone = a_number()
    body = (await associate_oob(oob.http, access, "sms", phone_number=phone)).json()
    right = last_sms(oob.twilio, phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    guessing = await mfa_token(oob.http, app, person)
    for _ in range(5):
        refused = await oob_grant(oob.http, app, guessing, body["oob_code"], wrong)
        assert refused.json()["error_description"] == "Invalid binding_code."

    late = await oob_grant(
        oob.http, app, await mfa_token(oob.http, app, person), body["oob_code"], right
    )

    assert late.status_code == 403
    assert late.json() == {
        "error": "invalid_grant",
        "error_description": "Too many wrong codes: ask for a new one.",
    }


async def test_a_disabled_factor_cannot_be_enrolled(
    oob: Oob, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    writer = await auth("update:guardian_factors")
    off = await client.put("/api/v2/guardian/factors/sms", json={"enabled": False}, headers=writer)
    assert off.json() == {"enabled": False}
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    refused = await associate_oob(oob.http, token, "voice", phone_number=a_number())
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "access_denied",
        "error_description": "The sms factor is disabled for this tenant.",
    }


@pytest.mark.usefixtures("webauthn_on")
async def test_email_is_accepted_beside_a_security_key_alone(oob: Oob) -> None:
    """A WebAuthn key is as independent of the mailbox as an authenticator app."""
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    key = security_key(oob.rt)
    await enrolled(oob.http, oob.rt, app, person, key)
    token = await mfa_token(
        oob.http, app, person, audience=oob.rt.settings.mfa_audience, scope="enroll"
    )
    asked = (await challenge(oob.http, app, token)).json()
    answer = key.get(asked["authn_params_public_key"])
    granted = await grant(oob.http, app, asked["auth_session"], answer, mfa_token=token)
    assert granted.status_code == 200, granted.text
    address = f"key-{person.user_id[-6:]}@example.com"

    enrolment = await associate_oob(
        oob.http, granted.json()["access_token"], "email", email=address
    )

    assert enrolment.status_code == 200, enrolment.text
    assert last_mail(oob.relay, address)
