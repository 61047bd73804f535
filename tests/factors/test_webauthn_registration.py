"""WebAuthn registration through py_webauthn with a soft authenticator: the three algorithms,
each refusal with its own description, what is stored, and the attestation policy."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.factors.webauthn_ceremonies import (
    PLATFORM,
    ROAMING,
    RP,
    SETTINGS,
    USER_HANDLE,
    authenticator,
    register,
)
from tests.support.soft_authenticator import COSE_ALG, Alg, AttestationCa, b64u, b64u_decode
from twofold.api.errors import status_of
from twofold.config import WebauthnSettings
from twofold.errors import InvalidRequestError, WebauthnRegistrationError
from twofold.factors.webauthn.ceremony import (
    MAX_RESPONSE_BYTES,
    RelyingParty,
    registration_options,
    verify_registration,
)
from twofold.types import FactorType

YUBIKEY_5 = bytes.fromhex("cb69481e8ff7403993ec0a2729a154a8")
OTHER_MODEL = bytes.fromhex("ee882879721c491397753dfcce97072a")


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_a_credential_of_each_algorithm_registers(alg: Alg) -> None:
    device = authenticator(alg=alg, transports=("usb", "nfc"), sign_count_start=5)
    credential = register(device)
    [held] = device.credentials.values()
    assert credential.credential_id == held.credential_id
    assert credential.algorithm == COSE_ALG[alg]
    assert credential.sign_count == 5
    assert credential.fmt == "none"
    assert credential.transports == ("usb", "nfc")
    assert credential.user_verified is True


def test_a_ceremony_in_a_frame_of_another_site_is_refused() -> None:
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(), tamper={"cross_origin": True})
    assert refused.value.description == "The ceremony ran in a frame of another site."


def test_another_origin_is_refused() -> None:
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(), tamper={"origin": "https://login.example.com.evil.test"})
    assert refused.value.description == "The response comes from a page of another origin."
    assert (refused.value.code, status_of(refused.value)) == ("invalid_grant", 403)


def test_every_configured_origin_is_accepted() -> None:
    settings = SETTINGS.model_copy(
        update={
            "webauthn": WebauthnSettings(
                rp_id="example.com", origins=["https://login.example.com", "https://example.com/"]
            )
        }
    )
    rp = RelyingParty.from_settings(settings)
    assert rp.origins == ("https://login.example.com", "https://example.com")
    for origin in rp.origins:
        device = authenticator()
        credential = register(device, rp=rp, tamper={"origin": origin, "rp_id": "example.com"})
        assert credential.credential_id in device.credentials
    with pytest.raises(WebauthnRegistrationError):
        register(authenticator(), rp=rp, tamper={"origin": "https://www.example.com"})


def test_another_rp_id_is_refused() -> None:
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(), tamper={"rp_id": "example.com"})
    assert refused.value.description == "The credential is for another site (RP ID)."


def test_another_challenge_is_refused() -> None:
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(), answer=secrets.token_bytes(64))
    assert refused.value.description == "The response does not answer this challenge."


def test_an_algorithm_left_out_of_the_settings_is_refused() -> None:
    settings = WebauthnSettings(algorithms=["ES256", "EdDSA"])
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(alg="RS256"), settings=settings)
    assert refused.value.description == "The key's algorithm is not allowed here."
    assert register(authenticator(alg="EdDSA"), settings=settings).algorithm == -8


def test_platform_refuses_a_response_without_user_verification() -> None:
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(uv=False, attachment="platform"), factor=PLATFORM)
    assert refused.value.description == "The user was not verified (PIN or biometrics)."


def test_a_response_without_user_presence_is_refused() -> None:
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(up=False))
    assert refused.value.description == "The user was not present (no touch)."


def test_a_security_key_without_user_verification_registers_when_discouraged() -> None:
    assert SETTINGS.webauthn.roaming.user_verification == "discouraged"
    credential = register(authenticator(uv=False), factor=ROAMING)
    assert credential.user_verified is False


def test_settings_that_now_require_verification_win_over_the_challenge() -> None:
    device = authenticator(uv=False)
    options = registration_options(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada",
        exclude=[],
    )
    tightened = WebauthnSettings(
        roaming={"user_verification": "required", "resident_key": "discouraged"}
    )
    with pytest.raises(WebauthnRegistrationError) as refused:
        verify_registration(
            RP,
            tightened,
            ROAMING,
            device.create(options.public_key),
            challenge=options.challenge,
            user_verification="discouraged",
        )
    assert refused.value.description == "The user was not verified (PIN or biometrics)."


def test_a_credential_id_over_1023_bytes_is_refused() -> None:
    assert len(register(authenticator(credential_id_length=1023)).credential_id) == 1023
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(credential_id_length=1024))
    assert refused.value.description == "The credential id is longer than WebAuthn allows."


def test_a_response_naming_another_credential_is_refused() -> None:
    device = authenticator()
    options = registration_options(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada",
        exclude=[],
    )
    response = device.create(options.public_key)
    response["id"] = response["rawId"] = b64u(secrets.token_bytes(32))
    with pytest.raises(WebauthnRegistrationError) as refused:
        verify_registration(
            RP,
            SETTINGS.webauthn,
            ROAMING,
            response,
            challenge=options.challenge,
            user_verification="discouraged",
        )
    assert refused.value.description == "The response names another credential than it created."


def test_only_known_transports_are_kept_once() -> None:
    weird = authenticator(transports=("nfc", "usb", "nfc", "teleport"))
    assert register(weird).transports == ("nfc", "usb")
    assert register(authenticator(transports=())).transports == ()


def test_backup_flags_and_aaguid_are_stored() -> None:
    synced = register(authenticator(backup_eligible=True, backed_up=True, aaguid=YUBIKEY_5))
    assert (synced.backup_eligible, synced.backed_up) == (True, True)
    assert synced.aaguid == "cb69481e-8ff7-4039-93ec-0a2729a154a8"
    assert synced.kind == "synced passkey"
    bound = register(authenticator())
    assert (bound.backup_eligible, bound.backed_up) == (False, False)
    assert bound.aaguid == "00000000-0000-0000-0000-000000000000"
    assert bound.kind == "device-bound key"


@pytest.mark.parametrize(("resident", "expected"), [(True, True), (False, False)])
def test_discoverable_comes_from_cred_props(resident: bool, expected: bool) -> None:
    assert register(authenticator(resident=resident)).discoverable is expected


def test_discoverable_and_transports_are_unknown_when_the_client_does_not_say() -> None:
    device = authenticator()
    options = registration_options(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada",
        exclude=[],
    )
    response = device.create(options.public_key)
    del response["clientExtensionResults"]
    del response["response"]["transports"]
    credential = verify_registration(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        json.dumps(response),
        challenge=options.challenge,
        user_verification="discouraged",
    )
    assert (credential.discoverable, credential.transports) == (None, ())


# Attestation -------------------------------------------------------------------------------


def _direct(tmp_path: Path, *roots: AttestationCa) -> WebauthnSettings:
    paths = []
    for number, root in enumerate(roots):
        path = tmp_path / f"root{number}.pem"
        path.write_bytes(root.pem)
        paths.append(path)
    return WebauthnSettings(attestation="direct", trusted_roots=paths)


def test_direct_attestation_chaining_to_a_trusted_root_registers(tmp_path: Path) -> None:
    vendor = AttestationCa.generate()
    device = authenticator(fmt="packed", attestation_cert=vendor.issue(YUBIKEY_5), aaguid=YUBIKEY_5)
    settings = _direct(tmp_path, AttestationCa.generate("Another vendor"), vendor)
    credential = register(device, settings=settings)
    assert (credential.fmt, credential.aaguid) == ("packed", "cb69481e-8ff7-4039-93ec-0a2729a154a8")


def test_direct_attestation_from_an_untrusted_root_is_refused(tmp_path: Path) -> None:
    stranger = AttestationCa.generate("Unknown vendor")
    device = authenticator(
        fmt="packed", attestation_cert=stranger.issue(YUBIKEY_5), aaguid=YUBIKEY_5
    )
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(device, settings=_direct(tmp_path, AttestationCa.generate()))
    assert refused.value.description == (
        "The authenticator's attestation certificate is not from a trusted vendor."
    )


@pytest.mark.parametrize("fmt", ["none", "packed"])
def test_no_or_self_attestation_is_refused_when_roots_are_trusted(tmp_path: Path, fmt: str) -> None:
    device = authenticator(fmt=fmt)
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(device, settings=_direct(tmp_path, AttestationCa.generate()))
    assert refused.value.description == (
        "The authenticator did not prove its make and model (attestation), as required."
    )


def test_an_attestation_certificate_for_another_model_is_refused(tmp_path: Path) -> None:
    vendor = AttestationCa.generate()
    device = authenticator(
        fmt="packed", attestation_cert=vendor.issue(OTHER_MODEL), aaguid=YUBIKEY_5
    )
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(device, settings=_direct(tmp_path, vendor))
    assert refused.value.description == (
        "The authenticator's attestation certificate is not from a trusted vendor."
    )


def test_an_attestation_certificate_naming_no_model_is_accepted(tmp_path: Path) -> None:
    vendor = AttestationCa.generate()
    device = authenticator(fmt="packed", attestation_cert=vendor.issue(None), aaguid=YUBIKEY_5)
    assert register(device, settings=_direct(tmp_path, vendor)).aaguid.startswith("cb69")


def test_a_forged_self_attestation_signature_is_refused() -> None:
    device = authenticator(fmt="packed")
    options = registration_options(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada",
        exclude=[],
    )
    response = device.create(options.public_key)
    # A clientDataJSON the statement's signature does not cover (same challenge and origin).
    client_data = json.loads(b64u_decode(response["response"]["clientDataJSON"]))
    client_data["crossOrigin"] = True
    response["response"]["clientDataJSON"] = b64u(json.dumps(client_data).encode())
    with pytest.raises(WebauthnRegistrationError) as refused:
        verify_registration(
            RP,
            SETTINGS.webauthn,
            ROAMING,
            response,
            challenge=options.challenge,
            user_verification="discouraged",
        )
    assert refused.value.description == "The attestation statement does not verify."


def test_direct_without_roots_takes_any_verified_statement() -> None:
    settings = WebauthnSettings(attestation="direct")
    assert register(authenticator(fmt="packed"), settings=settings).fmt == "packed"


def test_the_aaguid_deny_list_refuses_its_models() -> None:
    settings = WebauthnSettings(aaguid_deny=[YUBIKEY_5.hex()])
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(aaguid=YUBIKEY_5), settings=settings)
    assert refused.value.description == "This kind of security key or device is not allowed here."
    assert register(authenticator(aaguid=OTHER_MODEL), settings=settings).aaguid.startswith("ee88")


def test_the_aaguid_allow_list_refuses_every_other_model() -> None:
    settings = WebauthnSettings(aaguid_allow=["CB69481E-8FF7-4039-93EC-0A2729A154A8"])
    assert register(authenticator(aaguid=YUBIKEY_5), settings=settings).aaguid.startswith("cb69")
    with pytest.raises(WebauthnRegistrationError) as refused:
        register(authenticator(aaguid=OTHER_MODEL), settings=settings)
    assert refused.value.description == "This kind of security key or device is not allowed here."


def test_deny_wins_over_allow() -> None:
    settings = WebauthnSettings(aaguid_allow=[YUBIKEY_5.hex()], aaguid_deny=[YUBIKEY_5.hex()])
    with pytest.raises(WebauthnRegistrationError):
        register(authenticator(aaguid=YUBIKEY_5), settings=settings)


# Malformed input ---------------------------------------------------------------------------


def _verify(response: object) -> None:
    verify_registration(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        response,  # type: ignore[arg-type]
        challenge=b"x" * 32,
        user_verification="discouraged",
    )


@pytest.mark.parametrize(
    ("response", "description"),
    [
        ("{not json", "authn_response is not valid JSON."),
        ("[1, 2]", "authn_response must be a JSON object."),
        ("[" * 50_000 + "]" * 50_000, "authn_response is too large."),
        (" " * MAX_RESPONSE_BYTES + "{}", "authn_response is too large."),
        ({"id": "x" * MAX_RESPONSE_BYTES}, "authn_response is too large."),
        ({"id": b"bytes"}, "authn_response is not valid JSON."),
        (
            {"id": "AA", "rawId": "AA", "type": "public-key"},
            "authn_response is not a WebAuthn registration.",
        ),
    ],
)
def test_malformed_responses_are_invalid_requests(response: object, description: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        _verify(response)
    assert refused.value.description == description
    assert status_of(refused.value) == 400


def test_an_assertion_is_not_a_registration() -> None:
    device = authenticator()
    credential = register(device)
    options = registration_options(
        RP,
        SETTINGS.webauthn,
        ROAMING,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada",
        exclude=[credential],
    )
    assertion = device.get(
        {
            "challenge": options.public_key["challenge"],
            "allowCredentials": [{"id": b64u(credential.credential_id)}],
        }
    )
    assertion["response"]["attestationObject"] = assertion["response"]["authenticatorData"]
    with pytest.raises(WebauthnRegistrationError) as refused:
        verify_registration(
            RP,
            SETTINGS.webauthn,
            ROAMING,
            assertion,
            challenge=options.challenge,
            user_verification="discouraged",
        )
    assert refused.value.description == "The response is for another kind of ceremony."


def test_only_webauthn_factor_types_have_ceremonies() -> None:
    with pytest.raises(ValueError, match="not a WebAuthn factor"):
        register(authenticator(), factor=FactorType.OTP)
