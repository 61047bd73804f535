"""The device's side of a push: reading a transaction and answering it (docs/push-protocol.md).

The answer is a conditional update from `pending` (`WHERE status = 'pending' AND expires_at >
now`), so a replay, a second answer or a late one changes nothing and is refused, on any node.
An approval with the wrong number is a rejection: the user was probably reading the number
off an attacker's page. A fraud report pauses pushes for the user until an admin clears it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import AuditEntry, Authenticator, JsonObject
from twofold.errors import NotFoundError, PushAnsweredError, PushExpiredError
from twofold.factors.push.answer import Answer, verify_answer
from twofold.factors.push.state import DeviceFacts
from twofold.flows.push_delivery import answer_topic
from twofold.flows.push_limits import pause_after_rejection, pause_for_fraud
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.store.repos.push_transactions import (
    APPROVED,
    EXPIRED,
    PENDING,
    REJECTED,
    PushTransaction,
)
from twofold.store.uow import Tx

MAX_PUSH_ID = 64


async def _own(tx: Tx, device: Authenticator, push_id: str) -> PushTransaction:
    """The push, if it was sent to this device; another device's and unknown ids look alike."""
    push = await tx.push_transactions.get(push_id) if len(push_id) <= MAX_PUSH_ID else None
    if push is None or push.authenticator_id != device.id:
        raise NotFoundError("No such push transaction for this device.")
    return push


async def transaction_details(rt: Runtime, device: Authenticator, push_id: str) -> JsonObject:
    """What the device shows: the request facts and, while pending with number matching on,
    the three choices (which one is right is never said)."""
    async with rt.store.read() as tx:
        push = await _own(tx, device, push_id)
    status = push.status_at(rt.clock.now())
    matching = rt.settings.push.number_matching
    body: JsonObject = {
        "txn": push.id,
        "status": status,
        "facts": push.facts,
        "number_matching": matching,
        "expires_at": push.expires_at.isoformat(),
    }
    if matching and status == PENDING:
        body["choices"] = push.choices
    return body


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    reason: str | None


def decide(answer: Answer, push: PushTransaction, *, number_matching: bool) -> Outcome:
    if not answer.accepted:
        return Outcome(REJECTED, "fraud" if answer.reason == "fraud" else "denied")
    if number_matching and answer.number != push.number:
        return Outcome(REJECTED, "wrong_number")
    return Outcome(APPROVED, None)


def _closed(push: PushTransaction, rt: Runtime) -> Exception:
    if push.status_at(rt.clock.now()) == EXPIRED:
        return PushExpiredError()
    return PushAnsweredError()


async def answer_push(
    rt: Runtime, device: Authenticator, push_id: str, token: str, info: RequestInfo
) -> JsonObject:
    """Verify the device's signed answer and record it once; wake whoever waits for it."""
    async with rt.store.read() as tx:
        push = await _own(tx, device, push_id)
    if push.status_at(rt.clock.now()) != PENDING:
        raise _closed(push, rt)
    matching = rt.settings.push.number_matching
    answer = verify_answer(
        token,
        device_jwk=DeviceFacts.from_json(device.params).key.jwk,
        txn=push.id,
        number_matching=matching,
        now=rt.clock.now(),
    )
    outcome = decide(answer, push, number_matching=matching)
    rejections = 0
    async with rt.store.transaction() as tx:
        now = rt.clock.now()
        if not await tx.push_transactions.answer(
            push.id, status=outcome.status, reason=outcome.reason, now=now
        ):
            raise _closed(await _own(tx, device, push_id), rt)
        tx.record(_answered(push, outcome, info))
        if outcome.status == REJECTED:
            since = now - _window(rt)
            rejections = await tx.push_transactions.rejections_since(push.user_id, since)
    await rt.push_broker.publish(answer_topic(push.id), {"txn": push.id, "status": outcome.status})
    await _pause(rt, push, outcome, rejections=rejections, info=info)
    body: JsonObject = {"txn": push.id, "status": outcome.status}
    if outcome.reason is not None:
        body["reason"] = outcome.reason
    return body


def _window(rt: Runtime) -> dt.timedelta:
    return dt.timedelta(seconds=rt.settings.push.rejection_window)


async def _pause(
    rt: Runtime, push: PushTransaction, outcome: Outcome, *, rejections: int, info: RequestInfo
) -> None:
    """After the answer committed: a fraud report pauses pushes until an admin clears it;
    enough rejections within the window pause them for a while."""
    if outcome.reason == "fraud":
        await pause_for_fraud(rt, push.user_id, client_id=None, info=info)
    elif outcome.status == REJECTED:
        await pause_after_rejection(
            rt, push.user_id, rejections=rejections, client_id=None, info=info
        )


def _answered(push: PushTransaction, outcome: Outcome, info: RequestInfo) -> AuditEntry:
    """`gd_push_approved` or `gd_auth_rejected`; the device is not a client, so no
    `client_id` (the transaction's client is on the `gd_send_pn` and the poll's events)."""
    if outcome.status == APPROVED:
        return events.PushApproved(
            user_id=push.user_id,
            client_id=None,
            ip=info.ip,
            user_agent=info.user_agent,
            authenticator_id=push.authenticator_id,
            push_id=push.id,
        ).entry()
    return events.PushRejected(
        user_id=push.user_id,
        client_id=None,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=push.authenticator_id,
        push_id=push.id,
        reason=outcome.reason or "denied",
    ).entry()
