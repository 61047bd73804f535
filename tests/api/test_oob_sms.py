"""SMS and voice codes over Auth0's MFA API, delivered through a loopback Twilio: enrolment,
confirmation, challenges, "call me instead", resend, expiry, reuse and wrong codes."""

from __future__ import annotations

import secrets

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.api.helpers import mfa_token
from tests.api.oob import (
    Oob,
    a_number,
    associate_oob,
    audit_of,
    challenge,
    last_call,
    last_sms,
    oob,
    oob_grant,
)
from tests.builders import PASSWORD, Client, Person, a_client, a_user
from tests.fakes.twilio import FROM_NUMBER
from twofold.clock import FrozenClock
from twofold.factors.destinations import mask_phone
from twofold.flows.users import NewUser, create_user

__all__ = ["oob"]


async def amr_of(http: httpx.AsyncClient, granted: httpx.Response) -> list[str]:
    assert granted.status_code == 200, granted.text
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    amr: list[str] = jwt.decode(granted.json()["access_token"], keys).claims["amr"]
    return amr


async def sms_enrolled(oob: Oob, phone: str) -> tuple[Client, Person]:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    body = (await associate_oob(oob.http, token, "sms", phone_number=phone)).json()
    granted = await oob_grant(oob.http, app, token, body["oob_code"], last_sms(oob.twilio, phone))
    assert granted.status_code == 200, granted.text
    return app, person


