"""Settings, read once from `TWOFOLD_*` variables and passed to `create_app(settings)`.

Nested areas use `__` in variable names, e.g. `TWOFOLD_LIMITS__OTP_BURST=5`.
Nothing reads the environment at import time: call `Settings()` (or `load_settings()`).
"""

from __future__ import annotations

import ipaddress
import uuid
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
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


class SendLimits(BaseModel):
    """How often codes may go out by SMS or voice: every send is charged, delivered or not.

    Every field has a default, so one variable (`TWOFOLD_OOB__SMS__TENANT_PER_HOUR`) can
    change one limit; a bucket is still set whole (`__BURST` and `__REFILL_SECONDS`)."""

    per_user: Bucket = Bucket(burst=10, refill_seconds=3600)
    """One user, whatever the destination (one account pumping many premium numbers)."""
    per_destination: Bucket = Bucket(burst=10, refill_seconds=3600)
    """One phone number or address, whichever user asks (many accounts bombing one victim)."""
    tenant_per_hour: int = Field(default=1000, ge=1, le=1_000_000)
    """The whole tenant: this many at once, refilling at this many per hour."""

    @property
    def tenant(self) -> Bucket:
        return Bucket(burst=self.tenant_per_hour, refill_seconds=3600 / self.tenant_per_hour)


class EmailSendLimits(SendLimits):
    """Email is cheap to send and a common bombing tool: a larger burst, a faster refill."""

    per_user: Bucket = Bucket(burst=20, refill_seconds=60)
    per_destination: Bucket = Bucket(burst=20, refill_seconds=60)
    tenant_per_hour: int = Field(default=10000, ge=1, le=1_000_000)


def _country_list(value: list[str]) -> list[str]:
    codes = [code.strip().upper() for code in value]
    bad = [code for code in codes if len(code) != 2 or not (code.isascii() and code.isalpha())]
    if bad:
        raise ValueError(f"countries are ISO 3166-1 alpha-2 codes such as US or FR, not {bad}")
    return codes


class OobSettings(BaseModel):
    """Out-of-band codes (SMS, voice call, email) and the abuse limits on sending them.

    Per-user defaults are Auth0's documented ones (docs/decisions/007)."""

    code_ttl: int = Field(default=300, ge=30, le=3600)
    """Seconds a sent code stays valid."""
    max_failures: int = Field(default=5, ge=1, le=10)
    """Wrong answers that kill a code (a resend issues a fresh one)."""
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    """Region assumed for numbers typed without `+country`; None = the `+` is required."""
    sms: SendLimits = SendLimits()
    voice: SendLimits = SendLimits()
    email: EmailSendLimits = EmailSendLimits()
    countries_allowed: list[str] = Field(default_factory=list)
    """SMS and voice only to these regions (ISO 3166-1 alpha-2); empty = every region."""
    countries_denied: list[str] = Field(default_factory=list)
    """Never SMS or call these regions; wins over `countries_allowed`."""

    @field_validator("countries_allowed", "countries_denied")
    @classmethod
    def _iso_regions(cls, value: list[str]) -> list[str]:
        return _country_list(value)


class PushSettings(BaseModel):
    """Push approvals (docs/decisions/010): number matching and the limits against push
    fatigue. Defaults are Auth0's documented ones where it has them (5 pushes a minute,
    12 polls a minute per transaction)."""

    number_matching: bool = True
    """The sign-in shows a two-digit number the user picks on the device among three."""
    transaction_ttl: int = Field(default=300, ge=30, le=3600)
    """Seconds a push waits for its answer."""
    per_minute: int = Field(default=5, ge=1, le=60)
    """Pushes per user per minute."""
    per_hour: int = Field(default=30, ge=1, le=3600)
    """Pushes per user per hour."""
    polls_per_minute: int = Field(default=12, ge=1, le=600)
    """`mfa-oob` polls per transaction per minute before `slow_down`."""
    rejections_before_pause: int = Field(default=3, ge=1, le=100)
    """Rejections within `rejection_window` that pause pushes for the user."""
    rejection_window: int = Field(default=900, ge=60, le=86400)
    pause_seconds: int = Field(default=900, ge=60, le=86400)
    """How long that pause lasts (a fraud report pauses until an admin clears it)."""
    stream_keepalive: float = Field(default=15.0, gt=0, le=300)
    """Seconds between SSE comments on an idle device stream (keeps proxies from closing it)."""


