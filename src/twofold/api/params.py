"""Reading OAuth parameters from JSON or form bodies, as Auth0's SDKs send both.

Parsed by hand rather than by FastAPI's Form/Body models: the token endpoint takes either
encoding for the same fields, JSON `null` means absent, and this is the hot path.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import Request

from twofold.errors import InvalidClientError, InvalidRequestError

MAX_BODY = 64 * 1024
MAX_FIELD = 4096
MAX_WORDS = 20
MAX_WORD = 100


def _refuse_unstorable(name: str, value: str, *, allow_nul: bool = False) -> None:
    """Lone surrogates (JSON `"\\ud800"`) cannot be encoded for any store, hash or query, and
    NUL for no store: a 400 here, not a 500 from a driver's encoder deep in a flow."""
    if not allow_nul and "\x00" in value:
        raise InvalidRequestError(f"{name} must not contain NUL characters.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidRequestError(f"{name} must be valid Unicode.") from exc


class Params:
    """Typed access to request parameters; wrong types are a 400, never a 500."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        max_length: int = MAX_FIELD,
        allow_nul: bool = False,
    ) -> str | None:
        """A string (or a JSON number, as text) of at most `max_length` characters.

        `allow_nul` is for secrets that are only hashed (a password may hold any character).
        """
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise InvalidRequestError(f"Missing required parameter: {name}")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidRequestError(f"{name} must be a string.")
        value = str(value)
        if len(value) > max_length:
            raise InvalidRequestError(f"{name} is too long.")
        _refuse_unstorable(name, value, allow_nul=allow_nul)
        return value

    def json_object(self, name: str) -> dict[str, Any] | str | None:
        """A JSON object, or its text (a form body can only carry text): the caller parses
        and bounds it. Any other JSON type is a 400."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, dict | str):
            return value
        raise InvalidRequestError(f"{name} must be a JSON object.")

    def words(self, name: str) -> tuple[str, ...] | None:
        """A JSON array of strings, or a form value separated by spaces or commas."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            items = [item for item in value.replace(",", " ").split() if item]
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            items = value
        else:
            raise InvalidRequestError(f"{name} must be an array of strings.")
        if len(items) > MAX_WORDS:
            raise InvalidRequestError(f"{name} has too many items.")
        for item in items:
            if len(item) > MAX_WORD:
                raise InvalidRequestError(f"{name} has an item that is too long.")
            _refuse_unstorable(name, item)
        return tuple(items)


async def _read_body(request: Request) -> bytes:
    """The body, refused once it passes MAX_BODY (before buffering more of it)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise InvalidRequestError("Request body too large.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise InvalidRequestError("Request body too large.")
    return bytes(raw)


async def read_params(request: Request) -> Params:
    raw = await _read_body(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or (not media and raw.lstrip().startswith(b"{")):
        try:
            values = json.loads(raw) if raw.strip() else {}
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise InvalidRequestError("The body is not valid JSON.") from exc
        if not isinstance(values, dict):
            raise InvalidRequestError("The body must be a JSON object.")
        return Params(values)
    if media in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise InvalidRequestError("The body is not valid UTF-8.") from exc
        return Params(dict(pairs))
    raise InvalidRequestError(
        "Content-Type must be application/json or application/x-www-form-urlencoded."
    )


def client_credentials(request: Request, params: Params) -> tuple[str | None, str | None]:
    """HTTP Basic (RFC 6749 section 2.3.1) or `client_id`/`client_secret` in the body."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClientError("Malformed Basic authorization header.") from exc
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise InvalidClientError("Malformed Basic authorization header.")
        return unquote(client_id), unquote(secret)
    return params.text("client_id", max_length=200), params.text("client_secret", max_length=200)


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    token = header[7:].strip()
    return token or None
