"""Which hosted page challenges an authenticator: its factor's, or for out-of-band codes its
channel's. Out-of-band is one type in the factor registry but three things to a person (a
text, a call, an email), so factors/oob.py declares a page per channel."""

from __future__ import annotations

from collections.abc import Sequence

from twofold.domain import Authenticator
from twofold.factors import oob, pages
from twofold.factors.pages import FactorPage
from twofold.flows.runtime import Runtime
from twofold.types import FactorType


def page_of(rt: Runtime, authenticator: Authenticator) -> FactorPage | None:
    """None when no page can challenge it (a factor without pages)."""
    if authenticator.type == FactorType.OOB:
        channel = authenticator.oob_channel
        return oob.PAGES.get(channel) if channel in oob.CHANNELS else None
    factor = rt.factors.get(authenticator.type)
    return factor.page if factor else None


def challengeable(
    rt: Runtime, active: Sequence[Authenticator], channels: frozenset[str]
) -> tuple[Authenticator, ...]:
    """The pickable registry factors' authenticators in registry order, oldest first, then
    out-of-band ones while the tenant has their channel on (as the MFA API counts them)."""
    registry = [a for f in pages.challengeable(rt.factors) for a in active if a.type == f.type]
    sent = [a for a in active if a.oob_channel in channels and page_of(rt, a) is not None]
    return (*registry, *sent)