WebauthnAlgorithm = Literal["ES256", "EdDSA", "RS256"]
WebauthnRequirement = Literal["required", "preferred", "discouraged"]


class WebauthnFactorSettings(BaseModel):
    """What one WebAuthn factor type asks of the authenticator (WebAuthn section 5.4.4)."""

    user_verification: WebauthnRequirement
    """"required" refuses a response without the UV flag (PIN or biometrics)."""
    resident_key: WebauthnRequirement
    """Whether the credential should be discoverable (stored on the authenticator)."""


def _all_webauthn_algorithms() -> list[WebauthnAlgorithm]:
    return ["ES256", "EdDSA", "RS256"]


def _webauthn_origin(value: str) -> str:
    """`scheme://host[:port]`, as browsers write `clientDataJSON.origin` (no path, no slash)."""
    origin = value.strip().rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path:
        raise ValueError(f"a WebAuthn origin is scheme://host[:port], not {value!r}")
    if parts.scheme == "http" and parts.hostname != "localhost":
        # Browsers offer WebAuthn only in a secure context: https, or http://localhost.
        raise ValueError(f"a WebAuthn origin must be https (or http://localhost), not {value!r}")
    return origin


def _aaguid(value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError(
            f"an AAGUID is a UUID such as cb69481e-8ff7-4039-93ec-0a2729a154a8, not {value!r}"
        ) from None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class WebauthnSettings(BaseModel):
    """Security keys, device biometrics and passkeys (docs/decisions/008, docs/factors.md).

    The RP ID is fixed once credentials exist: every credential is bound to it, so changing
    it strands them all."""

    rp_id: str | None = None
    """Default: the issuer's host (`localhost` when the issuer host is an IP address)."""
    rp_name: str | None = None
    """Default: `tenant_name`."""
    origins: list[str] = Field(default_factory=list)
    """Origins whose pages may run the ceremonies. Default: the issuer's origin."""
    roaming: WebauthnFactorSettings = WebauthnFactorSettings(
        user_verification="discouraged", resident_key="discouraged"
    )
    """Security keys (`webauthn-roaming`): a touch suffices, no credential stored on the key."""
    platform: WebauthnFactorSettings = WebauthnFactorSettings(
        user_verification="required", resident_key="preferred"
    )
    """Device biometrics (`webauthn-platform`): fingerprint, face or screen lock every time."""
    algorithms: list[WebauthnAlgorithm] = Field(default_factory=_all_webauthn_algorithms)
    """Accepted credential algorithms, offered in this order."""
    timeout_ms: int = Field(default=60000, ge=10000, le=600000)
    attestation: Literal["none", "direct"] = "none"
    """"direct" asks authenticators for their attestation statement (their make and model)."""
    trusted_roots: list[Path] = Field(default_factory=list)
    """PEM certificates; with "direct", a statement that does not chain to one is refused."""
    aaguid_allow: list[str] = Field(default_factory=list)
    """Only these authenticator models (AAGUIDs); empty = any."""
    aaguid_deny: list[str] = Field(default_factory=list)
    """Never these models; wins over `aaguid_allow`."""
    passkeys: bool = False
    """Passwordless sign-in with a discoverable credential (both factors at once)."""
    challenges: Bucket = Bucket(burst=15, refill_seconds=4)
    """Challenges generated per user: 15, then 15 a minute (Auth0's limit)."""
    failures: Bucket = Bucket(burst=15, refill_seconds=4)
    """Failed verifications per user: 15, then 15 a minute (Auth0's limit)."""
    passkey_challenges_per_ip: Bucket = Bucket(burst=60, refill_seconds=1)
    """Passkey challenges handed to one client IP (no user is known yet): 60, then 60 a
    minute. Per user 15 a minute is Auth0's; an office behind one NAT needs more per IP."""

    @field_validator("rp_id")
    @classmethod
    def _host_only(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host = value.strip().lower()
        if not host or any(char in host for char in "/:@ ") or _is_ip(host):
            raise ValueError(f"the RP ID is a domain name such as example.com, not {value!r}")
        return host

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_webauthn_origin(origin) for origin in value]

    @field_validator("algorithms")
    @classmethod
    def _some_algorithms(cls, value: list[WebauthnAlgorithm]) -> list[WebauthnAlgorithm]:
        if not value:
            raise ValueError("at least one WebAuthn algorithm is needed")
        return list(dict.fromkeys(value))

    @field_validator("aaguid_allow", "aaguid_deny")
    @classmethod
    def _aaguids(cls, value: list[str]) -> list[str]:
        return [_aaguid(item) for item in value]

    @field_validator("trusted_roots")
    @classmethod
    def _readable_pem(cls, value: list[Path]) -> list[Path]:
        for path in value:
            if not path.is_file() or b"-----BEGIN CERTIFICATE-----" not in path.read_bytes():
                raise ValueError(f"{path} is not a readable PEM certificate file")
        return value

    def resolved_rp_id(self, issuer: str) -> str:
        """The configured RP ID, or the issuer's host (`localhost` for an IP address:
        browsers refuse an IP address as RP ID)."""
        if self.rp_id is not None:
            return self.rp_id
        host = (urlsplit(issuer).hostname or "localhost").lower()
        return "localhost" if _is_ip(host) else host

    def resolved_origins(self, issuer: str) -> list[str]:
        """The configured origins, or the issuer's; for an IP issuer also its `localhost`
        twin, the only one a browser can use with the `localhost` RP ID."""
        if self.origins:
            return list(self.origins)
        parts = urlsplit(issuer)
        origin = f"{parts.scheme}://{parts.netloc}"
        if not _is_ip(parts.hostname or ""):
            return [origin]
        port = f":{parts.port}" if parts.port else ""
        return [origin, f"{parts.scheme}://localhost{port}"]


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


def _provider_url(value: str) -> str:
    """Credentials and codes travel in these requests: https, or plain http to this machine."""
    parts = urlsplit(value)
    if not value or (parts.scheme == "https" and parts.hostname):
        return value
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return value
    raise ValueError("must be an https URL (plain http only to 127.0.0.1 or localhost)")


class TwilioSettings(BaseModel):
    """Twilio's REST API, shared by SMS and voice: one account, one sending number."""

    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    from_number: str = ""
    """The sending number in E.164 (`+15005550006`)."""
    base_url: str = "https://api.twilio.com"
    timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("base_url")
    @classmethod
    def _secure(cls, value: str) -> str:
        return _provider_url(value)


class WebhookSettings(BaseModel):
    """Any SMS gateway that accepts a signed JSON POST (docs/channels.md)."""

    url: str = ""
    secret: SecretStr = SecretStr("")
    """Key of the HMAC-SHA256 signature; at least 32 characters."""
    timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _secure(cls, value: str) -> str:
        return _provider_url(value)

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if 0 < len(value.get_secret_value()) < 32:
            raise ValueError("the webhook secret must have at least 32 characters")
        return value


SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}


