"""Client metadata (RFC 7591 section 2, with Auth0's names): application types, the grant types
each may use and the URLs it may redirect to, checked before anything is stored (flows)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from twofold.errors import InvalidRequestError
from twofold.flows.grants import GrantType

APP_TYPES = ("regular_web", "spa", "native", "non_interactive")
CONFIDENTIAL_TYPES = ("regular_web", "non_interactive")
"""Applications that keep a secret (a server). spa and native ship their code to users, so
they cannot; they are public clients (RFC 6749 section 2.1) and must use PKCE."""

USER_GRANTS = (
    GrantType.PASSWORD,
    GrantType.PASSWORD_REALM,
    GrantType.MFA_OTP,
    GrantType.MFA_OOB,
    GrantType.MFA_RECOVERY_CODE,
    GrantType.WEBAUTHN,
)
"""The Auth0 MFA API's grants: a password login, then a second factor (WebAuthn's grant also
signs in with a passkey, which the tenant must switch on as well)."""
BROWSER_GRANTS = (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
DEFAULT_GRANTS: dict[str, tuple[GrantType, ...]] = {
    "regular_web": (*BROWSER_GRANTS, *USER_GRANTS),
    "spa": BROWSER_GRANTS,
    "native": BROWSER_GRANTS,
    "non_interactive": (GrantType.CLIENT_CREDENTIALS,),
}
"""What an application may use when its creator names no grant types (Auth0's defaults)."""
KNOWN_GRANTS = tuple(grant.value for grant in GrantType)
SECRET_GRANTS = frozenset(
    {GrantType.CLIENT_CREDENTIALS, GrantType.PASSWORD, GrantType.PASSWORD_REALM}
)
"""Grants a public client may not have: client_credentials proves nothing without a secret,
and the password grants would have code anyone can read collect users' passwords."""

MAX_NAME = 200
MAX_URLS = 100
MAX_URL_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""The only hosts an `http:` URL may name: traffic to them never leaves the machine."""
UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
"""Schemes a browser would run or read locally instead of handing to an app."""
URL_TEXT = re.compile(r"[\x21-\x7e]+")
NAME_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def is_public(app_type: str) -> bool:
    return app_type not in CONFIDENTIAL_TYPES


def check_name(name: str) -> str:
    """1 to 200 characters once trimmed; no control characters or lone surrogates, which no
    store keeps and no display needs."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidRequestError(f"name must be 1 to {MAX_NAME} characters.")
    if NAME_FORBIDDEN.search(name):
        raise InvalidRequestError("name must not contain control characters.")
    return name


def check_app_type(app_type: str) -> str:
    if app_type not in APP_TYPES:
        raise InvalidRequestError(f"app_type must be one of {', '.join(APP_TYPES)}.")
    return app_type


def check_grants(grant_types: Sequence[str] | None, *, app_type: str) -> tuple[str, ...]:
    """Known grant types, once each, in the order given; Auth0's defaults when None."""
    if grant_types is None:
        return tuple(grant.value for grant in DEFAULT_GRANTS[app_type])
    for index, grant in enumerate(grant_types):
        if grant not in KNOWN_GRANTS:
            raise InvalidRequestError(
                f"grant_types[{index}] is not a grant type; known: {', '.join(KNOWN_GRANTS)}."
            )
        if is_public(app_type) and grant in SECRET_GRANTS:
            raise InvalidRequestError(
                f"A {app_type} application is public (it has no secret): "
                f"it cannot use the {grant} grant."
            )
    return tuple(dict.fromkeys(grant_types))


def check_urls(urls: Sequence[str], *, app_type: str, field: str) -> tuple[str, ...]:
    """Redirect targets (`callbacks`, `allowed_logout_urls`), once each, in the order given.

    They are matched exactly (OAuth 2.0 Security BCP section 4.1.3), so wildcards are refused
    rather than stored to never match, and so are fragments (RFC 6749 section 3.1.2).
    """
    if len(urls) > MAX_URLS:
        raise InvalidRequestError(f"{field} must hold at most {MAX_URLS} URLs.")
    for index, url in enumerate(urls):
        check_url(url, native=app_type == "native", where=f"{field}[{index}]")
    return tuple(dict.fromkeys(urls))


def check_url(url: str, *, native: bool, where: str) -> None:
    """An absolute https URL (http for loopback only), or for a native app its own scheme
    (RFC 8252 section 7.1, e.g. `com.example.app:/callback`). Errors name the position, never
    echo the value."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRequestError(f"{where} must be at most {MAX_URL_LENGTH} characters.")
    if not URL_TEXT.fullmatch(url):
        raise InvalidRequestError(
            f"{where} must be printable ASCII without spaces (percent-encode the rest)."
        )
    if "#" in url:
        raise InvalidRequestError(f"{where} must not have a fragment (#).")
    if "*" in url:
        raise InvalidRequestError(f"{where} must not hold a wildcard: URLs are matched exactly.")
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise InvalidRequestError(f"{where} is not a well-formed URL.") from exc
    if parts.scheme in ("http", "https"):
        _check_web_url(parts, where=where)
    elif not native:
        raise InvalidRequestError(
            f"{where} must be an absolute https URL (http only for localhost, 127.0.0.1 or "
            "[::1]; custom schemes only for native applications)."
        )
    elif parts.scheme in UNSAFE_SCHEMES or not parts.scheme or not (parts.netloc or parts.path):
        raise InvalidRequestError(
            f"{where} must be an https URL or a custom scheme URL such as "
            "com.example.app:/callback."
        )


def _check_web_url(parts: SplitResult, *, where: str) -> None:
    """A host and no credentials; plain http only where traffic never leaves the machine."""
    if not parts.hostname or parts.username is not None or "@" in parts.netloc:
        raise InvalidRequestError(f"{where} must name a host and no user or password.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise InvalidRequestError(
            f"{where} must use https (http only for localhost, 127.0.0.1 or [::1])."
        )
