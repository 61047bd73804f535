"""Which hosted page challenges or enrols what: an authenticator's page is its factor's, or for
out-of-band codes its channel's. Out-of-band is one type in the factor registry but three
things to a person (a text, a call, an email), so factors/oob.py declares a page per channel,
and the enrolment pages offer each channel as a choice of its own. WebAuthn's two types are
not registry factors (their ceremonies are flows of their own, ADR 008): their pages come
from factors/webauthn/pages.py, offered while the tenant has the type on."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from twofold.domain import Authenticator
from twofold.errors import InvalidRequestError
from twofold.factors import oob, pages
from twofold.factors.base import Factor
from twofold.factors.oob import OobChannel
from twofold.factors.pages import FactorPage
from twofold.factors.push import pages as push_pages
from twofold.factors.push.state import PUSH_CHANNEL, is_push
from twofold.factors.webauthn import pages as webauthn
from twofold.flows.oob_enrolment import EmailNeedsAnotherFactorError
from twofold.flows.runtime import Runtime
from twofold.flows.webauthn_state import credential_of
from twofold.types import FactorType


def page_in(
    factors: Mapping[FactorType, Factor], authenticator: Authenticator
) -> FactorPage | None:
    """None when no page can show it (a factor without pages)."""
    if is_push(authenticator):
        return push_pages.PAGE
    if authenticator.type == FactorType.OOB:
        channel = authenticator.oob_channel
        return oob.PAGES.get(channel) if channel in oob.CHANNELS else None
    if authenticator.type in webauthn.PAGES:
        return webauthn.PAGES[authenticator.type]
    factor = factors.get(authenticator.type)
    return factor.page if factor else None


def page_of(rt: Runtime, authenticator: Authenticator) -> FactorPage | None:
    return page_in(rt.factors, authenticator)


def channel_page(channel: str | None) -> FactorPage | None:
    """The page of the channel a code went by, which may not be its authenticator's (a call
    after "Call me instead" to a phone enrolled for text messages): its description says how
    the code comes. None for anything but an out-of-band channel."""
    return next((page for name, page in oob.PAGES.items() if name == channel), None)


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What My MFA settings says of a security key or device beyond its name and dates."""

    kind: str
    """"synced passkey" (backup eligible: it may live on the person's other devices too) or
    "device-bound key"."""
    aaguid: str
    """The authenticator model (a UUID); all zeros when it did not say."""


def key_facts(authenticator: Authenticator) -> KeyFacts | None:
    """None for anything but a WebAuthn authenticator."""
    if authenticator.type not in webauthn.PAGES:
        return None
    credential = credential_of(authenticator)
    return KeyFacts(kind=credential.kind, aaguid=credential.aaguid)


def challengeable(
    rt: Runtime,
    active: Sequence[Authenticator],
    channels: frozenset[str],
    *,
    enabled: Collection[FactorType] = (),
) -> tuple[Authenticator, ...]:
    """The pickable registry factors' authenticators in registry order, oldest first, then
    security keys and devices while their type is `enabled`, then out-of-band ones while the
    tenant has their channel on (as the MFA API counts them)."""
    registry = [a for f in pages.challengeable(rt.factors) for a in active if a.type == f.type]
    keys = [a for kind in webauthn.PAGES if kind in enabled for a in active if a.type == kind]
    sent = [a for a in active if a.oob_channel in channels and page_of(rt, a) is not None]
    return (*registry, *keys, *sent)


@dataclass(frozen=True, slots=True)
class EnrolOption:
    """One thing a person can set up on the enrolment pages (`?factor=<key>`)."""

    key: str
    """The registry factor's type (`otp`), or the out-of-band channel (`sms`, `voice`,
    `email`)."""
    factor_type: FactorType
    page: FactorPage
    channel: OobChannel | None = None
    first: bool = True
    """Whether it may be a user's first factor (email may not)."""


@dataclass(frozen=True, slots=True)
class EnrolChoices:
    """What the tenant lets this user set up, in the order the pages list it."""

    options: tuple[EnrolOption, ...]
    """Everything switched on, offered or not."""
    independent: bool
    """The user has an active factor that may stand beside email."""

    @property
    def offered(self) -> tuple[EnrolOption, ...]:
        return tuple(o for o in self.options if o.first or self.independent)

    def pick(self, key: str | None) -> EnrolOption | None:
        """`?factor=`, or the only option offered; None while there is a choice to make.

        A key that is switched on but not offered now (email as a first factor) gets the
        same refusal as the MFA API gives; an unknown or switched-off one a 400.
        """
        if key is None:
            offered = self.offered
            return offered[0] if len(offered) == 1 else None
        found = next((o for o in self.options if o.key == key), None)
        if found is None:
            raise InvalidRequestError("This kind of authenticator cannot be added on this tenant.")
        if found not in self.offered:
            raise EmailNeedsAnotherFactorError()
        return found


def enrol_options(
    factors: Mapping[FactorType, Factor],
    *,
    enabled: Collection[FactorType],
    channels: Collection[str],
) -> tuple[EnrolOption, ...]:
    """The registry's factors with an enrolment page that the tenant has switched on, then
    the WebAuthn types it has on, then the out-of-band channels it has on (`sms` carries
    voice), then a push device while `push-notification` is on (`?factor=push`)."""
    registry = [
        EnrolOption(key=f.type.value, factor_type=f.type, page=f.page)
        for f in pages.enrollable(factors, enabled)
    ]
    keys = [
        EnrolOption(key=kind.value, factor_type=kind, page=page)
        for kind, page in webauthn.PAGES.items()
        if kind in enabled
    ]
    sent = [
        EnrolOption(
            key=channel,
            factor_type=FactorType.OOB,
            page=oob.PAGES[channel],
            channel=channel,
            first=channel not in oob.NEEDS_ANOTHER_FACTOR,
        )
        for channel in oob.CHANNELS
        if channel in channels and oob.PAGES[channel].enrol_template is not None
    ]
    pushed = [
        EnrolOption(
            key=push_pages.ENROL_KEY, factor_type=FactorType.OOB, page=push_pages.ENROL_PAGE
        )
        for channel in (PUSH_CHANNEL,)
        if channel in channels
    ]
    return (*registry, *keys, *sent, *pushed)
