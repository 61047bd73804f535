"""`/passkey/challenge` request and response (Auth0's Passkey API)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PasskeyChallengeRequest(BaseModel):
    client_id: str | None = Field(default=None, max_length=200, description="Or HTTP Basic.")
    client_secret: str | None = Field(
        default=None, max_length=200, description="Confidential clients; or HTTP Basic."
    )


class PasskeyChallengeResponse(BaseModel):
    authn_params_public_key: dict[str, Any] = Field(
        description="Request options for `navigator.credentials.get()` in the WebAuthn JSON "
        "form, with no `allowCredentials`: the browser offers the user's passkeys."
    )
    auth_session: str = Field(
        description="Send it back with the browser's response to `/oauth/token` "
        "(`grant_type=urn:okta:params:oauth:grant-type:webauthn`, no `mfa_token`)."
    )
