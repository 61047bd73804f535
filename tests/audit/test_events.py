"""audit/events/: every event's Auth0 type code and outcome, and no secret-shaped field."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from twofold.audit import events
from twofold.audit.events import AuditEvent
from twofold.audit.events import admin as events_admin
from twofold.audit.events import login as events_login
from twofold.audit.events import mfa as events_mfa
from twofold.audit.events import oidc as events_oidc
from twofold.audit.events import oob as events_oob
from twofold.audit.events import push as events_push
from twofold.audit.events import webauthn as events_webauthn

REQUEST: dict[str, str | None] = {
    "user_id": "auth0|1",
    "client_id": "c1",
    "ip": "10.0.0.1",
    "user_agent": "ua",
}
ADMIN = {"user_id": "auth0|1", "actor": "m2m@clients"}
SECRETISH = re.compile(r"secret|otp|pass|code|token|pin|key_material|private", re.IGNORECASE)

CASES: list[tuple[AuditEvent, str, str]] = [
    (
        events.LoginSucceeded(
            user_id="auth0|1",
            client_id="c1",
            ip="10.0.0.1",
            user_agent="ua",
            amr=("pwd",),
            risk_assessment={"confidence": "high"},
        ),
        "s",
        "success",
    ),
    (events.LoginFailed(**REQUEST, username="a@b.c", reason="wrong_password"), "fp", "failure"),
    (
        events.LoginFailed(
            user_id=None, client_id="c1", ip=None, user_agent=None, username="x", reason="unknown"
        ),
        "fu",
        "failure",
    ),
    (events.FirstFactorBlocked(**REQUEST, username="a@b.c"), "limit_wc", "failure"),
    (events.MfaRequired(**REQUEST, reasons=("policy",)), "mfar", "info"),
    (
        events.PolicyDecided(
            **REQUEST,
            door="token",
            decision={"outcome": "mfa"},
            trace={"rules": []},
            risk_assessment={"confidence": "low"},
        ),
        "tf_policy",
        "info",
    ),
    (
        events.PolicyDecided(
            **REQUEST,
            door="authorize",
            decision={"outcome": "deny"},
            trace={"rules": []},
            risk_assessment={"confidence": "high"},
        ),
        "tf_policy",
        "failure",
    ),
    (
        events.LoginEmailVerified(**REQUEST, to="j***@e***.com"),
        "tf_login_email_verified",
        "success",
    ),
    (
        events.MfaStarted(**REQUEST, authenticator_id="totp|dev_1", factor="otp"),
        "gd_start_auth",
        "info",
    ),
    (
        events.MfaSucceeded(**REQUEST, authenticator_id="totp|dev_1", factor="otp"),
        "gd_auth_succeed",
        "success",
    ),
    (events.MfaFailed(**REQUEST, factor="otp", failures=2), "gd_auth_failed", "failure"),
    (
        events.RecoverySucceeded(**REQUEST, authenticator_id="recovery-code|dev_1"),
        "gd_recovery_succeed",
        "success",
    ),
    (
        events.RecoveryFailed(**REQUEST, factor="recovery-code", failures=1),
        "gd_recovery_failed",
        "failure",
    ),
    (events.MfaTokenExhausted(**REQUEST), "gd_auth_rejected", "failure"),
    (
        events.OtpRateLimitExceeded(user_id="auth0|1", ip="10.0.0.1", user_agent="ua"),
        "gd_otp_rate_limit_exceed",
        "failure",
    ),
    (
        events.RecoveryRateLimitExceeded(user_id="auth0|1", ip=None, user_agent=None),
        "gd_recovery_rate_limit_exceed",
        "failure",
    ),
    (
        events.OobCodeSent(
            **REQUEST,
            channel="sms",
            authenticator_id="sms|dev_1",
            to="+1 ••• ••• 2671",
            country="US",
            provider="twilio",
            attempts=1,
        ),
        "gd_send_sms",
        "success",
    ),
    (
        events.OobCodeSent(
            **REQUEST,
            channel="voice",
            authenticator_id=None,
            to="+1 ••• ••• 2671",
            provider="twilio",
            attempts=3,
        ),
        "gd_send_voice",
        "success",
    ),
    (
        events.OobCodeSent(
            **REQUEST,
            channel="email",
            authenticator_id=None,
            to="a•••@b.c",
            provider="smtp",
            attempts=1,
        ),
        "gd_send_email",
        "success",
    ),
    (
        events.OobSendFailed(
            **REQUEST,
            channel="sms",
            authenticator_id="sms|dev_1",
            to="+33 ••• ••• 5678",
            country="FR",
            reason="sms_country_not_allowed",
            status=None,
        ),
        "gd_send_sms_failure",
        "failure",
    ),
    (
        events.OobSendFailed(
            **REQUEST,
            channel="voice",
            authenticator_id="voice|dev_1",
            to="+1 ••• ••• 2671",
            reason="delivery_failed",
            provider="twilio",
            status=503,
        ),
        "gd_send_voice_failure",
        "failure",
    ),
    (
        events.OobSendFailed(
            **REQUEST,
            channel="email",
            authenticator_id=None,
            to="a•••@b.c",
            reason="too_many_email",
            limit="user",
            status=None,
        ),
        "gd_send_email_failure",
        "failure",
    ),
    (
        events.EnrolmentStarted(**REQUEST, authenticator_id="totp|dev_1", factor="otp"),
        "gd_start_enroll",
        "info",
    ),
    (
        events.EnrolmentCompleted(**REQUEST, authenticator_id="totp|dev_1", factor="otp"),
        "gd_enrollment_complete",
        "success",
    ),
    (
        events.Unenrolled(**REQUEST, authenticator_id="totp|dev_1", factor="otp", actor="auth0|1"),
        "gd_unenroll",
        "success",
    ),
    (
        events.AuthenticatorRenamed(**REQUEST, authenticator_id="totp|dev_1", factor="otp"),
        "gd_update_device_account",
        "success",
    ),
    (events.UserCreated(**ADMIN, email="a@b.c"), "ss", "success"),
    (events.MfaReset(user_id="u1", actor="cli", removed=2), "gd_user_delete", "success"),
    (events.RecoveryCodeRegenerated(**ADMIN), "gd_update_device_account", "success"),
    (events.UserBlockRemoved(**ADMIN), "ublkdu", "success"),
    (events.RememberBrowserInvalidated(**ADMIN), "sapi", "success"),
    (
        events.ApplicationCreated(
            actor="cli", client_id="c1", name="demo", grant_types=("password",), scopes=()
        ),
        "sapi",
        "success",
    ),
    (
        events.ApplicationUpdated(
            actor="m2m@clients", client_id="c1", name="demo", changes={"callbacks": []}
        ),
        "sapi",
        "success",
    ),
    (events.ApplicationDeleted(actor="cli", client_id="c1", name="demo"), "sapi", "success"),
    (
        events.ApplicationSecretRotated(actor="cli", client_id="c1", name="demo"),
        "sapi",
        "success",
    ),
    (events.KeyRotation(actor="cli", new_key_id="k2", reencrypted=3), "sapi", "success"),
    (
        events.TenantUpdate(actor="m2m@clients", setting="guardian.policies", value=["x"]),
        "gd_tenant_update",
        "success",
    ),
    (
        events.PolicyRuleChanged(
            actor="m2m@clients", change="created", rule_id="rul_1", rule={"name": "admins"}
        ),
        "gd_tenant_update",
        "success",
    ),
    (
        events.PolicyRuleChanged(
            actor="m2m@clients", change="reordered", rule_id=None, order=("rul_1",)
        ),
        "gd_tenant_update",
        "success",
    ),
    (
        events.TokenExchange(
            client_id="c1", ip=None, user_agent=None, grant="client_credentials", audience="a"
        ),
        "seccft",
        "success",
    ),
    (events.LogoutSucceeded(user_id="u1", ip=None, user_agent=None), "slo", "success"),
    (
        events.BrowserRemembered(user_id="u1", ip=None, user_agent=None, remembered_id="rb_1"),
        "tf_rb_add",
        "info",
    ),
    (
        events.BrowserForgotten(user_id="u1", ip=None, user_agent=None, remembered_id="rb_1"),
        "tf_rb_forget",
        "info",
    ),
    (events.CodeExchanged(**REQUEST, grant_id="grt_1", scope="openid"), "seacft", "success"),
    (
        events.CodeExchangeFailed(**REQUEST, grant_id=None, reason="unknown"),
        "feacft",
        "failure",
    ),
    (events.CodeReused(**REQUEST, grant_id="grt_1", revoked=True), "feacft", "failure"),
    (events.RefreshExchanged(**REQUEST, grant_id="grt_1", scope="openid"), "sertft", "success"),
    (
        events.RefreshExchangeFailed(**REQUEST, grant_id="grt_1", reason="expired"),
        "fertft",
        "failure",
    ),
    (events.RefreshReused(**REQUEST, grant_id="grt_1", revoked=True), "ferrt", "failure"),
    (
        events.WebauthnEnrolmentStarted(**REQUEST, factor="webauthn-roaming"),
        "gd_start_enroll",
        "info",
    ),
    (
        events.WebauthnEnrolmentFailed(**REQUEST, factor="webauthn-platform", reason="expired"),
        "gd_webauthn_enrollment_failed",
        "failure",
    ),
    (
        events.WebauthnChallengeStarted(**REQUEST, authenticator_ids=("webauthn-roaming|dev_1",)),
        "gd_start_auth",
        "info",
    ),
    (
        events.WebauthnChallengeFailed(**REQUEST, reason="invalid_response", failures=1),
        "gd_webauthn_challenge_failed",
        "failure",
    ),
    (
        events.WebauthnPossibleClone(
            **REQUEST,
            authenticator_id="webauthn-roaming|dev_1",
            factor="webauthn-roaming",
            stored_count=7,
            received_count=3,
        ),
        "webauthn_possible_clone",
        "failure",
    ),
    (events.PasskeyChallengeStarted(**REQUEST), "passkey_challenge_started", "info"),
    (
        events.PasskeyLoginSucceeded(
            **REQUEST, authenticator_id="webauthn-platform|dev_1", amr=("swk", "user", "mfa")
        ),
        "s",
        "success",
    ),
    (
        events.PasskeyLoginFailed(**REQUEST, reason="unknown_credential"),
        "passkey_challenge_failed",
        "failure",
    ),
    (
        events.PushSent(**REQUEST, authenticator_id="push|dev_1", push_id="txn_1", provider="fcm"),
        "gd_send_pn",
        "success",
    ),
    (
        events.PushSendFailed(
            user_id="auth0|1",
            client_id="c1",
            ip="10.0.0.1",
            user_agent="ua",
            authenticator_id="push|dev_1",
            push_id=None,
            reason="too_many_push",
            limit="minute",
        ),
        "gd_send_pn_failure",
        "failure",
    ),
    (
        events.PushApproved(**REQUEST, authenticator_id="push|dev_1", push_id="txn_1"),
        "gd_push_approved",
        "success",
    ),
    (
        events.PushRejected(
            **REQUEST, authenticator_id="push|dev_1", push_id="txn_1", reason="wrong_number"
        ),
        "gd_auth_rejected",
        "failure",
    ),
    (events.PushPaused(**REQUEST, cause="rejections", rejections=3), "gd_push_paused", "failure"),
    (
        events.PushPauseCleared(user_id="auth0|1", actor="m2m@clients"),
        "gd_push_pause_cleared",
        "success",
    ),
    (
        events.PushDeviceUpdated(**REQUEST, authenticator_id="push|dev_1", changed=("name",)),
        "gd_update_device_account",
        "success",
    ),
]
IDS = [f"{type(event).__name__}-{code}" for event, code, _ in CASES]


def test_every_event_class_is_listed_and_covered() -> None:
    modules = (
        events_admin,
        events_login,
        events_mfa,
        events_oidc,
        events_oob,
        events_push,
        events_webauthn,
    )
    declared: set[object] = {
        value
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type)
        and value.__module__ == module.__name__
        and dataclasses.is_dataclass(value)
        and not name.startswith("_")
    }
    assert declared == set[object](events.EVENTS)
    assert {type(event) for event, _, _ in CASES} == set(events.EVENTS)


@pytest.mark.parametrize(("event", "code", "outcome"), CASES, ids=IDS)
def test_type_code_and_outcome(event: AuditEvent, code: str, outcome: str) -> None:
    entry = event.entry()
    assert (entry.type, entry.outcome) == (code, outcome)
    assert entry.description
    assert len(entry.type) <= 64


@pytest.mark.parametrize(("event", "code", "outcome"), CASES, ids=IDS)
def test_no_field_or_detail_is_shaped_like_a_secret(
    event: AuditEvent, code: str, outcome: str
) -> None:
    names = [field.name for field in dataclasses.fields(event)]  # type: ignore[arg-type]
    names += list(event.entry().details)
    assert [name for name in names if SECRETISH.search(name)] == []


@pytest.mark.parametrize(("event", "code", "outcome"), CASES, ids=IDS)
def test_events_are_frozen(event: AuditEvent, code: str, outcome: str) -> None:
    first = dataclasses.fields(event)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, first, "someone else")


def test_request_facts_and_actor_are_carried() -> None:
    entry = events.Unenrolled(
        **REQUEST, authenticator_id="totp|dev_1", factor="otp", actor="auth0|1"
    ).entry()
    assert (entry.user_id, entry.client_id, entry.ip, entry.user_agent, entry.actor) == (
        "auth0|1",
        "c1",
        "10.0.0.1",
        "ua",
        "auth0|1",
    )
    assert entry.details == {"authenticator_id": "totp|dev_1", "factor": "otp"}


def test_the_docs_table_lists_every_type_code() -> None:
    page = (Path(__file__).parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    for _, code, _ in CASES:
        assert f"`{code}`" in page, code
