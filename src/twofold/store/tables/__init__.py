"""Table definitions, one module per aggregate, sharing one MetaData."""

from twofold.store.tables.applications import applications
from twofold.store.tables.audit import audit_events, audit_heads
from twofold.store.tables.authenticators import authenticators
from twofold.store.tables.base import metadata
from twofold.store.tables.devices import known_devices
from twofold.store.tables.keys import signing_keys
from twofold.store.tables.limits import limit_buckets
from twofold.store.tables.oidc import (
    authorization_codes,
    authorization_requests,
    grants,
    refresh_tokens,
)
from twofold.store.tables.oob import oob_challenges
from twofold.store.tables.policy import policy_rules
from twofold.store.tables.push import push_device_jtis, push_enrolments, push_transactions
from twofold.store.tables.sessions import browser_sessions, remembered_browsers
from twofold.store.tables.tenant import guardian_factors, tenant_settings
from twofold.store.tables.transactions import mfa_transactions
from twofold.store.tables.users import users
from twofold.store.tables.webauthn import webauthn_challenges

__all__ = [
    "applications",
    "audit_events",
    "audit_heads",
    "authenticators",
    "authorization_codes",
    "authorization_requests",
    "browser_sessions",
    "grants",
    "guardian_factors",
    "known_devices",
    "limit_buckets",
    "metadata",
    "mfa_transactions",
    "oob_challenges",
    "policy_rules",
    "push_device_jtis",
    "push_enrolments",
    "push_transactions",
    "refresh_tokens",
    "remembered_browsers",
    "signing_keys",
    "tenant_settings",
    "users",
    "webauthn_challenges",
]
