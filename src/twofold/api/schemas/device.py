"""`/api/device` enrolment and profile bodies (docs/push-protocol.md), for the OpenAPI
document; the routes read bodies by hand (api/params.py) and the flows validate them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class PushAddressIn(BaseModel):
    provider: Literal["stream", "fcm", "apns", "webpush"] = Field(
        description="`stream` always; the others once the operator configured them."
    )
    token: str = Field(
        default="",
        max_length=4096,
        description="The platform's push token (none for `stream`); stored sealed.",
    )


class DeviceEnrollRequest(BaseModel):
    identifier: str = Field(max_length=200, description="A stable id for this installation.")
    name: str = Field(max_length=100, description="Shown in the user's authenticator list.")
    public_key: dict[str, Any] = Field(
        description="The device's public EC P-256 JWK (`kty`, `crv`, `x`, `y`); ES256 only."
    )
    push: PushAddressIn


class DeviceUser(BaseModel):
    id: str
    email: str


class DeviceTotp(BaseModel):
    secret: str = Field(description="Base32, for offline codes (RFC 6238).")
    algorithm: str
    digits: int
    period: int


class DeviceEnrollResponse(BaseModel):
    device_id: str = Field(description="`push|dev_…`: the `iss` and `sub` of device JWTs.")
    issuer: str
    user: DeviceUser
    totp: DeviceTotp


class DeviceUpdateRequest(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    push: PushAddressIn | None = None


class MaskedUser(BaseModel):
    email: str | None = Field(description="Masked: `a•••@example.com`.")


class DeviceProfile(BaseModel):
    device_id: str
    name: str | None
    issuer: str
    user: MaskedUser
    provider: str
    unreachable: bool = Field(description="A provider refused the push token: send a new one.")