class SmtpSettings(BaseModel):
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    """None = the usual port of `security`: 465 (tls), 587 (starttls), 25 (none)."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)
    ca_file: Path | None = None
    """PEM bundle to trust instead of the system's (a private relay's own CA)."""

    @model_validator(mode="after")
    def _credentials_only_over_tls(self) -> SmtpSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP username and password go together")
        if self.username is not None and self.security == "none":
            raise ValueError("SMTP credentials are sent only over tls or starttls")
        return self

    @property
    def resolved_port(self) -> int:
        return self.port or SMTP_PORTS[self.security]


class SmsChannelSettings(BaseModel):
    provider: Literal["console", "twilio", "webhook"] = "console"


class VoiceChannelSettings(BaseModel):
    provider: Literal["console", "twilio"] = "console"


class EmailChannelSettings(BaseModel):
    provider: Literal["console", "smtp"] = "console"
    from_address: str = ""
    """`From:` of code mails, e.g. `Example <no-reply@example.com>` (required for smtp)."""


def _default_webpush_hosts() -> list[str]:
    return [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.notify.windows.com",
        "web.push.apple.com",
    ]


class FcmSettings(BaseModel):
    """Firebase Cloud Messaging HTTP v1: a service account of the Firebase project."""

    service_account_file: Path | None = None
    """The service account's JSON key file (`client_email`, `private_key`, `project_id`...)."""
    base_url: str = "https://fcm.googleapis.com"
    token_uri: str | None = None
    """Where the OAuth token comes from; None = the file's `token_uri`."""
    timeout: float = Field(default=10.0, gt=0, le=60)

    @field_validator("base_url", "token_uri")
    @classmethod
    def _secure(cls, value: str | None) -> str | None:
        return None if value is None else _provider_url(value)


