"""The words around a code: Jinja2 templates per locale, overridable by the operator.

Built-in templates live in `channels/templates/<locale>/`; a file of the same name in
`TWOFOLD_CHANNELS__TEMPLATE_DIR/<locale>/` wins, and a locale without the file falls back to
English. Only `.html` templates are autoescaped: an SMS or a spoken sentence is not markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jinja2

from twofold.channels.base import OutboundCall, OutboundEmail, OutboundSms

TemplateName = Literal["sms.txt", "voice.txt", "email.txt", "email.html", "email_subject.txt"]
TEMPLATE_NAMES: tuple[TemplateName, ...] = (
    "sms.txt",
    "voice.txt",
    "email.txt",
    "email.html",
    "email_subject.txt",
)
FALLBACK_LOCALE = "en"
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class MessageTemplateError(Exception):
    """An operator template is missing, malformed or names an unknown variable."""


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What a template may say: `code`, `spoken_code` ("1, 2, 3, ..."), `tenant_name`,
    `minutes` (how long the code stays valid)."""

    code: str = field(repr=False)
    tenant_name: str
    minutes: int

    def variables(self) -> dict[str, object]:
        return {
            "code": self.code,
            # Separated digits are read one by one; "123456" would be read as a number.
            "spoken_code": ", ".join(self.code),
            "tenant_name": self.tenant_name,
            "minutes": self.minutes,
        }


@dataclass(frozen=True, slots=True)
class Rendered:
    locale: str
    """The locale of the template actually used (after any fallback)."""
    text: str = field(repr=False)


def language_of(locale: str | None) -> str:
    """`fr-CA`, `fr_FR`, `FR` -> `fr`; anything that is not a language tag -> `en`.

    Locales come from user data: only a bare language code ever reaches a template path.
    """
    language = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return language if _LANGUAGE.fullmatch(language) else FALLBACK_LOCALE


class MessageTemplates:
    def __init__(self, operator_dir: Path | None = None) -> None:
        self._operator_dir = operator_dir
        loaders: list[jinja2.BaseLoader] = []
        if operator_dir is not None:
            loaders.append(jinja2.FileSystemLoader(operator_dir))
        loaders.append(jinja2.PackageLoader("twofold.channels", "templates"))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, locale: str | None, name: TemplateName, context: MessageContext) -> Rendered:
        language = language_of(locale)
        template = self._env.select_template([f"{language}/{name}", f"{FALLBACK_LOCALE}/{name}"])
        used = (template.name or FALLBACK_LOCALE).split("/")[0]
        return Rendered(locale=used, text=template.render(context.variables()).strip())

    def sms(self, to: str, *, locale: str | None, context: MessageContext) -> OutboundSms:
        return OutboundSms(to=to, body=self.render(locale, "sms.txt", context).text)

    def call(self, to: str, *, locale: str | None, context: MessageContext) -> OutboundCall:
        speech = self.render(locale, "voice.txt", context)
        return OutboundCall(to=to, speech=speech.text, locale=speech.locale)

    def email(self, to: str, *, locale: str | None, context: MessageContext) -> OutboundEmail:
        subject = self.render(locale, "email_subject.txt", context).text
        return OutboundEmail(
            to=to,
            # A header is one line; a stray newline in an operator's template would end it.
            subject=" ".join(subject.split()),
            text=self.render(locale, "email.txt", context).text,
            html=self.render(locale, "email.html", context).text,
        )

    def locales(self) -> list[str]:
        """Every locale some template exists for, built in or the operator's."""
        return sorted({name.split("/")[0] for name in self._env.list_templates() if "/" in name})

    def check(self) -> None:
        """Render every template once, at start-up, so a broken operator template stops the
        server with a clear message rather than failing the first user's sign-in."""
        if self._operator_dir is not None and not self._operator_dir.is_dir():
            raise MessageTemplateError(f"{self._operator_dir} is not a directory")
        sample = MessageContext(code="123456", tenant_name="Example", minutes=5)
        for locale in self.locales():
            for name in TEMPLATE_NAMES:
                try:
                    self.render(locale, name, sample)
                except jinja2.TemplateError as exc:
                    raise MessageTemplateError(f"template {locale}/{name}: {exc}") from exc
