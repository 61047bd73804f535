"""Attempt limits through HTTP: per-user OTP bucket, per-mfa_token failures, brute force."""

from __future__ import annotations

import httpx

from tests.api.helpers import code, enrolled, mfa_token, otp_grant, password_login
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.admin import unblock_user
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo


async def _types(runtime: Runtime, user_id: str) -> list[str]:
    async with runtime.store.read() as tx:
        page = await audit_repo.search(tx.conn, user_id=user_id, per_page=100, ascending=True)
    return [record.type for record in page.items]


def assert_retry_headers(response: httpx.Response, clock: FrozenClock) -> None:
    """`retry-after` counts the seconds from now to `x-ratelimit-reset` (Auth0's epoch)."""
    reset = int(response.headers["x-ratelimit-reset"])
    assert reset > clock.now().timestamp()
    assert int(response.headers["retry-after"]) == reset - int(clock.now().timestamp())
    assert response.headers["x-ratelimit-remaining"] == "0"


async def test_mfa_token_dies_after_five_failures(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    secret, _ = await enrolled(client, app, person, clock.now())
    token = await mfa_token(client, app, person)
    for _ in range(5):
        assert (await otp_grant(client, app, token, "000000")).status_code == 403
    trail = await _types(runtime, person.user_id)
    assert trail.count("gd_auth_rejected") == 1
    assert trail[-1] == "gd_auth_rejected"  # audited with the failure that reached the cap
    clock.advance(30)
    dead = await otp_grant(client, app, token, code(secret, clock.now()))
    assert dead.status_code == 429
    assert dead.json()["error"] == "too_many_attempts"
    assert_retry_headers(dead, clock)


async def test_ten_otp_failures_block_the_user_then_one_more_every_six_minutes(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    secret, _ = await enrolled(client, app, person, clock.now())
    for attempt in range(10):
        token = await mfa_token(client, app, person)
        response = await otp_grant(client, app, token, "000000")
        assert response.status_code == 403, attempt
    clock.advance(30)
    token = await mfa_token(client, app, person)
    blocked = await otp_grant(client, app, token, code(secret, clock.now()))
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts"
    assert_retry_headers(blocked, clock)
    assert int(blocked.headers["retry-after"]) <= 360
    assert "gd_otp_rate_limit_exceed" in await _types(runtime, person.user_id)
    clock.advance(361)
    token = await mfa_token(client, app, person)
    assert (await otp_grant(client, app, token, code(secret, clock.now()))).status_code == 200


async def test_first_factor_brute_force_blocks_the_pair_until_unblocked(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    wrong = type(person)(person.user_id, person.email, "wrong password!")
    for _ in range(10):
        response = await password_login(client, app, wrong)
        assert response.status_code == 403
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "Wrong email or password.",
        }
    blocked = await password_login(client, app, person)
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts"
    # Never lifts by itself: the latest representable reset and no delay to promise.
    assert blocked.headers["x-ratelimit-reset"] == "253402300800"
    assert blocked.headers["x-ratelimit-remaining"] == "0"
    assert "retry-after" not in blocked.headers
    types = await _types(runtime, person.user_id)
    assert types.count("fp") == 10
    assert "limit_wc" in types
    await unblock_user(runtime, person.user_id, actor="test")
    assert (await password_login(client, app, person)).status_code == 403
    assert (await password_login(client, app, person)).json()["error"] == "mfa_required"


async def test_a_right_password_clears_the_pairs_failure_count(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Auth0 blocks after ten *consecutive* failures: a success in between starts again."""
    app, person = await a_client(runtime), await a_user(runtime)
    wrong = type(person)(person.user_id, person.email, "wrong password!")
    for _ in range(9):
        assert (await password_login(client, app, wrong)).status_code == 403
    assert (await password_login(client, app, person)).json()["error"] == "mfa_required"
    for _ in range(9):
        assert (await password_login(client, app, wrong)).status_code == 403
    assert (await password_login(client, app, person)).json()["error"] == "mfa_required"
