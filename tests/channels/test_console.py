"""The console channels: the full message in an owner-only outbox file, no code in the log."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from tests.channels.conftest import CODE, CONTEXT, PHONE, Waits, channels_for, code_in
from twofold.channels import DeliveryError
from twofold.clock import FrozenClock


def outbox_lines(data_dir: Path) -> list[dict[str, str]]:
    lines = (data_dir / "outbox.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


async def test_each_medium_appends_its_whole_message_to_the_outbox(
    tmp_path: Path, clock: FrozenClock, waits: Waits
) -> None:
    channels = channels_for(tmp_path, clock, waits)
    messages = channels.messages

    sms = await channels.sms.send_sms(messages.sms(PHONE, locale="en", context=CONTEXT))
    call = await channels.voice.call(messages.call(PHONE, locale="fr", context=CONTEXT))
    mail = await channels.email.send_email(
        messages.email("a@example.com", locale="en", context=CONTEXT)
    )

    at = "2026-11-22T12:00:00+00:00"
    assert outbox_lines(tmp_path) == [
        {
            "id": sms.reference,
            "at": at,
            "medium": "sms",
            "to": PHONE,
            "body": messages.sms(PHONE, locale="en", context=CONTEXT).body,
        },
        {
            "id": call.reference,
            "at": at,
            "medium": "voice",
            "to": PHONE,
            "speech": "Bonjour. Votre code de vérification Example est : 0, 4, 2, 9, 1, 7.",
            "locale": "fr",
        },
        {
            "id": mail.reference,
            "at": at,
            "medium": "email",
            "to": "a@example.com",
            "subject": "Your Example verification code",
            "text": messages.email("a@example.com", locale="en", context=CONTEXT).text,
            "html": messages.email("a@example.com", locale="en", context=CONTEXT).html,
        },
    ]
    assert code_in(outbox_lines(tmp_path)[0]["body"]) == CODE
    assert [(a.provider, a.status, a.delivered) for a in sms.attempts] == [
        ("console", "written", True)
    ]


async def test_the_outbox_is_readable_by_its_owner_only(
    tmp_path: Path, clock: FrozenClock, waits: Waits
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    outbox.write_text("")
    outbox.chmod(0o644)
    channels = channels_for(tmp_path, clock, waits)

    await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600


async def test_a_new_outbox_is_created_owner_only_in_a_new_data_dir(
    tmp_path: Path, clock: FrozenClock, waits: Waits
) -> None:
    data_dir = tmp_path / "fresh" / "var"
    channels = channels_for(data_dir, clock, waits)

    await channels.email.send_email(
        channels.messages.email("a@example.com", locale="en", context=CONTEXT)
    )

    assert stat.S_IMODE((data_dir / "outbox.jsonl").stat().st_mode) == 0o600


async def test_the_log_names_the_destination_and_file_but_not_the_code(
    tmp_path: Path, clock: FrozenClock, waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    channels = channels_for(tmp_path, clock, waits)

    with caplog.at_level(logging.INFO, logger="twofold.channels"):
        await channels.voice.call(channels.messages.call(PHONE, locale="en", context=CONTEXT))
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    assert [record.getMessage() for record in caplog.records] == [
        f"voice to {PHONE} written to {tmp_path / 'outbox.jsonl'} (console channel: nothing sent)",
        f"sms to {PHONE} written to {tmp_path / 'outbox.jsonl'} (console channel: nothing sent)",
    ]
    assert not any(digit_run in caplog.text for digit_run in (CODE, "0, 4, 2, 9, 1, 7"))


async def test_an_outbox_that_cannot_be_written_is_a_delivery_failure(
    tmp_path: Path, clock: FrozenClock, waits: Waits
) -> None:
    (tmp_path / "outbox.jsonl").mkdir()
    channels = channels_for(tmp_path, clock, waits)

    with pytest.raises(DeliveryError) as caught:
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    assert [(a.provider, a.status) for a in caught.value.attempts] == [("console", "outbox_error")]
    assert waits.delays == []
