"""The example's own browser sessions: a random cookie naming an entry in process memory.

Enough for one process (a real app would use its database or Redis). The cookie changes at
sign-in, so a session id planted before it is worthless after (no session fixation).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from examples.stepup_app.oidc import PendingSignIn, SignIn

COOKIE = "stepup_session"
IDLE_TIMEOUT = 8 * 3600
PENDING_TTL = 600
"""A sign-in must come back from Twofold within ten minutes."""
MAX_PENDING = 5
"""Sign-ins started in other tabs; the oldest is dropped beyond this."""


@dataclass(slots=True)
class BrowserSession:
    id: str
    touched_at: float
    sign_in: SignIn | None = None
    pending: dict[str, PendingSignIn] = field(default_factory=dict)


class SessionStore:
    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._sessions: dict[str, BrowserSession] = {}

    def get(self, session_id: str | None) -> BrowserSession | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        now = self._clock()
        if now - session.touched_at > IDLE_TIMEOUT:
            del self._sessions[session.id]
            return None
        session.touched_at = now
        return session

    def start(self) -> BrowserSession:
        self._purge()
        session = BrowserSession(id=secrets.token_urlsafe(32), touched_at=self._clock())
        self._sessions[session.id] = session
        return session

    def sign_in(self, session: BrowserSession, sign_in: SignIn) -> BrowserSession:
        """The same session's data under a new id, now holding the user."""
        del self._sessions[session.id]
        renewed = self.start()
        renewed.pending = session.pending
        renewed.sign_in = sign_in
        return renewed

    def end(self, session: BrowserSession) -> None:
        self._sessions.pop(session.id, None)

    def remember(self, session: BrowserSession, pending: PendingSignIn) -> None:
        while len(session.pending) >= MAX_PENDING:
            oldest = min(session.pending.values(), key=lambda item: item.started_at)
            del session.pending[oldest.state]
        session.pending[pending.state] = pending

    def take(self, session: BrowserSession, state: str) -> PendingSignIn | None:
        """The pending sign-in `state` names, once: a replayed callback finds nothing."""
        pending = session.pending.pop(state, None)
        if pending is None or self._clock() - pending.started_at > PENDING_TTL:
            return None
        return pending

    def _purge(self) -> None:
        now = self._clock()
        idle = [key for key, item in self._sessions.items() if now - item.touched_at > IDLE_TIMEOUT]
        for key in idle:
            del self._sessions[key]
