"""Password hashing with argon2id, off the event loop.

argon2 at the default cost takes tens of milliseconds of CPU and 64 MiB; run on the event loop
it would stall every other request. The bindings release the GIL, so a small thread pool
(one thread per core) gives real parallelism and bounds the memory in use at once.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from twofold.config import PasswordSettings


def is_encodable(password: str) -> bool:
    """False for strings holding lone surrogates, which no client can have typed."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class PasswordHasher:
    def __init__(self, settings: PasswordSettings, *, workers: int | None = None) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_kib,
            parallelism=settings.parallelism,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 2, thread_name_prefix="argon2"
        )
        # Verified when the user does not exist, so that answer costs the same time.
        self._dummy = self._hasher.hash("twofold-timing-equaliser")

    async def hash(self, password: str) -> str:
        if not is_encodable(password):
            raise ValueError("the password is not valid Unicode text")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify_sync, stored_hash, password)

    async def verify_missing_user(self, password: str) -> None:
        """Spend one verification's time for a user who does not exist; always fails."""
        await self.verify(self._dummy, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        """True after the cost settings were raised; login re-hashes such passwords."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def _verify_sync(self, stored_hash: str, password: str) -> bool:
        if not is_encodable(password):
            return False
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
