"""Reading a WebAuthn response before verifying it: the JSON object the browser's
`credential.toJSON()` gives, within a size cap, and the two values a flow needs to find what
to verify it against (which credential, and for a passkey which user). Nothing here is
trusted until `ceremony.verify_*` has checked the signature.
"""

from __future__ import annotations

import json

from twofold.domain import JsonObject
from twofold.errors import InvalidRequestError
from twofold.factors.webauthn.credential import from_b64url

MAX_RESPONSE_BYTES = 64 * 1024
"""A real response is 1-3 KiB (a few more with an attestation chain)."""
MAX_CREDENTIAL_ID_BYTES = 1023
"""WebAuthn section 4, "Credential ID": at most 1023 bytes."""
MAX_USER_HANDLE_BYTES = 64
"""WebAuthn section 5.4.3: a user handle is at most 64 bytes."""


def parse_response(raw: str | JsonObject) -> JsonObject:
    """The client's `credential.toJSON()`, as text or already decoded: a JSON object of at
    most `MAX_RESPONSE_BYTES`, or `InvalidRequestError`."""
    try:
        size = len(raw.encode() if isinstance(raw, str) else json.dumps(raw).encode())
        if size > MAX_RESPONSE_BYTES:
            raise InvalidRequestError("authn_response is too large.")
        value = json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidRequestError("authn_response is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise InvalidRequestError("authn_response must be a JSON object.")
    return value


def credential_id_of(response: JsonObject | str) -> bytes:
    """The raw credential id a response names, unverified: which credential to load."""
    return credential_id_from(parse_response(response))


def credential_id_from(payload: JsonObject) -> bytes:
    """`credential_id_of` for a response `parse_response` has already read."""
    credential_id = _decoded(payload.get("rawId"))
    if not 0 < len(credential_id) <= MAX_CREDENTIAL_ID_BYTES:
        raise InvalidRequestError("authn_response has no valid rawId.")
    return credential_id


def user_handle_of(response: JsonObject | str) -> bytes | None:
    """The user handle a discoverable credential returns (the user it was created for), or
    None when the authenticator returned none. Unverified until the signature checks out."""
    inner = parse_response(response).get("response")
    handle = inner.get("userHandle") if isinstance(inner, dict) else None
    if handle is None or handle == "":
        return None
    decoded = _decoded(handle)
    if not 0 < len(decoded) <= MAX_USER_HANDLE_BYTES:
        raise InvalidRequestError("authn_response has a malformed userHandle.")
    return decoded


def _decoded(value: object) -> bytes:
    """A base64url member's bytes, or b"" for anything that is not one: the caller's length
    check then refuses it with its own message, as it refuses an empty member."""
    if not isinstance(value, str):
        return b""
    try:
        return from_b64url(value)
    except ValueError:
        return b""
