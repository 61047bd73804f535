"""What a push authenticator keeps: the sealed secret (TOTP seed and push address) and the
public facts in `params` (device key, thumbprint, name, provider, `unreachable`)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

from twofold.channels.push import PushAddress, PushProvider
from twofold.domain import Authenticator, JsonObject
from twofold.errors import TwofoldError
from twofold.factors.otp import TotpParams
from twofold.factors.push.device import DeviceKey, parse_device_key
from twofold.types import AuthenticatorStatus, FactorType

PUSH_CHANNEL = "auth0"
"""Auth0's `oob_channel` for Guardian push; Twofold's open protocol keeps the name."""
ID_KIND = "push"
"""Authenticator ids are `push|dev_…`, as Auth0's."""


def is_push(item: Authenticator) -> bool:
    return item.type == FactorType.OOB and item.oob_channel == PUSH_CHANNEL


def is_active_push(item: Authenticator) -> bool:
    return is_push(item) and item.status == AuthenticatorStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class DeviceSecret:
    """The sealed part: the TOTP seed (the device's offline codes) and where pushes go."""

    seed: bytes = field(repr=False)
    address: PushAddress | None = None

    def to_bytes(self) -> bytes:
        push = (
            None
            if self.address is None
            else {"provider": self.address.provider.value, "token": self.address.token}
        )
        body = {"v": 1, "seed": base64.b64encode(self.seed).decode(), "push": push}
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> DeviceSecret:
        """Read an unsealed secret; anything malformed is corrupt state (a server error)."""
        try:
            body = json.loads(blob)
            seed = base64.b64decode(body["seed"], validate=True)
            push = body["push"]
            address = (
                None
                if push is None
                else PushAddress(PushProvider(push["provider"]), str(push["token"]))
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise TwofoldError("The push authenticator's sealed state is invalid.") from exc
        return cls(seed=seed, address=address)


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """The public facts of an enrolled device, as stored in `params`."""

    key: DeviceKey
    identifier: str
    provider: PushProvider
    totp: TotpParams
    unreachable: bool = False

    def to_json(self) -> JsonObject:
        return {
            **self.totp.to_json(),
            "public_key": dict(self.key.jwk),
            "thumbprint": self.key.thumbprint,
            "identifier": self.identifier,
            "provider": self.provider.value,
            "unreachable": self.unreachable,
        }

    @classmethod
    def from_json(cls, params: JsonObject) -> DeviceFacts:
        try:
            key = parse_device_key(params["public_key"])
            provider = PushProvider(params["provider"])
            identifier = str(params["identifier"])
        except (KeyError, ValueError, TwofoldError) as exc:
            raise TwofoldError("The push authenticator's device facts are invalid.") from exc
        return cls(
            key=key,
            identifier=identifier,
            provider=provider,
            totp=TotpParams.from_json(params),
            unreachable=bool(params.get("unreachable", False)),
        )
