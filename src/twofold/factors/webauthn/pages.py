"""What the hosted pages show for the two WebAuthn factor types (ADR 006 and 008).

Nothing is typed back: the page runs the ceremony in `webauthn.js` and posts the browser's
response, so each page names the button that starts it (`ceremony`) instead of an answer
field. Enrolling asks for a name first, prefilled, so two keys can be told apart later.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from twofold.factors.pages import FactorPage, InputField
from twofold.types import FactorType

MAX_NAME = 60
"""As long as a name My MFA settings lets a person type when renaming."""


def _name(default: str) -> InputField:
    return InputField(
        name="name",
        label="Name",
        input_type="text",
        autocomplete="off",
        max_length=MAX_NAME,
        hint="So you can tell your authenticators apart later, e.g. Work YubiKey.",
        invalid=f"Enter a name of 1 to {MAX_NAME} characters.",
        default=default,
    )


def _page(
    label: str,
    description: str,
    *,
    offer: str,
    button: str,
    name: str,
) -> FactorPage:
    return FactorPage(
        label=label,
        description=description,
        enrol_description=offer,
        challenge_template="factors/webauthn/challenge.html",
        enrol_template="factors/webauthn/enrol.html",
        autocomplete="off",
        inputmode="none",
        ceremony=button,
        name_field=_name(name),
    )


PAGES: Mapping[FactorType, FactorPage] = MappingProxyType(
    {
        FactorType.WEBAUTHN_ROAMING: _page(
            "Security key",
            "Insert or tap your security key (YubiKey, Titan or similar).",
            offer="Use a USB, NFC or Bluetooth security key, such as a YubiKey.",
            button="Use security key",
            name="Security key",
        ),
        FactorType.WEBAUTHN_PLATFORM: _page(
            "This device (fingerprint, face or PIN)",
            "Confirm with this device's fingerprint reader, face recognition or screen lock.",
            offer="Use this device's fingerprint reader, face recognition or screen lock.",
            button="Use this device",
            name="This device",
        ),
    }
)
"""One entry per WebAuthn authenticator type; both share the templates, which read the
options the flow put in the page."""
