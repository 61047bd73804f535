"""Email through a real SMTP server on loopback (aiosmtpd): STARTTLS with AUTH, implicit TLS,
and the relay's transient (4yz) and final (5yz) refusals."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

import pytest
from pydantic import SecretStr

from tests.channels.conftest import CODE, CONTEXT, Waits, channels_for, code_in
from tests.fakes.smtp import PASSWORD, USERNAME, Certificate, Relay, smtp_server
from twofold.channels import Channels, DeliveryError
from twofold.clock import FrozenClock
from twofold.config import SmtpSettings

TO = "ada@example.com"
FROM = "Example <no-reply@example.com>"


def smtp_channels(
    tmp_path: Path,
    clock: FrozenClock,
    waits: Waits,
    *,
    port: int,
    security: Literal["starttls", "tls"],
    ca_file: Path | None,
    password: str = PASSWORD,
) -> Channels:
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=security,
        username=USERNAME,
        password=SecretStr(password),
        timeout=5.0,
        ca_file=ca_file,
    )
    email = {"provider": "smtp", "from_address": FROM}
    return channels_for(tmp_path, clock, waits, email=email, smtp=smtp)


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_a_mail_reaches_the_relay_over_tls_with_credentials(
    tmp_path: Path,
    clock: FrozenClock,
    waits: Waits,
    certificate: Certificate,
    security: Literal["starttls", "tls"],
) -> None:
    relay = Relay()
    async with smtp_server(relay, certificate, security=security) as port:
        channels = smtp_channels(
            tmp_path, clock, waits, port=port, security=security, ca_file=certificate.cert_path
        )
        message = channels.messages.email(TO, locale="en", context=CONTEXT)
        delivery = await channels.email.send_email(message)

    [mail] = relay.mails
    assert (mail.sender, mail.recipients) == ("no-reply@example.com", [TO])
    assert (mail.encrypted, mail.authenticated) == (True, True)
    assert relay.logins == [(USERNAME.encode(), PASSWORD.encode())]
    assert mail.message["Subject"] == "Your Example verification code"
    assert (mail.message["From"], mail.message["To"]) == (FROM, TO)
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert code_in(mail.part("plain")) == CODE
    assert code_in(mail.part("html")) == CODE
    assert (delivery.provider, delivery.reference) == ("smtp", mail.message["Message-ID"])
    assert [(a.status, a.delivered) for a in delivery.attempts] == [("250", True)]


async def test_the_html_part_escapes_what_the_text_part_keeps(
    tmp_path: Path, clock: FrozenClock, waits: Waits, certificate: Certificate
) -> None:
    relay = Relay()
    async with smtp_server(relay, certificate, security="tls") as port:
        channels = smtp_channels(
            tmp_path, clock, waits, port=port, security="tls", ca_file=certificate.cert_path
        )
        context = type(CONTEXT)(code=CODE, tenant_name="A&B <Corp>", minutes=1)
        await channels.email.send_email(channels.messages.email(TO, locale="fr", context=context))

    [mail] = relay.mails
    assert "Votre code de vérification A&B <Corp> est :" in mail.part("plain")
    assert "Votre code de vérification A&amp;B &lt;Corp&gt; est :" in mail.part("html")
    assert "Il expire dans 1 minute." in mail.part("plain")


async def test_wrong_credentials_are_final(
    tmp_path: Path, clock: FrozenClock, waits: Waits, certificate: Certificate
) -> None:
    relay = Relay()
    async with smtp_server(relay, certificate, security="starttls") as port:
        channels = smtp_channels(
            tmp_path,
            clock,
            waits,
            port=port,
            security="starttls",
            ca_file=certificate.cert_path,
            password="wrong",
        )
        with pytest.raises(DeliveryError) as caught:
            await channels.email.send_email(
                channels.messages.email(TO, locale="en", context=CONTEXT)
            )

    assert [(a.provider, a.status) for a in caught.value.attempts] == [("smtp", "535")]
    assert (relay.connections, relay.mails, waits.delays) == (1, [], [])


async def test_a_transient_refusal_is_retried(
    tmp_path: Path, clock: FrozenClock, waits: Waits, certificate: Certificate
) -> None:
    relay = Relay()
    relay.answer("451 4.3.0 Try again later")
    async with smtp_server(relay, certificate, security="starttls") as port:
        channels = smtp_channels(
            tmp_path, clock, waits, port=port, security="starttls", ca_file=certificate.cert_path
        )
        delivery = await channels.email.send_email(
            channels.messages.email(TO, locale="en", context=CONTEXT)
        )

    assert [(a.status, a.delivered) for a in delivery.attempts] == [("451", False), ("250", True)]
    assert waits.delays == [0.2]
    assert len(relay.mails) == 1


async def test_a_permanent_refusal_is_final(
    tmp_path: Path, clock: FrozenClock, waits: Waits, certificate: Certificate
) -> None:
    relay = Relay()
    relay.answer("554 5.7.1 Message rejected", times=3)
    async with smtp_server(relay, certificate, security="tls") as port:
        channels = smtp_channels(
            tmp_path, clock, waits, port=port, security="tls", ca_file=certificate.cert_path
        )
        with pytest.raises(DeliveryError) as caught:
            await channels.email.send_email(
                channels.messages.email(TO, locale="en", context=CONTEXT)
            )

    assert [a.status for a in caught.value.attempts] == ["554"]
    assert (relay.connections, waits.delays) == (1, [])


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_a_relay_with_an_untrusted_certificate_is_refused_without_retry(
    tmp_path: Path,
    clock: FrozenClock,
    waits: Waits,
    certificate: Certificate,
    security: Literal["starttls", "tls"],
) -> None:
    relay = Relay()
    async with smtp_server(relay, certificate, security=security) as port:
        channels = smtp_channels(tmp_path, clock, waits, port=port, security=security, ca_file=None)
        with pytest.raises(DeliveryError) as caught:
            await channels.email.send_email(
                channels.messages.email(TO, locale="en", context=CONTEXT)
            )

    assert [a.status for a in caught.value.attempts] == ["tls_error"]
    assert (relay.logins, relay.mails, waits.delays) == ([], [], [])


async def test_an_unreachable_relay_is_retried_then_fails(
    tmp_path: Path, clock: FrozenClock, waits: Waits, certificate: Certificate
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    channels = smtp_channels(
        tmp_path, clock, waits, port=port, security="tls", ca_file=certificate.cert_path
    )

    with pytest.raises(DeliveryError) as caught:
        await channels.email.send_email(channels.messages.email(TO, locale="en", context=CONTEXT))

    assert [a.status for a in caught.value.attempts] == ["connection_error"] * 3
    assert waits.delays == [0.2, 0.4]
