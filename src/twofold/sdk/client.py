"""A small synchronous client: password login, MFA enrolment, challenge and verification.

It speaks the same wire format as Auth0, so it also works against Auth0 tenants.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
MFA_RECOVERY_CODE = "http://auth0.com/oauth/grant-type/mfa-recovery-code"


class TwofoldError(Exception):
    """An OAuth-style error answer: `code` is the `error` member."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description


class MfaRequired(TwofoldError):  # noqa: N818 - named for the protocol's `mfa_required`
    """The first factor passed; continue with `mfa_token`."""

    def __init__(self, status: int, description: str, body: dict[str, Any]) -> None:
        super().__init__(status, "mfa_required", description)
        self.mfa_token: str = body["mfa_token"]
        self.requirements: dict[str, Any] = body.get("mfa_requirements") or {}


class TwofoldClient:
    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=10)
        self.client_id = client_id
        self.client_secret = client_secret

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TwofoldClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def login(
        self, username: str, password: str, *, scope: str | None = None, audience: str | None = None
    ) -> dict[str, Any]:
        """Password grant: tokens, or `MfaRequired` carrying the `mfa_token`."""
        return self._token(
            {
                "grant_type": "password",
                "username": username,
                "password": password,
                "scope": scope,
                "audience": audience,
            }
        )

    def associate_otp(self, bearer: str) -> dict[str, Any]:
        return self._object(
            "POST", "/mfa/associate", bearer=bearer, body={"authenticator_types": ["otp"]}
        )

    def challenge(self, mfa_token: str, *, challenge_type: str = "otp") -> dict[str, Any]:
        return self._object(
            "POST",
            "/mfa/challenge",
            body={**self._credentials(), "mfa_token": mfa_token, "challenge_type": challenge_type},
        )

    def verify_otp(self, mfa_token: str, otp: str) -> dict[str, Any]:
        return self._token({"grant_type": MFA_OTP, "mfa_token": mfa_token, "otp": otp})

    def verify_recovery_code(self, mfa_token: str, recovery_code: str) -> dict[str, Any]:
        """Tokens plus the user's new `recovery_code`, which must be shown to them."""
        return self._token(
            {
                "grant_type": MFA_RECOVERY_CODE,
                "mfa_token": mfa_token,
                "recovery_code": recovery_code,
            }
        )

    def authenticators(self, bearer: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", "/mfa/authenticators", bearer=bearer)
        return result

    def delete_authenticator(self, bearer: str, authenticator_id: str) -> None:
        self._json(
            "DELETE", f"/mfa/authenticators/{quote(authenticator_id, safe='')}", bearer=bearer
        )

    def _credentials(self) -> dict[str, Any]:
        body: dict[str, Any] = {"client_id": self.client_id}
        if self.client_secret:
            body["client_secret"] = self.client_secret
        return body

    def _token(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST", "/oauth/token", body={**self._credentials(), **body}
        )
        return result

    def _object(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        bearer: str | None = None,
    ) -> dict[str, Any]:
        payload = self._json(method, path, body=body, bearer=bearer)
        if not isinstance(payload, dict):
            raise TwofoldError(0, "invalid_response", f"{path} did not answer a JSON object")
        return payload

    def _json(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        bearer: str | None = None,
    ) -> Any:
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        response = self._http.request(method, path, json=body, headers=headers)
        if response.status_code == 204:
            return None
        payload = response.json()
        if response.is_success:
            return payload
        code = str(payload.get("error", "error"))
        description = str(payload.get("error_description", ""))
        if code == "mfa_required":
            raise MfaRequired(response.status_code, description, payload)
        raise TwofoldError(response.status_code, code, description)
