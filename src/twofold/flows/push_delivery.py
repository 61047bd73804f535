"""Getting a push to the device: the facts it shows, the message, and the channel.

The stream channel is the broker (`device:<authenticator id>`, read by the device's SSE
connection); FCM, APNs and Web Push go through their `PushSender`. A provider that says the
token is dead marks the device `unreachable` (the user re-enrols) and the caller gets 503
`delivery_failed`, like an SMS that cannot be sent. The push carries no secret: the device
fetches the details over its own authenticated channel.
"""

from __future__ import annotations

import datetime as dt

from twofold.audit import events
from twofold.channels import DeliveryError
from twofold.channels.push import PushAddress, PushMessage, PushOutcome, PushProvider, PushResult
from twofold.domain import AuditEntry, Authenticator, JsonObject
from twofold.factors.push.state import DeviceSecret
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import unseal
from twofold.policy import useragent
from twofold.security import tokens
from twofold.store.repos.push_transactions import PushTransaction

TITLE = "Sign-in request"


class PushDeliveryError(DeliveryError):
    description = "The push notification could not be delivered. Try again in a moment."


def device_topic(authenticator_id: str) -> str:
    """Where the stream channel's pushes for one device are published."""
    return f"device:{authenticator_id}"


def answer_topic(push_id: str) -> str:
    """Where a push's answer is published, waking whoever waits for it on any node."""
    return f"push:{push_id}"


def request_facts(
    rt: Runtime, *, application: str, info: RequestInfo, now: dt.datetime
) -> JsonObject:
    """What the device shows so the user can tell their own sign-in from someone else's:
    the application, where the request came from (GeoIP), which browser, and when."""
    geo = rt.geo.lookup(info.ip) if info.ip else None
    return {
        "application": application,
        "city": geo.city if geo else None,
        "country": geo.country if geo else None,
        "browser": useragent.family(info.user_agent) or None,
        "time": now.isoformat(),
    }


def summary(facts: JsonObject) -> str:
    """ "Payroll from Berlin, DE — Chrome on macOS": the notification's body."""
    place = ", ".join(str(part) for part in (facts.get("city"), facts.get("country")) if part)
    text = str(facts.get("application") or "Sign-in")
    if place:
        text += f" from {place}"
    if facts.get("browser"):
        text += f" \N{EM DASH} {facts['browser']}"
    return text


def stream_payload(rt: Runtime, push: PushTransaction) -> JsonObject:
    """The event the stream channel sends: a pointer and a human line, never the number."""
    return {
        "type": "push",
        "txn": push.id,
        "base_url": rt.settings.issuer,
        "title": TITLE,
        "body": summary(push.facts),
        "expires_at": push.expires_at.isoformat(),
    }


def message_for(rt: Runtime, push: PushTransaction) -> PushMessage:
    ttl = max(1, int((push.expires_at - rt.clock.now()).total_seconds()))
    return PushMessage(
        title=TITLE,
        body=summary(push.facts),
        data={"txn": push.id, "base_url": rt.settings.issuer},
        ttl_seconds=ttl,
        collapse_key=tokens.token_hash(push.user_id)[:32],
    )


def provider_of(authenticator: Authenticator) -> PushProvider:
    return PushProvider(str(authenticator.params.get("provider", PushProvider.STREAM.value)))


async def deliver_push(
    rt: Runtime,
    push: PushTransaction,
    authenticator: Authenticator,
    info: RequestInfo,
    *,
    client_id: str | None,
) -> None:
    """Send the push and audit the outcome; PushDeliveryError when it could not go out."""
    provider = provider_of(authenticator)
    if provider == PushProvider.STREAM:
        await rt.push_broker.publish(device_topic(authenticator.id), stream_payload(rt, push))
        await _record(rt, [_sent(push, info, client_id=client_id, provider=provider.value)])
        return
    sender = rt.push_senders.get(provider)
    address = _address(rt, authenticator)
    if sender is None or address is None:
        await _record(
            rt,
            [
                _failed(
                    push,
                    info,
                    client_id=client_id,
                    provider=provider.value,
                    reason="not_configured",
                )
            ],
        )
        raise PushDeliveryError(provider=provider.value, attempts=())
    result = await sender.send(address, message_for(rt, push))
    if result.outcome == PushOutcome.DELIVERED:
        await _record(rt, [_sent(push, info, client_id=client_id, provider=provider.value)])
        return
    await _record_failure(rt, push, authenticator, result, info, client_id=client_id)
    raise PushDeliveryError(provider=provider.value, attempts=())


def _address(rt: Runtime, authenticator: Authenticator) -> PushAddress | None:
    if authenticator.secret is None:
        return None
    return DeviceSecret.from_bytes(unseal(rt, authenticator.id, authenticator.secret)).address


async def _record_failure(
    rt: Runtime,
    push: PushTransaction,
    authenticator: Authenticator,
    result: PushResult,
    info: RequestInfo,
    *,
    client_id: str | None,
) -> None:
    """Audit the failure; a dead token also marks the device unreachable, in the same
    transaction, so the lists show it and the user knows to enrol again."""
    unreachable = result.outcome == PushOutcome.UNREACHABLE
    entry = events.PushSendFailed(
        user_id=push.user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=push.authenticator_id,
        push_id=push.id,
        reason="unreachable" if unreachable else "failed",
        provider=result.provider.value,
        status=result.status,
    ).entry()
    async with rt.store.transaction() as tx:
        if unreachable:
            params = {**authenticator.params, "unreachable": True}
            await tx.push_devices.update(authenticator.id, name=authenticator.name, params=params)
        tx.record(entry)


def _sent(
    push: PushTransaction, info: RequestInfo, *, client_id: str | None, provider: str
) -> AuditEntry:
    return events.PushSent(
        user_id=push.user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=push.authenticator_id,
        push_id=push.id,
        provider=provider,
    ).entry()


def _failed(
    push: PushTransaction, info: RequestInfo, *, client_id: str | None, provider: str, reason: str
) -> AuditEntry:
    return events.PushSendFailed(
        user_id=push.user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=push.authenticator_id,
        push_id=push.id,
        reason=reason,
        provider=provider,
    ).entry()


async def _record(rt: Runtime, entries: list[AuditEntry]) -> None:
    async with rt.store.transaction() as tx:
        for entry in entries:
            tx.record(entry)
