"""The WebAuthn ceremonies as pure functions over py_webauthn: registration (WebAuthn Level 2
section 7.1) and authentication (section 7.2). Options in, credential state out.

The flow keeps each challenge, deletes it before calling `verify_*` (single use), and
persists what comes back. Every refusal is a typed error whose description says what was
wrong without echoing the client's values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    decode_credential_public_key,
    options_to_json,
    parse_client_data_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import InvalidJSONStructure, WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestationFormat,
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from twofold.config import Settings, WebauthnFactorSettings, WebauthnSettings
from twofold.domain import JsonObject
from twofold.errors import (
    InvalidRequestError,
    WebauthnAssertionError,
    WebauthnCounterRegressionError,
    WebauthnRegistrationError,
)
from twofold.factors.webauthn.attestation import check_attestation
from twofold.factors.webauthn.credential import Credential
from twofold.factors.webauthn.response import (
    MAX_CREDENTIAL_ID_BYTES,
    MAX_RESPONSE_BYTES,
    MAX_USER_HANDLE_BYTES,
    credential_id_from,
    credential_id_of,
    parse_response,
    user_handle_of,
)
from twofold.types import Amr, FactorType

__all__ = [
    "ALGORITHMS",
    "ATTACHMENTS",
    "MAX_CREDENTIAL_ID_BYTES",
    "MAX_RESPONSE_BYTES",
    "MAX_USER_HANDLE_BYTES",
    "Assertion",
    "Options",
    "RelyingParty",
    "amr",
    "authentication_options",
    "credential_id_from",
    "credential_id_of",
    "parse_response",
    "registration_options",
    "user_handle_of",
    "verify_assertion",
    "verify_registration",
]
"""The ceremonies' public surface; the response readers live in `response.py` and are part
of it."""

ALGORITHMS: Mapping[str, COSEAlgorithmIdentifier] = MappingProxyType(
    {
        "ES256": COSEAlgorithmIdentifier.ECDSA_SHA_256,
        "EdDSA": COSEAlgorithmIdentifier.EDDSA,
        "RS256": COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
    }
)
ATTACHMENTS: Mapping[FactorType, AuthenticatorAttachment] = MappingProxyType(
    {
        FactorType.WEBAUTHN_ROAMING: AuthenticatorAttachment.CROSS_PLATFORM,
        FactorType.WEBAUTHN_PLATFORM: AuthenticatorAttachment.PLATFORM,
    }
)
_TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)
_MALFORMED = (WebAuthnException, KeyError, TypeError, ValueError, IndexError)
"""What py_webauthn raises on hostile input: its own errors, and a few from CBOR and COSE
parsing it does not wrap."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the credentials belong to: the RP ID they are bound to and the origins whose pages
    may use them."""

    id: str
    name: str
    origins: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> RelyingParty:
        """The configured values, defaulting to the issuer's host and origin (docs/factors.md)."""
        webauthn = settings.webauthn
        return cls(
            id=webauthn.resolved_rp_id(settings.issuer),
            name=webauthn.rp_name or settings.tenant_name,
            origins=tuple(webauthn.resolved_origins(settings.issuer)),
        )


@dataclass(frozen=True, slots=True)
class Options:
    """Options for `navigator.credentials.create()`/`get()` and the challenge to keep."""

    public_key: JsonObject
    """The WebAuthn JSON form (camelCase, binary as base64url): what
    `PublicKeyCredential.parse*OptionsFromJSON` takes, Auth0's `authn_params_public_key`."""
    challenge: bytes


@dataclass(frozen=True, slots=True)
class Assertion:
    """A verified authentication: the counter to persist (conditionally) and what it proves."""

    sign_count: int
    user_verified: bool
    backed_up: bool
    amr: tuple[Amr, ...]


def amr(*, backup_eligible: bool, user_verified: bool) -> tuple[Amr, ...]:
    """RFC 8176: `swk` for a credential that may be synced (its key exists in software
    somewhere), `hwk` for one bound to its hardware; `user` when the authenticator verified
    the user (PIN or biometrics)."""
    key = Amr.SWK if backup_eligible else Amr.HWK
    return (key, Amr.USER) if user_verified else (key,)


# Options ----------------------------------------------------------------------------------


