"""Email through any SMTP relay with aiosmtplib: implicit TLS (465) or STARTTLS (587).

SMTP says transient and permanent with its first digit: a 4yz reply (greylisting, a full
queue) is retried like an HTTP 5xx, a 5yz one (bad credentials, unknown recipient) is final.
"""

from __future__ import annotations

import secrets
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

import aiosmtplib

from twofold.channels.base import Delivery, OutboundEmail
from twofold.channels.retry import AttemptFailedError, RetryPolicy, Sent, deliver
from twofold.types import Clock

Security = Literal["starttls", "tls", "none"]


def _tls_failure(exc: BaseException) -> bool:
    """A certificate the relay cannot prove: a configuration problem, not worth a retry."""
    seen: BaseException | None = exc
    for _ in range(8):  # aiosmtplib wraps once or twice; a chain is never longer
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reply_code(exc: BaseException) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return exc.recipients[0].code
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code
    return None


def classify(exc: aiosmtplib.SMTPException | OSError) -> AttemptFailedError:
    """aiosmtplib's exception tree, sorted into ADR 007's transient and final failures.

    A failed STARTTLS handshake surfaces as the bare ssl error, not as an SMTPException."""
    if _tls_failure(exc):
        return AttemptFailedError("tls_error", retryable=False)
    if isinstance(exc, TimeoutError):
        return AttemptFailedError("timeout", retryable=True)
    code = _reply_code(exc)
    if code is not None:
        return AttemptFailedError(str(code), retryable=400 <= code < 500)
    if isinstance(exc, OSError):
        return AttemptFailedError("connection_error", retryable=True)
    # STARTTLS or AUTH not offered, and the like: the relay is not what was configured.
    return AttemptFailedError("smtp_error", retryable=False)


class SmtpEmail:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security,
        username: str | None,
        password: str | None,
        timeout: float,
        from_address: str,
        tls_context: ssl.SSLContext | None,
        retry: RetryPolicy,
        clock: Clock,
    ) -> None:
        self._host = host
        self._port = port
        self._security = security
        self._credentials = (username, password)
        self._timeout = timeout
        self._from = from_address
        self._tls_context = tls_context
        self._retry = retry
        self._clock = clock

    def compose(self, message: OutboundEmail) -> EmailMessage:
        """A text part and its HTML alternative (multipart/alternative), marked automatic."""
        domain = parseaddr(self._from)[1].rpartition("@")[2] or "twofold.invalid"
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(self._clock.now())
        # Unique without revealing the host, the time or the process, as make_msgid would.
        mail["Message-ID"] = f"<{secrets.token_hex(16)}@{domain}>"
        # RFC 3834: vacation responders must not answer a machine's mail.
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    async def send_email(self, message: OutboundEmail) -> Delivery:
        mail = self.compose(message)
        username, password = self._credentials

        async def attempt() -> Sent:
            try:
                await aiosmtplib.send(
                    mail,
                    hostname=self._host,
                    port=self._port,
                    username=username,
                    password=password,
                    use_tls=self._security == "tls",
                    start_tls=self._security == "starttls",
                    tls_context=self._tls_context,
                    timeout=self._timeout,
                )
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise classify(exc) from exc
            return Sent("250", mail["Message-ID"])

        return await deliver("smtp", attempt, self._retry)
