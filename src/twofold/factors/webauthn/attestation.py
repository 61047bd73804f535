"""The operator's attestation policy: which authenticators may register (WebAuthn section 7.1
steps 21-24 leave "is this attestation trustworthy" to the relying party).

py_webauthn has already checked the statement's signature when this runs. With
`attestation="direct"` and `trusted_roots`, the statement must carry a certificate chain
ending at one of those roots (py_webauthn would also accept self attestation, or the vendor
roots it ships for Apple and Android; the operator's list is the whole truth here). The
AAGUID lists apply in every mode, but only an attested AAGUID is more than the
authenticator's own claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from webauthn.helpers import parse_attestation_object, validate_certificate_chain
from webauthn.helpers.exceptions import InvalidCertificateChain

from twofold.config import WebauthnSettings
from twofold.errors import WebauthnRegistrationError

AAGUID_EXTENSION = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")
"""id-fido-gen-ce-aaguid (section 8.2.1): the model an attestation certificate vouches for."""

MODEL_REFUSED = "This kind of security key or device is not allowed here."
UNATTESTED = "The authenticator did not prove its make and model (attestation), as required."
UNTRUSTED = "The authenticator's attestation certificate is not from a trusted vendor."


def check_attestation(
    settings: WebauthnSettings, *, attestation_object: bytes, aaguid: str
) -> None:
    """Raise `WebauthnRegistrationError` when the policy refuses this verified registration."""
    if settings.attestation == "direct" and settings.trusted_roots:
        _check_chain(attestation_object, uuid.UUID(aaguid).bytes, roots=settings.trusted_roots)
    if aaguid in settings.aaguid_deny:
        raise WebauthnRegistrationError(MODEL_REFUSED)
    if settings.aaguid_allow and aaguid not in settings.aaguid_allow:
        raise WebauthnRegistrationError(MODEL_REFUSED)


def _check_chain(attestation_object: bytes, raw_aaguid: bytes, *, roots: Sequence[Path]) -> None:
    statement = parse_attestation_object(attestation_object).att_stmt
    chain = statement.x5c if statement is not None else None
    if not chain:
        # "none" and self attestation name no vendor: nothing to chain to a root.
        raise WebauthnRegistrationError(UNATTESTED)
    try:
        validate_certificate_chain(x5c=chain, pem_root_certs_bytes=_root_pems(roots))
        leaf = x509.load_der_x509_certificate(chain[0])
    except (InvalidCertificateChain, ValueError) as exc:
        raise WebauthnRegistrationError(UNTRUSTED) from exc
    try:
        extension = leaf.extensions.get_extension_for_oid(AAGUID_EXTENSION).value
    except x509.ExtensionNotFound:
        return
    # Section 8.2.1: a certificate naming a model must name the one in the authenticator
    # data, or a vendor's certificate for one model would vouch for any AAGUID.
    encoded = b"\x04\x10" + raw_aaguid  # DER OCTET STRING of 16 bytes
    if not isinstance(extension, x509.UnrecognizedExtension) or extension.value != encoded:
        raise WebauthnRegistrationError(UNTRUSTED)


def _root_pems(roots: Sequence[Path]) -> list[bytes]:
    """Every certificate of every file, one PEM each (a file may hold a bundle)."""
    return [
        cert.public_bytes(serialization.Encoding.PEM)
        for path in roots
        for cert in x509.load_pem_x509_certificates(path.read_bytes())
    ]