def registration_options(
    rp: RelyingParty,
    settings: WebauthnSettings,
    factor: FactorType,
    *,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    exclude: Sequence[Credential],
) -> Options:
    """Creation options for a security key (cross-platform) or this device (platform), with
    the factor's user verification and resident key settings, the user's existing credentials
    excluded (so one authenticator is not registered twice) and credProps asked for."""
    chosen = _factor_settings(settings, factor)
    if not 0 < len(user_handle) <= MAX_USER_HANDLE_BYTES:
        raise ValueError("a WebAuthn user handle has 1 to 64 bytes")
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user_name,
        user_id=user_handle,
        user_display_name=display_name,
        timeout=settings.timeout_ms,
        attestation=AttestationConveyancePreference(settings.attestation),
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=ATTACHMENTS[factor],
            resident_key=ResidentKeyRequirement(chosen.resident_key),
            user_verification=UserVerificationRequirement(chosen.user_verification),
        ),
        exclude_credentials=[_descriptor(credential) for credential in exclude],
        supported_pub_key_algs=_algorithms(settings),
    )
    public_key = _plain_json(options)
    public_key["extensions"] = {"credProps": True}
    return Options(public_key=public_key, challenge=options.challenge)


def authentication_options(
    rp: RelyingParty,
    settings: WebauthnSettings,
    *,
    user_verification: str,
    allowed: Sequence[Credential],
) -> Options:
    """Request options listing the user's credentials; none listed asks the browser for a
    discoverable credential (a passkey, which then names its user by its user handle)."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=settings.timeout_ms,
        allow_credentials=[_descriptor(credential) for credential in allowed],
        user_verification=UserVerificationRequirement(user_verification),
    )
    return Options(public_key=_plain_json(options), challenge=options.challenge)


def _plain_json(
    options: PublicKeyCredentialCreationOptions | PublicKeyCredentialRequestOptions,
) -> JsonObject:
    """py_webauthn's JSON form through a JSON round trip: plain str and int values (its
    algorithm ids are enum members), as the client will see them."""
    value: JsonObject = json.loads(options_to_json(options))
    return value


def _factor_settings(settings: WebauthnSettings, factor: FactorType) -> WebauthnFactorSettings:
    if factor == FactorType.WEBAUTHN_ROAMING:
        return settings.roaming
    if factor == FactorType.WEBAUTHN_PLATFORM:
        return settings.platform
    raise ValueError(f"{factor} is not a WebAuthn factor")


def _algorithms(settings: WebauthnSettings) -> list[COSEAlgorithmIdentifier]:
    return [ALGORITHMS[name] for name in settings.algorithms]


def _descriptor(credential: Credential) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in credential.transports if t in _TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=credential.credential_id, transports=transports)


CROSS_ORIGIN = "The ceremony ran in a frame of another site."


def ran_cross_origin(payload: JsonObject) -> bool:
    """The client data's `crossOrigin` (WebAuthn section 5.8.1), which py_webauthn does not
    check: a ceremony in an iframe of another site is a clickjacking vector, and Twofold's
    pages and API clients never need one. Read only after py_webauthn verified the response,
    so the client data is well formed and signed over."""
    encoded = payload["response"]["clientDataJSON"]
    return parse_client_data_json(base64url_to_bytes(encoded)).cross_origin is True


# Registration -----------------------------------------------------------------------------


def verify_registration(
    rp: RelyingParty,
    settings: WebauthnSettings,
    factor: FactorType,
    response: JsonObject | str,
    *,
    challenge: bytes,
    user_verification: str,
) -> Credential:
    """The new credential, or `WebauthnRegistrationError` naming what was wrong: origin, RP
    ID, challenge, user verification, algorithm, attestation or model. User verification is
    required when the challenge asked for it or the factor's settings now do."""
    chosen = _factor_settings(settings, factor)
    payload = parse_response(response)
    required = "required" in (user_verification, chosen.user_verification)
    try:
        verified = verify_registration_response(
            credential=payload,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            require_user_verification=required,
            supported_pub_key_algs=_algorithms(settings),
        )
        algorithm = int(decode_credential_public_key(verified.credential_public_key).alg)
        fmt = AttestationFormat(verified.fmt).value
    except InvalidJSONStructure as exc:
        raise InvalidRequestError("authn_response is not a WebAuthn registration.") from exc
    except _MALFORMED as exc:
        raise WebauthnRegistrationError(_reason(exc, WebauthnRegistrationError)) from exc
    if ran_cross_origin(payload):
        raise WebauthnRegistrationError(CROSS_ORIGIN)
    if not 0 < len(verified.credential_id) <= MAX_CREDENTIAL_ID_BYTES:
        raise WebauthnRegistrationError("The credential id is longer than WebAuthn allows.")
    if credential_id_from(payload) != verified.credential_id:
        raise WebauthnRegistrationError("The response names another credential than it created.")
    check_attestation(
        settings, attestation_object=verified.attestation_object, aaguid=verified.aaguid
    )
    return Credential(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        fmt=fmt,
        transports=_transports(payload),
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        user_verified=verified.user_verified,
        discoverable=_discoverable(payload),
        algorithm=algorithm,
    )


