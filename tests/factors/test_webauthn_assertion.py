"""WebAuthn authentication through py_webauthn with a soft authenticator: the three algorithms,
each refusal with its own description, the sign counter policy and the `amr` it proves."""

from __future__ import annotations

import dataclasses
import json
import secrets

import pytest

from tests.factors.webauthn_ceremonies import (
    RP,
    assertion_response,
    authenticator,
    register,
    sign_in,
)
from tests.support.soft_authenticator import Alg, b64u, b64u_decode, with_signature
from twofold.api.errors import status_of
from twofold.errors import (
    InvalidRequestError,
    WebauthnAssertionError,
    WebauthnCounterRegressionError,
)
from twofold.factors.webauthn.ceremony import (
    amr,
    credential_id_of,
    user_handle_of,
    verify_assertion,
)
from twofold.types import Amr


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_an_assertion_of_each_algorithm_verifies(alg: Alg) -> None:
    device = authenticator(alg=alg)
    credential = register(device)
    assertion = sign_in(device, credential, user_verification="required")
    assert assertion.sign_count == 1
    assert assertion.user_verified is True
    assert assertion.amr == (Amr.HWK, Amr.USER)


def test_a_ceremony_in_a_frame_of_another_site_is_refused() -> None:
    device = authenticator()
    credential = register(device)
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential, tamper={"cross_origin": True})
    assert refused.value.description == "The ceremony ran in a frame of another site."


def test_another_origin_is_refused() -> None:
    device = authenticator()
    credential = register(device)
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential, tamper={"origin": "https://evil.example.net"})
    assert refused.value.description == "The response comes from a page of another origin."
    assert (refused.value.code, status_of(refused.value)) == ("invalid_grant", 403)


def test_another_rp_id_is_refused() -> None:
    device = authenticator()
    credential = register(device)
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential, tamper={"rp_id": "evil.example.net"})
    assert refused.value.description == "The credential is for another site (RP ID)."


def test_another_challenge_is_refused() -> None:
    device = authenticator()
    credential = register(device)
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential, answer=secrets.token_bytes(64))
    assert refused.value.description == "The response does not answer this challenge."


def test_missing_user_verification_is_refused_when_required() -> None:
    device = authenticator()
    credential = register(device)
    device.uv = False
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential, user_verification="required")
    assert refused.value.description == "The user was not verified (PIN or biometrics)."


def test_an_assertion_without_user_presence_is_refused() -> None:
    device = authenticator()
    credential = register(device)
    device.up = False
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential)
    assert refused.value.description == "The user was not present (no touch)."


def test_missing_user_verification_is_accepted_when_discouraged() -> None:
    device = authenticator(uv=False)
    credential = register(device)
    assertion = sign_in(device, credential, user_verification="discouraged")
    assert assertion.user_verified is False
    assert assertion.amr == (Amr.HWK,)


def test_a_synced_passkey_proves_swk() -> None:
    device = authenticator(backup_eligible=True, backed_up=True, resident=True)
    credential = register(device)
    assertion = sign_in(device, credential, user_verification="required")
    assert assertion.amr == (Amr.SWK, Amr.USER)
    assert assertion.backed_up is True


def test_the_backed_up_flag_may_change_between_uses() -> None:
    device = authenticator(backup_eligible=True)
    credential = register(device)
    device.backed_up = True
    assert sign_in(device, credential).backed_up is True


def test_backup_eligibility_may_not_change() -> None:
    device = authenticator()
    credential = register(device)
    device.backup_eligible = True
    with pytest.raises(WebauthnAssertionError) as refused:
        sign_in(device, credential)
    assert refused.value.description == "The credential's backup eligibility changed."


def test_amr_names_the_key_kind_and_user_verification() -> None:
    assert amr(backup_eligible=False, user_verified=False) == (Amr.HWK,)
    assert amr(backup_eligible=False, user_verified=True) == (Amr.HWK, Amr.USER)
    assert amr(backup_eligible=True, user_verified=False) == (Amr.SWK,)
    assert amr(backup_eligible=True, user_verified=True) == (Amr.SWK, Amr.USER)


# The sign counter ---------------------------------------------------------------------------


def test_a_counter_that_grows_is_accepted_and_returned() -> None:
    device = authenticator(sign_count_start=10, counter_step=3)
    credential = register(device)
    assert credential.sign_count == 10
    assertion = sign_in(device, credential)
    assert assertion.sign_count == 13
    stored = dataclasses.replace(credential, sign_count=assertion.sign_count)
    assert sign_in(device, stored).sign_count == 16


@pytest.mark.parametrize("received", [7, 3])
def test_a_counter_that_does_not_grow_is_a_possible_clone(received: int) -> None:
    device = authenticator(sign_count_start=6)
    credential = dataclasses.replace(register(device), sign_count=7)
    device.set_sign_count(received - 1)
    with pytest.raises(WebauthnCounterRegressionError) as refused:
        sign_in(device, credential)
    assert (refused.value.stored, refused.value.received) == (7, received)
    assert refused.value.description == (
        "The security key's signature counter went backwards; it may have been cloned."
    )
    assert isinstance(refused.value, WebauthnAssertionError)
    assert status_of(refused.value) == 403


