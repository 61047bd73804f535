"""Message templates: English and French, fallback to English, operator overrides, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.channels.conftest import CODE, CONTEXT, PHONE
from twofold.channels import MessageContext, MessageTemplateError, MessageTemplates
from twofold.channels.messages import language_of

EN_SMS = "042917 is your Example verification code. It expires in 5 minutes. Never share it."
FR_SMS = (
    "042917 est votre code de vérification Example. Il expire dans 5 minutes. "
    "Ne le donnez à personne."
)


def operator_templates(root: Path, files: dict[str, str]) -> MessageTemplates:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return MessageTemplates(root)


@pytest.mark.parametrize(
    ("locale", "body"),
    [("en", EN_SMS), ("fr", FR_SMS), ("fr-CA", FR_SMS), ("FR_fr", FR_SMS), ("en-GB", EN_SMS)],
)
def test_the_sms_is_in_the_users_language(locale: str, body: str) -> None:
    assert MessageTemplates().sms(PHONE, locale=locale, context=CONTEXT).body == body


@pytest.mark.parametrize("locale", ["de", "pt-BR", "", None, "../../etc/passwd", "e n", "x"])
def test_an_unknown_or_odd_locale_falls_back_to_english(locale: str | None) -> None:
    rendered = MessageTemplates().render(locale, "sms.txt", CONTEXT)

    assert (rendered.locale, rendered.text) == ("en", EN_SMS)


@pytest.mark.parametrize(
    ("locale", "language"),
    [("fr-CA", "fr"), ("FR", "fr"), ("es_419", "es"), ("../fr", "en"), ("français", "en")],
)
def test_only_a_bare_language_code_reaches_a_template_path(locale: str, language: str) -> None:
    assert language_of(locale) == language


def test_the_email_has_a_one_line_subject_a_text_and_an_html_part() -> None:
    mail = MessageTemplates().email("ada@example.com", locale="fr", context=CONTEXT)

    assert mail.subject == "Votre code de vérification Example"
    assert f"\n    {CODE}\n" in mail.text
    assert f">{CODE}</p>" in mail.html
    assert mail.html.startswith('<!DOCTYPE html>\n<html lang="fr">')


def test_only_html_is_escaped() -> None:
    context = MessageContext(code=CODE, tenant_name="<b>A&B</b>", minutes=1)
    templates = MessageTemplates()

    mail = templates.email("ada@example.com", locale="en", context=context)
    sms = templates.sms(PHONE, locale="en", context=context)

    assert "Your &lt;b&gt;A&amp;B&lt;/b&gt; verification code is:" in mail.html
    assert "Your <b>A&B</b> verification code is:" in mail.text
    assert mail.subject == "Your <b>A&B</b> verification code"
    assert sms.body == f"{CODE} is your <b>A&B</b> verification code. It expires in 1 minute. " + (
        "Never share it."
    )


def test_an_operator_file_overrides_only_that_file(tmp_path: Path) -> None:
    templates = operator_templates(
        tmp_path, {"en/sms.txt": "{{ tenant_name }}: {{ code }} ({{ minutes }} min)\n"}
    )

    assert templates.sms(PHONE, locale="en", context=CONTEXT).body == "Example: 042917 (5 min)"
    assert templates.sms(PHONE, locale="fr", context=CONTEXT).body == FR_SMS
    call = templates.call(PHONE, locale="en", context=CONTEXT)
    assert call.speech == "Hello. Your Example verification code is: 0, 4, 2, 9, 1, 7."


def test_an_operator_may_add_a_locale_and_english_fills_its_gaps(tmp_path: Path) -> None:
    templates = operator_templates(
        tmp_path, {"de/voice.txt": "Ihr Code lautet: {{ spoken_code }}."}
    )

    call = templates.call(PHONE, locale="de-AT", context=CONTEXT)
    sms = templates.render("de", "sms.txt", CONTEXT)

    assert (call.locale, call.speech) == ("de", "Ihr Code lautet: 0, 4, 2, 9, 1, 7.")
    assert (sms.locale, sms.text) == ("en", EN_SMS)
    assert templates.locales() == ["de", "en", "fr"]
    templates.check()


def test_a_newline_in_an_operator_subject_stays_one_header_line(tmp_path: Path) -> None:
    templates = operator_templates(
        tmp_path, {"en/email_subject.txt": "Your code\nBcc: victim@example.com"}
    )

    mail = templates.email("ada@example.com", locale="en", context=CONTEXT)

    assert mail.subject == "Your code Bcc: victim@example.com"


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"en/sms.txt": "{{ code }"}, "template en/sms.txt: unexpected '}'"),
        ({"fr/email.html": "{{ pin }}"}, "template fr/email.html: 'pin' is undefined"),
    ],
    ids=["syntax", "unknown-variable"],
)
def test_check_stops_on_a_broken_operator_template(
    tmp_path: Path, files: dict[str, str], reason: str
) -> None:
    templates = operator_templates(tmp_path, files)

    with pytest.raises(MessageTemplateError, match=reason):
        templates.check()


def test_check_stops_on_a_missing_operator_directory(tmp_path: Path) -> None:
    with pytest.raises(MessageTemplateError, match="is not a directory"):
        MessageTemplates(tmp_path / "nowhere").check()


def test_the_built_in_templates_pass_the_check() -> None:
    templates = MessageTemplates()

    templates.check()

    assert templates.locales() == ["en", "fr"]


def test_a_context_never_shows_its_code_in_a_repr() -> None:
    assert CODE not in repr(CONTEXT)
    assert CODE not in repr(MessageTemplates().email("a@example.com", locale="en", context=CONTEXT))
