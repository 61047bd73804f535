"""Domain values the store returns and the flows pass around (frozen, no ORM rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from twofold.types import AuthenticatorId, AuthenticatorStatus, ClientId, FactorType, UserId

JsonObject = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class User:
    id: UserId
    email: str
    name: str
    password_hash: str
    created_at: dt.datetime
    updated_at: dt.datetime
    email_verified: bool = False
    roles: tuple[str, ...] = ()
    app_metadata: JsonObject = field(default_factory=dict)
    user_metadata: JsonObject = field(default_factory=dict)
    last_login: dt.datetime | None = None
    logins_count: int = 0
    last_login_ip: str | None = None
    last_login_geo: JsonObject | None = None
    """Where the last successful login came from (ImpossibleTravel's starting point)."""


@dataclass(frozen=True, slots=True)
class Application:
    client_id: ClientId
    name: str
    secret_hash: str | None
    """SHA-256 of a 256-bit random secret: fast to check, useless to brute force."""
    app_type: str
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    """Management API scopes granted to client_credentials tokens."""
    created_at: dt.datetime
    callbacks: tuple[str, ...] = ()
    """Registered redirect URIs, matched exactly (OAuth 2.0 Security BCP section 4.1)."""
    allowed_logout_urls: tuple[str, ...] = ()

    @property
    def is_public(self) -> bool:
        """spa and native clients hold no secret, so they must use PKCE."""
        return self.secret_hash is None


@dataclass(frozen=True, slots=True)
class Authenticator:
    id: AuthenticatorId
    user_id: UserId
    type: FactorType
    status: AuthenticatorStatus
    name: str | None
    created_at: dt.datetime
    secret: bytes | None = None
    """Envelope-encrypted factor state (opaque here); only factors read it decrypted."""
    secret_hash: str | None = None
    """Keyed hash for factors compared by hash (recovery codes)."""
    params: JsonObject = field(default_factory=dict)
    last_step: int = -1
    """TOTP: the last accepted time step; any step <= it is rejected (RFC 6238 section 5.2)."""
    confirmed_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    oob_channel: str | None = None


@dataclass(frozen=True, slots=True)
class MfaTransaction:
    """The state behind an `mfa_token`: who passed the first factor, for which client."""

    id: str
    user_id: UserId
    client_id: ClientId
    created_at: dt.datetime
    expires_at: dt.datetime
    auth_time: dt.datetime
    failures: int = 0
    audience: str | None = None
    scope: str | None = None
    amr: tuple[str, ...] = ()
    challenge: JsonObject | None = None
    ip: str | None = None
    consumed: bool = False
    policy: JsonObject | None = None
    """The login's policy decision (factors allowed, max_age...), kept for the second step."""


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """A device a user signed in from (NewDevice's history, ADR 009).

    `device_id_hash` is the hash of the device cookie, "" when the client sent none;
    `ua_family` is the user-agent family, "" when it could not be told."""

    user_id: UserId
    device_id_hash: str
    ua_family: str
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """The hosted pages' server-side session (ADR 006); the cookie holds only a random token.

    Anonymous until the password step (`user_id` None); `mfa_time`/`amr` record the last MFA
    this session passed, which step-up (`max_age`, `acr_values`) is judged against.
    """

    id: str
    user_id: UserId | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    auth_time: dt.datetime | None = None
    mfa_time: dt.datetime | None = None
    amr: tuple[str, ...] = ()
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class RememberedBrowser:
    """Auth0's "remember this browser": MFA skipped here for 30 days unless asked for."""

    id: str
    user_id: UserId
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    amr: tuple[str, ...] = ()
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """An `/authorize` call (or an account-page sign-in when `client_id` is None) in flight.

    Bound to the browser session that started it, so a link to it is useless elsewhere.
    `params` holds the validated request parameters (redirect_uri, state, nonce, PKCE...).
    """

    id: str
    session_id: str
    client_id: ClientId | None
    params: JsonObject
    created_at: dt.datetime
    expires_at: dt.datetime
    failures: int = 0


@dataclass(frozen=True, slots=True)
class Grant:
    """What one authorization code started: revoking it revokes every token in the family."""

    id: str
    client_id: ClientId
    user_id: UserId
    created_at: dt.datetime
    session_id: str | None = None
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    grant_id: str
    client_id: ClientId
    user_id: UserId
    redirect_uri: str
    scope: str
    audience: str
    auth_time: dt.datetime
    amr: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None
    acr: str | None = None
    session_id: str | None = None
    used_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """One link of a rotating refresh-token family; `used_at` set = rotated (reuse = theft)."""

    grant_id: str
    client_id: ClientId
    user_id: UserId
    scope: str
    audience: str
    auth_time: dt.datetime
    amr: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime
    acr: str | None = None
    used_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    alg: str
    private_key: bytes
    """Envelope-encrypted PEM."""
    public_jwk: JsonObject
    created_at: dt.datetime
    active: bool


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored, chained audit event (the row as read back)."""

    id: int
    chain: int
    seq: int
    occurred_at: dt.datetime
    type: str
    description: str
    outcome: str
    user_id: str | None
    client_id: str | None
    actor: str | None
    ip: str | None
    user_agent: str | None
    details: JsonObject
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What an audit event says, before the store chains it (see audit/events/)."""

    type: str
    """Auth0 log type code where one exists (`gd_auth_succeed`, ...)."""
    description: str
    outcome: str
    """`success`, `failure` or `info`."""
    user_id: str | None = None
    client_id: str | None = None
    actor: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    details: JsonObject = field(default_factory=dict)
