"""Send limits on out-of-band codes, on the real limiter: per user, per destination, per
tenant, and the country lists, each with its exact error code, status and audit event."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from twofold.api.errors import status_of
from twofold.clock import FrozenClock
from twofold.config import Bucket, OobSettings, SendLimits, Settings
from twofold.domain import AuditRecord
from twofold.errors import (
    CountryNotAllowedError,
    TooManyEmailError,
    TooManySendsError,
    TooManySmsError,
    TooManyVoiceError,
)
from twofold.factors.oob import OobChannel
from twofold.flows.oob_limits import OobSend, admit_send, refused, sent, tenant_key
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.store.limits.redis import RedisLimiter
from twofold.store.repos import audit as audit_repo

INFO = RequestInfo(ip="203.0.113.9", user_agent="pytest")
HOUR = 3600


def a_user() -> str:
    return "auth0|" + secrets.token_hex(12)


def a_number(region: str = "US") -> str:
    """A fresh valid number, so no other test shares its destination bucket."""
    if region == "FR":
        return f"+336{secrets.randbelow(10**8):08d}"
    return f"+1415{secrets.randbelow(8) + 2}{secrets.randbelow(10**6):06d}"


def an_address() -> str:
    return f"{secrets.token_hex(6)}@example.com"


def with_oob(rt: Runtime, **changes: Any) -> Runtime:
    oob = rt.settings.oob.model_copy(update=changes)
    return dataclasses.replace(rt, settings=rt.settings.model_copy(update={"oob": oob}))


def send(user: str, channel: OobChannel, destination: str) -> OobSend:
    return OobSend(user_id=user, channel=channel, destination=destination, client_id="c1")


async def refusal(rt: Runtime, message: OobSend) -> TooManySendsError | CountryNotAllowedError:
    with pytest.raises((TooManySendsError, CountryNotAllowedError)) as caught:
        await admit_send(rt, message, INFO)
    error = caught.value
    assert isinstance(error, TooManySendsError | CountryNotAllowedError)
    return error


async def audit_of(rt: Runtime, user_id: str, type_: str) -> list[AuditRecord]:
    async with rt.store.read() as tx:
        page = await audit_repo.search(tx.conn, user_id=user_id, per_page=100, ascending=True)
    return [record for record in page.items if record.type == type_]


@pytest.fixture(autouse=True)
async def full_tenant_buckets(runtime: Runtime) -> AsyncIterator[None]:
    """The tenant's buckets are shared by the whole session, whose tests all start at the
    same instant: start each test with them full and leave them full."""
    channels: tuple[OobChannel, ...] = ("sms", "voice", "email")
    for channel in channels:
        await runtime.limiter.reset(tenant_key(channel))
    yield
    for channel in channels:
        await runtime.limiter.reset(tenant_key(channel))


async def test_sms_burst_of_ten_per_user_then_one_per_hour(
    runtime: Runtime, clock: FrozenClock
) -> None:
    user = a_user()
    for _ in range(10):
        await admit_send(runtime, send(user, "sms", a_number()), INFO)

    target = a_number()
    error = await refusal(runtime, send(user, "sms", target))

    assert isinstance(error, TooManySmsError)
    assert (error.code, status_of(error)) == ("too_many_sms", 429)
    assert error.retry_at == clock.now() + dt.timedelta(seconds=HOUR)
    [record] = await audit_of(runtime, user, "gd_send_sms_failure")
    assert (record.outcome, record.client_id, record.ip) == ("failure", "c1", INFO.ip)
    assert record.details == {
        "channel": "sms",
        "authenticator_id": None,
        "to": f"+1 ••• ••• {target[-4:]}",
        "country": "US",
        "reason": "too_many_sms",
        "limit": "user",
    }

    clock.advance(HOUR)
    await admit_send(runtime, send(user, "sms", a_number()), INFO)
    assert isinstance(await refusal(runtime, send(user, "sms", a_number())), TooManySmsError)


async def test_voice_has_its_own_bucket_and_code(runtime: Runtime) -> None:
    user = a_user()
    for _ in range(10):
        await admit_send(runtime, send(user, "sms", a_number()), INFO)

    for _ in range(10):
        await admit_send(runtime, send(user, "voice", a_number()), INFO)
    error = await refusal(runtime, send(user, "voice", a_number()))

    assert isinstance(error, TooManyVoiceError)
    assert (error.code, status_of(error)) == ("too_many_voice", 429)
    [record] = await audit_of(runtime, user, "gd_send_voice_failure")
    assert (record.details["reason"], record.details["limit"]) == ("too_many_voice", "user")


async def test_email_burst_of_twenty_per_user_then_one_per_minute(
    runtime: Runtime, clock: FrozenClock
) -> None:
    user = a_user()
    for _ in range(20):
        await admit_send(runtime, send(user, "email", an_address()), INFO)

    error = await refusal(runtime, send(user, "email", "jane.doe@example.com"))

    assert isinstance(error, TooManyEmailError)
    assert (error.code, status_of(error)) == ("too_many_email", 429)
    assert error.retry_at == clock.now() + dt.timedelta(seconds=60)
    [record] = await audit_of(runtime, user, "gd_send_email_failure")
    assert record.details == {
        "channel": "email",
        "authenticator_id": None,
        "to": "j•••@example.com",
        "reason": "too_many_email",
        "limit": "user",
    }
    clock.advance(60)
    await admit_send(runtime, send(user, "email", an_address()), INFO)
    assert isinstance(await refusal(runtime, send(user, "email", an_address())), TooManyEmailError)


async def test_one_number_is_limited_whichever_users_ask(runtime: Runtime) -> None:
    victim = a_number("FR")
    for _ in range(10):
        await admit_send(runtime, send(a_user(), "sms", victim), INFO)

    user = a_user()
    error = await refusal(runtime, send(user, "sms", victim))

    assert isinstance(error, TooManySmsError)
    [record] = await audit_of(runtime, user, "gd_send_sms_failure")
    assert (record.details["limit"], record.details["country"]) == ("destination", "FR")
    await admit_send(runtime, send(user, "sms", a_number("FR")), INFO)


async def test_one_address_is_limited_whatever_its_case(runtime: Runtime) -> None:
    local = secrets.token_hex(6)
    for n in range(20):
        address = f"{local}@example.com" if n % 2 else f"{local.upper()}@EXAMPLE.com"
        await admit_send(runtime, send(a_user(), "email", address), INFO)

    user = a_user()
    error = await refusal(runtime, send(user, "email", f"{local}@Example.Com"))

    assert isinstance(error, TooManyEmailError)
    [record] = await audit_of(runtime, user, "gd_send_email_failure")
    assert record.details["limit"] == "destination"


async def test_the_tenant_budget_holds_across_users_and_numbers(
    runtime: Runtime, clock: FrozenClock
) -> None:
    rt = with_oob(
        runtime,
        sms=SendLimits(
            per_user=Bucket(burst=10, refill_seconds=HOUR),
            per_destination=Bucket(burst=10, refill_seconds=HOUR),
            tenant_per_hour=3,
        ),
    )
    for _ in range(3):
        await admit_send(rt, send(a_user(), "sms", a_number()), INFO)

    user = a_user()
    error = await refusal(rt, send(user, "sms", a_number()))

    assert isinstance(error, TooManySmsError)
    assert error.retry_at == clock.now() + dt.timedelta(seconds=HOUR / 3)
    [record] = await audit_of(rt, user, "gd_send_sms_failure")
    assert record.details["limit"] == "tenant"
    clock.advance(HOUR / 3)
    await admit_send(rt, send(user, "sms", a_number()), INFO)
    assert isinstance(await refusal(rt, send(a_user(), "sms", a_number())), TooManySmsError)


async def test_a_refused_send_charges_nothing(runtime: Runtime, clock: FrozenClock) -> None:
    rt = with_oob(
        runtime,
        countries_denied=["FR"],
        sms=SendLimits(
            per_user=Bucket(burst=1, refill_seconds=HOUR),
            per_destination=Bucket(burst=10, refill_seconds=HOUR),
            tenant_per_hour=1000,
        ),
    )
    user = a_user()
    assert isinstance(await refusal(rt, send(user, "sms", a_number("FR"))), CountryNotAllowedError)
    await admit_send(rt, send(user, "sms", a_number()), INFO)
    for _ in range(3):
        assert isinstance(await refusal(rt, send(user, "sms", a_number())), TooManySmsError)

    clock.advance(HOUR)

    await admit_send(rt, send(user, "sms", a_number()), INFO)


async def test_the_allow_list_refuses_other_countries(runtime: Runtime) -> None:
    rt = with_oob(runtime, countries_allowed=["US", "CA"])
    user = a_user()

    error = await refusal(rt, send(user, "sms", a_number("FR")))

    assert isinstance(error, CountryNotAllowedError)
    assert (error.code, status_of(error)) == ("sms_country_not_allowed", 403)
    [record] = await audit_of(rt, user, "gd_send_sms_failure")
    assert (record.details["reason"], record.details["country"]) == (
        "sms_country_not_allowed",
        "FR",
    )
    assert "limit" not in record.details
    await admit_send(rt, send(user, "sms", a_number("US")), INFO)
    await admit_send(rt, send(user, "voice", "+16135550123"), INFO)  # Canada
    non_geographic = await refusal(rt, send(user, "voice", "+80012345678"))
    assert isinstance(non_geographic, CountryNotAllowedError)


async def test_the_deny_list_covers_voice_and_wins_over_the_allow_list(runtime: Runtime) -> None:
    rt = with_oob(runtime, countries_allowed=["FR", "US"], countries_denied=["FR"])
    user = a_user()

    error = await refusal(rt, send(user, "voice", a_number("FR")))

    assert (error.code, status_of(error)) == ("sms_country_not_allowed", 403)
    [record] = await audit_of(rt, user, "gd_send_voice_failure")
    assert record.details["reason"] == "sms_country_not_allowed"
    await admit_send(rt, send(user, "voice", a_number("US")), INFO)


async def test_country_lists_do_not_apply_to_email(runtime: Runtime) -> None:
    rt = with_oob(runtime, countries_allowed=["US"], countries_denied=["FR"])

    await admit_send(rt, send(a_user(), "email", "someone@example.fr"), INFO)


async def test_without_lists_every_country_and_non_geographic_numbers_pass(
    runtime: Runtime,
) -> None:
    user = a_user()
    for number in (a_number("FR"), a_number("US"), "+80012345678"):
        await admit_send(runtime, send(user, "sms", number), INFO)


def test_sent_and_failed_deliveries_are_audited_masked() -> None:
    message = OobSend(
        user_id="auth0|1",
        channel="voice",
        destination="+33612345678",
        authenticator_id="voice|dev_1",
    )

    ok = sent(message, INFO, provider="twilio", attempts=2)
    failed = refused(message, INFO, reason="delivery_failed", provider="twilio", status=503)

    assert (ok.type, ok.outcome) == ("gd_send_voice", "success")
    assert ok.details == {
        "channel": "voice",
        "authenticator_id": "voice|dev_1",
        "to": "+33 ••• ••• 5678",
        "country": "FR",
        "provider": "twilio",
        "attempts": 2,
    }
    assert (failed.type, failed.outcome) == ("gd_send_voice_failure", "failure")
    assert failed.details == {
        "channel": "voice",
        "authenticator_id": "voice|dev_1",
        "to": "+33 ••• ••• 5678",
        "country": "FR",
        "reason": "delivery_failed",
        "provider": "twilio",
        "status": 503,
    }
    assert "612345678" not in str(ok) + str(failed)


def test_settings_defaults_follow_auth0() -> None:
    oob = OobSettings()

    assert (oob.code_ttl, oob.max_failures, oob.default_region) == (300, 5, None)
    assert oob.sms.per_user == Bucket(burst=10, refill_seconds=HOUR)
    assert oob.voice.per_user == Bucket(burst=10, refill_seconds=HOUR)
    assert oob.email.per_user == Bucket(burst=20, refill_seconds=60)
    assert oob.sms.tenant == Bucket(burst=1000, refill_seconds=3.6)
    assert (oob.countries_allowed, oob.countries_denied) == ([], [])


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWOFOLD_OOB__SMS__PER_USER__BURST", "3")
    monkeypatch.setenv("TWOFOLD_OOB__SMS__PER_USER__REFILL_SECONDS", "600")
    monkeypatch.setenv("TWOFOLD_OOB__EMAIL__TENANT_PER_HOUR", "50")
    monkeypatch.setenv("TWOFOLD_OOB__COUNTRIES_DENIED", '["ru", " kp "]')
    monkeypatch.setenv("TWOFOLD_OOB__DEFAULT_REGION", "FR")

    oob = Settings().oob

    assert oob.sms.per_user == Bucket(burst=3, refill_seconds=600)
    assert oob.sms.per_destination == Bucket(burst=10, refill_seconds=HOUR)
    assert oob.email.tenant == Bucket(burst=50, refill_seconds=72)
    assert oob.email.per_user == Bucket(burst=20, refill_seconds=60)
    assert oob.countries_denied == ["RU", "KP"]
    assert oob.default_region == "FR"


@pytest.mark.parametrize(
    "changes",
    [
        {"countries_allowed": ["France"]},
        {"countries_denied": ["F1"]},
        {"default_region": "fr"},
        {"max_failures": 0},
        {"code_ttl": 5},
    ],
)
def test_bad_settings_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        OobSettings.model_validate(changes)


@pytest.fixture
async def redis_runtime(runtime: Runtime, redis_url: str) -> AsyncIterator[Runtime]:
    """The same runtime with cluster mode's limiter, under a namespace of this test's own."""
    namespace = f"test{secrets.token_hex(6)}:"
    limiter = RedisLimiter(Redis.from_url(redis_url), namespace=namespace)
    try:
        yield dataclasses.replace(runtime, limiter=limiter)
        await limiter.reset_prefix("")
    finally:
        await limiter.aclose()


@pytest.mark.redis
async def test_limits_hold_on_the_redis_limiter(redis_runtime: Runtime, clock: FrozenClock) -> None:
    user, victim = a_user(), a_number()
    for _ in range(10):
        await admit_send(redis_runtime, send(user, "sms", victim), INFO)

    error = await refusal(redis_runtime, send(user, "sms", a_number()))
    other = await refusal(redis_runtime, send(a_user(), "sms", victim))

    assert isinstance(error, TooManySmsError)
    assert error.retry_at == clock.now() + dt.timedelta(seconds=HOUR)
    assert isinstance(other, TooManySmsError)
    limits = [
        r.details["limit"] for r in await audit_of(redis_runtime, user, "gd_send_sms_failure")
    ]
    assert limits == ["user"]
