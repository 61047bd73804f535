"""What the hosted pages need to know about a factor, declared by the factor itself (ADR 006).

Each factor class carries a `page`; the pages iterate the registry and include the named
templates, so adding a factor never means editing a page. Template names are plain strings:
factors know nothing of Jinja2 or the web layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from twofold.types import FactorType


@dataclass(frozen=True, slots=True)
class FactorPage:
    """How one factor appears on the MFA pages."""

    label: str
    """What the user calls it, e.g. "Authenticator app"."""
    description: str
    """One sentence under the label in the picker and on the challenge page."""
    challenge_template: str
    """The partial asking for a response, e.g. "factors/otp/challenge.html"."""
    enrol_template: str | None = None
    """The partial that enrols one; None for a factor that is never enrolled on its own."""
    autocomplete: str = "one-time-code"
    """The response field's `autocomplete` token (HTML 4.10.18.7.1)."""
    inputmode: str = "numeric"
    """The response field's `inputmode`: which keyboard a phone shows."""
    sends_code: bool = False
    """Choosing it sends a code (SMS, voice, email): the page sends one when shown and offers
    `resend_template`, rendered after the answer form (its own POST forms)."""
    resend_template: str | None = None
    """The partial with "Resend code" (and, for a phone, "Call me instead")."""
    fallback_link: str | None = None
    """A fallback (recovery codes) is not offered in the picker and does not count as a
    factor of its own; the challenge page offers it with this link text instead."""

    @property
    def is_fallback(self) -> bool:
        return self.fallback_link is not None


class Paged(Protocol):
    """What the helpers below read from a registry entry (every `Factor` has both)."""

    @property
    def type(self) -> FactorType: ...

    @property
    def page(self) -> FactorPage: ...


P = TypeVar("P", bound=Paged)


def challengeable(factors: Mapping[FactorType, P]) -> list[P]:
    """Factors a user picks from, in registry order (fallbacks are offered separately)."""
    return [factor for factor in factors.values() if not factor.page.is_fallback]


def fallbacks(factors: Mapping[FactorType, P]) -> list[P]:
    return [factor for factor in factors.values() if factor.page.is_fallback]


def enrollable(factors: Mapping[FactorType, P], enabled: Iterable[FactorType]) -> list[P]:
    """Factors with an enrolment page that the tenant has switched on, in registry order."""
    switched_on = set(enabled)
    return [
        factor
        for factor in factors.values()
        if factor.page.enrol_template is not None and factor.type in switched_on
    ]
