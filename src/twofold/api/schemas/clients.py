"""`/api/v2/clients` request and response shapes, as Auth0's Management API v2 has them.

Limits here mirror flows/client_metadata.py, which checks the finer rules (https, fragments,
grant types per application type) and answers them as 400 `invalid_request` too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from twofold.api.schemas.management import TEXT_PATTERN, Strict
from twofold.flows.client_metadata import KNOWN_GRANTS, MAX_NAME, MAX_URL_LENGTH, MAX_URLS

AppType = Literal["regular_web", "spa", "native", "non_interactive"]
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
Urls = Annotated[list[Url], Field(max_length=MAX_URLS)]
Grant = Annotated[str, Field(max_length=100, json_schema_extra={"enum": list(KNOWN_GRANTS)})]
"""Documented as an enum, checked in the flow, which names the position of an unknown one."""
Grants = Annotated[list[Grant], Field(max_length=len(KNOWN_GRANTS))]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=TEXT_PATTERN)]

ClientIdPath = Annotated[str, Path(description="The application's `client_id`.")]

CALLBACKS = (
    "Redirect URIs allowed at `/authorize`, matched exactly: https (http only for localhost, "
    "127.0.0.1 or [::1]), no fragment, no wildcard; native apps may use their own scheme "
    "(`com.example.app:/callback`)."
)
LOGOUT_URLS = "Where `/oidc/logout` and `/v2/logout` may send the browser; the same rules."
GRANT_TYPES = (
    "Grants the application may use. Defaults by `app_type`: regular_web `authorization_code`, "
    "`refresh_token`, `password` and the MFA grants; spa and native `authorization_code`, "
    "`refresh_token`; non_interactive `client_credentials`. spa and native (public) cannot "
    "have `client_credentials`, `password` or `password-realm`."
)


class ClientCreate(Strict):
    name: Name
    app_type: AppType = Field(
        default="regular_web", description="spa and native are public: they get no secret."
    )
    callbacks: Urls = Field(default_factory=list, description=CALLBACKS)
    allowed_logout_urls: Urls = Field(default_factory=list, description=LOGOUT_URLS)
    grant_types: Grants | None = Field(default=None, description=GRANT_TYPES)


class ClientUpdate(Strict):
    """Members left out (or `null`) keep their value."""

    name: Name | None = None
    app_type: AppType | None = Field(
        default=None, description="Only between regular_web and non_interactive."
    )
    callbacks: Urls | None = Field(default=None, description=CALLBACKS)
    allowed_logout_urls: Urls | None = Field(default=None, description=LOGOUT_URLS)
    grant_types: Grants | None = Field(default=None, description=GRANT_TYPES)


class ClientSearch(BaseModel):
    """`GET /clients` query: oldest first; `page` is 0-based."""

    page: int = Field(default=0, ge=0, le=10_000)
    per_page: int = Field(default=50, ge=1, le=100)
    include_totals: bool = False


class ClientOut(BaseModel):
    client_id: str
    name: str
    app_type: AppType
    is_first_party: bool
    callbacks: list[str]
    allowed_logout_urls: list[str]
    grant_types: list[str]
    token_endpoint_auth_method: Literal["none", "client_secret_post"] = Field(
        description="`none` for public applications (spa, native); `client_secret_post` for "
        "the others, which may also use HTTP Basic (`client_secret_basic`)."
    )


class ClientWithSecret(ClientOut):
    """Creation and rotation only: the secret is shown once (`null` for a public client)."""

    client_secret: str | None


class ClientPage(BaseModel):
    """`include_totals=true`: the page and where it sits in the whole list."""

    clients: list[ClientOut]
    start: int
    limit: int
    length: int
    total: int