class ApnsSettings(BaseModel):
    """Apple Push Notification service with token-based (.p8 key) authentication."""

    team_id: str = ""
    key_id: str = ""
    key_file: Path | None = None
    """The `.p8` signing key Apple issued (PEM, P-256)."""
    topic: str = ""
    """The app's bundle id (`apns-topic`)."""
    base_url: str = "https://api.push.apple.com"
    """`https://api.sandbox.push.apple.com` for development builds of the app."""
    ca_file: Path | None = None
    """PEM bundle to trust instead of the system's (tests, a TLS-inspecting proxy)."""
    timeout: float = Field(default=10.0, gt=0, le=60)

    @field_validator("base_url")
    @classmethod
    def _secure(cls, value: str) -> str:
        return _provider_url(value)


class WebPushSettings(BaseModel):
    """Web Push (RFC 8030) with VAPID (RFC 8292) to browsers' push services."""

    vapid_private_key_file: Path | None = None
    """The application server's P-256 key (PEM); its public half goes to the browsers."""
    subject: str = ""
    """A contact for the push service's operator: `mailto:` or an https URL (RFC 8292 2.1)."""
    allowed_hosts: list[str] = Field(default_factory=_default_webpush_hosts)
    """Push-service hosts a subscription may point at (`*.` matches subdomains): the
    endpoint comes from a browser, so without this list it could aim our POSTs anywhere."""
    allow_insecure: bool = False
    """Also accept http endpoints and loopback hosts (tests only)."""
    timeout: float = Field(default=10.0, gt=0, le=60)

    @field_validator("subject")
    @classmethod
    def _contact(cls, value: str) -> str:
        if value and not value.startswith(("mailto:", "https://")):
            raise ValueError("the VAPID subject is a mailto: or https:// URL")
        return value


class PushProviderSettings(BaseModel):
    """The third-party push services (docs/channels.md, Push); each is off until configured."""

    fcm: FcmSettings = FcmSettings()
    apns: ApnsSettings = ApnsSettings()
    webpush: WebPushSettings = WebPushSettings()


class ChannelSettings(BaseModel):
    """How codes leave Twofold (docs/channels.md). Console providers write to an outbox file."""

    sms: SmsChannelSettings = SmsChannelSettings()
    voice: VoiceChannelSettings = VoiceChannelSettings()
    email: EmailChannelSettings = EmailChannelSettings()
    twilio: TwilioSettings = TwilioSettings()
    webhook: WebhookSettings = WebhookSettings()
    smtp: SmtpSettings = SmtpSettings()
    push: PushProviderSettings = PushProviderSettings()
    retry_attempts: int = Field(default=3, ge=1, le=5)
    retry_backoff: float = Field(default=0.2, ge=0, le=2)
    """Seconds before the second attempt, doubling after (each wait at most 2 s)."""
    template_dir: Path | None = None
    """Operator templates (`<locale>/sms.txt`...) that override the built-in ones."""
    allow_outbox: bool = False
    """Allow console providers (codes in a file) even when the issuer is https."""

    @model_validator(mode="after")
    def _providers_complete(self) -> ChannelSettings:
        chosen = {self.sms.provider, self.voice.provider, self.email.provider}
        required = {
            "twilio.account_sid": ("twilio", self.twilio.account_sid),
            "twilio.auth_token": ("twilio", self.twilio.auth_token.get_secret_value()),
            "twilio.from_number": ("twilio", self.twilio.from_number),
            "webhook.url": ("webhook", self.webhook.url),
            "webhook.secret": ("webhook", self.webhook.secret.get_secret_value()),
            "smtp.host": ("smtp", self.smtp.host),
            "email.from_address": ("smtp", self.email.from_address),
        }
        missing = [
            name for name, (provider, value) in required.items() if provider in chosen and not value
        ]
        if missing:
            raise ValueError(f"the chosen providers need {', '.join(missing)}")
        return self


