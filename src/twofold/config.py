"""Settings, read once from `TWOFOLD_*` variables and passed to `create_app(settings)`.

Nested areas use `__` in variable names, e.g. `TWOFOLD_LIMITS__OTP_BURST=5`.
Nothing reads the environment at import time: call `Settings()` (or `load_settings()`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OtpSettings(BaseModel):
    """TOTP parameters for new enrolments (RFC 6238); existing ones keep theirs."""

    algorithm: Literal["SHA1", "SHA256", "SHA512"] = "SHA1"
    digits: Literal[6, 8] = 6
    period: int = Field(default=30, ge=10, le=120)
    drift_steps: int = Field(default=1, ge=0, le=10)
    """Accepted steps on either side of now, for clock drift."""


MIN_REFILL_SECONDS = 0.001


class Bucket(BaseModel):
    """A token bucket: `burst` attempts, then one more every `refill_seconds` (0 = never)."""

    burst: int = Field(ge=1)
    refill_seconds: float = Field(ge=0)

    @field_validator("refill_seconds")
    @classmethod
    def _resolvable(cls, value: float) -> float:
        # Times are kept to the microsecond; a shorter interval would round to nothing.
        if 0 < value < MIN_REFILL_SECONDS:
            raise ValueError(f"refill_seconds must be 0 (never) or at least {MIN_REFILL_SECONDS}")
        return value


class LimitSettings(BaseModel):
    """Attempt limits; defaults follow Auth0's documented per-user buckets."""

    otp_failures: Bucket = Bucket(burst=10, refill_seconds=360)
    recovery_failures: Bucket = Bucket(burst=10, refill_seconds=360)
    mfa_token_failures: int = Field(default=5, ge=1)
    first_factor_failures: Bucket = Bucket(burst=10, refill_seconds=0)
    """Per (user, IP): blocks until an admin unblocks or the password changes."""
    token_endpoint_per_ip: Bucket = Bucket(burst=300, refill_seconds=0.1)
    """Every `/oauth/token` failure from one IP (guessing across users and tokens)."""


class TokenSettings(BaseModel):
    mfa_token_ttl: int = Field(default=600, ge=30)
    access_token_ttl: int = Field(default=86400, ge=60)
    mfa_api_token_ttl: int = Field(default=600, ge=60)
    id_token_ttl: int = Field(default=36000, ge=60)
    signing_alg: Literal["RS256", "ES256"] = "RS256"


class OidcSettings(BaseModel):
    """OpenID Connect lifetimes (seconds); defaults follow Auth0's."""

    code_ttl: int = Field(default=60, ge=10, le=600)
    """Authorization codes are single use and short lived (RFC 6749 section 4.1.2)."""
    refresh_token_ttl: int = Field(default=2592000, ge=60)
    """Absolute lifetime of a refresh-token family (30 days)."""
    login_ttl: int = Field(default=900, ge=60)
    """How long a sign-in started at `/authorize` may take (the hosted pages' transaction)."""


class SessionSettings(BaseModel):
    """The hosted pages' browser session and Auth0's "remember this browser"."""

    idle_timeout: int = Field(default=259200, ge=60)
    """A session unused this long ends (3 days, Auth0's inactivity timeout)."""
    absolute_timeout: int = Field(default=2592000, ge=60)
    """A session ends this long after it began, used or not (30 days)."""
    cookie_secure: bool | None = None
    """Secure cookies; None = on when the issuer is https (off for plain-http development)."""
    remember_browser: bool = False
    """Offer "remember this browser" after MFA (off by default, as in Auth0)."""
    remember_days: int = Field(default=30, ge=1, le=365)
    remember_idle_days: int = Field(default=7, ge=1, le=365)
    """A remembered browser unused this long is forgotten."""
    mfa_for_account_pages: bool = True
    """My MFA settings asks for MFA first when the user has a factor (changes need proof)."""


class BrandingSettings(BaseModel):
    """What the hosted pages show: the tenant's name, logo and primary colour."""

    name: str | None = None
    """Defaults to `tenant_name`."""
    logo_url: str | None = None
    primary_color: str = Field(default="#635dff", pattern=r"^#[0-9a-fA-F]{6}$")


class PasswordSettings(BaseModel):
    """argon2id cost; the defaults follow RFC 9106's second recommended option (64 MiB)."""

    time_cost: int = Field(default=3, ge=1)
    memory_kib: int = Field(default=65536, ge=8)
    parallelism: int = Field(default=4, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TWOFOLD_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    issuer: str = "http://127.0.0.1:8000/"
    tenant_name: str = "Twofold"
    audiences: list[str] = Field(default_factory=list)
    """Extra API audiences clients may ask tokens for (besides userinfo and the MFA API)."""
    audit_chains: int = Field(default=8, ge=1, le=64)
    """Parallel hash chains, so audit appends do not queue behind one lock."""
    log_level: str = "info"

    otp: OtpSettings = OtpSettings()
    limits: LimitSettings = LimitSettings()
    tokens: TokenSettings = TokenSettings()
    passwords: PasswordSettings = PasswordSettings()
    oidc: OidcSettings = OidcSettings()
    sessions: SessionSettings = SessionSettings()
    branding: BrandingSettings = BrandingSettings()

    @field_validator("issuer")
    @classmethod
    def _issuer_ends_with_slash(cls, value: str) -> str:
        # Auth0 issuers end with "/"; audiences are built by appending to it.
        return value if value.endswith("/") else value + "/"

    @property
    def sqlalchemy_url(self) -> str:
        """The async driver URL: plain `postgresql://` and `sqlite://` URLs get their driver."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'twofold.db').resolve()}"
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url

    @property
    def is_embedded(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def master_key_path(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def mfa_audience(self) -> str:
        return self.issuer + "mfa/"

    @property
    def management_audience(self) -> str:
        return self.issuer + "api/v2/"

    @property
    def userinfo_audience(self) -> str:
        return self.issuer + "userinfo"

    @property
    def secure_cookies(self) -> bool:
        if self.sessions.cookie_secure is not None:
            return self.sessions.cookie_secure
        return self.issuer.startswith("https://")


def load_settings() -> Settings:
    return Settings()
