"""A WebAuthn credential's stored form (`params` plus the sign count apart), its lookup hash
and its strict base64url."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.factors.webauthn_ceremonies import authenticator, register
from twofold.factors.webauthn.credential import (
    Credential,
    b64url,
    credential_id_hash,
    from_b64url,
)


def test_params_round_trip_through_json_without_the_sign_count() -> None:
    credential = register(authenticator(alg="EdDSA", resident=True, backup_eligible=True))
    params = json.loads(json.dumps(credential.to_params()))
    assert "sign_count" not in params
    assert params["credential_id"] == b64url(credential.credential_id)
    assert params["algorithm"] == -8
    assert Credential.from_params(params, sign_count=credential.sign_count) == credential
    assert Credential.from_params(params, sign_count=9).sign_count == 9


def test_an_unknown_discoverability_is_kept() -> None:
    credential = register(authenticator())
    params = {**credential.to_params(), "discoverable": None}
    assert Credential.from_params(params, sign_count=0).discoverable is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credential_id", "not base64url!"),
        ("public_key", 12),
        ("algorithm", True),
        ("algorithm", "-7"),
        ("backup_eligible", "yes"),
        ("transports", ["usb", 3]),
        ("discoverable", "maybe"),
    ],
)
def test_malformed_stored_params_are_a_value_error(field: str, value: object) -> None:
    params = {**register(authenticator()).to_params(), field: value}
    with pytest.raises(ValueError, match="stored WebAuthn credential"):
        Credential.from_params(params, sign_count=0)


def test_missing_stored_params_are_a_value_error() -> None:
    params = register(authenticator()).to_params()
    del params["aaguid"]
    with pytest.raises(ValueError, match="lacks 'aaguid'"):
        Credential.from_params(params, sign_count=0)


def test_the_lookup_hash_is_sha256_hex_of_the_raw_id() -> None:
    raw = bytes(range(32))
    assert credential_id_hash(raw) == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("raw", [b"", b"\x00", b"\xff\xfe", bytes(range(256))])
def test_base64url_round_trips(raw: bytes) -> None:
    text = b64url(raw)
    assert "=" not in text
    assert from_b64url(text) == raw
    assert from_b64url(text + "=" * (-len(text) % 4)) == raw


@pytest.mark.parametrize("text", ["a+b/", "ab cd", "abcde", "ab\n", "é"])
def test_base64url_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="not base64url"):
        from_b64url(text)
