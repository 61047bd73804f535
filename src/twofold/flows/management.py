"""Management API use cases (transport-free): Auth0-shaped users and authentication methods,
user search, Guardian factors, MFA policies and first-factor blocks."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.audit.sinks import to_auth0_log
from twofold.domain import Authenticator, JsonObject, Page, User
from twofold.errors import InvalidRequestError, NotFoundError
from twofold.factors.registry import FACTOR_NAMES
from twofold.flows.grants import DEFAULT_REALM
from twofold.flows.login import first_factor_key
from twofold.flows.runtime import Runtime
from twofold.flows.tenant import current_policies, enabled_factors
from twofold.flows.webauthn_state import WEBAUTHN_TYPES, credential_of
from twofold.policy.engine import POLICY_KEY, validate_policies
from twofold.store.repos import audit as audit_log
from twofold.types import AuthenticatorStatus, FactorType

ID = re.compile(r"[A-Za-z0-9|._@:-]{1,100}")
"""What a user, method or log id can look like; anything else cannot exist (404, no query)."""
CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

METHOD_TYPES = {
    FactorType.OTP: "totp",
    FactorType.RECOVERY_CODE: "recovery-code",
    FactorType.WEBAUTHN_ROAMING: "webauthn-roaming",
    FactorType.WEBAUTHN_PLATFORM: "webauthn-platform",
    FactorType.DUO: "duo",
}
"""Auth0's authentication-method types; `oob` ones are named by their channel below."""
OOB_METHOD_TYPES = {"sms": "phone", "voice": "phone", "email": "email", "auth0": "push"}


def timestamp(moment: dt.datetime) -> str:
    """Auth0's format: UTC with milliseconds and a `Z`."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def plain_text(value: str, name: str) -> str:
    """Refuse control characters and lone surrogates: no store keeps them, no query needs them."""
    if CONTROL.search(value):
        raise InvalidRequestError(f"{name} must not contain control characters.")
    return value


def unicode_text(value: str, name: str) -> str:
    """Refuse lone surrogates (JSON can carry them; UTF-8, hashes and stores cannot)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(f"{name} must be valid Unicode.") from exc
    return value


MAX_METADATA = 16 * 1024


