"""A registered WebAuthn credential as the factor layer sees it, and how it is stored.

Nothing here is secret (a public key, flags, a model id), so the store keeps it as the
authenticator's plain `params`; the sign count lives apart in `last_step`, written with a
conditional update (docs/decisions/008).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from twofold.domain import JsonObject

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
T = TypeVar("T")


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 section 5), WebAuthn's JSON encoding of binary."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Strict: the base64url alphabet only, padding optional; anything else is a ValueError
    (a lenient decoder would silently skip junk and accept two spellings of one id)."""
    if not _BASE64URL.fullmatch(text.rstrip("=")) or len(text.rstrip("=")) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except binascii.Error as exc:  # pragma: no cover - the checks above exclude it
        raise ValueError("not base64url") from exc


def credential_id_hash(raw: bytes) -> str:
    """SHA-256 hex of a raw credential id: the indexed, unique column that finds a credential
    and refuses one already registered to anyone (WebAuthn section 7.1 step 25)."""
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True, slots=True)
class Credential:
    """One credential: what verifying its assertions needs, and what the user is shown."""

    credential_id: bytes
    public_key: bytes
    """COSE_Key (RFC 8152 section 7), as the authenticator returned it."""
    sign_count: int
    """The last signature counter seen; 0 for authenticators that keep none."""
    aaguid: str
    """The authenticator model (UUID form); all zeros when not disclosed."""
    fmt: str
    """Attestation statement format: "none", "packed", "tpm"..."""
    transports: tuple[str, ...]
    """Hints for later ceremonies ("usb", "nfc", "internal", "hybrid"...)."""
    backup_eligible: bool
    """BE flag: may be synced to other devices (a passkey); fixed for the credential's life."""
    backed_up: bool
    """BS flag: currently synced; may change at every assertion."""
    user_verified: bool
    """UV flag at registration."""
    discoverable: bool | None
    """credProps.rk: stored on the authenticator (usable without a user name); None when the
    client did not say."""
    algorithm: int
    """COSE algorithm identifier: -7 ES256, -8 EdDSA, -257 RS256."""

    def to_params(self) -> JsonObject:
        """The stored form: everything but the sign count, binary as base64url."""
        return {
            "credential_id": b64url(self.credential_id),
            "public_key": b64url(self.public_key),
            "aaguid": self.aaguid,
            "fmt": self.fmt,
            "transports": list(self.transports),
            "backup_eligible": self.backup_eligible,
            "backed_up": self.backed_up,
            "user_verified": self.user_verified,
            "discoverable": self.discoverable,
            "algorithm": self.algorithm,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any], sign_count: int) -> Credential:
        """The inverse of `to_params`; stored rows are ours, so a malformed one is a
        ValueError (a bug or a tampered database), not a client error."""
        try:
            credential = cls(
                credential_id=_binary(params, "credential_id"),
                public_key=_binary(params, "public_key"),
                sign_count=sign_count,
                aaguid=_typed(params, "aaguid", str),
                fmt=_typed(params, "fmt", str),
                transports=_transports(_typed(params, "transports", list)),
                backup_eligible=_typed(params, "backup_eligible", bool),
                backed_up=_typed(params, "backed_up", bool),
                user_verified=_typed(params, "user_verified", bool),
                discoverable=params.get("discoverable"),
                algorithm=_typed(params, "algorithm", int),
            )
        except KeyError as exc:
            raise ValueError(f"stored WebAuthn credential lacks {exc}") from None
        if credential.discoverable not in (True, False, None):
            raise ValueError("stored WebAuthn credential has a malformed discoverable")
        return credential

    @property
    def kind(self) -> str:
        """What the account page calls it: a backup-eligible credential can be synced to the
        user's other devices (a passkey); any other lives in one authenticator."""
        return "synced passkey" if self.backup_eligible else "device-bound key"


def _typed(params: Mapping[str, Any], name: str, kind: type[T]) -> T:
    value = params[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"stored WebAuthn credential has a malformed {name}")
    return value


def _binary(params: Mapping[str, Any], name: str) -> bytes:
    try:
        return from_b64url(_typed(params, name, str))
    except ValueError:
        raise ValueError(f"stored WebAuthn credential has a malformed {name}") from None


def _transports(values: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(value, str) for value in values):
        raise ValueError("stored WebAuthn credential has malformed transports")
    return tuple(values)
