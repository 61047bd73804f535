"""`/mfa/challenge` for a push authenticator: a push transaction, sent to the device.

A new push supersedes the user's pending one (at most one pending push per user, so an
attacker cannot stack prompts), after the fatigue limits admitted it. The client gets an
`oob_code` to poll the `mfa-oob` grant with and, with number matching on, the number to show.
"""

from __future__ import annotations

import datetime as dt
import secrets

from twofold.domain import Authenticator, JsonObject
from twofold.factors.push.answer import draw_number
from twofold.flows.push_delivery import answer_topic, deliver_push, request_facts
from twofold.flows.push_limits import PushAsk, admit_push
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.security import tokens
from twofold.store.repos.push_transactions import PENDING, PushTransaction


def new_push_id() -> str:
    """128 random bits: the id travels in pushes, to providers, and in device URLs."""
    return "txn_" + secrets.token_urlsafe(16)


async def issue_push(
    rt: Runtime,
    authenticator: Authenticator,
    info: RequestInfo,
    *,
    application: str,
    client_id: str | None,
    transaction_id: str | None = None,
    session_id: str | None = None,
) -> tuple[PushTransaction, str]:
    """Admit, store and send a push; the transaction and the `oob_code` to poll it with.

    The push is committed before it is sent (a provider that takes seconds must not hold the
    write lock), so a failed delivery (503 `delivery_failed`) leaves a pending push that a
    device may still answer, and the next challenge supersedes it.
    """
    user_id = authenticator.user_id
    await admit_push(rt, PushAsk(user_id, authenticator.id, client_id), info)
    now = rt.clock.now()
    drawn = draw_number()
    oob_code = tokens.new_token()
    push = PushTransaction(
        id=new_push_id(),
        user_id=user_id,
        authenticator_id=authenticator.id,
        transaction_id=transaction_id,
        session_id=session_id,
        oob_code_hash=tokens.token_hash(oob_code),
        number=drawn.number,
        choices=list(drawn.choices),
        facts=request_facts(rt, application=application, info=info, now=now),
        status=PENDING,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=rt.settings.push.transaction_ttl),
    )
    async with rt.store.transaction() as tx:
        superseded = await tx.push_transactions.replace_pending(push)
    for old in superseded:
        await rt.push_broker.publish(answer_topic(old), {"txn": old, "status": "expired"})
    await deliver_push(rt, push, authenticator, info, client_id=client_id)
    return push, oob_code


async def send_push_challenge(
    rt: Runtime,
    authenticator: Authenticator,
    info: RequestInfo,
    *,
    application: str,
    client_id: str,
    transaction_id: str,
) -> JsonObject:
    """The `/mfa/challenge` answer: Auth0's `{"challenge_type": "oob", "oob_code"}`, plus
    `number` (a string, as the issue's example) when number matching is on; Auth0's clients
    ignore the extra field."""
    push, oob_code = await issue_push(
        rt,
        authenticator,
        info,
        application=application,
        client_id=client_id,
        transaction_id=transaction_id,
    )
    body: JsonObject = {"challenge_type": "oob", "oob_code": oob_code}
    if rt.settings.push.number_matching:
        body["number"] = str(push.number)
    return body
