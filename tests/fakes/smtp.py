"""A real SMTP server on 127.0.0.1 (aiosmtpd) with STARTTLS or implicit TLS and AUTH, and a
self-signed certificate made on the spot with `cryptography` (nothing comes from the network).

The server runs on the test's own event loop (`loop.create_server`, the port the kernel
picked); the mails it accepts are kept parsed, so a test reads the code from them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USERNAME = "twofold"
PASSWORD = "relay-password-7f3c"


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, its own trust anchor."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Twofold test relay")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "relay.pem"
    key_path = directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    authenticated: bool
    encrypted: bool

    def part(self, subtype: Literal["plain", "html"]) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        if not isinstance(body, EmailMessage):
            raise AssertionError(f"the mail has no text/{subtype} part")
        content: str = body.get_content()
        return content


class Relay:
    """The aiosmtpd handler: keeps accepted mails, answers DATA as a test scripts it."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.connections = 0
        self._replies: deque[str] = deque()

    def answer(self, reply: str, *, times: int = 1) -> None:
        """Reply `reply` (e.g. "451 4.3.0 Try again later") to the next DATA commands."""
        self._replies.extend([reply] * times)

    def authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: object
    ) -> AuthResult:
        """aiosmtpd's authenticator hook; LOGIN and PLAIN both arrive as LoginPassword."""
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append((data.login, data.password))
        valid = data.login == USERNAME.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=valid, handled=False)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self._replies:
            return self._replies.popleft()
        content = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        if not isinstance(message, EmailMessage):
            return "554 5.6.0 unparsable message"
        mail = Mail(
            sender=envelope.mail_from or "",
            recipients=list(envelope.rcpt_tos),
            message=message,
            authenticated=bool(session.authenticated),
            # Implicit TLS or after STARTTLS: either way the transport carries an SSL object.
            encrypted=bool(server.transport and server.transport.get_extra_info("ssl_object")),
        )
        self.mails.append(mail)
        return "250 2.0.0 OK"


@asynccontextmanager
async def smtp_server(
    relay: Relay, certificate: Certificate, *, security: Literal["starttls", "tls"]
) -> AsyncIterator[int]:
    """Serve on 127.0.0.1 until the block ends; yields the port.

    STARTTLS: TLS and AUTH are required before MAIL. Implicit TLS: the whole connection is
    encrypted, AUTH is offered and checked (aiosmtpd cannot see that TLS, so it is not forced).
    """
    loop = asyncio.get_running_loop()
    context = certificate.server_context()
    starttls = security == "starttls"

    def protocol() -> SMTP:
        relay.connections += 1
        return SMTP(
            relay,
            hostname="relay.test",
            tls_context=context if starttls else None,
            require_starttls=starttls,
            auth_required=starttls,
            auth_require_tls=starttls,
            authenticator=relay.authenticate,
            loop=loop,
        )

    server = await loop.create_server(protocol, "127.0.0.1", 0, ssl=None if starttls else context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
