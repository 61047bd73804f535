"""A software WebAuthn authenticator and client, for driving the real verification code.

It plays both the browser (clientDataJSON, the `toJSON()` form of a PublicKeyCredential) and
the authenticator (authenticator data, COSE keys, signatures, "none" or "packed" attestation;
WebAuthn Level 2 sections 6.1, 6.5 and 8.2), built on `cryptography` and `cbor2`. Unlike a
browser it does not negotiate: it signs with its own algorithm, origin and RP ID whatever the
options say, so tests can present exactly the response an attacker or a broken client would.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from twofold.clock import SystemClock
from twofold.domain import JsonObject

Alg = Literal["ES256", "EdDSA", "RS256"]
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

COSE_ALG: dict[Alg, int] = {"ES256": -7, "EdDSA": -8, "RS256": -257}
"""COSE algorithm identifiers (IANA COSE Algorithms registry)."""

FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT = 0x01, 0x04, 0x08, 0x10, 0x40
"""Authenticator data flags (WebAuthn Level 3 section 6.1): user present, user verified,
backup eligible, backed up, attested credential data included."""

AAGUID_EXTENSION = ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")
"""id-fido-gen-ce-aaguid: the model an attestation certificate vouches for (section 8.2.1)."""


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key(alg: Alg) -> PrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cose_key(key: PrivateKey) -> bytes:
    """The credential public key in COSE_Key form (RFC 8152 section 13, RFC 8230)."""
    public = key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})
    if not isinstance(public, rsa.RSAPublicKey):  # pragma: no cover - PrivateKey is closed
        raise TypeError(type(public).__name__)
    rsa_numbers = public.public_numbers()
    n = rsa_numbers.n.to_bytes((rsa_numbers.n.bit_length() + 7) // 8, "big")
    e = rsa_numbers.e.to_bytes((rsa_numbers.e.bit_length() + 7) // 8, "big")
    return cbor2.dumps({1: 3, 3: -257, -1: n, -2: e})


def sign(key: PrivateKey, data: bytes) -> bytes:
    """ES256: DER ECDSA over SHA-256; EdDSA: raw Ed25519; RS256: PKCS#1 v1.5 with SHA-256."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@dataclass(frozen=True, slots=True)
class AttestationCert:
    """The key an authenticator signs a "packed" statement with, and its chain (x5c)."""

    key: ec.EllipticCurvePrivateKey
    x5c: tuple[bytes, ...]
    """DER certificates, the attestation certificate first (section 8.2)."""


@dataclass(frozen=True, slots=True)
class AttestationCa:
    """A vendor's attestation root, generated per test: its PEM goes in `trusted_roots`."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def generate(cls, name: str = "Soft Authenticator Root CA") -> AttestationCa:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            _builder(subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key=key, cert=cert)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, aaguid: bytes | None) -> AttestationCert:
        """An attestation certificate as section 8.2.1 describes (OU "Authenticator
        Attestation", not a CA), naming the model `aaguid` (None: no AAGUID extension)."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Soft Authenticators"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Soft Authenticator"),
            ]
        )
        builder = _builder(subject, self.cert.subject, key.public_key()).add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        if aaguid is not None:
            extension = x509.UnrecognizedExtension(AAGUID_EXTENSION, b"\x04\x10" + aaguid)
            builder = builder.add_extension(extension, critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return AttestationCert(key=key, x5c=(cert.public_bytes(serialization.Encoding.DER),))


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = SystemClock().now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )


@dataclass(frozen=True, slots=True)
class StoredCredential:
    """What the authenticator keeps per credential."""

    credential_id: bytes
    key: PrivateKey
    user_handle: bytes
    resident: bool


