"""WebAuthn options as the browser receives them (`authn_params_public_key`): the JSON form of
PublicKeyCredentialCreationOptions / RequestOptions, camelCase and base64url, per factor."""

from __future__ import annotations

import json

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
from tests.support.soft_authenticator import b64u, b64u_decode
from twofold.config import Settings, WebauthnSettings
from twofold.factors.webauthn.ceremony import (
    RelyingParty,
    authentication_options,
    registration_options,
)
from twofold.factors.webauthn.credential import Credential
from twofold.factors.webauthn.pages import PAGES
from twofold.types import FactorType


def _creation(
    factor: FactorType,
    settings: WebauthnSettings | None = None,
    exclude: list[Credential] | None = None,
) -> tuple[dict[str, object], bytes]:
    options = registration_options(
        RP,
        settings or SETTINGS.webauthn,
        factor,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada Lovelace",
        exclude=exclude or [],
    )
    return options.public_key, options.challenge


def test_creation_options_are_the_webauthn_json_form() -> None:
    public_key, challenge = _creation(ROAMING)
    assert json.loads(json.dumps(public_key)) == public_key
    assert public_key == {
        "rp": {"id": "login.example.com", "name": "Acme"},
        "user": {"id": b64u(USER_HANDLE), "name": "ada@example.com", "displayName": "Ada Lovelace"},
        "challenge": b64u(challenge),
        "pubKeyCredParams": [
            {"type": "public-key", "alg": -7},
            {"type": "public-key", "alg": -8},
            {"type": "public-key", "alg": -257},
        ],
        "timeout": 60000,
        "excludeCredentials": [],
        "authenticatorSelection": {
            "authenticatorAttachment": "cross-platform",
            "residentKey": "discouraged",
            "requireResidentKey": False,
            "userVerification": "discouraged",
        },
        "attestation": "none",
        "extensions": {"credProps": True},
    }
    assert len(challenge) == 64


def test_each_factor_type_asks_for_its_attachment_and_settings() -> None:
    platform, _ = _creation(PLATFORM)
    assert platform["authenticatorSelection"] == {
        "authenticatorAttachment": "platform",
        "residentKey": "preferred",
        "requireResidentKey": False,
        "userVerification": "required",
    }
    settings = WebauthnSettings(
        roaming={"user_verification": "preferred", "resident_key": "required"},
    )
    roaming, _ = _creation(ROAMING, settings)
    assert roaming["authenticatorSelection"] == {
        "authenticatorAttachment": "cross-platform",
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "preferred",
    }


def test_algorithms_timeout_and_attestation_follow_the_settings() -> None:
    settings = WebauthnSettings(
        algorithms=["RS256", "ES256"], timeout_ms=120000, attestation="direct"
    )
    public_key, _ = _creation(ROAMING, settings)
    assert public_key["pubKeyCredParams"] == [
        {"type": "public-key", "alg": -257},
        {"type": "public-key", "alg": -7},
    ]
    assert (public_key["timeout"], public_key["attestation"]) == (120000, "direct")


def test_the_users_credentials_are_excluded_with_their_transports() -> None:
    key = register(authenticator(transports=("usb", "nfc")))
    phone = register(authenticator(transports=("internal", "carrier-pigeon")))
    public_key, _ = _creation(ROAMING, exclude=[key, phone])
    assert public_key["excludeCredentials"] == [
        {"id": b64u(key.credential_id), "type": "public-key", "transports": ["usb", "nfc"]},
        {"id": b64u(phone.credential_id), "type": "public-key", "transports": ["internal"]},
    ]


def test_an_authenticator_already_registered_refuses_to_register_again() -> None:
    device = authenticator()
    credential = register(device)
    public_key, _ = _creation(ROAMING, exclude=[credential])
    with pytest.raises(LookupError, match="InvalidStateError"):
        device.create(public_key)
    assert authenticator().create(public_key)["type"] == "public-key"


def test_every_ceremony_gets_a_fresh_challenge() -> None:
    challenges = {_creation(ROAMING)[1] for _ in range(5)}
    assert len(challenges) == 5


@pytest.mark.parametrize("handle", [b"", b"u" * 65])
def test_a_user_handle_is_1_to_64_bytes(handle: bytes) -> None:
    with pytest.raises(ValueError, match="1 to 64 bytes"):
        registration_options(
            RP,
            SETTINGS.webauthn,
            ROAMING,
            user_handle=handle,
            user_name="ada@example.com",
            display_name="Ada",
            exclude=[],
        )


def test_request_options_list_the_allowed_credentials() -> None:
    key = register(authenticator(transports=("usb",)))
    options = authentication_options(
        RP, SETTINGS.webauthn, user_verification="required", allowed=[key]
    )
    assert options.public_key == {
        "challenge": b64u(options.challenge),
        "timeout": 60000,
        "rpId": "login.example.com",
        "allowCredentials": [
            {"id": b64u(key.credential_id), "type": "public-key", "transports": ["usb"]}
        ],
        "userVerification": "required",
    }
    assert b64u_decode(options.public_key["challenge"]) == options.challenge


def test_passkey_request_options_allow_any_discoverable_credential() -> None:
    options = authentication_options(
        RP, SETTINGS.webauthn, user_verification="required", allowed=[]
    )
    assert options.public_key["allowCredentials"] == []
    device = authenticator(resident=True)
    register(device)
    assert device.get(options.public_key)["response"]["userHandle"] == b64u(USER_HANDLE)


def test_the_relying_party_defaults_to_the_issuer() -> None:
    assert RelyingParty.from_settings(
        Settings(issuer="https://mfa.example.org/", tenant_name="Acme")
    ) == (RelyingParty(id="mfa.example.org", name="Acme", origins=("https://mfa.example.org",)))
    assert RelyingParty.from_settings(Settings(issuer="http://127.0.0.1:8000/")) == RelyingParty(
        id="localhost",
        name="Twofold",
        origins=("http://127.0.0.1:8000", "http://localhost:8000"),
    )
    configured = Settings(
        issuer="https://login.example.com/",
        webauthn=WebauthnSettings(
            rp_id="Example.COM", rp_name="Example", origins=["https://example.com"]
        ),
    )
    assert RelyingParty.from_settings(configured) == RelyingParty(
        id="example.com", name="Example", origins=("https://example.com",)
    )


def test_both_webauthn_types_have_pages() -> None:
    assert set(PAGES) == {FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM}
    assert PAGES[ROAMING].label == "Security key"
    assert PAGES[PLATFORM].label == "This device (fingerprint, face or PIN)"
    for page in PAGES.values():
        assert page.challenge_template == "factors/webauthn/challenge.html"
        assert page.enrol_template == "factors/webauthn/enrol.html"
        assert not page.sends_code
        assert not page.is_fallback
