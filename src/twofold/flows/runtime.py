"""What every flow needs, wired once by the composition root (app.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twofold.channels import Channels
from twofold.channels.push import PushProvider, PushSender
from twofold.config import Settings
from twofold.factors.base import Factor
from twofold.factors.oob import OobCodes
from twofold.factors.recovery import RecoveryCodeFactor
from twofold.factors.webauthn.ceremony import RelyingParty
from twofold.policy.geo import GeoLookup
from twofold.policy.risk import DenyList
from twofold.security.envelope import KeyRing
from twofold.security.jose import TokenSigner, TokenVerifier
from twofold.security.limits import AttemptLimiter
from twofold.security.passwords import PasswordHasher
from twofold.store.broker import PushBroker
from twofold.store.uow import Store
from twofold.types import Clock, FactorType


@dataclass(slots=True)
class Signing:
    """The current signer and verifier; replaced together when keys change."""

    signer: TokenSigner
    verifier: TokenVerifier


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    clock: Clock
    store: Store
    keyring: KeyRing
    passwords: PasswordHasher
    limiter: AttemptLimiter
    signing: Signing
    factors: Mapping[FactorType, Factor]
    recovery: RecoveryCodeFactor
    oob: OobCodes
    """Out-of-band codes (SMS, voice, email): issued, hashed and checked."""
    channels: Channels
    """How those codes leave: the SMS, voice and email adapters and their templates."""
    relying_party: RelyingParty
    """WebAuthn: the RP ID credentials are bound to and the origins allowed to use them."""
    geo: GeoLookup
    """Offline IP geolocation (policy/geo.py), opened once: geofencing and impossible travel."""
    deny_list: DenyList
    """The operator's untrusted IPs and CIDRs, parsed once from the policy settings."""
    push_broker: PushBroker
    """Who waits for a push or its answer: in-process, or Redis pub/sub across nodes."""
    push_senders: Mapping[PushProvider, PushSender]
    """FCM, APNs and Web Push senders that are configured (the stream channel is the broker)."""


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Facts about the caller that flows record (never trusted for authorisation)."""

    ip: str | None = None
    user_agent: str | None = None