class SoftAuthenticator:
    """One authenticator with one signature counter, holding any number of credentials.

    Attributes are plain and mutable so a test can tamper between ceremonies: `up = False`
    (no touch), `uv = False` (no user verification), `backup_eligible`, `set_sign_count(n)`
    (a cloned key)."""

    def __init__(
        self,
        rp_id: str,
        origin: str,
        *,
        alg: Alg = "ES256",
        up: bool = True,
        uv: bool = True,
        resident: bool = False,
        backup_eligible: bool = False,
        backed_up: bool = False,
        aaguid: bytes = bytes(16),
        sign_count_start: int = 0,
        counter_step: int = 1,
        attachment: Literal["platform", "cross-platform"] = "cross-platform",
        transports: Sequence[str] = ("usb",),
        credential_id_length: int = 32,
        fmt: Literal["none", "packed"] = "none",
        attestation_cert: AttestationCert | None = None,
    ) -> None:
        """`fmt="packed"` with no `attestation_cert` is self attestation (section 8.2);
        with one, the statement is signed by it and carries its chain."""
        if len(aaguid) != 16:
            raise ValueError("an AAGUID has 16 bytes")
        self.rp_id = rp_id
        self.origin = origin
        self.alg: Alg = alg
        self.up = up
        self.uv = uv
        self.resident = resident
        self.backup_eligible = backup_eligible
        self.backed_up = backed_up
        self.aaguid = aaguid
        self.sign_count = sign_count_start
        self.counter_step = counter_step
        self.attachment = attachment
        self.transports = tuple(transports)
        self.credential_id_length = credential_id_length
        self.fmt = fmt
        self.attestation_cert = attestation_cert
        self.credentials: dict[bytes, StoredCredential] = {}

    def set_sign_count(self, count: int) -> None:
        """The counter the next assertion increments (a regression when set back)."""
        self.sign_count = count

    # navigator.credentials.create() -------------------------------------------------------

    def create(
        self,
        options: JsonObject,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        cross_origin: bool = False,
    ) -> JsonObject:
        """Register a new credential from `publicKey` creation options (the JSON form);
        refuses, as authenticators do, when it holds a credential the options exclude."""
        excluded = {b64u_decode(item["id"]) for item in options.get("excludeCredentials") or []}
        if excluded & self.credentials.keys():
            raise LookupError("InvalidStateError: this authenticator is already registered")
        key = new_key(self.alg)
        credential = StoredCredential(
            credential_id=secrets.token_bytes(self.credential_id_length),
            key=key,
            user_handle=b64u_decode(options["user"]["id"]),
            resident=self.resident,
        )
        self.credentials[credential.credential_id] = credential
        attested = (
            self.aaguid
            + len(credential.credential_id).to_bytes(2, "big")
            + credential.credential_id
            + cose_key(key)
        )
        auth_data = self._auth_data(rp_id or self.rp_id, FLAG_AT) + attested
        client_data = self._client_data("webauthn.create", options, origin, cross_origin)
        statement = self._statement(key, auth_data + hashlib.sha256(client_data).digest())
        attestation_object = cbor2.dumps(
            {"fmt": self.fmt, "attStmt": statement, "authData": auth_data}
        )
        return {
            "id": b64u(credential.credential_id),
            "rawId": b64u(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "response": {
                "clientDataJSON": b64u(client_data),
                "attestationObject": b64u(attestation_object),
                "authenticatorData": b64u(auth_data),
                "transports": list(self.transports),
                "publicKeyAlgorithm": COSE_ALG[self.alg],
            },
            "clientExtensionResults": {"credProps": {"rk": self.resident}},
        }

    def _statement(self, key: PrivateKey, signed: bytes) -> dict[str, Any]:
        if self.fmt == "none":
            return {}
        if self.attestation_cert is None:
            return {"alg": COSE_ALG[self.alg], "sig": sign(key, signed)}
        cert = self.attestation_cert
        return {"alg": COSE_ALG["ES256"], "sig": sign(cert.key, signed), "x5c": list(cert.x5c)}

    # navigator.credentials.get() ----------------------------------------------------------

    def get(
        self,
        options: JsonObject,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_handle: bytes | None = None,
        cross_origin: bool = False,
    ) -> JsonObject:
        """Assert with the first allowed credential held, or (empty `allowCredentials`) a
        discoverable one. `user_handle` overrides the one returned (a resident credential
        returns its own; a non-resident one none)."""
        credential = self._pick(options)
        self.sign_count += self.counter_step
        auth_data = self._auth_data(rp_id or self.rp_id, 0)
        client_data = self._client_data("webauthn.get", options, origin, cross_origin)
        signature = sign(credential.key, auth_data + hashlib.sha256(client_data).digest())
        handle = user_handle or (credential.user_handle if credential.resident else None)
        return {
            "id": b64u(credential.credential_id),
            "rawId": b64u(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "response": {
                "clientDataJSON": b64u(client_data),
                "authenticatorData": b64u(auth_data),
                "signature": b64u(signature),
                "userHandle": b64u(handle) if handle is not None else None,
            },
            "clientExtensionResults": {},
        }

    def _pick(self, options: JsonObject) -> StoredCredential:
        allowed = [b64u_decode(item["id"]) for item in options.get("allowCredentials") or []]
        if allowed:
            held = [self.credentials[cid] for cid in allowed if cid in self.credentials]
        else:
            held = [c for c in self.credentials.values() if c.resident]
        if not held:
            raise LookupError("NotAllowedError: no credential of this authenticator fits")
        return held[0]

    # Shared pieces ------------------------------------------------------------------------

    def _auth_data(self, rp_id: str, extra_flags: int) -> bytes:
        flags = extra_flags
        flags |= FLAG_UP if self.up else 0
        flags |= FLAG_UV if self.uv else 0
        flags |= FLAG_BE if self.backup_eligible else 0
        flags |= FLAG_BS if self.backed_up else 0
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big")

    def _client_data(
        self, kind: str, options: JsonObject, origin: str | None, cross_origin: bool
    ) -> bytes:
        """`cross_origin`: as a browser reports a ceremony run in a frame of another site."""
        data = {
            "type": kind,
            "challenge": options["challenge"],
            "origin": origin or self.origin,
            "crossOrigin": cross_origin,
        }
        return json.dumps(data, separators=(",", ":")).encode()


def with_signature(response: JsonObject, signature: bytes) -> JsonObject:
    """A copy of an assertion with its signature replaced (a forgery)."""
    inner = dict(response["response"], signature=b64u(signature))
    return dict(response, response=inner)
