"""The example's settings: explicit for tests, or read from the environment by `__main__`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "http://localhost:5000"
DEFAULT_MAX_AGE = 300


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


@dataclass(frozen=True, slots=True)
class AppSettings:
    issuer: str
    """Twofold's issuer, exactly as in its tokens' `iss` (with the trailing slash)."""
    client_id: str
    client_secret: str
    base_url: str = DEFAULT_BASE_URL
    """Where this app is reached; `{base_url}/callback` must be a registered callback."""
    step_up_max_age: int = DEFAULT_MAX_AGE
    """Seconds an MFA stays good enough for the sensitive page and API."""
    api_audience: str | None = None
    """The audience of the access tokens `/api/sensitive` accepts. None: Twofold's userinfo
    audience, which every access token from an `openid` sign-in carries, so the example works
    against a fresh server; a real API names its own (and the server lists it in
    TWOFOLD_AUDIENCES)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "issuer", self.issuer.rstrip("/") + "/")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        for name in ("issuer", "base_url"):
            parts = urlsplit(getattr(self, name))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(f"{name} must be an absolute http(s) URL")
        if self.step_up_max_age < 0:
            raise SettingsError("step_up_max_age must be 0 or more seconds")

    @property
    def audience(self) -> str:
        return self.api_audience or self.issuer + "userinfo"

    @property
    def redirect_uri(self) -> str:
        return self.base_url + "/callback"

    @property
    def signed_out_url(self) -> str:
        """Where Twofold's logout sends the browser back (an allowed logout URL)."""
        return self.base_url + "/"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AppSettings:
        """TWOFOLD_ISSUER, CLIENT_ID, CLIENT_SECRET (required); APP_BASE_URL,
        STEP_UP_MAX_AGE, API_AUDIENCE (optional)."""
        missing = [
            name
            for name in ("TWOFOLD_ISSUER", "CLIENT_ID", "CLIENT_SECRET")
            if not environ.get(name)
        ]
        if missing:
            raise SettingsError(f"set {', '.join(missing)} (see examples/stepup_app/README.md)")
        max_age = environ.get("STEP_UP_MAX_AGE", str(DEFAULT_MAX_AGE))
        if not max_age.isdigit():
            raise SettingsError("STEP_UP_MAX_AGE must be a whole number of seconds")
        return cls(
            issuer=environ["TWOFOLD_ISSUER"],
            client_id=environ["CLIENT_ID"],
            client_secret=environ["CLIENT_SECRET"],
            base_url=environ.get("APP_BASE_URL") or DEFAULT_BASE_URL,
            step_up_max_age=int(max_age),
            api_audience=environ.get("API_AUDIENCE") or None,
        )
