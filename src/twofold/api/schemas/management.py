"""Management API (`/api/v2`) request and response shapes, as Auth0's Management API v2 has them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from twofold.config import WebauthnRequirement
from twofold.flows.grants import DEFAULT_REALM
from twofold.flows.management import LOG_QUERY, USER_QUERY

_EMAIL_CHAR = r"[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
EMAIL_PATTERN = rf"^{_EMAIL_CHAR}{{1,64}}@{_EMAIL_CHAR}{{1,255}}$"
"""flows/users.py's rule, spelled with explicit ranges so every regex engine reads it alike."""
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
"""No control characters: no store keeps NUL, and no name needs one."""

UserIdPath = Annotated[str, Path(description="`auth0|...`, URL-encoded as `auth0%7C...`.")]


class Strict(BaseModel):
    """Request bodies: JSON types exactly as declared, unknown members refused (as Auth0 does)."""

    model_config = ConfigDict(strict=True, extra="forbid")


class UserCreate(Strict):
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=8, max_length=128)
    name: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)
    connection: Literal["Username-Password-Authentication"] | None = Field(
        default=None, description=f"The only user store, `{DEFAULT_REALM}`."
    )
    email_verified: bool | None = None
    app_metadata: dict[str, Any] | None = None
    user_metadata: dict[str, Any] | None = None


class UserSearch(BaseModel):
    """`GET /users` query: `q` is `email:"a@b.c"` (exact), `name:jo*` (wildcard) or a bare term
    (email or name contains it); newest first; `page` is 0-based."""

    q: str | None = Field(default=None, max_length=500, pattern=USER_QUERY)
    page: int = Field(default=0, ge=0, le=10_000)
    per_page: int = Field(default=50, ge=1, le=100)
    include_totals: bool = False


class Identity(BaseModel):
    connection: str
    user_id: str
    provider: str
    isSocial: bool  # noqa: N815 - Auth0's member name


class UserOut(BaseModel):
    user_id: str
    email: str
    email_verified: bool
    name: str
    created_at: str
    updated_at: str
    identities: list[Identity]
    app_metadata: dict[str, Any]
    user_metadata: dict[str, Any]
    last_login: str | None = None
    logins_count: int


class UserPage(BaseModel):
    """`include_totals=true`: the page and where it sits in the whole result."""

    users: list[UserOut]
    start: int
    limit: int
    length: int
    total: int


class AuthenticationMethodRef(BaseModel):
    id: str
    type: str


class AuthenticationMethodOut(BaseModel):
    id: str
    type: str = Field(
        description="`totp`, `recovery-code`, `phone`, `email`, `push`, `webauthn-roaming`, "
        "`webauthn-platform`, or `passkey` (a discoverable WebAuthn credential)"
    )
    confirmed: bool
    name: str | None = None
    created_at: str
    enrolled_at: str | None = None
    last_auth_at: str | None = None
    authentication_methods: list[AuthenticationMethodRef] | None = None
    key_id: str | None = Field(default=None, description="WebAuthn: the credential id.")
    aaguid: str | None = Field(default=None, description="WebAuthn: the authenticator model.")
    credential_device_type: Literal["single_device", "multi_device"] | None = Field(
        default=None, description="WebAuthn: whether the credential may be synced."
    )
    credential_backed_up: bool | None = Field(
        default=None, description="WebAuthn: whether the credential is synced now."
    )


class RecoveryCodeOut(BaseModel):
    recovery_code: str


class BlockedFor(BaseModel):
    identifier: str
    ip: str


class UserBlocksOut(BaseModel):
    blocked_for: list[BlockedFor]


class FactorOut(BaseModel):
    name: str
    enabled: bool
    trial_expired: bool


class FactorUpdate(Strict):
    enabled: bool


class FactorState(BaseModel):
    enabled: bool


class WebauthnFactorSettingsUpdate(Strict):
    """A WebAuthn factor's settings (Auth0's camelCase). A member left out (or null) follows
    configuration, so `{}` returns the factor to it. No relying-party override: the RP ID is
    deployment configuration, and changing it strands every credential."""

    user_verification: WebauthnRequirement | None = Field(
        default=None,
        alias="userVerification",
        description="`required` refuses a key or device that did not verify the user.",
    )
    resident_key: WebauthnRequirement | None = Field(
        default=None,
        alias="residentKey",
        description="Whether new credentials should be discoverable (stored on the key).",
    )


class WebauthnFactorSettingsOut(BaseModel):
    """The settings in effect: the Management API's override, else configuration."""

    user_verification: WebauthnRequirement = Field(alias="userVerification")
    resident_key: WebauthnRequirement = Field(alias="residentKey")


Policy = Literal["all-applications", "confidence-score"]


class LogSearch(BaseModel):
    """`GET /logs` query. `q` takes AND-ed clauses: `type:gd_auth_succeed`,
    `type:(gd_a OR gd_b)`, `user_id:"auth0|..."`, `client_id:...`, `ip:"::1"`,
    `date:[2026-01-01 TO 2026-01-31T12:00]` (UTC, `*` for an open end)."""

    q: str | None = Field(default=None, max_length=1000, pattern=LOG_QUERY)
    page: int = Field(default=0, ge=0, le=10_000)
    per_page: int = Field(default=50, ge=1, le=100)
    include_totals: bool = False
    sort: str = Field(default="date:-1", pattern="^date:-?1$")


class LogOut(BaseModel):
    """An Auth0 log event; further members may appear (Auth0 adds some per event type)."""

    model_config = ConfigDict(extra="allow")

    log_id: str
    date: str
    type: str
    description: str | None = None
    client_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    details: dict[str, Any] | None = None


class LogPage(BaseModel):
    logs: list[LogOut]
    start: int
    limit: int
    length: int
    total: int
