"""My MFA settings (B2C self-service): what a signed-in user may see and change about their
own authenticators, recovery code and remembered browsers. Transport-free; the pages in
`web/routes/account.py` only render and redirect.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Authenticator, RememberedBrowser, User
from twofold.errors import AccessDeniedError, InvalidRequestError, NotFoundError
from twofold.flows import admin, authenticators, sessions
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import current_policies
from twofold.policy.engine import decide_tenant
from twofold.types import AuthenticatorStatus, FactorType, UserId

NAME_MAX = 60


class LastFactorError(AccessDeniedError):
    description = (
        "This is your only authenticator and this account requires multi-factor "
        "authentication. Add another authenticator before you remove this one."
    )


class NoRecoveryCodeError(InvalidRequestError):
    description = "You have no recovery code yet: one is issued with your first authenticator."


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the settings page lists, read in one transaction."""

    user: User
    authenticators: tuple[Authenticator, ...]
    """Active authenticators that can be challenged (never the recovery code)."""
    recovery_code: Authenticator | None
    browsers: tuple[RememberedBrowser, ...]
    """Remembered browsers that would still be honoured (expired and idle ones left out)."""

    @property
    def has_factor(self) -> bool:
        return bool(self.authenticators)


def _is_factor(item: Authenticator) -> bool:
    return item.status == AuthenticatorStatus.ACTIVE and item.type != FactorType.RECOVERY_CODE


def _is_recovery_code(item: Authenticator) -> bool:
    return item.status == AuthenticatorStatus.ACTIVE and item.type == FactorType.RECOVERY_CODE


def _is_live(rt: Runtime, item: RememberedBrowser) -> bool:
    """The rule `sessions.remembered_for` applies: 30 days made, 7 days unused."""
    now = rt.clock.now()
    idle = dt.timedelta(days=rt.settings.sessions.remember_idle_days)
    return now < item.expires_at and now < item.last_used_at + idle


async def overview(rt: Runtime, user_id: UserId) -> Overview:
    async with rt.store.read() as tx:
        user, items = await tx.users.with_authenticators(user_id)
        browsers = await tx.remembered.for_user(user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    return Overview(
        user=user,
        authenticators=tuple(a for a in items if _is_factor(a)),
        recovery_code=next((a for a in items if _is_recovery_code(a)), None),
        browsers=tuple(b for b in browsers if _is_live(rt, b)),
    )


def valid_name(raw: str | None) -> str:
    """A name as typed, trimmed: 1 to 60 characters, no control or format characters."""
    name = (raw or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidRequestError(f"A name must be 1 to {NAME_MAX} characters long.")
    # Control and format characters (bidi overrides, zero-width) would let a name disguise
    # itself, or another row, on the page.
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in name):
        raise InvalidRequestError("A name cannot contain control characters.")
    return name


async def rename(
    rt: Runtime, user_id: UserId, authenticator_id: str, raw_name: str | None, info: RequestInfo
) -> str:
    """Name one of the user's own authenticators; another user's id is simply not found."""
    name = valid_name(raw_name)
    async with rt.store.transaction() as tx:
        item = await tx.authenticators.get(authenticator_id, user_id=user_id)
        if item is None or not _is_factor(item):
            raise NotFoundError("Authenticator not found.")
        await tx.authenticators.rename(item.id, user_id=user_id, name=name)
        tx.record(
            events.AuthenticatorRenamed(
                user_id=user_id,
                client_id=None,
                ip=info.ip,
                user_agent=info.user_agent,
                authenticator_id=item.id,
                factor=item.type.value,
            ).entry()
        )
    return name


async def remove(
    rt: Runtime, user_id: UserId, authenticator_id: str, info: RequestInfo
) -> Authenticator:
    """Remove one authenticator, unless it is the last one and the tenant policy requires MFA.

    The recovery code stays when the last authenticator goes, as in Auth0: it is worth
    nothing without a factor (a user with none is sent to enrol), and the code the user wrote
    down still works once they enrol again. It is never removed here, only regenerated.
    """
    async with rt.store.transaction() as tx:
        items = await tx.authenticators.for_user(user_id)
        item = next((a for a in items if a.id == authenticator_id), None)
        if item is None:
            raise NotFoundError("Authenticator not found.")
        if item.type == FactorType.RECOVERY_CODE:
            raise InvalidRequestError("The recovery code cannot be removed; regenerate it.")
        others = [a for a in items if _is_factor(a) and a.id != item.id]
        if (
            _is_factor(item)
            and not others
            and decide_tenant(await current_policies(tx, rt.settings.policy)).mfa_required
        ):
            raise LastFactorError
        await authenticators.remove(tx, item, actor=user_id, client_id=None, info=info)
    return item


async def regenerate_recovery_code(rt: Runtime, user_id: UserId) -> str:
    """A new recovery code, shown once; the old one stops working at the same commit.

    Only for a user who has a code or a factor: a code alone would protect nothing.
    """
    found = await overview(rt, user_id)
    if found.recovery_code is None and not found.has_factor:
        raise NoRecoveryCodeError
    return await admin.regenerate_recovery_code(rt, user_id, actor=user_id)


async def forget_browser(
    rt: Runtime, user_id: UserId, remembered_id: str, info: RequestInfo
) -> None:
    if not await sessions.forget_browser(rt, user_id, remembered_id, info):
        raise NotFoundError("That browser is not remembered.")


async def forget_all_browsers(rt: Runtime, user_id: UserId, info: RequestInfo) -> int:
    """Forget every browser remembered for the user, each audited as its own removal."""
    async with rt.store.read() as tx:
        items = await tx.remembered.for_user(user_id)
    forgotten = 0
    for item in items:
        forgotten += await sessions.forget_browser(rt, user_id, item.id, info)
    return forgotten
