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
class InputField:
    """A text field an enrolment form asks for before anything else: where a code-sending
    factor's codes go (a phone, an address), or what to call a security key."""

    name: str
    """The form field, named as the MFA API's parameter (`phone_number`, `email`, `name`)."""
    label: str
    input_type: str
    """The input's `type` (`tel`, `email`, `text`): which keyboard a phone shows."""
    autocomplete: str
    """The input's `autocomplete` token (`tel`, `email`, `off`), so the browser can fill it
    in (or knows not to)."""
    max_length: int
    hint: str
    """One sentence under the field: the format expected."""
    invalid: str
    """What the page says when the value is refused as invalid."""
    default: str = ""
    """What the field holds before the person types (a key's name: "Security key")."""


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
    destination: InputField | None = None
    """For a factor that `sends_code`: its enrolment first asks where to send it."""
    ceremony: str | None = None
    """For a factor answered in the browser rather than typed (WebAuthn, run by
    `webauthn.js`): the label of the button that starts the ceremony. Its forms carry the
    options in a `data-` attribute and post the browser's `authn_response`."""
    name_field: InputField | None = None
    """For a factor enrolled in one ceremony: the name its enrolment asks for first."""
    enrol_description: str | None = None
    """The sentence where it is offered for enrolment, when `description` (which speaks of
    a challenge) does not fit there."""

    pushes: bool = False
    """Choosing it sends a push to the device (`push-notification`): the page shows the
    number to pick and waits for the answer (`web/static/push.js`) instead of a typed code."""

    @property
    def offer(self) -> str:
        """The sentence an enrolment picker shows under the label."""
        return self.enrol_description or self.description

    @property
    def is_fallback(self) -> bool:
        return self.fallback_link is not None

    @property
    def runs_ceremony(self) -> bool:
        return self.ceremony is not None


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
