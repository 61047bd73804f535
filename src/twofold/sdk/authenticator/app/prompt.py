"""`listen`: wait for pushes on every account's stream and ask the user about each one,
with number matching (docs/push-protocol.md, "Transaction details" and "Answers")."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import TextIO

import httpx

from twofold.sdk.authenticator.answer import AnswerResult, PushDetails, approve, deny, details
from twofold.sdk.authenticator.app.lines import LineReader
from twofold.sdk.authenticator.client import Account, AuthenticatorError
from twofold.sdk.authenticator.listen import PushRequest, listen

OUTCOMES = {
    "denied": "Denied.",
    "fraud": "Reported as not you: pushes are paused until an administrator clears them.",
    "wrong_number": (
        "Denied: that is not the number on the sign-in page. If you did not start this "
        "sign-in, someone knows your password: change it."
    ),
}
REFUSALS = {
    "expired_token": "This sign-in request expired before your answer.",
    "already_answered": "This sign-in request was already answered.",
    "not_found": "This sign-in request is gone.",
}


@dataclass(frozen=True, slots=True)
class Choice:
    """What the user decided: approve (with the number picked), deny, or report fraud."""

    accepted: bool
    number: int | None = None
    fraud: bool = False


def headline(account: Account, push: PushDetails) -> str:
    """'Sign-in request for Payroll from Berlin, DE, Chrome on macOS, 10:42 — is this you?'
    Facts the server did not know are left out; the time is shown in local time."""
    facts = push.facts
    place = ", ".join(str(facts[k]) for k in ("city", "country") if facts.get(k))
    first = f"Sign-in request for {facts.get('application') or account.issuer}"
    parts = [f"{first} from {place}" if place else first]
    if facts.get("browser"):
        parts.append(str(facts["browser"]))
    if facts.get("time"):
        parts.append(_local_time(str(facts["time"])))
    return ", ".join(parts) + " — is this you?"


def _local_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%H:%M")
    except ValueError:
        return iso


def parse(line: str, push: PushDetails) -> Choice | None:
    """The choice a typed line means, or None when it means nothing (ask again)."""
    word = line.strip().lower()
    if word in ("n", "no"):
        return Choice(accepted=False)
    if word == "f":
        return Choice(accepted=False, fraud=True)
    if push.choices:
        return Choice(accepted=True, number=int(word)) if word in _numbers(push) else None
    return Choice(accepted=True) if word in ("y", "yes") else None


def _numbers(push: PushDetails) -> set[str]:
    return {str(n) for n in push.choices}


class Listener:
    """Pushes from every account's stream go to one queue and are asked about one at a time."""

    def __init__(self, accounts: list[Account], *, reader: LineReader, out: TextIO) -> None:
        self._accounts = accounts
        self._reader = reader
        self._out = out
        self._pushes: asyncio.Queue[tuple[Account, PushRequest] | None] = asyncio.Queue()

    def say(self, text: str, *, end: str = "\n") -> None:
        print(text, end=end, file=self._out, flush=True)

    async def run(self) -> int:
        """Until the input ends (0) or every stream ended: every device was removed (2)."""
        self._reader.start()
        async with httpx.AsyncClient(timeout=10) as http:
            streams = [asyncio.create_task(self._stream(a, http)) for a in self._accounts]
            names = ", ".join(f"{a.issuer}:{a.user_email}" for a in self._accounts)
            self.say(f"Waiting for sign-in requests for {names} (Ctrl-C to stop).")
            answering = asyncio.create_task(self._answer_all(http, open_streams=len(streams)))
            ended = asyncio.create_task(self._reader.ended.wait())
            tasks = [*streams, answering, ended]
            try:
                await asyncio.wait((answering, ended), return_when=asyncio.FIRST_COMPLETED)
                return answering.result() if answering.done() else 0
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _stream(self, account: Account, http: httpx.AsyncClient) -> None:
        try:
            async for push in listen(account, http=http):
                await self._pushes.put((account, push))
        except AuthenticatorError as exc:
            self.say(
                f"{account.issuer}:{account.user_email}: the server refused this device "
                f"({exc.description}); enrol it again."
            )
        finally:
            await self._pushes.put(None)

    async def _answer_all(self, http: httpx.AsyncClient, *, open_streams: int) -> int:
        while open_streams:
            item = await self._pushes.get()
            if item is None:
                open_streams -= 1
                continue
            if not await self._ask(http, *item):
                return 0
        return 2

    async def _ask(self, http: httpx.AsyncClient, account: Account, push: PushRequest) -> bool:
        """Ask about one push and answer it; False once the input has ended."""
        try:
            found = await details(account, push.txn, http=http)
            if found.status != "pending":
                self.say(f"A sign-in request for {account.issuer} is already {found.status}.")
                return True
            choice = await self._choose(account, found)
            if choice is None:
                return False
            self._report(await _send(account, found, choice, http))
        except AuthenticatorError as exc:
            self.say(REFUSALS.get(exc.code, f"The server refused the answer: {exc.description}"))
        except httpx.TransportError as exc:
            self.say(f"Cannot reach {account.base_url} ({exc or type(exc).__name__}).")
        return True

    async def _choose(self, account: Account, push: PushDetails) -> Choice | None:
        self.say("")
        self.say(headline(account, push))
        self.say(f"  Account: {account.user_email} at {account.issuer}")
        if push.choices:
            self.say("  Numbers: " + "   ".join(str(n) for n in push.choices))
            question = (
                "Type the number shown on the sign-in page, n to deny, or f if this wasn't you: "
            )
        else:
            question = "Type y to approve, n to deny, or f if this wasn't you: "
        while True:
            self.say(question, end="")
            line = await self._reader.fresh_line()
            if line is None:
                return None
            choice = parse(line, push)
            if choice is not None:
                return choice
            self.say(f"{line!r} is not one of the answers.")

    def _report(self, result: AnswerResult) -> None:
        if result.status == "approved":
            self.say("Approved: the sign-in goes on.")
        else:
            self.say(OUTCOMES.get(result.reason or "denied", f"Rejected ({result.reason})."))


async def _send(
    account: Account, push: PushDetails, choice: Choice, http: httpx.AsyncClient
) -> AnswerResult:
    if choice.accepted:
        return await approve(account, push.txn, choice.number, http=http)
    return await deny(account, push.txn, fraud=choice.fraud, http=http)
