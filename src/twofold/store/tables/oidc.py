"""OpenID Connect state: authorization requests in flight, codes, grants and refresh tokens.

Codes and refresh tokens are opaque random values stored as SHA-256 (ADR 006); a grant is the
family one authorization code starts, so revoking it revokes every refresh token it issued.
"""

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

authorization_requests = Table(
    "authorization_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "session_id",
        String(64),
        ForeignKey("browser_sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("client_id", String(64), nullable=True),
    Column("params", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Index("ix_authorization_requests_session_id", "session_id"),
    Index("ix_authorization_requests_expires_at", "expires_at"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_reason", String(64), nullable=True),
    Index("ix_grants_user_id", "user_id"),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("grant_id", String(64), ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", String(2000), nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(16), nullable=True),
    Column("nonce", String(500), nullable=True),
    Column("scope", String(2000), nullable=False),
    Column("audience", String(500), nullable=False),
    Column("auth_time", UtcDateTime, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("acr", String(200), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Index("ix_authorization_codes_expires_at", "expires_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", String(64), ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("scope", String(2000), nullable=False),
    Column("audience", String(500), nullable=False),
    Column("auth_time", UtcDateTime, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("acr", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Index("ix_refresh_tokens_grant_id", "grant_id"),
)
