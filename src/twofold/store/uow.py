"""One transaction per flow call: repositories over one connection, audit chained at commit."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from twofold.domain import AuditEntry
from twofold.store.db import READ_ONLY, begin_write, tracking
from twofold.store.repos import audit
from twofold.store.repos.applications import ApplicationRepo
from twofold.store.repos.authenticators import AuthenticatorRepo
from twofold.store.repos.devices import KnownDeviceRepo
from twofold.store.repos.keys import SigningKeyRepo
from twofold.store.repos.oidc import (
    AuthorizationCodeRepo,
    AuthorizationRequestRepo,
    GrantRepo,
    RefreshTokenRepo,
)
from twofold.store.repos.oob import OobChallengeRepo
from twofold.store.repos.policy import PolicyRuleRepo
from twofold.store.repos.push_devices import PushDeviceRepo
from twofold.store.repos.push_enrolments import PushEnrolmentRepo
from twofold.store.repos.push_transactions import PushTransactionRepo
from twofold.store.repos.sessions import RememberedBrowserRepo, SessionRepo
from twofold.store.repos.tenant import TenantRepo
from twofold.store.repos.transactions import MfaTransactionRepo
from twofold.store.repos.users import UserRepo
from twofold.store.repos.webauthn import WebauthnChallengeRepo
from twofold.types import Clock


class Tx:
    """The repositories of one transaction, plus the audit events it will append."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.users = UserRepo(conn)
        self.applications = ApplicationRepo(conn)
        self.authenticators = AuthenticatorRepo(conn)
        self.transactions = MfaTransactionRepo(conn)
        self.keys = SigningKeyRepo(conn)
        self.tenant = TenantRepo(conn)
        self.sessions = SessionRepo(conn)
        self.remembered = RememberedBrowserRepo(conn)
        self.authorizations = AuthorizationRequestRepo(conn)
        self.grants = GrantRepo(conn)
        self.codes = AuthorizationCodeRepo(conn)
        self.refresh_tokens = RefreshTokenRepo(conn)
        self.oob = OobChallengeRepo(conn)
        self.webauthn = WebauthnChallengeRepo(conn)
        self.policy_rules = PolicyRuleRepo(conn)
        self.known_devices = KnownDeviceRepo(conn)
        self.push_enrolments = PushEnrolmentRepo(conn)
        self.push_devices = PushDeviceRepo(conn)
        self.push_transactions = PushTransactionRepo(conn)
        self.audit = audit.AuditRepo(conn)
        self._events: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        """Queue an audit event; it is chained and written just before commit."""
        self._events.append(entry)

    @property
    def pending_events(self) -> list[AuditEntry]:
        return list(self._events)


class Store:
    def __init__(self, engine: AsyncEngine, *, clock: Clock, audit_chains: int) -> None:
        self.engine = engine
        self._clock = clock
        self._chains = audit_chains

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Commit on normal exit (appending queued audit events last), roll back on error.

        Appending last keeps the audit chain's head row locked only from the append to the
        commit, and a random chain spreads concurrent writers over several head rows.
        """
        async with begin_write(self.engine) as conn, tracking(conn):
            tx = Tx(conn)
            yield tx
            if tx.pending_events:
                await audit.append(
                    conn,
                    tx.pending_events,
                    chain=secrets.randbelow(self._chains),
                    now=self._clock.now(),
                )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only transaction (deferred on SQLite, so it does not queue behind writers)."""
        async with self.engine.connect() as plain:
            conn = await plain.execution_options(**{READ_ONLY: True})
            async with conn.begin(), tracking(conn):
                yield Tx(conn)

    async def ping(self) -> bool:
        """Whether the database answers (for `/healthz`)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True