def test_a_zero_counter_after_a_non_zero_one_is_a_possible_clone() -> None:
    device = authenticator(counter_step=0)
    credential = dataclasses.replace(register(device), sign_count=4)
    with pytest.raises(WebauthnCounterRegressionError) as refused:
        sign_in(device, credential)
    assert (refused.value.stored, refused.value.received) == (4, 0)


def test_a_forged_signature_with_a_low_counter_is_not_a_clone_alarm() -> None:
    device = authenticator()
    credential = dataclasses.replace(register(device), sign_count=50)
    device.set_sign_count(1)
    response, challenge = assertion_response(device, credential)
    forged = with_signature(response, secrets.token_bytes(72))
    with pytest.raises(WebauthnAssertionError) as refused:
        verify_assertion(
            RP, forged, challenge=challenge, credential=credential, user_verification="discouraged"
        )
    assert type(refused.value) is WebauthnAssertionError
    assert refused.value.description == "The signature does not verify."


def test_authenticators_without_a_counter_are_accepted_every_time() -> None:
    device = authenticator(counter_step=0, backup_eligible=True)
    credential = register(device)
    for _ in range(3):
        assertion = sign_in(device, credential)
        assert assertion.sign_count == 0
        credential = dataclasses.replace(credential, sign_count=assertion.sign_count)


# Responses ----------------------------------------------------------------------------------


def test_a_response_of_another_credential_is_refused() -> None:
    device = authenticator()
    first, second = register(device), register(device)
    response, challenge = assertion_response(device, second)
    with pytest.raises(WebauthnAssertionError) as refused:
        verify_assertion(
            RP, response, challenge=challenge, credential=first, user_verification="discouraged"
        )
    assert refused.value.description == "The response is from another credential."


def test_a_response_as_json_text_verifies() -> None:
    device = authenticator()
    credential = register(device)
    response, challenge = assertion_response(device, credential)
    assertion = verify_assertion(
        RP,
        json.dumps(response),
        challenge=challenge,
        credential=credential,
        user_verification="discouraged",
    )
    assert assertion.sign_count == 1


def test_the_credential_id_and_user_handle_are_read_without_verifying() -> None:
    device = authenticator(resident=True)
    credential = register(device)
    response, _ = assertion_response(device, credential)
    assert credential_id_of(response) == credential.credential_id
    assert credential_id_of(json.dumps(response)) == credential.credential_id
    assert user_handle_of(response) == b"auth0|0123456789abcdef01234567"
    response["response"]["userHandle"] = None
    assert user_handle_of(response) is None
    response["response"]["userHandle"] = ""
    assert user_handle_of(response) is None


@pytest.mark.parametrize(
    "raw_id", [None, 5, "", "not base64url!", "A", "A" * 1366, b64u(b"\x01" * 1024)]
)
def test_a_bad_raw_id_is_an_invalid_request(raw_id: object) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        credential_id_of({"rawId": raw_id})
    assert refused.value.description == "authn_response has no valid rawId."


def test_the_longest_credential_id_is_read() -> None:
    assert credential_id_of({"rawId": b64u(b"\x01" * 1023)}) == b"\x01" * 1023


@pytest.mark.parametrize("handle", [5, "***", b64u(b"u" * 65)])
def test_a_bad_user_handle_is_an_invalid_request(handle: object) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        user_handle_of({"response": {"userHandle": handle}})
    assert refused.value.description == "authn_response has a malformed userHandle."


@pytest.mark.parametrize(
    ("mutate", "description"),
    [
        (lambda r: r["response"].pop("signature"), "authn_response is not a WebAuthn assertion."),
        (lambda r: r.update(type="password"), "authn_response is not a WebAuthn assertion."),
        (
            lambda r: r["response"].update(authenticatorData=b64u(b"\x00" * 12)),
            "The security key or device response could not be verified.",
        ),
        (
            lambda r: r["response"].update(clientDataJSON=b64u(b"{]")),
            "The security key or device response could not be verified.",
        ),
    ],
)
def test_malformed_assertions_are_refused_without_a_crash(mutate: object, description: str) -> None:
    device = authenticator()
    credential = register(device)
    response, challenge = assertion_response(device, credential)
    mutate(response)  # type: ignore[operator]
    with pytest.raises((InvalidRequestError, WebauthnAssertionError)) as refused:
        verify_assertion(
            RP,
            response,
            challenge=challenge,
            credential=credential,
            user_verification="discouraged",
        )
    assert refused.value.description == description


def test_a_registration_is_not_an_assertion() -> None:
    device = authenticator()
    credential = register(device)
    response, challenge = assertion_response(device, credential)
    client_data = json.loads(b64u_decode(response["response"]["clientDataJSON"]))
    client_data["type"] = "webauthn.create"
    response["response"]["clientDataJSON"] = b64u(json.dumps(client_data).encode())
    with pytest.raises(WebauthnAssertionError) as refused:
        verify_assertion(
            RP,
            response,
            challenge=challenge,
            credential=credential,
            user_verification="discouraged",
        )
    assert refused.value.description == "The response is for another kind of ceremony."
