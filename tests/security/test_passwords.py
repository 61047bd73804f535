"""argon2id password hashes, computed off the event loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twofold.config import PasswordSettings
from twofold.security.passwords import PasswordHasher, is_encodable

CHEAP = PasswordSettings(time_cost=1, memory_kib=8, parallelism=1)
LONE_SURROGATE = "pass\ud800word"


@pytest.fixture
def hasher() -> Iterator[PasswordHasher]:
    hasher = PasswordHasher(CHEAP, workers=2)
    yield hasher
    hasher.close()


async def test_hash_is_argon2id_with_the_configured_cost(hasher: PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert "correct horse battery" not in stored
    assert await hasher.hash("correct horse battery") != stored  # salted


async def test_verify_accepts_the_password_and_refuses_others(hasher: PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery")
    assert await hasher.verify(stored, "correct horse battery") is True
    assert await hasher.verify(stored, "correct horse batterY") is False
    assert await hasher.verify(stored, "") is False


async def test_a_lone_surrogate_is_refused(hasher: PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery")
    assert is_encodable(LONE_SURROGATE) is False
    assert is_encodable("pässwörd ✓") is True
    assert await hasher.verify(stored, LONE_SURROGATE) is False
    with pytest.raises(ValueError, match="not valid Unicode"):
        await hasher.hash(LONE_SURROGATE)


@pytest.mark.parametrize(
    "stored", ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$garbage", "$2b$12$" + "a" * 53]
)
async def test_a_garbage_stored_hash_verifies_nothing(hasher: PasswordHasher, stored: str) -> None:
    assert await hasher.verify(stored, "correct horse battery") is False
    assert hasher.needs_rehash(stored) is True


@pytest.mark.parametrize("password", ["twofold-timing-equaliser", "", LONE_SURROGATE])
async def test_verify_missing_user_never_raises(hasher: PasswordHasher, password: str) -> None:
    """It returns no verdict, whatever the password (even the dummy's own), so a caller
    cannot branch on it; raising would make a missing user answer differently."""
    await hasher.verify_missing_user(password)


async def test_needs_rehash_after_the_cost_was_raised(hasher: PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery")
    assert hasher.needs_rehash(stored) is False
    stronger = PasswordHasher(PasswordSettings(time_cost=2, memory_kib=16, parallelism=1))
    try:
        assert stronger.needs_rehash(stored) is True
        assert await stronger.verify(stored, "correct horse battery") is True
        assert stronger.needs_rehash(await stronger.hash("correct horse battery")) is False
    finally:
        stronger.close()
