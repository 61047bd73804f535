"""What the WebAuthn grant refuses, and what each refusal leaves behind: a replayed response,
an expired or foreign `auth_session`, a cloned key's counter, a key registered twice, a
response from another origin, a disabled factor, and malformed input (400, never a 500)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import cbor2
import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
from tests.api.webauthn import (
    associate,
    audit_of,
    challenge,
    enrolled,
    grant,
    security_key,
    switch,
    webauthn_on,
)
from tests.builders import Client, Person, a_client, a_user
from tests.support.soft_authenticator import SoftAuthenticator, b64u, b64u_decode
from twofold.clock import FrozenClock
from twofold.domain import JsonObject
from twofold.flows.runtime import Runtime

__all__ = ["webauthn_on"]
pytestmark = pytest.mark.usefixtures("webauthn_on")


async def with_key(
    client: httpx.AsyncClient, runtime: Runtime, **knobs: Any
) -> tuple[Client, Person, SoftAuthenticator]:
    app, person = await a_client(runtime), await a_user(runtime)
    key = security_key(runtime, **knobs)
    await enrolled(client, runtime, app, person, key)
    return app, person, key


async def asked(client: httpx.AsyncClient, app: Client, token: str) -> JsonObject:
    started = await challenge(client, app, token)
    assert started.status_code == 200, started.text
    body: JsonObject = started.json()
    return body


async def test_a_response_is_accepted_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    response = key.get(body["authn_params_public_key"])
    assert (await grant(client, app, body["auth_session"], response, mfa_token=token)).is_success

    second_token = await mfa_token(client, app, person)
    replayed = await grant(client, app, body["auth_session"], response, mfa_token=second_token)

    assert replayed.status_code == 403
    assert replayed.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid auth_session.",
    }
    again = await grant(client, app, body["auth_session"], response, mfa_token=token)
    assert again.json()["error"] == "invalid_grant"


async def test_two_racing_answers_pass_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    response = key.get(body["authn_params_public_key"])

    answers = await asyncio.gather(
        *(grant(client, app, body["auth_session"], response, mfa_token=token) for _ in range(2))
    )

    assert sorted(answer.status_code for answer in answers) == [200, 403]
    # The enrolment's step and one of the two answers.
    assert len(await audit_of(runtime, person.user_id, "gd_auth_succeed")) == 2


async def test_a_failed_answer_spends_its_challenge(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    options = body["authn_params_public_key"]

    wrong = await grant(
        client,
        app,
        body["auth_session"],
        key.get(options, origin="https://evil.example"),
        mfa_token=token,
    )
    assert wrong.status_code == 403
    assert wrong.json() == {
        "error": "invalid_grant",
        "error_description": "The response comes from a page of another origin.",
    }
    right = await grant(client, app, body["auth_session"], key.get(options), mfa_token=token)
    assert right.json()["error_description"] == "Invalid auth_session."
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_challenge_failed")
    assert failed.details["reason"] == "invalid_response"
    assert failed.details["failures"] == 1


async def test_an_expired_auth_session_is_refused_and_gone(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    response = key.get(body["authn_params_public_key"])
    clock.advance(runtime.settings.webauthn.timeout_ms / 1000 + 30)

    expired = await grant(client, app, body["auth_session"], response, mfa_token=token)

    assert expired.status_code == 403
    assert expired.json() == {
        "error": "expired_token",
        "error_description": "auth_session is expired",
    }
    gone = await grant(client, app, body["auth_session"], response, mfa_token=token)
    assert gone.json()["error_description"] == "Invalid auth_session."
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_challenge_failed")
    assert failed.details["reason"] == "expired"


async def test_an_auth_session_works_only_with_its_own_mfa_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person, key = await with_key(client, runtime)
    mine, other = await mfa_token(client, app, person), await mfa_token(client, app, person)
    body = await asked(client, app, mine)
    response = key.get(body["authn_params_public_key"])

    foreign = await grant(client, app, body["auth_session"], response, mfa_token=other)

    assert foreign.status_code == 403
    assert foreign.json()["error_description"] == "Invalid auth_session."
    # A foreign handle destroys nothing: the owner's token still answers it.
    own = await grant(client, app, body["auth_session"], response, mfa_token=mine)
    assert own.status_code == 200, own.text


async def test_a_counter_that_goes_back_is_refused_as_a_clone(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person, key = await with_key(client, runtime, sign_count_start=10)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    assert (
        await grant(
            client,
            app,
            body["auth_session"],
            key.get(body["authn_params_public_key"]),
            mfa_token=token,
        )
    ).is_success
    key.set_sign_count(5)  # the clone's counter is behind the original's

    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    cloned = await grant(
        client,
        app,
        body["auth_session"],
        key.get(body["authn_params_public_key"]),
        mfa_token=token,
    )

    assert cloned.status_code == 403
    assert cloned.json()["error"] == "invalid_grant"
    async with runtime.store.read() as tx:
        [item] = [a for a in await tx.authenticators.for_user(person.user_id) if a.params]
    [alarm] = await audit_of(runtime, person.user_id, "webauthn_possible_clone")
    assert alarm.outcome == "failure"
    assert alarm.details == {
        "authenticator_id": item.id,
        "factor": "webauthn-roaming",
        "stored_count": 11,
        "received_count": 6,
    }
    assert item.last_step == 11  # the stored counter did not move
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_challenge_failed")
    assert failed.details["reason"] == "counter_regression"


def reusing(created: JsonObject, credential_id: bytes) -> JsonObject:
    """A "none"-attested registration rewritten to carry another credential id (nothing signs
    a "none" statement's authenticator data, so any client can send this)."""
    attestation = cbor2.loads(b64u_decode(created["response"]["attestationObject"]))
    data = attestation["authData"]
    length = int.from_bytes(data[53:55], "big")
    attestation["authData"] = (
        data[:53] + len(credential_id).to_bytes(2, "big") + credential_id + data[55 + length :]
    )
    inner = dict(created["response"], attestationObject=b64u(cbor2.dumps(attestation)))
    inner["authenticatorData"] = b64u(attestation["authData"])
    return dict(created, id=b64u(credential_id), rawId=b64u(credential_id), response=inner)


async def test_a_credential_registered_to_anyone_cannot_be_registered_again(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, _, key = await with_key(client, runtime)
    [taken_id] = key.credentials
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate(client, token)).json()
    created = security_key(runtime).create(body["authn_params_public_key"])

    twice = await grant(
        client, app, body["auth_session"], reusing(created, taken_id), mfa_token=token
    )

    assert twice.status_code == 403
    assert twice.json() == {
        "error": "invalid_grant",
        "error_description": "This security key or device is already registered.",
    }
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_enrollment_failed")
    assert failed.details == {"factor": "webauthn-roaming", "reason": "already_registered"}
    async with runtime.store.read() as tx:
        types = [a.type.value for a in await tx.authenticators.for_user(person.user_id)]
    assert types == ["recovery-code"]


async def test_a_disabled_factor_is_neither_enrolled_nor_asked_for(
    client: httpx.AsyncClient, runtime: Runtime, auth: TokenFactory
) -> None:
    app, person, _ = await with_key(client, runtime)
    await switch(client, auth, enabled=False, names=("webauthn-roaming",))
    token = await mfa_token(client, app, person)

    refused = await challenge(client, app, token)
    assert refused.status_code == 400
    assert refused.json()["error"] == "unsupported_challenge_type"
    stranger = await mfa_token(client, app, await a_user(runtime))
    enrol = await associate(client, stranger, "webauthn-roaming")
    assert enrol.status_code == 403
    assert enrol.json() == {
        "error": "access_denied",
        "error_description": "The webauthn-roaming factor is disabled for this tenant.",
    }
    assert (await associate(client, stranger, "webauthn-platform")).status_code == 200


async def test_a_factor_disabled_after_the_challenge_refuses_the_answer(
    client: httpx.AsyncClient, runtime: Runtime, auth: TokenFactory
) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    await switch(client, auth, enabled=False, names=("webauthn-roaming",))

    refused = await grant(
        client,
        app,
        body["auth_session"],
        key.get(body["authn_params_public_key"]),
        mfa_token=token,
    )

    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"


async def test_another_credential_than_the_ones_asked_for_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person, _ = await with_key(client, runtime)
    _, _, stranger_key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    options = dict(
        body["authn_params_public_key"],
        allowCredentials=[
            {"id": b64u(raw), "type": "public-key"} for raw in stranger_key.credentials
        ],
    )

    refused = await grant(
        client, app, body["auth_session"], stranger_key.get(options), mfa_token=token
    )

    assert refused.status_code == 403
    assert refused.json()["error_description"] == (
        "The response is from a credential this challenge did not ask for."
    )
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_challenge_failed")
    assert failed.details["reason"] == "unknown_credential"


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"authn_response": None}, "Missing required parameter: authn_response"),
        ({"auth_session": None}, "Missing required parameter: auth_session"),
        ({"authn_response": "{not json"}, "authn_response is not valid JSON."),
        ({"authn_response": "[1, 2]"}, "authn_response must be a JSON object."),
        ({"authn_response": 7}, "authn_response must be a JSON object."),
        ({"authn_response": {"rawId": "***"}}, "authn_response has no valid rawId."),
        ({"authn_response": "x" * 70_000}, "Request body too large."),
    ],
)
async def test_malformed_input_is_a_400_and_spends_nothing(
    client: httpx.AsyncClient, runtime: Runtime, change: dict[str, Any], description: str
) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    response = key.get(body["authn_params_public_key"])
    request: dict[str, Any] = {
        "grant_type": "urn:okta:params:oauth:grant-type:webauthn",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "mfa_token": token,
        "auth_session": body["auth_session"],
        "authn_response": response,
        **change,
    }

    refused = await client.post("/oauth/token", json=request)

    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_request", "error_description": description}
    answered = await grant(client, app, body["auth_session"], response, mfa_token=token)
    assert answered.status_code == 200, answered.text


