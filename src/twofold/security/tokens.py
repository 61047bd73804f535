"""Random identifiers and bearer secrets, and the one-way hash that stores them.

Every value comes from `secrets`. Formats follow docs/decisions/002-tokens-and-hashes.md:
ids look like Auth0's (`auth0|<24 hex>`, `totp|dev_<16>`), bearer secrets carry 256 bits
and are stored as SHA-256 (their entropy makes a slow hash pointless).
"""

from __future__ import annotations

import hashlib
import re
import secrets

_TOKEN_BYTES = 32  # 256 bits -> 43 url-safe characters
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """An opaque bearer secret (mfa_token and the like): 256 random bits."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def is_well_formed(token: str) -> bool:
    """Cheap shape check, so garbage never reaches the database."""
    return bool(_TOKEN_SHAPE.fullmatch(token))


def token_hash(token: str) -> str:
    """SHA-256 hex of a high-entropy secret; what the database keeps instead of the secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_user_id() -> str:
    return "auth0|" + secrets.token_hex(12)


def new_authenticator_id(kind: str) -> str:
    """`totp|dev_…`, `recovery-code|dev_…`: the shape Auth0's /mfa/authenticators returns."""
    return f"{kind}|dev_{secrets.token_urlsafe(12)}"


def new_transaction_id() -> str:
    return "tx_" + secrets.token_hex(12)


def new_client_id() -> str:
    """32 url-safe characters, as Auth0 client ids are."""
    return secrets.token_urlsafe(24)


def new_client_secret() -> str:
    """384 random bits (64 url-safe characters)."""
    return secrets.token_urlsafe(48)