async def test_an_sms_enrolment_sends_a_code_that_confirms_it(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    phone = a_number()
    typed = f"{phone[:2]} ({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    token = await mfa_token(oob.http, app, person)

    enrolment = await associate_oob(oob.http, token, "sms", phone_number=typed)

    assert enrolment.status_code == 200, enrolment.text
    body = enrolment.json()
    assert sorted(body) == [
        "authenticator_type",
        "binding_method",
        "id",
        "oob_channel",
        "oob_code",
        "recovery_codes",
    ]
    assert (body["authenticator_type"], body["binding_method"], body["oob_channel"]) == (
        "oob",
        "prompt",
        "sms",
    )
    assert body["id"].startswith("sms|dev_")
    assert len(body["recovery_codes"]) == 1
    [message] = [m for m in oob.twilio.messages() if m["To"] == phone]
    assert message["From"] == FROM_NUMBER
    granted = await oob_grant(oob.http, app, token, body["oob_code"], last_sms(oob.twilio, phone))
    assert await amr_of(oob.http, granted) == ["pwd", "sms", "mfa"]

    listed = await oob.http.get(
        "/mfa/authenticators",
        headers={"authorization": f"Bearer {await mfa_token(oob.http, app, person)}"},
    )
    [sms] = [a for a in listed.json() if a["authenticator_type"] == "oob"]
    assert (sms["id"], sms["oob_channel"], sms["active"]) == (body["id"], "sms", True)
    assert (
        sms["name"] == mask_phone(phone) == f"+1 \u2022\u2022\u2022 \u2022\u2022\u2022 {phone[-4:]}"
    )
    async with oob.rt.store.read() as tx:
        stored = await tx.authenticators.get(body["id"], user_id=person.user_id)
    assert stored is not None
    assert stored.secret is not None
    assert phone[2:].encode() not in stored.secret  # sealed, only the mask in clear
    [sent] = await audit_of(oob.rt, person.user_id, "gd_send_sms")
    assert (sent.details["provider"], sent.details["attempts"]) == ("twilio", 1)
    assert sent.details["to"] == mask_phone(phone)
    assert len(await audit_of(oob.rt, person.user_id, "gd_enrollment_complete")) == 1


async def test_a_voice_enrolment_reads_the_code_in_the_call(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    phone = a_number()
    token = await mfa_token(oob.http, app, person)
    body = (await associate_oob(oob.http, token, "voice", phone_number=phone)).json()
    assert body["oob_channel"] == "voice"
    assert body["id"].startswith("voice|dev_")
    granted = await oob_grant(oob.http, app, token, body["oob_code"], last_call(oob.twilio, phone))
    assert await amr_of(oob.http, granted) == ["pwd", "tel", "mfa"]


async def test_a_challenge_sends_a_new_code_and_voice_stands_in_for_sms(oob: Oob) -> None:
    phone = a_number()
    app, person = await sms_enrolled(oob, phone)
    token = await mfa_token(oob.http, app, person)

    sent = await challenge(oob.http, app, token)
    assert sent.status_code == 200, sent.text
    assert sorted(sent.json()) == ["binding_method", "challenge_type", "oob_code"]
    assert (sent.json()["challenge_type"], sent.json()["binding_method"]) == ("oob", "prompt")
    by_sms = last_sms(oob.twilio, phone)

    called = await challenge(oob.http, app, token, oob_channel="voice")
    assert called.status_code == 200, called.text
    by_voice = last_call(oob.twilio, phone)

    stale = await oob_grant(oob.http, app, token, sent.json()["oob_code"], by_sms)
    assert stale.status_code == 403
    assert stale.json() == {
        "error": "invalid_grant",
        "error_description": "A newer code was sent: use that one.",
    }
    granted = await oob_grant(oob.http, app, token, called.json()["oob_code"], by_voice)
    assert await amr_of(oob.http, granted) == ["pwd", "tel", "mfa"]


async def test_an_expired_code_is_refused(oob: Oob, clock: FrozenClock) -> None:
    phone = a_number()
    app, person = await sms_enrolled(oob, phone)
    token = await mfa_token(oob.http, app, person)
    sent = (await challenge(oob.http, app, token)).json()
    clock.advance(300)
    expired = await oob_grant(oob.http, app, token, sent["oob_code"], last_sms(oob.twilio, phone))
    assert expired.status_code == 403
    assert expired.json() == {"error": "expired_token", "error_description": "oob_code is expired"}


async def test_a_code_works_once(oob: Oob) -> None:
    phone = a_number()
    app, person = await sms_enrolled(oob, phone)
    token = await mfa_token(oob.http, app, person)
    sent = (await challenge(oob.http, app, token)).json()
    code = last_sms(oob.twilio, phone)
    assert (await oob_grant(oob.http, app, token, sent["oob_code"], code)).status_code == 200

    again = await oob_grant(oob.http, app, token, sent["oob_code"], code)
    assert again.status_code == 403
    assert again.json()["error_description"] == "mfa_token has already been used."
    other = await oob_grant(
        oob.http, app, await mfa_token(oob.http, app, person), sent["oob_code"], code
    )
    assert other.status_code == 403
    assert other.json() == {"error": "invalid_grant", "error_description": "Invalid oob_code."}


async def test_a_wrong_code_is_refused_and_counted(oob: Oob) -> None:
    phone = a_number()
    app, person = await sms_enrolled(oob, phone)
    token = await mfa_token(oob.http, app, person)
    sent = (await challenge(oob.http, app, token)).json()
    code = last_sms(oob.twilio, phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    refused = await oob_grant(oob.http, app, token, sent["oob_code"], wrong)

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid binding_code.",
    }
    [failed] = await audit_of(oob.rt, person.user_id, "gd_auth_failed")
    assert failed.details["factor"] == "oob"
    granted = await oob_grant(oob.http, app, token, sent["oob_code"], code)
    assert granted.status_code == 200, granted.text


async def test_the_message_speaks_the_users_language(oob: Oob) -> None:
    app = await a_client(oob.rt)
    email = f"fr-{secrets.token_hex(6)}@example.com"
    new = NewUser(email=email, password=PASSWORD, user_metadata={"locale": "fr-CA"})
    user = await create_user(oob.rt, new, actor="test")
    phone = a_number()
    token = await mfa_token(oob.http, app, Person(user.id, email))
    assert (await associate_oob(oob.http, token, "sms", phone_number=phone)).status_code == 200
    [message] = [m for m in oob.twilio.messages() if m["To"] == phone]
    code = last_sms(oob.twilio, phone)
    assert message["Body"] == (
        f"{code} est votre code de vérification Twofold. Il expire dans 5 minutes."
        " Ne le donnez à personne."
    )