async def test_a_form_body_carries_the_response_as_json_text(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person, key = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    body = await asked(client, app, token)
    answered = await client.post(
        "/oauth/token",
        data={
            "grant_type": "urn:okta:params:oauth:grant-type:webauthn",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": token,
            "auth_session": body["auth_session"],
            "authn_response": json.dumps(key.get(body["authn_params_public_key"])),
        },
    )
    assert answered.status_code == 200, answered.text


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (
            {"authenticator_types": ["webauthn-roaming", "otp"]},
            'authenticator_types must be ["webauthn-roaming"] or ["webauthn-platform"] alone.',
        ),
        (
            {"authenticator_types": ["webauthn-roaming"], "name": "\x07bell"},
            "name must be 1 to 200 printable characters.",
        ),
        ({"auth_session": "x" * 43}, "Missing required parameter: authn_response"),
    ],
)
async def test_associate_refuses_malformed_webauthn_requests(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], description: str
) -> None:
    token = await mfa_token(client, await a_client(runtime), await a_user(runtime))
    refused = await client.post(
        "/mfa/associate", headers={"authorization": f"Bearer {token}"}, json=body
    )
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_request", "error_description": description}


async def test_an_unknown_authenticator_id_is_a_400(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person, _ = await with_key(client, runtime)
    token = await mfa_token(client, app, person)
    refused = await challenge(client, app, token, authenticator_id="webauthn-roaming|dev_nope")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
