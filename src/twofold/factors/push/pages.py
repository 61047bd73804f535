"""How a push authenticator appears on the hosted pages (factors layer): the push itself,
and its offline TOTP codes typed into the usual code form."""

from __future__ import annotations

from twofold.factors.pages import FactorPage

PAGE = FactorPage(
    label="Push notification",
    description="Approve the sign-in request on your phone.",
    challenge_template="factors/push/challenge.html",
    resend_template="factors/push/resend.html",
    pushes=True,
)
"""The picker says "Push to <device name>" (web/mfa_view.py)."""

ENROL_PAGE = FactorPage(
    label="Authenticator app with push",
    description="Approve the sign-in request on your phone.",
    challenge_template="factors/push/challenge.html",
    enrol_template="factors/push/enrol.html",
    pushes=True,
    enrol_description="Scan a QR code with the app, then approve each sign-in with one tap.",
)

CODE_PAGE = FactorPage(
    label="Authenticator app with push",
    description="Enter the code the authenticator app shows.",
    challenge_template="factors/otp/challenge.html",
)
"""The same device's TOTP code ("Enter a code from the app instead")."""

ENROL_KEY = "push"
"""`?factor=push` on the enrolment pages."""
