"""Out-of-band codes: format and entropy source, hashing, expiry, single use, the failure
limit, resends, and the constant-time comparison."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from twofold.api.errors import status_of
from twofold.config import OobSettings
from twofold.errors import (
    InvalidBindingCodeError,
    InvalidRequestError,
    OobCodeExpiredError,
    OobCodeSupersededError,
    OobCodeUsedError,
    TooManyOobFailuresError,
    TwofoldError,
)
from twofold.factors.oob import (
    AMR,
    CHANNELS,
    Issued,
    OobChallenge,
    OobCodes,
    failed,
    handle_hash,
    new_code,
    verification,
)
from twofold.security.envelope import KeyRing
from twofold.types import Amr

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
PHONE = "+14155552671"


@pytest.fixture
def hasher(tmp_path: Path) -> Callable[[str], str]:
    """The composition root's hasher: the key ring's pepper under purpose `oob-code`."""
    keyring = KeyRing.load_or_create(tmp_path / "master.key")
    return functools.partial(keyring.keyed_hash, purpose="oob-code")


@pytest.fixture
def codes(hasher: Callable[[str], str]) -> OobCodes:
    return OobCodes(hasher=hasher, settings=OobSettings())


def issue(codes: OobCodes, *, now: dt.datetime = NOW) -> Issued:
    return codes.issue(authenticator_id="sms|dev_1", channel="sms", destination=PHONE, now=now)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_codes_are_six_ascii_digits_drawn_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[int] = []

    def randbelow(n: int) -> int:
        draws.append(n)
        return 42

    monkeypatch.setattr(secrets, "randbelow", randbelow)

    assert new_code() == "000042"
    assert draws == [1_000_000]


def test_codes_vary_and_keep_their_format() -> None:
    drawn = {new_code() for _ in range(200)}

    assert all(re.fullmatch(r"[0-9]{6}", code) for code in drawn)
    assert len(drawn) > 190


def test_issue_stores_hashes_never_the_code_or_the_handle(
    codes: OobCodes, hasher: Callable[[str], str]
) -> None:
    issued = issue(codes)
    challenge = issued.challenge

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", issued.oob_code)
    assert challenge.code_hash == hasher(f"{challenge.id}:{issued.code}")
    assert issued.code not in challenge.code_hash
    assert challenge.handle_hash == hashlib.sha256(issued.oob_code.encode()).hexdigest()
    assert challenge.handle_hash == handle_hash(issued.oob_code)
    assert issued.code not in repr(challenge)
    assert issued.oob_code not in repr(challenge)
    assert (challenge.failures, challenge.used, challenge.superseded_by) == (0, False, None)
    assert (challenge.channel, challenge.destination) == ("sms", PHONE)


def test_a_code_hash_is_bound_to_its_challenge(codes: OobCodes) -> None:
    assert codes.code_hash("oobch_a", "123456") != codes.code_hash("oobch_b", "123456")
    assert codes.code_hash("oobch_a", "123456") != "123456"


def test_the_hash_is_keyed(tmp_path: Path) -> None:
    one = KeyRing.load_or_create(tmp_path / "one.key")
    two = KeyRing.load_or_create(tmp_path / "two.key")
    settings = OobSettings()
    first = OobCodes(
        hasher=functools.partial(one.keyed_hash, purpose="oob-code"), settings=settings
    )
    second = OobCodes(
        hasher=functools.partial(two.keyed_hash, purpose="oob-code"), settings=settings
    )

    assert first.code_hash("oobch_a", "123456") != second.code_hash("oobch_a", "123456")


def test_the_right_code_spends_the_challenge(codes: OobCodes) -> None:
    issued = issue(codes)

    spent = codes.check(issued.challenge, issued.code, now=NOW)

    assert spent == dataclasses.replace(issued.challenge, used=True)


def test_spaces_typed_in_the_code_are_ignored(codes: OobCodes) -> None:
    issued = issue(codes)
    typed = f" {issued.code[:3]} {issued.code[3:]} "

    assert codes.check(issued.challenge, typed, now=NOW).used


@pytest.mark.parametrize(
    "response", ["", "12345", "1234567", "abcdef", "12-456", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_malformed_answers_are_wrong_codes(codes: OobCodes, response: str) -> None:
    with pytest.raises(InvalidBindingCodeError):
        codes.check(issue(codes).challenge, response, now=NOW)


def test_a_wrong_code_is_refused_as_invalid_grant(codes: OobCodes) -> None:
    issued = issue(codes)

    with pytest.raises(InvalidBindingCodeError) as caught:
        codes.check(issued.challenge, other_code(issued.code), now=NOW)

    assert (caught.value.code, caught.value.description) == (
        "invalid_grant",
        "Invalid binding_code.",
    )
    assert status_of(caught.value) == 403


def test_codes_expire_after_the_ttl(codes: OobCodes) -> None:
    issued = issue(codes)
    challenge = issued.challenge

    assert challenge.expires_at == NOW + dt.timedelta(seconds=300)
    last_moment = challenge.expires_at - dt.timedelta(microseconds=1)
    assert codes.check(challenge, issued.code, now=last_moment).used
    with pytest.raises(OobCodeExpiredError) as caught:
        codes.check(challenge, issued.code, now=challenge.expires_at)
    assert (caught.value.code, status_of(caught.value)) == ("expired_token", 403)


def test_the_ttl_is_a_setting(hasher: Callable[[str], str]) -> None:
    codes = OobCodes(hasher=hasher, settings=OobSettings(code_ttl=60))

    issued = issue(codes)

    assert issued.challenge.expires_at == NOW + dt.timedelta(seconds=60)
    with pytest.raises(OobCodeExpiredError):
        codes.check(issued.challenge, issued.code, now=NOW + dt.timedelta(seconds=61))


def test_a_code_is_single_use(codes: OobCodes) -> None:
    issued = issue(codes)
    spent = codes.check(issued.challenge, issued.code, now=NOW)

    with pytest.raises(OobCodeUsedError) as caught:
        codes.check(spent, issued.code, now=NOW)
    assert (caught.value.code, status_of(caught.value)) == ("invalid_grant", 403)


def test_five_wrong_answers_kill_the_code(codes: OobCodes) -> None:
    issued = issue(codes)
    challenge = issued.challenge
    for _ in range(4):
        with pytest.raises(InvalidBindingCodeError):
            codes.check(challenge, other_code(issued.code), now=NOW)
        challenge = failed(challenge)
    assert codes.check(challenge, issued.code, now=NOW).used  # four failures: still alive

    challenge = failed(challenge)

    assert challenge.failures == 5
    with pytest.raises(TooManyOobFailuresError) as caught:
        codes.check(challenge, issued.code, now=NOW)
    assert (caught.value.code, status_of(caught.value)) == ("invalid_grant", 403)


def test_the_failure_limit_is_a_setting(hasher: Callable[[str], str]) -> None:
    codes = OobCodes(hasher=hasher, settings=OobSettings(max_failures=2))
    issued = issue(codes)

    dead = failed(failed(issued.challenge))

    with pytest.raises(TooManyOobFailuresError):
        codes.check(dead, issued.code, now=NOW)


def test_a_resend_supersedes_the_old_code(codes: OobCodes) -> None:
    first = issue(codes)
    later = NOW + dt.timedelta(seconds=30)

    old, second = codes.resend(failed(first.challenge), now=later)

    assert old.superseded_by == second.challenge.id
    with pytest.raises(OobCodeSupersededError) as caught:
        codes.check(old, first.code, now=later)
    assert (caught.value.code, status_of(caught.value)) == ("invalid_grant", 403)
    fresh = second.challenge
    assert (fresh.authenticator_id, fresh.channel, fresh.destination) == ("sms|dev_1", "sms", PHONE)
    assert (fresh.failures, fresh.created_at) == (0, later)
    assert fresh.expires_at == later + dt.timedelta(seconds=300)
    assert second.oob_code != first.oob_code
    assert fresh.id != first.challenge.id
    assert codes.check(fresh, second.code, now=later).used


def test_call_me_instead_resends_by_voice(codes: OobCodes) -> None:
    first = issue(codes)

    _, call = codes.resend(first.challenge, now=NOW, channel="voice")

    assert (call.challenge.channel, call.challenge.destination) == ("voice", PHONE)
    assert verification(codes.check(call.challenge, call.code, now=NOW)).amr == (Amr.TEL,)


def test_email_and_phone_channels_do_not_stand_in_for_each_other(codes: OobCodes) -> None:
    sms = issue(codes).challenge
    email = codes.issue(
        authenticator_id="email|dev_1", channel="email", destination="a@example.com", now=NOW
    ).challenge

    for old, channel in ((sms, "email"), (email, "sms"), (email, "voice")):
        with pytest.raises(InvalidRequestError) as caught:
            codes.resend(old, now=NOW, channel=channel)  # type: ignore[arg-type]
        assert (caught.value.code, status_of(caught.value)) == ("invalid_request", 400)
    _, again = codes.resend(email, now=NOW, channel="email")
    assert again.challenge.channel == "email"


def test_an_expired_or_dead_code_can_be_resent(codes: OobCodes) -> None:
    issued = issue(codes)
    late = issued.challenge.expires_at + dt.timedelta(seconds=1)
    dead = dataclasses.replace(issued.challenge, failures=5)

    for old in (issued.challenge, dead):
        _, again = codes.resend(old, now=late)
        assert codes.check(again.challenge, again.code, now=late).used


def test_a_used_code_is_not_resent(codes: OobCodes) -> None:
    issued = issue(codes)
    spent = codes.check(issued.challenge, issued.code, now=NOW)

    with pytest.raises(OobCodeUsedError):
        codes.resend(spent, now=NOW)


def test_only_the_latest_code_is_resent(codes: OobCodes) -> None:
    old, _ = codes.resend(issue(codes).challenge, now=NOW)

    with pytest.raises(OobCodeSupersededError):
        codes.resend(old, now=NOW)


def test_the_comparison_is_constant_time(codes: OobCodes, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = issue(codes)
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    with pytest.raises(InvalidBindingCodeError):
        codes.check(issued.challenge, other_code(issued.code), now=NOW)
    codes.check(issued.challenge, issued.code, now=NOW)

    stored = issued.challenge.code_hash.encode()
    assert [b for _, b in compared] == [stored, stored]
    assert compared[1][0] == stored


def test_what_each_channel_proves() -> None:
    assert dict(AMR) == {"sms": (Amr.SMS,), "voice": (Amr.TEL,), "email": ()}
    assert set(AMR) == set(CHANNELS)


def test_refusals_never_carry_the_code(codes: OobCodes) -> None:
    issued = issue(codes)
    wrong = other_code(issued.code)
    refusals: list[TwofoldError] = []
    for challenge, response in (
        (issued.challenge, wrong),
        (dataclasses.replace(issued.challenge, used=True), issued.code),
        (dataclasses.replace(issued.challenge, failures=5), issued.code),
    ):
        with pytest.raises(TwofoldError) as caught:
            codes.check(challenge, response, now=NOW)
        refusals.append(caught.value)

    assert all(issued.code not in str(e) and wrong not in str(e) for e in refusals)


def test_challenges_are_frozen(codes: OobCodes) -> None:
    challenge: OobChallenge = issue(codes).challenge

    with pytest.raises(dataclasses.FrozenInstanceError):
        challenge.used = True  # type: ignore[misc]
