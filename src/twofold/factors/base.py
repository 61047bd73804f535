"""The factor contract: the values a factor takes and returns, and the `Factor` protocol.

Factors are stateless strategies (like py_webauthn): stored state goes in as arguments, new
state comes out, and the flow persists it. A factor never touches the store or the key ring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from twofold.config import OtpSettings
from twofold.domain import JsonObject
from twofold.factors.pages import FactorPage
from twofold.types import Amr, FactorType


@dataclass(frozen=True, slots=True)
class FactorContext:
    """Facts about the call that every factor may need; built by the flow per request."""

    now: dt.datetime
    """Aware UTC, from the injected clock."""
    tenant_name: str
    """The issuer shown in authenticator apps."""
    account_name: str
    """The user's email: the account part of an otpauth label."""
    otp: OtpSettings
    """Parameters for new TOTP enrolments and the accepted clock drift."""


@dataclass(frozen=True, slots=True)
class FactorState:
    """One authenticator's state as the factor sees it (decrypted; the store keeps it sealed)."""

    secret: bytes
    """Factor-owned secret bytes, e.g. the raw TOTP key; empty for hash-only factors."""
    params: JsonObject = field(default_factory=dict)
    """Non-secret parameters, e.g. `{"algorithm": "SHA1", "digits": 6, "period": 30}`."""
    last_step: int = -1
    """TOTP: the last accepted time step (-1 = never used)."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the user must see to finish enrolling, and the pending state to seal and store."""

    display: Mapping[str, str]
    """Shown once, e.g. `secret` (base32) and `barcode_uri` for otp."""
    state: FactorState


@dataclass(frozen=True, slots=True)
class Challenge:
    """What the client is told after `/mfa/challenge` (`challenge_type` is Auth0's name)."""

    challenge_type: str
    data: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verification:
    """A successful verification; failures are raised as typed errors, never returned."""

    amr: tuple[Amr, ...]
    """RFC 8176 values this verification proves."""
    last_step: int | None = None
    """TOTP: the accepted time step. The caller must persist it with a conditional update
    (`WHERE last_step < :step`): that, not this object, makes a code single use across nodes."""
    state: FactorState | None = None
    """New state when the factor changed it; None when nothing changed."""


class Factor(Protocol):
    """One kind of authenticator, registered under its Auth0 type name."""

    @property
    def type(self) -> FactorType: ...

    @property
    def page(self) -> FactorPage:
        """How the hosted pages present it (label, template names, input hints)."""
        ...

    async def begin_enrolment(self, ctx: FactorContext) -> Enrolment:
        """Create a pending authenticator: what to show the user and the state to keep."""
        ...

    def enrolment_display(self, ctx: FactorContext, state: FactorState) -> Mapping[str, str]:
        """What `begin_enrolment` showed, again, for a pending state: a page that rejected a
        first code shows the same secret rather than starting over."""
        ...

    async def finish_enrolment(
        self, ctx: FactorContext, state: FactorState, proof: str
    ) -> Verification:
        """Check the user's proof of possession (for otp: the first valid code activates)."""
        ...

    async def challenge(self, ctx: FactorContext, state: FactorState) -> Challenge:
        """Start an authentication; may send something (a code, a push)."""
        ...

    async def verify(self, ctx: FactorContext, state: FactorState, response: str) -> Verification:
        """Check a response; raise the factor's typed error when it is wrong."""
        ...