def _transports(payload: JsonObject) -> tuple[str, ...]:
    """The transports the client reported, known values only (hints, not proofs)."""
    values = payload["response"].get("transports")
    if not isinstance(values, list):
        return ()
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v in _TRANSPORTS))


def _discoverable(payload: JsonObject) -> bool | None:
    """credProps.rk (WebAuthn section 10.4): whether the credential is stored on the
    authenticator; None when the client did not run the extension."""
    results = payload.get("clientExtensionResults")
    props = results.get("credProps") if isinstance(results, dict) else None
    rk = props.get("rk") if isinstance(props, dict) else None
    return rk if isinstance(rk, bool) else None


# Authentication ---------------------------------------------------------------------------


def verify_assertion(
    rp: RelyingParty,
    response: JsonObject | str,
    *,
    challenge: bytes,
    credential: Credential,
    user_verification: str,
) -> Assertion:
    """A verified assertion by `credential`, or `WebauthnAssertionError`.

    py_webauthn is given a stored count of 0, so it checks everything but the counter; the
    counter is checked here afterwards (section 6.1.1): a non-zero count that does not grow
    raises `WebauthnCounterRegressionError`. Both zero means an authenticator that keeps no
    counter, as synced passkeys do. Checking only after the signature verified means a forger
    cannot trigger the clone alarm, whatever counter he writes.
    """
    payload = parse_response(response)
    if credential_id_from(payload) != credential.credential_id:
        raise WebauthnAssertionError("The response is from another credential.")
    try:
        verified = verify_authentication_response(
            credential=payload,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=credential.public_key,
            credential_current_sign_count=0,
            require_user_verification=user_verification == "required",
        )
    except InvalidJSONStructure as exc:
        raise InvalidRequestError("authn_response is not a WebAuthn assertion.") from exc
    except _MALFORMED as exc:
        raise WebauthnAssertionError(_reason(exc, WebauthnAssertionError)) from exc
    if ran_cross_origin(payload):
        raise WebauthnAssertionError(CROSS_ORIGIN)
    backup_eligible = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    if backup_eligible != credential.backup_eligible:
        # Section 6.1.3: backup eligibility is fixed when the credential is created.
        raise WebauthnAssertionError("The credential's backup eligibility changed.")
    count = verified.new_sign_count
    if (count or credential.sign_count) and count <= credential.sign_count:
        raise WebauthnCounterRegressionError(stored=credential.sign_count, received=count)
    return Assertion(
        sign_count=count,
        user_verified=verified.user_verified,
        backed_up=verified.credential_backed_up,
        amr=amr(backup_eligible=backup_eligible, user_verified=verified.user_verified),
    )


# Why a response was refused ---------------------------------------------------------------

_REASONS: tuple[tuple[str, str], ...] = (
    ("Client data challenge", "The response does not answer this challenge."),
    ("Unexpected client data origin", "The response comes from a page of another origin."),
    ("Unexpected RP ID hash", "The credential is for another site (RP ID)."),
    ("Unexpected client data type", "The response is for another kind of ceremony."),
    ("User verification is required", "The user was not verified (PIN or biometrics)."),
    ("User presence was required", "The user was not present (no touch)."),
    ("User was not present", "The user was not present (no touch)."),
    ("Unsupported credential public key alg", "The key's algorithm is not allowed here."),
    ("Could not verify authentication signature", "The signature does not verify."),
    ("attestation", "The attestation statement does not verify."),
)
"""py_webauthn's messages (3.x), by a telling part (any case, first match wins), and what
the client is told instead: they name the values the client sent, which an error
description never echoes."""


def _reason(
    exc: BaseException, kind: type[WebauthnRegistrationError | WebauthnAssertionError]
) -> str:
    message = str(exc).lower()
    return next((text for part, text in _REASONS if part.lower() in message), kind.description)
