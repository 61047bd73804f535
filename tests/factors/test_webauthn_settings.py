"""`TWOFOLD_WEBAUTHN__*`: defaults, what is refused at start-up, and the resolved RP."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.support.soft_authenticator import AttestationCa
from twofold.config import Bucket, Settings, WebauthnSettings


def test_defaults_follow_adr_008() -> None:
    settings = WebauthnSettings()
    assert (settings.roaming.user_verification, settings.roaming.resident_key) == (
        "discouraged",
        "discouraged",
    )
    assert (settings.platform.user_verification, settings.platform.resident_key) == (
        "required",
        "preferred",
    )
    assert settings.algorithms == ["ES256", "EdDSA", "RS256"]
    assert (settings.timeout_ms, settings.attestation, settings.passkeys) == (60000, "none", False)
    assert settings.challenges == settings.failures == Bucket(burst=15, refill_seconds=4)
    assert settings.passkey_challenges_per_ip == Bucket(burst=60, refill_seconds=1)


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "roots.pem"
    root.write_bytes(AttestationCa.generate().pem + AttestationCa.generate().pem)
    monkeypatch.setenv("TWOFOLD_ISSUER", "https://login.example.com/")
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__RP_ID", "example.com")
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__ORIGINS", '["https://login.example.com"]')
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__ALGORITHMS", '["EdDSA"]')
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__PLATFORM__RESIDENT_KEY", "required")
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__PLATFORM__USER_VERIFICATION", "required")
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__ATTESTATION", "direct")
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__TRUSTED_ROOTS", f'["{root}"]')
    monkeypatch.setenv("TWOFOLD_WEBAUTHN__PASSKEYS", "true")
    webauthn = Settings().webauthn
    assert webauthn.rp_id == "example.com"
    assert webauthn.algorithms == ["EdDSA"]
    assert webauthn.platform.resident_key == "required"
    assert webauthn.trusted_roots == [root]
    assert webauthn.passkeys is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("origins", ["login.example.com"], "scheme://host"),
        ("origins", ["https://login.example.com/mfa"], "scheme://host"),
        ("origins", ["http://login.example.com"], "must be https"),
        ("rp_id", "https://example.com", "domain name"),
        ("rp_id", "example.com:8443", "domain name"),
        ("rp_id", "10.0.0.1", "domain name"),
        ("algorithms", [], "at least one"),
        ("algorithms", ["PS256"], "ES256"),
        ("aaguid_allow", ["not-a-uuid"], "an AAGUID is a UUID"),
        ("timeout_ms", 5000, "greater than or equal"),
        ("trusted_roots", ["/nonexistent/root.pem"], "not a readable PEM"),
    ],
)
def test_bad_values_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebauthnSettings.model_validate({field: value})


def test_a_pem_file_without_a_certificate_is_refused(tmp_path: Path) -> None:
    key_only = tmp_path / "key.pem"
    key_only.write_text("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValidationError, match="not a readable PEM"):
        WebauthnSettings(trusted_roots=[key_only])


def test_values_are_normalised() -> None:
    settings = WebauthnSettings(
        rp_id="Example.COM",
        origins=["https://login.example.com/", "http://localhost:8000"],
        algorithms=["RS256", "ES256", "RS256"],
        aaguid_deny=["CB69481E8FF7403993EC0A2729A154A8"],
    )
    assert settings.rp_id == "example.com"
    assert settings.origins == ["https://login.example.com", "http://localhost:8000"]
    assert settings.algorithms == ["RS256", "ES256"]
    assert settings.aaguid_deny == ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]


@pytest.mark.parametrize(
    "webauthn",
    [
        {"rp_id": "example.org"},
        {"rp_id": "example.com", "origins": ["https://example.com.evil.test"]},
        {"origins": ["https://example.com"]},
    ],
)
def test_origins_outside_the_rp_id_fail_at_start_up(webauthn: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="is not within the RP ID"):
        Settings(issuer="https://login.example.com/", webauthn=webauthn)


def test_a_parent_domain_may_be_the_rp_id() -> None:
    settings = Settings(
        issuer="https://login.example.com/",
        webauthn={
            "rp_id": "example.com",
            "origins": ["https://app.example.com", "https://example.com"],
        },
    )
    assert settings.webauthn.resolved_rp_id(settings.issuer) == "example.com"
    assert settings.webauthn.resolved_origins(settings.issuer) == [
        "https://app.example.com",
        "https://example.com",
    ]


def test_an_ip_issuer_falls_back_to_localhost() -> None:
    settings = Settings(issuer="http://127.0.0.1:9000/")
    assert settings.webauthn.resolved_rp_id(settings.issuer) == "localhost"
    assert settings.webauthn.resolved_origins(settings.issuer) == [
        "http://127.0.0.1:9000",
        "http://localhost:9000",
    ]
    ipv6 = Settings(issuer="http://[::1]/")
    assert ipv6.webauthn.resolved_origins(ipv6.issuer) == ["http://[::1]", "http://localhost"]
