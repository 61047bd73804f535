"""Factor pages: what each registered factor declares for the hosted pages, and the registry
views the MFA pages iterate (pickable, fallbacks, enrollable)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from twofold.config import OtpSettings
from twofold.factors.base import FactorContext
from twofold.factors.pages import challengeable, enrollable, fallbacks
from twofold.factors.registry import build_registry
from twofold.types import FactorType
from twofold.web.pages import environment

REGISTRY = build_registry(recovery_hasher=lambda code: hashlib.sha256(code.encode()).hexdigest())
CTX = FactorContext(
    now=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC),
    tenant_name="Acme",
    account_name="ada@example.com",
    otp=OtpSettings(),
)


@pytest.mark.parametrize("factor_type", list(REGISTRY))
def test_every_factor_names_templates_that_exist(factor_type: FactorType) -> None:
    page = REGISTRY[factor_type].page
    assert page.label
    assert page.challenge_template == f"factors/{factor_type.value}/challenge.html"
    environment().get_template(page.challenge_template)
    if page.enrol_template is not None:
        assert page.enrol_template == f"factors/{factor_type.value}/enrol.html"
        environment().get_template(page.enrol_template)


def test_the_registry_views_keep_registry_order() -> None:
    assert [f.type for f in challengeable(REGISTRY)] == [FactorType.OTP]
    assert [f.type for f in fallbacks(REGISTRY)] == [FactorType.RECOVERY_CODE]
    assert REGISTRY[FactorType.RECOVERY_CODE].page.fallback_link == "Use a recovery code"
    everything = [FactorType.RECOVERY_CODE, FactorType.OTP]
    assert [f.type for f in enrollable(REGISTRY, everything)] == [FactorType.OTP]
    assert enrollable(REGISTRY, [FactorType.RECOVERY_CODE]) == []


async def test_a_pending_otp_enrolment_shows_the_same_secret_again() -> None:
    factor = REGISTRY[FactorType.OTP]
    enrolment = await factor.begin_enrolment(CTX)
    assert factor.enrolment_display(CTX, enrolment.state) == enrolment.display
    assert enrolment.display["barcode_uri"].startswith("otpauth://totp/Acme:ada%40example.com?")


async def test_a_recovery_code_is_never_shown_again() -> None:
    factor = REGISTRY[FactorType.RECOVERY_CODE]
    enrolment = await factor.begin_enrolment(CTX)
    assert set(enrolment.display) == {"recovery_code"}
    assert factor.enrolment_display(CTX, enrolment.state) == {}