def metadata(value: JsonObject | None, name: str) -> JsonObject:
    """Metadata must be storable and bounded: valid UTF-8 (no lone surrogates), 16 KiB at most."""
    try:
        size = len(json.dumps(value or {}, ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(f"{name} must be valid Unicode.") from exc
    if size > MAX_METADATA:
        raise InvalidRequestError(f"{name} must be at most 16 KiB of JSON.")
    return dict(value or {})


def user_json(user: User) -> JsonObject:
    return {
        "user_id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
        "identities": [
            {
                "connection": DEFAULT_REALM,
                "user_id": user.id.split("|", 1)[-1],
                "provider": "auth0",
                "isSocial": False,
            }
        ],
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "last_login": timestamp(user.last_login) if user.last_login else None,
        "logins_count": user.logins_count,
    }


def method_type(item: Authenticator) -> str:
    """Auth0's type name. A WebAuthn credential that is discoverable can sign its user in
    without a password, so it is a `passkey`; any other keeps its factor's name."""
    if item.type in WEBAUTHN_TYPES and item.params.get("discoverable") is True:
        return "passkey"
    return METHOD_TYPES.get(item.type) or OOB_METHOD_TYPES.get(item.oob_channel or "", "oob")


def webauthn_json(item: Authenticator) -> JsonObject:
    """Auth0's WebAuthn fields: the credential id (`key_id`), the model, and whether it may
    be (`multi_device`) and is now (`credential_backed_up`) synced."""
    credential = credential_of(item)
    return {
        "key_id": item.params["credential_id"],
        "aaguid": credential.aaguid,
        "credential_device_type": "multi_device" if credential.backup_eligible else "single_device",
        "credential_backed_up": credential.backed_up,
    }


def method_json(item: Authenticator) -> JsonObject:
    kind = method_type(item)
    body: JsonObject = {
        "id": item.id,
        "type": kind,
        "confirmed": item.status == AuthenticatorStatus.ACTIVE,
        "created_at": timestamp(item.created_at),
    }
    if item.name:
        body["name"] = item.name
    if item.confirmed_at:
        body["enrolled_at"] = timestamp(item.confirmed_at)
    if item.last_used_at:
        body["last_auth_at"] = timestamp(item.last_used_at)
    if item.type != FactorType.RECOVERY_CODE:
        body["authentication_methods"] = [{"id": item.id, "type": kind}]
    if item.type in WEBAUTHN_TYPES:
        body |= webauthn_json(item)
    return body


@dataclass(frozen=True, slots=True)
class UserQuery:
    """A parsed `q`: which fields to match and how (`exact` for a quoted value)."""

    term: str | None
    fields: tuple[str, ...] = ("email", "name")
    exact: bool = False


USER_QUERY = r"^(?:(?:email|name):[^\x00-\x1f\x7f]*|[^:\x00-\x1f\x7f]*)$"
"""The user search grammar (also the OpenAPI `pattern` of `q`, so both agree)."""


def parse_user_query(q: str | None) -> UserQuery:
    """Auth0's Lucene forms `email:"a@b.c"` (exact) and `name:jo*`, or a bare term (no `:`)."""
    text = plain_text(q, "q").strip() if q else ""
    if not re.fullmatch(USER_QUERY, text):
        raise InvalidRequestError('q is email:"...", name:... or a bare term without ":".')
    field, colon, value = text.partition(":")
    if not colon:
        return UserQuery(term=text.strip('"').strip() or None)
    value = value.strip()
    quoted = len(value) >= 2 and value[0] == value[-1] == '"'
    term = value[1:-1] if quoted else value
    return UserQuery(term=term or None, fields=(field,), exact=quoted and "*" not in term)


async def search_users(rt: Runtime, q: str | None, *, page: int, per_page: int) -> Page[User]:
    query = parse_user_query(q)
    async with rt.store.read() as tx:
        return await tx.users.search(
            q=query.term, page=page, per_page=per_page, fields=query.fields, exact=query.exact
        )


async def get_user(rt: Runtime, user_id: str) -> User:
    user = None
    if ID.fullmatch(user_id):
        async with rt.store.read() as tx:
            user = await tx.users.get(user_id)
    if user is None:
        raise NotFoundError("The user does not exist.")
    return user


async def users_by_email(rt: Runtime, email: str) -> list[User]:
    async with rt.store.read() as tx:
        user = await tx.users.by_email(plain_text(email, "email"))
    return [user] if user else []


async def authentication_methods(rt: Runtime, user_id: str) -> list[Authenticator]:
    """A user's methods, oldest first; 404 when the user does not exist (not an empty list)."""
    await get_user(rt, user_id)
    async with rt.store.read() as tx:
        return await tx.authenticators.for_user(user_id)


async def authentication_method(rt: Runtime, user_id: str, method_id: str) -> Authenticator:
    await get_user(rt, user_id)
    item = None
    if ID.fullmatch(method_id):
        async with rt.store.read() as tx:
            item = await tx.authenticators.get(method_id, user_id=user_id)
    if item is None:
        raise NotFoundError("The authentication method does not exist.")
    return item


async def guardian_factors(rt: Runtime) -> list[JsonObject]:
    """Every Auth0 factor name, in Auth0's order, with whether this tenant enables it."""
    async with rt.store.read() as tx:
        enabled = await enabled_factors(tx)
    return [
        {"name": name, "enabled": enabled.get(name, False), "trial_expired": False}
        for name in FACTOR_NAMES
    ]


async def set_guardian_factor(rt: Runtime, name: str, *, enabled: bool, actor: str) -> bool:
    """Enabling a factor Twofold does not implement yet is refused: users could not use it."""
    factor = FACTOR_NAMES.get(name)
    if factor is None:
        raise NotFoundError("The factor does not exist.")
    if enabled and not factor.implemented:
        raise InvalidRequestError(
            f"The {name} factor is not available in this version of Twofold; it cannot be enabled."
        )
    async with rt.store.transaction() as tx:
        await tx.tenant.set_factor(name, enabled=enabled)
        tx.record(
            events.TenantUpdate(
                actor=actor, setting=f"guardian.factors.{name}", value={"enabled": enabled}
            ).entry()
        )
    return enabled


async def mfa_policies(rt: Runtime) -> list[str]:
    async with rt.store.read() as tx:
        return list(await current_policies(tx, rt.settings.policy))


async def set_mfa_policies(rt: Runtime, value: object, *, actor: str) -> list[str]:
    """`[]` never, `["all-applications"]` always, `["confidence-score"]` adaptive (stored)."""
    policies = validate_policies(value)
    async with rt.store.transaction() as tx:
        await tx.tenant.put(POLICY_KEY, policies)
        tx.record(
            events.TenantUpdate(actor=actor, setting="guardian.policies", value=policies).entry()
        )
    return policies


async def invalidate_remember_browser(rt: Runtime, user_id: str, *, actor: str) -> None:
    """Forget every browser the user ticked "remember this browser" on (MFA asked again)."""
    user = await get_user(rt, user_id)
    async with rt.store.transaction() as tx:
        await tx.remembered.delete_for_user(user.id)
        tx.record(events.RememberBrowserInvalidated(user_id=user.id, actor=actor).entry())


async def user_blocks(rt: Runtime, user_id: str) -> list[dict[str, str]]:
    """The (email, IP) pairs whose first-factor failures are blocked right now."""
    user = await get_user(rt, user_id)
    prefix = first_factor_key(user.email, None).rsplit(":", 1)[0] + ":"
    keys = await rt.limiter.blocked(prefix, now=rt.clock.now())
    return [{"identifier": user.email, "ip": key.removeprefix(prefix)} for key in sorted(keys)]


def page_json(key: str, page: Page[Any], items: list[JsonObject]) -> JsonObject:
    """Auth0's `include_totals=true` envelope."""
    return {
        key: items,
        "start": page.page * page.per_page,
        "limit": page.per_page,
        "length": len(items),
        "total": page.total,
    }


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A parsed logs `q`: Auth0's Lucene subset of AND-ed `field:value` clauses."""

    user_id: str | None = None
    types: tuple[str, ...] = ()
    client_id: str | None = None
    ip: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


_VALUE = r'(?:"[^"\x00-\x1f\x7f]*"|[^ "()\[\]:\x00-\x1f\x7f]+)'
_DATE = (
    r"(?:[1-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?Z?"
)
LOG_CLAUSE = (
    rf"(?:date:\[(?:\*|{_DATE}) TO (?:\*|{_DATE})\]"
    rf"|type:\( *{_VALUE}(?: +OR +{_VALUE})* *\)"
    rf"|(?:type|user_id|client_id|ip):{_VALUE})"
)
LOG_QUERY = rf"^ *(?:{LOG_CLAUSE}(?:(?: +AND)? +{LOG_CLAUSE})*)? *$"
"""The logs `q` grammar (also the OpenAPI `pattern` of `q`, so both agree)."""


def _moment(value: str) -> dt.datetime | None:
    """A UTC date or time; a day past the month's end rolls over (Feb 30 is Mar 2)."""
    if value == "*":
        return None
    date, _, time = value.rstrip("Z").partition("T")
    year, month, day = (int(part) for part in date.split("-"))
    clock = [int(part) for part in time.split(":")] if time else []
    hour, minute, second = [*clock, 0, 0, 0][:3]
    start = dt.datetime(year, month, 1, hour, minute, second, tzinfo=dt.UTC)
    return start + dt.timedelta(days=day - 1)


def _unquote(value: str) -> str:
    return value[1:-1] if value.startswith('"') else value


def parse_log_query(q: str | None) -> LogQuery:
    """AND-ed clauses: `type:gd_auth_succeed`, `type:(gd_a OR gd_b)`, `user_id:"auth0|..."`,
    `client_id:...`, `ip:...`, `date:[2026-01-01 TO 2026-02-01T12:00]` (UTC, `*` for open)."""
    text = plain_text(q, "q") if q else ""
    if not re.fullmatch(LOG_QUERY, text):
        raise InvalidRequestError(
            "q is AND-ed clauses: type:, type:(a OR b), user_id:, client_id:, ip:, date:[a TO b]."
        )
    found: dict[str, Any] = {}
    for match in re.finditer(LOG_CLAUSE, text):
        field, _, value = match.group().partition(":")
        if field == "date":
            since, until = value[1:-1].split(" TO ")
            found["since"], found["until"] = _moment(since), _moment(until)
        elif field == "type":
            # The grammar alternates value, OR, value... inside the parentheses.
            words = re.findall(_VALUE, value[1:-1])[::2] if value.startswith("(") else [value]
            found["types"] = tuple(_unquote(word) for word in words)
        else:
            found[field] = _unquote(value)
    return LogQuery(**found)


async def search_logs(
    rt: Runtime,
    query: LogQuery,
    *,
    page: int,
    per_page: int,
    ascending: bool,
) -> Page[JsonObject]:
    """Auth0 log events matching `query`, by date (newest first unless `ascending`)."""
    async with rt.store.read() as tx:
        found = await audit_log.search(
            tx.conn,
            user_id=query.user_id,
            type=query.types[0] if len(query.types) == 1 else None,
            types=query.types if len(query.types) > 1 else None,
            client_id=query.client_id,
            ip=query.ip,
            since=query.since,
            until=query.until,
            q=None,
            page=page,
            per_page=per_page,
            ascending=ascending,
        )
    items = tuple(to_auth0_log(record) for record in found.items)
    return Page(items=items, total=found.total, page=page, per_page=per_page)


async def get_log(rt: Runtime, log_id: str) -> JsonObject:
    record = None
    if ID.fullmatch(log_id):
        async with rt.store.read() as tx:
            record = await audit_log.get(tx.conn, log_id)
    if record is None:
        raise NotFoundError("The log event does not exist.")
    return to_auth0_log(record)
