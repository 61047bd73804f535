"""`mfa_requirements` in the password grant's 403 `mfa_required`: what the user can answer
(Auth0's `challenge` types, SMS and voice both `phone`) or, with nothing enrolled, what they
can enrol (never email), both only for the factors the tenant has switched on."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token, password_login
from tests.api.oob import (
    Oob,
    a_number,
    associate_oob,
    last_call,
    last_mail,
    last_sms,
    oob,
    oob_grant,
    with_otp,
)
from tests.builders import Client, Person, a_client, a_user
from twofold.clock import FrozenClock

__all__ = ["oob"]


async def requirements(oob: Oob, app: Client, person: Person) -> Any:
    refused = await password_login(oob.http, app, person)
    assert refused.status_code == 403, refused.text
    return refused.json()["mfa_requirements"]


async def switch(client: httpx.AsyncClient, auth: TokenFactory, name: str, *, on: bool) -> None:
    writer = await auth("update:guardian_factors")
    response = await client.put(
        f"/api/v2/guardian/factors/{name}", json={"enabled": on}, headers=writer
    )
    assert response.json() == {"enabled": on}


async def test_nothing_enrolled_lists_what_can_be_enrolled_never_email(
    oob: Oob, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)

    assert await requirements(oob, app, person) == {"enroll": [{"type": "otp"}, {"type": "phone"}]}
    await switch(client, auth, "otp", on=False)
    assert await requirements(oob, app, person) == {"enroll": [{"type": "phone"}]}
    await switch(client, auth, "sms", on=False)
    assert await requirements(oob, app, person) == {"enroll": []}


async def test_a_phone_alone_is_challenged_as_phone(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    phone = a_number()
    token = await mfa_token(oob.http, app, person)
    body = (await associate_oob(oob.http, token, "voice", phone_number=phone)).json()
    confirmed = await oob_grant(
        oob.http, app, token, body["oob_code"], last_call(oob.twilio, phone)
    )
    assert confirmed.status_code == 200, confirmed.text

    assert await requirements(oob, app, person) == {
        "challenge": [{"type": "phone"}, {"type": "recovery-code"}]
    }


async def test_every_factor_held_is_listed_while_the_tenant_has_it_on(
    oob: Oob, client: httpx.AsyncClient, auth: TokenFactory, clock: FrozenClock
) -> None:
    app, person, access = await with_otp(oob, clock)
    phone, address = a_number(), f"req-{person.user_id[-6:]}@example.com"
    for channel, destination in (("sms", {"phone_number": phone}), ("email", {"email": address})):
        body = (await associate_oob(oob.http, access, channel, **destination)).json()
        sent = last_sms(oob.twilio, phone) if channel == "sms" else last_mail(oob.relay, address)
        token = await mfa_token(oob.http, app, person)
        confirmed = await oob_grant(oob.http, app, token, body["oob_code"], sent)
        assert confirmed.status_code == 200, confirmed.text

    assert await requirements(oob, app, person) == {
        "challenge": [
            {"type": "otp"},
            {"type": "phone"},
            {"type": "email"},
            {"type": "recovery-code"},
        ]
    }
    await switch(client, auth, "sms", on=False)
    assert await requirements(oob, app, person) == {
        "challenge": [{"type": "otp"}, {"type": "email"}, {"type": "recovery-code"}]
    }
    await switch(client, auth, "email", on=False)
    assert await requirements(oob, app, person) == {
        "challenge": [{"type": "otp"}, {"type": "recovery-code"}]
    }