def _ip_network(value: str) -> str:
    """An address (a /32 or /128) or a CIDR, normalised; host bits set are a typo, refused."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=True))
    except ValueError:
        raise ValueError(
            f"a deny-list entry is an IP address or a CIDR such as 203.0.113.0/24 or "
            f"2001:db8::/32, not {value!r}"
        ) from None


class IpVelocity(BaseModel):
    """Failed logins from one IP, across every account, that make the IP untrusted."""

    failures: int = Field(default=20, ge=1, le=100_000)
    """This many failures within the window mark the IP (UntrustedIP: `found_on_deny_list`)."""
    window_seconds: int = Field(default=600, ge=10, le=86_400)


class PolicySettings(BaseModel):
    """The policy engine's facts and thresholds (docs/decisions/009, docs/policies.md)."""

    mfa: Literal["never", "adaptive", "always"] = "always"
    """The tenant policy until one is set through the Management API (which then wins)."""

    geoip_database: Path | None = None
    """A GeoLite2/GeoIP2 City or DB-IP City Lite `.mmdb`; None = the packaged 2018 snapshot."""
    time_zone: str = "UTC"
    """IANA zone in which rules see `request.time` (hour, weekday, date; DST included)."""
    impossible_travel_kmh: float = Field(default=900, gt=0, le=100_000)
    """Speed between two logins' locations above which travel is impossible."""
    new_device_days: int = Field(default=30, ge=1, le=3650)
    """A device not seen for this user within this many days is new."""
    ip_deny_list: list[str] = Field(default_factory=list)
    """IP addresses and CIDRs (IPv4 and IPv6) that UntrustedIP reports."""
    ip_velocity: IpVelocity = IpVelocity()

    @field_validator("geoip_database")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable .mmdb file")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone such as Europe/Paris, not {value!r}") from None
        return value

    @field_validator("ip_deny_list")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [_ip_network(entry) for entry in value]


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
    oob: OobSettings = OobSettings()
    channels: ChannelSettings = ChannelSettings()
    webauthn: WebauthnSettings = WebauthnSettings()
    policy: PolicySettings = PolicySettings()
    push: PushSettings = PushSettings()

    @field_validator("issuer")
    @classmethod
    def _issuer_ends_with_slash(cls, value: str) -> str:
        # Auth0 issuers end with "/"; audiences are built by appending to it.
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _webauthn_origins_in_rp_id(self) -> Settings:
        # WebAuthn section 5.1.3: a browser refuses an RP ID that is not the page's host or
        # one of its parent domains, so such a setting could never work: fail at start-up.
        # Default origins on an IP address (a development issuer) are exempt: the browser
        # uses their `localhost` twin.
        rp_id = self.webauthn.resolved_rp_id(self.issuer)
        for origin in self.webauthn.resolved_origins(self.issuer):
            host = (urlsplit(origin).hostname or "").lower()
            if not self.webauthn.origins and (not host or _is_ip(host)):
                continue
            if host != rp_id and not host.endswith("." + rp_id):
                raise ValueError(f"the WebAuthn origin {origin} is not within the RP ID {rp_id}")
        return self

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
