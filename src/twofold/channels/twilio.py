"""Twilio's REST API (2010-04-01): SMS through `Messages.json`, voice through `Calls.json`.

Form-encoded POSTs with HTTP Basic (account SID, auth token), as Twilio's own SDK sends them;
httpx speaks that wire format, so the SDK and its synchronous stack are not needed (ADR 007).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

import httpx

from twofold.channels import rest
from twofold.channels.base import Delivery, OutboundCall, OutboundSms
from twofold.channels.retry import RetryPolicy, Sent, deliver

SAY_LANGUAGES = {
    "de": "de-DE",
    "en": "en-US",
    "es": "es-ES",
    "fr": "fr-FR",
    "it": "it-IT",
    "nl": "nl-NL",
    "pt": "pt-BR",
}
"""`<Say language>` per template locale; another locale is read by Twilio's default voice."""

XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})
PAUSE_SECONDS = 1


def twiml(message: OutboundCall) -> str:
    """The call's script: the sentence, a short pause, the sentence again.

    The code in `speech` is already spelled out ("1, 2, 3, ...") so Twilio reads digits, not
    a number; every character of it is escaped, since an operator's template may hold `&`.
    """
    language = SAY_LANGUAGES.get(message.locale)
    say = f'<Say language="{language}">' if language else "<Say>"
    sentence = say + message.speech.translate(XML_ESCAPES) + "</Say>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Response>{sentence}<Pause length="{PAUSE_SECONDS}"/>{sentence}</Response>'
    )


def twilio_error(response: httpx.Response) -> str:
    """Twilio's error replies are JSON `{code, message, more_info, status}`; keep the code."""
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("code") if isinstance(body, dict) else None
    return f"twilio {code}" if isinstance(code, int) else ""


def _sid(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    sid = body.get("sid") if isinstance(body, dict) else None
    return sid if isinstance(sid, str) else None


class TwilioClient:
    """One Twilio account and sending number; `create` posts to a resource with retries."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str,
        timeout: float,
        retry: RetryPolicy,
    ) -> None:
        self.from_number = from_number
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._accounts = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid)}"
        self._timeout = timeout
        self._retry = retry

    async def create(
        self, resource: Literal["Messages", "Calls"], form: dict[str, str]
    ) -> Delivery:
        url = f"{self._accounts}/{resource}.json"

        async def attempt() -> Sent:
            response = await rest.post(
                url, within=self._timeout, auth=self._auth, form=form, explain=twilio_error
            )
            return Sent(str(response.status_code), _sid(response))

        return await deliver("twilio", attempt, self._retry)


class TwilioSms:
    def __init__(self, client: TwilioClient) -> None:
        self._client = client

    async def send_sms(self, message: OutboundSms) -> Delivery:
        form = {"To": message.to, "From": self._client.from_number, "Body": message.body}
        return await self._client.create("Messages", form)


class TwilioVoice:
    """A call whose TwiML travels inline (`Twiml`), so Twilio never fetches it from us."""

    def __init__(self, client: TwilioClient) -> None:
        self._client = client

    async def call(self, message: OutboundCall) -> Delivery:
        form = {"To": message.to, "From": self._client.from_number, "Twiml": twiml(message)}
        return await self._client.create("Calls", form)
