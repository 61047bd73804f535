"""Administrator actions: MFA reset, recovery-code regeneration, unblocking, key rotation."""

from __future__ import annotations

from collections.abc import Callable

from twofold.audit import events
from twofold.errors import NotFoundError
from twofold.flows.enrolment import issue_recovery_code
from twofold.flows.login import first_factor_key
from twofold.flows.runtime import Runtime
from twofold.flows.sealing import unseal


async def reset_mfa(rt: Runtime, user_id: str, *, actor: str) -> int:
    """Remove every authenticator and recovery code, and end everything an earlier MFA
    vouched for: open MFA transactions, browser sessions, remembered browsers and the
    refresh-token families (ADR 006) — at once, on every node, since all live in the store."""
    async with rt.store.transaction() as tx:
        user = await tx.users.get(user_id)
        if user is None:
            raise NotFoundError("The user does not exist.")
        removed = await tx.authenticators.delete_for_user(user.id)
        await tx.transactions.delete_for_user(user.id)
        sessions = await tx.sessions.delete_for_user(user.id)
        browsers = await tx.remembered.delete_for_user(user.id)
        grants = await tx.grants.revoke_for_user(user.id, now=rt.clock.now(), reason="mfa_reset")
        tx.record(
            events.MfaReset(
                user_id=user.id,
                actor=actor,
                removed=removed,
                sessions_ended=sessions,
                browsers_forgotten=browsers,
                grants_revoked=grants,
            ).entry()
        )
    return removed


async def delete_authentication_method(
    rt: Runtime, user_id: str, method_id: str, *, actor: str
) -> None:
    async with rt.store.transaction() as tx:
        item = await tx.authenticators.get(method_id, user_id=user_id)
        if item is None or not await tx.authenticators.delete(item.id, user_id=user_id):
            raise NotFoundError("The authentication method does not exist.")
        tx.record(
            events.Unenrolled(
                user_id=user_id,
                actor=actor,
                authenticator_id=item.id,
                factor=item.type.value,
                client_id=None,
                ip=None,
                user_agent=None,
            ).entry()
        )


async def regenerate_recovery_code(rt: Runtime, user_id: str, *, actor: str) -> str:
    """Replace the user's recovery code with a new one (returned once, stored hashed)."""
    async with rt.store.transaction() as tx:
        user = await tx.users.get(user_id)
        if user is None:
            raise NotFoundError("The user does not exist.")
        code = await issue_recovery_code(rt, tx, user.id, active=True)
        tx.record(events.RecoveryCodeRegenerated(user_id=user.id, actor=actor).entry())
    return code


async def unblock_user(rt: Runtime, user_id: str, *, actor: str) -> int:
    """Lift the first-factor (user, IP) blocks and the per-user factor buckets."""
    async with rt.store.read() as tx:
        user = await tx.users.get(user_id)
    if user is None:
        raise NotFoundError("The user does not exist.")
    removed = await rt.limiter.reset_prefix(
        first_factor_key(user.email, None).rsplit(":", 1)[0] + ":"
    )
    for key in (f"otp:{user.id}", f"rc:{user.id}"):
        await rt.limiter.reset(key)
    async with rt.store.transaction() as tx:
        tx.record(events.UserBlockRemoved(user_id=user.id, actor=actor).entry())
    return removed


async def rotate_keys(
    rt: Runtime, *, actor: str = "cli", progress: Callable[[int, int], None] | None = None
) -> int:
    """Add a new master key and re-wrap every secret under it, then retire the old keys.

    Each secret's data key is re-wrapped (the payload is untouched) and committed in batches,
    so an interrupted rotation can simply be run again: old keys stay until the end.
    """
    new_kid = rt.keyring.add_key()
    async with rt.store.read() as tx:
        total = await tx.authenticators.count_encrypted() + len(await tx.keys.all())
        rows = [item async for item in tx.authenticators.encrypted()]
    done = 0
    for start in range(0, len(rows), 500):
        async with rt.store.transaction() as tx:
            for authenticator_id, blob in rows[start : start + 500]:
                unseal(rt, authenticator_id, blob)  # proves the blob is intact before re-wrapping
                await tx.authenticators.set_secret(
                    authenticator_id, rt.keyring.rewrap(blob), key_id=new_kid
                )
                done += 1
        if progress:
            progress(done, total)
    async with rt.store.transaction() as tx:
        for key in await tx.keys.all():
            await tx.keys.set_private_key(
                key.kid, rt.keyring.rewrap(key.private_key), key_id=new_kid
            )
            done += 1
        tx.record(events.KeyRotation(actor=actor, new_key_id=new_kid, reencrypted=done).entry())
    if progress:
        progress(done, total)
    for kid in rt.keyring.kids():
        if kid != new_kid:
            rt.keyring.remove_key(kid)
    return done
