"""Verify the audit hash chains end to end (audit layer; the SQL is in store/repos/audit.py).

Each chain is walked in seq order, in batches of short read transactions, so verify can run
against a live server: events appended meanwhile are picked up before the head is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twofold.domain import AuditRecord
from twofold.store.repos import audit as audit_log
from twofold.store.uow import Store

HASH_MISMATCH = "hash mismatch (row altered)"
PREV_MISMATCH = "prev_hash does not match"
SEQ_GAP = "sequence gap (row deleted)"
TAIL_TRUNCATED = "head does not match last event (tail truncated)"
TAIL_ALTERED = "head does not match last event (tail altered)"
BEYOND_HEAD = "event beyond the chain head (row inserted)"
NO_HEAD = "chain has no head (head row deleted)"

BATCH = 1000
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """Where a chain breaks. For a gap or a bad row, the row found there; for a head that
    points past the events (tail truncated), the last event still present, or None."""

    event_id: int | None
    chain: int
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    checked: int
    """Events examined (every event when ok)."""
    first_broken: BrokenLink | None
    """Of every chain's first break, the one with the lowest event id."""


async def verify(
    store: Store, *, progress: Progress | None = None, batch: int = BATCH
) -> VerifyReport:
    """Recompute every hash, follow every prev_hash link, check seq continuity and that each
    chain's head row matches its last event."""
    async with store.read() as tx:
        total = await audit_log.count(tx.conn)
        numbers = await audit_log.chains(tx.conn)
    walker = _Walker(store, total=total, progress=progress, batch=batch)
    broken = [link for chain in numbers if (link := await walker.chain(chain)) is not None]
    first = min(broken, key=_position, default=None)
    return VerifyReport(ok=first is None, checked=walker.checked, first_broken=first)


def _position(link: BrokenLink) -> tuple[bool, int, int]:
    return (link.event_id is None, link.event_id or 0, link.chain)


class _Cursor:
    """How far one chain has been walked, and the link the next event must carry."""

    def __init__(self) -> None:
        self.last: AuditRecord | None = None
        self.broken: BrokenLink | None = None

    @property
    def seq(self) -> int:
        return self.last.seq if self.last else 0

    @property
    def hash(self) -> str:
        return self.last.hash if self.last else audit_log.GENESIS

    def step(self, record: AuditRecord) -> bool:
        """Check `record` as the next link; False (and `broken` set) if it is not."""
        reason = None
        if record.seq != self.seq + 1:
            reason = SEQ_GAP
        elif audit_log.record_hash(record) != record.hash:
            reason = HASH_MISMATCH
        elif record.prev_hash != self.hash:
            reason = PREV_MISMATCH
        if reason is not None:
            self.broken = BrokenLink(record.id, record.chain, record.seq, reason)
            return False
        self.last = record
        return True

    def at_end(self, chain: int, reason: str) -> BrokenLink:
        return BrokenLink(self.last.id if self.last else None, chain, self.seq, reason)


class _Walker:
    def __init__(self, store: Store, *, total: int, progress: Progress | None, batch: int) -> None:
        self._store = store
        self._total = total
        self._progress = progress
        self._batch = batch
        self.checked = 0

    async def chain(self, chain: int) -> BrokenLink | None:
        cursor = _Cursor()
        await self._walk(chain, cursor)
        while cursor.broken is None:
            async with self._store.read() as tx:
                head = await audit_log.head(tx.conn, chain)
            # A head ahead of the walk means events committed since, or a truncated tail.
            if head is None or head.seq <= cursor.seq or not await self._walk(chain, cursor):
                return cursor.broken or await self._compare(chain, cursor, head)
        return cursor.broken

    async def _walk(self, chain: int, cursor: _Cursor) -> int:
        """Follow the chain from the cursor to its current end; the number of events read."""
        walked = 0
        while True:
            async with self._store.read() as tx:
                rows = await audit_log.chain_batch(
                    tx.conn, chain=chain, after_seq=cursor.seq, limit=self._batch
                )
            for record in rows:
                self.checked += 1
                walked += 1
                if not cursor.step(record):
                    return walked
            if self._progress is not None:
                self._progress(self.checked, max(self._total, self.checked))
            if len(rows) < self._batch:
                return walked

    async def _compare(
        self, chain: int, cursor: _Cursor, head: audit_log.ChainHead | None
    ) -> BrokenLink | None:
        if head is None:
            return cursor.at_end(chain, NO_HEAD)
        if head.seq > cursor.seq:
            return cursor.at_end(chain, TAIL_TRUNCATED)
        if head.seq == cursor.seq:
            return None if head.hash == cursor.hash else cursor.at_end(chain, TAIL_ALTERED)
        async with self._store.read() as tx:
            beyond = await audit_log.chain_batch(tx.conn, chain=chain, after_seq=head.seq, limit=1)
        if not beyond:
            return cursor.at_end(chain, BEYOND_HEAD)
        return BrokenLink(beyond[0].id, chain, beyond[0].seq, BEYOND_HEAD)
