"""Twilio SMS and voice over the real REST wire format, against a loopback Twilio."""

from __future__ import annotations

import socket
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.channels.conftest import (
    CODE,
    CONTEXT,
    PHONE,
    Waits,
    channels_for,
    code_in,
    twilio_settings,
)
from tests.fakes.twilio import FROM_NUMBER, FakeTwilio
from twofold.channels import Channels, DeliveryError, MessageContext
from twofold.clock import FrozenClock


def twilio_channels(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio, **overrides: object
) -> Channels:
    retry_attempts = overrides.pop("retry_attempts", 3)
    return channels_for(
        tmp_path,
        clock,
        waits,
        sms={"provider": "twilio"},
        voice={"provider": "twilio"},
        twilio=twilio_settings(twilio, **overrides),
        retry_attempts=retry_attempts,
    )


async def test_an_sms_reaches_twilio_with_the_code(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio)

    delivery = await channels.sms.send_sms(
        channels.messages.sms(PHONE, locale="en", context=CONTEXT)
    )

    [sent] = twilio.received
    assert sent.form == {
        "To": PHONE,
        "From": FROM_NUMBER,
        "Body": "042917 is your Example verification code. It expires in 5 minutes. "
        "Never share it.",
    }
    assert code_in(sent.form["Body"]) == CODE
    assert (delivery.provider, delivery.reference) == ("twilio", sent.sid)
    assert [(a.provider, a.status, a.delivered) for a in delivery.attempts] == [
        ("twilio", "201", True)
    ]
    assert waits.delays == []


async def test_a_call_reads_the_code_digit_by_digit_twice(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio)
    call = channels.messages.call(PHONE, locale="fr-FR", context=CONTEXT)

    delivery = await channels.voice.call(call)

    [sent] = twilio.received
    assert (sent.resource, delivery.reference) == ("Calls", sent.sid)
    assert (sent.form["To"], sent.form["From"]) == (PHONE, FROM_NUMBER)
    response = ElementTree.fromstring(sent.form["Twiml"])  # noqa: S314 - our own TwiML
    assert response.tag == "Response"
    assert [(child.tag, child.attrib) for child in response] == [
        ("Say", {"language": "fr-FR"}),
        ("Pause", {"length": "1"}),
        ("Say", {"language": "fr-FR"}),
    ]
    spoken = "Bonjour. Votre code de vérification Example est : 0, 4, 2, 9, 1, 7."
    assert [say.text for say in response.iter("Say")] == [spoken, spoken]


async def test_the_twiml_escapes_what_the_template_says(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio)
    context = MessageContext(code=CODE, tenant_name="Smith & Sons <Bank>", minutes=5)

    await channels.voice.call(channels.messages.call(PHONE, locale="en", context=context))

    twiml = twilio.calls()[0]["Twiml"]
    assert "Smith &amp; Sons &lt;Bank&gt;" in twiml
    response = ElementTree.fromstring(twiml)  # noqa: S314 - our own TwiML
    assert [say.text for say in response.iter("Say")] == [
        "Hello. Your Smith & Sons <Bank> verification code is: 0, 4, 2, 9, 1, 7."
    ] * 2


async def test_wrong_credentials_are_refused_once_and_not_retried(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio, auth_token="not-the-token")

    with pytest.raises(DeliveryError) as caught:
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    error = caught.value
    assert (error.code, error.provider, error.status) == ("delivery_failed", "twilio", "401")
    assert [(a.status, a.detail, a.delivered) for a in error.attempts] == [
        ("401", "twilio 20003", False)
    ]
    assert (twilio.hits, twilio.received, waits.delays) == (1, [], [])


async def test_an_invalid_number_is_a_final_4xx(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio)

    with pytest.raises(DeliveryError) as caught:
        await channels.voice.call(channels.messages.call("0612", locale="en", context=CONTEXT))

    assert [(a.status, a.detail) for a in caught.value.attempts] == [("400", "twilio 21211")]
    assert (twilio.hits, waits.delays) == (1, [])


async def test_a_5xx_then_success_is_delivered_with_both_attempts(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio)
    twilio.fail(503)

    delivery = await channels.sms.send_sms(
        channels.messages.sms(PHONE, locale="en", context=CONTEXT)
    )

    assert [(a.status, a.detail, a.delivered) for a in delivery.attempts] == [
        ("503", "twilio 20503", False),
        ("201", "", True),
    ]
    assert waits.delays == [0.2]
    assert [code_in(m["Body"]) for m in twilio.messages()] == [CODE]


async def test_a_429_is_retried(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio)
    twilio.fail(429, times=2)

    delivery = await channels.voice.call(
        channels.messages.call(PHONE, locale="en", context=CONTEXT)
    )

    assert [a.status for a in delivery.attempts] == ["429", "429", "201"]
    assert waits.delays == [0.2, 0.4]


async def test_a_persistent_5xx_fails_after_the_configured_attempts(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio, retry_attempts=4)
    twilio.fail(500, times=4)

    with pytest.raises(DeliveryError) as caught:
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    error = caught.value
    assert [(a.status, a.detail) for a in error.attempts] == [("500", "twilio 20500")] * 4
    assert waits.delays == [0.2, 0.4, 0.8]
    assert (twilio.hits, twilio.received) == (4, [])
    assert CODE not in f"{error} {error.attempts!r}"


async def test_a_timeout_is_retried(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio, timeout=0.1)
    twilio.stall(0.5)

    delivery = await channels.sms.send_sms(
        channels.messages.sms(PHONE, locale="en", context=CONTEXT)
    )

    assert [a.status for a in delivery.attempts] == ["timeout", "201"]
    assert delivery.attempts[0].duration >= 0.1
    assert waits.delays == [0.2]


async def test_persistent_timeouts_fail_after_the_configured_attempts(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    channels = twilio_channels(tmp_path, clock, waits, twilio, timeout=0.1, retry_attempts=2)
    twilio.stall(0.5, times=2)

    with pytest.raises(DeliveryError) as caught:
        await channels.voice.call(channels.messages.call(PHONE, locale="en", context=CONTEXT))

    assert [a.status for a in caught.value.attempts] == ["timeout", "timeout"]
    assert waits.delays == [0.2]


async def test_a_refused_connection_is_retried(
    tmp_path: Path, clock: FrozenClock, waits: Waits, twilio: FakeTwilio
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
    channels = twilio_channels(tmp_path, clock, waits, twilio, base_url=nobody)

    with pytest.raises(DeliveryError) as caught:
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    assert [a.status for a in caught.value.attempts] == ["connection_error"] * 3
    assert waits.delays == [0.2, 0.4]
