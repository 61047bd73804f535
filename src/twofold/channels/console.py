"""The development channels: nothing leaves the machine; messages go to an outbox file.

`make run` works with nothing configured, and a developer reads the code from
`<data_dir>/outbox.jsonl` (one JSON object per line). The log line names the destination and
the file, never the code. The file holds live codes, so it is created owner-only (0600) and
`build_channels` refuses it behind an https issuer unless the operator allows it (ADR 007).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from pathlib import Path

from twofold.channels.base import Delivery, OutboundCall, OutboundEmail, OutboundSms
from twofold.channels.retry import AttemptFailedError, RetryPolicy, Sent, deliver
from twofold.types import Clock

log = logging.getLogger("twofold.channels")

OUTBOX_NAME = "outbox.jsonl"
ONCE = RetryPolicy(attempts=1)
"""A local file that cannot be written will not be writable 0.2 s later either."""


class Outbox:
    def __init__(self, path: Path, *, clock: Clock) -> None:
        self.path = path
        self._clock = clock

    async def append(self, record: dict[str, str]) -> str:
        """Write one line; returns the id it gave the message."""
        message_id = secrets.token_hex(16)
        entry = {"id": message_id, "at": self._clock.now().isoformat(), **record}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._write, line.encode())
        return message_id

    def _write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # The mode above only applies to a new file, through the umask: set it outright,
            # so a file that an older version or a copy left group-readable is tightened too.
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, data)
        finally:
            os.close(descriptor)


async def _write(outbox: Outbox, medium: str, to: str, fields: dict[str, str]) -> Delivery:
    async def attempt() -> Sent:
        try:
            message_id = await outbox.append({"medium": medium, "to": to, **fields})
        except OSError as exc:
            raise AttemptFailedError("outbox_error", retryable=False) from exc
        return Sent("written", message_id)

    delivery = await deliver("console", attempt, ONCE)
    log.info("%s to %s written to %s (console channel: nothing sent)", medium, to, outbox.path)
    return delivery


class ConsoleSms:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def send_sms(self, message: OutboundSms) -> Delivery:
        return await _write(self._outbox, "sms", message.to, {"body": message.body})


class ConsoleVoice:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def call(self, message: OutboundCall) -> Delivery:
        fields = {"speech": message.speech, "locale": message.locale}
        return await _write(self._outbox, "voice", message.to, fields)


class ConsoleEmail:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def send_email(self, message: OutboundEmail) -> Delivery:
        fields = {"subject": message.subject, "text": message.text, "html": message.html}
        return await _write(self._outbox, "email", message.to, fields)
